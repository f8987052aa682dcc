"""The latent space next to PCA: 2-D maps, decoding anywhere, interpolation, error vs k, probes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .data import Dataset, train_val_split
from .metrics import PCABaseline, as_float, encode, linear_probe, reconstruction_errors
from .models import ModelConfig
from .train import Trainer, recipe

MAX_POINTS = 1000  # above this Plotly switches to WebGL and clicks get slow


def balanced_sample(labels: torch.Tensor, n: int = MAX_POINTS, seed: int = 0,
                    pool: torch.Tensor | None = None) -> torch.Tensor:
    """Sorted row indices (<= n,) into `labels` (N,), n // classes of each class, drawn from `pool`."""
    pool = torch.arange(len(labels)) if pool is None else pool
    classes = labels[pool].unique()
    if n < len(classes):
        raise ValueError(f"n must be at least the number of classes ({len(classes)}), got {n}")
    g = torch.Generator().manual_seed(seed)
    per_class = n // len(classes)
    picks = []
    for c in classes:
        rows = pool[labels[pool] == c]
        picks.append(rows[torch.randperm(len(rows), generator=g)[:per_class]])
    return torch.cat(picks).sort().values


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


def pca_error_curve(train_images: torch.Tensor, test_images: torch.Tensor, ks: Sequence[int],
                    clip: bool = True, seed: int = 0) -> np.ndarray:
    """Mean squared error per pixel (len(ks),) of PCA with k components for each k, one fit for all.

    With clip=True reconstructions are clipped to [0, 1], as PCABaseline does.
    """
    from sklearn.decomposition import PCA

    X = as_float(train_images).flatten(1).numpy()
    T = as_float(test_images).flatten(1).numpy()
    k_max = max(ks)
    if min(ks) < 1 or k_max > min(X.shape):
        raise ValueError(f"every k must be in [1, {min(X.shape)}], got {list(ks)}")
    pca = PCA(n_components=k_max, svd_solver="full", random_state=seed).fit(X)
    V = pca.components_  # (k_max, D), orthonormal rows
    z = (T - pca.mean_) @ V.T  # (N, k_max)
    errors = []
    for k in ks:
        t_hat = pca.mean_ + z[:, :k] @ V[:k]
        if clip:
            t_hat = np.clip(t_hat, 0.0, 1.0)
        errors.append(float(np.mean((t_hat - T) ** 2)))
    return np.array(errors)


def latent_model_config(data: Dataset, latent_dim: int = 2) -> ModelConfig:
    """The page's autoencoder: an MLP with a linear bottleneck of `latent_dim` numbers."""
    c, h, w = data.image_shape
    hidden = (256, 128) if c * h * w > 256 else (128, 64)
    return ModelConfig(arch="mlp", image_shape=data.image_shape, latent_dim=latent_dim, hidden=hidden)


def latent_trainer(data: Dataset, latent_dim: int = 2, max_train: int = 10_000, seed: int = 0,
                   **train_overrides) -> Trainer:
    """A trainer of the page's autoencoder on at most `max_train` training rows of `data`."""
    config = recipe(data.name, seed=seed, **train_overrides)
    train_idx, val_idx = split_rows(data, seed, max_train)
    return Trainer(latent_model_config(data, latent_dim), config, data.images, train_idx, val_idx)


