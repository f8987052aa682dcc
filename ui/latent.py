"""Tools on a latent space: decode any point of a 2-D map, walk the line between two codes."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from ae_core import Dataset, Rows
from ae_core.baselines import PCABaseline
from ae_core.images import mosaic
from ae_core.latent import LatentPlane, decode_codes, decode_grid, interpolation, map_extent
from ae_core.rows import balanced_sample, select_rows, subset, watched_rows
from ui.charts import grid_figure, map_figure, plot
from ui.fmt import fr
from ui.images import show_images
from ui.state import get_dataset, state


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
    plot(left, grid_figure(grid, low, high, n, xy, pick), key=f"{key}_grid_chart",
         caption="Chaque case est le décodage d'un point du plan ; la croix est le point choisi.")
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


# --- watching a map form as the model learns (History.codes) -----------------------------------

@st.cache_data(show_spinner=False, max_entries=8)
def pca_map(dataset: str, rows: Rows, n: int) -> np.ndarray:
    """PCA's 2-D map (N, 2) of the rows a spec with this `rows` and `watch=n` follows: the same for the
    whole class, fitted on at most 10,000 training rows as latent_maps does."""
    data = get_dataset(dataset)
    train_idx, val_idx = select_rows(data, rows)
    return PCABaseline(data.images[subset(train_idx, 10_000)], 2).encode(data.images[balanced_sample(
        data.labels, n, pool=val_idx)])


def _frame(codes: list, upto: int | None = None) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(epoch, map (N, 2), low, high) of the last snapshot up to epoch `upto`; the axes span every
    snapshot up to it, so that points move on axes that only grow and never jump."""
    shown = [(e, c.astype(np.float64)) for e, c in codes if upto is None or e <= upto]
    low, high = map_extent(np.concatenate([c for _, c in shown]))
    return shown[-1][0], shown[-1][1], low, high


def _when(epoch: int) -> str:
    return "avant l'entraînement" if epoch == 0 else f"après {epoch} époque{'s' if epoch > 1 else ''}"


def _map(col, data, rows, xy, title: str, low=None, high=None, key: str = "") -> None:
    fig = map_figure(xy, data.labels[rows].numpy(), data.class_names, title, None)
    if low is not None:
        fig.update_xaxes(range=[low[0], high[0]]).update_yaxes(range=[low[1], high[1]])
    plot(col, fig, key=key, caption=f"{title} : un point par image suivie, une couleur et une forme par classe.")


def _pca(col, data, rows, spec, key: str) -> None:
    _map(col, data, rows, pca_map(data.name, spec.rows, spec.train.watch), "ACP à 2 composantes", key=key)


def live_map(data: Dataset, trainer, moment: tuple) -> None:
    """While a 2-D code trains: its map at the last epoch's end (the training process computes it), with
    PCA's map beside it. For train_ui(live=…)."""
    codes = trainer.history.codes
    if trainer.done or not codes or codes[-1][1].shape[1] != 2:  # done: the page's replay_ui
        return
    rows = watched_rows(data, trainer.spec)
    epoch, xy, low, high = _frame(codes)
    title = "VAE" if trainer.spec.model.variational else "Autoencodeur"
    cols = st.columns(2)
    _map(cols[0], data, rows, xy, f"{title}, {_when(epoch)}", low, high, "live_map")
    _pca(cols[1], data, rows, trainer.spec, "live_map_pca")
    st.caption(f"Les codes de {fr(len(rows), ',.0f')} images mises de côté, redessinés à chaque fin d'époque : "
               "regardez les classes se séparer pendant que le modèle apprend.")


def replay_ui(key: str, data: Dataset, trainers: list, titles: list[str], pca: bool = False) -> None:
    """After a training: its maps at any epoch (a slider), for trainers of the same epochs side by side,
    then PCA's map when `pca`."""
    if any(not t.history.codes or t.history.codes[-1][1].shape[1] != 2 for t in trainers):
        return
    epochs = [e for e, _ in trainers[0].history.codes]
    if state.get(f"{key}_epoch", epochs[-1]) not in epochs:  # another training: other epochs
        state.pop(f"{key}_epoch")
    upto = st.select_slider("Époque", epochs, epochs[-1], key=f"{key}_epoch",
                            help="0 : avant la première époque, les poids tirés au hasard.")
    rows = watched_rows(data, trainers[0].spec)
    cols = st.columns(len(trainers) + pca)
    for col, trainer, title in zip(cols, trainers, titles):
        low, high = _frame(trainer.history.codes)[2:]  # the whole training's axes, fixed
        epoch, xy = _frame(trainer.history.codes, upto)[:2]
        _map(col, data, rows, xy, f"{title}, {_when(epoch)}", low, high, f"{key}_{title}")
    if pca:
        _pca(cols[-1], data, rows, trainers[0].spec, f"{key}_pca")
    st.caption(f"Les codes des mêmes {fr(len(rows), ',.0f')} images mises de côté à la fin de l'époque choisie, "
               "sur des axes fixes : ceux de tout l'entraînement.")
