"""Pieces every page shares: datasets loaded once, the current model, the sidebar, lessons and quizzes."""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
import torch
from torch import nn

from ae_core import DATASETS, Dataset, DatasetUnavailable, History, ModelConfig, load_dataset
from ae_core.images import upscale

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
CPUS = os.cpu_count() or 1
# One thread per training and as many trainings as cores: several learners train at once, and
# threads that outnumber the cores make every chunk many times slower (measured: 15-30x).
THREADS = int(os.environ.get("AE_TORCH_THREADS", "1"))


# Training threads hand the GIL back and forth around every small torch operation; when other
# sessions render pages meanwhile, the default 5 ms hand-over makes every step wait. A shorter
# interval keeps many learners training at once (measured with the load test: see README).
sys.setswitchinterval(float(os.environ.get("AE_SWITCH_INTERVAL", "0.0005")))


def use_threads() -> None:
    """Limit torch to THREADS threads in the calling thread.

    The setting is per thread: each Streamlit script run has its own thread, which would otherwise
    use every core (measured: 3 learners on 2 cores slowed down 30-fold).
    """
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
    use_threads()
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


# --- numbers ----------------------------------------------------------------------------------

def fr(value: float, spec: str = ".4f") -> str:
    """A number written the French way: 12 345,6 (decimal comma, narrow space between thousands)."""
    return format(value, spec).replace(",", "\u202f").replace(".", ",")
