"""What the signal and sound pages share: the noise kinds and their labels, the noise's controls, players."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ae_core.filters import FILTERS
from ae_core.signals import snr_db
from ae_core.sound import SOUND_RATE, peak_normalise, to_wav_bytes
from ui.address import Setting, control
from ui.fmt import fr, fr_2dp, slider_values

# The noise kinds (keys of ae_core.corruption.SIGNAL_NOISES) and their French labels.
KINDS = {"signal_gaussian": "Bruit blanc", "hum": "Secteur (50\u00a0Hz)", "clicks": "Clics"}  # short: a phone's width
SAID = {"signal_gaussian": "un bruit blanc gaussien", "hum": "le ronflement du secteur à 50\u00a0Hz",
        "clicks": "des clics"}
LEVELS = slider_values(0.05, 1.0)
METHODS = {"noisy": "Entrée bruitée", **FILTERS, "autoencoder": "Autoencodeur débruiteur"}
HEARD = {"clean": "Son propre", **METHODS, "noisy": "Son bruité"}


def noise_ui(page: str, settings: dict[str, Setting], kind_key: str, level_key: str, of: str = "") -> tuple[str, float]:
    """The noise's kind and level, side by side (`of`: what they apply to, in the labels)."""
    cols = st.columns(2)
    kind = control(page, settings, kind_key, cols[0].segmented_control, f"Type de bruit{of}", list(KINDS),
                   format_func=KINDS.get, required=True)
    level = control(page, settings, level_key, cols[1].select_slider, f"Niveau de bruit{of}", LEVELS,
                    format_func=fr_2dp,
                    help="En écarts types du signal : le bruit blanc et le ronflement ont pour écart type "
                         "le niveau ; un clic touche un échantillon sur cent et vaut cinq fois le niveau.")
    return kind, level


def params_text(params: dict) -> str:
    """A filter's tuned parameters in French: « fenêtre 21, ordre 4 »."""
    names = {"window": "fenêtre", "order": "ordre", "ratio": "rapport q/r", "quality": "qualité"}
    return ", ".join(f"{names[k]} {fr(v, 'g')}" for k, v in params.items()) or "—"


def players_ui(heard: dict[str, np.ndarray], name: str, labels: dict[str, str] = HEARD) -> None:
    """One player per version of a sound (`labels` names them), three to a row, each with its SNR against
    the clean sound (heard["clean"])."""
    items = list(heard.items())
    for start in range(0, len(items), 3):
        for col, (method, x) in zip(st.columns(3), items[start:start + 3]):
            snr = "" if method == "clean" else f" · {fr(snr_db(heard['clean'], x), '.1f')}\u00a0dB"
            col.markdown(f"**{labels[method]}**{snr}")
            col.audio(to_wav_bytes(peak_normalise(x), SOUND_RATE), alt=f"{labels[method]} : {name}{snr}")
    st.caption("Chaque version est ramenée au même niveau sonore (crête à la moitié du maximum) : aucune ne "
               "sature, et la comparaison se fait à l'oreille, pas au volume.")
