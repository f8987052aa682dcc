"""Live training: jobs advanced on the server by a fair pool of workers, and the panels that show them.

A page starts, pauses, resumes or resets a job and shows its progress; the workers train whether or
not the learner's browser asks for anything (a hidden tab, a lost rerun or a busy browser no longer
slow anyone down). Learners take turns: each worker gives the next learner in line one short chunk,
and one learner's jobs queue behind each other. A job nobody has looked at for ABANDON_S seconds
(a closed tab) is paused and let go.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ae_core import Dataset, History, LearnerError, RunSpec, Trainer, build_trainer
from ui.charts import loss_figure
from ui.fmt import fr, seconds
from ui.state import state

# How often a panel redraws while its job runs: TICK_S, and slower when many jobs are in line. The
# training does not wait for it, but every redraw takes the server's GIL from the trainings (with 30
# learners redrawing each second, the server spent its time drawing and the trainings crawled).
TICK_S = 1.0
TICK_PER_JOB_S = 0.3
CHUNK_S = float(os.environ.get("AE_CHUNK_SECONDS", "0.25"))  # training time a worker gives a job in one turn
# One worker by default: the app's models are small, so a training step is mostly Python holding the
# GIL, and two training threads slow each other down (measured: 3 learners took 11.6 s with two
# workers, 6.3 s with one).
WORKERS = int(os.environ.get("AE_MAX_TRAININGS", "1"))
WORKER_THREADS = int(os.environ.get("AE_WORKER_THREADS", "1"))  # small ops gain nothing from more
ABANDON_S = float(os.environ.get("AE_ABANDON_SECONDS", "300"))  # hidden tabs still redraw once a minute
UNEXPECTED = ("L'entraînement s'est arrêté sur une erreur inattendue. Réinitialisez puis relancez ; "
              "si cela se reproduit, prévenez votre enseignant.")
log = logging.getLogger(__name__)


class Job:
    """Trainers for `specs`, built and run one after another on `data`, one chunk at a time.

    The first trainer is built at once, so a spec that cannot be trained fails at start. `lock` is
    held while a chunk runs: whoever reads the model meanwhile (a live view) takes it too.
    """

    def __init__(self, specs: Sequence[RunSpec], data: Dataset):
        self.specs, self.data = tuple(specs), data
        self.trainers = [build_trainer(self.specs[0], data)]
        self.running = True  # the learner wants it to train; False once paused, or once its end was shown
        self.error: str | None = None
        self.started = self.seen = time.monotonic()
        self.finished: float | None = None  # monotonic time of the end, as the server saw it
        self.owner = ""  # the session that submitted it
        self.figure = None  # (what it shows, the loss figure): redrawn only when an epoch ends
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

    def advance(self, budget_s: float) -> None:
        """Train for about `budget_s` seconds, unless the job is done or someone else holds it."""
        if self.done or not self.lock.acquire(blocking=False):
            return
        try:
            if self.trainer.done:
                self.trainers.append(build_trainer(self.specs[len(self.trainers)], self.data))
            self.trainer.step(budget_s)
        except LearnerError as exc:  # a diverged training, a spec that cannot be trained
            self.error = str(exc)
        except Exception:  # noqa: BLE001 - the learner gets a French message, the log gets the trace
            log.exception("training chunk failed")
            self.error = UNEXPECTED
        finally:
            if self.done and self.finished is None:
                self.finished = time.monotonic()
                log.info("job of %s done %.2f s after its start", self.owner, self.finished - self.started)
            self.lock.release()

    def pause(self) -> None:
        """Stop training; returns once no chunk is running."""
        self.running = False
        with self.lock:
            pass


class WorkerPool:
    """Threads that advance jobs in turns: the learners in line each get a chunk, their jobs in order."""

    def __init__(self, workers: int, chunk_s: Callable[[], float] = lambda: CHUNK_S):
        self._line: OrderedDict[str, deque[Job]] = OrderedDict()  # owner -> their waiting jobs
        self._busy: set[int] = set()  # ids of the jobs a worker holds right now
        self._changed = threading.Condition()
        self._chunk_s = chunk_s
        self._stopping = False
        self._threads = [threading.Thread(target=self._work, name=f"ae-worker-{i}", daemon=True)
                         for i in range(workers)]
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

    def submit(self, job: Job, owner: str) -> None:
        """Queue a running job behind the owner's other jobs (once)."""
        with self._changed:  # under the lock: a worker taking a paused job out of line must not undo this
            job.running, job.seen, job.owner = True, time.monotonic(), owner
            jobs = self._line.setdefault(owner, deque())
            if job not in jobs:
                jobs.append(job)
            self._changed.notify_all()

    def waiting(self) -> int:
        """Jobs in line or being trained."""
        with self._changed:
            return sum(len(jobs) for jobs in self._line.values())

    def _take(self) -> Job | None:
        """The first runnable job of the next owner in line, who then goes to the back of it (None: stop)."""
        with self._changed:
            while not self._stopping:
                now = time.monotonic()
                for owner in list(self._line):
                    jobs = self._line[owner]
                    while jobs and (jobs[0].done or not jobs[0].running or now - jobs[0].seen > ABANDON_S):
                        left = jobs.popleft()  # finished, paused, or left alone: out of line
                        if left.running and not left.done:
                            left.running = False  # left alone: its page shows « Reprendre » if it comes back
                    if not jobs:
                        del self._line[owner]
                    elif id(jobs[0]) not in self._busy:
                        self._line.move_to_end(owner)
                        self._busy.add(id(jobs[0]))
                        return jobs[0]
                self._changed.wait(timeout=1.0)
            return None

    def _work(self) -> None:
        torch.set_num_threads(WORKER_THREADS)  # per thread: the sessions' own threads keep THREADS
        while (job := self._take()) is not None:
            try:
                job.advance(self._chunk_s())
            finally:
                with self._changed:
                    self._busy.discard(id(job))
                    self._changed.notify_all()


