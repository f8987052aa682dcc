"""The sound page's sections: denoising sounds to listen to, and the learner's own voice."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from ae_core.errors import LearnerError
from ae_core.filters import FILTERS
from ae_core.readers import ReaderError
from ae_core.sound import SOUND_RATE, read_wav
from ae_core.sound_windows import (
    MAX_VOICE_SECONDS,
    SoundSet,
    denoiser_snr,
    sound_snr,
    tuned_filters,
    versions,
    voice_set,
)
from ui.charts import plot, signal_figure
from ui.fmt import fr
from ui.live import Run
from ui.signals import HEARD, SAID, players_ui
from ui.signals import METHODS as SIGNAL_METHODS
from ui.state import memo, sounds

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
