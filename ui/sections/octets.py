"""The sound page's section « Un son en octets »: an autoencoder's quantised code against PCA at its best,
Opus, MP3 and µ-law, at equal bytes a second, to see and to hear."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ae_core.errors import LearnerError
from ae_core.sound import SOUND_RATE, match_bytes, mu_law
from ae_core.sound_bytes import (
    CODE_BITS,
    TELEPHONE_BITS,
    PCAChoice,
    code_points,
    code_ranges,
    codec_point,
    compress_sound,
    pca_choices,
    pca_coder,
    pca_compress,
    signal_scale,
    telephone_point,
)
from ui.charts import plot, rate_figure
from ui.fmt import fr
from ui.live import Run
from ui.signals import players_ui
from ui.state import code_sounds, memo

CODECS = {"opus": "Opus", "mp3": "MP3"}
NAMES = {"autoencoder": "Autoencodeur", "pca": "ACP à son meilleur", **CODECS, "mu_law": "Loi µ (téléphone)"}


@st.cache_resource(show_spinner="L'ACP, Opus, MP3 et la loi µ codent les sons de test à chaque budget…")
def references(budgets: tuple[float, ...]) -> dict[str, list]:
    """PCA at its best (a PCAChoice or None per budget), Opus and MP3 (a Point or None) and µ-law (one Point)
    on the test sounds: the same for every learner, computed once."""
    sounds = code_sounds()
    return {"pca": pca_choices(sounds, budgets, coder=_coder()),
            **{codec: [codec_point(sounds, codec, b) for b in budgets] for codec in CODECS},
            "mu_law": [telephone_point(sounds)]}


@st.cache_resource
def _coder():
    return pca_coder(code_sounds())


@st.cache_data(max_entries=64, show_spinner=False)
def codec_version(i: int, codec: str, budget: float) -> tuple[np.ndarray, float] | str:
    """Test sound i through `codec` at about `budget` bytes a second: (decoded, bytes a second), or why not."""
    sounds = code_sounds()
    scale = signal_scale(sounds)
    try:
        decoded, rate, _ = match_bytes(sounds.test[i] * scale, SOUND_RATE, codec, budget)
    except LearnerError as exc:
        return str(exc)
    return decoded / scale, rate


def bytes_ui(run: Run) -> tuple[dict[str, str], bool]:
    """The SNR against bytes a second of every method, then one sound heard through each at a chosen budget.
    Returns the figures at that budget (for the lesson) and whether PCA beat the autoencoder there."""
    model, spec, sounds = run.trainer.model.eval(), run.trainer.spec, code_sounds()
    ae = memo("octets_ae", spec, lambda: code_points(model, sounds))
    budgets = tuple(p.bytes_per_second for p in ae)
    ref = references(budgets)
    k, whole = spec.model.latent_dim, "fichier entier, en-têtes compris"
    table = {"autoencoder": [(p.bytes_per_second, p.snr, _numbers(k, b)) for p, b in zip(ae, CODE_BITS)],
             "pca": [c and (c.bytes_per_second, c.snr, _numbers(c.k, c.bits)) for c in ref["pca"]],
             **{codec: [p and (p.bytes_per_second, p.snr, whole) for p in ref[codec]] for codec in CODECS}}
    bits = st.select_slider("Budget (octets par seconde)", CODE_BITS, 4, key="sons_bits",
                            format_func=lambda b: fr(budgets[CODE_BITS.index(b)], ",.0f"),
                            help="L'autoencodeur atteint chaque budget en arrondissant chacun des nombres de son "
                                 "code sur plus ou moins de bits ; les autres méthodes se règlent sur le même budget.")
    at = CODE_BITS.index(bits)
    plot(st, rate_figure({NAMES[m]: [r for r in rows if r] for m, rows in table.items()}, budgets[at],
                         "octets par seconde"), key="sons_rate_chart",
         caption=f"SNR moyen des {len(sounds.test)} sons de test selon les octets par seconde : plus haut et plus à "
                 f"gauche, c'est mieux ; le trait noir est votre budget. La loi µ du téléphone, à "
                 f"{fr(SOUND_RATE * TELEPHONE_BITS / 8, ',.0f')}\u00a0octets par seconde, est hors du graphique.")
    mu = ref["mu_law"][0]
    telephone = (mu.bytes_per_second, mu.snr, f"{TELEPHONE_BITS}\u00a0bits par échantillon")
    rows = {m: r[at] for m, r in table.items()} | {"mu_law": telephone}
    st.dataframe(pd.DataFrame([(fr(r[0], ",.0f"), fr(r[1], ".1f"), r[2]) if r else ("—", "—", "hors de portée")
                               for r in rows.values()], columns=["octets par seconde", "SNR moyen (dB)", "réglage"],
                              index=pd.Index([NAMES[m] for m in rows], name="méthode")))
    absent = [CODECS[c] for c in CODECS if rows[c] is None]
    if absent:
        st.caption(f"{' et '.join(absent)} ne descend{'ent' if len(absent) > 1 else ''} pas à ce budget sur des "
                   "sons d'une seconde : le plus petit fichier, en-têtes compris, coûte davantage.")
    i = st.selectbox("Son à écouter", range(len(sounds.test)), key="sons_bytes_pick",
                     format_func=lambda j: f"n°\u00a0{j}\u202f: {sounds.names[j]}")
    heard = memo("octets_heard", (spec, i, bits), lambda: _versions(model, i, bits, ref["pca"][at]))
    players_ui(heard, sounds.names[i], {"clean": "Son d'origine", **NAMES})
    best = max((m for m in table if rows[m]), key=lambda m: rows[m][1])
    values = {"bytes_budget": fr(budgets[at], ",.0f"), "bytes_ae": fr(rows["autoencoder"][1], ".1f"),
              "bytes_pca": fr(rows["pca"][1], ".1f") if rows["pca"] else "—", "bytes_best": NAMES[best]}
    return values, bool(rows["pca"]) and rows["pca"][1] > rows["autoencoder"][1]


def _numbers(k: int, bits: int) -> str:
    return f"{k} nombres de {bits}\u00a0bits"


def _versions(model, i: int, bits: int, pca: PCAChoice | None) -> dict[str, np.ndarray]:
    """Test sound i: clean, through the autoencoder's code on `bits` bits, PCA's choice, each codec where it
    reaches the budget, and µ-law."""
    sounds = code_sounds()
    x, scale = sounds.test[i], signal_scale(sounds)
    lo, hi = code_ranges(model, sounds)
    x_hat, budget = compress_sound(model, x, bits, lo, hi)
    out = {"clean": x, "autoencoder": x_hat}
    if pca is not None:
        out["pca"] = pca_compress(_coder(), x, pca.k, pca.bits)[0]
    for codec in CODECS:
        if not isinstance(version := codec_version(i, codec, budget), str):
            out[codec] = version[0]
    out["mu_law"] = mu_law(x * scale, TELEPHONE_BITS) / scale
    return out
