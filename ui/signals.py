"""What the two signal pages share: the noise kinds and their labels, and the noise's controls."""

from __future__ import annotations

import streamlit as st

from ae_core.filters import FILTERS
from ui.address import Setting, control
from ui.fmt import fr, fr_2dp, slider_values

# The noise kinds (keys of ae_core.corruption.SIGNAL_NOISES) and their French labels.
KINDS = {"signal_gaussian": "Bruit blanc", "hum": "Secteur (50\u00a0Hz)", "clicks": "Clics"}  # short: a phone's width
SAID = {"signal_gaussian": "un bruit blanc gaussien", "hum": "le ronflement du secteur à 50\u00a0Hz",
        "clicks": "des clics"}
LEVELS = slider_values(0.05, 1.0)
METHODS = {"noisy": "Entrée bruitée", **FILTERS, "autoencoder": "Autoencodeur débruiteur"}


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
