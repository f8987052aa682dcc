"""The training page's default recipe beats standard PCA at equal code size: the app's first promise.

Every code size is measured by `python -m bench.recipes`; these tests hold the ends and the middle
of each range (1 to 16 on digits, 1 to 32 on mnist8k).
"""

import math

import pytest

from ae_core import ModelConfig, RunSpec, TrainConfig, default_spec, pca_error_curve, train_val_split
from tests.conftest import trained


def default_vs_pca(data, k):
    """(autoencoder, PCA) held-out squared error per image at code size k, as the benchmark measures it."""
    train_idx, val_idx = train_val_split(data)
    pca = float(pca_error_curve(data.images[train_idx], data.images[val_idx], [k])[0])
    pixels = math.prod(data.image_shape)
    return trained(default_spec(data, k), data).history.val_mse[-1] * pixels, pca * pixels


@pytest.mark.slow
@pytest.mark.xdist_group("digits_default")  # shares tests.conftest.trained models
@pytest.mark.parametrize("k", [1, 2, 12, 16])
def test_default_recipe_beats_pca_on_digits(digits, k):
    ae, pca = default_vs_pca(digits, k)
    assert ae < pca, f"k={k}: autoencoder {ae:.4f} vs PCA {pca:.4f}"


@pytest.mark.slow
@pytest.mark.xdist_group("digits_default")  # shares tests.conftest.trained models
def test_pca_wins_at_large_codes_on_digits_as_the_page_says(digits):
    ae, pca = default_vs_pca(digits, 32)
    assert pca < ae, f"k=32: autoencoder {ae:.4f} vs PCA {pca:.4f}"


@pytest.mark.xdist_group("mnist8k_default")  # shares tests.conftest.trained models
@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 2, 12, 32])
def test_default_recipe_beats_pca_on_mnist8k(mnist8k, k):
    ae, pca = default_vs_pca(mnist8k, k)
    assert ae < pca, f"k={k}: autoencoder {ae:.4f} vs PCA {pca:.4f}"


@pytest.mark.xdist_group("mnist8k_default")  # shares tests.conftest.trained models
@pytest.mark.slow
def test_course_recipe_with_relu_bottleneck_at_k2_loses_to_pca_on_mnist8k(mnist8k):
    """The course's model and loop (ReLU after the bottleneck, MSE, Adam 1e-3, batch 64, 10 epochs) at k=2."""
    course = TrainConfig(epochs=10, batch_size=64, lr=1e-3, loss="mse", schedule="constant")
    trainer = trained(RunSpec("mnist", ModelConfig(latent_dim=2, bottleneck="relu"), course), mnist8k)
    ae, pca = default_vs_pca(mnist8k, 2)
    assert ae < pca < trainer.history.val_mse[-1] * 784  # per image, like the other two
