"""Live training: jobs that advance trainers in short chunks under a process-wide cap, and their panel.

A page starts, pauses, resumes or resets a job and shows its progress; how chunks get scheduled is
the scheduler's business. Today chunks run in the learner's own fragment ticks (InlineScheduler);
a pool of server-side workers can take its place without any page changing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence

import streamlit as st

from ae_core import Dataset, History, LearnerError, RunSpec, Trainer, build_trainer
from ui.charts import loss_figure
from ui.fmt import fr, seconds
from ui.shell import CPUS, THREADS, use_threads
from ui.state import state

TICK_S = 0.3  # fragment period while training
CHUNK_S = float(os.environ.get("AE_CHUNK_SECONDS", "0.25"))  # training time per tick
MAX_TRAININGS = int(os.environ.get("AE_MAX_TRAININGS", max(1, CPUS // THREADS)))
UNEXPECTED = ("L'entraînement s'est arrêté sur une erreur inattendue. Réinitialisez puis relancez ; "
              "si cela se reproduit, prévenez votre enseignant.")
log = logging.getLogger(__name__)


class Job:
    """Trainers for `specs`, built and run one after another on `data`, one chunk at a time.

    The first trainer is built at once, so a spec that cannot be trained fails at start. A lock
    lets a job shared between sessions be advanced by whichever session asks, never two at once.
    """

    def __init__(self, specs: Sequence[RunSpec], data: Dataset):
        self.specs, self.data = tuple(specs), data
        self.trainers = [build_trainer(self.specs[0], data)]
        self.running = True
        self.error: str | None = None
        self._lock = threading.Lock()

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
        """Train for about `budget_s` seconds, unless the job is done or another session is advancing it."""
        if self.done or not self._lock.acquire(blocking=False):
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
            self._lock.release()


class InlineScheduler:
    """Chunks run in the learner's fragment ticks, at most `slots` at once in the process."""

    def __init__(self, slots: int):
        self.slots = threading.BoundedSemaphore(slots)

    def poll(self, job: Job) -> bool:
        """Give a running job one chunk; False when no slot freed up within a tick (it waits)."""
        if not job.running or job.done:
            return True
        if not self.slots.acquire(timeout=TICK_S):
            return False
        try:
            use_threads()  # fragment reruns may run in a new thread
            job.advance(CHUNK_S)
        finally:
            self.slots.release()
        return True


@st.cache_resource
def scheduler() -> InlineScheduler:
    """The process-wide scheduler (AE_MAX_TRAININGS chunks at once)."""
    return InlineScheduler(MAX_TRAININGS)


# --- a learner's own job ----------------------------------------------------------------------

def _start(key: str, spec: RunSpec, data: Dataset) -> None:
    state.pop(f"{key}_error", None)
    try:
        state[key] = Job([spec], data)
    except LearnerError as exc:
        state.pop(key, None)
        state[f"{key}_error"] = f"Impossible de démarrer : {exc}"


def _toggle(key: str) -> None:
    state[key].running = not state[key].running


def _reset(key: str) -> None:
    state.pop(key, None)


def train_ui(key: str, spec: RunSpec, data: Dataset, start_label: str = "Démarrer l'entraînement",
             live: Callable[[Trainer], None] | None = None) -> Trainer | None:
    """Start / pause / resume / reset buttons and the live progress of the learner's job in state[key].

    Start trains `spec` on `data` (widgets moved later apply at the next start); a job trained on
    other data than the page now shows is put aside. `live(trainer)` draws extra live content.
    Returns the job's trainer, or None before any start.
    """
    job = state.get(key)
    if job is not None and job.specs[0].dataset != spec.dataset:
        state.pop(key)
        job = None
    cols = st.columns([2, 1, 1, 2])
    cols[0].button(start_label, key=f"{key}_start", type="primary", on_click=_start, args=(key, spec, data),
                   disabled=job is not None and job.running and not job.done)
    if job is not None and not job.done:
        cols[1].button("Pause" if job.running else "Reprendre", key=f"{key}_toggle", on_click=_toggle, args=(key,))
    if job is not None:
        cols[2].button("Réinitialiser", key=f"{key}_reset", on_click=_reset, args=(key,))
        cols[3].toggle("Échelle log", key=f"{key}_log")
    job = state.get(key)
    if job is None:
        if f"{key}_error" in state:
            st.error(state[f"{key}_error"])
        return None
    _panel(key, job, live)
    return job.trainer


def _panel(key: str, job: Job, live: Callable[[Trainer], None] | None = None) -> None:
    @st.fragment(run_every=TICK_S if job.running and not job.done else None)
    def panel():
        if not scheduler().poll(job):
            st.info("Patientez : d'autres entraînements occupent le serveur, le vôtre reprend dans un instant.")
        if job.error:
            st.error(job.error)
        progress_ui(key, job)
        if live:
            live(job.trainer)
        if job.running and job.done:
            job.running = False
            st.rerun()  # stop the ticks and let the page draw its results

    panel()


def progress_ui(key: str, job: Job) -> None:
    """Progress bar with time left and speed, and the loss curves of the running trainer."""
    t = job.trainer
    h, epochs = t.history, t.config.epochs
    left = t.elapsed / t.progress * (1 - t.progress) if t.progress else 0
    speed = f" · {fr(h.samples_per_s[-1], ',.0f')} images/s" if h.samples_per_s else ""
    model = f"Modèle {len(job.trainers)}/{len(job.specs)} · " if len(job.specs) > 1 else ""
    st.progress(job.progress, text=f"{model}Époque {min(t.epoch + 1, epochs)}/{epochs} · "
                f"{seconds(t.elapsed)} écoulées · reste ~{seconds(left)}{speed}")
    if h.train_loss:
        st.plotly_chart(loss_figure(h, state.get(f"{key}_log", False), t.diverged_at),
                        key=f"{key}_chart_{len(job.trainers)}_{len(h.train_loss)}")


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


def shared_train_ui(key: str, specs: tuple[RunSpec, ...], data: Dataset, start_label: str) -> list[History] | None:
    """A deterministic job trained once per process for every learner, through the same training slots.

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
        @st.fragment(run_every=TICK_S)
        def panel():
            scheduler().poll(entry)
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
