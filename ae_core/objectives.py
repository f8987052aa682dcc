"""Reconstruction losses and the corruptions used to train denoising autoencoders."""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("mse", "bce")
NOISES = ("none", "gaussian", "salt_pepper", "mask")


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Mean reconstruction loss over all pixels.

    mse: mean (x - x_hat)^2, for continuous data.
    bce: mean -[x log x_hat + (1 - x) log(1 - x_hat)], for data in [0, 1].
    """
    if kind == "mse":
        return F.mse_loss(x_hat, x)
    if kind == "bce":
        return F.binary_cross_entropy(x_hat, x)
    raise ValueError(f"loss must be one of {LOSSES}, got {kind!r}")


def loss_from_logits(logits: torch.Tensor, x: torch.Tensor, kind: str = "mse",
                     output: str = "sigmoid") -> torch.Tensor:
    """reconstruction_loss(output(logits), x, kind), with BCE computed stably on the logits."""
    if kind == "bce" and output == "sigmoid":
        return F.binary_cross_entropy_with_logits(logits, x)
    x_hat = torch.sigmoid(logits) if output == "sigmoid" else logits
    return reconstruction_loss(x_hat, x, kind)


def gaussian_noise(x: torch.Tensor, level: float, generator: torch.Generator | None = None
                   ) -> torch.Tensor:
    """The course's corruption: clamp(x + level * N(0, 1), 0, 1)."""
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return (x + level * noise).clamp_(0.0, 1.0)


def salt_pepper(x: torch.Tensor, level: float, generator: torch.Generator | None = None
                ) -> torch.Tensor:
    """A share `level` of pixels set to 0 or 1 (half each)."""
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    out = x.clone()
    out[u < level / 2] = 0.0
    out[(u >= level / 2) & (u < level)] = 1.0
    return out


def random_mask(x: torch.Tensor, level: float, generator: torch.Generator | None = None
                ) -> torch.Tensor:
    """A share `level` of pixels set to 0 (missing)."""
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x.masked_fill(u < level, 0.0)


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None
            ) -> torch.Tensor:
    """Apply corruption `kind` ('none', 'gaussian', 'salt_pepper', 'mask') at `level`; x is not mutated."""
    if kind not in NOISES:
        raise ValueError(f"noise must be one of {NOISES}, got {kind!r}")
    if kind == "none" or level == 0:
        return x
    return {"gaussian": gaussian_noise, "salt_pepper": salt_pepper, "mask": random_mask}[kind](
        x, level, generator)
