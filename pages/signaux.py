"""Signaux et sons: an autoencoder on heartbeats, denoising against tuned classical filters, abnormal beats,
then sounds to listen to."""

import streamlit as st

from ae_core.filters import FILTERS
from ae_core.recipes import beat_anomaly_spec, signal_denoise_spec, sound_denoise_spec
from ae_core.signals import ECG_RATE
from ui.address import Setting, apply_address, choice, control, link_ui
from ui.fmt import fr, fr_2dp, slider_values
from ui.lesson import closing_ui, lesson_ui, outcome_ui, prediction_ui
from ui.live import finished, train_ui
from ui.sections.signaux import KINDS, anomaly_ui, denoising_ui, sound_ui
from ui.shell import route_through_app
from ui.state import beats, persist, sounds, state

CONTAMINATIONS = [0.0, 0.05, 0.1]
NOISE_LEVELS = [0.0, 0.2, 0.4]


def noise_ui(kind_key: str, level_key: str, of: str = "") -> tuple[str, float]:
    """The noise's kind and level, side by side (`of`: what they apply to, in the labels)."""
    cols = st.columns(2)
    kind = control("signaux", SETTINGS, kind_key, cols[0].segmented_control, f"Type de bruit{of}", list(KINDS),
                   format_func=KINDS.get, required=True)
    level = control("signaux", SETTINGS, level_key, cols[1].select_slider, f"Niveau de bruit{of}",
                    slider_values(0.05, 1.0), format_func=fr_2dp,
                    help="En écarts types du signal : le bruit blanc et le ronflement ont pour écart type "
                         "le niveau ; un clic touche un échantillon sur cent et vaut cinq fois le niveau.")
    return kind, level


def denoising_section(data) -> dict[str, str]:
    st.header("Débruiter un battement de cœur")
    kind, level = noise_ui("t", "n")
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


def anomaly_section() -> dict[str, str]:
    st.header("Repérer les battements anormaux")
    cols = st.columns(2)
    noise = control("signaux", SETTINGS, "b", cols[0].segmented_control, "Bruit de l'enregistrement", NOISE_LEVELS,
                    required=True, format_func=fr_2dp,
                    help="Un bruit blanc sur chaque battement, en écarts types, comme dans un vrai enregistrement : "
                         "plus il est fort, plus les anomalies discrètes s'y cachent.")
    data = beats(noise)
    contamination = control("signaux", SETTINGS, "c", cols[1].segmented_control,
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
    aucs = anomaly_ui(data, run)
    outcome_ui("signaux", "signaux_anomaly", {"pca": (abs(aucs["ae"] - aucs["pca"]) < 0.01, (
        f"AUC {fr(aucs['ae'], '.3f')} pour l'autoencodeur, {fr(aucs['pca'], '.3f')} pour l'ACP à 8 composantes."))})
    return {"auc_ae": fr(aucs["ae"], ".3f"), "auc_pca": fr(aucs["pca"], ".3f")}


def sound_section() -> dict[str, str]:
    st.header("Débruiter un son")
    kind, level = noise_ui("st", "sn", " du son")
    sound_set = sounds()
    train_ui("signaux_sound", sound_denoise_spec(sound_set.data, kind, level), sound_set.data,
             start_label="Entraîner le débruiteur de sons")
    run = finished("signaux_sound", sound_set.data.name)
    if run is None:
        st.caption(f"{len(sound_set.train)} notes et voyelles synthétiques d'une seconde à 8 000\u00a0Hz, "
                   "découpées en fenêtres de 32\u00a0ms, pour l'entraînement ; "
                   f"{len(sound_set.test)} autres pour le test, à écouter.")
        return {}
    results = sound_ui(run)
    best = max(FILTERS, key=results.get)
    return {"snr_sound_ae": fr(results["autoencoder"], ".1f"), "snr_sound_filter": fr(results[best], ".1f"),
            "sound_filter": FILTERS[best]}


route_through_app()
st.title("Signaux et sons")
lesson_ui("signaux")
data = beats()
persist(signaux_noise="signal_gaussian", signaux_level=0.5, signaux_contamination=0.0, signaux_recording=0.2,
        signaux_sound_noise="signal_gaussian", signaux_sound_level=0.5)
SETTINGS = {"t": Setting("signaux_noise", choice(list(KINDS))),
            "n": Setting("signaux_level", choice(slider_values(0.05, 1.0))),
            "c": Setting("signaux_contamination", choice(CONTAMINATIONS)),
            "b": Setting("signaux_recording", choice(NOISE_LEVELS)),
            "st": Setting("signaux_sound_noise", choice(list(KINDS))),
            "sn": Setting("signaux_sound_level", choice(slider_values(0.05, 1.0)))}
apply_address("signaux", SETTINGS)
st.caption(f"Cette page a ses propres données : {fr(data.n_train, ',d')} battements de cœur simulés pour "
           f"l'entraînement et {fr(len(data) - data.n_train, ',d')} pour le test, échantillonnés à {ECG_RATE}\u00a0Hz "
           "(le jeu choisi dans la barre latérale ne s'y applique pas).")
tab_noise, tab_anomaly, tab_sound = st.tabs(["Débruitage", "Battements anormaux", "Sons"])
with tab_noise:
    run_values = denoising_section(data)
with tab_anomaly:
    run_values |= anomaly_section()
with tab_sound:
    run_values |= sound_section()
link_ui("signaux", SETTINGS)
closing_ui("signaux", run=run_values)
