"""Live training on a page: start, pause, resume and reset buttons, and panels that show a job's progress.

The training itself runs on the server (runner.jobs): a panel only looks, and redraws less often when
many jobs are in line. A page gets a `Run` back: every trainer of its job, never the job itself.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ae_core import Dataset, History, LearnerError, RunSpec, Trainer
from runner import estimate
from runner.jobs import Job, pool
from ui import seance
from ui.charts import loss_figure, plot
from ui.errors import callback, fragment
from ui.fmt import duration, fr, held_out, seconds
from ui.state import state

# How often a panel redraws while its job runs: TICK_S, and slower when many jobs are in line. The
# training does not wait for it, but every redraw takes the server's GIL from the trainings (with 30
# learners redrawing each second, the server spent its time drawing and the trainings crawled).
TICK_S = 1.0
TICK_PER_JOB_S = 0.3
# Each job's loss figure and what it shows: built once an epoch (~10 ms), for every session that looks.
_figures: weakref.WeakKeyDictionary[Job, tuple] = weakref.WeakKeyDictionary()
_figures_lock = threading.Lock()
log = logging.getLogger(__name__)


def owner() -> str:
    """The session asking: its jobs queue behind each other."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "local"


@dataclass(frozen=True)
class Run:
    """What a page gets of a learner's job: its specs and every trainer built so far (in order)."""

    specs: tuple[RunSpec, ...]
    trainers: tuple[Trainer, ...]
    trained: bool  # every spec trained without error: the models are ready to use

    @property
    def trainer(self) -> Trainer:
        """The last trainer: the one running, or the last spec's once all are done."""
        return self.trainers[-1]

    @classmethod
    def of(cls, job: Job) -> Run:
        return cls(job.specs, tuple(job.trainers), job.trained)


def estimate_ui(specs: tuple[RunSpec, ...], data: Dataset, who: str, finished: tuple[Trainer, ...] = ()) -> None:
    """Before a start: how long the training should take on this server, counting the trainings in line."""
    try:
        done = {t.spec for t in finished if t.trained}
        own = sum(estimate.training_s(spec, data) for spec in specs if spec not in done)
        total, others = pool().finish_s(who, own)
    except Exception:  # noqa: BLE001 - an estimate must never keep a learner from training
        log.exception("estimating a training's duration failed")
        return
    text = f"Durée prévue sur ce serveur : {'' if total < 1 else 'environ '}{duration(total)}"
    if others:
        plural = "s" if others > 1 else ""
        text += f", dont l'attente derrière {others} autre{plural} entraînement{plural} en cours"
    st.caption(text + ".")


# --- a learner's own job ----------------------------------------------------------------------

def _start(key: str, spec: RunSpec | tuple[RunSpec, ...], data: Dataset, submit: bool = True) -> None:
    state.pop(f"{key}_error", None)
    old = state.pop(key, None)
    if old is not None:
        old.pause()
    try:
        state[key] = Job(spec if isinstance(spec, tuple) else [spec], data)
    except LearnerError as exc:
        state[f"{key}_error"] = f"Impossible de démarrer : {exc}"
        return
    state[key].on_done = seance.result_poster(key, spec)  # a class experiment's result goes to the board
    if submit:
        pool().submit(state[key], owner())


def _step(key: str, spec: RunSpec, data: Dataset, batches: int | None) -> None:
    """« Un pas » (batches=1) or « Une époque » (None): a new paused job when there is none yet. A finished
    job is left as it is (its page no longer offers these buttons)."""
    job = state.get(key)
    if job is not None and job.done:
        return
    if job is None:
        _start(key, spec, data, submit=False)
        job = state.get(key)
    if job is not None:
        job.step_batches(batches)


def _toggle(key: str) -> None:
    job = state[key]
    if job.running:
        job.pause()
    else:
        pool().submit(job, owner())


def _reset(key: str) -> None:
    job = state.pop(key, None)
    if job is not None:
        job.pause()


