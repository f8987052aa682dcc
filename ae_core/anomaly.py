"""Anomaly detection with reconstruction error: one-class splits, thresholds, ROC/PR, baselines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .data import Dataset, train_val_split
from .metrics import PCABaseline, as_float, reconstruct, reconstruction_errors
from .models import ModelConfig
from .train import TrainConfig


@dataclass(frozen=True, eq=False)
class OneClassSplit:
    """Row indices into a dataset: training (normal + a share of anomalies), validation, test.

    `train_is_anomaly` (len(train_idx),) and `test_is_anomaly` (len(test_idx),) are bool tensors.
    """

    train_idx: torch.Tensor
    val_idx: torch.Tensor
    test_idx: torch.Tensor
    train_is_anomaly: torch.Tensor
    test_is_anomaly: torch.Tensor


def one_class_split(data: Dataset, normal_classes: tuple[int, ...], contamination: float = 0.0,
                    seed: int = 0, val_fraction: float = 0.1, test_fraction: float = 0.3
                    ) -> OneClassSplit:
    """Train on `normal_classes` with a share `contamination` of anomalies mixed in; test on everything.

    The test rows are the dataset's official test part (else a seeded `test_fraction`). Of the
    training pool, all normal rows are kept and anomalies are drawn so that they make up
    `contamination` of the training rows; a seeded `val_fraction` of those is held out.
    """
    normal = sorted({int(c) for c in normal_classes})
    if not normal or min(normal) < 0 or max(normal) >= len(data.class_names):
        raise ValueError(f"normal_classes must name classes 0..{len(data.class_names) - 1}, got {normal}")
    if len(normal) == len(data.class_names):
        raise ValueError("at least one class must be left out as anomalies")
    if not 0.0 <= contamination < 0.5:
        raise ValueError(f"contamination must be in [0, 0.5), got {contamination}")
    g = torch.Generator().manual_seed(seed)
    pool, test_idx = train_val_split(data, val_fraction=test_fraction, seed=seed)
    is_normal = torch.isin(data.labels, torch.tensor(normal))
    pool_normal, pool_anomal = pool[is_normal[pool]], pool[~is_normal[pool]]
    n_anomal = min(len(pool_anomal), round(contamination / (1 - contamination) * len(pool_normal)))
    chosen = pool_anomal[torch.randperm(len(pool_anomal), generator=g)[:n_anomal]]
    rows = torch.cat([pool_normal, chosen])
    rows = rows[torch.randperm(len(rows), generator=g)]
    n_val = max(1, round(len(rows) * val_fraction))
    train_idx, val_idx = rows[n_val:].sort().values, rows[:n_val].sort().values
    return OneClassSplit(train_idx, val_idx, test_idx, ~is_normal[train_idx], ~is_normal[test_idx])


# The page's default recipe for images: a small MLP with a narrow code, trained with BCE.
IMAGE_RECIPES = {"digits": {"epochs": 60, "batch_size": 32, "lr": 1e-2},
                 "default": {"epochs": 15, "batch_size": 64, "lr": 1e-2}}


def image_recipe(data: Dataset, latent_dim: int = 8, seed: int = 0, **overrides
                 ) -> tuple[ModelConfig, TrainConfig]:
    """(model, training) configs of the anomaly page's default image autoencoder."""
    model = ModelConfig("mlp", data.image_shape, latent_dim, (128, 64), "linear", "sigmoid")
    params = {**IMAGE_RECIPES.get(data.name, IMAGE_RECIPES["default"]), "seed": seed, **overrides}
    return model, TrainConfig(**params)


