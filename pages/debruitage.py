"""Débruitage et restauration: denoising, inpainting and super-resolution autoencoders, trained live."""

import streamlit as st
import torch

from ae_core import Corruption, corrupt, psnr, reconstruct, restore, train_val_split
from ae_core.corruption import apply_mask, low_resolution, random_pixel_mask, square_mask, sr_factors
from ae_core.images import highlight
from ae_core.metrics import as_float
from ae_core.recipes import restoration_spec
from ui.address import Setting, apply_address, choice, control, integer, link_ui
from ui.charts import noise_curve_figure, plot
from ui.fmt import fr, fr_2dp, held_out, slider_values
from ui.images import compare_ui
from ui.lesson import closing_ui, lesson_ui, outcome_ui, prediction_ui
from ui.live import finished, train_ui
from ui.shell import route_through_app
from ui.state import current_dataset, current_model, memo, persist, state

NOISES = {"gaussian": "gaussien", "salt_pepper": "sel et poivre", "mask": "masquage de pixels"}
FILTERS = {"gaussian_blur": "flou gaussien 3×3", "median": "filtre médian 3×3"}
LEVELS = [round(0.1 * i, 1) for i in range(1, 11)]
CURVE_IMAGES = 200


def model_of(key: str, data):
    run = finished(key, data.name)
    return run.trainer.model if run is not None else None


def plain_model_ui(data):
    """(model, key) of the plain autoencoder: the current model, or one trained on this page."""
    current = current_model()
    if current is not None and st.radio(
            "Autoencodeur simple", ["courant", "ici"], horizontal=True, key="debruitage_plain_source",
            format_func={"courant": "le modèle courant (page « Entraîner »)",
                         "ici": "un autoencodeur convolutif entraîné ici"}.get) == "courant":
        return current.model, current.key
    spec = restoration_spec(data)
    prediction_ui("debruitage", "debruitage_plain", started=state.get("debruitage_plain") is not None)
    train_ui("debruitage_plain", spec, data, start_label="Entraîner l'autoencodeur simple")
    return model_of("debruitage_plain", data), spec


def noise_tab(data, x, val_idx):
    cols = st.columns(2)
    noise = control("debruitage", SETTINGS, "t", cols[0].segmented_control, "Type de bruit", list(NOISES),
                    format_func=NOISES.get, required=True)
    level = control("debruitage", SETTINGS, "n", cols[1].select_slider, "Niveau de bruit", slider_values(0.0, 1.0),
                    format_func=fr_2dp,
                    help="Gaussien : x + niveau × N(0, 1), ramené dans [0, 1]. "
                         "Sel et poivre, masquage : part des pixels touchés.")
    dae_key = f"debruitage_dae_{noise}"
    with st.expander("Entraîner les autoencodeurs",
                     expanded=model_of(dae_key, data) is None or model_of("debruitage_plain", data) is None):
        plain, plain_key = plain_model_ui(data)
        st.markdown(f"**Autoencodeur débruiteur** (bruit {NOISES[noise]})")
        train_level = control("debruitage", SETTINGS, "nt", st.select_slider, "Niveau de bruit à l'entraînement",
                              slider_values(0.05, 1.0), format_func=fr_2dp)
        train_ui(dae_key, restoration_spec(data, Corruption(noise, train_level)), data,
                 start_label="Entraîner l'autoencodeur débruiteur")
    run = finished(dae_key, data.name)
    dae = run.trainer if run is not None else None
    noisy = corrupt(x, noise, level, torch.Generator().manual_seed(0))
    outs = {"Original": x, f"Bruitée ({fr(level, '.2f')})": noisy,
            "Autoencodeur simple": reconstruct(plain, noisy) if plain is not None else None,
            "Autoencodeur débruiteur": reconstruct(dae.model, noisy) if dae is not None else None}
    compare_ui(x, outs, lambda images: psnr(images, x))
    if finished("debruitage_plain", data.name) is not None and plain is model_of("debruitage_plain", data):
        passed = restore.noise_passed(plain, x, noisy)
        outcome_ui("debruitage", "debruitage_plain", {"noisy": (passed >= 0.25, (
            f"sur ces images, {fr(100 * passed, '.0f')}\u202f% du bruit traverse l'autoencodeur simple "
            "(l'écart entre ses sorties sur l'image bruitée et sur l'image propre, rapporté au bruit)."))})
    if dae is not None:
        trained_at = fr(dae.spec.corruption.level, ".2f")
        st.caption(f"Débruiteur entraîné avec un bruit {NOISES[noise]} de niveau {trained_at}.")

    st.header("PSNR selon le niveau de bruit")
    filter_name = restore.filter_for(noise)
    restorers = {"entrée bruitée": lambda t: t, FILTERS[filter_name]: restore.classical_filter(filter_name)}
    if plain is not None:
        restorers["autoencodeur simple"] = restore.model_restorer(plain)
    if dae is not None:
        restorers["autoencodeur débruiteur"] = restore.model_restorer(dae.model)
    key = (data.name, noise, plain_key if plain is not None else None, dae.spec if dae is not None else None)
    curves = memo("debruitage_curve", key, lambda: restore.noise_curve(data.images[val_idx[:CURVE_IMAGES]], noise,
                                                               LEVELS, restorers))
    plot(st, noise_curve_figure(LEVELS, curves, level), key="debruitage_curve_chart",
         caption=f"Sur {CURVE_IMAGES} images de {held_out(data)}. Plus haut = plus fidèle à l'original.")
    return plain


