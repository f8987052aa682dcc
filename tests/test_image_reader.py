"""The image reader: a dataset image out, or ReaderError with a French message, never anything else."""

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ae_core.image_reader import read_image, to_dataset_image
from ae_core.readers import ReaderError
from tests.conftest import assert_french_error

# --- images ---------------------------------------------------------------------------------------

def encode_image(img: Image.Image, fmt="PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def dark_digit_on_white(size=(90, 60)) -> Image.Image:
    a = np.full(size[::-1], 255, np.uint8)
    a[15:45, 40:50] = 0  # a thick vertical stroke: a "1"
    return Image.fromarray(a)


@pytest.mark.parametrize("fmt, mode", [("PNG", "L"), ("PNG", "RGB"), ("PNG", "RGBA"), ("PNG", "P"),
                                       ("JPEG", "L"), ("JPEG", "RGB"), ("PNG", "1")])
def test_image_is_grey_inverted_centred_and_resized(fmt, mode):
    x = read_image(encode_image(dark_digit_on_white().convert(mode), fmt), (1, 28, 28))
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert x[0, 0, :, :3].max() < 0.1 and x[0, 0, :, -3:].max() < 0.1  # dark margins (inverted)
    assert x[0, 0, 14, 14] > 0.7  # the stroke, centred
    assert read_image(encode_image(dark_digit_on_white()), (1, 8, 8)).shape == (1, 1, 8, 8)


def test_light_on_dark_image_is_not_inverted_and_transparency_becomes_white():
    light = Image.fromarray(255 - np.asarray(dark_digit_on_white()))
    torch.testing.assert_close(read_image(encode_image(light), (1, 28, 28)),
                               read_image(encode_image(dark_digit_on_white()), (1, 28, 28)))
    rgba = np.zeros((60, 90, 4), np.uint8)
    rgba[15:45, 40:50, 3] = 255  # black opaque stroke on a fully transparent page
    x = read_image(encode_image(Image.fromarray(rgba, "RGBA")), (1, 28, 28))
    assert x[0, 0, 14, 14] > 0.7 and x[0, 0, 0, 0] < 0.1


def png_chunks(width, height, depth, color_type, raw: bytes) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


NOISE = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8))
NOISE_PNG, NOISE_JPEG = encode_image(NOISE), encode_image(NOISE, "JPEG")


def animated_png() -> bytes:
    frames = [Image.new("L", (8, 8), v) for v in (0, 120, 240)]
    return encode_image(frames[0], save_all=True, append_images=frames[1:])


@pytest.mark.parametrize("data, words", [
    (b"bonjour, ceci est un texte", ["pas une image"]),
    (encode_image(Image.new("L", (8, 8)), "GIF"), ["gif", "png ou jpeg"]),
    (animated_png(), ["animée"]),
    (encode_image(Image.fromarray(np.zeros((8, 8), np.uint16))), ["16\u00a0bits"]),
    (png_chunks(4, 3, 16, 2, b"".join(b"\x00" + bytes(24) for _ in range(3))), ["16\u00a0bits"]),
    (encode_image(Image.new("CMYK", (8, 8)), "JPEG"), ["cmjn"]),
    (png_chunks(7000, 7000, 8, 0, b""), ["trop grande", "7000 × 7000"]),
    (png_chunks(70000, 70000, 8, 0, b""), ["trop grande"]),
    (NOISE_PNG[:len(NOISE_PNG) // 2], ["abîmée"]),
    (NOISE_JPEG[:len(NOISE_JPEG) // 2], ["abîmée"]),
])
def test_bad_images_raise_reader_error_in_french(data, words):
    with pytest.raises(ReaderError) as exc_info:
        read_image(data, (1, 28, 28))
    assert_french_error(exc_info, *words)


def test_image_over_the_size_limit_is_refused():
    with pytest.raises(ReaderError) as exc_info:
        read_image(encode_image(dark_digit_on_white()), (1, 28, 28), max_bytes=100)
    assert_french_error(exc_info, "trop lourde")


IMAGE_MODES = ["1", "L", "P", "RGB", "RGBA", "LA", "I;16", "CMYK"]


@st.composite
def image_bytes(draw):
    """Real small images of many modes and formats, possibly truncated or with flipped bytes."""
    mode, fmt = draw(st.sampled_from(IMAGE_MODES)), draw(st.sampled_from(["PNG", "JPEG", "GIF", "BMP"]))
    w, h = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2 ** 16))
    pixels = np.random.default_rng(seed).integers(0, 256, (h, w, 4), dtype=np.uint8)
    img = Image.fromarray(pixels, "RGBA").convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        img = Image.fromarray(np.asarray(img).astype(np.uint16) * 257)
    try:
        data = encode_image(img, fmt)
    except (OSError, ValueError, KeyError):
        data = encode_image(img.convert("RGB"), "PNG")
    cut = draw(st.integers(0, len(data)))
    flips = draw(st.lists(st.integers(0, max(0, len(data) - 1)), max_size=3))
    out = bytearray(data[:cut] if draw(st.booleans()) else data)
    for i in flips:
        if i < len(out):
            out[i] ^= 0xFF
    return bytes(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=3000), image_bytes()))
def test_random_bytes_give_clean_image_or_reader_error(data):
    try:
        x = read_image(data, (1, 28, 28))
    except ReaderError as exc:
        assert str(exc)
        return
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    assert torch.isfinite(x).all() and 0.0 <= x.min() and x.max() <= 1.0


def test_to_dataset_image_follows_mnist_and_the_digits_conventions():
    grey = np.zeros((300, 100), np.uint8)
    grey[50:250, 40:60] = 255  # a tall stroke, off centre
    grey[50:70, 20:40] = 255  # with a flag on its upper left
    x = to_dataset_image(grey, (1, 28, 28))[0, 0]
    rows, cols = np.flatnonzero(x.numpy().max(1) > 0.05), np.flatnonzero(x.numpy().max(0) > 0.05)
    assert rows[-1] - rows[0] + 1 <= 21 and cols[-1] - cols[0] + 1 <= 21  # the 20 x 20 box (one pixel of blur)
    ys, xs = np.indices(x.shape)
    cy, cx = (ys * x.numpy()).sum() / x.sum().item() + 0.5, (xs * x.numpy()).sum() / x.sum().item() + 0.5
    assert abs(cy - 14) < 1 and abs(cx - 14) < 1  # the centre of mass at the centre, as MNIST's
    small = to_dataset_image(grey, (1, 8, 8))[0, 0].numpy()
    assert small[0].max() > 0.3 and small[-1].max() > 0.3  # the bounding box fills the 8 x 8 frame
    assert to_dataset_image(np.zeros((5, 5), np.uint8), (1, 28, 28)).abs().sum() == 0


@pytest.mark.parametrize("size", [(36_000, 10), (10, 9_000), (6000, 2001)])
def test_elongated_or_huge_images_are_refused_before_decoding(size):
    with pytest.raises(ReaderError) as exc_info:
        read_image(png_chunks(*size, 8, 0, b""), (1, 28, 28))
    assert_french_error(exc_info, "trop grande ou trop allongée")
