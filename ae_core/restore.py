"""Image restoration with autoencoders: denoising, inpainting, super-resolution, and their baselines.

Every restoration autoencoder here is trained the same way: its input is a damaged image, its
target the clean one (Vincent et al., 2008, for noise). Only the damage changes, so each task is an
`input_fn` for ae_core's Trainer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import Dataset, train_val_split
from .metrics import as_float, psnr, reconstruct
from .models import ModelConfig
from .objectives import corrupt
from .train import Trainer, recipe

NOISES = ("gaussian", "salt_pepper", "mask")  # the damage a learner can pick on the page
TASKS = ("plain", "denoise", "inpaint", "super_resolution")
FILTERS = ("gaussian_blur", "median")
InputFn = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


# --- masks and region PSNR --------------------------------------------------------------------

def square_mask(image_shape: tuple[int, int, int], top: int, left: int, size: int) -> torch.Tensor:
    """Bool mask (1, C, H, W), True on the size x size square at (top, left), clipped to the image."""
    c, h, w = image_shape
    if size < 1 or not (0 <= top < h and 0 <= left < w):
        raise ValueError(f"square at ({top}, {left}) of size {size} is outside a {h}x{w} image")
    mask = torch.zeros(1, c, h, w, dtype=torch.bool)
    mask[..., top:top + size, left:left + size] = True
    return mask


def default_square(image_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """(top, left, size) of the page's default hole: a quarter of the side, near the centre."""
    h, w = image_shape[1:]
    return h // 3, w // 3, min(h, w) // 4 + 1


