"""Anomaly detection with reconstruction error: scores, thresholds, baselines (the one-class split: ae_core.rows).

ROC and precision-recall curves come from sklearn.metrics, anomalies being the positive class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .baselines import PCABaseline, pca_code_size
from .data import Dataset
from .metrics import as_float, reconstruct, reconstruction_errors
from .rows import OneClassSplit


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


def chosen_pca_scores(train_images: torch.Tensor, val_images: torch.Tensor, test_images: torch.Tensor
                      ) -> tuple[int, np.ndarray]:
    """(k, scores (N_test,)): PCA's error at the code size that normal held-out images choose (pca_code_size)."""
    k = pca_code_size(train_images, val_images)
    return k, PCABaseline(train_images, k).errors(test_images).numpy()


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


def one_class_aucs(model: nn.Module, data: Dataset, split: OneClassSplit, latent_dim: int, seed: int = 0
                   ) -> dict[str, float]:
    """ROC AUC on every test row of `split` of the autoencoder's reconstruction error, of PCA at
    `latent_dim` components, of PCA at the code size its normal validation rows choose (pca_k) and
    of an Isolation Forest (all fitted on the same training rows), and the share of new normal test
    rows above the 95th centile of the normal validation rows' scores."""
    from sklearn.metrics import roc_auc_score

    test, y = data.images[split.test_idx], split.test_is_anomaly.numpy()
    ae = scores(model, test).numpy()
    base = baseline_scores(data.images[split.train_idx], test, latent_dim, seed)
    reference = data.images[split.reference_idx]
    k, chosen = chosen_pca_scores(data.images[split.train_idx], reference, test)
    threshold = threshold_percentile(scores(model, reference).numpy(), 95)
    return {"ae": roc_auc_score(y, ae), "pca": roc_auc_score(y, base["pca"]),
            "pca_chosen": roc_auc_score(y, chosen), "pca_k": k,
            "forest": roc_auc_score(y, base["isolation_forest"]), "false_alarms": float((ae[~y] > threshold).mean())}


def class_aucs(scores: np.ndarray, labels: np.ndarray, normal: tuple[int, ...]) -> dict[int, float]:
    """{class: ROC AUC of that class's rows against the normal rows} for each class outside `normal` present
    in `labels` (N,): which kind of anomaly the scores find, and which they miss."""
    from sklearn.metrics import roc_auc_score

    s, y = _np(scores), _np(labels)
    is_normal = np.isin(y, normal)
    return {int(c): float(roc_auc_score(np.r_[np.zeros(is_normal.sum()), np.ones((y == c).sum())],
                                        np.r_[s[is_normal], s[y == c]]))
            for c in np.unique(y[~is_normal])}
