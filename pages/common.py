"""Pieces every page shares: datasets loaded once, lessons and quizzes, live training, the current model."""

from __future__ import annotations

import logging
import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
import torch
from torch import nn

from ae_core import (DATASETS, Dataset, DatasetUnavailable, History, ModelConfig, Trainer,
                     TrainingDiverged, load_dataset)
from ae_core.images import upscale

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
TICK_S = 0.3  # fragment period while training
CHUNK_S = float(os.environ.get("AE_CHUNK_SECONDS", "0.25"))  # training time per tick
CPUS = os.cpu_count() or 1
# One thread per training and as many trainings as cores: several learners train at once, and
# threads that outnumber the cores make every chunk many times slower (measured: 15-30x).
THREADS = int(os.environ.get("AE_TORCH_THREADS", "1"))
MAX_TRAININGS = int(os.environ.get("AE_MAX_TRAININGS", max(1, CPUS // THREADS)))
log = logging.getLogger(__name__)

# torch's thread pool is process-wide: set once, when the first page imports this module.
torch.set_num_threads(THREADS)

# Streamlit runs an app that has a pages/ folder as a plain folder of pages until app.py has called
# st.navigation once in this process. When the first visitor opens a page by its address, that
# page would run alone, without the router and its sidebar: switch that mode off and rerun the
# same address through app.py. (This runs once, when a page first imports this module.)
if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()


# --- datasets ---------------------------------------------------------------------------------

@st.cache_resource(show_spinner="Chargement du jeu de données…")
def _load(name: str) -> Dataset:
    return load_dataset(name)  # shared by every session, never mutated


def get_dataset(name: str) -> Dataset:
    """The dataset `name`, loaded once per process; digits (with a French error) when it cannot be had."""
    try:
        return _load(name)
    except DatasetUnavailable as exc:
        st.error(str(exc))
        return _load("digits")


def _on_dataset_change():
    # Try the download now, so a failure can put the selector back on digits before it is drawn.
    try:
        _load(st.session_state.dataset)
        st.session_state.pop("dataset_error", None)
    except DatasetUnavailable as exc:
        st.session_state.dataset_error = str(exc)
        st.session_state.dataset = "digits"


def current_dataset() -> Dataset:
    """The dataset the learner chose in the sidebar (digits by default)."""
    return get_dataset(st.session_state.get("dataset", "digits"))


# --- the current model ------------------------------------------------------------------------

@dataclass
class CurrentModel:
    """« Le modèle courant »: trained on the page Entraîner, or uploaded."""

    model: nn.Module
    config: ModelConfig
    dataset: str
    history: History | None = None


def set_current_model(current: CurrentModel) -> None:
    current.model.eval()
    st.session_state.current_model = current


def current_model() -> CurrentModel | None:
    """The learner's current model when it was trained on the dataset now in use, else None."""
    current = st.session_state.get("current_model")
    if current is None or current.dataset != st.session_state.get("dataset", "digits"):
        return None
    return current


def model_summary(config: ModelConfig) -> str:
    """A short French description of a model configuration."""
    arch = "perceptron multicouche" if config.arch == "mlp" else "convolutif"
    if config.latent_dim is None:
        return f"{arch}, sans goulot linéaire (code de {config.code_dim} nombres)"
    return f"{arch}, espace latent de dimension {config.latent_dim}"


def persist(**defaults) -> None:
    """Give widget keys their defaults and keep their values when the learner visits another page.

    Streamlit drops the state of widgets that a run does not draw; sidebar_ui() writes these keys
    back on every run, which keeps them. Widgets using them must not pass a default value.
    """
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault("_persist", set()).update(defaults)


# Streamlit writes a few words of its own in English; these rules put French ones in their place.
FRENCH_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Choisir un fichier"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "ou glissez-le ici (5 Mo au plus)"; font-size: 0.875rem; }
[data-testid="stStatusWidget"] { visibility: hidden; }
</style>"""


def sidebar_ui() -> None:
    """Dataset selector and the state of the current model, on every page."""
    for key in st.session_state.get("_persist", ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    st.html(FRENCH_CSS)
    with st.sidebar:
        st.selectbox("Jeu de données", list(DATASETS), format_func=DATASETS.get, key="dataset",
                     on_change=_on_dataset_change,
                     help="Utilisé par toutes les pages. « Chiffres » fonctionne sans réseau.")
        if "dataset_error" in st.session_state:
            st.error(st.session_state.pop("dataset_error"))
        st.markdown("**Le modèle courant**")
        current = st.session_state.get("current_model")
        training = st.session_state.get("train_running", False)
        if training:
            st.info("En cours d'entraînement…")
        elif current is None:
            st.caption("Non entraîné : rendez-vous sur la page « Entraîner ».")
        else:
            st.success(f"Entraîné sur {DATASETS[current.dataset]}")
            st.caption(model_summary(current.config))


# --- lessons and quizzes ----------------------------------------------------------------------

def load_quiz(page_id: str) -> list[dict]:
    """Questions of lessons/<page_id>.toml: question, choices, answer (index), explanation."""
    with open(LESSONS / f"{page_id}.toml", "rb") as f:
        return tomllib.load(f)["questions"]


def quiz_score() -> tuple[int, int]:
    """(right answers, questions answered) over all quizzes of this session."""
    answers = [ok for page in st.session_state.get("quiz", {}).values() for ok in page.values()]
    return sum(answers), len(answers)


def _record_answer(page_id: str, i: int, answer: int) -> None:
    # A callback, so the score is up to date before any part of the page draws it.
    choice = st.session_state[f"quiz_{page_id}_{i}"]
    results = st.session_state.setdefault("quiz", {}).setdefault(page_id, {})
    if choice is None:
        results.pop(i, None)
    else:
        results[i] = choice == answer


def lesson_ui(page_id: str, expanded: bool = False) -> None:
    """The page's lesson (lessons/<page_id>.md) and its quiz, in one collapsible block."""
    with st.expander("Leçon et quiz", expanded=expanded, icon=":material/menu_book:"):
        st.markdown((LESSONS / f"{page_id}.md").read_text(encoding="utf-8"))
        st.markdown("#### Quiz")
        for i, q in enumerate(load_quiz(page_id)):
            choice = st.radio(q["question"], range(len(q["choices"])), index=None,
                              format_func=lambda j, q=q: q["choices"][j], key=f"quiz_{page_id}_{i}",
                              on_change=_record_answer, args=(page_id, i, q["answer"]))
            if choice is None:
                continue
            if choice == q["answer"]:
                st.success(f"Bonne réponse. {q['explanation']}")
            else:
                st.error(f"Pas tout à fait. La bonne réponse : « {q['choices'][q['answer']]} ». "
                         f"{q['explanation']}")


# --- images -----------------------------------------------------------------------------------

def show_images(images: torch.Tensor, captions: list[str] | None = None, size: int = 112) -> None:
    """A row of images (N, C, H, W) in [0, 1], upscaled without blur."""
    for col, img, cap in zip(st.columns(len(images)), upscale(images, size),
                             captions or [None] * len(images)):
        col.image(img, caption=cap, width=size)


# --- live training ----------------------------------------------------------------------------

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


def fr(value: float, spec: str = ".4f") -> str:
    """A number written the French way: 12 345,6 (decimal comma, narrow space between thousands)."""
    return format(value, spec).replace(",", "\u202f").replace(".", ",")


def _fmt_s(seconds: float) -> str:
    return f"{fr(seconds, '.1f')} s"


def _advance(key: str, trainer: Trainer) -> None:
    slots = _training_slots()
    if not slots.acquire(timeout=TICK_S):
        st.info("Patientez : d'autres entraînements occupent le serveur, le vôtre reprend dans un instant.")
        return
    try:
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
