"""Classical smoothers of 1-D signals, the baselines a denoising autoencoder is compared with, and their tuning.

Each filter is a pure function on the last axis of a 1-D or 2-D array (rows = signals) that returns the
same shape. `tune_filter` picks a filter's parameters on TRAINING signals only (clean and noisy pairs);
the test signals are never used to choose, so a test SNR is an honest estimate, as for the autoencoder.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy.signal import iirnotch, savgol_filter, sosfiltfilt, tf2sos

from .errors import LearnerError, quote
from .signals import MAINS_HZ, float_signal, snr_db

FILTERS = {"moving_average": "Moyenne glissante", "savitzky_golay": "Savitzky–Golay", "kalman": "Lisseur de Kalman",
           "notch": "Coupe-bande 50\u00a0Hz"}
# The grids tune_filter searches: windows 3..31 odd; windows 5..41 odd × orders 2..4; orders 1, 2 × ratios
# 10^k for k = −6, −5.5, …, 1; quality factors from a wide notch (1) to a narrow one (50).
TUNING_GRIDS = {
    "moving_average": tuple({"window": w} for w in range(3, 32, 2)),
    "savitzky_golay": tuple({"window": w, "order": o} for w in range(5, 42, 2) for o in (2, 3, 4) if o < w),
    "kalman": tuple({"order": o, "ratio": 10.0 ** (k / 2)} for o in (1, 2) for k in range(-12, 3)),
    "notch": tuple({"quality": q} for q in (1, 2, 3, 5, 8, 12, 20, 30, 50)),
}
KALMAN_INITIAL_VARIANCE = 1e6  # variance of the initial state, in units of the observation variance r


def _check_window(window: int, length: int) -> None:
    if isinstance(window, bool) or not isinstance(window, Integral) or window < 1 or window % 2 == 0:
        raise LearnerError(f"La fenêtre doit être un entier impair positif (reçue\u00a0: {quote(window)}).")
    if window > length:
        raise LearnerError(f"La fenêtre ({window} échantillons) dépasse la longueur du signal ({length}).")


def moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Centred mean of `window` (odd) samples along the last axis of x (..., L), edges reflected; same shape."""
    y, dtype = float_signal(x)
    _check_window(window, y.shape[-1])
    half = window // 2  # a centred window: no phase shift
    padded = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(half, half)], mode="reflect")
    total = np.cumsum(np.concatenate([np.zeros((*y.shape[:-1], 1)), padded], axis=-1), axis=-1)
    return ((total[..., window:] - total[..., :-window]) / window).astype(dtype)


def savitzky_golay(x: np.ndarray, window: int, order: int) -> np.ndarray:
    """Savitzky–Golay smoothing of x (..., L): a local polynomial of `order` over `window` samples; same shape."""
    y, dtype = float_signal(x)
    _check_window(window, y.shape[-1])
    if isinstance(order, bool) or not isinstance(order, Integral) or not 0 <= order < window:
        raise LearnerError(f"Le degré du polynôme doit être un entier entre 0 et la fenêtre moins un "
                           f"({window - 1})\u00a0; reçu\u00a0: {quote(order)}.")
    return savgol_filter(y, window, order, axis=-1, mode="interp").astype(dtype)


def kalman_smooth(x: np.ndarray, order: int, ratio: float) -> np.ndarray:
    """Kalman filter then Rauch–Tung–Striebel smoother of each row of x (..., L); same shape.

    Model (Kalman, 1960; Rauch, Tung and Striebel, 1965): order 1, a local level (state: value) that
    takes a random walk; order 2, a local linear trend (state: value, slope) whose slope takes it.
    Observation = value + white noise of variance r; process noise of variance q = ratio × r on the highest
    derivative only. The initial state is (first sample, slope 0) with variance KALMAN_INITIAL_VARIANCE × r.
    The smoothed values depend on q / r only, so r = 1. Gains do not depend on the data: they are computed
    once per time step and shared by all rows.
    """
    y, dtype = float_signal(x)
    if isinstance(order, bool) or order not in (1, 2):
        raise LearnerError(f"L'ordre du lisseur de Kalman doit valoir 1 ou 2 (reçu\u00a0: {quote(order)}).")
    if not (isinstance(ratio, Real) and math.isfinite(ratio) and ratio > 0):
        raise LearnerError(f"Le rapport des variances doit être strictement positif (reçu\u00a0: {quote(ratio)}).")
    rows = y.reshape(-1, y.shape[-1])  # (N, L)
    n, length = rows.shape
    F = np.array([[1.0]]) if order == 1 else np.array([[1.0, 1.0], [0.0, 1.0]])  # state transition
    Q = np.zeros((order, order))
    Q[-1, -1] = float(ratio)
    m = np.zeros((n, order))  # (N, order) state means, one row per signal
    m[:, 0] = rows[:, 0]
    P = KALMAN_INITIAL_VARIANCE * np.eye(order)  # (order, order), the same for every row
    m_pred, m_filt = np.empty((length, n, order)), np.empty((length, n, order))
    P_pred, P_filt = np.empty((length, order, order)), np.empty((length, order, order))
    for k in range(length):
        if k:
            m, P = m @ F.T, F @ P @ F.T + Q
        m_pred[k], P_pred[k] = m, P
        gain = P[:, 0] / (P[0, 0] + 1.0)  # (order,): K = P Hᵀ / (H P Hᵀ + r), H = (1, 0)
        m = m + (rows[:, k] - m[:, 0])[:, None] * gain
        P = P - np.outer(gain, P[0])
        m_filt[k], P_filt[k] = m, P
    out = np.empty_like(rows)
    out[:, -1] = m[:, 0]
    for k in range(length - 2, -1, -1):
        smoother_gain = np.linalg.solve(P_pred[k + 1], F @ P_filt[k]).T  # C = P_filt Fᵀ P_pred⁻¹
        m = m_filt[k] + (m - m_pred[k + 1]) @ smoother_gain.T
        out[:, k] = m[:, 0]
    return out.reshape(y.shape).astype(dtype)


