"""Anomaly detection with reconstruction error: one-class splits, scores, thresholds, baselines.

ROC and precision-recall curves come from sklearn.metrics, anomalies being the positive class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .baselines import PCABaseline
from .data import Dataset, train_val_split
from .errors import SpecError
from .metrics import as_float, reconstruct, reconstruction_errors


@dataclass(frozen=True, eq=False)
class OneClassSplit:
    """Row indices into a dataset: training (normal + a share of anomalies), validation, test.

    `reference_idx` are the validation rows of the normal classes (by label): never trained on, they
    set thresholds, since training rows score lower than new images of the same classes.
    `train_is_anomaly` (len(train_idx),) and `test_is_anomaly` (len(test_idx),) are bool tensors.
    """

    train_idx: torch.Tensor
    val_idx: torch.Tensor
    test_idx: torch.Tensor
    train_is_anomaly: torch.Tensor
    test_is_anomaly: torch.Tensor
    reference_idx: torch.Tensor


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
        raise SpecError(f"Choisissez au moins une classe normale parmi les {len(data.class_names)} du jeu.")
    if len(normal) == len(data.class_names):
        raise SpecError("Laissez au moins une classe hors des classes normales : ce seront les anomalies.")
    if not 0.0 <= contamination < 0.5:
        raise SpecError(f"La part d'anomalies à l'entraînement doit être entre 0 et 50 % (reçu : {contamination}).")
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
    return OneClassSplit(train_idx, val_idx, test_idx, ~is_normal[train_idx], ~is_normal[test_idx],
                         val_idx[is_normal[val_idx]])


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
