"""Débruitage et restauration: denoising, inpainting and super-resolution autoencoders, trained live."""

import plotly.graph_objects as go
import streamlit as st
import torch

from ae_core import train_val_split
from ae_core.images import mosaic
from ae_core.metrics import psnr, reconstruct
from ae_core.objectives import corrupt
from ae_core.restore import (RestoreTask, apply_mask, classical_filter, default_square, fill_holes, filter_for,
                             highlight, low_resolution, make_trainer, model_restorer, noise_curve,
                             random_pixel_mask, region_psnr, sr_factors, square_mask)
from pages.common import current_dataset, current_model, fr, lesson_ui, persist
from pages.live import train_ui

NOISES = {"gaussian": "gaussien", "salt_pepper": "sel et poivre", "mask": "masquage de pixels"}
FILTERS = {"gaussian_blur": "flou gaussien 3×3", "median": "filtre médian 3×3"}
LEVELS = [round(0.1 * i, 1) for i in range(1, 11)]
CURVE_IMAGES = 200
COLORS = {"entrée bruitée": "#9ca3af", "autoencodeur simple": "#2563eb", "autoencodeur débruiteur": "#dc2626"}

st.title("Débruitage et restauration")
lesson_ui("debruitage")
data = current_dataset()
persist(debruitage_noise="gaussian", debruitage_level=0.3, debruitage_train_level=0.3, debruitage_n=6)
state, prefix = st.session_state, f"debruitage_{data.name}"
_, val_idx = train_val_split(data)
cols = st.columns([1, 1, 3])
n = cols[0].slider("Nombre d'exemples", 2, 12, key="debruitage_n")
if cols[1].button("Autres exemples", key="debruitage_shuffle"):
    state["debruitage_seed"] = state.get("debruitage_seed", 0) + 1
g = torch.Generator().manual_seed(state.get("debruitage_seed", 0))
x = data.images[val_idx[torch.randperm(len(val_idx), generator=g)[:n]]].float() / 255  # (n, C, H, W)


def model_of(key: str):
    """The trained model in st.session_state[key], or None while it is missing or training."""
    trainer = state.get(key)
    return trainer.model if trainer is not None and trainer.done and trainer.diverged_at is None else None


