"""The variants page's pieces: each variant's picture, the price of its penalty, compression in bytes."""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from PIL import Image

from ae_core import PCABaseline, encode, train_val_split
from ae_core.compress import best_at, code_points, jpeg_points, pca_points, png_bytes, quantise, vq_point
from ae_core.latent import decode_codes
from ae_core.metrics import as_float, reconstruct
from ae_core.variants import sensitivity, sparsity
from ui.charts import COLORS, layout, plot
from ui.fmt import fr
from ui.images import show_grid, show_images
from ui.state import get_dataset, memo

SHOWN = 20  # images in the heat maps


def sparse_ui(plain, sparse, val: torch.Tensor) -> None:
    """Histograms of the code values, and the codes of a few images as heat maps, plain vs sparse."""
    cols = st.columns(2)
    for col, model, title in zip(cols, (plain, sparse), ("Autoencodeur ordinaire", "Autoencodeur parcimonieux")):
        z = encode(model, val).numpy()
        s = sparsity(model, val)
        col.markdown(f"**{title}** : {fr(100 * s['near_zero'], '.0f')}\u202f% des unités proches de zéro, "
                     f"{fr(s['active'], '.1f')} actives par image en moyenne")
        fig = go.Figure(go.Histogram(x=z.ravel().tolist(), nbinsx=60, marker_color=COLORS[0]))
        plot(col, layout(fig, 220, legend=False, xaxis_title="valeur d'une unité du code", yaxis_title="nombre"),
             key=f"var_hist_{title}", caption="Les valeurs du code sur les images de validation : un pic à zéro, "
             "c'est un code parcimonieux.")
        heat = go.Figure(go.Heatmap(z=np.abs(z[:SHOWN]).tolist(), colorscale="Greys", showscale=False))
        plot(col, layout(heat, 260, legend=False, xaxis_title="unité du code", yaxis_title="image"),
             key=f"var_heat_{title}", caption=f"Le code de {SHOWN} images, une ligne par image : "
             "blanc pour une unité éteinte.")


