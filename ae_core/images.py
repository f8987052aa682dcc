"""Turn image tensors into arrays a screen can show: upscaled tiles, mosaics, highlighted holes."""

from __future__ import annotations

import numpy as np
import torch


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1] -> (N, H, W) or (N, H, W, C) uint8."""
    x = images.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8).cpu()
    x = x.permute(0, 2, 3, 1)  # (N, H, W, C)
    return (x[..., 0] if x.shape[-1] == 1 else x).numpy()


def upscale(images: torch.Tensor, size: int = 112) -> np.ndarray:
    """Nearest-neighbour upscaling so small images stay crisp in a browser: (N, C, H, W) -> uint8."""
    factor = max(1, size // images.shape[-1])
    big = images.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)
    return to_uint8(big)


def mosaic(images: torch.Tensor, ncols: int, pad: int = 1, scale: int = 1) -> np.ndarray:
    """A grid of N images (N, C, H, W) in rows of `ncols`, `pad` grey pixels apart, as uint8."""
    n, c, h, w = images.shape
    nrows = -(-n // ncols)
    grid = torch.full((c, nrows * (h + pad) - pad, ncols * (w + pad) - pad), 0.5)
    for i, img in enumerate(images):
        r, col = divmod(i, ncols)
        grid[:, r * (h + pad):r * (h + pad) + h, col * (w + pad):col * (w + pad) + w] = img
    grid = grid.repeat_interleave(scale, dim=-2).repeat_interleave(scale, dim=-1)
    return to_uint8(grid.unsqueeze(0))[0]


def highlight(x: torch.Tensor, mask: torch.Tensor, color: tuple[float, float, float] = (0.9, 0.15, 0.15)
              ) -> torch.Tensor:
    """Grey images (N, 1, H, W) as RGB (N, 3, H, W) with the masked pixels painted `color`, for display."""
    rgb = x.expand(-1, 3, -1, -1).clone()
    paint = torch.tensor(color, dtype=x.dtype, device=x.device).view(1, 3, 1, 1).expand_as(rgb)
    hole = mask.to(x.device).expand(x.shape[0], 1, *x.shape[-2:]).expand_as(rgb)
    return torch.where(hole, paint, rgb)
