"""Reconstruction losses: MSE for continuous data, BCE for pixels in [0, 1]."""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("mse", "bce")


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