def tabular_recipe(n_features: int, n_rows: int, seed: int = 0, **overrides
                   ) -> tuple[ModelConfig, TrainConfig]:
    """(model, training) configs of an MLP autoencoder for `n_features` standardised columns."""
    if n_features < 2:
        raise ValueError(f"a tabular autoencoder needs at least 2 columns, got {n_features}")
    hidden = max(8, min(64, 2 * n_features))
    latent = max(1, min(8, n_features // 3))
    model = ModelConfig("mlp", (1, 1, n_features), latent, (hidden,), "linear", "linear")
    batch = max(8, min(128, n_rows // 8))
    params = {"epochs": 100, "batch_size": batch, "lr": 1e-3, "loss": "mse", "seed": seed, **overrides}
    return model, TrainConfig(**params)


def scores(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Anomaly scores (N,): the per-sample reconstruction MSE of images (N, C, H, W)."""
    return reconstruction_errors(model, images)


def error_maps(model: nn.Module, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(reconstructions, squared error per pixel), both (N, C, H, W), for a gallery."""
    x_hat = reconstruct(model, images)
    return x_hat, (x_hat - as_float(images)).pow(2)


def threshold_percentile(reference: torch.Tensor | np.ndarray, q: float = 95.0) -> float:
    """The q-th percentile of reference scores (N,): about (100 - q) % of them get flagged."""
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be in [0, 100], got {q}")
    return float(np.percentile(_np(reference), q))


def threshold_mean_std(reference: torch.Tensor | np.ndarray, k: float = 3.0) -> float:
    """mean + k * std of reference scores (N,): the classic 3-sigma rule when k = 3."""
    r = _np(reference)
    return float(r.mean() + k * r.std())


@dataclass(frozen=True)
class Confusion:
    """Counts at a threshold, anomaly being the positive class (flagged when score > threshold)."""

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def precision(self) -> float:
        """TP / (TP + FP): share of the flagged rows that are anomalies (0 when nothing is flagged)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN): share of the anomalies that are flagged."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean 2PR / (P + R)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def fpr(self) -> float:
        """FP / (FP + TN): share of the normal rows wrongly flagged."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0


def confusion_at(scores: torch.Tensor | np.ndarray, is_anomaly: torch.Tensor | np.ndarray,
                 threshold: float) -> Confusion:
    """Confusion counts when rows with score (N,) > threshold are flagged; is_anomaly (N,) bool."""
    s, y = _np(scores), _np(is_anomaly).astype(bool)
    flag = s > threshold
    return Confusion(int((flag & y).sum()), int((flag & ~y).sum()),
                     int((~flag & ~y).sum()), int((~flag & y).sum()))


def _curve_counts(scores, is_anomaly) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative (fp, tp) when flagging score >= t, for each distinct score t in decreasing order."""
    s, y = _np(scores).astype(np.float64), _np(is_anomaly).astype(bool)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D of equal length, got {s.shape} and {y.shape}")
    if y.all() or not y.any():
        raise ValueError("ROC and PR curves need both normal rows and anomalies")
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last row of each run of equal scores
    tp = np.cumsum(y)[last]
    return 1 + last - tp, tp, s[last]


def roc_curve(scores, is_anomaly) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate, thresholds), starting at (0, 0) with threshold inf."""
    fp, tp, thresholds = _curve_counts(scores, is_anomaly)
    return np.r_[0.0, fp / fp[-1]], np.r_[0.0, tp / tp[-1]], np.r_[np.inf, thresholds]


def roc_auc(scores, is_anomaly) -> float:
    """Area under the ROC curve (trapezoids): the chance an anomaly scores above a normal row."""
    fpr, tpr, _ = roc_curve(scores, is_anomaly)
    return float(np.trapezoid(tpr, fpr))


def pr_curve(scores, is_anomaly) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, thresholds) by decreasing threshold, ending at (1, 0) like scikit-learn's."""
    fp, tp, thresholds = _curve_counts(scores, is_anomaly)
    precision, recall = tp / (tp + fp), tp / tp[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def average_precision(scores, is_anomaly) -> float:
    """AP = sum_n (R_n - R_{n-1}) P_n over decreasing thresholds (no interpolation)."""
    fp, tp, _ = _curve_counts(scores, is_anomaly)
    precision, recall = tp / (tp + fp), tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def baseline_scores(train_images: torch.Tensor, test_images: torch.Tensor, latent_dim: int,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """Scores (N_test,) of two baselines fitted on train_images: PCA error at `latent_dim`, Isolation Forest."""
    from sklearn.ensemble import IsolationForest

    pca = PCABaseline(train_images, latent_dim, seed=seed)
    forest = IsolationForest(n_estimators=100, random_state=seed)
    forest.fit(as_float(train_images).flatten(1).numpy())
    return {"pca": pca.errors(test_images).numpy(),
            # score_samples is high for normal rows: negate it so that high means anomalous.
            "isolation_forest": -forest.score_samples(as_float(test_images).flatten(1).numpy())}


def top_scores(scores, k: int = 8) -> np.ndarray:
    """Positions of the k highest scores, highest first."""
    s = _np(scores)
    return np.argsort(-s, kind="mergesort")[:k]


def missed_anomalies(scores, is_anomaly, threshold: float, k: int = 8) -> np.ndarray:
    """Positions of anomalies scored at or below threshold, the best hidden (lowest score) first."""
    s, y = _np(scores), _np(is_anomaly).astype(bool)
    missed = np.flatnonzero(y & (s <= threshold))
    return missed[np.argsort(s[missed], kind="mergesort")][:k]


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
