"""Rows and grids of images on a page, upscaled without blur, and galleries of reconstruction errors."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from ae_core.anomaly import error_maps
from ae_core.images import mosaic, upscale
from ae_core.metrics import as_float, reconstruct
from ui.fmt import fr
from ui.state import memo


def show_images(images: torch.Tensor, captions: list[str] | None = None, size: int = 112, alt: str = "") -> None:
    """A row of images (N, C, H, W) in [0, 1], one column each; each image's text alternative is its
    caption, or `alt` and its position."""
    captions = captions or [None] * len(images)
    for i, (col, img, cap) in enumerate(zip(st.columns(len(images)), upscale(images, size), captions)):
        col.image(img, caption=cap, width=size, alt=cap or f"{alt or 'Image'} ({i + 1} sur {len(images)})")


def show_grid(images: torch.Tensor, ncols: int, size: int = 112, caption: str | None = None, where=st,
              alt: str = "") -> None:
    """Images (N, C, H, W) in [0, 1] as one mosaic of `ncols` columns, each tile about `size` pixels
    wide; its text alternative says what it shows (`alt`, else the caption) and how it is laid out."""
    rows = -(-len(images) // ncols)
    where.image(mosaic(images.clamp(0, 1), ncols=ncols, scale=max(1, size // images.shape[-1])), caption=caption,
                width="stretch",
                alt=f"{alt or caption or 'Images'} ({len(images)} images, {rows} rangée(s) de {ncols}).")


def compare_ui(x, outs: dict, score, shown: dict | None = None) -> None:
    """One column per entry of `outs`: title, PSNR `score(images)` against the reference x, then the
    images (or `shown[title]`) in rows of 3. None stands for a model not trained yet.
    """
    for col, (title, images) in zip(st.columns(len(outs)), outs.items(), strict=True):
        col.markdown(f"**{title}**")
        if images is None:
            col.info("Pas encore entraîné.")
            continue
        psnr = "référence" if images is x else f"{fr(score(images), '.1f')}\u00a0dB"
        col.metric("PSNR", psnr)
        show_grid((shown or {}).get(title, images), ncols=3, where=col, alt=f"{title}, PSNR : {psnr}")


def live_reconstructions(trainer, moment: tuple) -> None:
    """Eight held-out images (top) and their reconstructions, drawn once per `moment` of a training
    (same spec, same moment: same weights), so that a class's panels cost the server little."""
    images = trainer.images[trainer.val_idx[:8]]
    grid = memo("live_reconstructions", (trainer.spec, moment), lambda: mosaic(
        torch.cat([as_float(images), reconstruct(trainer.model, images)]), ncols=8,
        scale=4 if images.shape[-1] > 8 else 12))
    st.image(grid, caption="En haut : images mises de côté, jamais vues à l'entraînement. "
                           "En bas : leurs reconstructions actuelles.",
             alt="Huit images de validation et, en dessous, leurs reconstructions à ce moment de l'entraînement.")


def gallery(model, images: torch.Tensor, labels: list[str], values: np.ndarray, caption: str) -> None:
    """Original | reconstruction | squared error per pixel, one column per uint8 image (N, C, H, W)."""
    x_hat, err = error_maps(model, images)
    err = err / err.amax().clamp_min(1e-8)
    st.image(mosaic(torch.cat([as_float(images), x_hat, err]), ncols=len(images),
                    scale=max(1, 96 // images.shape[-1])), caption=caption,
             alt=f"{caption} : en haut les images, au milieu leurs reconstructions, en bas l'erreur par pixel ; "
                 + " ; ".join(f"{lab}, score {fr(v, '.4f')}" for lab, v in zip(labels, values, strict=True)))
    st.caption(" · ".join(f"{lab} ({fr(v, '.4f')})" for lab, v in zip(labels, values, strict=True)))
