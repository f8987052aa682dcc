"""A sound in bytes: an autoencoder's code of each window of sound, quantised, against PCA at its best,
Opus, MP3 and µ-law telephone coding.

The sender cuts a sound into windows of WINDOW samples every `hop` samples (ae_core.sound.frame),
encodes each window to a code of k numbers and sends each number on b bits: a uniform quantiser per
code dimension over that dimension's range on the TRAINING windows' codes, values outside clipped
(ae_core.compress.quantise). The receiver decodes each window and crossfades them back
(ae_core.sound.overlap_add). The cost is windows per second × k × b / 8 bytes a second. The decoder's
weights (PCA's components) are sent once and shared by every sound, like a codebook: they are not
counted. Opus and MP3 count their whole file, headers included (ae_core.sound.match_bytes); µ-law
telephone coding costs 8 bits a sample, 8,000 bytes a second at 8 kHz.

Quality is the mean SNR (dB) over the test sounds, each against its clean version (ae_core.signals.snr_db).
Measured in `python -m bench.signals --part bytes` (tests/test_sound_bytes.py holds it): PCA, choosing its
size and bits at each budget, beats the recipe's autoencoder (ae_core.recipes.sound_code_spec) by 3 to 12 dB
from 512 to 4,096 bytes a second; Opus and MP3 cannot go below about 2,000 bytes a second on a one-second
sound (their headers), and above it MP3 beats the autoencoder by 7 dB or more; µ-law, at 8,000, beats them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from .baselines import PCABaseline
from .compress import quantise
from .errors import LearnerError
from .metrics import encode
from .signals import snr_db
from .sound import SOUND_RATE, frame, match_bytes, mu_law, overlap_add
from .sound_windows import WINDOW, SoundSet, sound_set

# Windows side by side, not overlapping by half: overlapping ones cost two codes for each WINDOW new samples,
# and at equal bytes they lose 2 to 9 dB (the autoencoder at 1,984 B/s: 6.3 dB, side by side at 2,048: 15.2 dB;
# PCA at its best 13.1 and 18.5; python -m bench.signals --part bytes).
CODE_HOP = WINDOW
CODE_TRAIN_SOUNDS = 160  # on the denoiser's 40, a code of 128 numbers learns them by heart: 15.0 dB, not 18.4
CODE_BITS = (1, 2, 3, 4, 5, 6, 8)  # k = 128 numbers side by side: 512 to 4,096 bytes a second
PCA_BITS = tuple(range(1, 11))
# PCA's sizes tried at every budget, besides the largest one each number of bits can pay for (which won
# every budget of the bench: the smaller ones are there in case fewer, finer numbers would do better)
PCA_SIZES = (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256)
PCA_TUNING_SOUNDS = 40  # training sounds PCA's (size, bits) is chosen on
SYNTHETIC_PEAK = 0.5  # ae_core.sound.synthetic_sounds scales every sound to this peak
TELEPHONE_BITS = 8  # G.711 µ-law: 8 bits a sample


class Point(NamedTuple):
    """One way of sending the test sounds: its mean bytes a second, mean SNR (dB) and setting ("k=128, b=4")."""

    bytes_per_second: float
    snr: float
    setting: str = ""


@dataclass(frozen=True, eq=False)
class PCACoder:
    """PCA of the training windows with every component, and each component's range over their codes (WINDOW,)."""

    pca: PCABaseline
    lo: torch.Tensor
    hi: torch.Tensor

    @property
    def size(self) -> int:
        """Its number of components: WINDOW, or fewer when there are fewer training windows."""
        return len(self.lo)


@dataclass(frozen=True)
class PCAChoice:
    """PCA at a budget: the (k, bits) with the best mean SNR on training sounds, and its figures on the test sounds."""

    k: int
    bits: int
    bytes_per_second: float
    snrs: tuple[float, ...]  # one per test sound, dB

    @property
    def snr(self) -> float:
        return float(np.mean(self.snrs))


def code_sound_set(seed: int = 0) -> SoundSet:
    """The experiment's sounds: CODE_TRAIN_SOUNDS training sounds, and the denoiser's 8 test sounds."""
    return sound_set(CODE_TRAIN_SOUNDS, 8, seed=seed)


def bytes_per_second(n_windows: int, k: int, bits: int, seconds: float) -> float:
    """Bytes a second of n_windows codes of k numbers on `bits` bits each, for a sound of `seconds` seconds."""
    return n_windows * k * bits / 8 / seconds


