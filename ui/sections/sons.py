"""The sound page's sections: denoising sounds to listen to, the learner's own voice, and a sound in bytes
(an autoencoder's quantised code against PCA at its best, Opus, MP3 and µ-law, at equal bytes a second)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from ae_core.errors import LearnerError
from ae_core.filters import FILTERS
from ae_core.readers import ReaderError
from ae_core.sound import SOUND_RATE, match_bytes, mu_law, read_wav
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
from ae_core.sound_windows import (
    MAX_VOICE_SECONDS,
    SoundSet,
    denoiser_snr,
    sound_snr,
    tuned_filters,
    versions,
    voice_set,
)
from ui.charts import plot, rate_figure, signal_figure
from ui.fmt import fr
from ui.live import Run
from ui.signals import HEARD, SAID, players_ui
from ui.signals import METHODS as SIGNAL_METHODS
from ui.state import code_sounds, memo, sounds

METHODS = {**SIGNAL_METHODS, "noisy": "Son bruité"}


@st.cache_data(show_spinner="Réglage des filtres sur les sons d'entraînement…", max_entries=16)
def sound_filters(kind: str, level: float) -> tuple[dict[str, dict], dict[str, float]]:
    """Each filter's parameters tuned on noisy training windows, and the SNRs they give on the test sounds."""
    params = tuned_filters(sounds(), kind, level)
    return params, sound_snr(None, sounds(), kind, level, params)


def snr_table(results: dict[str, float], caption: str) -> None:
    st.dataframe(pd.DataFrame({"SNR moyen (dB)": [results[m] for m in METHODS]},
                              index=pd.Index(list(METHODS.values()), name="méthode"))
                 .style.format(precision=1, decimal=","))
    st.caption(caption)


def sound_ui(run: Run) -> dict[str, float]:
    """Every method's mean SNR on the test sounds, then one sound to hear and see in each version."""
    trainer, c, sound_set = run.trainer, run.trainer.spec.corruption, sounds()
    params, filtered = sound_filters(c.kind, c.level)
    model = trainer.model.eval()
    ae = memo("sons_snr", trainer.spec, lambda: denoiser_snr(model, sound_set, c.kind, c.level))
    results = {**filtered, "autoencoder": ae}
    snr_table(results, f"Sur les {len(sound_set.test)} sons de test, avec {SAID[c.kind]} de niveau "
                       f"{fr(c.level, '.2f')} ; le son est nettoyé par fenêtres de 32\u00a0ms qui se chevauchent, "
                       "puis recollé.")
    i = st.selectbox("Son à écouter", range(len(sound_set.test)), format_func=lambda j: f"n°\u00a0{j} : "
                     f"{sound_set.names[j]}", key="sons_pick")
    heard = memo("sons_heard", (trainer.spec, i), lambda: versions(model, sound_set, i, c.kind, c.level, params))
    players_ui(heard, sound_set.names[i])
    zoom = slice(SOUND_RATE // 4, SOUND_RATE // 4 + 240)  # 30 ms, a quarter of a second in
    plot(st, signal_figure({HEARD[m]: heard[m][zoom] for m in ("clean", "noisy", "autoencoder")}, SOUND_RATE),
         key="sons_zoom", caption="30\u00a0ms du son choisi : propre (trait épais), bruité et débruité "
         "par l'autoencodeur.")
    return results


# --- the learner's voice -------------------------------------------------------------------------

def voice_input_ui() -> SoundSet | None:
    """The learner's recording or WAV file, read within bounds into this session only; None without one."""
    st.info("Votre voix reste dans la mémoire de cette session : elle n'est jamais écrite sur disque, jamais "
            "journalisée, jamais partagée, et elle disparaît quand vous fermez l'onglet ou rechargez la page.",
            icon=":material/lock:")
    cols = st.columns(2)
    recorded = cols[0].audio_input(f"Enregistrez une phrase (3 à {MAX_VOICE_SECONDS:.0f}\u00a0secondes)",
                                   sample_rate=SOUND_RATE, key="sons_voice_rec")
    uploaded = cols[1].file_uploader("… ou envoyez un fichier WAV", type=["wav"], key="sons_voice_file",
                                     help=f"Au plus {MAX_VOICE_SECONDS:.0f}\u00a0secondes et 5\u00a0Mo ; le son "
                                          "est ramené en mono à 8 000\u00a0Hz.")
    file = recorded or uploaded
    if file is None:
        return None
    content = file.getvalue()
    try:  # kept in this session only (memo), never in a cache shared between learners
        return memo("sons_voice", hashlib.sha256(content).digest(),
                    lambda: voice_set(read_wav(content, SOUND_RATE, MAX_VOICE_SECONDS)))
    except (ReaderError, LearnerError) as exc:
        st.error(str(exc))
        return None


def voice_ui(voice: SoundSet, run: Run) -> dict[str, float]:
    """The denoisers measured on the held-out end of the learner's recording, and each version to hear."""
    trainer, c = run.trainer, run.trainer.spec.corruption
    model = trainer.model.eval()
    params = memo("sons_voice_params", (voice.data.name, c), lambda: tuned_filters(voice, c.kind, c.level))
    results = memo("sons_voice_snr", trainer.spec, lambda: sound_snr(model, voice, c.kind, c.level, params))
    seconds = fr(voice.test.shape[1] / SOUND_RATE, ".1f")
    snr_table(results, f"Sur la fin de votre enregistrement ({seconds}\u00a0s), que ni l'autoencodeur ni les "
                       f"filtres n'ont vue, avec {SAID[c.kind]} de niveau {fr(c.level, '.2f')}.")
    best = max(FILTERS, key=results.get)
    if results["autoencoder"] > results[best]:
        st.success(f"Sur votre voix, l'autoencodeur bat le meilleur filtre réglé ({FILTERS[best]}) de "
                   f"{fr(results['autoencoder'] - results[best], '.1f')}\u00a0dB.")
    else:
        st.warning(f"Sur votre voix, l'autoencodeur ne bat pas le meilleur filtre réglé ({FILTERS[best]}) : "
                   f"{fr(results['autoencoder'], '.1f')}\u00a0dB contre {fr(results[best], '.1f')}\u00a0dB. Quelques "
                   "secondes d'une seule voix, c'est peu pour apprendre ; le filtre, lui, n'a que "
                   "quelques réglages à choisir.")
    heard = memo("sons_voice_heard", trainer.spec, lambda: versions(model, voice, 0, c.kind, c.level, params))
    players_ui({m: heard[m] for m in ("clean", "noisy", best, "autoencoder")}, "la fin de votre enregistrement")
    return results


# --- a sound in bytes -----------------------------------------------------------------------------

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
