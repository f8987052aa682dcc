"""Tools on a latent space: decode any point of a 2-D map, walk the line between two codes."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from ae_core.images import mosaic
from ae_core.latent import LatentPlane, decode_codes, decode_grid, interpolation, map_extent
from ui.charts import grid_figure, plot
from ui.fmt import fr
from ui.images import show_images
from ui.state import state


def decode_anywhere_ui(key: str, model, plane: LatentPlane, xy: np.ndarray) -> None:
    """A grid of images decoded over the map of points xy (N, 2), and one point chosen with two sliders."""
    if plane.projected:
        st.caption("Les points sont pris dans le plan des deux premiers axes d'ACP des codes.")
    low, high = map_extent(xy)
    n = st.slider("Images par côté de la grille", 5, 20, 12, key=f"{key}_grid_n")
    images = decode_grid(model, plane, low, high, n)
    grid = mosaic(images, n, pad=1, scale=max(1, 720 // (n * images.shape[-1])))  # crisp when stretched
    pick = []
    for axis, col in enumerate(st.columns(2)):
        slider = f"{key}_free_{axis}"
        options = np.linspace(low[axis], high[axis], 101).tolist()  # labels written the French way
        if state.get(slider, options[50]) not in options:  # another model: another extent
            state.pop(slider)
        pick.append(col.select_slider(f"Coordonnée {axis + 1} du point", options, options[50], key=slider,
                                      format_func=lambda v: fr(v, ".2f")))
    left, right = st.columns([3, 1])
    plot(left, grid_figure(grid, low, high, n, xy, pick), key=f"{key}_grid_chart")
    with right:
        st.markdown("**Le point choisi, décodé**")
        show_images(decode_codes(model, plane.from_2d(np.array([pick]))), size=160)


def interpolation_ui(key: str, model, images: torch.Tensor, names: list[str], start: int = 0) -> None:
    """Two images picked among `images` (N, C, H, W), decoded along the line between their codes,
    above the pixel cross-fade of the same two images."""
    c = st.columns(2)
    a = c[0].selectbox("Image de départ", range(len(names)), index=start, format_func=names.__getitem__,
                       key=f"{key}_a")
    b = c[1].selectbox("Image d'arrivée", range(len(names)), index=len(names) - 1, format_func=names.__getitem__,
                       key=f"{key}_b")
    decoded, faded = interpolation(model, images[a], images[b], steps=8)
    st.markdown("Décodé le long de la ligne droite entre les deux codes :")
    show_images(decoded, size=80)
    st.markdown("Fondu des pixels des deux mêmes images :")
    show_images(faded, size=80)
