"""Espace latent et ACP: the autoencoder's 2-D map next to PCA's, decoding anywhere, error vs k, manifolds."""

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
import torch
from PIL import Image

from ae_core import make_manifold, reconstruct, train_val_split
from ae_core.data import MANIFOLDS
from ae_core.images import mosaic
from ae_core.manifold import manifold_codes, manifold_trainer
from ae_core.latent import (LatentPlane, ae_error_curve, curve_sizes, decode_codes, decode_grid, interpolation,
                            latent_maps, latent_trainer, map_extent,
                            pca_error_curve, probe_scores, split_rows, trustworthiness)
from ae_core.metrics import as_float
from pages.common import current_dataset, current_model, fr, get_dataset, lesson_ui, persist, show_images
from pages.live import train_ui

PCA_KS = tuple(range(1, 33))
COLORS = px.colors.qualitative.Plotly
state = st.session_state


@st.cache_data(show_spinner="Calcul de l'ACP pour k = 1 à 32…")
def pca_curve(dataset: str) -> list[float]:
    data = get_dataset(dataset)
    train_idx, val_idx = split_rows(data)
    return pca_error_curve(data.images[train_idx], data.images[val_idx], PCA_KS).tolist()


@st.cache_data(show_spinner=False)
def ae_curve(dataset: str, ks: tuple[int, ...]) -> list[float]:
    return ae_error_curve(get_dataset(dataset), ks).tolist()


@st.cache_data(show_spinner=False)
def manifold(name: str) -> tuple[np.ndarray, np.ndarray]:
    return make_manifold(name, 1000, seed=0)


def keep_for(key: str, owner: str) -> None:
    """Forget the trainer `key` when it was started for another dataset or shape than `owner`."""
    if state.get(f"{key}_for") not in (None, owner):
        for k in (key, f"{key}_running", f"{key}_error", f"{key}_for"):
            state.pop(k, None)


def session_cached(key: str, model, compute):
    """compute() once per model and dataset, kept in the session (a student's model is never shared)."""
    if key not in state or state[key][0] is not model or state[key][1] != data.name:
        state[key] = (model, data.name, compute())
    return state[key][2]


def on_select(chart_key: str) -> None:
    points = state[chart_key]["selection"]["points"]
    if points and points[0].get("customdata") is not None:
        custom = points[0]["customdata"]
        state.latent_selected = int(custom[0] if isinstance(custom, list | tuple) else custom)
    # Clicks on empty space give no points: the last selection stays.


def map_figure(xy: np.ndarray, labels: np.ndarray, title: str, selected: int | None) -> go.Figure:
    """One SVG trace per class, same colours in both maps; customdata holds the sample position."""
    fig = go.Figure()
    for c, name in enumerate(data.class_names):
        pos = np.flatnonzero(labels == c)
        fig.add_scatter(x=xy[pos, 0].tolist(), y=xy[pos, 1].tolist(), mode="markers", name=name,
                        customdata=[[int(i)] for i in pos], marker=dict(size=6, opacity=0.8,
                                                                        color=COLORS[c % len(COLORS)]),
                        hovertemplate=f"classe {name}<extra></extra>")
    if selected is not None:
        fig.add_scatter(x=[float(xy[selected, 0])], y=[float(xy[selected, 1])], mode="markers",
                        name="sélection", customdata=[[selected]], marker=dict(
                            size=18, symbol="circle-open", color="black", line=dict(width=3)))
    fig.update_layout(title=title, height=460, margin=dict(l=10, r=10, t=40, b=10), legend_title="classe",
                      xaxis_title="axe 1", yaxis_title="axe 2")
    return fig


def grid_figure(grid: np.ndarray, low, high, n: int, xy: np.ndarray, point) -> go.Figure:
    """The decoded mosaic laid over the map's extent, the sample's points and the free point on top."""
    cell = (high - low) / (n - 1)
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name="échantillon",
                               marker=dict(size=4, color="rgba(230,60,60,0.5)")))
    fig.add_scatter(x=[point[0]], y=[point[1]], mode="markers", name="point choisi",
                    marker=dict(size=16, symbol="x", color="deepskyblue"))
    fig.add_layout_image(source=Image.fromarray(grid), xref="x", yref="y", x=low[0] - cell[0] / 2,
                         y=high[1] + cell[1] / 2, sizex=high[0] - low[0] + cell[0],
                         sizey=high[1] - low[1] + cell[1], sizing="stretch", layer="below")
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                      xaxis=dict(range=[low[0] - cell[0] / 2, high[0] + cell[0] / 2], showgrid=False,
                                 zeroline=False),
                      yaxis=dict(range=[low[1] - cell[1] / 2, high[1] + cell[1] / 2], showgrid=False,
                                 zeroline=False))
    return fig


st.title("Espace latent et ACP")
lesson_ui("espace_latent")
data = current_dataset()
persist(latent_source="page")
source = st.radio("Autoencodeur à explorer", ["page", "current"], key="latent_source", horizontal=True,
                  format_func={"page": "un autoencodeur à code 2-D, entraîné ici",
                               "current": "le modèle courant (page « Entraîner »)"}.get)
