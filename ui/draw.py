"""« Dessiner un chiffre »: a drawing canvas whose drawing becomes a dataset image, as uploads do.

The canvas is streamlit-drawable-canvas 0.13 (pinned in requirements.txt, with its `image` extra),
a component of Streamlit's components v2 drawn in the page itself. It keeps the drawing in the
session state under its key, {"drawing": {"raw": …, "data": PNG data URL}}, and decodes the PNG
only when asked (`image_data`): drawing_ui() checks its size first, so a forged message cannot make
the server decode a huge image. Without the component, the pages work and say so.
"""

from __future__ import annotations

import base64
import binascii

import numpy as np
import streamlit as st
import torch
from PIL import Image, ImageDraw, ImageFont

from ae_core.image_reader import to_dataset_image
from ae_core.metrics import encode, reconstruct
from ui.charts import code_figure, plot
from ui.fmt import fr
from ui.images import show_images
from ui.state import state

SIDE = 224  # 8 x 28: a stroke of 18 pixels becomes about 2 pixels in MNIST's 20 x 20 box
MAX_SCALE = 4  # the browser may send the canvas at its device pixel ratio
MAX_DATA_URL = 2_000_000  # characters; a 224 x 224 drawing is a few kilobytes
UNAVAILABLE = ("Le dessin n'est pas disponible sur ce serveur (composant streamlit-drawable-canvas absent) : "
               "le reste de la page fonctionne.")


def _safe(value) -> bool:
    """True when a canvas message holds no drawing yet, or a small one: a PNG data URL of at most
    MAX_SCALE x SIDE pixels a side."""
    drawing = value.get("drawing") if hasattr(value, "get") else None
    if not hasattr(drawing, "get"):
        return False
    data = drawing.get("data")
    if data is None:
        return True  # nothing drawn yet
    prefix = "data:image/png;base64,"
    if not isinstance(data, str) or not data.startswith(prefix) or len(data) > MAX_DATA_URL:
        return False
    try:
        head = base64.b64decode(data[len(prefix):len(prefix) + 32])
    except (binascii.Error, ValueError):
        return False
    if len(head) < 24 or head[12:16] != b"IHDR":
        return False
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    return 0 < width <= MAX_SCALE * SIDE and 0 < height <= MAX_SCALE * SIDE


def typed_digit(digit: int, image_shape: tuple[int, int, int]) -> torch.Tensor:
    """The digit written by the computer in white on black, on a canvas-sized image, then made a dataset
    image (1, 1, H, W) as a drawing is: the canvas's equivalent for the keyboard."""
    try:
        font = ImageFont.load_default(size=180)
    except (OSError, ValueError):  # a Pillow without FreeType: its small bitmap font
        font = ImageFont.load_default()
    image = Image.new("L", (SIDE, SIDE))
    ImageDraw.Draw(image).text((SIDE // 2, SIDE // 2), str(digit), fill=255, font=font, anchor="mm")
    return to_dataset_image(np.asarray(image), image_shape)


def drawing_ui(key: str, image_shape: tuple[int, int, int]) -> torch.Tensor | None:
    """A canvas to draw a digit on, or a digit chosen with the keyboard; as a dataset image (1, 1, H, W)
    in [0, 1], or None."""
    typed = st.selectbox("Ou, au clavier : un chiffre écrit par l'ordinateur", [None, *range(10)],
                         key=f"{key}_typed", format_func=lambda d: "aucun, mon dessin" if d is None else str(d),
                         help="Pour qui ne dessine ni à la souris ni au doigt : traité comme un dessin.")
    if typed is not None:
        return typed_digit(typed, image_shape)
    try:
        from streamlit_drawable_canvas import st_canvas
    except ImportError:
        st.info(UNAVAILABLE)
        return None
    forged = key in state and state[key] is not None and not _safe(state[key])
    st.caption("Dessinez un chiffre à la souris ou au doigt, en grand ; la corbeille sous le cadre l'efface.")
    try:
        result = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",
                           height=SIDE, width=SIDE, drawing_mode="freedraw", return_image_data=True, key=key)
        if forged:  # a forged or broken message: never decoded
            raise ValueError("canvas message refused")
        rgba = result.image_data
    except Exception:  # the component's own decoding: a drawing the page cannot use
        st.warning("Ce dessin n'a pas pu être lu : effacez-le et recommencez.")
        return None
    return canvas_image(rgba, image_shape)


def canvas_image(rgba: np.ndarray | None, image_shape: tuple[int, int, int]) -> torch.Tensor | None:
    """The canvas's RGBA pixels (h, w, 4), light strokes on dark, as a dataset image; None when blank."""
    if rgba is None or rgba.ndim != 3 or rgba.shape[2] != 4:
        return None
    grey = (rgba[..., :3].astype(np.float32).mean(-1) * rgba[..., 3] / 255).astype(np.uint8)
    if grey.max() <= 51:  # to_dataset_image's ink level: nothing drawn yet
        return None
    return to_dataset_image(grey, image_shape)


def drawn_reconstruction_ui(key: str, model, image_shape: tuple[int, int, int]) -> None:
    """The training page's drawing: as the model receives it, its reconstruction and its code z."""
    left, right = st.columns([1, 2])
    with left:
        x = drawing_ui(key, image_shape)
    with right:
        if x is None:
            st.caption("Votre dessin, tel que le modèle le reçoit, sa reconstruction et son code apparaîtront ici.")
            return
        out = reconstruct(model, x)
        _, h, w = image_shape
        show_images(torch.cat([x, out]), [f"votre dessin en {h} × {w}",
                                          f"reconstruction · MSE {fr(float(((out - x) ** 2).mean()))}"], size=140)
        plot(st, code_figure(encode(model, x)[0].numpy()), key=f"{key}_code",
             caption="Le code de votre dessin : une barre par nombre du code.")


def drawn_on_maps_ui(key: str, model, maps) -> tuple[np.ndarray, np.ndarray] | None:
    """The latent page's drawing: its points (2,) on the autoencoder's map and on PCA's, or None."""
    left, right = st.columns([1, 2])
    with left:
        x = drawing_ui(key, maps.pca.shape)
    with right:
        if x is None:
            st.caption("Dessinez un chiffre : une étoile dorée le placera sur les deux cartes ci-dessous, "
                       "là où l'autoencodeur et l'ACP le rangent parmi les vrais chiffres.")
            return None
        show_images(torch.cat([x, reconstruct(model, x), maps.pca.reconstruct(x)]),
                    ["votre dessin", "reconstruit par l'autoencodeur", "reconstruit par l'ACP"], size=120)
        st.caption("L'étoile dorée marque votre dessin sur les deux cartes. Tombe-t-elle parmi les chiffres de "
                   "sa classe ? Et si vous le dessinez penché, plus petit, ou mal fermé ?")
        return maps.plane.to_2d(encode(model, x).numpy())[0], maps.pca.encode(x)[0]
