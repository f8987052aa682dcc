"""Entraîner un autoencodeur: choose a configuration, train live, compare with PCA, save the model."""

import math

import streamlit as st
import torch

from ae_core import (DATASETS, CheckpointError, ModelConfig, PCABaseline, Trainer, compression_ratio,
                     load_checkpoint, recipe, reconstruct, save_checkpoint, train_val_split)
from ae_core.describe import pytorch_code
from ae_core.images import mosaic
from pages.common import (CurrentModel, current_dataset, current_model, fr, get_dataset, lesson_ui, persist,
                          set_current_model)
from pages.live import train_ui

ARCHS = {
    "mlp": "Perceptron multicouche (MLP)",
    "conv": "Convolutif",
    "course_mlp": "MLP du cours (784-128-64-12, ReLU au goulot)",
    "course_conv": "Convolutif du cours (sans goulot linéaire)",
}
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 1.0]


@st.cache_data(show_spinner="Calcul de l'ACP de référence…")
def pca_mse(dataset: str, k: int, seed: int) -> float:
    """Validation MSE of PCA with k components fitted on the same training split."""
    data = get_dataset(dataset)
    train_idx, val_idx = train_val_split(data, seed=seed)
    return float(PCABaseline(data.images[train_idx], k, seed).errors(data.images[val_idx]).mean())


def parse_widths(text: str) -> tuple[int, ...]:
    """'128, 64' -> (128, 64); ValueError with a French message otherwise."""
    try:
        widths = tuple(int(w) for w in text.replace(";", ",").split(",") if w.strip())
    except ValueError:
        raise ValueError("écrivez des nombres entiers séparés par des virgules, par exemple « 128, 64 ».") from None
    if not 1 <= len(widths) <= 4 or not all(1 <= w <= 1024 for w in widths):
        raise ValueError("donnez de 1 à 4 largeurs, chacune entre 1 et 1024.")
    return widths


def config_ui(data) -> tuple[str, dict, dict]:
    """The training controls; returns (architecture key, model fields, training fields)."""
    defaults = recipe(data.name)
    persist(train_arch="mlp", train_latent=12, train_widths="128, 64", train_bottleneck="linear",
            train_loss="bce", train_noise=0.0, train_seed=0, train_epochs=defaults.epochs,
            train_batch=defaults.batch_size, train_lr=defaults.lr, train_recipe_for=data.name)
    if st.session_state.train_recipe_for != data.name:  # another dataset: its recipe's defaults
        st.session_state.update(train_recipe_for=data.name, train_epochs=defaults.epochs,
                                train_batch=defaults.batch_size, train_lr=defaults.lr)
    with st.container(border=True):
        c1, c2, c3 = st.columns(3)
        arch = c1.selectbox("Architecture", list(ARCHS), format_func=ARCHS.get, key="train_arch",
                            help="Les deux modèles « du cours » reprennent exactement ceux de la fiche PyTorch ; "
                                 "ils ignorent la taille du code et les largeurs choisies ici.")
        latent = c1.slider("Taille du code z (dimension latente)", 1, 64, key="train_latent",
                           help="Le nombre de valeurs qui traversent le goulot d'étranglement.")
        widths = c1.text_input("Largeurs des couches cachées de l'encodeur", key="train_widths",
                               help="Le décodeur utilise les mêmes largeurs en ordre inverse (MLP seulement).")
        bottleneck = c2.radio("Activation du goulot", ["linear", "relu"], key="train_bottleneck",
                              format_func={"linear": "linéaire", "relu": "ReLU"}.get, horizontal=True,
                              help="Une ReLU au goulot peut « éteindre » des dimensions du code.")
        loss = c2.radio("Perte", ["bce", "mse"], key="train_loss", horizontal=True,
                        format_func={"bce": "entropie croisée binaire (BCE)", "mse": "erreur quadratique (MSE)"}.get,
                        help="BCE pour des pixels entre 0 et 1 ; MSE pour des données continues.")
        lr = c2.select_slider("Taux d'apprentissage", LRS, key="train_lr",
                              help="Le pas maximal d'Adam. Trop grand, l'entraînement diverge.")
        noise = c2.slider("Bruit de débruitage", 0.0, 1.0, step=0.05, key="train_noise",
                          help="0 : autoencodeur ordinaire. Sinon, l'entrée reçoit un bruit gaussien "
                               "x + f·N(0, 1) et la cible reste l'image propre.")
        epochs = c3.slider("Époques", 1, 100, key="train_epochs",
                           help="Nombre de passages sur tout le jeu d'entraînement.")
        batch = c3.select_slider("Taille de lot", [16, 32, 64, 128, 256, 512], key="train_batch",
                                 help="Nombre d'images par pas de gradient.")
        seed = c3.number_input("Graine aléatoire", 0, 10_000, key="train_seed",
                               help="Même graine et même réglage : mêmes poids, à l'identique.")
        st.caption(f"Jeu de données : **{data.title}** (à changer dans la barre latérale). "
                   "Les réglages s'appliquent au prochain « Démarrer ».")
    model = dict(arch="conv" if "conv" in arch else "mlp", image_shape=data.image_shape,
                 latent_dim=latent, hidden=widths, bottleneck=bottleneck)
    if arch == "course_mlp":
        model.update(latent_dim=12, hidden="128, 64", bottleneck="relu")
    if arch == "course_conv":
        model.update(latent_dim=None)
    train = dict(epochs=epochs, batch_size=batch, lr=lr, loss=loss, seed=int(seed),
                 noise="gaussian" if noise > 0 else "none", noise_level=noise)
    return arch, model, train