model = None
if source == "page":
    keep_for("latent_trainer", data.name)

    def make_trainer():
        state.latent_trainer_for = data.name
        return latent_trainer(data, latent_dim=2)

    st.caption(f"Perceptron multicouche, code de 2 nombres, sur {data.title} "
               "(au plus 10 000 images d'entraînement).")
    trainer = train_ui("latent_trainer", make_trainer, start_label="Entraîner l'autoencodeur 2-D")
    if trainer is not None and trainer.done and trainer.diverged_at is None:
        model, train_idx, val_idx = trainer.model, trainer.train_idx, trainer.val_idx
else:
    current = current_model()
    if current is None:
        st.info("Pas de modèle courant pour ce jeu de données : entraînez-en un sur la page "
                "« Entraîner un autoencodeur », ou choisissez l'autoencodeur 2-D de cette page.")
    else:
        model = current.model
        train_idx, val_idx = train_val_split(data, seed=0)

if model is not None:
    with st.spinner("Calcul des deux cartes…"):
        maps = session_cached("latent_maps", model, lambda: latent_maps(model, data, train_idx, val_idx))
    labels = data.labels[maps.rows].numpy()
    names = [data.class_names[c] for c in labels]
    selected = state.get("latent_selected")
    selected = selected if selected is not None and selected < len(maps.rows) else None
    dim = maps.plane.dim

    st.header("Deux cartes des mêmes images")
    st.caption(f"{len(maps.rows)} images de validation, autant de chaque classe. "
               "Cliquez sur un point pour le retrouver dans l'autre carte.")
    if maps.plane.projected:
        st.info(f"Le code de ce modèle a {dim} nombres : la carte de gauche montre ses deux premiers axes "
                f"d'ACP, qui gardent {fr(100 * maps.plane.explained, '.0f')} % de sa variance.")
    left, right = st.columns(2)
    for col, xy, title, key in ((left, maps.ae_xy, "Autoencodeur", "latent_map_ae"),
                                (right, maps.pca_xy, "ACP à 2 composantes", "latent_map_pca")):
        col.plotly_chart(map_figure(xy, labels, title, selected), key=key, on_select=lambda k=key: on_select(k),
                         selection_mode="points", width="stretch")
    if selected is not None:
        with st.container(key="latent_detail", border=True):
            row = int(maps.rows[selected])
            x = as_float(data.images[row:row + 1])
            st.markdown(f"**Image n° {row}**, classe « {names[selected]} »")
            show_images(torch.cat([x, reconstruct(model, x), maps.pca.reconstruct(x)]),
                        ["original", f"autoencodeur · MSE {fr(maps.ae_errors[selected])}",
                         f"ACP · MSE {fr(maps.pca_errors[selected])}"])

    st.header("Les chiffres")
    c = st.columns(4)
    c[0].metric(f"MSE de l'autoencodeur (code {dim})", fr(maps.ae_val_mse))
    c[1].metric("MSE de l'ACP à 2 composantes", fr(maps.pca_val_mse))
    c[2].metric("Fiabilité du voisinage, autoencodeur", fr(maps.ae_trust, ".3f"))
    c[3].metric("Fiabilité du voisinage, ACP", fr(maps.pca_trust, ".3f"))
    st.caption("MSE sur toutes les images de validation ; fiabilité du voisinage (10 voisins) des deux cartes "
               "par rapport aux pixels, sur l'échantillon affiché.")
    if st.button("Calculer les sondes linéaires", key="latent_probe_go") or "latent_probes" in state:
        with st.spinner("Régressions logistiques sur les codes et les pixels…"):
            acc = session_cached("latent_probes", model, lambda: probe_scores(
                model, maps.pca, data, train_idx, val_idx))
        c = st.columns(3)
        for col, key, label in zip(c, ("autoencoder", "pca", "pixels"),
                                   (f"codes de l'autoencodeur ({dim})", "codes de l'ACP (2)", "pixels bruts")):
            col.metric(f"Précision de la sonde : {label}", f"{fr(100 * acc[key], '.1f')} %")

    st.header("Décoder n'importe quel point")
    if dim > 2:
        st.caption("Les points sont pris dans le plan des deux premiers axes d'ACP des codes.")
    low, high = map_extent(maps.ae_xy)
    n = st.slider("Images par côté de la grille", 5, 20, 12, key="latent_grid_n")
    images = decode_grid(model, maps.plane, low, high, n)
    grid = mosaic(images, n, pad=1, scale=max(1, 720 // (n * images.shape[-1])))  # crisp when stretched
    pick = []
    for axis, col in enumerate(st.columns(2)):
        key = f"latent_free_{axis}"
        if not low[axis] <= state.get(key, low[axis]) <= high[axis]:
            state.pop(key)
        pick.append(col.slider(f"Coordonnée {axis + 1} du point", float(low[axis]), float(high[axis]),
                               float((low[axis] + high[axis]) / 2), key=key))
    left, right = st.columns([3, 1])
    left.plotly_chart(grid_figure(grid, low, high, n, maps.ae_xy, pick), key="latent_grid_chart")
    with right:
        st.markdown("**Le point choisi, décodé**")
        show_images(decode_codes(model, maps.plane.from_2d(np.array([pick]))), size=160)

    st.header("Interpolation entre deux images")
    options = list(range(len(maps.rows)))
    label = {i: f"n° {int(maps.rows[i])} (classe {names[i]})" for i in options}
    c = st.columns(2)
    a = c[0].selectbox("Image de départ", options, index=selected or 0, format_func=label.get, key="latent_a")
    b = c[1].selectbox("Image d'arrivée", options, index=len(options) - 1, format_func=label.get, key="latent_b")
    decoded, faded = interpolation(model, data.images[maps.rows[a]], data.images[maps.rows[b]], steps=8)
    st.markdown("Décodé le long de la ligne droite entre les deux codes :")
    show_images(decoded, size=80)
    st.markdown("Fondu des pixels des deux mêmes images :")
    show_images(faded, size=80)

st.header("Erreur selon la taille du code")
pca_err = pca_curve(data.name)
ks = curve_sizes(data)
fig = go.Figure(go.Scatter(x=PCA_KS, y=pca_err, mode="lines+markers", name="ACP"))
if st.button(f"Entraîner les autoencodeurs de taille {', '.join(map(str, ks))}", key="latent_curve_go") \
        or state.get("latent_curve_for") == data.name:
    with st.spinner(f"Entraînement de {len(ks)} autoencodeurs (une seule fois par jeu de données)…"):
        ae_err = ae_curve(data.name, ks)
    state.latent_curve_for = data.name
    fig.add_scatter(x=ks, y=ae_err, mode="lines+markers", name="autoencodeur", marker=dict(size=10))
    st.table({"taille du code k": ks, "MSE autoencodeur": [fr(e) for e in ae_err],
              "MSE ACP": [fr(pca_err[k - 1]) for k in ks],
              "rapport autoencodeur / ACP": [fr(e / pca_err[k - 1], ".2f") for e, k in zip(ae_err, ks)]})
    if min(data.image_shape[1:]) >= 16:
        st.caption("Pour ces autoencodeurs, chaque image d'entraînement est aussi présentée décalée d'un pixel "
                   "dans 8 directions : sans ces copies, un code de 30 nombres apprend les images par cœur "
                   "et reconstruit mal celles de validation.")
    st.caption("Un rapport sous 1 : l'autoencodeur reconstruit mieux que l'ACP avec autant de nombres. "
               "Référence (Hinton et Salakhutdinov, 2006, MNIST complet, code de 30) : erreur quadratique "
               "par image de 13,9 pour l'ACP et 3,0 pour un autoencodeur profond longuement entraîné, "
               "soit un rapport de 0,22.")
fig.update_layout(xaxis_title="taille du code k", yaxis_title="MSE de validation", height=380,
                  margin=dict(l=10, r=10, t=10, b=10))
st.plotly_chart(fig, key="latent_curve_chart")

st.header("Données non linéaires en 3 dimensions")
shape = st.radio("Forme", list(MANIFOLDS), format_func=MANIFOLDS.get, key="latent_shape", horizontal=True)
X, t = manifold(shape)
keep_for("latent_manifold", shape)


def make_manifold_trainer():
    state.latent_manifold_for = shape
    return manifold_trainer(X)


mtrainer = train_ui("latent_manifold", make_manifold_trainer, start_label="Entraîner l'autoencodeur 3 → 2 → 3")
fig3d = px.scatter_3d(x=X[:, 0], y=X[:, 1], z=X[:, 2], color=t, height=460, title=f"{MANIFOLDS[shape]} en 3-D",
                      labels={"color": "position sur la feuille"})
fig3d.update_traces(marker_size=3).update_layout(margin=dict(l=0, r=0, t=40, b=0),
                                                 scene_camera=dict(eye=dict(x=0.9, y=0.9, z=0.6)))
st.plotly_chart(fig3d, key="latent_3d", width="stretch")
maps2d = {"ACP": LatentPlane(X).to_2d(X)}
if mtrainer is not None and mtrainer.done and mtrainer.diverged_at is None:
    maps2d = {"autoencodeur": manifold_codes(mtrainer.model, X), **maps2d}
for col, (title, xy) in zip(st.columns(2), maps2d.items(), strict=False):
    fig2d = px.scatter(x=xy[:, 0], y=xy[:, 1], color=t, title=f"Carte 2-D de l'{title}", height=400, render_mode="svg",
                       labels={"x": "axe 1", "y": "axe 2", "color": "position"})
    col.plotly_chart(fig2d.update_layout(coloraxis_showscale=False), key=f"latent_2d_{title}")
    col.metric(f"Fiabilité du voisinage, {title}", fr(trustworthiness(X, xy), ".3f"))