def signal_scale(sounds: SoundSet) -> float:
    """The factor from the SoundSet's units (training std) back to the synthetic sounds' level in [-1, 1]: each
    training sound peaked at SYNTHETIC_PEAK before sound_set divided them all by their std."""
    return SYNTHETIC_PEAK / float(np.abs(sounds.train).max())


def _rows(windows: np.ndarray) -> torch.Tensor:
    """Windows (n, WINDOW) as the model's input (n, 1, 1, WINDOW)."""
    return torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32)).view(len(windows), 1, 1, WINDOW)


@torch.no_grad()
def _decode(model: nn.Module, z: torch.Tensor) -> np.ndarray:
    """Codes (n, k) -> decoded windows (n, WINDOW) on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    return model.decode(z.to(device)).cpu().flatten(1).numpy()  # (n, WINDOW)


def code_ranges(model: nn.Module, sounds: SoundSet) -> tuple[torch.Tensor, torch.Tensor]:
    """(lo, hi), each (k,): every code dimension's smallest and largest value over the training windows."""
    codes = encode(model, sounds.data.images[:sounds.data.n_train])  # (N, k)
    return codes.amin(0), codes.amax(0)


def compress_sound(model: nn.Module, x: np.ndarray, bits: int, lo: torch.Tensor, hi: torch.Tensor,
                   hop: int = CODE_HOP) -> tuple[np.ndarray, float]:
    """A sound (T,) through the model's code quantised on `bits` bits -> (x_hat (T,), bytes a second)."""
    windows = frame(x, WINDOW, hop)  # (n, WINDOW)
    z_hat = quantise(encode(model, _rows(windows)), lo, hi, bits)  # (n, k)
    x_hat = overlap_add(_decode(model, z_hat), hop, len(x))
    return x_hat, bytes_per_second(len(windows), z_hat.shape[1], bits, len(x) / SOUND_RATE)


def pca_coder(sounds: SoundSet) -> PCACoder:
    """PCA fitted on the training windows, with its codes' ranges there."""
    train = sounds.data.images[:sounds.data.n_train]  # (N, 1, 1, WINDOW)
    pca = PCABaseline(train, WINDOW)
    codes = torch.from_numpy(pca.encode(train))  # (N, WINDOW)
    return PCACoder(pca, codes.amin(0), codes.amax(0))


def _pca_windows(coder: PCACoder, z: torch.Tensor, k: int, bits: int) -> np.ndarray:
    """Codes (n, WINDOW) of PCACoder -> windows (n, WINDOW) from their first k numbers on `bits` bits."""
    z_hat = quantise(z[:, :k], coder.lo[:k], coder.hi[:k], bits).numpy()  # (n, k)
    return coder.pca.pca.mean_ + z_hat @ coder.pca.pca.components_[:k]


def pca_compress(coder: PCACoder, x: np.ndarray, k: int, bits: int, hop: int = CODE_HOP) -> tuple[np.ndarray, float]:
    """A sound (T,) through PCA's first k numbers (coder.size at most) on `bits` bits -> (x_hat (T,), bytes/s)."""
    k = min(k, coder.size)
    windows = frame(x, WINDOW, hop)  # (n, WINDOW)
    z = torch.from_numpy(coder.pca.encode(_rows(windows)))  # (n, WINDOW)
    x_hat = overlap_add(_pca_windows(coder, z, k, bits), hop, len(x))
    return x_hat, bytes_per_second(len(windows), k, bits, len(x) / SOUND_RATE)


def _pca_sizes(budget: float, bits: int, windows_per_second: float, size: int) -> list[int]:
    """PCA's sizes to try at `bits` bits a number within `budget` bytes a second: the largest one (at most
    `size`, PCA's) and those of PCA_SIZES below it; none when not even one number fits."""
    largest = min(size, int(budget * 8 / (windows_per_second * bits) + 1e-9))
    return ([k for k in PCA_SIZES if k < largest] + [largest]) if largest >= 1 else []


