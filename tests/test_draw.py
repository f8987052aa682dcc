"""« Dessiner un chiffre » (ui.draw): the canvas's pixels become dataset images; forged messages are refused."""

import base64
import io
import struct
import sys
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from ae_core import ModelConfig
from tests.app_driver import app
from ui.draw import SIDE, UNAVAILABLE, _safe, canvas_image, typed_digit

CONFIG = ModelConfig(image_shape=(1, 8, 8), latent_dim=3)


def data_url(png: bytes) -> dict:
    """The canvas's state as streamlit-drawable-canvas 0.13 keeps it."""
    return message("data:image/png;base64," + base64.b64encode(png).decode())


def message(data) -> dict:
    return {"drawing": {"raw": {"objects": []}, "data": data}, "backgroundFit": None}


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (width, height)).save(buf, "PNG")
    return buf.getvalue()


def forged_png(width: int, height: int) -> bytes:
    """A PNG header declaring a huge image, a few bytes long."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


def one_stroke(side: int = SIDE) -> np.ndarray:
    """A vertical white stroke on a transparent canvas, as the component sends it (h, w, RGBA)."""
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[40:180, 100:118] = 255
    return rgba


def test_a_stroke_becomes_a_centred_dataset_image_and_a_blank_canvas_nothing():
    x = canvas_image(one_stroke(), (1, 28, 28))
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    rows = torch.nonzero(x[0, 0].sum(1) > 0.1).flatten()
    assert rows[-1] - rows[0] + 1 == 20  # MNIST's 20-pixel box
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    w = x[0, 0] / x.sum()
    assert abs(float((w * xs).sum()) - 13.5) < 1 and abs(float((w * ys).sum()) - 13.5) < 1  # centre of mass
    assert canvas_image(one_stroke(), (1, 8, 8)).shape == (1, 1, 8, 8)
    assert canvas_image(np.zeros((SIDE, SIDE, 4), np.uint8), (1, 28, 28)) is None
    assert canvas_image(None, (1, 28, 28)) is None


def test_a_drawing_at_twice_the_size_gives_the_same_image():
    big = np.repeat(np.repeat(one_stroke(), 2, 0), 2, 1)  # a high-density screen
    assert torch.allclose(canvas_image(big, (1, 28, 28)), canvas_image(one_stroke(), (1, 28, 28)), atol=0.1)


@pytest.mark.parametrize("value,ok", [
    (data_url(png(SIDE, SIDE)), True),
    (data_url(png(2 * SIDE, 2 * SIDE)), True),
    (data_url(forged_png(100_000, 100_000)), False),  # would decode to 40 GB
    (data_url(png(SIDE, 10 * SIDE)), False),
    (message("data:image/png;base64," + "A" * 3_000_000), False),
    (message("data:image/jpeg;base64,/9j/"), False),
    (message("data:image/png;base64,@@@"), False),
    (message(None), True),  # nothing drawn yet
    ({"data": "data:image/png;base64,"}, False),  # the older component's layout
    ("not a dict", False),
])
def test_only_small_png_messages_reach_the_component(value, ok):
    assert _safe(value) is ok


def test_without_the_component_the_pages_still_work_and_say_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", None)  # import fails
    from ae_core import build_model
    from ui.state import CurrentModel

    at = app("pages/entrainer.py")
    at.session_state["current_model"] = CurrentModel(build_model(CONFIG, 0), CONFIG, "digits", "test")
    at.run()
    assert not at.exception
    assert UNAVAILABLE in [e.value for e in at.info]


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28)])
def test_a_digit_chosen_with_the_keyboard_becomes_a_centred_image_like_a_drawing(shape):
    x = typed_digit(7, shape)
    assert x.shape == (1, *shape) and 0.0 <= float(x.min()) and float(x.max()) == pytest.approx(1.0, abs=0.05)
    ink = x[0, 0] > 0.5
    rows, cols = torch.nonzero(ink, as_tuple=True)
    middle = (shape[1] - 1) / 2
    assert abs(rows.float().mean() - middle) < shape[1] / 6 and abs(cols.float().mean() - middle) < shape[1] / 6
    assert not torch.equal(typed_digit(1, shape), x)


def test_without_the_canvas_a_digit_chosen_with_the_keyboard_still_reaches_the_model(monkeypatch):
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", None)
    from ae_core import build_model
    from ui.state import CurrentModel

    at = app("pages/entrainer.py")
    at.session_state["current_model"] = CurrentModel(build_model(CONFIG, 0), CONFIG, "digits", "test")
    at.run()
    at.selectbox(key="train_drawing_typed").select(3).run()
    assert not at.exception
    assert any("votre dessin en 8 × 8" in str(i.proto) for i in at.get("image"))