def train_ui(key: str, spec: RunSpec | tuple[RunSpec, ...], data: Dataset, start_label: str = "Démarrer l'entraînement",
             live: Callable[[Trainer, tuple], None] | None = None) -> Run | None:
    """Start / pause / resume / reset buttons and the live progress of the learner's job in state[key].

    Start trains `spec` on `data` (widgets moved later apply at the next start); a job trained on
    other data than the page now shows is put aside. `live(trainer, moment)` draws extra live content
    for `moment`, (epoch,) while training runs and (epoch, batch) while a teacher steps.
    « Un pas » and « Une époque » pause the job and advance it by one batch or to the epoch's end.
    A tuple of specs trains them one after the other in one job.
    Returns the job's Run (every trainer so far), or None before any start.
    """
    job = state.get(key)
    if job is not None and job.specs[0].dataset != (spec[0] if isinstance(spec, tuple) else spec).dataset:
        _reset(key)
        job = None
    if job is not None and job.done and job.running:
        job.running = False  # this full run draws the end: the panel stops asking for reruns
    # One wrapping row: every label whole, at any width and in mode classe's larger font.
    row = st.container(horizontal=True, vertical_alignment="center")
    row.button(start_label, key=f"{key}_start", type="primary", on_click=callback(_start), args=(key, spec, data),
                   disabled=job is not None and job.running)
    if job is not None and not job.done:
        row.button("Pause" if job.running else "Reprendre", key=f"{key}_toggle", on_click=callback(_toggle),
                       args=(key,))
    if job is None or not job.done:  # a finished run is not stepped on: « Réinitialiser », then a new one
        row.button("Un pas", key=f"{key}_step", on_click=callback(_step), args=(key, spec, data, 1),
                       help="Met en pause et entraîne sur un seul lot d'images : un pas de gradient.")
        row.button("Une époque", key=f"{key}_epoch", on_click=callback(_step), args=(key, spec, data, None),
                       help="Met en pause et entraîne jusqu'à la fin de l'époque en cours, validation comprise.")
    if job is not None:
        row.button("Réinitialiser", key=f"{key}_reset", on_click=callback(_reset), args=(key,))
        row.toggle("Échelle logarithmique", key=f"{key}_log")
    if job is None or not job.running:
        estimate_ui(spec if isinstance(spec, tuple) else (spec,), data, owner())
    if job is None:
        if f"{key}_error" in state:
            st.error(state[f"{key}_error"])
        return None
    _panel(key, job, live)
    return Run.of(job)


def tick_s() -> float:
    """Seconds between two redraws of a running job's panel: longer when the workers have more to do."""
    return max(TICK_S, TICK_PER_JOB_S * pool().waiting())


def _panel(key: str, job: Job, live: Callable[[Trainer, tuple], None] | None = None) -> None:
    @fragment(run_every=tick_s() if job.running else None)
    def panel():
        job.last_seen = time.monotonic()
        if job.error:
            st.error(job.error)
        progress_ui(key, job)
        if live:
            t = job.trainer
            with job.lock:  # not while a worker changes the weights
                # Redrawn once an epoch while training runs; after every step when a teacher steps.
                live(t, (t.epoch,) if job.running else (t.epoch, t.batch))
        if job.running and job.done:
            st.rerun()  # the whole page draws the results; asked again at every tick until it has

    panel()


def progress_ui(key: str, job: Job) -> None:
    """Progress bar with time left and speed, and the loss curves of the running trainer."""
    t = job.trainer
    h, epochs = t.history, t.config.epochs
    # The first batches carry the start-up cost: until a tenth is done, the server's estimate.
    left = t.elapsed / t.progress * (1 - t.progress) if t.progress >= 0.1 else job.remaining_s()
    speed = f" · {fr(h.samples_per_s[-1], ',.0f')} images/s" if h.samples_per_s else ""
    model = f"Modèle {len(job.trainers)}/{len(job.specs)} · " if len(job.specs) > 1 else ""
    waiting = " · en attente d'un processeur libre" if job.running and not job.done and not t.elapsed else ""
    step = f" · lot {t.batch}/{t.steps_per_epoch}" if t.batch else ""
    st.progress(job.progress, text=f"{model}Époque {min(t.epoch + 1, epochs)}/{epochs}{step} · "
                f"{seconds(t.elapsed)} écoulées · reste ~{seconds(left)}{speed}{waiting}")
    if h.batch_loss:
        view = (len(job.trainers), len(h.train_loss), state.get(f"{key}_log", False), t.diverged_at,
                None if job.running else len(h.batch_loss), state.get("class_mode"))
        with _figures_lock:
            shown = _figures.get(job)
            if shown is None or shown[0] != view:  # building a figure costs ~10 ms: once an epoch
                shown = _figures[job] = view, loss_figure(h, view[2], t.diverged_at, held_out(job.data, t.spec.rows),
                                                          t.steps_per_epoch)
        plot(st, shown[1], key=f"{key}_chart", caption="La perte pendant l'entraînement : elle doit descendre ; "
            "la courbe de validation dit si le modèle généralise.")


