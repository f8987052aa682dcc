"""Sounds as short overlapping windows: an autoencoder denoises a whole sound window by window, against
classical filters tuned on noisy windows of training sounds only.

A sound of T samples becomes rows of WINDOW samples every HOP (ae_core.sound.frame); the model cleans each
row and ae_core.sound.overlap_add crossfades them back into T samples.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch

from .corruption import SIGNAL_NOISES
from .data import Dataset
from .errors import LearnerError
from .filters import FILTERS, apply_filter, tune_filter
from .metrics import reconstruct
from .signals import add_noise, snr_db
from .sound import SOUND_KINDS, SOUND_RATE, frame, overlap_add, synthetic_sounds

WINDOW = 256  # 32 ms at 8 kHz: a few periods of a voice's fundamental
HOP = WINDOW // 2
SOUND_NAMES = {"note": "note", "a": "voyelle «\u202fa\u202f»", "i": "voyelle «\u202fi\u202f»",
               "ou": "voyelle «\u202fou\u202f»"}
TUNING_WINDOWS = 300  # noisy training windows the filters' grids are scored on
VOICE_TRAIN_SHARE = 0.7  # the first 70 % of a recording trains, the rest is held out
MIN_VOICE_SECONDS, MAX_VOICE_SECONDS = 3.0, 20.0


@dataclass(frozen=True, eq=False)
class SoundSet:
    """Whole training and test sounds (n, T) in units of the training sounds' standard deviation, and
    their windows as a Dataset (N, 1, 1, WINDOW) whose test part holds the test sounds' windows."""

    train: np.ndarray
    test: np.ndarray
    data: Dataset

    @property
    def names(self) -> list[str]:
        """The kind of each test sound, in French."""
        return [SOUND_NAMES[SOUND_KINDS[i % len(SOUND_KINDS)]] for i in range(len(self.test))]


def windows_of(sounds: np.ndarray) -> np.ndarray:
    """Sounds (n, T) -> their windows (n * windows per sound, WINDOW)."""
    return np.concatenate([frame(s, WINDOW, HOP) for s in sounds])


def sound_set(n_train: int = 40, n_test: int = 8, seconds: float = 1.0, seed: int = 0) -> SoundSet:
    """Synthetic notes and vowels (ae_core.sound.synthetic_sounds) at SOUND_RATE, cut into windows."""
    train = synthetic_sounds(n_train, seconds, seed)
    test = synthetic_sounds(n_test, seconds, seed + 1)
    scale = float(train.std())
    train, test = train / scale, test / scale
    rows = np.concatenate([windows_of(train), windows_of(test)])
    n_windows = len(rows) - len(windows_of(test))
    data = Dataset("sons", torch.from_numpy(rows).float().view(len(rows), 1, 1, WINDOW),
                   torch.zeros(len(rows), dtype=torch.long), ("son",), n_windows)
    return SoundSet(train, test, data)


def voice_set(x: np.ndarray) -> SoundSet:
    """A learner's recording (T,) at SOUND_RATE as a SoundSet: its first VOICE_TRAIN_SHARE trains, the rest
    is the one test sound. Its data's name carries a digest of the recording, so that a training on one
    recording never passes for a training on another. Raises LearnerError when it is too short or silent."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1 or len(x) < MIN_VOICE_SECONDS * SOUND_RATE:
        seconds = f"{len(x) / SOUND_RATE:.1f}".replace(".", ",")
        raise LearnerError(f"Enregistrement trop court ({seconds}\u00a0s)\u00a0: il faut au moins "
                           f"{MIN_VOICE_SECONDS:.0f}\u00a0secondes, pour apprendre sur le début et mesurer sur la fin.")
    cut = int(VOICE_TRAIN_SHARE * len(x))
    scale = float(x[:cut].std())
    if scale < 1e-4 or float(x[cut:].std()) < 1e-4:
        raise LearnerError("Enregistrement silencieux\u00a0: parlez plus près du micro, pendant tout l'enregistrement.")
    train, test = x[None, :cut] / scale, x[None, cut:] / scale  # (1, T_train), (1, T_test)
    rows = np.concatenate([windows_of(train), windows_of(test)])
    name = "voix_" + hashlib.sha256(x.tobytes()).hexdigest()[:12]
    data = Dataset(name, torch.from_numpy(rows).float().view(len(rows), 1, 1, WINDOW),
                   torch.zeros(len(rows), dtype=torch.long), ("voix",), len(windows_of(train)))
    return SoundSet(train, test, data)


def denoise_sound(model: torch.nn.Module, noisy: np.ndarray) -> np.ndarray:
    """A whole noisy sound (T,) cleaned window by window by `model`, crossfaded back into (T,)."""
    rows = frame(noisy, WINDOW, HOP)
    out = reconstruct(model, torch.from_numpy(rows).float().view(len(rows), 1, 1, WINDOW)).flatten(1).numpy()
    return overlap_add(out, HOP, len(noisy))


def tuned_filters(sounds: SoundSet, kind: str, level: float, seed: int = 1) -> dict[str, dict]:
    """Each filter's parameters, chosen by its grid on TUNING_WINDOWS noisy windows of the training sounds."""
    clean = windows_of(sounds.train)[:TUNING_WINDOWS]
    noisy = add_noise(clean, SIGNAL_NOISES[kind], level, SOUND_RATE, seed + 1000)
    return {name: tune_filter(name, clean, noisy, SOUND_RATE)[0] for name in FILTERS}


def noisy_test(sounds: SoundSet, kind: str, level: float, seed: int = 1) -> np.ndarray:
    """The test sounds (n, T) with the noise `kind` (a Corruption kind of SIGNAL_NOISES) drawn from `seed`."""
    return add_noise(sounds.test, SIGNAL_NOISES[kind], level, SOUND_RATE, seed)


def versions(model: torch.nn.Module | None, sounds: SoundSet, i: int, kind: str, level: float,
             params: dict[str, dict]) -> dict[str, np.ndarray]:
    """Test sound i (T,): clean, noisy, through each tuned filter and through the autoencoder (when given)."""
    noisy = noisy_test(sounds, kind, level)[i]
    out = {"clean": sounds.test[i], "noisy": noisy}
    out |= {name: apply_filter(name, noisy[None], params[name], SOUND_RATE)[0] for name in FILTERS}
    if model is not None:
        out["autoencoder"] = denoise_sound(model, noisy)
    return out


def sound_snr(model: torch.nn.Module | None, sounds: SoundSet, kind: str, level: float,
              params: dict[str, dict]) -> dict[str, float]:
    """{method: mean SNR (dB) over the test sounds}: the noisy input, each tuned filter, the autoencoder."""
    per_sound = [versions(model, sounds, i, kind, level, params) for i in range(len(sounds.test))]
    return {m: float(np.mean([snr_db(v["clean"], v[m]) for v in per_sound])) for m in per_sound[0] if m != "clean"}


def denoiser_snr(model: torch.nn.Module, sounds: SoundSet, kind: str, level: float) -> float:
    """The autoencoder's mean SNR (dB) over the test sounds, with the noise sound_snr draws: its row alone."""
    noisy = noisy_test(sounds, kind, level)
    return float(np.mean([snr_db(clean, denoise_sound(model, x)) for clean, x in zip(sounds.test, noisy)]))
