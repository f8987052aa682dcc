"""Détection d'anomalies: reconstruction error as a score, thresholds, ROC/PR, baselines, own data."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from ae_core import Trainer
from ae_core.anomaly import (average_precision, baseline_scores, confusion_at, error_maps, image_recipe,
                             missed_anomalies, one_class_split, pr_curve, roc_auc, roc_curve, scores,
                             tabular_recipe, threshold_mean_std, threshold_percentile, top_scores)
from ae_core.images import mosaic
from ae_core.readers import ReaderError, breast_cancer_csv, parse_csv, prepare_table, read_image, scored_csv
from pages.common import current_dataset, fr, lesson_ui, persist
from pages.live import train_ui

PRESETS = {"p95": "95ᵉ percentile", "p99": "99ᵉ percentile", "3sigma": "moyenne + 3σ"}
NO_LABEL = "(aucune)"


def preset_value(reference: np.ndarray, preset: str) -> float:
    """The threshold a preset gives on reference scores (those of the training rows)."""
    if preset == "3sigma":
        return threshold_mean_std(reference, 3.0)
    return threshold_percentile(reference, 95.0 if preset == "p95" else 99.0)


def threshold_ui(key: str, reference: np.ndarray, upper: float) -> float:
    """Preset buttons and a slider; returns the threshold. Presets use the training scores."""
    if st.session_state.get(f"{key}_for") != id(reference):  # new results: start from the 95th percentile
        st.session_state[f"{key}_for"] = id(reference)
        st.session_state[key] = min(preset_value(reference, "p95"), upper)
    cols = st.columns(len(PRESETS))
    for col, (preset, label) in zip(cols, PRESETS.items(), strict=True):
        if col.button(label, key=f"{key}_{preset}", help="Calculé sur les scores d'entraînement."):
            st.session_state[key] = min(preset_value(reference, preset), upper)
    return st.slider("Seuil : au-dessus, l'exemple est signalé", 0.0, upper, key=key, format="%.5f")


def histogram(values: np.ndarray, is_anomaly: np.ndarray | None, threshold: float, log_x: bool) -> go.Figure:
    """Overlaid score histograms (normal vs anomalies) with the threshold line."""
    f = np.log10 if log_x else (lambda v: v)
    x = f(np.maximum(values, 1e-12))
    groups = [("tous", x, "#2563eb")] if is_anomaly is None else [("normaux", x[~is_anomaly], "#2563eb"),
                                                                 ("anomalies", x[is_anomaly], "#f97316")]
    bins = dict(start=float(x.min()), end=float(x.max()), size=float(x.max() - x.min()) / 60 or 1.0)
    fig = go.Figure([go.Histogram(x=v, name=name, opacity=0.6, xbins=bins, marker_color=color)
                     for name, v, color in groups])
    fig.add_vline(x=float(f(max(threshold, 1e-12))), line_dash="dash", line_color="red", annotation_text="seuil")
    fig.update_layout(barmode="overlay", height=320, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis_title="log₁₀(score)" if log_x else "score (erreur de reconstruction)",
                      yaxis_title="nombre d'exemples", legend=dict(orientation="h", y=1.15))
    return fig


def curves(s: np.ndarray, is_anomaly: np.ndarray, threshold: float) -> tuple[go.Figure, go.Figure]:
    """ROC and precision-recall curves, the current threshold marked on both."""
    c = confusion_at(s, is_anomaly, threshold)
    fpr, tpr, _ = roc_curve(s, is_anomaly)
    precision, recall, _ = pr_curve(s, is_anomaly)
    roc = go.Figure([go.Scatter(x=fpr, y=tpr, name="ROC", mode="lines"),
                     go.Scatter(x=[0, 1], y=[0, 1], name="hasard", mode="lines", line_dash="dot"),
                     go.Scatter(x=[c.fpr], y=[c.recall], name="seuil actuel", mode="markers",
                                marker=dict(size=12, color="red"))])
    roc.update_layout(title=f"ROC · AUC = {fr(roc_auc(s, is_anomaly), '.3f')}",
                      xaxis_title="taux de faux positifs", yaxis_title="taux de vrais positifs (rappel)")
    pr = go.Figure([go.Scatter(x=recall, y=precision, name="précision-rappel", mode="lines"),
                    go.Scatter(x=[c.recall], y=[c.precision], name="seuil actuel", mode="markers",
                               marker=dict(size=12, color="red"))])
    pr.update_layout(title=f"Précision-rappel · AP = {fr(average_precision(s, is_anomaly), '.3f')}",
                     xaxis_title="rappel", yaxis_title="précision")
    for fig in (roc, pr):
        fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10), showlegend=False)
    return roc, pr


def decision_ui(s: np.ndarray, is_anomaly: np.ndarray, threshold: float) -> None:
    """Confusion matrix, precision, recall and F1 at the threshold."""
    c = confusion_at(s, is_anomaly, threshold)
    cols = st.columns([2, 1, 1, 1])
    cols[0].dataframe(pd.DataFrame([[c.tn, c.fp], [c.fn, c.tp]], index=["vraiment normal", "vraie anomalie"],
                                   columns=["jugé normal", "signalé"]))
    cols[1].metric("Précision", fr(c.precision, ".3f"), help="Part de vraies anomalies parmi les signalés.")
    cols[2].metric("Rappel", fr(c.recall, ".3f"), help="Part des anomalies qui sont signalées.")
    cols[3].metric("F1", fr(c.f1, ".3f"), help="Moyenne harmonique de la précision et du rappel.")


def gallery(model, images: torch.Tensor, labels: list[str], values: np.ndarray, caption: str) -> None:
    """Original | reconstruction | squared error per pixel, one column per image."""
    x_hat, err = error_maps(model, images)
    err = err / err.amax().clamp_min(1e-8)
    st.image(mosaic(torch.cat([images.float() / 255, x_hat, err]), ncols=len(images),
                    scale=max(1, 96 // images.shape[-1])), caption=caption)
    st.caption(" · ".join(f"{lab} ({fr(v, '.4f')})" for lab, v in zip(labels, values, strict=True)))


# --- images ----------------------------------------------------------------------------------------

@st.cache_data(show_spinner="Calcul des références (ACP, forêt d'isolement)…", max_entries=8)
def image_baselines(dataset: str, normal: tuple[int, ...], contamination: float, seed: int, k: int):
    from pages.common import get_dataset

    data = get_dataset(dataset)
    sp = one_class_split(data, normal, contamination, seed)
    return baseline_scores(data.images[sp.train_idx], data.images[sp.test_idx], k, seed)


def images_section() -> None:
    data = current_dataset()
    persist(anomalies_normal=[0], anomalies_contamination=5, anomalies_latent=8, anomalies_seed=0)
    c1, c2, c3 = st.columns(3)
    normal = c1.multiselect("Classe(s) normale(s)", range(len(data.class_names)), key="anomalies_normal",
                            format_func=lambda i: data.class_names[i],
                            help="Toutes les autres classes sont des anomalies.")
    contamination = c2.slider("Anomalies mêlées à l'entraînement (%)", 0, 20, key="anomalies_contamination",
                              help="Le cas réel : les données d'entraînement ne sont jamais parfaitement propres.")
    latent = c3.slider("Taille du code z", 2, 32, key="anomalies_latent")
    seed = c3.number_input("Graine aléatoire", 0, 10_000, key="anomalies_seed")

    def make_trainer() -> Trainer:
        if not normal or len(normal) == len(data.class_names):
            raise ValueError("choisissez au moins une classe normale, et laissez-en au moins une comme anomalie.")
        sp = one_class_split(data, tuple(normal), contamination / 100, int(seed))
        model_config, config = image_recipe(data, latent, int(seed))
        st.session_state.anomalies_run = dict(dataset=data.name, normal=tuple(sorted(normal)),
                                              contamination=contamination / 100, seed=int(seed), split=sp)
        return Trainer(model_config, config, data.images, sp.train_idx, sp.val_idx)

    trainer = train_ui("anomalies_train", make_trainer, start_label="Entraîner sur les classes normales")
    run = st.session_state.get("anomalies_run")
    if trainer is None or not trainer.done or trainer.diverged_at is not None or run["dataset"] != data.name:
        return
    sp = run["split"]
    if st.session_state.get("anomalies_scores", (None,))[0] is not trainer:
        st.session_state.anomalies_scores = (trainer, scores(trainer.model, data.images[sp.train_idx]).numpy(),
                                             scores(trainer.model, data.images[sp.test_idx]).numpy())
    _, train_s, test_s = st.session_state.anomalies_scores
    y = sp.test_is_anomaly.numpy()
    st.subheader("Scores sur le jeu de test")
    threshold = threshold_ui("anomalies_threshold", train_s, float(max(test_s.max(), train_s.max())))
    log_x = st.toggle("Échelle logarithmique des scores", key="anomalies_logx")
    st.plotly_chart(histogram(test_s, y, threshold, log_x), key="anomalies_hist")
    decision_ui(test_s, y, threshold)
    roc, pr = curves(test_s, y, threshold)
    c1, c2 = st.columns(2)
    c1.plotly_chart(roc, key="anomalies_roc")
    c2.plotly_chart(pr, key="anomalies_pr")

    base = image_baselines(data.name, run["normal"], run["contamination"], run["seed"], latent_of(trainer))
    st.markdown("**Comparaison sur la même séparation des données**")
    rows = {"Autoencodeur": test_s, f"ACP à {latent_of(trainer)} composantes": base["pca"],
            "Forêt d'isolement": base["isolation_forest"]}
    st.dataframe(pd.DataFrame({"AUC": [roc_auc(v, y) for v in rows.values()],
                               "Précision moyenne (AP)": [average_precision(v, y) for v in rows.values()]},
                              index=list(rows)).style.format(precision=3, decimal=","))

    test_images, names = data.images[sp.test_idx], data.class_names
    top = top_scores(test_s, 8)
    st.markdown("**Les scores les plus élevés** (en haut l'original, au milieu la reconstruction, "
                "en bas l'erreur par pixel)")
    gallery(trainer.model, test_images[top], [names[data.labels[sp.test_idx[i]]] for i in top], test_s[top],
            "Classe (score) sous chaque colonne.")
    missed = missed_anomalies(test_s, y, threshold, 8)
    st.markdown(f"**Anomalies manquées au seuil actuel** : {int(y.sum()) - confusion_at(test_s, y, threshold).tp}"
                f" sur {int(y.sum())}. Les mieux cachées :")
    if len(missed):
        gallery(trainer.model, test_images[missed], [names[data.labels[sp.test_idx[i]]] for i in missed],
                test_s[missed], "Pourquoi le modèle les reconstruit-il si bien ?")
    upload_image_ui(trainer, data, threshold)


def latent_of(trainer: Trainer) -> int:
    return trainer.model_config.latent_dim


def upload_image_ui(trainer: Trainer, data, threshold: float) -> None:
    st.markdown("**Votre image** (PNG ou JPEG) : mise en gris, recadrée, redimensionnée, "
                "inversée si le fond est clair.")
    file = st.file_uploader("Image à tester", type=["png", "jpg", "jpeg"], key="anomalies_image")
    if file is None:
        return
    try:
        x = read_image(file.getvalue(), data.image_shape)
    except ReaderError as exc:
        st.error(str(exc))
        return
    s = float(scores(trainer.model, x)[0])
    gallery(trainer.model, (x * 255).round().to(torch.uint8), ["votre image"], np.array([s]), "Votre image")
    verdict = "signalée comme **anomalie**" if s > threshold else "jugée **normale**"
    st.markdown(f"Score {fr(s, '.5f')} pour un seuil de {fr(threshold, '.5f')} : {verdict}.")


# --- the learner's own table -----------------------------------------------------------------------

@st.cache_data
def example_csv() -> bytes:
    return breast_cancer_csv(n_anomalies=20, seed=0)


def table_ui() -> tuple:
    """Source, label column and anomaly value; returns (Table, is_anomaly or None, file name) or Nones."""
    persist(anomalies_source="example")
    source = st.radio("Données", ["example", "upload"], key="anomalies_source", horizontal=True,
                      format_func={"example": "Exemple intégré : tumeurs du sein (scikit-learn)",
                                   "upload": "Mon fichier CSV"}.get)
    if source == "example":
        st.caption("Chaque ligne décrit une tumeur par 30 mesures ; toutes les tumeurs bénignes et 20 "
                   "malignes (5 %), que l'on traite comme des anomalies.")
        data, name = example_csv(), "tumeurs_du_sein.csv"
    else:
        file = st.file_uploader("Fichier CSV : des colonnes de nombres, une ligne par exemple (5 Mo au plus)",
                                type=["csv", "txt", "tsv"], key="anomalies_csv")
        if file is None:
            return None, None, None
        data, name = file.getvalue(), file.name
    try:
        frame, notes = parse_csv(data)
        columns = [NO_LABEL, *frame.columns]
        label = st.selectbox("Colonne d'étiquettes (facultative)", columns, key=f"anomalies_label_{name}",
                             index=columns.index("diagnostic") if "diagnostic" in columns else 0,
                             help="Elle n'est pas utilisée pour entraîner, seulement pour évaluer (ROC, AUC).")
        table = prepare_table(frame, None if label == NO_LABEL else label, notes)
    except ReaderError as exc:
        st.error(str(exc))
        return None, None, None
    for note in table.notes:
        st.caption(note)
    is_anomaly = None
    if table.labels is not None:
        counts = table.labels.astype(str).value_counts()
        if len(counts) < 2 or len(counts) > 20:
            st.warning("La colonne d'étiquettes doit prendre entre 2 et 20 valeurs : elle est ignorée.")
        else:
            value = st.selectbox("Valeur qui désigne une anomalie", list(counts.index[::-1]),
                                 key=f"anomalies_value_{name}_{label}")
            is_anomaly = table.label_mask(value)
    return table, is_anomaly, name


def table_section() -> None:
    table, is_anomaly, name = table_ui()

    def make_trainer() -> Trainer:
        if table is None:
            raise ValueError("choisissez d'abord un fichier lisible.")
        n = len(table.x)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
        n_val = max(1, n // 7)
        model_config, config = tabular_recipe(len(table.features), n)
        st.session_state.anomalies_table_run = dict(table=table, is_anomaly=is_anomaly, name=name)
        return Trainer(model_config, config, table.images, order[n_val:], order[:n_val])

    trainer = train_ui("anomalies_tab", make_trainer, start_label="Entraîner sur ce tableau")
    run = st.session_state.get("anomalies_table_run")
    if trainer is None or not trainer.done or trainer.diverged_at is not None or run is None:
        return
    table, is_anomaly = run["table"], run["is_anomaly"]
    if st.session_state.get("anomalies_tab_scores", (None,))[0] is not trainer:
        st.session_state.anomalies_tab_scores = (trainer, scores(trainer.model, table.images).numpy(),
                                                 baseline_scores(table.images, table.images, latent_of(trainer)))
    _, s, base = st.session_state.anomalies_tab_scores
    st.subheader(f"Scores de « {run['name']} »")
    threshold = threshold_ui("anomalies_tab_threshold", s, float(s.max()))
    st.plotly_chart(histogram(s, is_anomaly, threshold, st.toggle("Échelle logarithmique des scores",
                                                                 key="anomalies_tab_logx")), key="anomalies_tab_hist")
    flagged = int((s > threshold).sum())
    st.markdown(f"**{flagged}** ligne{'s' * (flagged > 1)} signalée{'s' * (flagged > 1)} sur {len(s)}.")
    scored = table.frame.assign(score_anomalie=s, anomalie=(s > threshold).astype(int))
    st.dataframe(scored.sort_values("score_anomalie", ascending=False), height=260, key="anomalies_tab_rows")
    st.download_button("Télécharger le CSV avec les scores", scored_csv(table.frame, s, threshold),
                       file_name=run["name"].rsplit(".", 1)[0] + "_scores.csv", mime="text/csv",
                       key="anomalies_tab_download")
    if is_anomaly is not None and 0 < is_anomaly.sum() < len(s):
        decision_ui(s, is_anomaly, threshold)
        roc, pr = curves(s, is_anomaly, threshold)
        c1, c2 = st.columns(2)
        c1.plotly_chart(roc, key="anomalies_tab_roc")
        c2.plotly_chart(pr, key="anomalies_tab_pr")
        st.dataframe(pd.DataFrame({"AUC": [roc_auc(s, is_anomaly), roc_auc(base["pca"], is_anomaly),
                                           roc_auc(base["isolation_forest"], is_anomaly)]},
                                  index=["Autoencodeur", f"ACP à {latent_of(trainer)} composantes",
                                         "Forêt d'isolement"]).style.format(precision=3, decimal=","))


st.title("Détection d'anomalies")
lesson_ui("anomalies")
images_tab, table_tab = st.tabs(["Images", "Vos données (CSV)"])
with images_tab:
    images_section()
with table_tab:
    table_section()
