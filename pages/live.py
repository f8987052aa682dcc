"""Live training: a trainer advanced one short chunk per fragment tick, under a process-wide cap."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from ae_core import DatasetUnavailable, History, Trainer, TrainingDiverged
from pages.common import CPUS, THREADS, fr, use_threads

TICK_S = 0.3  # fragment period while training
CHUNK_S = float(os.environ.get("AE_CHUNK_SECONDS", "0.25"))  # training time per tick
MAX_TRAININGS = int(os.environ.get("AE_MAX_TRAININGS", max(1, CPUS // THREADS)))
log = logging.getLogger(__name__)


@st.cache_resource
def _training_slots() -> threading.BoundedSemaphore:
    """How many training chunks may run at once in this process (AE_MAX_TRAININGS)."""
    return threading.BoundedSemaphore(MAX_TRAININGS)


def loss_figure(history: History, log_y: bool = False, diverged_at: int | None = None) -> go.Figure:
    """Train and validation loss per epoch."""
    epochs = list(range(1, len(history.train_loss) + 1))
    fig = go.Figure([go.Scatter(x=epochs, y=history.train_loss, name="entraînement", mode="lines+markers"),
                     go.Scatter(x=epochs, y=history.val_loss, name="validation", mode="lines+markers")])
    if diverged_at is not None:
        fig.add_vline(x=diverged_at + 1, line_dash="dash", line_color="red",
                      annotation_text="divergence")
    fig.update_layout(xaxis_title="époque", yaxis_title="perte", height=300,
                      margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.15))
    fig.update_yaxes(type="log" if log_y else "linear")
    return fig


def _fmt_s(seconds: float) -> str:
    return f"{fr(seconds, '.1f')} s"


def _advance(key: str, trainer: Trainer) -> None:
    slots = _training_slots()
    if not slots.acquire(timeout=TICK_S):
        st.info("Patientez : d'autres entraînements occupent le serveur, le vôtre reprend dans un instant.")
        return
    try:
        use_threads()  # fragment reruns may run in a new thread
        trainer.step(CHUNK_S)
    except TrainingDiverged as exc:
        st.session_state[f"{key}_error"] = str(exc)
    except Exception:  # noqa: BLE001 - the learner gets a French message, the log gets the trace
        log.exception("training chunk failed")
        st.session_state[f"{key}_error"] = "L'entraînement s'est arrêté sur une erreur inattendue."
    finally:
        slots.release()


def _progress_ui(key: str, trainer: Trainer) -> None:
    h, cfg = trainer.history, trainer.config
    left = trainer.elapsed / trainer.progress * (1 - trainer.progress) if trainer.progress else 0
    speed = f" · {fr(h.samples_per_s[-1], ',.0f')} images/s" if h.samples_per_s else ""
    st.progress(trainer.progress, text=f"Époque {min(trainer.epoch + 1, cfg.epochs)}/{cfg.epochs} · "
                f"{_fmt_s(trainer.elapsed)} écoulées · reste ~{_fmt_s(left)}{speed}")
    if h.train_loss:
        log_y = st.session_state.get(f"{key}_log", False)
        st.plotly_chart(loss_figure(h, log_y, trainer.diverged_at), key=f"{key}_chart_{len(h.train_loss)}")


def train_ui(key: str, make_trainer: Callable[[], Trainer], start_label: str = "Démarrer l'entraînement",
             live: Callable[[Trainer], None] | None = None) -> Trainer | None:
    """Start / pause / resume / reset buttons and a live view that trains one chunk per tick.

    The trainer lives in st.session_state[key], so widgets moved meanwhile never stop it;
    `live(trainer)` draws extra live content (for example reconstructions) under the chart.
    """
    state, running_key = st.session_state, f"{key}_running"

    def start():
        state.pop(f"{key}_error", None)
        try:
            state[key] = make_trainer()
            state[running_key] = True
        except (ValueError, DatasetUnavailable) as exc:
            state[f"{key}_error"] = f"Impossible de démarrer : {exc}"

    def toggle():
        state[running_key] = not state.get(running_key, False)

    def reset():
        for k in (key, running_key, f"{key}_error"):
            state.pop(k, None)

    trainer = state.get(key)
    cols = st.columns([2, 1, 1, 2])
    cols[0].button(start_label, key=f"{key}_start", type="primary", on_click=start,
                   disabled=bool(trainer and state.get(running_key)))
    if trainer is not None and not trainer.done:
        cols[1].button("Pause" if state.get(running_key) else "Reprendre", key=f"{key}_toggle",
                       on_click=toggle)
    if trainer is not None:
        cols[2].button("Réinitialiser", key=f"{key}_reset", on_click=reset)
        cols[3].toggle("Échelle log", key=f"{key}_log")
    trainer = state.get(key)
    if trainer is None:
        if f"{key}_error" in state:
            st.error(state[f"{key}_error"])
        return None

    @st.fragment(run_every=TICK_S if state.get(running_key) else None)
    def panel():
        if state.get(running_key) and not trainer.done and f"{key}_error" not in state:
            _advance(key, trainer)
        if f"{key}_error" in state:
            st.error(state[f"{key}_error"])
        _progress_ui(key, trainer)
        if live:
            live(trainer)
        if state.get(running_key) and (trainer.done or f"{key}_error" in state):
            state[running_key] = False
            st.rerun()  # stop the ticks and let the page draw its results

    panel()
    return trainer
