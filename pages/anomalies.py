"""Détection d'anomalies: reconstruction error as a score, thresholds, ROC/PR, baselines, own data."""

import pandas as pd
import streamlit as st
from sklearn.metrics import roc_auc_score

from ae_core import SpecError
from ae_core.anomaly import baseline_scores, chosen_pca_scores, confusion_at, missed_anomalies, scores, top_scores
from ae_core.readers import scored_csv
from ae_core.recipes import one_class_spec, table_spec
from ae_core.rows import one_class_rows
from ui.address import Setting, apply_address, control, integer, integers, link_ui
from ui.anomaly import comparison_ui, curves_ui, decision_ui, preset_value, threshold_ui
from ui.charts import histogram, plot
from ui.fmt import fr
from ui.images import gallery
from ui.lesson import closing_ui, lesson_ui, outcome_ui, prediction_ui
from ui.live import last_run, train_ui
from ui.shell import route_through_app
from ui.state import current_dataset, get_dataset, memo, persist, state
from ui.upload import image_score_ui, table_ui


@st.cache_data(show_spinner="Calcul des références (ACP, forêt d'isolement)…", max_entries=8)
def image_baselines(dataset: str, normal: tuple[int, ...], contamination: float, seed: int, k: int):
    data = get_dataset(dataset)
    sp = one_class_rows(data, one_class_spec(data, normal, contamination, k, seed).rows)
    train, test = data.images[sp.train_idx], data.images[sp.test_idx]
    return baseline_scores(train, test, k, seed), chosen_pca_scores(train, data.images[sp.reference_idx], test)


def images_section() -> None:
    data = current_dataset()
    persist(anomalies_normal=[0], anomalies_contamination=5, anomalies_latent=8, anomalies_seed=0)
    settings = {"c": Setting("anomalies_normal", integers(0, len(data.class_names) - 1)),
                "p": Setting("anomalies_contamination", integer(0, 20)),
                "k": Setting("anomalies_latent", integer(2, 32)),
                "s": Setting("anomalies_seed", integer(0, 10_000), advanced=True)}
    apply_address("anomalies", settings)
    c1, c2, c3 = st.columns(3)
    normal = control("anomalies", settings, "c", c1.multiselect, "Classe(s) normale(s)", range(len(data.class_names)),
                     format_func=lambda i: data.class_names[i], help="Toutes les autres classes sont des anomalies.")
    contamination = control("anomalies", settings, "p", c2.slider, "Anomalies mêlées à l'entraînement (%)", 0, 20,
                            help="Le cas réel : les données d'entraînement ne sont jamais parfaitement propres.")
    latent = control("anomalies", settings, "k", c3.slider, "Taille du code z", 2, 32)
    seed = control("anomalies", settings, "s", c3.number_input, "Graine aléatoire", 0, 10_000)
    link_ui("anomalies", settings)
    try:
        spec = one_class_spec(data, tuple(normal), contamination / 100, latent, int(seed))
    except SpecError as exc:  # no normal class, or every class: nothing to train yet
        st.warning(str(exc))
        return
    prediction_ui("anomalies", "anomalies_train", started=state.get("anomalies_train") is not None)
    run = train_ui("anomalies_train", spec, data, start_label="Entraîner sur les classes normales")
    if run is None or not run.trained:
        return
    trainer = run.trainer
    spec, sp = trainer.spec, one_class_rows(data, trainer.spec.rows)
    ref_s, test_s = memo("anomalies_scores", spec, lambda: tuple(
        scores(trainer.model, data.images[rows]).numpy() for rows in (sp.reference_idx, sp.test_idx)))
    y = sp.test_is_anomaly.numpy()
    st.header("Scores sur le jeu de test")
    threshold = threshold_ui("anomalies_threshold", spec, ref_s, float(max(test_s.max(), ref_s.max())),
                             f"Calculé sur {len(ref_s)} images des classes normales mises de côté, jamais vues "
                             "à l'entraînement : les images d'entraînement, mieux reconstruites, "
                             "donneraient un seuil trop bas.")
    log_x = st.toggle("Échelle logarithmique des scores", key="anomalies_logx")
    plot(st, histogram(test_s, y, threshold, log_x), key="anomalies_hist",
         caption="Les scores des images normales et des anomalies du jeu de test ; à droite du seuil, une image "
             "est signalée.")
    decision_ui(test_s, y, threshold)
    false_alarms = float((test_s[y == 0] > preset_value(ref_s, "p95")).mean())
    outcome_ui("anomalies", "anomalies_train", {"false_alarms": (0.02 <= false_alarms <= 0.10, (
        f"au 95ᵉ centile de vos {len(ref_s)} images mises de côté, {fr(100 * false_alarms, '.1f')}\u202f% des "
        f"{int((y == 0).sum())} images normales du test sont signalées."))})
    curves_ui("anomalies", test_s, y, threshold)
    k = spec.model.latent_dim
    base, (k_pca, chosen) = image_baselines(data.name, spec.rows.normal, spec.rows.contamination,
                                            spec.rows.seed, k)
    comparison_ui(y, test_s, {f"ACP à {k} composantes (même code)": base["pca"],
                              f"ACP à {k_pca} composantes (choisies sur la validation)": chosen,
                              "Forêt d'isolement": base["isolation_forest"]})
    test_images, names = data.images[sp.test_idx], data.class_names
    top = top_scores(test_s, 8)
    st.markdown("**Les scores les plus élevés** (en haut l'original, au milieu la reconstruction, "
                "en bas l'erreur par pixel)")
    gallery(trainer.model, test_images[top], [names[data.labels[sp.test_idx[i]]] for i in top], test_s[top],
            "Classe (score) sous chaque colonne.")
    missed = missed_anomalies(test_s, y, threshold, 8)
    st.markdown(f"**Anomalies manquées au seuil actuel** : {int(y.sum()) - confusion_at(test_s, y, threshold).tp}"
                f" sur {int(y.sum())}." + (" Les mieux cachées :" if len(missed) else ""))
    if len(missed):
        gallery(trainer.model, test_images[missed], [names[data.labels[sp.test_idx[i]]] for i in missed],
                test_s[missed], "Pourquoi le modèle les reconstruit-il si bien ?")
    image_score_ui(trainer, data, threshold)