def hole_tab(data, x, plain):
    c, h, w = data.image_shape
    cols = st.columns(4)
    kind = cols[0].segmented_control("Zone effacée", ["carré", "pixels au hasard"], default="carré", required=True,
                                     key="debruitage_hole_kind")
    if kind == "carré":
        top, left, size = restore.default_square(data.image_shape)
        size = cols[1].slider("Taille du carré", 1, h // 2 + 1, size, key=f"debruitage_size_{h}")
        top = cols[2].slider("Ligne du coin", 0, h - 1, top, key=f"debruitage_top_{h}")
        left = cols[3].slider("Colonne du coin", 0, w - 1, left, key=f"debruitage_left_{h}")
        mask = square_mask(data.image_shape, top, left, size).expand_as(x)
    else:
        share = cols[1].select_slider("Part de pixels effacés", slider_values(0.05, 0.9), 0.3, key="debruitage_share",
                                      format_func=fr_2dp)
        mask = random_pixel_mask(tuple(x.shape), share, torch.Generator().manual_seed(0))
    with st.expander("Entraîner l'autoencodeur à combler les trous",
                     expanded=model_of("debruitage_inpaint", data) is None):
        st.caption("Entrée : l'image avec un carré ou des pixels effacés au hasard ; cible : l'image complète.")
        train_ui("debruitage_inpaint", restoration_spec(data, Corruption("inpaint")), data,
                 start_label="Entraîner l'autoencodeur avec masquage")
    filler = model_of("debruitage_inpaint", data)
    masked = apply_mask(x, mask)
    outs = {"Original": x, "Masquée (trou à 0)": masked,
            "Comblée par l'autoencodeur simple": restore.fill_holes(plain, masked, mask) if plain is not None else None,
            "Comblée par l'autoencodeur entraîné avec masquage":
                restore.fill_holes(filler, masked, mask) if filler is not None else None}
    compare_ui(x, outs, lambda images: restore.region_psnr(images, x, mask),
               shown={"Masquée (trou à 0)": highlight(masked, mask)} if c == 1 else None)
    st.caption("Zone effacée en rouge (ses pixels valent 0). PSNR calculé sur la zone effacée seulement : "
               "le reste de l'image est connu.")


def resolution_tab(data, x):
    factors = sr_factors(data.image_shape)  # digits only have ×2
    factor = st.segmented_control("Facteur de réduction", factors, format_func=lambda f: f"×{f}", default=factors[0],
                                  required=True, key=f"debruitage_factor_{data.image_shape[-1]}")
    key = f"debruitage_sr{factor}"
    with st.expander("Entraîner l'autoencodeur de super-résolution", expanded=model_of(key, data) is None):
        st.caption("Entrée : l'image réduite puis agrandie (bilinéaire) ; cible : l'image d'origine.")
        train_ui(key, restoration_spec(data, Corruption("super_resolution", factor=factor)), data,
                 start_label=f"Entraîner l'autoencodeur (×{factor})")
    sr = model_of(key, data)
    blurry = low_resolution(x, factor)
    outs = {"Original": x, "Plus proche voisin": low_resolution(x, factor, "nearest"), "Bilinéaire": blurry,
            "Autoencodeur": reconstruct(sr, blurry) if sr is not None else None}
    compare_ui(x, outs, lambda images: psnr(images, x))


route_through_app()
st.title("Débruitage et restauration")
lesson_ui("debruitage")
data = current_dataset()
persist(debruitage_noise="gaussian", debruitage_level=0.3, debruitage_train_level=0.3, debruitage_n=6)
SETTINGS = {"t": Setting("debruitage_noise", choice(list(NOISES))),
            "n": Setting("debruitage_level", choice(slider_values(0.0, 1.0))),
            "nt": Setting("debruitage_train_level", choice(slider_values(0.05, 1.0))),
            "m": Setting("debruitage_n", integer(2, 12), advanced=True)}
apply_address("debruitage", SETTINGS)
_, val_idx = train_val_split(data)
cols = st.columns([1, 1, 3])
n = control("debruitage", SETTINGS, "m", cols[0].slider, "Nombre d'exemples", 2, 12)
if cols[1].button("Autres exemples", key="debruitage_shuffle"):
    state.debruitage_seed = state.get("debruitage_seed", 0) + 1
g = torch.Generator().manual_seed(state.get("debruitage_seed", 0))
x = as_float(data.images[val_idx[torch.randperm(len(val_idx), generator=g)[:n]]])  # (n, C, H, W)

tab_noise, tab_hole, tab_sr = st.tabs(["Débruitage", "Inpainting", "Super-résolution"])
with tab_noise:
    plain = noise_tab(data, x, val_idx)
with tab_hole:
    hole_tab(data, x, plain)
with tab_sr:
    resolution_tab(data, x)
link_ui("debruitage", SETTINGS)
closing_ui("debruitage")