def contractive_ui(plain, cae, val: torch.Tensor, noise: float) -> None:
    """How far normalised codes move when the images get a little noise, plain vs contractive."""
    rows = {title: sensitivity(model, val, noise) for model, title in ((plain, "ordinaire"), (cae, "contractif"))}
    cols = st.columns(2)
    for col, (title, s) in zip(cols, rows.items()):
        col.metric(f"Autoencodeur {title} : norme de la jacobienne normalisée", fr(s["jacobian"], ".2f"))
        col.metric(f"Autoencodeur {title} : déplacement du code normalisé", fr(s["displacement"], ".3f"),
                   help=f"Bruit gaussien d'écart type {fr(noise, '.2f')} ajouté à l'image ; chaque unité du code "
                        "est divisée par son écart type sur les images de validation.")
    x = as_float(val[:1])
    noisy = (x + noise * torch.randn((6, *x.shape[1:]), generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    show_images(torch.cat([x, noisy[:3]]), ["image", "bruitée", "bruitée", "bruitée"], size=90)
    fig = go.Figure()
    for model, title, color in ((plain, "ordinaire", COLORS[0]), (cae, "contractif", COLORS[1])):
        z, zn = encode(model, x)[0], encode(model, noisy)
        scale = encode(model, val).std(0).clamp_min(1e-8)
        moved = ((zn - z) / scale).norm(dim=1).tolist()
        fig.add_bar(x=[f"bruit {i + 1}" for i in range(len(moved))], y=moved, name=title, marker_color=color)
    plot(st, layout(fig, 260, yaxis_title="déplacement du code normalisé"), key="var_moves",
         caption="De combien le code bouge quand on bruite l'image : plus bas, c'est plus stable.")


def vq_ui(vq, val: torch.Tensor) -> None:
    """Codebook usage, and one image redrawn from its grid of code numbers."""
    with torch.no_grad():
        idx = vq.indices(as_float(val))
    counts = torch.bincount(idx.flatten(), minlength=vq.config.codebook).tolist()
    share = torch.tensor(counts, dtype=torch.float64) / sum(counts)
    perplexity = float(torch.exp(-(share[share > 0] * share[share > 0].log()).sum()))
    used, ppl = st.columns(2)
    used.metric("Numéros employés", f"{sum(c > 0 for c in counts)} sur {len(counts)}",
                help="Sur ces images de validation.")
    ppl.metric("Perplexité", fr(perplexity, ".1f"),
               help="Le nombre de numéros qui, servant à parts égales, auraient la même entropie : un nombre "
                    "effectif, plus petit que celui des numéros employés quand ils servent inégalement.")
    fig = go.Figure(go.Bar(x=list(range(len(counts))), y=counts, marker_color=COLORS[2]))
    plot(st, layout(fig, 240, legend=False, xaxis_title="numéro du code", yaxis_title="emplois"), key="var_usage",
         caption="Combien de fois chaque numéro du dictionnaire sert sur les images de validation.")
    left, right = st.columns([1, 2])
    grid = idx[0].tolist()
    left.markdown("**Les numéros de la première image**  \n" + "  \n".join(" ".join(f"{v:>2}" for v in row)
                                                                            for row in grid))
    with right:
        show_images(torch.cat([as_float(val[:1]), vq.decode_indices(idx[:1]).detach()]),
                    ["image", f"redessinée à partir de ses {len(grid) ** 2} numéros"], size=140)


def price_figure(weights, errors, effects, effect_name: str) -> go.Figure:
    """Error against the penalty's effect, one labelled point per λ. The axes keep a margin for the
    labels, and an error that barely moves is drawn flat rather than stretched into a trend."""
    fig = go.Figure(go.Scatter(x=effects, y=errors, mode="lines+markers+text", textposition="top center",
                               text=[f"λ={fr(w, 'g')}" for w in weights], cliponaxis=False))
    low, high = min(errors), max(errors)
    half = max((high - low) * 0.6, 0.05 * (low + high))  # at least ±10 % of the error around its middle
    return layout(fig, 320, legend=False, xaxis_title=effect_name, yaxis_title="MSE par pixel (validation)",
                  yaxis_range=[(low + high) / 2 - half, (low + high) / 2 + half], xaxis_range=_padded(effects))


def _padded(values, share: float = 0.12) -> list[float]:
    """An axis range around `values` with room on each side for a point's label."""
    low, high = min(values), max(values)
    pad = (high - low) * share or abs(high) * share or 1.0
    return [low - pad, high + pad]


@st.cache_data(show_spinner="JPEG et PNG sur les images de validation…", max_entries=4)
def fixed_methods(dataset: str, n: int = 300) -> tuple[list, list, float]:
    """PCA, JPEG and PNG points of a dataset, computed once per process."""
    data = get_dataset(dataset)
    train_idx, val_idx = train_val_split(data)
    val = data.images[val_idx[:n]]
    return pca_points(data.images[train_idx], val), jpeg_points(val), png_bytes(val)


def compression_ui(data, plain, vq, key) -> None:
    """PSNR against bytes per image, a budget slider, and what each method gives at that budget."""
    train_idx, val_idx = train_val_split(data)
    val = data.images[val_idx[:300]]
    pca, jpeg, png = fixed_methods(data.name)
    learned = memo("var_points", key, lambda: {
        "autoencodeur": code_points(plain, data.images[train_idx[:2000]], val, "autoencodeur"),
        "VQ-VAE": [vq_point(vq, val)] if vq is not None else []})
    methods = {name: pts for name, pts in {"ACP": pca, **learned, "JPEG": [p for p, _ in jpeg]}.items() if pts}
    fig = go.Figure()
    for (name, pts), color in zip(methods.items(), COLORS):
        front = sorted({best_at(pts, p.bits) for p in pts if best_at(pts, p.bits)}, key=lambda p: p.bits)
        fig.add_scatter(x=[p.bits / 8 for p in front], y=[p.psnr for p in front], name=name,
                        mode="lines+markers", marker_color=color,
                        text=[p.setting for p in front],
                        hovertemplate="%{text}<br>%{x:.1f}\u00a0octets, %{y:.1f}\u00a0dB")
    fig.add_vline(x=png, line_dash="dot", annotation_position="top left",
                  annotation_text=f"PNG sans perte : {fr(png, '.0f')}\u00a0octets")
    budget = st.select_slider("Budget par image (octets)", [4, 8, 12, 16, 24, 32, 48, 64, 96, 128], 16,
                              key="var_budget")
    fig.add_vline(x=budget, line_color="black")
    fig.update_xaxes(range=[0, max(135, 1.05 * png)])
    plot(st, layout(fig, 360, xaxis_title="octets par image", yaxis_title="PSNR (dB)"), key="var_rd",
         caption="La qualité selon le nombre d'octets par image : plus haut et plus à gauche, c'est mieux ; "
         "le trait noir est votre budget.")
    x = as_float(val[:1])
    images, captions, unaffordable = [x], ["original"], []
    for name, pts in methods.items():
        best = best_at(pts, 8 * budget)
        if best is None:  # said in words under the images, not drawn as a black square
            unaffordable.append(name)
            continue
        captions.append(f"{name} : {best.setting}, {fr(best.psnr, '.1f')}\u00a0dB")
        images.append(_rendered(name, best, x, data, plain, vq))
    show_images(torch.cat(images), captions, size=110)
    if unaffordable:
        st.caption(f"Hors budget à {budget}\u00a0octets par image : {', '.join(unaffordable)} (leur plus petite "
                   "version demande plus d'octets).")


def _rendered(name, point, x, data, plain, vq) -> torch.Tensor:
    """The first validation image as `name` gives it at `point`'s setting ("k=…, b=…" or "qualité …")."""
    if name == "JPEG":
        buf = io.BytesIO()
        quality = int(point.setting.split()[-1])
        Image.fromarray((x[0, 0] * 255).round().byte().numpy()).save(buf, "JPEG", quality=quality)
        return torch.from_numpy(np.asarray(Image.open(buf), dtype=np.float32) / 255).view_as(x)
    if name == "VQ-VAE":
        return reconstruct(vq, x)
    k, b = (int(part.split("=")[1]) for part in point.setting.split(", "))
    if name == "autoencodeur":
        codes = encode(plain, data.images[train_val_split(data)[0][:2000]])  # the ranges code_points used
        return decode_codes(plain, quantise(encode(plain, x), codes.amin(0), codes.amax(0), b))
    pca, low, high = _pca(data.name, k)
    return pca.decode(quantise(torch.from_numpy(pca.encode(x)).float(), low, high, b).numpy()).clamp(0, 1)


@st.cache_resource(max_entries=16)
def _pca(dataset: str, k: int) -> tuple[PCABaseline, torch.Tensor, torch.Tensor]:
    """PCA with k components on the training images and its code ranges, once per process (not per slider move)."""
    data = get_dataset(dataset)
    train = data.images[train_val_split(data)[0]]
    pca = PCABaseline(train, k)
    codes = torch.from_numpy(pca.encode(train)).float()
    return pca, codes.amin(0), codes.amax(0)


def show_reconstructions(models: dict, val: torch.Tensor) -> None:
    """The first eight validation images and their reconstruction by each model, one row each."""
    x = as_float(val[:8])
    show_grid(torch.cat([x, *(reconstruct(m, x) for m in models.values())]), ncols=8,
              caption="En haut : des images de validation ; dessous : " + ", puis ".join(models) + ".")
