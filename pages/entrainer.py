"""Entraîner un autoencodeur: choose a configuration, train live, compare with PCA, save the model."""

import math
from dataclasses import replace

import streamlit as st

from ae_core import Corruption, ModelConfig, Rows, RunSpec, SpecError, default_spec
from ae_core.describe import pytorch_code
from ui import seance
from ui.address import Setting, apply_address, choice, control, integer, link_ui
from ui.draw import drawn_reconstruction_ui
from ui.fmt import fr, fr_2dp, parse_widths, slider_values
from ui.images import live_reconstructions
from ui.lesson import closing_ui, lesson_ui, outcome_ui, prediction_ui
from ui.live import train_ui
from ui.sections.entrainer import features_ui, outcomes, results_ui, run_figures
from ui.shell import route_through_app
from ui.state import (
    CurrentModel,
    current_dataset,
    current_model,
    persist,
    set_current_model,
    state,
)
from ui.upload import checkpoint_ui

ARCHS = {
    "mlp": "Perceptron multicouche (MLP)",
    "conv": "Convolutif",
    "course_mlp": "MLP du cours ({pixels}-128-64-12, ReLU au goulot)",
    "course_conv": "Convolutif du cours (sans goulot : code plus grand que l'image)",
}
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 1.0]
BATCHES = [16, 32, 64, 128, 256, 512]
TRAIN_SIZES = [50, 200, 1000, 0]  # 0: every training image
# The page's controls in its address: /entrainer?a=course_mlp&k=2 is the course's model at code size 2.
SETTINGS = {
    "a": Setting("train_arch", choice(list(ARCHS))), "k": Setting("train_latent", integer(1, 64)),
    "w": Setting("train_widths", lambda text: ", ".join(map(str, parse_widths(text))), advanced=True),
    "b": Setting("train_bottleneck", choice(["linear", "relu"])), "l": Setting("train_loss", choice(["bce", "mse"])),
    "lr": Setting("train_lr", choice(LRS), advanced=True),
    "n": Setting("train_noise", choice(slider_values(0.0, 1.0)), True),
    "e": Setting("train_epochs", integer(1, 100)), "bs": Setting("train_batch", choice(BATCHES), advanced=True),
    "s": Setting("train_seed", integer(0, 10_000), advanced=True), "ni": Setting("train_size", choice(TRAIN_SIZES)),
}


def ctl(short, widget, *args, **kwargs):
    """A control of this page (see ui.address.control)."""
    return control("entrainer", SETTINGS, short, widget, *args, **kwargs)