@st.cache_resource
def pool() -> WorkerPool:
    """The process-wide pool of AE_MAX_TRAININGS workers (one by default)."""
    return WorkerPool(WORKERS)


def _owner() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "local"


# --- a learner's own job ----------------------------------------------------------------------

def _start(key: str, spec: RunSpec, data: Dataset) -> None:
    state.pop(f"{key}_error", None)
    old = state.pop(key, None)
    if old is not None:
        old.pause()
    try:
        state[key] = Job([spec], data)
    except LearnerError as exc:
        state[f"{key}_error"] = f"Impossible de démarrer : {exc}"
        return
    pool().submit(state[key], _owner())


def _toggle(key: str) -> None:
    job = state[key]
    if job.running:
        job.pause()
    else:
        pool().submit(job, _owner())


def _reset(key: str) -> None:
    job = state.pop(key, None)
    if job is not None:
        job.pause()


def train_ui(key: str, spec: RunSpec, data: Dataset, start_label: str = "Démarrer l'entraînement",
             live: Callable[[Trainer], None] | None = None) -> Trainer | None:
    """Start / pause / resume / reset buttons and the live progress of the learner's job in state[key].

    Start trains `spec` on `data` (widgets moved later apply at the next start); a job trained on
    other data than the page now shows is put aside. `live(trainer)` draws extra live content.
    Returns the job's trainer, or None before any start.
    """
    job = state.get(key)
    if job is not None and job.specs[0].dataset != spec.dataset:
        _reset(key)
        job = None
    if job is not None and job.done and job.running:
        job.running = False  # this full run draws the end: the panel stops asking for reruns
    cols = st.columns([2, 1, 1, 2])
    cols[0].button(start_label, key=f"{key}_start", type="primary", on_click=_start, args=(key, spec, data),
                   disabled=job is not None and job.running)
    if job is not None and not job.done:
        cols[1].button("Pause" if job.running else "Reprendre", key=f"{key}_toggle", on_click=_toggle, args=(key,))
    if job is not None:
        cols[2].button("Réinitialiser", key=f"{key}_reset", on_click=_reset, args=(key,))
        cols[3].toggle("Échelle log", key=f"{key}_log")
    if job is None:
        if f"{key}_error" in state:
            st.error(state[f"{key}_error"])
        return None
    _panel(key, job, live)
    return job.trainer