# --- one job for the whole class --------------------------------------------------------------

@dataclass
class SharedRun:
    """A deterministic job trained once for every learner: the job while it trains, then its
    histories (and its models, when kept)."""

    job: Job | None
    histories: list[History] | None = None
    models: list | None = None


@st.cache_resource
def _shared() -> tuple[dict[tuple[RunSpec, ...], SharedRun], threading.Lock]:
    """specs -> SharedRun, one dict for every session of the process."""
    return {}, threading.Lock()


def _start_shared(specs: tuple[RunSpec, ...], data: Dataset, finished: tuple[Trainer, ...] = ()) -> None:
    store, lock = _shared()
    with lock:
        if specs not in store:
            store[specs] = SharedRun(Job(specs, data, finished))
            pool().submit(store[specs].job, "shared")


def _cancel_shared(specs: tuple[RunSpec, ...]) -> None:
    store, lock = _shared()
    with lock:
        entry = store.pop(specs, None)
    if entry is not None and entry.job is not None:
        entry.job.pause()


def shared_train_ui(key: str, specs: tuple[RunSpec, ...], data: Dataset, start_label: str,
                    keep_models: bool = False, finished: tuple[Trainer, ...] = ()) -> list[History] | None:
    """A deterministic job trained once per process for every learner, by the same workers.

    Whoever starts it, every learner who opens the page sees its progress and then its result: the
    histories of its trainers. The models are let go, unless `keep_models` (then shared_models(specs)).
    None until then. A copy of a `finished` trainer of one of `specs` (the starter's own) stands for
    that training.
    """
    store, lock = _shared()
    entry = store.get(specs)
    if entry is None:
        st.button(start_label, key=f"{key}_start", on_click=callback(_start_shared), args=(specs, data, finished))
        estimate_ui(specs, data, "shared", finished)
        if f"{key}_error" in state:
            st.error(state.pop(f"{key}_error"))
        return None
    job = entry.job
    if job is None:
        return entry.histories
    if not job.running and not job.done:  # left alone too long, then visited again
        pool().submit(job, "shared")

    @fragment(run_every=tick_s())
    def panel():
        job.last_seen = time.monotonic()
        st.button("Annuler", key=f"{key}_cancel", on_click=callback(_cancel_shared), args=(specs,),
                  help="Arrête cet entraînement commun ; il pourra être relancé.")
        progress_ui(key, job)
        if job.done:
            with lock:
                if job.error:
                    store.pop(specs, None)
                    state[f"{key}_error"] = job.error
                elif entry.job is not None:
                    entry.histories = [t.history for t in job.trainers]
                    entry.models = [t.model.eval() for t in job.trainers] if keep_models else None
                    entry.job = None
            st.rerun()

    panel()
    return None


def shared_started(specs: tuple[RunSpec, ...]) -> bool:
    """Whether the class's job of `specs` has started (someone clicked; it may have trained since)."""
    return specs in _shared()[0]


def shared_models(specs: tuple[RunSpec, ...]) -> list | None:
    """The models of a shared job started with keep_models, once trained (shared: never train them)."""
    entry = _shared()[0].get(specs)
    return None if entry is None else entry.models


def last_run(key: str) -> Run | None:
    """The Run of the learner's job in state[key], whatever its data and state (None: no job)."""
    job = state.get(key)
    return None if job is None else Run.of(job)


def finished(key: str, dataset: str) -> Run | None:
    """The Run of the learner's job in state[key] once it trained on `dataset` without error, else None."""
    run = last_run(key)
    return run if run is not None and run.trained and run.specs[0].dataset == dataset else None
