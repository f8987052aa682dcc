"""Heartbeats and the noises of a recording: synthetic ECG beats, mains hum, clicks, and the SNR in dB.

The beats use the usual closed-form simplification of McSharry et al. (2003), “A dynamical model for
generating synthetic electrocardiogram signals”, IEEE Trans. Biomed. Eng. 50(3), 289–294. Their model
moves a point around a limit cycle of phase θ and drives the height z by

    dz/dt = −Σ_i a_i Δθ_i exp(−Δθ_i² / (2 b_i²)) − (z − z0),   i ∈ {P, Q, R, S, T}.

Here the limit cycle and the baseline-restoring term −(z − z0) are dropped, and the phase turns at a
constant speed ω within a beat; dz/dθ then integrates to a sum of Gaussian waves placed by phase,

    z(θ) = Σ_i a_i b_i² exp(−Δθ_i² / (2 b_i²)) / ω,

with McSharry's Table 1 angles θ_i, amplitudes a_i and widths b_i. The heights a_i b_i² are rescaled so
that R is 1 (about 1 mV; 1/ω goes into that scale). At 60 bpm a wave at phase θ_i sits θ_i / (2π) seconds
from R, with a width of b_i / (2π) seconds. From beat to beat (all seeded): the heart rate (55 to 95 bpm)
stretches the P and T offsets and widths by sqrt(RR), as QT grows like sqrt(RR) (Bazett); heights and
widths are jittered by 5 %; a slow sine (0.1 to 0.5 Hz, random phase) adds baseline wander. The
abnormal classes change these waves (see `ecg_beats`). Each beat is one window of BEAT_SAMPLES samples
with its R peak on sample R_INDEX, the way segmented-beat data sets (ECG5000) present them.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from .errors import LearnerError, quote

ECG_RATE = 200  # Hz
BEAT_SAMPLES = 140  # 0.7 s per beat window
R_INDEX = 56  # 40 % into the window: the R peak of every beat
MAX_BEATS = 50_000
ECG_CLASSES = ("Normal", "QRS large (battement ventriculaire)", "Onde T inversée",
               "Sus-décalage du segment ST", "Onde P absente")

# McSharry et al. (2003), Table 1, in the order P, Q, R, S, T.
THETA = np.array([-math.pi / 3, -math.pi / 12, 0.0, math.pi / 12, math.pi / 2])
A = np.array([1.2, -5.0, 30.0, -7.5, 0.75])
B = np.array([0.25, 0.1, 0.1, 0.1, 0.4])
HEIGHTS = A * B**2 / (A[2] * B[2] ** 2)  # the integrated waves' heights, R = 1: P 0.25, Q −0.17, S −0.25, T 0.4
P, Q, R, S, T = range(5)
JITTER = 0.05  # relative spread of each wave's height and width

NOISES = {"gaussian": "Bruit gaussien", "hum": "Ronflement du secteur (50\u00a0Hz)", "clicks": "Clics"}
MAINS_HZ = 50.0
CLICK_SHARE = 0.01  # share of samples hit by a click
CLICK_SCALE = 5.0  # a click is level × CLICK_SCALE × std high


def ecg_beats(n: int, seed: int = 0, abnormal: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic beats (n, BEAT_SAMPLES) float32 in mV and labels (n,) int64 indexing ECG_CLASSES.

    A share `abnormal` of the beats (rounded to a whole number) is spread evenly over classes 1 to 4,
    in a seeded random order: 1, a ventricular beat (no P wave, QRS 2.5 times wider and 1.5 times
    taller, T wave opposite to the QRS); 2, an inverted T wave; 3, a raised ST segment (0.15 to 0.3 mV
    from 40 ms after R until the T wave); 4, no P wave.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_BEATS:
        raise LearnerError(f"Le nombre de battements doit être un entier entre 1 et 50\u202f000 "
                           f"(reçu\u00a0: {quote(n)}).")
    if not (isinstance(abnormal, Real) and 0.0 <= abnormal <= 1.0):
        raise LearnerError(f"La part de battements anormaux doit être entre 0 et 1 (reçue\u00a0: {quote(abnormal)}).")
    rng = np.random.default_rng(seed)
    n_abnormal = round(abnormal * n)
    labels = np.zeros(n, np.int64)
    labels[:n_abnormal] = 1 + np.arange(n_abnormal) % 4
    labels = rng.permutation(labels)

    rr = 60.0 / rng.uniform(55.0, 95.0, n)  # (n,) seconds between beats
    stretch = np.where(np.isin(np.arange(5), (P, T)), np.sqrt(rr)[:, None], 1.0)  # (n, 5)
    centre = THETA / (2 * math.pi) * stretch  # (n, 5) seconds from R
    width = B / (2 * math.pi) * stretch * (1 + JITTER * rng.standard_normal((n, 5)))
    height = HEIGHTS * (1 + JITTER * rng.standard_normal((n, 5)))

    ventricular = labels == 1
    height[ventricular, P] = 0.0
    width[ventricular, Q:S + 1] *= 2.5
    centre[ventricular, Q:S + 1] *= 2.0  # Q and S move out with the wider R
    height[ventricular, R] *= 1.5
    height[ventricular, T] *= -1.5  # discordant: opposite to the (positive) QRS
    width[ventricular, T] *= 1.3
    inverted = labels == 2
    height[inverted, T] *= -rng.uniform(0.6, 1.0, inverted.sum())
    height[labels == 4, P] = 0.0

    t = (np.arange(BEAT_SAMPLES) - R_INDEX) / ECG_RATE  # (BEAT_SAMPLES,) seconds from R
    offset = t - centre[:, :, None]  # (n, 5, BEAT_SAMPLES)
    beats = np.einsum("nw,nwt->nt", height, np.exp(-0.5 * (offset / width[:, :, None]) ** 2))

    raised = labels == 3
    lift = rng.uniform(0.15, 0.3, (raised.sum(), 1))
    t_end = (centre[raised, T] + width[raised, T])[:, None]  # the ST segment merges into the T wave
    beats[raised] += lift * _sigmoid((t - 0.04) / 0.006) * _sigmoid((t_end - t) / 0.03)

    wander = rng.uniform(0.02, 0.1, (n, 1)) * np.sin(
        2 * math.pi * rng.uniform(0.1, 0.5, (n, 1)) * t + rng.uniform(0, 2 * math.pi, (n, 1)))
    return (beats + wander).astype(np.float32), labels


def _sigmoid(u: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * u))


def float_signal(x: np.ndarray) -> tuple[np.ndarray, np.dtype]:
    """A float64 copy of the signal x (L,) or signals (N, L), and the dtype to return (x's own if a float)."""
    x = np.asarray(x)
    if x.ndim not in (1, 2) or x.shape[-1] < 1:
        raise LearnerError("Le signal doit être un tableau à une ou deux dimensions (lignes = signaux).")
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    return x.astype(np.float64), dtype


def add_noise(x: np.ndarray, kind: str, level: float, rate: float, seed: int = 0) -> np.ndarray:
    """x (..., L) plus a noise `kind` (a key of NOISES) sampled at `rate` Hz; same shape, x is not mutated.

    The noise scale is level × the standard deviation of the whole array. gaussian: white noise of that
    standard deviation. hum: the 50 Hz mains sine of that amplitude plus its 3rd harmonic (150 Hz) at a
    third of it, each with a random phase per row; a component at or above the Nyquist frequency rate / 2
    is left out, as the recorder's anti-aliasing filter removes it (at 200 Hz only the 50 Hz sine remains).
    clicks: about CLICK_SHARE of the samples get an impulse of ±(level × 5 × std).
    """
    if kind not in NOISES:
        raise LearnerError(f"Bruit inconnu «\u00a0{quote(kind)}\u00a0»\u00a0: choisissez parmi "
                           f"{', '.join(NOISES)}.")
    if not (isinstance(level, Real) and math.isfinite(level) and level >= 0):
        raise LearnerError(f"Le niveau de bruit doit être un nombre positif ou nul (reçu\u00a0: {quote(level)}).")
    if not (isinstance(rate, Real) and math.isfinite(rate) and rate > 0):
        raise LearnerError(f"La fréquence d'échantillonnage doit être positive (reçue\u00a0: {quote(rate)}).")
    signal, dtype = float_signal(x)  # a copy: x is never written to
    scale = level * signal.std()
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        noise = scale * rng.standard_normal(signal.shape)
    elif kind == "hum":
        if rate <= 2 * MAINS_HZ:
            raise LearnerError("Pour représenter le secteur à 50\u00a0Hz, la fréquence d'échantillonnage doit "
                               "dépasser 100\u00a0Hz.")
        t = np.arange(signal.shape[-1]) / rate
        phase = rng.uniform(0.0, 2 * math.pi, (*signal.shape[:-1], 2, 1))  # (..., harmonic, 1)
        noise = np.zeros(signal.shape)
        for k, harmonic in enumerate((1, 3)):
            if harmonic * MAINS_HZ < rate / 2:
                noise += scale / harmonic * np.sin(2 * math.pi * harmonic * MAINS_HZ * t + phase[..., k, :])
    else:
        hit = rng.random(signal.shape) < CLICK_SHARE
        sign = np.where(rng.random(signal.shape) < 0.5, -1.0, 1.0)
        noise = np.where(hit, CLICK_SCALE * scale * sign, 0.0)
    return (signal + noise).astype(dtype)


def snr_db(clean: np.ndarray, estimate: np.ndarray) -> float:
    """Signal-to-noise ratio of `estimate` (any shape) against `clean` (same shape), in dB.

    SNR = 10 · log10(Σ clean² / Σ (clean − estimate)²) over the whole array; inf for a perfect estimate.
    """
    clean = np.asarray(clean, np.float64)
    estimate = np.asarray(estimate, np.float64)
    if clean.shape != estimate.shape:
        raise LearnerError(f"Le signal propre et son estimation n'ont pas la même forme "
                           f"({clean.shape} et {estimate.shape}).")
    error = float(np.sum((clean - estimate) ** 2))
    power = float(np.sum(clean**2))
    if error == 0.0:
        return float("inf")
    if power == 0.0:
        return float("-inf")
    return 10.0 * math.log10(power / error)