def spec_ui(data) -> RunSpec:
    """The training controls, turned into a run specification (SpecError on a bad value)."""
    defaults = default_spec(data).train
    persist(train_arch="mlp", train_latent=12, train_widths="128, 64", train_bottleneck="linear",
            train_loss="bce", train_noise=0.0, train_seed=0, train_epochs=defaults.epochs,
            train_batch=defaults.batch_size, train_lr=defaults.lr, train_recipe_for=data.name, train_size=0)
    if state.train_recipe_for != data.name:  # another dataset: its recipe's defaults
        state.update(train_recipe_for=data.name, train_epochs=defaults.epochs,
                     train_batch=defaults.batch_size, train_lr=defaults.lr)
    apply_address("entrainer", SETTINGS)
    seance.apply_assignment()  # again here: a page can run without the shell (the router's first visit, AppTest)
    seance.assignment_note()
    pixels = math.prod(data.image_shape)
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns(4)
        arch = ctl("a", c1.selectbox, "Architecture", list(ARCHS), format_func=lambda a: ARCHS[a].format(pixels=pixels),
                   help="Les deux modèles « du cours » reprennent ceux de la fiche PyTorch et ignorent la taille "
                        "du code et les largeurs choisies ici. Sur des images 8×8 (64 pixels), la première couche "
                        "du MLP du cours (128) est plus large que l'entrée.")
        latent = ctl("k", c1.slider, "Taille du code z", 1, 64,
                     help="La dimension latente : le nombre de valeurs qui traversent le goulot d'étranglement.")
        bottleneck = ctl("b", c2.segmented_control, "Activation du goulot", ["linear", "relu"], required=True,
                         format_func={"linear": "linéaire", "relu": "ReLU"}.get,
                         help="Une ReLU au goulot peut « éteindre » des dimensions du code.")
        loss = ctl("l", c2.segmented_control, "Perte", ["bce", "mse"], required=True,
                   format_func={"bce": "BCE", "mse": "MSE"}.get,
                   help="BCE, l'entropie croisée binaire, pour des pixels entre 0 et 1 ; MSE, l'erreur "
                        "quadratique moyenne, pour des données continues.")
        lr = ctl("lr", c3.select_slider, "Taux d'apprentissage", LRS, format_func=lambda v: fr(v, "g"),
                 help="Le taux maximal d'Adam, atteint vers le premier tiers de l'entraînement "
                      "(« one-cycle »). Trop grand, l'entraînement diverge.")
        epochs = ctl("e", c3.slider, "Époques", 1, 100, help="Nombre de passages sur tout le jeu d'entraînement.")
        size = ctl("ni", c4.select_slider, "Images d'entraînement", TRAIN_SIZES,
                   format_func=lambda n: str(n) if n else "toutes",
                   help="Peu d'images : le modèle les apprend par cœur, et l'écart entre la perte d'entraînement "
                        "et celle de validation se creuse (surapprentissage).")
        with st.expander("Réglages avancés : couches cachées, bruit, taille de lot, graine"):
            a1, a2, a3, a4 = st.columns(4)
            widths = ctl("w", a1.text_input, "Largeurs des couches cachées",
                         help="Celles de l'encodeur ; le décodeur prend les mêmes en ordre inverse (MLP seulement).")
            noise = ctl("n", a2.select_slider, "Bruit ajouté à l'entrée", slider_values(0.0, 1.0), format_func=fr_2dp,
                        help="0 : autoencodeur ordinaire. Sinon, l'entrée reçoit un bruit gaussien "
                             "x + σ·N(0, 1), σ étant ce réglage, et la cible reste l'image propre.")
            batch = ctl("bs", a3.select_slider, "Taille de lot", BATCHES, help="Nombre d'images par pas de gradient.")
            seed = ctl("s", a4.number_input, "Graine aléatoire", 0, 10_000,
                       help="Même graine et même réglage : mêmes poids, à l'identique.")
    about, link = st.columns([3, 1], vertical_alignment="center")
    about.caption(f"Jeu de données : **{data.title}** (à changer dans la barre latérale). "
                  "Les réglages s'appliquent au prochain « Démarrer ».")
    with link:
        link_ui("entrainer", SETTINGS)
    model = ModelConfig("conv" if "conv" in arch else "mlp", data.image_shape, latent, parse_widths(widths), bottleneck)
    if arch == "course_mlp":
        model = ModelConfig.course(data.image_shape)
    if arch == "course_conv":
        model = ModelConfig("conv", data.image_shape, None)
    train = replace(defaults, epochs=epochs, batch_size=batch, lr=lr, loss=loss, seed=int(seed))
    return RunSpec(data.name, model, train, Corruption("gaussian" if noise > 0 else "none", noise),
                   Rows(max_train=size or None))


route_through_app()
st.title("Entraîner un autoencodeur")
lesson_ui("entrainer")
data = current_dataset()
try:
    spec = spec_ui(data)
except SpecError as exc:
    st.error(f"Réglage invalide : {exc}")
    st.stop()

prediction_ui("entrainer", "train", started=state.get("train") is not None)
run = train_ui("train", spec, data, live=live_reconstructions)
if run is not None and run.trained and state.get("train_promoted") is not state.train:
    state.train_promoted = state.train  # once: a model uploaded afterwards stays current
    trainer = run.trainer
    set_current_model(CurrentModel(trainer.model, trainer.model_config, trainer.spec.dataset, trainer.spec,
                                   trainer.history))
    st.rerun()  # the sidebar shows the new current model

current = current_model()
if current is not None and current.history is not None:
    st.header("Résultat")
    results_ui(current, show_curves=run is None)  # no job: a model found again after a reload
    if run is not None and run.trained:
        outcome_ui("entrainer", "train", outcomes(current))
if current is not None and current.history is not None:
    features_ui(current)
if current is not None:
    st.header("Dessiner un chiffre")
    drawn_reconstruction_ui("train_drawing", current.model, current.config.image_shape)

with st.expander("Code PyTorch équivalent"):
    st.code(pytorch_code(spec), language="python")

st.header("Enregistrer ou recharger un modèle")
checkpoint_ui("train", current)
closing_ui("entrainer", run_figures(current))
