"""Anomaly detection by reconstruction error, as the anomaly and signal pages show it: a threshold with
presets, the decisions it makes, the ROC and PR curves, the comparison with the baselines (galleries:
ui.images)."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
import streamlit as st
from sklearn.metrics import average_precision_score, roc_auc_score

from ae_core.anomaly import confusion_at, threshold_mean_std, threshold_percentile
from ui.charts import plot, roc_pr_figures
from ui.fmt import fr
from ui.lesson import lesson_text
from ui.state import state

PRESETS = {"p95": "95ᵉ centile", "p99": "99ᵉ centile", "3sigma": "moyenne + 3σ"}


def preset_value(reference: np.ndarray, preset: str) -> float:
    """The threshold a preset gives on reference scores (normal rows the model never trained on, where
    there are some)."""
    if preset == "3sigma":
        return threshold_mean_std(reference, 3.0)
    return threshold_percentile(reference, 95.0 if preset == "p95" else 99.0)


def threshold_ui(key: str, owner: Hashable, reference: np.ndarray, upper: float,
                 source: str = "Calculé sur des images normales mises de côté, jamais vues à l'entraînement.") -> float:
    """Preset buttons and a slider; returns the threshold. `source` says which scores the presets use.

    New results (another `owner`, for example a run spec) start at the 95th centile.
    """
    if state.get(f"{key}_for") != owner:
        state[f"{key}_for"] = owner
        state[key] = min(preset_value(reference, "p95"), upper)
    for col, (preset, label) in zip(st.columns(len(PRESETS)), PRESETS.items(), strict=True):
        if col.button(label, key=f"{key}_{preset}", help=source):
            state[key] = min(preset_value(reference, preset), upper)
    # A select_slider over 200 steps (and the current value), so that its labels are written the French way.
    options = sorted({*np.linspace(0.0, upper, 201).tolist(), float(state[key])})
    return st.select_slider("Seuil : au-dessus, l'exemple est signalé", options, key=key,
                            format_func=lambda v: fr(v, ".4f"))


def decision_ui(s: np.ndarray, is_anomaly: np.ndarray, threshold: float) -> None:
    """Confusion matrix, precision, recall, F1 and false-alarm rate at the threshold."""
    c = confusion_at(s, is_anomaly, threshold)
    cols = st.columns([2, 1, 1, 1, 1])
    truth = pd.Index(["vraiment normal", "vraie anomalie"], name="réalité")  # a named index: no empty header
    cols[0].dataframe(pd.DataFrame([[c.tn, c.fp], [c.fn, c.tp]], index=truth, columns=["jugé normal", "signalé"]))
    cols[1].metric("Précision", fr(c.precision, ".3f"), help="Part de vraies anomalies parmi les signalés.")
    cols[2].metric("Rappel", fr(c.recall, ".3f"), help="Part des anomalies qui sont signalées.")
    cols[3].metric("F1", fr(c.f1, ".3f"), help="Moyenne harmonique de la précision et du rappel.")
    cols[4].metric("Fausses alertes", f"{fr(100 * c.fpr, '.1f')}\u202f%",
                   help="Part des exemples vraiment normaux qui sont signalés. "
                        "Le 95ᵉ centile vise 100 − 95 = 5\u202f%.")


def comparison_ui(y: np.ndarray, autoencoder: np.ndarray, baselines: dict[str, np.ndarray],
                  why_baseline: str = "anomalies_acp") -> None:
    """The AUC and AP of the autoencoder and of each baseline on the same test rows, and which wins;
    `why_baseline` names the lesson text that explains a baseline's win."""
    rows = {"Autoencodeur": autoencoder, **baselines}
    auc = {name: roc_auc_score(y, s) for name, s in rows.items()}
    st.markdown("**Comparaison sur la même séparation des données**")
    st.dataframe(pd.DataFrame({"AUC": auc.values(),
                               "Précision moyenne (AP)": [average_precision_score(y, s) for s in rows.values()]},
                              index=pd.Index(list(rows), name="méthode")).style.format(precision=3, decimal=","))
    shown = {name: round(value, 3) for name, value in auc.items()}  # what the table shows
    top = [name for name, value in shown.items() if value == max(shown.values())]
    if len(top) > 1:
        names = " et ".join("l'autoencodeur" if n == "Autoencodeur" else f"«\u202f{n}\u202f»" for n in top)
        st.info(f"À trois décimales, {names} font jeu égal (AUC {fr(auc[top[0]], '.3f')})\u202f: "
                "l'écart est trop petit pour désigner un gagnant.")
    elif top[0] == "Autoencodeur":
        st.success(f"L'autoencodeur gagne ici\u202f: AUC {fr(auc[top[0]], '.3f')}, contre "
                   f"{fr(max(list(auc.values())[1:]), '.3f')} pour la meilleure des références.")
    else:
        st.info(f"Ici, «\u202f{top[0]}\u202f» gagne (AUC {fr(auc[top[0]], '.3f')} contre "
                f"{fr(auc['Autoencodeur'], '.3f')} pour l'autoencodeur). " + lesson_text(why_baseline))


def curves_ui(key: str, s: np.ndarray, y: np.ndarray, threshold: float) -> None:
    """ROC and precision-recall curves side by side, the threshold marked on both."""
    roc, pr = roc_pr_figures(s, y, threshold)
    c1, c2 = st.columns(2)
    plot(c1, roc, key=f"{key}_roc", caption="Chaque seuil possible donne un point : plus la courbe monte vite "
        "vers le coin en haut à gauche, mieux les scores séparent anomalies et normaux.")
    plot(c2, pr, key=f"{key}_pr", caption="La précision (part des alertes justes) selon le rappel (part des "
        "anomalies trouvées) ; le point rouge est votre seuil.")
