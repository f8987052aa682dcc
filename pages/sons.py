"""Sons : débruiter, compresser, votre voix — an autoencoder on short windows of sound, to listen to."""

import streamlit as st

from ae_core.filters import FILTERS
from ae_core.recipes import sound_code_spec, sound_denoise_spec, voice_denoise_spec
from ui.address import Setting, apply_address, choice, link_ui
from ui.fmt import fr
from ui.lesson import closing_ui, lesson_ui, outcome_ui, prediction_ui
from ui.live import finished, train_ui
from ui.sections.sons import bytes_ui, sound_ui, voice_input_ui, voice_ui
from ui.shell import route_through_app
from ui.signals import KINDS, LEVELS, noise_ui
from ui.state import code_sounds, persist, sounds, state


def denoising_section() -> dict[str, str]:
    st.header("Débruiter un son")
    kind, level = noise_ui("sons", SETTINGS, "t", "n", " du son")
    sound_set = sounds()
    prediction_ui("sons", "sons_denoise", started=state.get("sons_denoise") is not None)
    train_ui("sons_denoise", sound_denoise_spec(sound_set.data, kind, level), sound_set.data,
             start_label="Entraîner le débruiteur de sons")
    run = finished("sons_denoise", sound_set.data.name)
    if run is None:
        st.caption(f"{len(sound_set.train)} notes et voyelles synthétiques d'une seconde à 8 000\u00a0Hz, "
                   "découpées en fenêtres de 32\u00a0ms, pour l'entraînement ; "
                   f"{len(sound_set.test)} autres pour le test, à écouter.")
        return {}
    results = sound_ui(run)
    best = max(FILTERS, key=results.get)
    ae, filtered = results["autoencoder"], results[best]
    outcome_ui("sons", "sons_denoise", {"wins": (ae > filtered, (
        f"l'autoencodeur atteint {fr(ae, '.1f')}\u00a0dB contre {fr(filtered, '.1f')}\u00a0dB pour "
        f"{FILTERS[best]}, le meilleur des filtres réglés."))})
    return {"snr_ae": fr(results["autoencoder"], ".1f"), "snr_filter": fr(results[best], ".1f"),
            "filter": FILTERS[best]}


def bytes_section() -> dict[str, str]:
    st.header("Un son en octets")
    sound_set = code_sounds()
    prediction_ui("sons", "sons_code", started=state.get("sons_code") is not None)
    train_ui("sons_code", sound_code_spec(sound_set.data), sound_set.data,
             start_label="Entraîner l'autoencodeur compresseur")
    run = finished("sons_code", sound_set.data.name)
    if run is None:
        st.caption(f"Un autoencodeur à code de {sound_code_spec(sound_set.data).model.latent_dim} nombres par "
                   f"fenêtre de 32\u00a0ms, entraîné sur {len(sound_set.train)} notes et voyelles ; puis mesuré, "
                   "octet par octet, face à l'ACP, à Opus, à MP3 et à la loi µ du téléphone.")
        return {}
    values, pca_wins = bytes_ui(run)
    outcome_ui("sons", "sons_code", {"pca": (pca_wins, (
        f"à {values['bytes_budget']}\u00a0octets par seconde, l'autoencodeur atteint {values['bytes_ae']}\u00a0dB, "
        f"l'ACP à son meilleur {values['bytes_pca']}\u00a0dB ; la meilleure méthode y est «\u202f"
        f"{values['bytes_best']}\u202f»."))})
    return values


def voice_section() -> dict[str, str]:
    st.header("Débruiter votre voix")
    voice = voice_input_ui()
    if voice is None:
        st.caption("Parlez quelques secondes : l'autoencodeur apprendra sur le début de l'enregistrement "
                   "(ses sept premiers dixièmes), bruité, et sera mesuré sur la fin, qu'il n'aura jamais entendue.")
        return {}
    kind, level = noise_ui("sons", SETTINGS, "vt", "vn", " ajouté")
    train_ui("sons_voice", voice_denoise_spec(voice.data, kind, level), voice.data,
             start_label="Entraîner sur ma voix")
    run = finished("sons_voice", voice.data.name)
    if run is None:
        return {}
    results = voice_ui(voice, run)
    best = max(FILTERS, key=results.get)
    return {"snr_voice_ae": fr(results["autoencoder"], ".1f"), "snr_voice_filter": fr(results[best], ".1f")}


route_through_app()
st.title("Sons\u202f: débruiter, compresser, votre voix")
lesson_ui("sons")
persist(sons_noise="signal_gaussian", sons_level=0.5, sons_voice_noise="signal_gaussian", sons_voice_level=0.5)
SETTINGS = {"t": Setting("sons_noise", choice(list(KINDS))),
            "n": Setting("sons_level", choice(LEVELS)),
            "vt": Setting("sons_voice_noise", choice(list(KINDS))),
            "vn": Setting("sons_voice_level", choice(LEVELS))}
apply_address("sons", SETTINGS)
st.caption("Cette page a ses propres sons, à 8 000\u00a0Hz comme au téléphone (le jeu choisi dans la barre "
           "latérale ne s'y applique pas). Mettez un casque ou baissez le volume avant d'écouter.")
tab_noise, tab_bytes, tab_voice = st.tabs(["Débruitage", "Un son en octets", "Votre voix"])
with tab_noise:
    run_values = denoising_section()
with tab_bytes:
    run_values |= bytes_section()
with tab_voice:
    run_values |= voice_section()
link_ui("sons", SETTINGS)
closing_ui("sons", run=run_values)