def random_pixel_mask(shape: tuple[int, ...], fraction: float,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Bool mask of `shape` (N, C, H, W), each pixel True (missing) with probability `fraction`."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    device = generator.device if generator is not None else None
    return torch.rand(shape, generator=generator, device=device) < fraction


def apply_mask(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """x (N, C, H, W) with the pixels where `mask` (broadcastable) is True set to 0; x is not mutated."""
    return x.masked_fill(mask.to(x.device), 0.0)


def highlight(x: torch.Tensor, mask: torch.Tensor, color: tuple[float, float, float] = (0.9, 0.15, 0.15)
              ) -> torch.Tensor:
    """Grey images (N, 1, H, W) as RGB (N, 3, H, W) with the masked pixels painted `color`, for display."""
    rgb = x.expand(-1, 3, -1, -1).clone()
    paint = torch.tensor(color, dtype=x.dtype, device=x.device).view(1, 3, 1, 1).expand_as(rgb)
    hole = mask.to(x.device).expand(x.shape[0], 1, *x.shape[-2:]).expand_as(rgb)
    return torch.where(hole, paint, rgb)


def fill_holes(model: nn.Module, masked: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The model's reconstruction inside the holes, the known pixels kept: (N, C, H, W)."""
    return torch.where(mask, reconstruct(model, masked), masked)


def region_psnr(x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> float:
    """PSNR in dB over the pixels where `mask` (broadcastable to x) is True; images in [0, 1]."""
    mask = mask.expand_as(x)
    if not mask.any():
        raise ValueError("the mask selects no pixel")
    return psnr(x_hat.float()[mask], x.float()[mask])


def psnr_each(x_hat: torch.Tensor, x: torch.Tensor) -> list[float]:
    """PSNR in dB of each image: (N, C, H, W) x2 -> N floats."""
    return [psnr(a, b) for a, b in zip(x_hat, x, strict=True)]


# --- resolution -------------------------------------------------------------------------------

def sr_factors(image_shape: tuple[int, int, int]) -> tuple[int, ...]:
    """Downsampling factors that leave a low-resolution image of at least 4 x 4 pixels."""
    h, w = image_shape[1:]
    return tuple(f for f in (2, 4) if h % f == 0 and w % f == 0 and min(h, w) // f >= 4)


def downsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Average each factor x factor block: (N, C, H, W) -> (N, C, H/factor, W/factor)."""
    if factor < 1 or x.shape[-1] % factor or x.shape[-2] % factor:
        raise ValueError(f"factor {factor} does not divide the image size {tuple(x.shape[-2:])}")
    return F.avg_pool2d(x, factor)


def upsample(x_low: torch.Tensor, factor: int, mode: str = "bilinear") -> torch.Tensor:
    """Classical upsampling, 'nearest' or 'bilinear': (N, C, h, w) -> (N, C, h*factor, w*factor)."""
    if mode == "nearest":
        return F.interpolate(x_low, scale_factor=factor, mode="nearest")
    if mode == "bilinear":
        return F.interpolate(x_low, scale_factor=factor, mode="bilinear", align_corners=False)
    raise ValueError(f"mode must be 'nearest' or 'bilinear', got {mode!r}")


def low_resolution(x: torch.Tensor, factor: int, mode: str = "bilinear") -> torch.Tensor:
    """x downsampled by `factor`, then upsampled back to its size: (N, C, H, W) -> same shape."""
    return upsample(downsample(x, factor), factor, mode)


# --- classical filters ------------------------------------------------------------------------

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


# --- training inputs --------------------------------------------------------------------------

def denoising_input(noise: str, level: float) -> InputFn:
    """input_fn: the course's corruption `noise` at `level` (x not mutated)."""
    return lambda x, g: corrupt(x, noise, level, g)


def super_resolution_input(factor: int) -> InputFn:
    """input_fn: the bilinear upsampling of x downsampled by `factor`."""
    return lambda x, g: low_resolution(x, factor)


def random_squares(shape: tuple[int, int, int, int], generator: torch.Generator | None = None,
                   max_share: float = 0.5) -> torch.Tensor:
    """Bool mask (N, C, H, W): one square per image, side 1..max_share*H, anywhere inside it."""
    n, c, h, w = shape
    device = generator.device if generator is not None else None
    side_max = max(1, int(max_share * min(h, w)))
    size = torch.randint(1, side_max + 1, (n, 1, 1), generator=generator, device=device)
    top = (torch.rand(n, 1, 1, generator=generator, device=device) * (h - size + 1)).long()
    left = (torch.rand(n, 1, 1, generator=generator, device=device) * (w - size + 1)).long()
    rows = torch.arange(h, device=device).view(1, h, 1)
    cols = torch.arange(w, device=device).view(1, 1, w)
    inside = (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)  # (N, H, W)
    return inside.unsqueeze(1).expand(n, c, h, w)


def inpainting_input(max_share: float = 0.5, max_fraction: float = 0.6) -> InputFn:
    """input_fn: half the images lose a random square, the other half a random share of pixels."""
    def damage(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        squares = random_squares(tuple(x.shape), g, max_share)
        fraction = torch.rand(len(x), 1, 1, 1, generator=g, device=x.device) * max_fraction
        pixels = torch.rand(x.shape, generator=g, device=x.device) < fraction
        use_square = torch.rand(len(x), 1, 1, 1, generator=g, device=x.device) < 0.5
        return apply_mask(x, torch.where(use_square, squares, pixels))
    return damage


# --- the page's autoencoders ------------------------------------------------------------------

@dataclass(frozen=True)
class RestoreTask:
    """What an autoencoder learns to undo; its target is always the clean image.

    plain: nothing (an ordinary autoencoder); denoise: `noise` at `level`; inpaint: random squares
    or pixels set to 0; super_resolution: downsampling by `factor`.
    """

    kind: str = "denoise"
    noise: str = "gaussian"
    level: float = 0.3
    factor: int = 2

    def __post_init__(self):
        if self.kind not in TASKS:
            raise ValueError(f"kind must be one of {TASKS}, got {self.kind!r}")
        if self.noise not in NOISES:
            raise ValueError(f"noise must be one of {NOISES}, got {self.noise!r}")
        if not 0.0 <= self.level <= 1.0:
            raise ValueError(f"level must be in [0, 1], got {self.level}")
        if self.factor not in (2, 4):
            raise ValueError(f"factor must be 2 or 4, got {self.factor}")

    def input_fn(self) -> InputFn | None:
        """The Trainer's input_fn; None for plain (the clean image itself)."""
        if self.kind == "denoise":
            return denoising_input(self.noise, self.level)
        if self.kind == "inpaint":
            return inpainting_input()
        if self.kind == "super_resolution":
            return super_resolution_input(self.factor)
        return None


# Sizes that train in seconds on a CPU and still clear the quality bars (tests/test_restore.py).
# Batches of 64: a few thousand images at 256 a batch give too few steps to learn in 5 epochs.
SIZES = {"digits": {"epochs": 30, "max_train": None}, "default": {"epochs": 5, "max_train": 2000}}
MAX_VAL = 1000


def restore_model_config(data: Dataset) -> ModelConfig:
    """The course's convolutional autoencoder (no linear bottleneck) for `data`'s images."""
    return ModelConfig(arch="conv", image_shape=data.image_shape, latent_dim=None)


def make_trainer(data: Dataset, task: RestoreTask, epochs: int | None = None,
                 max_train: int | None = None, seed: int = 0) -> Trainer:
    """A Trainer for `task` on a seeded subset of `data`'s training part (the page's sizes by default)."""
    sizes = SIZES.get(data.name, SIZES["default"])
    epochs = epochs or sizes["epochs"]
    max_train = max_train or sizes["max_train"]
    noise = {"noise": task.noise, "noise_level": task.level} if task.kind == "denoise" else {}
    config = recipe(data.name, epochs=epochs, batch_size=64, seed=seed, **noise)
    train_idx, val_idx = train_val_split(data, seed=seed)
    g = torch.Generator().manual_seed(seed)
    if max_train and len(train_idx) > max_train:
        train_idx = train_idx[torch.randperm(len(train_idx), generator=g)[:max_train]].sort().values
    if len(val_idx) > MAX_VAL:
        val_idx = val_idx[torch.randperm(len(val_idx), generator=g)[:MAX_VAL]].sort().values
    # Denoising goes through TrainConfig's own corruption, so the trainer's config records it.
    input_fn = None if task.kind == "denoise" else task.input_fn()
    return Trainer(restore_model_config(data), config, data.images, train_idx, val_idx, input_fn=input_fn)


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

