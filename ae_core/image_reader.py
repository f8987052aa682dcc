"""The learner's images (PNG, JPEG, later a drawing) turned into dataset images, at a bounded cost."""

from __future__ import annotations

import io

import numpy as np
import torch

from .readers import ReaderError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Images: a 12-megapixel photo (4000 x 3000) decodes to 48 MB as RGBA at most; then it is reduced to
# WORK_SIDE pixels a side before any conversion, so no accepted image costs much more (measured in
# tests/test_memory.py).
MAX_IMAGE_PIXELS = 12_000_000
MAX_ASPECT = 20
WORK_SIDE = 512


def read_image(data: bytes, image_shape: tuple[int, int, int], max_bytes: int = MAX_IMAGE_BYTES) -> torch.Tensor:
    """PNG/JPEG bytes -> (1, 1, H, W) float in [0, 1], light strokes on dark like the datasets.

    The work is bounded by the output, not the input: a JPEG is decoded at a reduced scale, any image
    is reduced to at most WORK_SIDE pixels a side before it is converted, and MAX_IMAGE_PIXELS and
    MAX_ASPECT refuse the rest. Then grey, inverted when the border is light, and to_dataset_image.
    Raises ReaderError.
    """
    from PIL import Image, UnidentifiedImageError

    if image_shape[0] != 1:
        raise ValueError(f"only grey datasets are supported, got image_shape {image_shape}")
    if len(data) > max_bytes:
        raise ReaderError(f"Image trop lourde ({len(data) / 1e6:.1f}\u00a0Mo) : la limite est de "
                          f"{max_bytes / 1e6:.0f}\u00a0Mo.".replace(".", ",", 1))
    limit = (f"la limite est de {MAX_IMAGE_PIXELS / 1e6:.0f} millions de pixels, un côté valant au plus "
             f"{MAX_ASPECT} fois l'autre.")
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # PIL's own, far larger limit
        raise ReaderError(f"Image trop grande : {limit}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ReaderError("Ce fichier n'est pas une image PNG ou JPEG lisible.") from exc
    if img.format not in ("PNG", "JPEG"):
        raise ReaderError(f"Format {img.format} non pris en charge : envoyez une image PNG ou JPEG.")
    w, h = img.size
    if w * h > MAX_IMAGE_PIXELS or max(w, h) > MAX_ASPECT * min(w, h):
        raise ReaderError(f"Image trop grande ou trop allongée ({w} × {h} pixels) : {limit}")
    if getattr(img, "is_animated", False):
        raise ReaderError("Image animée refusée : envoyez une image fixe.")
    if img.mode.startswith("I") or img.mode == "F" or (data[12:16] == b"IHDR" and data[24] == 16):
        raise ReaderError("Image en 16\u00a0bits par canal refusée : enregistrez-la en 8\u00a0bits.")
    if img.mode == "CMYK":
        raise ReaderError("Image CMJN (pour l'impression) refusée : convertissez-la en RVB ou en gris.")
    try:
        if img.format == "JPEG":
            img.draft(img.mode, (WORK_SIDE, WORK_SIDE))  # decode at 1/2, 1/4 or 1/8 of the size
        img.load()
        transparent = "A" in img.getbands() or "transparency" in img.info
        if img.mode not in ("L", "LA", "RGB", "RGBA"):  # palette or 1-bit: 4 bytes a pixel at most
            img = img.convert("RGBA" if transparent else "L")
        factor = max(1, max(img.size) // WORK_SIDE)
        if factor > 1:
            img = img.reduce(factor)
        if transparent:  # transparent pixels become white, as the page the learner drew on
            img = Image.alpha_composite(Image.new("RGBA", img.size, "white"), img.convert("RGBA"))
        grey = np.asarray(img.convert("L"), dtype=np.uint8)  # (h, w), at most WORK_SIDE a side
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise ReaderError("Image tronquée ou abîmée : impossible de la décoder.") from exc
    border = np.r_[grey[0], grey[-1], grey[:, 0], grey[:, -1]]
    if np.median(border) > 127:
        grey = 255 - grey
    return to_dataset_image(grey, image_shape)


def to_dataset_image(grey: np.ndarray, image_shape: tuple[int, int, int], ink: int = 51) -> torch.Tensor:
    """Light strokes on dark, uint8 (h, w) -> (1, 1, H, W) float in [0, 1], made as the dataset's own were.

    Images of 16 pixels or more follow MNIST: the ink's bounding box is scaled to fit a 20 x 20 box
    (of 28), aspect kept, and placed so that its centre of mass is the image's centre. Smaller ones
    follow scikit-learn's 8 x 8 digits: the bounding box is scaled to fill the frame, aspect kept,
    centred. Pixels above `ink` count as ink; an image without ink comes back black.
    """
    from PIL import Image

    _, h, w = image_shape
    canvas = np.zeros((h, w), dtype=np.float32)
    rows, cols = np.flatnonzero((grey > ink).any(1)), np.flatnonzero((grey > ink).any(0))
    if len(rows):
        crop = np.ascontiguousarray(grey[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
        mnist = min(h, w) >= 16
        box_h, box_w = (round(h * 20 / 28), round(w * 20 / 28)) if mnist else (h, w)
        scale = min(box_h / crop.shape[0], box_w / crop.shape[1])
        size = (max(1, min(box_w, round(crop.shape[1] * scale))), max(1, min(box_h, round(crop.shape[0] * scale))))
        small = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255
        sh, sw = small.shape
        if mnist and small.sum() > 0:
            ys, xs = np.indices(small.shape)
            cy, cx = (ys * small).sum() / small.sum() + 0.5, (xs * small).sum() / small.sum() + 0.5
            top, left = round(h / 2 - cy), round(w / 2 - cx)
        else:
            top, left = (h - sh) // 2, (w - sw) // 2
        top, left = min(max(top, 0), h - sh), min(max(left, 0), w - sw)
        canvas[top:top + sh, left:left + sw] = small
    return torch.from_numpy(canvas).view(1, 1, h, w)
