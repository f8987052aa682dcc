"""Training jobs and the server-side workers that advance them, fairly, whatever the browsers do.

A job trains one or more run specs in turn. One worker by default gives each learner in line a short
chunk in turn; one learner's jobs queue behind each other. Each worker thread trains in a child
process of its own (runner.worker), so trainings do not compete with the pages for the server's
interpreter lock. A job nobody has looked at for ABANDON_S seconds (a closed tab) is paused and let
go. Nothing here draws anything or knows Streamlit: ui.live does, and names each job's owner.
"""

from __future__ import annotations

import atexit
import copy
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

import torch

from ae_core import Dataset, LearnerError, RunSpec, Trainer, build_trainer
from runner import estimate
from runner.worker import TrainingProcess

CHUNK_S = float(os.environ.get("AE_CHUNK_SECONDS", "0.25"))  # training time a worker gives a job in one turn
# One worker (one child process) by default, for a small server of 2 cores: one for the training,
# one for the pages. A training step of the app's small models gains nothing from more torch threads.
WORKERS = int(os.environ.get("AE_MAX_TRAININGS", "1"))
WORKER_THREADS = int(os.environ.get("AE_WORKER_THREADS", "1"))
IN_CHILD = os.environ.get("AE_TRAIN_IN_CHILD", "1") != "0"  # 0: train in the server's own threads
ABANDON_S = float(os.environ.get("AE_ABANDON_SECONDS", "300"))  # hidden tabs still redraw once a minute
UNEXPECTED = ("L'entraînement s'est arrêté sur une erreur inattendue. Réinitialisez puis relancez ; "
              "si cela se reproduit, prévenez votre enseignant.")
log = logging.getLogger(__name__)


class Job:
    """Trainers for `specs`, built and run one after another on `data`, one chunk at a time.

    The first trainer is built at once, so a spec that cannot be trained fails at start. `lock` is
    held while a chunk runs, and while a page reads the model. While the trainer trains in a child
    process, `job.trainer` is the server's copy: its progress and history follow each chunk, its
    weights each epoch; the whole trainer comes back when it is done, failed or paused.
    """

    def __init__(self, specs: Sequence[RunSpec], data: Dataset, finished: Sequence[Trainer] = ()):
        self.specs, self.data = tuple(specs), data
        # A finished trainer of the same spec stands for its training: same spec, same data, same weights.
        self._finished = {t.spec: t for t in finished if t.done and t.diverged_at is None and t.spec in self.specs}
        self.trainers = [self._build(self.specs[0])]
        self.running = True  # the learner wants it to train; False once paused, or once its end was shown
        self.error: str | None = None
        self.started = self.last_seen = time.monotonic()
        self.finished: float | None = None  # monotonic time of the end, as the server saw it
        self.owner = ""  # who submitted it (a session id): their jobs queue behind each other
        self.in_process: TrainingProcess | None = None  # the child process that holds the whole trainer
        self.turns = 0  # chunks trained by the workers
        self.on_done: Callable[[Job], None] | None = None  # called once, in the worker's thread, when it ends
        self.lock = threading.Lock()

    @property
    def trainer(self) -> Trainer:
        """The trainer now running (the last one once all are done)."""
        return self.trainers[-1]

    @property
    def done(self) -> bool:
        return self.error is not None or (len(self.trainers) == len(self.specs) and self.trainer.done)

    @property
    def trained(self) -> bool:
        """Every trainer finished without error."""
        return self.done and self.error is None

    @property
    def progress(self) -> float:
        return (len(self.trainers) - 1 + self.trainer.progress) / len(self.specs)

    def remaining_s(self) -> float:
        """Training seconds this job still needs on this server (runner.estimate)."""
        current = len(self.trainers) - 1
        left = estimate.training_s(self.specs[current], self.data) * (1 - self.trainer.progress)
        return left + sum(estimate.training_s(spec, self.data) for spec in self.specs[current + 1:]
                          if spec not in self._finished)

    def advance(self, budget_s: float, process: TrainingProcess | None = None) -> None:
        """Train for about `budget_s` seconds (in `process` when given, else in this thread), unless the
        job is done or someone else holds it."""
        if self.done or not self.lock.acquire(blocking=False):
            return
        self.turns += 1
        try:
            self._train(lambda t: t.step(budget_s) if process is None else self._in_child(process, budget_s))
        finally:
            self.lock.release()

    def _in_child(self, process: TrainingProcess, budget_s: float) -> None:
        self.in_process = process
        whole, failure, trace = process.step(self.trainer, budget_s)
        if whole is not None:  # done or failed: the whole trainer is back
            self.trainers[-1], self.in_process = whole, None
        if failure:
            raise LearnerError(failure)
        if trace:
            raise RuntimeError(f"in the training process:\n{trace}")

    def step_batches(self, n: int | None) -> None:
        """Pause, then train exactly `n` batches (None: to the end of the epoch) in the caller's thread:
        a teacher's « Un pas » or « Une époque »."""
        self.pause()
        with self.lock:
            if not self.done:
                self._train(lambda t: t.step_batches(n))

    def _train(self, step: Callable[[Trainer], object]) -> None:
        """step(trainer) on the trainer due (building the next one when needed); errors become French."""
        try:
            while self.trainer.done and len(self.trainers) < len(self.specs):
                self.trainers.append(self._build(self.specs[len(self.trainers)]))
            if not self.trainer.done:
                step(self.trainer)
        except LearnerError as exc:  # a diverged training, a spec that cannot be trained
            self.error = str(exc)
        except Exception:  # noqa: BLE001 - the learner gets a French message, the log gets the trace
            log.exception("training chunk failed")
            self.error = UNEXPECTED
        finally:
            if self.done and self.finished is None:
                self.finished = time.monotonic()
                for trainer in self.trainers:
                    if trainer.spec not in self._finished:  # a copy did not train here
                        estimate.observe(trainer)
                log.info("job of %s done %.2f s after its start (%d turns)", self.owner, self.finished - self.started,
                         self.turns)
                if self.on_done is not None:  # the server tells whoever waits, whatever the learner's tab does
                    try:
                        self.on_done(self)
                    except Exception:  # noqa: BLE001 - a lost notice must not fail the training
                        log.exception("the end of a job could not be told")

    def _build(self, spec: RunSpec) -> Trainer:
        """A copy of the finished trainer of `spec` when one was given, else a new trainer."""
        if spec not in self._finished:
            return build_trainer(spec, self.data)
        done = self._finished[spec]
        return copy.deepcopy(done, memo={id(done.images): done.images})  # the images stay shared

    def pause(self) -> None:
        """Stop training; returns once no chunk is running and the whole trainer is back from the child."""
        self.running = False
        with self.lock:
            if self.in_process is not None:
                try:
                    self.trainers[-1] = self.in_process.recall(self.trainer)
                except RuntimeError:
                    log.exception("recalling a training failed")
                    self.error = UNEXPECTED
                self.in_process = None