def make_configs(model: dict, train: dict):
    model = dict(model, hidden=parse_widths(model["hidden"]))
    return ModelConfig(**model), recipe(st.session_state.get("dataset", "digits"), **train)


def live_grid(trainer: Trainer) -> None:
    """Eight validation images (top) and their current reconstructions (bottom)."""
    images = get_dataset(st.session_state.train_dataset).images[trainer.val_idx[:8]]
    x_hat = reconstruct(trainer.model, images)
    st.image(mosaic(torch.cat([images.float() / 255, x_hat]), ncols=8, scale=4 if images.shape[-1] > 8 else 12),
             caption="En haut : images de validation. En bas : leurs reconstructions actuelles.")


def results_ui(current: CurrentModel) -> None:
    mse = current.history.val_mse[-1]
    k = current.config.code_dim
    pca = pca_mse(current.dataset, min(k, current.config.input_dim), 0)
    cols = st.columns(4)
    cols[0].metric("MSE de validation", fr(mse))
    cols[1].metric("PSNR", f"{fr(10 * math.log10(1 / mse), '.1f')} dB")
    cols[2].metric("Taux de compression", f"{fr(compression_ratio(current.config), '.1f')} : 1")
    cols[3].metric(f"MSE de l'ACP à {k} composantes", fr(pca))
    if k >= current.config.input_dim:
        st.warning("Le code est au moins aussi grand que l'image : ce modèle ne compresse pas, "
                   "l'ACP avec autant de composantes reconstruit parfaitement.")
    elif mse < pca:
        st.success(f"L'autoencodeur reconstruit mieux que l'ACP avec le même nombre de dimensions "
                   f"({fr(mse)} contre {fr(pca)}) : ses couches non linéaires capturent des formes "
                   "qu'aucune projection linéaire ne résume aussi bien.")
    else:
        st.info(f"L'ACP fait mieux ici ({fr(pca)} contre {fr(mse)}) : essayez un goulot linéaire, la "
                "perte BCE ou plus d'époques. Un réseau non linéaire n'est utile que s'il est bien entraîné.")


def upload_model():
    file = st.session_state.get("train_upload")
    if file is None:
        return
    try:
        model, config, meta = load_checkpoint(file.getvalue())
        if meta.get("dataset") not in DATASETS:
            raise CheckpointError("Ce modèle n'indique pas sur quel jeu de données il a été entraîné.")
    except CheckpointError as exc:
        st.session_state.train_upload_error = str(exc)
        return
    st.session_state.dataset = meta["dataset"]
    set_current_model(CurrentModel(model, config, meta["dataset"]))
    st.session_state.train_upload_ok = f"Modèle chargé : il devient le modèle courant ({DATASETS[meta['dataset']]})."


st.title("Entraîner un autoencodeur")
lesson_ui("entrainer")
data = current_dataset()
arch, model_fields, train_fields = config_ui(data)


def make_trainer() -> Trainer:
    st.session_state.train_dataset = data.name
    model_config, train_config = make_configs(model_fields, train_fields)
    return Trainer.for_dataset(data, model_config, train_config)


trainer = train_ui("train", make_trainer, live=live_grid)
if trainer is not None and trainer.done and trainer.diverged_at is None:
    current = st.session_state.get("current_model")
    if current is None or current.model is not trainer.model:
        set_current_model(CurrentModel(trainer.model, trainer.model_config,
                                       st.session_state.train_dataset, trainer.history))
        st.rerun()  # the sidebar shows the new current model

current = current_model()
if current is not None and current.history is not None:
    st.subheader("Résultat")
    results_ui(current)

with st.expander("Code PyTorch équivalent"):
    try:
        st.code(pytorch_code(*make_configs(model_fields, train_fields)), language="python")
    except ValueError as exc:
        st.error(f"Réglage invalide : {exc}")

st.subheader("Enregistrer ou recharger un modèle")
if current is not None:
    st.download_button("Télécharger le modèle courant (.pt)", key="train_download", mime="application/octet-stream",
                       data=save_checkpoint(current.model, current.config, {"dataset": current.dataset}),
                       file_name=f"autoencodeur_{current.dataset}.pt")
st.file_uploader("Charger un modèle enregistré par l'atelier", type=["pt"], key="train_upload",
                 on_change=upload_model)
if "train_upload_error" in st.session_state:
    st.error(st.session_state.pop("train_upload_error"))
if "train_upload_ok" in st.session_state:
    st.success(st.session_state.pop("train_upload_ok"))
