"""Widgets for the learner's own files: a model to save or load, a CSV table, an image to score."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st
import torch

from ae_core import DATASETS, CheckpointError, save_checkpoint
from ae_core.anomaly import scores
from ae_core.image_reader import read_image
from ae_core.readers import ReaderError, breast_cancer_csv, parse_csv, prepare_table
from ui.draw import drawing_ui
from ui.errors import callback
from ui.fmt import fr
from ui.images import gallery
from ui.state import CurrentModel, adopt_checkpoint, memo, persist, state

NO_LABEL = "(aucune)"


def _load_model(key: str) -> None:
    file = state.get(f"{key}_upload")
    if file is not None:
        try:
            name = adopt_checkpoint(file.getvalue())
            state[f"{key}_upload_ok"] = f"Modèle chargé : il devient le modèle courant ({DATASETS[name]})."
        except CheckpointError as exc:
            state[f"{key}_upload_error"] = str(exc)


def checkpoint_ui(key: str, current: CurrentModel | None) -> None:
    """Download the current model; upload one saved by the app, which becomes current (a bad file changes nothing)."""
    if current is not None:
        st.download_button("Télécharger le modèle courant (.pt)", key=f"{key}_download",
                           data=save_checkpoint(current.model, current.config, {"dataset": current.dataset}),
                           file_name=f"autoencodeur_{current.dataset}.pt", mime="application/octet-stream")
    st.file_uploader("Charger un modèle enregistré par l'atelier", type=["pt"], key=f"{key}_upload",
                     on_change=callback(_load_model), args=(key,))
    if f"{key}_upload_error" in state:
        st.error(state.pop(f"{key}_upload_error"))
    if f"{key}_upload_ok" in state:
        st.success(state.pop(f"{key}_upload_ok"))


@st.cache_data
def example_csv() -> bytes:
    return breast_cancer_csv(n_anomalies=20, seed=0)


def image_score_ui(trainer, data, threshold: float) -> None:
    """A drawn digit or an uploaded PNG or JPEG, turned into a dataset image, reconstructed and scored."""
    st.markdown("**Votre image** : dessinez un chiffre, ou importez une image PNG ou JPEG (convertie en niveaux "
                "de gris, recadrée, redimensionnée, inversée si le fond est clair).")
    drawing, upload = st.tabs(["Dessiner", "Importer une image"])
    with drawing:
        left, right = st.columns([1, 2])
        with left:
            x = drawing_ui("anomalies_drawing", data.image_shape)
        with right:
            _score_ui(trainer, x, threshold, "votre dessin")
    with upload:
        file = st.file_uploader("Image à tester", type=["png", "jpg", "jpeg"], key="anomalies_image")
        if file is not None:
            try:
                _score_ui(trainer, read_image(file.getvalue(), data.image_shape), threshold, "votre image")
            except ReaderError as exc:
                st.error(str(exc))


def _score_ui(trainer, x, threshold: float, name: str) -> None:
    if x is None:
        st.caption("Son score et le verdict du seuil apparaîtront ici.")
        return
    s = float(scores(trainer.model, x)[0])
    gallery(trainer.model, (x * 255).round().to(torch.uint8), [name], np.array([s]), name.capitalize())
    verdict = "signalée comme **anomalie**" if s > threshold else "jugée **normale**"
    st.markdown(f"Score {fr(s, '.5f')} pour un seuil de {fr(threshold, '.5f')} : {verdict}.")


def _attempt(read, *args):
    """read(*args), or the ReaderError it raised: a bad file is read once too."""
    try:
        return read(*args)
    except ReaderError as exc:
        return exc


def table_ui():
    """Source, label column and anomaly value; returns (Table, is_anomaly or None, file name), or Nones."""
    persist(anomalies_source="example")
    source = st.radio("Données", ["example", "upload"], key="anomalies_source", horizontal=True,
                      format_func={"example": "Exemple intégré : tumeurs du sein (scikit-learn)",
                                   "upload": "Mon fichier CSV"}.get)
    if source == "example":
        st.caption("Chaque ligne décrit une tumeur par 30 mesures ; toutes les tumeurs bénignes et 20 "
                   "malignes (20 / 377 ≈ 5 %), que l'on traite comme des anomalies.")
        content, name = example_csv(), "tumeurs_du_sein.csv"
    else:
        file = st.file_uploader("Fichier CSV : des colonnes de nombres, une ligne par exemple (5\u00a0Mo au plus)",
                                type=["csv", "txt", "tsv"], key="anomalies_csv")
        if file is None:
            return None, None, None
        content, name = file.getvalue(), file.name
    digest = hashlib.sha256(content).hexdigest()  # read once per file, not on every rerun
    read = memo("anomalies_csv", digest, lambda: _attempt(parse_csv, content))
    if isinstance(read, ReaderError):
        st.error(str(read))
        return None, None, None
    frame, notes = read
    columns = [NO_LABEL, *frame.columns]
    label = st.selectbox("Colonne d'étiquettes (facultative)", columns, key=f"anomalies_label_{name}",
                         index=columns.index("diagnostic") if "diagnostic" in columns else 0,
                         help="Elle n'est pas utilisée pour entraîner, seulement pour évaluer (ROC, AUC).")
    label = None if label == NO_LABEL else label
    table = memo("anomalies_table", (digest, label), lambda: _attempt(prepare_table, frame, label, notes))
    if isinstance(table, ReaderError):
        st.error(str(table))
        return None, None, None
    for note in table.notes:
        st.caption(note)
    if table.labels is None:
        return table, None, name
    counts = table.labels.astype(str).value_counts()
    if not 2 <= len(counts) <= 20:
        st.warning("La colonne d'étiquettes doit prendre entre 2 et 20 valeurs : elle est ignorée.")
        return table, None, name
    value = st.selectbox("Valeur qui désigne une anomalie", list(counts.index[::-1]),
                         key=f"anomalies_value_{name}_{label}")
    return table, table.label_mask(value), name