def compare_ui(outs: dict, score, shown: dict | None = None) -> None:
    """One column per entry: title, PSNR `score(images)` against x, images (or `shown[title]`) in rows of 3.

    None stands for a model not trained yet.
    """
    for col, (title, images) in zip(st.columns(len(outs)), outs.items(), strict=True):
        col.markdown(f"**{title}**")
        if images is None:
            col.info("Pas encore entraîné.")
            continue
        col.metric("PSNR", "référence" if images is x else f"{fr(score(images), '.1f')} dB")
        images = (shown or {}).get(title, images)
        col.image(mosaic(images.clamp(0, 1), ncols=3, scale=max(1, 112 // images.shape[-1])), width="stretch")


def plain_model_ui():
    """The plain autoencoder: the current model, or one trained on this page."""
    current = current_model()
    if current is not None and st.radio(
            "Autoencodeur simple", ["courant", "ici"], horizontal=True, key="debruitage_plain_source",
            format_func={"courant": "le modèle courant (page « Entraîner »)",
                         "ici": "un autoencodeur convolutif entraîné ici"}.get) == "courant":
        return current.model
    train_ui(plain_key, lambda: make_trainer(data, RestoreTask("plain")),
             start_label="Entraîner l'autoencodeur simple")
    return model_of(plain_key)


tab_noise, tab_hole, tab_sr = st.tabs(["Débruitage", "Inpainting", "Super-résolution"])

with tab_noise:
    cols = st.columns(2)
    noise = cols[0].selectbox("Type de bruit", list(NOISES), format_func=NOISES.get, key="debruitage_noise")
    level = cols[1].slider("Niveau de bruit", 0.0, 1.0, step=0.05, key="debruitage_level",
                           help="Gaussien : x + niveau × N(0, 1), ramené dans [0, 1]. "
                                "Sel et poivre, masquage : part des pixels touchés.")
    dae_key, plain_key = f"{prefix}_dae_{noise}", f"{prefix}_plain"
    with st.expander("Entraîner les autoencodeurs",
                     expanded=model_of(dae_key) is None or model_of(plain_key) is None):
        plain = plain_model_ui()
        st.markdown(f"**Autoencodeur débruiteur** (bruit {NOISES[noise]})")
        train_level = st.slider("Niveau de bruit à l'entraînement", 0.05, 1.0, step=0.05,
                                key="debruitage_train_level")
        train_ui(dae_key, lambda: make_trainer(data, RestoreTask("denoise", noise, train_level)),
                 start_label="Entraîner l'autoencodeur débruiteur")
    dae = model_of(dae_key)
    noisy = corrupt(x, noise, level, torch.Generator().manual_seed(0))
    outs = {"Original": x, f"Bruitée ({fr(level, '.2f')})": noisy,
            "Autoencodeur simple": reconstruct(plain, noisy) if plain is not None else None,
            "Autoencodeur débruiteur": reconstruct(dae, noisy) if dae is not None else None}
    compare_ui(outs, lambda images: psnr(images, x))
    if dae is not None:
        trained_at = state[dae_key].config.noise_level
        st.caption(f"Débruiteur entraîné avec un bruit {NOISES[noise]} de niveau {fr(trained_at, '.2f')}.")

    st.subheader("PSNR selon le niveau de bruit")
    filter_name = filter_for(noise)
    restorers = {"entrée bruitée": lambda t: t, FILTERS[filter_name]: classical_filter(filter_name)}
    for name, model in (("autoencodeur simple", plain), ("autoencodeur débruiteur", dae)):
        if model is not None:
            restorers[name] = model_restorer(model)
    curve_key = (data.name, noise, id(plain), id(dae))
    if state.get("debruitage_curve_key") != curve_key:  # recomputed only when a model changes
        state["debruitage_curve"] = noise_curve(data.images[val_idx[:CURVE_IMAGES]], noise, LEVELS, restorers)
        state["debruitage_curve_key"] = curve_key
    fig = go.Figure([go.Scatter(x=LEVELS, y=ys, name=name, mode="lines+markers",
                                line_color=COLORS.get(name, "#f59e0b"),  # the filter: orange
                                line_dash="solid" if name.startswith("autoencodeur") else "dash")
                     for name, ys in state["debruitage_curve"].items()])
    fig.add_vline(x=level, line_dash="dot", annotation_text="niveau choisi")
    fig.update_layout(xaxis_title="niveau de bruit", yaxis_title="PSNR (dB)", height=360,
                      margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.15))
    st.plotly_chart(fig, key="debruitage_curve_chart")
    st.caption(f"Sur {CURVE_IMAGES} images de validation. Plus haut = plus fidèle à l'original.")

with tab_hole:
    c, h, w = data.image_shape
    cols = st.columns(4)
    kind = cols[0].radio("Zone effacée", ["carré", "pixels au hasard"], key="debruitage_hole_kind")
    if kind == "carré":
        top, left, size = default_square(data.image_shape)
        size = cols[1].slider("Taille du carré", 1, h // 2 + 1, size, key=f"{prefix}_size")
        top = cols[2].slider("Ligne du coin", 0, h - 1, top, key=f"{prefix}_top")
        left = cols[3].slider("Colonne du coin", 0, w - 1, left, key=f"{prefix}_left")
        mask = square_mask(data.image_shape, top, left, size).expand_as(x)
    else:
        share = cols[1].slider("Part de pixels effacés", 0.05, 0.9, 0.3, step=0.05, key="debruitage_share")
        mask = random_pixel_mask(tuple(x.shape), share, torch.Generator().manual_seed(0))
    with st.expander("Entraîner l'autoencodeur à combler les trous", expanded=model_of(f"{prefix}_inpaint") is None):
        st.caption("Entrée : l'image avec un carré ou des pixels effacés au hasard ; cible : l'image complète.")
        train_ui(f"{prefix}_inpaint", lambda: make_trainer(data, RestoreTask("inpaint")),
                 start_label="Entraîner l'autoencodeur avec masquage")
    filler = model_of(f"{prefix}_inpaint")
    masked = apply_mask(x, mask)
    outs = {"Original": x, "Masquée (trou à 0)": masked,
            "Comblée par l'autoencodeur simple": fill_holes(plain, masked, mask) if plain is not None else None,
            "Comblée par l'autoencodeur entraîné avec masquage":
                fill_holes(filler, masked, mask) if filler is not None else None}
    compare_ui(outs, lambda images: region_psnr(images, x, mask),
               shown={"Masquée (trou à 0)": highlight(masked, mask)} if c == 1 else None)
    st.caption("Zone effacée en rouge (ses pixels valent 0). PSNR calculé sur la zone effacée seulement : "
               "le reste de l'image est connu.")

with tab_sr:
    factors = sr_factors(data.image_shape)
    factor = st.radio("Facteur de réduction", factors, format_func=lambda f: f"×{f}", horizontal=True,
                      key=f"{prefix}_factor")  # per dataset: digits only have ×2
    sr_key = f"{prefix}_sr{factor}"
    with st.expander("Entraîner l'autoencodeur de super-résolution", expanded=model_of(sr_key) is None):
        st.caption("Entrée : l'image réduite puis agrandie (bilinéaire) ; cible : l'image d'origine.")
        train_ui(sr_key, lambda: make_trainer(data, RestoreTask("super_resolution", factor=factor)),
                 start_label=f"Entraîner l'autoencodeur (×{factor})")
    sr = model_of(sr_key)
    blurry = low_resolution(x, factor)
    outs = {"Original": x, "Plus proche voisin": low_resolution(x, factor, "nearest"), "Bilinéaire": blurry,
            "Autoencodeur": reconstruct(sr, blurry) if sr is not None else None}
    compare_ui(outs, lambda images: psnr(images, x))