def tick_s() -> float:
    """Seconds between two redraws of a running job's panel: longer when the workers have more to do."""
    return max(TICK_S, TICK_PER_JOB_S * pool().waiting())


def _panel(key: str, job: Job, live: Callable[[Trainer], None] | None = None) -> None:
    @st.fragment(run_every=tick_s() if job.running else None)
    def panel():
        job.seen = time.monotonic()
        if job.error:
            st.error(job.error)
        progress_ui(key, job)
        if live:
            with job.lock:  # not while a worker changes the weights
                live(job.trainer)
        if job.running and job.done:
            st.rerun()  # the whole page draws the results; asked again at every tick until it has

    panel()


def progress_ui(key: str, job: Job) -> None:
    """Progress bar with time left and speed, and the loss curves of the running trainer."""
    t = job.trainer
    h, epochs = t.history, t.config.epochs
    left = t.elapsed / t.progress * (1 - t.progress) if t.progress else 0
    speed = f" · {fr(h.samples_per_s[-1], ',.0f')} images/s" if h.samples_per_s else ""
    model = f"Modèle {len(job.trainers)}/{len(job.specs)} · " if len(job.specs) > 1 else ""
    waiting = " · en attente d'un processeur libre" if job.running and not job.done and not t.elapsed else ""
    st.progress(job.progress, text=f"{model}Époque {min(t.epoch + 1, epochs)}/{epochs} · "
                f"{seconds(t.elapsed)} écoulées · reste ~{seconds(left)}{speed}{waiting}")
    if h.train_loss:
        view = (len(job.trainers), len(h.train_loss), state.get(f"{key}_log", False), t.diverged_at)
        if job.figure is None or job.figure[0] != view:  # building a figure costs ~10 ms: once an epoch
            job.figure = view, loss_figure(h, view[2], t.diverged_at)
        st.plotly_chart(job.figure[1], key=f"{key}_chart")


# --- one job for the whole class --------------------------------------------------------------

@st.cache_resource
def _shared() -> tuple[dict, threading.Lock]:
    """specs -> Job while it runs, then -> its histories; one dict for every session of the process."""
    return {}, threading.Lock()


def _start_shared(specs: tuple[RunSpec, ...], data: Dataset) -> None:
    store, lock = _shared()
    with lock:
        if specs not in store:
            store[specs] = Job(specs, data)
            pool().submit(store[specs], "shared")


def shared_train_ui(key: str, specs: tuple[RunSpec, ...], data: Dataset, start_label: str) -> list[History] | None:
    """A deterministic job trained once per process for every learner, by the same workers.

    Whoever starts it, every learner who opens the page sees its progress and then its result: the
    histories of its trainers (the models themselves are let go). None until then.
    """
    store, lock = _shared()
    entry = store.get(specs)
    if entry is None:
        st.button(start_label, key=f"{key}_start", on_click=_start_shared, args=(specs, data))
        if f"{key}_error" in state:
            st.error(state.pop(f"{key}_error"))
        return None
    if isinstance(entry, Job):
        if not entry.running and not entry.done:  # left alone too long, then visited again
            pool().submit(entry, "shared")

        @st.fragment(run_every=tick_s())
        def panel():
            entry.seen = time.monotonic()
            progress_ui(key, entry)
            if entry.done:
                with lock:
                    if entry.error:
                        store.pop(specs, None)
                        state[f"{key}_error"] = entry.error
                    else:
                        store[specs] = [t.history for t in entry.trainers]
                st.rerun()

        panel()
        return None
    return entry


def finished(key: str, dataset: str) -> Trainer | None:
    """The trainer of the learner's job in state[key] once it trained on `dataset` without error, else None."""
    job = state.get(key)
    if job is None or not job.trained or job.specs[0].dataset != dataset:
        return None
    return job.trainer
