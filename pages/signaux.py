"""Signaux : battements de cœur — an autoencoder on heartbeats, denoising against tuned classical filters,
then abnormal heartbeats."""

import streamlit as st

from ae_core import Dataset
from ae_core.filters import FILTERS
from ae_core.recipes import beat_anomaly_spec, signal_denoise_spec
from ae_core.signals import ECG_RATE
from ui.address import Setting, apply_address, choice, control, link_ui
from ui.fmt import fr, fr_2dp
from ui.lesson import closing_ui, lesson_ui, outcome_ui, prediction_ui
from ui.live import finished, train_ui
from ui.sections.signaux import anomaly_ui, denoising_ui
from ui.shell import route_through_app
from ui.signals import KINDS, LEVELS, noise_ui
from ui.state import beats, persist, real_beats, state

CONTAMINATIONS = [0.0, 0.05, 0.1]
SOURCES = {"simules": "Simulés", "ecg5000": "Réels (ECG5000)"}
NOISE_LEVELS = [0.0, 0.2, 0.4]


def denoising_section(data) -> dict[str, str]:
    st.header("Débruiter un battement de cœur")
    kind, level = noise_ui("signaux", SETTINGS, "t", "n")
    prediction_ui("signaux", "signaux_denoise", started=state.get("signaux_denoise") is not None)
    train_ui("signaux_denoise", signal_denoise_spec(data, kind, level), data,
             start_label="Entraîner l'autoencodeur débruiteur")
    run = finished("signaux_denoise", data.name)
    if run is None:
        st.caption("Les filtres classiques n'ont pas besoin d'entraînement, mais de réglages : ils les choisiront "
                   "sur des battements d'entraînement bruités, comme l'autoencodeur apprend sur eux.")
        return {}
    results = denoising_ui(data, run)
    best = max(FILTERS, key=lambda m: results[m][0])
    ae, filtered = results["autoencoder"][0], results[best][0]
    outcome_ui("signaux", "signaux_denoise", {"wins": (ae > filtered, (
        f"l'autoencodeur atteint {fr(ae, '.1f')}\u00a0dB contre {fr(filtered, '.1f')}\u00a0dB pour "
        f"{FILTERS[best]}, le meilleur des filtres réglés."))})
    return {"snr_ae": fr(ae, ".1f"), "snr_filter": fr(filtered, ".1f"), "filter": FILTERS[best],
            "snr_noisy": fr(results["noisy"][0], ".1f")}


def anomaly_data() -> tuple[Dataset, float | None]:
    """The beats the learner chose (simulated with a recording noise, or ECG5000) and their sampling rate."""
    cols = st.columns(2)
    source = control("signaux", SETTINGS, "s", cols[0].segmented_control, "Battements", list(SOURCES),
                     format_func=SOURCES.get, required=True,
                     help="Les battements simulés de cette page, ou 5\u202f000 battements enregistrés chez un "
                          "patient (ECG5000, archive UCR), téléchargés une fois quand le réseau le permet.")
    if source == "ecg5000":
        real = real_beats()
        if not isinstance(real, str):
            normal = int((real.labels[:real.n_train] == 0).sum())
            st.caption(f"ECG5000\u202f: {real.n_train} battements d'entraînement (dont {normal} normaux) et "
                       f"{fr(len(real) - real.n_train, ',d')} de test, d'un seul patient, chacun ramené à "
                       f"{real.image_shape[-1]} échantillons par l'archive (Dau et al., 2019).")
            return real, None
        st.warning(f"{real} En attendant, la page garde les battements simulés.", icon=":material/cloud_off:")
    noise = control("signaux", SETTINGS, "b", cols[1].segmented_control, "Bruit de l'enregistrement", NOISE_LEVELS,
                    required=True, format_func=fr_2dp,
                    help="Un bruit blanc sur chaque battement simulé, en écarts types, comme dans un vrai "
                         "enregistrement\u202f: plus il est fort, plus les anomalies discrètes s'y cachent.")
    return beats(noise), ECG_RATE


def anomaly_section() -> dict[str, str]:
    st.header("Repérer les battements anormaux")
    data, rate = anomaly_data()
    contamination = control("signaux", SETTINGS, "c", st.segmented_control,
                            "Battements anormaux mêlés à l'entraînement", CONTAMINATIONS, required=True,
                            format_func=lambda c: f"{fr(100 * c, '.0f')}\u202f%",
                            help="Sans contamination, l'autoencodeur n'apprend que des battements normaux. Sinon, des "
                                 "battements anormaux se glissent parmi eux, comme dans des données réelles.")
    prediction_ui("signaux", "signaux_anomaly", started=state.get("signaux_anomaly") is not None)
    train_ui("signaux_anomaly", beat_anomaly_spec(data, contamination), data,
             start_label="Entraîner sur les battements normaux")
    run = finished("signaux_anomaly", data.name)
    if run is None:
        return {}
    aucs = anomaly_ui(data, run, rate)
    outcome_ui("signaux", "signaux_anomaly", {"pca": (abs(aucs["ae"] - aucs["pca"]) < 0.01, (
        f"AUC {fr(aucs['ae'], '.3f')} pour l'autoencodeur, {fr(aucs['pca'], '.3f')} pour l'ACP à 8 composantes."))})
    return {"auc_ae": fr(aucs["ae"], ".3f"), "auc_pca": fr(aucs["pca"], ".3f")}


route_through_app()
st.title("Signaux : battements de cœur")
lesson_ui("signaux")
data = beats()
persist(signaux_noise="signal_gaussian", signaux_level=0.5, signaux_contamination=0.0, signaux_recording=0.2,
        signaux_source="simules")
SETTINGS = {"t": Setting("signaux_noise", choice(list(KINDS))),
            "n": Setting("signaux_level", choice(LEVELS)),
            "c": Setting("signaux_contamination", choice(CONTAMINATIONS)),
            "b": Setting("signaux_recording", choice(NOISE_LEVELS)),
            "s": Setting("signaux_source", choice(list(SOURCES)))}
apply_address("signaux", SETTINGS)
st.caption(f"Cette page a ses propres données : {fr(data.n_train, ',d')} battements de cœur simulés pour "
           f"l'entraînement et {fr(len(data) - data.n_train, ',d')} pour le test, échantillonnés à {ECG_RATE}\u00a0Hz "
           "(le jeu choisi dans la barre latérale ne s'y applique pas).")
tab_noise, tab_anomaly = st.tabs(["Débruitage", "Battements anormaux"])
with tab_noise:
    run_values = denoising_section(data)
with tab_anomaly:
    run_values |= anomaly_section()
link_ui("signaux", SETTINGS)
closing_ui("signaux", run=run_values)
