"""ae_core.latent: sampling, maps, decoding anywhere, interpolation, PCA error curve, quality bars."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from ae_core import ModelConfig, PCABaseline, build_model, make_manifold
from ae_core.manifold import manifold_codes, manifold_trainer
from ae_core.latent import (
    ae_error_curve,
    LatentPlane,
    balanced_sample,
    curve_sizes,
    curve_trainer,
    decode_codes,
    decode_grid,
    grid_points,
    interpolation,
    latent_maps,
    latent_trainer,
    lerp,
    map_extent,
    pca_error_curve,
    probe_accuracies,
    probe_scores,
    shifted_copies,
    split_rows,
    trustworthiness,
)

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


def test_pca_error_curve_matches_pca_baseline_and_the_eigenvalue_formula(digits):
    train, test = digits.images[:1200], digits.images[1200:]
    ks = [1, 2, 5, 20]
    curve = pca_error_curve(train, test, ks)
    for k, err in zip(ks, curve, strict=True):
        assert err == pytest.approx(float(PCABaseline(train, k).errors(test).mean()), rel=1e-3)
    # Closed form: on the training set, unclipped PCA-k leaves the variance of the other axes.
    X = train.flatten(1).double().numpy() / 255
    eig = np.sort(np.linalg.eigvalsh(np.cov(X, rowvar=False, bias=True)))[::-1]
    unclipped = pca_error_curve(train, train, ks, clip=False)
    np.testing.assert_allclose(unclipped, [eig[k:].sum() / X.shape[1] for k in ks], rtol=1e-4)
    assert np.all(np.diff(unclipped) < 0)
    with pytest.raises(ValueError):
        pca_error_curve(train, test, [0, 2])


def test_trustworthiness_is_one_for_the_identity_and_lower_for_a_shuffle():
    X = np.random.default_rng(0).normal(size=(200, 2))
    assert trustworthiness(X, X) == pytest.approx(1.0)
    assert trustworthiness(X, X[np.random.default_rng(1).permutation(200)]) < 0.7


def test_probe_reads_separable_features_perfectly():
    y = np.arange(200) % 2
    good = np.c_[y * 10.0, np.zeros(200)]
    noise = np.random.default_rng(0).normal(size=(200, 2))
    acc = probe_accuracies({"good": (good[:100], good[100:]), "noise": (noise[:100], noise[100:])},
                           y[:100], y[100:])
    assert acc["good"] == 1.0 and acc["noise"] < 0.8


def test_latent_trainer_caps_the_training_rows(digits):
    t = latent_trainer(digits, latent_dim=3, max_train=500, epochs=1)
    assert len(t.train_idx) == 500 and t.model_config.latent_dim == 3
    assert not set(t.train_idx.tolist()) & set(t.val_idx.tolist())


@pytest.mark.parametrize("name", ["s_curve", "swiss_roll"])
def test_autoencoder_unrolls_the_manifold_better_than_pca(name):
    X, _ = make_manifold(name, 1000, seed=0)
    trainer = manifold_trainer(X, seed=0)
    trainer.run()
    z = manifold_codes(trainer.model, X)
    assert z.shape == (1000, 2)
    t_ae, t_pca = trustworthiness(X, z), trustworthiness(X, PCA(2).fit_transform(X))
    assert t_ae > t_pca + 0.05, (t_ae, t_pca)


def _quality_bars(data):
    """k=2: the page's autoencoder beats PCA on validation MSE, probe accuracy and trustworthiness."""
    trainer = latent_trainer(data, latent_dim=2)
    trainer.run()
    maps = latent_maps(trainer.model, data, trainer.train_idx, trainer.val_idx)
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


def test_shifted_copies_move_the_pixels_and_fill_with_zeros():
    images = torch.zeros(2, 1, 5, 5, dtype=torch.uint8)
    images[:, 0, 1:4, 1:4] = torch.arange(1, 10, dtype=torch.uint8).view(3, 3)  # zero border
    out = shifted_copies(images, [(1, 0), (0, -1)])
    assert out.shape == (6, 1, 5, 5) and out.dtype == torch.uint8
    assert torch.equal(out[:2], images)
    assert torch.equal(out[2:4], torch.roll(images, 1, dims=2))  # down one row
    assert torch.equal(out[4:], torch.roll(images, -1, dims=3))  # left one column
    edge = torch.full((1, 1, 3, 3), 7, dtype=torch.uint8)
    assert torch.equal(shifted_copies(edge, [(-1, 0)])[1, 0, 2], torch.zeros(3, dtype=torch.uint8))


def test_ae_error_curve_is_the_curve_trainer_final_validation_mse(digits):
    assert curve_sizes(digits) == (2, 5, 10)  # 30 would be half of the 64 pixels
    curve = ae_error_curve(digits, [2, 4], epochs=2)
    assert curve.shape == (2,)
    trainer = curve_trainer(digits, 4, epochs=2)
    assert len(trainer.train_idx) == len(latent_trainer(digits).train_idx)  # no shifts on 8 x 8 digits
    trainer.run()
    assert curve[1] == pytest.approx(trainer.history.val_mse[-1])


@pytest.mark.slow
def test_30_number_autoencoder_beats_pca_30_on_mnist8k(mnist8k):
    """Hinton & Salakhutdinov's reference size; shifted copies keep the autoencoder from memorising."""
    trainer = curve_trainer(mnist8k, 30)
    assert len(trainer.train_idx) == 9 * 8000
    trainer.run()
    train_idx, val_idx = split_rows(mnist8k)
    pca30 = pca_error_curve(mnist8k.images[train_idx], mnist8k.images[val_idx], [30])[0]
    assert trainer.history.val_mse[-1] < 0.55 * pca30, (trainer.history.val_mse[-1], pca30)
