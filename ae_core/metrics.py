"""Reconstruction metrics: codes and reconstructions of a batch of images, MSE, PSNR."""

from __future__ import annotations

import math

import torch
from torch import nn

from .data import to_float
from .spec import ModelConfig


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


@torch.no_grad()
def negative_elbo(model: nn.Module, images: torch.Tensor, seed: int = 0) -> float:
    """A VAE's mean over images (N, C, H, W) of BCE summed over the pixels + KL, in nats, one code drawn
    per image (seeded): the negative evidence lower bound of Kingma & Welling (2014)."""
    model.eval()
    x = as_float(images)
    _, parts = model.objective(x, x, "bce", torch.Generator().manual_seed(seed))
    return float(parts["reconstruction"] + parts["kl"])
