"""Training in a child process: a trainer moves there, trains chunk by chunk, and comes back at its end.

Why: a training step of the app's small models is a few dozen tiny torch operations, each of which
lets go of the interpreter lock and must take it back. In the server's process that lock is shared
with every learner's page being drawn: with 30 learners on 2 cores, each hand-over waited behind the
pages and a training thread kept the server's CPU less than half busy. In a child process the
training has the lock, and a core, to itself.

So the server's side of a chunk must hand over the lock as few times as possible: the trainer goes to
the child once; after each chunk only its progress comes back (plain Python: epoch, batch, history)
and, when an epoch ended, the model's weights as numpy arrays, copied into the server's copy of the
model (the one the pages draw). The whole trainer (optimiser included) comes back when it is done,
failed, or recalled (paused). Images go once per tensor and are kept up to KEEP_BYTES, and no longer
than the server's own tensor: a learner's recording leaves the child with the learner's session.
"""

from __future__ import annotations

import io
import itertools
import pickle
import socket
import subprocess
import sys
import threading
import time
import traceback
import warnings
import weakref
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path

import torch

from ae_core.errors import LearnerError
from ae_core.train import Trainer

KEEP_BYTES = 512 * 2**20  # image tensors the child keeps, least recently used dropped first


class _Pickler(pickle.Pickler):
    """Pickles a trainer with its image tensor replaced by a key: the images travel once, on their own."""

    def __init__(self, file, images: torch.Tensor, key: int):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.images, self.key = images, key

    def persistent_id(self, obj):
        return self.key if obj is self.images else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, images: torch.Tensor):
        super().__init__(file)
        self.images = images

    def persistent_load(self, key):
        return self.images


def dumps(trainer: Trainer, key: int) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, trainer.images, key).dump(trainer)
    return buffer.getvalue()


def loads(blob: bytes, images: torch.Tensor) -> Trainer:
    return _Unpickler(io.BytesIO(blob), images).load()


def _send(conn: Connection, message) -> None:
    conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _receive(conn: Connection):
    return pickle.loads(conn.recv_bytes())


def serve(conn: Connection, threads: int) -> None:
    """The child's loop, one message at a time (see TrainingProcess for what each one means)."""
    torch.set_num_threads(threads)
    # An unpickled optimiser has lost the wrapper its LR scheduler put on step() to count calls; the
    # schedule itself is intact, only that check warns.
    warnings.filterwarnings("ignore", message=r"Seems like `optimizer.step\(\)` has been overridden")
    kept: OrderedDict[int, torch.Tensor] = OrderedDict()  # images key -> images
    trainers: dict[int, tuple[Trainer, int]] = {}  # trainer key -> (trainer, its images key)
    while True:
        try:
            message = _receive(conn)
        except (EOFError, OSError):  # the server is gone
            return
        if message is None:
            return
        kind, key, *rest = message
        if kind == "images":
            kept[key] = rest[0]
            while sum(t.nbytes for t in kept.values()) > KEEP_BYTES and len(kept) > 1:
                kept.popitem(last=False)
        elif kind == "put":
            blob, images_key = rest
            if images_key in kept:
                kept.move_to_end(images_key)
                trainers[key] = loads(blob, kept[images_key]), images_key
            _send(conn, images_key in kept)
        elif kind == "drop":
            trainers.pop(key, None)
        elif kind == "forget":
            kept.pop(key, None)
        elif kind == "held":
            _send(conn, list(kept))
        elif kind == "take":
            trainer, images_key = trainers.pop(key)
            _send(conn, dumps(trainer, images_key))
        elif kind == "step":
            _send(conn, _step(trainers, key, rest[0]))


def _step(trainers: dict, key: int, budget_s: float) -> tuple:
    """Train trainers[key] for about budget_s seconds: (progress, weights or None, whole trainer when it
    left the child, learner message, traceback)."""
    trainer, images_key = trainers[key]
    epoch, failure, trace = trainer.epoch, None, None
    try:
        trainer.step(budget_s, clock=time.thread_time)  # CPU time: equal turns, however busy the machine
    except LearnerError as exc:  # a diverged training: the trainer comes back with its message
        failure = str(exc)
    except Exception:  # noqa: BLE001 - the server logs it and tells the learner in French
        trace = traceback.format_exc()
    progress = trainer.progress_state()
    weights = None
    if trainer.epoch != epoch or trainer.diverged_at is not None:
        weights = [t.detach().cpu().numpy() for t in trainer.model.state_dict().values()]
    whole = None
    if trainer.done or failure or trace:
        whole = dumps(trainer, images_key)
        del trainers[key]
    return progress, weights, whole, failure, trace