def probe_accuracies(features: dict[str, tuple[np.ndarray, np.ndarray]], train_y: np.ndarray,
                     test_y: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Linear-probe test accuracy for each name -> (train features (N, F), test features (M, F))."""
    return {name: linear_probe(tr, train_y, te, test_y, seed) for name, (tr, te) in features.items()}


def trustworthiness(high: np.ndarray, low: np.ndarray, n_neighbors: int = 10) -> float:
    """Share in [0, 1] of each point's map neighbours that are true neighbours (Venna & Kaski, 2001).

    high (N, D) the original points, low (N, 2) the map; 1 means no false neighbours.
    """
    from sklearn.manifold import trustworthiness as sk_trustworthiness

    return float(sk_trustworthiness(np.asarray(high).reshape(len(high), -1), np.asarray(low),
                                    n_neighbors=n_neighbors))


def _subset(idx: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """At most n of the rows idx, drawn with seed, sorted."""
    if len(idx) <= n:
        return idx
    return idx[torch.randperm(len(idx), generator=torch.Generator().manual_seed(seed))[:n]].sort().values


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
                n: int = MAX_POINTS, seed: int = 0, max_pca_train: int = 10_000) -> LatentMaps:
    """Both maps of a balanced sample of <= n validation rows; PCA is fitted on <= max_pca_train rows."""
    rows = balanced_sample(data.labels, n, seed, pool=val_idx)
    x = data.images[rows]
    pca = PCABaseline(data.images[_subset(train_idx, max_pca_train, seed)], 2, seed)
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


def curve_sizes(data: Dataset) -> tuple[int, ...]:
    """Code sizes for the autoencoder's error curve: up to 30 (Hinton & Salakhutdinov's MNIST reference)
    on large images, up to 10 on small ones, where 30 numbers would be half the pixels."""
    c, h, w = data.image_shape
    return (2, 10, 30) if c * h * w >= 256 else (2, 5, 10)


SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1))


def shifted_copies(images: torch.Tensor, shifts: Sequence[tuple[int, int]] = SHIFTS) -> torch.Tensor:
    """images (N, C, H, W) followed by one copy per (dy, dx) shift, zero-filled: (N * (1 + len(shifts)), C, H, W)."""
    h, w = images.shape[-2:]
    copies = [images]
    for dy, dx in shifts:
        out = torch.zeros_like(images)
        y0, y1, x0, x1 = max(dy, 0), h + min(dy, 0), max(dx, 0), w + min(dx, 0)
        out[..., y0:y1, x0:x1] = images[..., y0 - dy:y1 - dy, x0 - dx:x1 - dx]
        copies.append(out)
    return torch.cat(copies)


def curve_trainer(data: Dataset, latent_dim: int, seed: int = 0, max_train: int = 10_000,
                  shifts: Sequence[tuple[int, int]] | None = None, **train_overrides) -> Trainer:
    """The page's autoencoder trained on its training rows plus copies shifted by one pixel.

    On 8,000 MNIST digits a 30-number autoencoder learns its training images by heart (after 40 epochs,
    squared error 3 to 5 per training image but 8.7 per validation image); shifted copies give 9 times
    more data for the same digits. `shifts=None`: the 8 one-pixel shifts on images of 16 pixels or more, none below.
    """
    if shifts is None:
        shifts = SHIFTS if min(data.image_shape[1:]) >= 16 else ()
    train_idx, val_idx = split_rows(data, seed, max_train)
    images = torch.cat([shifted_copies(data.images[train_idx], shifts), data.images[val_idx]])
    n_train = len(images) - len(val_idx)
    defaults = {"epochs": 6, "batch_size": 128} if shifts else {}  # 9 times the data: fewer passes
    config = recipe(data.name, seed=seed, **{**defaults, **train_overrides})
    return Trainer(latent_model_config(data, latent_dim), config, images, torch.arange(n_train),
                   torch.arange(n_train, len(images)))


def ae_error_curve(data: Dataset, ks: Sequence[int], seed: int = 0, max_train: int = 10_000,
                   **trainer_kwargs) -> np.ndarray:
    """Validation MSE per pixel (len(ks),) of curve_trainer's autoencoder trained afresh for each code size k."""
    errors = []
    for k in ks:
        trainer = curve_trainer(data, k, seed, max_train, **trainer_kwargs)
        trainer.run()
        errors.append(trainer.history.val_mse[-1])
    return np.array(errors)


def split_rows(data: Dataset, seed: int = 0, max_train: int = 10_000) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, validation) rows of the page's autoencoders: <= max_train seeded training rows."""
    train_idx, val_idx = train_val_split(data, seed=seed)
    return _subset(train_idx, max_train, seed), val_idx