def mains_notch(x: np.ndarray, quality: float, rate: float | None) -> np.ndarray:
    """x (..., L) sampled at `rate` Hz without the mains: notches at 50 Hz and 150 Hz (below rate / 2); same shape.

    Each notch is scipy's second-order IIR notch of quality factor `quality` (bandwidth 50 / quality Hz), run forwards
    then backwards (zero phase, edges padded by odd reflection): the classical answer to mains hum,
    which a smoothing filter cannot remove below a signal's own frequencies.
    """
    y, dtype = float_signal(x)
    if not (isinstance(rate, Real) and math.isfinite(rate) and rate > 2 * MAINS_HZ):
        raise LearnerError("Le coupe-bande à 50\u00a0Hz demande une fréquence d'échantillonnage au-dessus "
                           f"de 100\u00a0Hz (reçue\u00a0: {quote(rate)}).")
    if not (isinstance(quality, Real) and math.isfinite(quality) and quality > 0):
        raise LearnerError(f"Le facteur de qualité doit être strictement positif (reçu\u00a0: {quote(quality)}).")
    sos = np.concatenate([tf2sos(*iirnotch(h * MAINS_HZ, quality, fs=rate)) for h in (1, 3) if h * MAINS_HZ < rate / 2])
    return sosfiltfilt(sos, y, axis=-1, padlen=min(y.shape[-1] - 1, 3 * (2 * len(sos) + 1))).astype(dtype)


def _check_name(name: str) -> None:
    if name not in FILTERS:
        raise LearnerError(f"Filtre inconnu «\u00a0{quote(name)}\u00a0»\u00a0: choisissez parmi "
                           f"{', '.join(FILTERS)}.")


def apply_filter(name: str, x: np.ndarray, params: dict, rate: float | None = None) -> np.ndarray:
    """The filter `name` (a key of FILTERS) with `params` applied to x (..., L) sampled at `rate` Hz (only
    the notch needs it); same shape."""
    _check_name(name)
    if name == "notch":
        return mains_notch(x, rate=rate, **params)
    function = {"moving_average": moving_average, "savitzky_golay": savitzky_golay, "kalman": kalman_smooth}[name]
    return function(x, **params)


def tune_filter(name: str, clean: np.ndarray, noisy: np.ndarray, rate: float | None = None) -> tuple[dict, float]:
    """Parameters of TUNING_GRIDS[name] that maximise the SNR of the filtered `noisy` (N, L) against `clean`.

    Pass training signals only: the grid sees them and nothing else, so the test signals stay unseen.
    Windows longer than the signals are skipped. Returns (params, training SNR in dB).
    """
    _check_name(name)
    clean, noisy = np.asarray(clean), np.asarray(noisy)
    if clean.shape != noisy.shape:
        raise LearnerError(f"Les signaux propres et bruités n'ont pas la même forme "
                           f"({clean.shape} et {noisy.shape}).")
    length = clean.shape[-1]
    best, best_snr = None, -math.inf
    for params in TUNING_GRIDS[name]:
        if params.get("window", 1) > length:
            continue
        snr = snr_db(clean, apply_filter(name, noisy, params, rate))
        if best is None or snr > best_snr:
            best, best_snr = params, snr
    if best is None:
        raise LearnerError(f"Signaux trop courts ({length} échantillons) pour le filtre «\u00a0{FILTERS[name]}\u00a0».")
    return dict(best), best_snr
