"""An autoencoder on 3-D toy manifolds (S-curve, Swiss roll): points as one-pixel-high images."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .metrics import encode
from .models import ModelConfig
from .train import TrainConfig, Trainer


def manifold_model_config(dim: int = 3) -> ModelConfig:
    """A small dim -> 2 -> dim MLP autoencoder with a linear output, for standardised points."""
    return ModelConfig(arch="mlp", image_shape=(1, 1, dim), latent_dim=2, hidden=(32, 32), output="linear")


def manifold_trainer(points: np.ndarray, seed: int = 0, epochs: int = 60, batch_size: int = 64,
                     lr: float = 2e-2) -> Trainer:
    """A trainer (MSE) of manifold_model_config on points (n, dim), validated on the same points:
    the map shows where each training point lands."""
    x = torch.as_tensor(np.asarray(points), dtype=torch.float32)
    x = x.reshape(len(x), 1, 1, -1)  # (n, 1, 1, dim): points as one-pixel-high images
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, loss="mse", seed=seed)
    idx = torch.arange(len(x))
    return Trainer(manifold_model_config(x.shape[-1]), config, x, idx, idx)


def manifold_codes(model: nn.Module, points: np.ndarray) -> np.ndarray:
    """2-D codes (n, 2) of points (n, dim)."""
    x = torch.as_tensor(np.asarray(points), dtype=torch.float32)
    return encode(model, x.reshape(len(x), 1, 1, -1)).numpy()