def table_section() -> None:
    table, is_anomaly, name = table_ui()
    run, tables = last_run("anomalies_tab"), state.setdefault("anomalies_tables", {})
    if table is not None:  # else nothing readable: the earlier results stay on screen
        data = table.as_dataset()
        tables[data.name] = (table, is_anomaly, name)  # the table a job names by its fingerprint
        for old in list(tables)[:-1]:  # this table, and the one whose results are on screen
            if run is None or old != run.specs[0].dataset:
                tables.pop(old)
        run = train_ui("anomalies_tab", table_spec(data), data, start_label="Entraîner sur ces données")
    if run is None or not run.trained:
        return
    trainer = run.trainer
    table, is_anomaly, name = tables[trainer.spec.dataset]
    s, base = memo("anomalies_tab_scores", trainer.spec, lambda: (
        scores(trainer.model, table.images).numpy(),
        baseline_scores(table.images, table.images, trainer.model_config.latent_dim)))
    st.header(f"Scores de « {name} »")
    threshold = threshold_ui("anomalies_tab_threshold", trainer.spec, s, float(s.max()),
                             "Calculé sur toutes les lignes : sans étiquettes, le modèle s'est entraîné sur "
                             "elles toutes (cas non supervisé).")
    log_x = st.toggle("Échelle logarithmique des scores", key="anomalies_tab_logx")
    plot(st, histogram(s, is_anomaly, threshold, log_x), key="anomalies_tab_hist",
         caption="Les scores de toutes les lignes du tableau ; à droite du seuil, une ligne est signalée.")
    flagged = int((s > threshold).sum())
    st.markdown(f"**{flagged}** ligne{'s' * (flagged > 1)} signalée{'s' * (flagged > 1)} sur {len(s)}.")
    scored = table.frame.assign(score_anomalie=s, anomalie=(s > threshold).astype(int))
    st.dataframe(scored.sort_values("score_anomalie", ascending=False), height=260, key="anomalies_tab_rows")
    st.download_button("Télécharger le CSV avec les scores", scored_csv(table.frame, s, threshold),
                       file_name=name.rsplit(".", 1)[0] + "_scores.csv", mime="text/csv", key="anomalies_tab_download")
    if is_anomaly is not None and 0 < is_anomaly.sum() < len(s):
        decision_ui(s, is_anomaly, threshold)
        curves_ui("anomalies_tab", s, is_anomaly, threshold)
        k = trainer.model_config.latent_dim
        aucs = [roc_auc_score(is_anomaly, v) for v in (s, base["pca"], base["isolation_forest"])]
        st.dataframe(pd.DataFrame({"AUC": aucs},
                                  index=["Autoencodeur", f"ACP à {k} composantes", "Forêt d'isolement"]
                                  ).style.format(precision=3, decimal=","))


route_through_app()
st.title("Détection d'anomalies")
lesson_ui("anomalies")
images_tab, table_tab = st.tabs(["Images", "Vos données (CSV)"])
with images_tab:
    images_section()
with table_tab:
    table_section()
closing_ui("anomalies")