def pca_choices(sounds: SoundSet, budgets: Sequence[float], hop: int = CODE_HOP,
                coder: PCACoder | None = None) -> list[PCAChoice | None]:
    """PCA at its best at each budget (bytes a second): among PCA_BITS and PCA_SIZES plus the largest k each
    number of bits pays for, the (k, bits) of best mean SNR on PCA_TUNING_SOUNDS training sounds within
    the budget, measured on the test sounds; None when not even one number of one bit fits."""
    coder = coder or pca_coder(sounds)
    tuning = sounds.train[:PCA_TUNING_SOUNDS]  # (n, T)
    seconds = tuning.shape[1] / SOUND_RATE
    windows = np.stack([frame(x, WINDOW, hop) for x in tuning])  # (n, n_windows, WINDOW)
    z = torch.from_numpy(coder.pca.encode(_rows(windows.reshape(-1, WINDOW))))  # (n * n_windows, WINDOW)
    per_second = windows.shape[1] / seconds
    scores: dict[tuple[int, int], float] = {}

    def tuning_snr(k: int, bits: int) -> float:
        if (k, bits) not in scores:
            x_hat = _pca_windows(coder, z, k, bits).reshape(windows.shape)
            scores[k, bits] = float(np.mean([snr_db(x, overlap_add(w, hop, len(x))) for x, w in zip(tuning, x_hat)]))
        return scores[k, bits]

    out = []
    for budget in budgets:
        pairs = [(k, b) for b in PCA_BITS for k in _pca_sizes(budget, b, per_second, coder.size)]
        if not pairs:
            out.append(None)
            continue
        k, b = max(pairs, key=lambda p: tuning_snr(*p))
        heard = [pca_compress(coder, x, k, b, hop) for x in sounds.test]
        out.append(PCAChoice(k, b, float(np.mean([r for _, r in heard])),
                             tuple(snr_db(x, x_hat) for x, (x_hat, _) in zip(sounds.test, heard))))
    return out


def pca_at_budget(sounds: SoundSet, budget: float, hop: int = CODE_HOP) -> PCAChoice | None:
    """PCA at its best within `budget` bytes a second (pca_choices for one budget)."""
    return pca_choices(sounds, [budget], hop)[0]


def codec_point(sounds: SoundSet, codec: str, budget: float) -> Point | None:
    """Opus or MP3 matched to `budget` bytes a second on each test sound (whole files, within 10 %): their mean
    bytes a second and SNR; None when the budget is out of the codec's reach on one of them (below its floor)."""
    scale = signal_scale(sounds)
    try:
        heard = [match_bytes(x * scale, SOUND_RATE, codec, budget) for x in sounds.test]
    except LearnerError:
        return None
    snrs = [snr_db(x, decoded / scale) for x, (decoded, _, _) in zip(sounds.test, heard)]
    return Point(float(np.mean([rate for _, rate, _ in heard])), float(np.mean(snrs)))


def telephone_point(sounds: SoundSet) -> Point:
    """8-bit µ-law at SOUND_RATE (ae_core.sound.mu_law), 8,000 bytes a second: the telephone's reference point."""
    scale = signal_scale(sounds)
    snrs = [snr_db(x, mu_law(x * scale, TELEPHONE_BITS) / scale) for x in sounds.test]
    return Point(SOUND_RATE * TELEPHONE_BITS / 8, float(np.mean(snrs)), f"µ-law, b={TELEPHONE_BITS}")


def code_points(model: nn.Module, sounds: SoundSet, bits: Sequence[int] = CODE_BITS, hop: int = CODE_HOP
                ) -> list[Point]:
    """The autoencoder's code quantised on each number of `bits`: one Point each, on the test sounds."""
    lo, hi = code_ranges(model, sounds)
    out = []
    for b in bits:
        heard = [compress_sound(model, x, b, lo, hi, hop) for x in sounds.test]
        out.append(Point(float(np.mean([r for _, r in heard])),
                         float(np.mean([snr_db(x, x_hat) for x, (x_hat, _) in zip(sounds.test, heard)])),
                         f"k={len(lo)}, b={b}"))
    return out


def bytes_table(model: nn.Module, sounds: SoundSet, bits: Sequence[int] = CODE_BITS, hop: int = CODE_HOP
                ) -> dict[str, list[Point]]:
    """{method: points} on the test sounds: "autoencoder" at each of `bits`, then at the autoencoder's budgets
    "pca" at its best, "opus" and "mp3" (a budget out of a codec's reach is left out), and "mu_law"."""
    table = {"autoencoder": code_points(model, sounds, bits, hop)}
    budgets = [p.bytes_per_second for p in table["autoencoder"]]
    table["pca"] = [Point(c.bytes_per_second, c.snr, f"k={c.k}, b={c.bits}")
                    for c in pca_choices(sounds, budgets, hop) if c is not None]
    for codec in ("opus", "mp3"):
        table[codec] = [p for p in (codec_point(sounds, codec, b) for b in budgets) if p is not None]
    table["mu_law"] = [telephone_point(sounds)]
    return table
