"""App test of the page « Espace latent et ACP »: it renders, trains live, and shows what it claims."""

import dataclasses
import json

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import ae_core.recipes as recipes
import ui.live as live
from ae_core import build_trainer, default_spec
from tests.app_driver import click, memo, train_to_end
from ui.fmt import fr
from ui.state import CurrentModel

PAGE = "pages/espace_latent.py"


@pytest.fixture
def at(monkeypatch):
    st.cache_data.clear()
    live._shared.clear()  # the error curve is trained once per process: start each test without it
    real = recipes.curve_spec

    def short(data, k, seed=0):
        spec = real(data, k, seed)
        return dataclasses.replace(spec, train=dataclasses.replace(spec.train, epochs=2))

    monkeypatch.setattr(recipes, "curve_spec", short)
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def charts(at) -> list[str]:
    """The titles of the page's charts."""
    return [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]


@pytest.mark.slow
def test_the_map_is_drawn_as_the_model_learns_then_replayed(at):
    for _ in range(2):  # two epochs, paused (60 epochs on digits: a map every second one), PCA's map beside
        at.button(key="latent_trainer_epoch").click().run()
    assert "Autoencodeur, après 2 époques" in charts(at) and "ACP à 2 composantes" in charts(at)
    at.button(key="latent_trainer_toggle").click().run()
    train_to_end(at, "latent_trainer")
    trainer = at.session_state["latent_trainer"].trainer
    epochs = [e for e, _ in trainer.history.codes]
    replay = at.select_slider(key="latent_replay_epoch")
    assert replay.options == [str(e) for e in epochs] and replay.value == trainer.config.epochs
    maps = memo(at, "latent_maps")  # the replay's last map is the map the page explores
    assert np.allclose(trainer.history.codes[-1][1], maps.ae_xy, atol=2e-2, rtol=1e-2)
    replay.set_value(0).run()
    assert "Autoencodeur, avant l'entraînement" in charts(at)


@pytest.mark.slow
def test_page_trains_a_2d_autoencoder_and_compares_it_with_pca(at):
    assert at.title[0].value == "Espace latent et ACP"
    assert [h.value for h in at.header][:1] == ["Erreur selon la taille du code"]  # no model yet
    click(at, "Entraîner l'autoencodeur 2D")
    train_to_end(at, "latent_trainer")
    headers = [h.value for h in at.header]
    assert "Deux cartes des mêmes images" in headers and "Interpolation entre deux images" in headers
    maps = memo(at, "latent_maps")
    assert maps.ae_val_mse < maps.pca_val_mse and maps.ae_trust > maps.pca_trust
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["MSE de l'autoencodeur (code 2)"] == fr(maps.ae_val_mse)

    at.session_state["latent_selected"] = 5  # what a click on point 5 of either map stores
    at.run()
    assert not at.exception
    row = int(maps.rows[5])
    assert any(f"Image n° {row}" in m.value for m in at.markdown)
    at.number_input(key="latent_pick").set_value(7).run()  # the same, with the keyboard
    assert any(f"Image n° {int(maps.rows[7])}" in m.value for m in at.markdown)

    click(at, "Calculer les sondes linéaires")
    labels = [m.label for m in at.metric]
    assert "Exactitude de la sonde : pixels bruts" in labels


def test_error_curve_is_trained_once_with_progress_and_shows_the_ratio_at_each_k(at):
    click(at, "Entraîner les autoencodeurs de taille 2, 5, 10")  # digits: 64 pixels
    assert at.get("progress")  # trained through the training slots, with progress shown
    for _ in range(100):
        if at.table:
            break
        at.run()
        assert not at.exception
    table = at.table[0].value
    assert list(table["taille du code k"]) == [2, 5, 10]
    assert all(float(r.replace(",", ".")) > 0 for r in table["rapport autoencodeur / ACP"])


def test_current_model_without_one_says_so_in_french(at):
    at.radio(key="latent_source").set_value("current").run()
    assert not at.exception
    assert "Pas de modèle courant" in at.info[0].value


def test_swiss_roll_is_unrolled_by_the_autoencoder(at):
    at.segmented_control(key="latent_shape").set_value("swiss_roll").run()
    click(at, "Entraîner l'autoencodeur 3 → 2 → 3")
    train_to_end(at, "latent_manifold")
    metrics = {m.label: float(m.value.replace(",", ".")) for m in at.metric}
    assert metrics["Fiabilité du voisinage, autoencodeur"] > metrics["Fiabilité du voisinage, ACP"]


def test_current_model_with_a_12_number_code_is_shown_through_pca_of_its_codes(at, digits):
    spec = default_spec(digits, 12, epochs=2)
    trainer = build_trainer(spec, digits)
    trainer.run()
    at.session_state["current_model"] = CurrentModel(trainer.model, spec.model, "digits", spec)
    at.radio(key="latent_source").set_value("current").run()
    assert not at.exception
    assert any("Le code de ce modèle a 12 nombres" in i.value for i in at.info)
    maps = memo(at, "latent_maps")
    assert maps.plane.projected and maps.codes.shape[1] == 12
    assert "Décoder n'importe quel point" in [h.value for h in at.header]
