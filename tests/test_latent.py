"""ae_core.latent: sampling, maps, decoding anywhere, interpolation, and the 2-D quality bars."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from ae_core import ModelConfig, build_model, build_trainer, default_spec, train_val_split
from ae_core.latent import (
    LatentPlane,
    balanced_sample,
    decode_codes,
    decode_grid,
    few_label_probes,
    grid_points,
    interpolation,
    latent_maps,
    lerp,
    map_extent,
    probe_scores,
)
from ae_core.recipes import map_spec
from tests.conftest import trained

TINY = ModelConfig(image_shape=(1, 8, 8), latent_dim=2, hidden=(16,))


def test_balanced_sample_takes_as_many_of_each_class_from_the_pool():
    labels = torch.arange(1000) % 4
    labels[:300] = 0  # unbalanced: class 0 is the most common
    pool = torch.arange(100, 1000)
    idx = balanced_sample(labels, 101, seed=3, pool=pool)
    assert len(idx) == 100 and torch.all(idx[1:] > idx[:-1])
    assert set(idx.tolist()) <= set(pool.tolist())
    assert torch.bincount(labels[idx]).tolist() == [25, 25, 25, 25]
    assert torch.equal(idx, balanced_sample(labels, 101, seed=3, pool=pool))
    assert not torch.equal(idx, balanced_sample(labels, 101, seed=4, pool=pool))
    with pytest.raises(ValueError):
        balanced_sample(labels, 3)


def test_latent_plane_is_the_identity_in_2d_and_pca_above():
    rng = np.random.default_rng(0)
    codes2 = rng.normal(size=(50, 2))
    plane = LatentPlane(codes2)
    assert not plane.projected and plane.explained == 1.0
    np.testing.assert_array_equal(plane.to_2d(codes2), codes2)
    # 5-D codes on an affine plane: the map loses nothing and maps back exactly.
    basis, origin = rng.normal(size=(2, 5)), rng.normal(size=5)
    codes5 = rng.normal(size=(80, 2)) @ basis + origin
    plane = LatentPlane(codes5)
    assert plane.projected and plane.explained == pytest.approx(1.0)
    np.testing.assert_allclose(np.abs(plane.to_2d(codes5)), np.abs(PCA(2).fit_transform(codes5)), atol=1e-8)
    np.testing.assert_allclose(plane.from_2d(plane.to_2d(codes5)), codes5, atol=1e-8)


def test_grid_runs_row_by_row_from_the_top_left_corner():
    low, high = map_extent(np.array([[0.0, 0.0], [2.0, 1.0]]), margin=0.0)
    g = grid_points(low, high, 3)
    assert g.shape == (9, 2)
    np.testing.assert_allclose(g[0], [0.0, 1.0])  # top left: smallest x, largest y
    np.testing.assert_allclose(g[2], [2.0, 1.0])
    np.testing.assert_allclose(g[-1], [2.0, 0.0])
    with pytest.raises(ValueError):
        grid_points(low, high, 1)


def test_decode_grid_is_the_decoder_on_the_grid():
    model = build_model(TINY, seed=0)
    plane = LatentPlane(np.zeros((4, 2)))
    images = decode_grid(model, plane, (-1.0, -2.0), (1.0, 2.0), n=4)
    assert images.shape == (16, 1, 8, 8) and 0.0 <= images.min() and images.max() <= 1.0
    top_left = model.decode(torch.tensor([[-1.0, 2.0]])).detach()[0]
    torch.testing.assert_close(images[0], top_left)
    bottom_right = decode_codes(model, np.array([[1.0, -2.0]]))[0]
    torch.testing.assert_close(images[-1], bottom_right)


def test_lerp_goes_straight_from_a_to_b():
    a, b = torch.tensor([0.0, 2.0]), torch.tensor([4.0, -2.0])
    line = lerp(a, b, 5)
    assert line.shape == (5, 2)
    torch.testing.assert_close(line[0], a)
    torch.testing.assert_close(line[-1], b)
    torch.testing.assert_close(line[2], (a + b) / 2)
    torch.testing.assert_close(line[1:] - line[:-1], ((b - a) / 4).expand(4, 2))
    with pytest.raises(ValueError):
        lerp(a, b, 1)


def test_interpolation_ends_on_the_two_reconstructions_and_images(digits):
    model = build_model(TINY, seed=1)
    x0, x1 = digits.images[0], digits.images[1]
    before = digits.images[:2].clone()
    decoded, faded = interpolation(model, x0, x1, steps=6)
    assert decoded.shape == faded.shape == (6, 1, 8, 8)
    recon = model(digits.images[:2].float() / 255).detach()
    torch.testing.assert_close(decoded[[0, -1]], recon)
    torch.testing.assert_close(faded[[0, -1]], digits.images[:2].float() / 255)
    torch.testing.assert_close(faded[3], (x0.float() * 2 + x1.float() * 3) / 5 / 255)
    assert torch.equal(digits.images[:2], before)


def _quality_bars(data):
    """k=2: the page's autoencoder beats PCA on validation MSE, probe accuracy and trustworthiness."""
    trainer = build_trainer(map_spec(data), data)
    trainer.run()
    maps = latent_maps(trainer.model, data, trainer.train_idx, trainer.val_idx, 1000)
    n = len(maps.rows)
    assert n == min(1000, len(trainer.val_idx)) and maps.ae_xy.shape == maps.pca_xy.shape == (n, 2)
    assert not maps.plane.projected
    assert maps.ae_val_mse == pytest.approx(trainer.history.val_mse[-1], rel=1e-4)
    assert maps.ae_val_mse < 0.9 * maps.pca_val_mse, (maps.ae_val_mse, maps.pca_val_mse)
    assert maps.ae_errors.mean() < maps.pca_errors.mean()
    assert maps.ae_trust > maps.pca_trust, (maps.ae_trust, maps.pca_trust)
    acc = probe_scores(trainer.model, maps.pca, data, trainer.train_idx, trainer.val_idx)
    assert acc["autoencoder"] >= acc["pca"], acc
    assert acc["pixels"] > 0.8, acc


def test_quality_bars_on_digits(digits):
    _quality_bars(digits)


@pytest.mark.slow
def test_quality_bars_on_mnist8k(mnist8k):
    _quality_bars(mnist8k)


@pytest.mark.slow
@pytest.mark.parametrize("dataset", [  # the groups share tests.conftest.trained models with test_quality
    pytest.param("digits", marks=pytest.mark.xdist_group("digits_default")),
    pytest.param("mnist8k", marks=pytest.mark.xdist_group("mnist8k_default"))])
def test_few_labels_on_the_training_pages_default_code(request, dataset):
    """Feature learning as the training page measures it: 100 labels, the default code of 12.
    Measured (3 draws): mnist8k codes 0.783, PCA 0.700, pixels 0.716; digits 0.860, 0.881, 0.886."""
    data = request.getfixturevalue(dataset)
    model = trained(default_spec(data), data).model
    acc = few_label_probes(model, data, *train_val_split(data), k=12)
    if data.name == "mnist":  # on MNIST the code learnt without labels is the better start
        assert acc["autoencoder"] > acc["pixels"] + 0.03 and acc["autoencoder"] > acc["pca"] + 0.03
    else:  # on 8 x 8 digits the pixels are already good features: the page says the code loses
        assert acc["autoencoder"] < min(acc["pixels"], acc["pca"])
