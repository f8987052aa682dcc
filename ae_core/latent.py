"""The latent space: 2-D maps of codes next to PCA's, decoding any point, interpolation, probes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .baselines import PCABaseline, probe_accuracies, trustworthiness
from .data import Dataset
from .metrics import as_float, encode, reconstruction_errors
from .rows import balanced_sample, subset


class LatentPlane:
    """The 2-D map of codes (N, d): the codes themselves when d == 2, else their first two PCA axes.

    `from_2d` maps a map point back to a code on that plane, so any latent size can be decoded.
    """

    def __init__(self, codes: np.ndarray, seed: int = 0):
        codes = np.asarray(codes, dtype=np.float64)
        self.dim = codes.shape[1]
        self.projected = self.dim > 2
        self.pca = None
        self.explained = 1.0
        if self.projected:
            from sklearn.decomposition import PCA

            self.pca = PCA(n_components=2, random_state=seed).fit(codes)
            self.explained = float(self.pca.explained_variance_ratio_.sum())

    def to_2d(self, codes: np.ndarray) -> np.ndarray:
        """Map coordinates (N, 2) of codes (N, d)."""
        codes = np.asarray(codes, dtype=np.float64)
        return self.pca.transform(codes) if self.projected else codes[:, :2].copy()

    def from_2d(self, points: np.ndarray) -> np.ndarray:
        """Codes (N, d) on the plane for map points (N, 2)."""
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        return self.pca.inverse_transform(points) if self.projected else points.copy()


def map_extent(points: np.ndarray, margin: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """(low (2,), high (2,)) of map points (N, 2), widened by `margin` of the range on each side."""
    low, high = points.min(0), points.max(0)
    pad = margin * np.maximum(high - low, 1e-6)
    return low - pad, high + pad


def grid_points(low: Sequence[float], high: Sequence[float], n: int) -> np.ndarray:
    """A regular n x n grid (n*n, 2), row by row from the top (highest y) like an image."""
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    xs = np.linspace(low[0], high[0], n)
    ys = np.linspace(high[1], low[1], n)
    gx, gy = np.meshgrid(xs, ys)  # (n, n) each, row i = one y
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


@torch.no_grad()
def decode_codes(model: nn.Module, codes: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Images (N, C, H, W) in [0, 1] on the CPU, decoded from codes (N, d)."""
    model.eval()
    device = next(model.parameters()).device
    z = torch.as_tensor(np.asarray(codes), dtype=torch.float32, device=device)
    return model.decode(z.view(len(z), -1)).cpu().clamp_(0.0, 1.0)


def decode_grid(model: nn.Module, plane: LatentPlane, low: Sequence[float], high: Sequence[float],
                n: int = 10) -> torch.Tensor:
    """Images (n*n, C, H, W) decoded on grid_points(low, high, n) of the map, row by row from the top."""
    return decode_codes(model, plane.from_2d(grid_points(low, high, n)))


def lerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """(steps, *a.shape): a, b and the evenly spaced points of the straight line between them."""
    if steps < 2:
        raise ValueError(f"steps must be >= 2, got {steps}")
    a, b = torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
    t = torch.linspace(0.0, 1.0, steps).view(-1, *([1] * a.dim()))  # (steps, 1, ...)
    return a + t * (b - a)


