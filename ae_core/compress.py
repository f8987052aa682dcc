"""Compression measured in bytes: PSNR against bits per image for PCA, autoencoders, VQ-VAE, JPEG and PNG.

Every method is measured on the same images and gives points (bits per image, PSNR in dB, over all
their pixels). PCA and an autoencoder send their code: k numbers, each quantised uniformly to b
bits (range fitted on the training codes), so k * b bits. A VQ-VAE sends grid * grid indices of
log2 K bits. JPEG and PNG (Pillow) count the bytes of the real file, one file per image; JPEG is
also given without its header (the bytes before the scan: a fixed header can be shared by all the
images), and the chart uses that smaller size. Decoders and codebooks are not counted in the bits:
their sizes are reported beside (`decoder_bytes`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .baselines import PCABaseline
from .latent import decode_codes
from .metrics import as_float, encode, psnr
from .variants import bits_per_image

BITS = range(1, 9)



@dataclass(frozen=True)
class Point:
    method: str
    setting: str  # e.g. "k=8, b=6" or "qualité 20"
    bits: float  # per image
    psnr: float  # dB


def _psnr(x_hat: torch.Tensor, x: torch.Tensor) -> float:
    """PSNR of a decoded image as the receiver would show it: clipped to [0, 1]."""
    return psnr(x_hat.clamp(0, 1), x)


def quantise(codes: torch.Tensor, low: torch.Tensor, high: torch.Tensor, bits: int) -> torch.Tensor:
    """Codes rounded to 2**bits evenly spaced levels per dimension between low and high, and back."""
    levels = 2 ** bits - 1
    span = (high - low).clamp_min(1e-12)
    return ((codes - low) / span * levels).round().clamp(0, levels) / levels * span + low


def pca_points(train: torch.Tensor, val: torch.Tensor, ks=range(1, 65)) -> list[Point]:
    """PCA with k components (nested: one fit of max(ks)), each code quantised to b bits."""
    pca = PCABaseline(train, max(ks))
    train_codes, val_codes = (torch.from_numpy(pca.encode(x)).float() for x in (train, val))
    x, points = as_float(val), []
    for k in ks:
        low, high = train_codes[:, :k].amin(0), train_codes[:, :k].amax(0)
        for b in BITS:
            codes = torch.zeros_like(val_codes)
            codes[:, :k] = quantise(val_codes[:, :k], low, high, b)
            points.append(Point("ACP", f"k={k}, b={b}", k * b, _psnr(pca.decode(codes.numpy()), x)))
    return points


def code_points(model: nn.Module, train: torch.Tensor, val: torch.Tensor, method: str) -> list[Point]:
    """An autoencoder's code of k numbers quantised to b bits."""
    train_codes, val_codes = encode(model, train), encode(model, val)
    low, high, k, x = train_codes.amin(0), train_codes.amax(0), val_codes.shape[1], as_float(val)
    return [Point(method, f"k={k}, b={b}", k * b, _psnr(decode_codes(model, quantise(val_codes, low, high, b)), x))
            for b in BITS]


@torch.no_grad()
def vq_point(model: nn.Module, val: torch.Tensor) -> Point:
    """A VQ-VAE's indices: grid * grid * log2 K bits."""
    x = as_float(val)
    return Point("VQ-VAE", f"grille {model.grid}×{model.grid}, K={model.config.codebook}",
                 bits_per_image(model.config, model.grid),
                 _psnr(model.eval()(x), x))


def jpeg_header_bytes(data: bytes) -> int:
    """Bytes up to the end of the start-of-scan segment (0xFFDA): what a fixed header holds."""
    sos = data.index(b"\xff\xda")
    return sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")


def _grey(images: torch.Tensor) -> list[np.ndarray]:
    return [img for img in (as_float(images)[:, 0] * 255).round().to(torch.uint8).numpy()]


def jpeg_points(val: torch.Tensor, qualities=(1, 5, 10, 20, 30, 50, 75, 95)) -> list[tuple[Point, float]]:
    """(point without the header, mean file bytes with it) per JPEG quality."""
    from PIL import Image

    x, out = as_float(val), []
    for q in qualities:
        decoded, body, files = [], 0, 0
        for img in _grey(val):
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, "JPEG", quality=q)
            data = buf.getvalue()
            files += len(data)
            body += len(data) - jpeg_header_bytes(data)
            decoded.append(np.asarray(Image.open(io.BytesIO(data)), dtype=np.float32) / 255)
        x_hat = torch.from_numpy(np.stack(decoded)).unsqueeze(1)
        out.append((Point("JPEG", f"qualité {q}", 8 * body / len(x), _psnr(x_hat, x)), files / len(x)))
    return out


def png_bytes(val: torch.Tensor) -> float:
    """Mean bytes of a lossless PNG file per image (the upper reference: infinite PSNR)."""
    from PIL import Image

    sizes = []
    for img in _grey(val):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "PNG", optimize=True)
        sizes.append(len(buf.getvalue()))
    return float(np.mean(sizes))


def best_at(points: list[Point], budget_bits: float) -> Point | None:
    """The point of highest PSNR within the budget, or None."""
    within = [p for p in points if p.bits <= budget_bits]
    return max(within, key=lambda p: p.psnr) if within else None


def decoder_bytes(model: nn.Module) -> int:
    """float32 bytes of what the receiver must hold: the decoder, and a VQ-VAE's codebook."""
    n = sum(p.numel() for p in model.decoder.parameters())
    return 4 * (n + (model.codebook.numel() if hasattr(model, "codebook") else 0))