class TrainingProcess:
    """A child process that trains for the calling threads (one at a time); started on first use, again
    if it died. A trainer sent there is "away" until it is done, fails, or is recalled."""

    def __init__(self, threads: int = 1):
        self.threads = threads
        self._process = self._conn = None
        self._keys: dict[int, tuple[weakref.ref, int]] = {}  # id(object) -> (the object, its key)
        self._counter = itertools.count()
        self._sent: set[int] = set()  # images keys the child was sent
        self._away: dict[int, weakref.ref] = {}  # trainer key -> the server's copy of that trainer
        self._lost: set[int] = set()  # keys of trainers that were away in a child that died
        self._lock = threading.Lock()

    def step(self, trainer: Trainer, budget_s: float) -> tuple[Trainer | None, str | None, str | None]:
        """Train `trainer` for about budget_s seconds in the child; its progress (and, at each epoch's
        end, its weights) is copied into `trainer`. Returns the whole trained trainer when it is done or
        failed (else None), the French message of a learner error, and the traceback of another one."""
        with self._lock:
            try:
                self._start()
                self._drop_forgotten()
                key = self._key(trainer)
                if key in self._lost:
                    raise RuntimeError("this training was lost with a training process that died")
                if key not in self._away:
                    self._put(trainer, key)
                _send(self._conn, ("step", key, budget_s))
                progress, weights, whole, failure, trace = _receive(self._conn)
            except (EOFError, OSError):
                self._died()
                raise RuntimeError("the training process died") from None
            _mirror(trainer, progress, weights)
            if whole is not None:
                del self._away[key]
                whole = loads(whole, trainer.images)
            return whole, failure, trace

    def recall(self, trainer: Trainer) -> Trainer:
        """The whole trainer back from the child (optimiser included), or `trainer` itself when it is not away."""
        with self._lock:
            key = self._keys.get(id(trainer), (None, None))[1]
            if key not in self._away or self._away[key]() is not trainer:
                return trainer
            try:
                _send(self._conn, ("take", key))
                whole = loads(_receive(self._conn), trainer.images)
            except (EOFError, OSError):
                self._died()
                raise RuntimeError("the training process died") from None
            del self._away[key]
            return whole

    def stop(self) -> None:
        with self._lock:
            if self._process is not None:
                try:
                    _send(self._conn, None)
                    self._process.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    self._process.kill()
                self._process = None

    def start(self) -> None:
        """Start the child now rather than at the first chunk (it takes a few seconds to import torch)."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        if self._conn is not None:
            self._conn.close()
        self._lost |= set(self._away)
        # A plain `python -m runner.worker`, not multiprocessing's spawn: that one would run the
        # parent's __main__ again in the child, and under Streamlit that is the app's script.
        ours, theirs = socket.socketpair()
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "runner.worker", str(theirs.fileno()), str(self.threads)],
                pass_fds=[theirs.fileno()], cwd=Path(__file__).resolve().parents[1])
        self._conn = Connection(ours.detach())
        self._sent.clear()
        self._away.clear()

    def _died(self) -> None:
        """The child died mid-message (killed for memory?): the trainers away are lost; a new child comes next."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def _put(self, trainer: Trainer, key: int) -> None:
        images_key = self._key(trainer.images)
        blob = dumps(trainer, images_key)
        for _ in range(2):
            if images_key not in self._sent:
                _send(self._conn, ("images", images_key, trainer.images))
                self._sent.add(images_key)
            _send(self._conn, ("put", key, blob, images_key))
            if _receive(self._conn):
                self._away[key] = weakref.ref(trainer)
                return
            self._sent.discard(images_key)  # the child let these images go: send them again
        raise RuntimeError("the training process keeps refusing these images")

    def held_images(self) -> list[int]:
        """The keys of the image tensors the child keeps now (oldest first)."""
        with self._lock:
            self._start()
            _send(self._conn, ("held", None))
            return _receive(self._conn)

    def _drop_forgotten(self) -> None:
        """Let the child forget trainers and images whose server copy is gone (a closed tab's, once its
        session ended): a learner's own data never outlives its session in the child."""
        for key in [k for k, ref in self._away.items() if ref() is None]:
            _send(self._conn, ("drop", key))
            del self._away[key]
        alive = {key for ref, key in self._keys.values() if ref() is not None}
        for key in self._sent - alive:
            _send(self._conn, ("forget", key))
            self._sent.discard(key)

    def _key(self, obj) -> int:
        """A key that names this very object, never reused for another (ids are, once an object is freed)."""
        ref, key = self._keys.get(id(obj), (None, None))
        if ref is None or ref() is not obj:
            self._keys = {i: (r, k) for i, (r, k) in self._keys.items() if r() is not None}
            key = next(self._counter)
            self._keys[id(obj)] = (weakref.ref(obj), key)
        return key


def _mirror(trainer: Trainer, progress: dict, weights: list | None) -> None:
    """Copy a chunk's progress, and weights when given, into the server's copy of the trainer."""
    trainer.load_progress(progress)
    if weights is not None:
        with torch.no_grad():
            for tensor, array in zip(trainer.model.state_dict().values(), weights, strict=True):
                tensor.copy_(torch.from_numpy(array))


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