def interpolation(model: nn.Module, x0: torch.Tensor, x1: torch.Tensor, steps: int = 8
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(decoded, faded), each (steps, C, H, W): decoded along the line between the codes of images
    x0, x1 (C, H, W), and the pixel cross-fade of the same two images."""
    z = encode(model, torch.stack([x0, x1]))  # (2, d)
    decoded = decode_codes(model, lerp(z[0], z[1], steps))
    return decoded, lerp(as_float(x0), as_float(x1), steps)


@dataclass(frozen=True, eq=False)
class LatentMaps:
    """The autoencoder's and PCA's 2-D maps of one balanced validation sample, and their figures."""

    rows: torch.Tensor  # (N,) dataset rows of the sample
    codes: np.ndarray  # (N, d) autoencoder codes
    plane: LatentPlane  # codes -> map, and back
    ae_xy: np.ndarray  # (N, 2)
    pca: PCABaseline  # 2 components, fitted on training rows
    pca_xy: np.ndarray  # (N, 2)
    ae_errors: np.ndarray  # (N,) per-sample MSE
    pca_errors: np.ndarray  # (N,)
    ae_trust: float  # trustworthiness of each map against the pixels
    pca_trust: float
    ae_val_mse: float  # mean MSE over every validation row
    pca_val_mse: float


def latent_maps(model: nn.Module, data: Dataset, train_idx: torch.Tensor, val_idx: torch.Tensor,
                n: int, seed: int = 0, max_pca_train: int = 10_000) -> LatentMaps:
    """Both maps of a balanced sample of <= n validation rows; PCA is fitted on <= max_pca_train rows."""
    rows = balanced_sample(data.labels, n, seed, pool=val_idx)
    x = data.images[rows]
    pca = PCABaseline(data.images[subset(train_idx, max_pca_train, seed)], 2, seed)
    codes = encode(model, x).numpy()
    plane = LatentPlane(codes, seed)
    ae_xy, pca_xy = plane.to_2d(codes), pca.encode(x)
    pixels = as_float(x).flatten(1).numpy()
    val = data.images[val_idx]
    return LatentMaps(rows, codes, plane, ae_xy, pca, pca_xy,
                      reconstruction_errors(model, x).numpy(), pca.errors(x).numpy(),
                      trustworthiness(pixels, ae_xy), trustworthiness(pixels, pca_xy),
                      float(reconstruction_errors(model, val).mean()), float(pca.errors(val).mean()))


def probe_scores(model: nn.Module, pca: PCABaseline, data: Dataset, train_idx: torch.Tensor,
                 val_idx: torch.Tensor, n_train: int = 1000, n_test: int = 500, seed: int = 0
                 ) -> dict[str, float]:
    """Linear-probe accuracy on autoencoder codes, PCA codes and raw pixels, on balanced samples."""
    tr = balanced_sample(data.labels, n_train, seed, pool=train_idx)
    te = balanced_sample(data.labels, n_test, seed, pool=val_idx)
    xtr, xte = data.images[tr], data.images[te]
    features = {"autoencoder": (encode(model, xtr).numpy(), encode(model, xte).numpy()),
                "pca": (pca.encode(xtr), pca.encode(xte)),
                "pixels": (as_float(xtr).flatten(1).numpy(), as_float(xte).flatten(1).numpy())}
    return probe_accuracies(features, data.labels[tr].numpy(), data.labels[te].numpy(), seed)




def few_label_probes(model: nn.Module, data: Dataset, train_idx: torch.Tensor, val_idx: torch.Tensor, k: int,
                     n_labels: int = 100, draws: int = 3, n_test: int = 1000) -> dict[str, float]:
    """Feature learning with few labels: mean test accuracy, over `draws` draws of `n_labels` labelled
    training images (balanced), of a logistic regression on the codes of `model` (trained without
    labels), on PCA's k components (fitted on every training image, also without labels) and on pixels."""
    pca = PCABaseline(data.images[train_idx], k)
    te = balanced_sample(data.labels, min(n_test, len(val_idx)), 0, pool=val_idx)
    x_te = data.images[te]
    accuracies = []
    for draw in range(draws):
        tr = balanced_sample(data.labels, n_labels, draw, pool=train_idx)
        x_tr = data.images[tr]
        features = {"autoencoder": (encode(model, x_tr).numpy(), encode(model, x_te).numpy()),
                    "pca": (pca.encode(x_tr), pca.encode(x_te)),
                    "pixels": (as_float(x_tr).flatten(1).numpy(), as_float(x_te).flatten(1).numpy())}
        accuracies.append(probe_accuracies(features, data.labels[tr].numpy(), data.labels[te].numpy(), draw))
    return {name: float(np.mean([a[name] for a in accuracies])) for name in accuracies[0]}
