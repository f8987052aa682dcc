"""Restoring damaged images with an autoencoder, and the classical filters it is compared with.

The damage itself (noises, masks, lower resolution) lives in ae_core.corruption.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .corruption import corrupt
from .metrics import as_float, psnr, reconstruct

FILTERS = ("gaussian_blur", "median")


def default_square(image_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """(top, left, size) of a default hole: a quarter of the side, near the centre."""
    h, w = image_shape[1:]
    return h // 3, w // 3, min(h, w) // 4 + 1


def noise_passed(model: nn.Module, x: torch.Tensor, noisy: torch.Tensor) -> float:
    """Share of the noise that goes through `model`: the squared change of its output when its input
    goes from `x` to `noisy`, over the squared noise. 1: the noise is copied; 0: none of it passes."""
    return float(((reconstruct(model, noisy) - reconstruct(model, x)) ** 2).mean() / ((noisy - x) ** 2).mean())


def fill_holes(model: nn.Module, masked: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The model's reconstruction inside the holes, the known pixels kept: (N, C, H, W)."""
    return torch.where(mask, reconstruct(model, masked), masked)


def region_psnr(x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> float:
    """PSNR in dB over the pixels where `mask` (broadcastable to x) is True; images in [0, 1]."""
    mask = mask.expand_as(x)
    if not mask.any():
        raise ValueError("the mask selects no pixel")
    return psnr(x_hat.float()[mask], x.float()[mask])


def gaussian_blur(x: torch.Tensor) -> torch.Tensor:
    """3 x 3 Gaussian blur, kernel [1, 2, 1]^T [1, 2, 1] / 16, edges replicated: (N, C, H, W) -> same."""
    k1 = torch.tensor([1.0, 2.0, 1.0], dtype=x.dtype, device=x.device)
    kernel = (torch.outer(k1, k1) / 16).expand(x.shape[1], 1, 3, 3)  # one kernel per channel
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=x.shape[1])


def median_filter(x: torch.Tensor) -> torch.Tensor:
    """3 x 3 median filter, edges replicated: (N, C, H, W) -> same."""
    n, c, h, w = x.shape
    patches = F.unfold(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3)  # (N, C*9, H*W)
    return patches.view(n, c, 9, h * w).median(dim=2).values.view(n, c, h, w)


def classical_filter(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The filter called `name` ('gaussian_blur' or 'median')."""
    if name not in FILTERS:
        raise ValueError(f"filter must be one of {FILTERS}, got {name!r}")
    return gaussian_blur if name == "gaussian_blur" else median_filter


def filter_for(noise: str) -> str:
    """The classical filter suited to a noise: a median for impulses and holes, else a blur."""
    return "gaussian_blur" if noise == "gaussian" else "median"


def noise_curve(x: torch.Tensor, noise: str, levels: list[float],
                restorers: dict[str, Callable[[torch.Tensor], torch.Tensor]], seed: int = 0
                ) -> dict[str, list[float]]:
    """PSNR (dB) against clean x (N, C, H, W) of each restorer's output on x damaged at each level.

    The same seed is used at every level, so the curves differ only by the noise's strength.
    """
    x = as_float(x)
    curves: dict[str, list[float]] = {name: [] for name in restorers}
    for level in levels:
        noisy = corrupt(x, noise, level, torch.Generator().manual_seed(seed))
        for name, restore in restorers.items():
            curves[name].append(psnr(restore(noisy).clamp(0, 1), x))
    return curves


def model_restorer(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """A restorer that runs `model` on its input (any device, result on the CPU)."""
    return lambda noisy: reconstruct(model, noisy)
