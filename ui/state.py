"""What the process shares and what a session remembers: datasets, the current model, widget values, memos."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass
from typing import Any

import streamlit as st
from torch import nn

from ae_core import (
    DATASETS,
    CheckpointError,
    Dataset,
    DatasetUnavailable,
    History,
    ModelConfig,
    PCABaseline,
    load_checkpoint,
    load_dataset,
    manifold_dataset,
    save_checkpoint,
    train_val_split,
)
from ae_core.beats import beat_dataset
from ae_core.checkpoint import check_outputs
from ae_core.data import DEFAULT_DATASET, default_data_dir
from ae_core.ecg5000 import load_ecg5000
from ae_core.sound_bytes import code_sound_set
from ae_core.sound_windows import SoundSet, sound_set
from ui import saved

state = st.session_state


# --- datasets, loaded once per process --------------------------------------------------------

@st.cache_resource(show_spinner="Chargement du jeu de données…")
def _load(name: str) -> Dataset:
    return load_dataset(name)  # shared by every session, never mutated


@st.cache_resource
def beats(noise: float = 0.0) -> Dataset:
    """The synthetic heartbeats (ae_core.beats): 2,000 training and 1,000 test beats, with a recording's white
    noise of `noise` standard deviations, shared by every session."""
    return beat_dataset(noise=noise)


@st.cache_resource(ttl=600, show_spinner="Téléchargement des battements réels ECG5000…")
def _ecg5000(folder: str) -> Dataset | str:
    """ECG5000 (ae_core.ecg5000) from `folder`, downloaded there once, or the French message saying why it
    cannot be had: a failure is kept ten minutes, so that a class without network waits once, not per learner."""
    try:
        return load_ecg5000(folder)
    except DatasetUnavailable as exc:
        return str(exc)


def real_beats() -> Dataset | str:
    """The real heartbeats of ECG5000, shared by every session, or why they cannot be had (in French)."""
    return _ecg5000(str(default_data_dir()))


@st.cache_resource
def sounds() -> SoundSet:
    """The synthetic notes and vowels (ae_core.sound_windows) and their windows, shared by every session."""
    return sound_set()


@st.cache_resource
def code_sounds() -> SoundSet:
    """The sounds a compressing autoencoder learns on (ae_core.sound_bytes): 160 training, the same 8 test sounds."""
    return code_sound_set()


@st.cache_resource
def manifold(name: str) -> Dataset:
    """A 3-D point cloud (1,000 points) as a Dataset, shared by every session."""
    return manifold_dataset(name, 1000, seed=0)


def get_dataset(name: str) -> Dataset:
    """The dataset `name`, loaded once per process; digits (with a French error) when it cannot be had."""
    try:
        return _load(name)
    except DatasetUnavailable as exc:
        st.error(str(exc))
        return _load(DEFAULT_DATASET)


def on_dataset_change() -> None:
    """Try the download now, so a failure can put the selector back on digits before it is drawn."""
    try:
        _load(state.dataset)
        state.pop("dataset_error", None)
    except DatasetUnavailable as exc:
        state.dataset_error = str(exc)
        state.dataset = DEFAULT_DATASET


@st.cache_data(show_spinner="Calcul de l'ACP de référence…")
def pca_val_mse(dataset: str, k: int) -> float:
    """Validation MSE of PCA with k components fitted on the training split."""
    data = get_dataset(dataset)
    train_idx, val_idx = train_val_split(data)
    return float(PCABaseline(data.images[train_idx], k).errors(data.images[val_idx]).mean())


def current_dataset() -> Dataset:
    """The dataset the learner chose in the sidebar (digits by default)."""
    return get_dataset(state.get("dataset", DEFAULT_DATASET))


# --- the current model ------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CurrentModel:
    """« Le modèle courant »: trained on the page Entraîner (`key` is its run spec) or uploaded
    (`key` names the file's content). Memos of what was computed from it key on `key`."""

    model: nn.Module
    config: ModelConfig
    dataset: str
    key: Hashable
    history: History | None = None


def set_current_model(current: CurrentModel, keep: bool = True) -> None:
    """Make `current` the learner's current model, kept for their next session too (ui.saved)."""
    current.model.eval()
    state.current_model = current
    if keep:
        history = json.dumps({**asdict(current.history), "codes": []}) if current.history is not None else ""
        saved.keep(checkpoint=save_checkpoint(current.model, current.config, {"dataset": current.dataset}),
                   dataset=current.dataset, history=history)


def restore_model() -> None:
    """The current model kept from this learner's earlier session, checked as an upload is; else nothing."""
    entry = saved.store().get(saved.token())
    if entry is None or not entry.checkpoint or entry.dataset not in DATASETS:
        return
    try:
        model, config, _ = load_checkpoint(entry.checkpoint)
        history = History(**json.loads(entry.history)) if entry.history else None
    except (CheckpointError, TypeError, ValueError):
        saved.keep(checkpoint=b"", dataset="", history="")
        return
    key = ("saved", hashlib.sha256(entry.checkpoint).hexdigest())
    set_current_model(CurrentModel(model, config, entry.dataset, key, history), keep=False)
    state.setdefault("dataset", entry.dataset)


def current_model() -> CurrentModel | None:
    """The learner's current model when it fits the dataset the pages now show, else None.

    The dataset shown is the one actually loaded: when MNIST cannot be had the pages fall back to the
    digits, and a 28 x 28 model must not meet 8 x 8 images.
    """
    current, chosen = state.get("current_model"), state.get("dataset", DEFAULT_DATASET)
    try:
        shown = _load(chosen).name
    except DatasetUnavailable:
        shown = DEFAULT_DATASET  # what get_dataset falls back to
    return current if current is not None and current.dataset == shown else None


def adopt_checkpoint(content: bytes) -> str:
    """Make the model in checkpoint bytes the current one and switch to its dataset; returns the dataset's name.

    Raises CheckpointError (French) and changes nothing when the file cannot be used, its dataset
    included: a model of a dataset that cannot be loaded here would fit no image the pages show.
    """
    model, config, meta = load_checkpoint(content)
    name = meta.get("dataset")
    if name not in DATASETS:
        raise CheckpointError("Ce modèle n'indique pas sur quel jeu de données il a été entraîné.")
    try:
        data = _load(name)
    except DatasetUnavailable as exc:
        raise CheckpointError(f"Ce modèle a été entraîné sur {DATASETS[name]}, indisponible ici : {exc}") from exc
    check_outputs(model, data.images)
    state.dataset = name
    set_current_model(CurrentModel(model, config, name, ("upload", hashlib.sha256(content).hexdigest())))
    return name


# --- widget values and memos ------------------------------------------------------------------

def persist(**defaults) -> None:
    """Give widget keys their defaults and keep their values when the learner visits another page.

    Streamlit drops the state of widgets that a run does not draw; keep_widgets() writes these keys
    back on every run, which keeps them. Widgets using them must not pass a default value.
    """
    for key, value in defaults.items():
        state.setdefault(key, value)
    state.setdefault("_persist", set()).update(defaults)


def keep_widgets() -> None:
    """Write the persisted widget values back (see persist); called once per run by the shell."""
    for key in state.get("_persist", ()):
        if key in state:
            state[key] = state[key]


def memo(name: str, key: Hashable, compute: Callable[[], Any]) -> Any:
    """compute() once per `key` (a run spec, a model's key, plain values), kept in this session.

    One entry per name: a new key replaces the old result, so memory stays bounded.
    """
    memos = state.setdefault("_memo", {})
    if name not in memos or memos[name][0] != key:
        memos[name] = (key, compute())
    return memos[name][1]


def remember_click(chart_key: str, target_key: str) -> None:
    """on_select callback of a plotly chart: keep the clicked point's customdata id in state[target_key].

    A click on empty space gives no point and keeps the last choice; the id outlives the chart, which
    becomes a new element (with an empty selection) when its figure changes.
    """
    points = state[chart_key]["selection"]["points"]
    if points and points[0].get("customdata") is not None:
        custom = points[0]["customdata"]
        state[target_key] = int(custom[0] if isinstance(custom, list | tuple) else custom)
