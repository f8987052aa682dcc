"""Heartbeats as a dataset, and a denoising autoencoder measured against classical filters tuned fairly.

The filters (ae_core.filters) choose their parameters on noisy copies of training beats only; the
autoencoder, the filters and the noisy input are then scored by SNR on the same noisy test beats.
"""

from __future__ import annotations

import numpy as np
import torch

from .corruption import SIGNAL_NOISES
from .data import Dataset
from .filters import FILTERS, apply_filter, tune_filter
from .metrics import reconstruct
from .signals import ECG_CLASSES, ECG_RATE, add_noise, ecg_beats, snr_db

TUNING_BEATS = 300  # training beats the filters' grids are scored on (the grid search costs ~0.1 s per filter)


def beat_dataset(n_train: int = 2000, n_test: int = 1000, seed: int = 0, abnormal: float = 0.1,
                 noise: float = 0.0) -> Dataset:
    """Synthetic beats (ae_core.signals.ecg_beats) as a Dataset of float rows (N, 1, 1, 140) in units of
    the training beats' standard deviation, labels the ECG classes; the last `n_test` rows are the test part
    (beats drawn from another seed). `noise`: a recording's white noise, that many standard deviations,
    on every beat (the data's name says it: a training on one never passes for a training on another)."""
    train, train_labels = ecg_beats(n_train, seed, abnormal)
    test, test_labels = ecg_beats(n_test, seed + 1, abnormal)
    beats = np.concatenate([train, test]) / float(train.std())
    if noise:
        beats = add_noise(beats, "gaussian", noise, ECG_RATE, seed + 2) / np.sqrt(1 + noise**2)  # std stays 1
    labels = torch.from_numpy(np.concatenate([train_labels, test_labels]))
    name = "ecg" if not noise else f"ecg_bruit_{noise:g}"
    return Dataset(name, torch.from_numpy(beats).float().view(len(beats), 1, 1, -1), labels, ECG_CLASSES, n_train)


def rows_of(data: Dataset, idx: torch.Tensor) -> np.ndarray:
    """The beats at `idx` as a (len(idx), L) float array."""
    return data.images[idx].flatten(1).numpy()


def denoising_snr(model: torch.nn.Module | None, data: Dataset, train_idx: torch.Tensor, test_idx: torch.Tensor,
                  kind: str, level: float, seed: int = 1) -> dict[str, tuple[float, dict]]:
    """{method: (SNR in dB on the noisy test beats, its parameters)} for the noisy input, each classical
    filter tuned on TUNING_BEATS noisy training beats, and the autoencoder `model` (left out when None).
    `kind` is a Corruption kind of SIGNAL_NOISES; the test noise is drawn from `seed`."""
    noise = SIGNAL_NOISES[kind]
    clean_train = rows_of(data, train_idx[:TUNING_BEATS])
    noisy_train = add_noise(clean_train, noise, level, ECG_RATE, seed + 1000)
    clean = rows_of(data, test_idx)
    noisy = add_noise(clean, noise, level, ECG_RATE, seed)
    scores = {"noisy": (snr_db(clean, noisy), {})}
    for name in FILTERS:
        params, _ = tune_filter(name, clean_train, noisy_train, ECG_RATE)
        scores[name] = snr_db(clean, apply_filter(name, noisy, params, ECG_RATE)), params
    if model is not None:
        scores["autoencoder"] = snr_db(clean, denoise(model, noisy)), {}
    return scores


def denoise(model: torch.nn.Module, noisy: np.ndarray) -> np.ndarray:
    """The autoencoder's output (N, L) for noisy beats (N, L)."""
    return reconstruct(model, torch.from_numpy(noisy).float().view(len(noisy), 1, 1, -1)).flatten(1).numpy()


def autoencoder_snr(model: torch.nn.Module, data: Dataset, test_idx: torch.Tensor, kind: str, level: float,
                    seed: int = 1) -> float:
    """The autoencoder's SNR (dB) on the test beats with the noise denoising_snr draws for the same `seed`."""
    clean = rows_of(data, test_idx)
    return snr_db(clean, denoise(model, add_noise(clean, SIGNAL_NOISES[kind], level, ECG_RATE, seed)))
