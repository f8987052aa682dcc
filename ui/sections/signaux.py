"""The signal page's sections: denoising heartbeats against tuned filters, and abnormal heartbeats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch
from sklearn.metrics import roc_auc_score

from ae_core import Dataset
from ae_core.anomaly import baseline_scores, chosen_pca_scores, class_aucs, scores
from ae_core.beats import autoencoder_snr, denoise, denoising_snr, rows_of
from ae_core.corruption import SIGNAL_NOISES
from ae_core.filters import FILTERS, apply_filter
from ae_core.rows import one_class_rows
from ae_core.signals import ECG_RATE, add_noise
from ui.anomaly import comparison_ui, curves_ui, decision_ui, threshold_ui
from ui.charts import histogram, plot, signal_figure, snr_curve_figure
from ui.fmt import fr
from ui.live import Run
from ui.signals import METHODS as SIGNAL_METHODS
from ui.signals import SAID, params_text
from ui.state import beats, memo

METHODS = {**SIGNAL_METHODS, "noisy": "Battement bruité"}
CURVE_LEVELS = [0.25, 0.5, 0.75, 1.0]


@st.cache_data(show_spinner="Réglage des filtres sur les battements d'entraînement…", max_entries=16)
def filter_scores(kind: str, level: float) -> dict[str, tuple[float, dict]]:
    """The noisy input's and the tuned filters' SNR on the test beats, the same for every learner."""
    data = beats()
    return denoising_snr(None, data, torch.arange(data.n_train), torch.arange(data.n_train, len(data)), kind, level)


def denoising_results(run: Run) -> dict[str, tuple[float, dict]]:
    """Every method's (SNR, parameters) on the test beats, at the noise the learner's autoencoder trained on."""
    trainer, c = run.trainer, run.trainer.spec.corruption
    ae = memo("signaux_ae_snr", trainer.spec, lambda: autoencoder_snr(
        trainer.model.eval(), beats(), trainer.val_idx, c.kind, c.level))
    return {**filter_scores(c.kind, c.level), "autoencoder": (ae, {})}


def denoising_ui(data: Dataset, run: Run) -> dict[str, tuple[float, dict]]:
    """The table of SNRs, one beat overlaid with what each method makes of it, and the SNR against the level."""
    trainer, c = run.trainer, run.trainer.spec.corruption
    results = denoising_results(run)
    table = pd.DataFrame({"SNR (dB)": [results[m][0] for m in METHODS],
                          "réglage choisi sur l'entraînement": [params_text(results[m][1]) for m in METHODS]},
                         index=pd.Index(list(METHODS.values()), name="méthode"))
    st.dataframe(table.style.format({"SNR (dB)": "{:.1f}"}, decimal=","))
    st.caption(f"Sur les {fr(len(trainer.val_idx), ',d')} battements de test, avec {SAID[c.kind]} de niveau "
               f"{fr(c.level, '.2f')}. Plus haut, c'est plus fidèle au battement propre.")
    i = st.number_input(f"Battement de test à afficher (0 à {len(trainer.val_idx) - 1})", 0,
                        len(trainer.val_idx) - 1, 0, key="signaux_beat")
    clean = rows_of(data, trainer.val_idx[i:i + 1])
    noisy = add_noise(clean, SIGNAL_NOISES[c.kind], c.level, ECG_RATE, 1 + i)
    best = max(FILTERS, key=lambda m: results[m][0])
    traces = {"propre": clean[0], "bruité": noisy[0],
              FILTERS[best]: apply_filter(best, noisy, results[best][1], ECG_RATE)[0],
              "autoencodeur": denoise(trainer.model.eval(), noisy)[0]}
    plot(st, signal_figure(traces, ECG_RATE), key="signaux_beat_chart",
         caption=f"Le battement n°\u00a0{i} propre (trait épais), bruité, puis nettoyé par le meilleur filtre réglé "
                 f"({FILTERS[best]}) et par l'autoencodeur.")
    # The filters' side is shared by every learner (filter_scores); only the autoencoder's is this learner's.
    curves = {m: [filter_scores(c.kind, level)[m][0] for level in CURVE_LEVELS] for m in ("noisy", *FILTERS)}
    curves["autoencoder"] = memo("signaux_curve", trainer.spec, lambda: [
        autoencoder_snr(trainer.model.eval(), data, trainer.val_idx, c.kind, level) for level in CURVE_LEVELS])
    plot(st, snr_curve_figure(CURVE_LEVELS, {METHODS[m]: v for m, v in curves.items()}, c.level),
         key="signaux_curve_chart",
         caption=f"Sur les {fr(len(trainer.val_idx), ',d')} battements de test : les filtres sont réglés à nouveau "
                 "à chaque niveau, l'autoencodeur garde le niveau de son entraînement (trait pointillé).")
    return results


def anomaly_ui(data: Dataset, run: Run, rate: float | None) -> dict[str, float]:
    """Scores of the test beats, the threshold and its decisions, the curves, the baselines, the AUC per
    kind of anomaly and the highest-scored beats (drawn at `rate` Hz, or against the sample index when the
    rate is unknown); returns the AUCs of the autoencoder and of PCA."""
    trainer = run.trainer
    sp = one_class_rows(data, trainer.spec.rows)
    model, test = trainer.model.eval(), data.images[sp.test_idx]
    test_s = memo("signaux_scores", trainer.spec, lambda: scores(model, test).numpy())
    ref_s = memo("signaux_ref", trainer.spec, lambda: scores(model, data.images[sp.reference_idx]).numpy())
    y, labels = sp.test_is_anomaly.numpy(), data.labels[sp.test_idx].numpy()
    threshold = threshold_ui("signaux_threshold", trainer.spec, ref_s, float(max(test_s.max(), ref_s.max())),
                             f"Calculé sur {len(ref_s)} battements normaux mis de côté, jamais vus à l'entraînement.")
    log_x = st.toggle("Échelle logarithmique des scores", value=True, key="signaux_logx")
    plot(st, histogram(test_s, y, threshold, log_x), key="signaux_hist",
         caption="Les scores des battements normaux et anormaux du test ; à droite du seuil, un battement est signalé.")
    decision_ui(test_s, y, threshold)
    curves_ui("signaux", test_s, y, threshold)
    k = trainer.spec.model.latent_dim
    base = memo("signaux_base", trainer.spec, lambda: baseline_scores(data.images[sp.train_idx], test, k))
    k_pca, chosen = memo("signaux_pca", trainer.spec, lambda: chosen_pca_scores(
        data.images[sp.train_idx], data.images[sp.reference_idx], test))
    comparison_ui(y, test_s, {f"ACP à {k} composantes (même code)": base["pca"],
                              f"ACP à {k_pca} composantes (choisies sur la validation)": chosen,
                              "Forêt d'isolement": base["isolation_forest"]}, why_baseline="signaux_acp")
    per_class = class_aucs(test_s, labels, (0,))
    st.markdown("**Quelles anomalies l'autoencodeur trouve-t-il ?** AUC de chaque type contre les battements "
                "normaux du test :")
    kinds = pd.Index([data.class_names[c] for c in per_class], name="type d'anomalie")
    st.dataframe(pd.DataFrame({"AUC": list(per_class.values())}, index=kinds).style.format(precision=3, decimal=","))
    top = np.argsort(-test_s, kind="mergesort")[:3]
    traces = {f"{data.class_names[labels[j]]} (score {fr(test_s[j], '.3f')})": test[j].flatten().numpy() for j in top}
    plot(st, signal_figure(traces, rate), key="signaux_top_chart",
         caption="Les trois battements de test aux scores les plus élevés, avec leur vraie classe.")
    return {"ae": roc_auc_score(y, test_s), "pca": roc_auc_score(y, base["pca"])}
