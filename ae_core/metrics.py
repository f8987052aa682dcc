"""Reconstruction metrics and the baselines an autoencoder is compared with: PCA, linear probes."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .data import to_float
from .models import ModelConfig


def as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float in [0, 1]; float tensors pass through."""
    return to_float(images) if images.dtype == torch.uint8 else images.float()


@torch.no_grad()
def encode(model: nn.Module, images: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """Codes (N, code_dim) of images (N, C, H, W), on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model.encode(as_float(images[i:i + batch_size]).to(device)).cpu()
                      for i in range(0, len(images), batch_size)])


@torch.no_grad()
def reconstruct(model: nn.Module, images: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """Reconstructions (N, C, H, W) of images, on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model(as_float(images[i:i + batch_size]).to(device)).cpu()
                      for i in range(0, len(images), batch_size)])


def per_sample_mse(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each sample: (N, ...) x2 -> (N,)."""
    return (x_hat - x).pow(2).flatten(1).mean(1)


def reconstruction_errors(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Per-sample MSE (N,) of the model's reconstruction of images (N, C, H, W)."""
    return per_sample_mse(reconstruct(model, images), as_float(images))


def psnr(x_hat: torch.Tensor, x: torch.Tensor, max_value: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB: 10 log10(max^2 / MSE), over all pixels (inf when equal)."""
    mse = float((x_hat.float() - x.float()).pow(2).mean())
    return math.inf if mse == 0 else 10 * math.log10(max_value ** 2 / mse)


def compression_ratio(config: ModelConfig) -> float:
    """Input numbers per code number (784 / 12 = 65.3 for the course's model)."""
    return config.input_dim / config.code_dim


class PCABaseline:
    """PCA with k components fitted on flattened training images: the linear autoencoder."""

    def __init__(self, train_images: torch.Tensor, k: int, seed: int = 0):
        from sklearn.decomposition import PCA

        X = as_float(train_images).flatten(1).numpy()
        k = min(k, *X.shape)
        self.shape = tuple(train_images.shape[1:])
        self.pca = PCA(n_components=k, svd_solver="randomized" if k < 50 else "full",
                       random_state=seed).fit(X)

    def encode(self, images: torch.Tensor) -> np.ndarray:
        """Codes (N, k)."""
        return self.pca.transform(as_float(images).flatten(1).numpy())

    def decode(self, codes: np.ndarray, clip: bool = True) -> torch.Tensor:
        """Images (N, C, H, W) from codes (N, k), clipped to [0, 1] like a Sigmoid output."""
        x = self.pca.inverse_transform(codes)
        x = np.clip(x, 0.0, 1.0) if clip else x
        return torch.from_numpy(x).float().view(-1, *self.shape)

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images))

    def errors(self, images: torch.Tensor) -> torch.Tensor:
        """Per-sample MSE (N,)."""
        return per_sample_mse(self.reconstruct(images), as_float(images))


def linear_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                 seed: int = 0) -> float:
    """Test accuracy of a logistic regression on standardised features: how linearly readable they are."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, random_state=seed))
    return float(clf.fit(train_x, train_y).score(test_x, test_y))
