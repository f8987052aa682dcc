"""Every kind of model the app can save (plain, VAE, sparse, contractive, VQ-VAE; MLP and
convolutional), uploaded as a file, becomes the current model, and every page then renders with it."""

import dataclasses

import pytest

from ae_core import ModelConfig, build_model, load_dataset, save_checkpoint
from ae_core.recipes import default_spec, generation_spec, restoration_spec, variant_spec
from tests.app_driver import app
from tests.pages import routed_pages

DIGITS = load_dataset("digits")
SHAPE = DIGITS.image_shape


def kinds() -> dict[str, ModelConfig]:
    """The configurations the app's recipes train, and the other kinds a learner's file may hold."""
    return {
        "plain": default_spec(DIGITS).model,
        "conv_without_code": restoration_spec(DIGITS).model,
        "conv_code_8": ModelConfig("conv", SHAPE, 8),
        "vae_mlp": generation_spec(DIGITS, variational=True).model,
        "vae_conv_code_8": ModelConfig("conv", SHAPE, 8, variational=True),
        "sparse_l1": variant_spec(DIGITS, "sparse").model,
        "sparse_rate": ModelConfig("mlp", SHAPE, 16, (64,), "sigmoid", penalty="rate", weight=1e-3),
        "contractive": variant_spec(DIGITS, "contractive").model,
        "vq_vae": variant_spec(DIGITS, "vq").model,
        "table_like_linear_output": dataclasses.replace(default_spec(DIGITS).model, output="linear"),
    }


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(kinds()))
def test_every_page_renders_with_every_kind_of_model(kind):
    config = kinds()[kind]
    at = app("pages/entrainer.py")
    content = save_checkpoint(build_model(config, seed=1), config, {"dataset": "digits"})
    at.file_uploader(key="train_upload").upload(f"{kind}.pt", content).run()
    assert not at.exception, at.exception
    assert at.session_state["current_model"].config == config, [e.value for e in at.error]
    for page in routed_pages():
        at.switch_page(page.file)
        at.run()
        assert not at.exception, (page.name, at.exception)
        assert not at.error, (page.name, [e.value for e in at.error])
