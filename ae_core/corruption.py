"""Damage done to training inputs: noises, masks, lower resolution. The target stays the clean image.

Training an autoencoder to undo a corruption is Vincent et al. (2008)'s denoising autoencoder; only
the damage changes between denoising, inpainting and super-resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .errors import SpecError
from .signals import add_noise

NOISES = ("gaussian", "salt_pepper", "mask")
# A signal's noises (ae_core.signals.add_noise), unclamped and scaled by the batch's standard deviation.
SIGNAL_NOISES = {"signal_gaussian": "gaussian", "hum": "hum", "clicks": "clicks"}
KINDS = ("none", *NOISES, "inpaint", "super_resolution", *SIGNAL_NOISES)


# --- noises ---------------------------------------------------------------------------------------

def gaussian_noise(x: torch.Tensor, level: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """The course's corruption: clamp(x + level * N(0, 1), 0, 1)."""
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return (x + level * noise).clamp_(0.0, 1.0)


def salt_pepper(x: torch.Tensor, level: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A share `level` of pixels set to 0 or 1 (half each)."""
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    out = x.clone()
    out[u < level / 2] = 0.0
    out[(u >= level / 2) & (u < level)] = 1.0
    return out


def random_mask(x: torch.Tensor, level: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A share `level` of pixels set to 0 (missing)."""
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x.masked_fill(u < level, 0.0)


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Noise `kind` ('none' or one of NOISES) at `level`; x (N, C, H, W) is not mutated."""
    if kind not in ("none", *NOISES):
        raise ValueError(f"noise must be one of {NOISES} or 'none', got {kind!r}")
    if kind == "none" or level == 0:
        return x
    return {"gaussian": gaussian_noise, "salt_pepper": salt_pepper, "mask": random_mask}[kind](x, level, generator)


# --- masks ----------------------------------------------------------------------------------------

def square_mask(image_shape: tuple[int, int, int], top: int, left: int, size: int) -> torch.Tensor:
    """Bool mask (1, C, H, W), True on the size x size square at (top, left), clipped to the image."""
    c, h, w = image_shape
    if size < 1 or not (0 <= top < h and 0 <= left < w):
        raise ValueError(f"square at ({top}, {left}) of size {size} is outside a {h}x{w} image")
    mask = torch.zeros(1, c, h, w, dtype=torch.bool)
    mask[..., top:top + size, left:left + size] = True
    return mask


def random_pixel_mask(shape: tuple[int, ...], fraction: float,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Bool mask of `shape` (N, C, H, W), each pixel True (missing) with probability `fraction`."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    device = generator.device if generator is not None else None
    return torch.rand(shape, generator=generator, device=device) < fraction


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


def apply_mask(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """x (N, C, H, W) with the pixels where `mask` (broadcastable) is True set to 0; x is not mutated."""
    return x.masked_fill(mask.to(x.device), 0.0)


def inpainting_damage(x: torch.Tensor, generator: torch.Generator | None = None, max_share: float = 0.5,
                      max_fraction: float = 0.6) -> torch.Tensor:
    """Half the images lose a random square, the other half a random share (up to max_fraction) of pixels."""
    squares = random_squares(tuple(x.shape), generator, max_share)
    fraction = torch.rand(len(x), 1, 1, 1, generator=generator, device=x.device) * max_fraction
    pixels = torch.rand(x.shape, generator=generator, device=x.device) < fraction
    use_square = torch.rand(len(x), 1, 1, 1, generator=generator, device=x.device) < 0.5
    return apply_mask(x, torch.where(use_square, squares, pixels))


# --- resolution -----------------------------------------------------------------------------------

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


def sr_factors(image_shape: tuple[int, int, int]) -> tuple[int, ...]:
    """Downsampling factors that leave a low-resolution image of at least 4 x 4 pixels."""
    h, w = image_shape[1:]
    return tuple(f for f in (2, 4) if h % f == 0 and w % f == 0 and min(h, w) // f >= 4)


# --- what a run specification names ---------------------------------------------------------------

@dataclass(frozen=True)
class Corruption:
    """The damage applied to each training input (the target is the clean batch).

    none: the plain autoencoder; gaussian, salt_pepper, mask: a noise at `level` (the noise's standard
    deviation, or the share of pixels hit); inpaint: a random square or random pixels set to 0;
    super_resolution: downsampling by `factor`, then bilinear upsampling; signal_gaussian, hum, clicks:
    a signal's noises at `level` × its standard deviation, for a signal sampled at `rate` Hz.
    """

    kind: str = "none"
    level: float = 0.0
    factor: int = 2
    rate: int = 200

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SpecError(f"Dégradation inconnue « {self.kind} » : choisissez parmi {', '.join(KINDS)}.")
        if not (math.isfinite(self.level) and 0.0 <= self.level <= 1.0):
            raise SpecError(f"Le niveau de bruit doit être entre 0 et 1 (reçu : {self.level}).")
        if self.factor not in (2, 4):
            raise SpecError(f"Le facteur de réduction doit valoir 2 ou 4 (reçu : {self.factor}).")
        if not 100 < self.rate <= 192_000:
            raise SpecError(f"La fréquence d'échantillonnage doit être entre 101 et 192 000 Hz (reçu : {self.rate}).")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The damaged batch (N, C, H, W); x is not mutated."""
        if self.kind == "inpaint":
            return inpainting_damage(x, generator)
        if self.kind == "super_resolution":
            return low_resolution(x, self.factor)
        if self.kind in SIGNAL_NOISES:
            if self.level == 0:
                return x
            seed = int(torch.randint(2**31 - 1, (1,), generator=generator))  # the trainer's draw
            rows = x.detach().cpu().flatten(1).numpy()  # (N, C * L): one signal a row
            noisy = add_noise(rows, SIGNAL_NOISES[self.kind], self.level, self.rate, seed)
            return torch.from_numpy(noisy).view(x.shape).to(x.device)
        return corrupt(x, self.kind, self.level, generator)
