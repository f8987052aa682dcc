"""App test of the page « Débruitage et restauration »: it renders, trains live, and the noise slider
updates images and PSNR without retraining."""

import pytest
from streamlit.testing.v1 import AppTest

from ae_core import ModelConfig, build_model
from tests.app_driver import click, memo, train_to_end
from ui.state import CurrentModel

PAGE = "pages/debruitage.py"
PREFIX = "debruitage"


@pytest.fixture
def at(monkeypatch):
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def psnrs(at: AppTest) -> list[str]:
    return [m.value for m in at.metric if m.label == "PSNR"]


def db(value: str) -> float:
    return float(value.removesuffix("\u00a0dB").replace(",", "."))


def test_page_renders_before_any_training(at):
    assert at.title[0].value == "Débruitage et restauration"
    assert [t.label for t in at.tabs] == ["Débruitage", "Inpainting", "Super-résolution"]
    assert len(at.info) >= 4 and all(i.value == "Pas encore entraîné." for i in at.info)
    values = psnrs(at)
    # Denoising: original, noisy. Inpainting: original, masked. Super-resolution: 3 of 4.
    assert values.count("référence") == 3 and len(values) == 7
    assert db(values[1]) < 20  # the noisy input at the default level 0.3


@pytest.mark.slow
def test_train_then_move_the_noise_slider_without_retraining(at):
    at.slider(key="debruitage_n").set_value(12).run()
    click(at, "Entraîner l'autoencodeur débruiteur")
    train_to_end(at, f"{PREFIX}_dae_gaussian")
    click(at, "Entraîner l'autoencodeur simple")
    train_to_end(at, f"{PREFIX}_plain")
    noisy, plain, dae = (db(v) for v in psnrs(at)[1:4])
    assert dae > noisy + 2 and dae > plain + 1
    dae_trainer = at.session_state[f"{PREFIX}_dae_gaussian"].trainer
    epoch = dae_trainer.epoch

    at.select_slider(key="debruitage_level").set_value(0.6).run()
    assert not at.exception
    noisy2, plain2, dae2 = (db(v) for v in psnrs(at)[1:4])
    assert noisy2 < noisy - 2 and dae2 < dae and plain2 != plain
    assert at.session_state[f"{PREFIX}_dae_gaussian"].trainer is dae_trainer and dae_trainer.epoch == epoch
    assert any(m.value.startswith("**Bruitée (0,60)") for m in at.markdown)
    curve = memo(at, "debruitage_curve")
    assert set(curve) == {"entrée bruitée", "flou gaussien 3×3", "autoencodeur simple",
                          "autoencodeur débruiteur"}
    assert curve["autoencodeur débruiteur"][2] > curve["entrée bruitée"][2]  # level 0.3


@pytest.mark.slow
def test_inpainting_and_super_resolution_train_and_beat_their_baselines(at):
    click(at, "Entraîner l'autoencodeur avec masquage")
    train_to_end(at, f"{PREFIX}_inpaint")
    click(at, "Entraîner l'autoencodeur (×2)")
    train_to_end(at, f"{PREFIX}_sr2")
    values = psnrs(at)
    hole, filled = values[3:5]  # masked, filler (the plain model is not trained: no metric)
    assert "Pas encore entraîné." in [i.value for i in at.info]
    assert db(filled) > db(hole) + 2
    nearest, bilinear, ae = (db(v) for v in values[-3:])
    assert ae > bilinear + 1 and ae > nearest + 1


def test_the_current_model_serves_as_the_plain_autoencoder(at):
    config = ModelConfig(image_shape=(1, 8, 8), latent_dim=4, hidden=(16,))
    at.session_state["current_model"] = CurrentModel(build_model(config), config, "digits", "test")
    at.run()
    assert not at.exception
    radio = at.radio(key="debruitage_plain_source")
    assert radio.value == "courant"
    assert "Entraîner l'autoencodeur simple" not in [b.label for b in at.button]
    values = psnrs(at)
    assert len(values) == 7 + 2  # the plain column of denoising and of inpainting now has a PSNR
    radio.set_value("ici").run()
    assert not at.exception
    assert "Entraîner l'autoencodeur simple" in [b.label for b in at.button]
    assert len(psnrs(at)) == 7