class WorkerPool:
    """Threads that advance jobs in turns: the learners in line each get a chunk, their jobs in order."""

    def __init__(self, workers: int, chunk_s: Callable[[], float] = lambda: CHUNK_S, in_child: bool = IN_CHILD):
        self._queue: OrderedDict[str, deque[Job]] = OrderedDict()  # owner -> their waiting jobs
        self._busy: set[int] = set()  # ids of the jobs a worker holds right now
        self._changed = threading.Condition()
        self._chunk_s = chunk_s
        self._stopping = False
        self._processes = [TrainingProcess(WORKER_THREADS) if in_child else None for _ in range(workers)]
        self._threads = [threading.Thread(target=self._work, args=(p,), name=f"ae-worker-{i}", daemon=True)
                         for i, p in enumerate(self._processes)]
        for thread in self._threads:
            thread.start()
        atexit.register(self.stop)  # a thread killed inside torch at exit aborts the whole process

    def stop(self) -> None:
        """Let the workers finish their chunk and end."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)
        for process in self._processes:
            if process is not None:
                process.stop()

    def submit(self, job: Job, owner: str) -> None:
        """Queue a running job behind the owner's other jobs (once)."""
        with self._changed:  # under the lock: a worker taking a paused job out of line must not undo this
            job.running, job.last_seen, job.owner = True, time.monotonic(), owner
            jobs = self._queue.setdefault(owner, deque())
            if job not in jobs:
                jobs.append(job)
            self._changed.notify_all()

    def waiting(self) -> int:
        """Jobs in line or being trained."""
        with self._changed:
            return sum(len(jobs) for jobs in self._queue.values())

    def finish_s(self, owner: str, own_s: float) -> tuple[float, int]:
        """(seconds until a new job of `owner` needing `own_s` seconds of training would be done, other
        owners' trainings in line). Owners take turns, so each other owner's work delays the new job
        by at most as much as the owner's own (their jobs in line, then the new one)."""
        with self._changed:
            lines = {o: [job for job in jobs if job.running and not job.done] for o, jobs in self._queue.items()}
        ahead = own_s + sum(job.remaining_s() for job in lines.pop(owner, []))
        others = sum(min(ahead, sum(job.remaining_s() for job in jobs)) for jobs in lines.values())
        return max(ahead, (ahead + others) / max(1, len(self._threads))), sum(map(len, lines.values()))

    def _take(self) -> Job | None:
        """The first runnable job of the next owner in line, who then goes to the back of it (None: stop)."""
        with self._changed:
            while not self._stopping:
                now = time.monotonic()
                for owner in list(self._queue):
                    jobs = self._queue[owner]
                    while jobs and (jobs[0].done or not jobs[0].running or now - jobs[0].last_seen > ABANDON_S):
                        left = jobs.popleft()  # finished, paused, or left alone: out of line
                        if left.running and not left.done:
                            left.running = False  # left alone: its page shows « Reprendre » if it comes back
                    if not jobs:
                        del self._queue[owner]
                    elif id(jobs[0]) not in self._busy and not jobs[0].lock.locked():
                        # A job whose page holds it (drawing its model) keeps its place: it has the next turn.
                        self._queue.move_to_end(owner)
                        self._busy.add(id(jobs[0]))
                        return jobs[0]
                self._changed.wait(timeout=0.02 if self._queue else 1.0)
            return None

    def _work(self, process: TrainingProcess | None) -> None:
        torch.set_num_threads(WORKER_THREADS)  # per thread: the sessions' own threads keep THREADS
        if process is not None:
            try:
                process.start()
            except Exception:  # noqa: BLE001 - no child process here: train in this thread
                log.exception("no training process; training in the server's threads")
                process = None
        while (job := self._take()) is not None:
            try:
                job.advance(self._chunk_s(), process)
            finally:
                with self._changed:
                    self._busy.discard(id(job))
                    self._changed.notify_all()


_pool: list[WorkerPool] = []
_pool_lock = threading.Lock()


def pool() -> WorkerPool:
    """The process-wide pool of AE_MAX_TRAININGS workers (one by default), started on first use.
    Not in st.cache_resource: clearing that cache must not orphan running trainings and processes."""
    with _pool_lock:
        if not _pool:
            _pool.append(WorkerPool(WORKERS))
        return _pool[0]

