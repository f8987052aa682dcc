import math

import numpy as np
import pytest
import torch

from ae_core import (
    ModelConfig,
    PCABaseline,
    build_model,
    compression_ratio,
    encode,
    linear_probe,
    per_sample_mse,
    psnr,
    reconstruction_errors,
    train_val_split,
)


def test_psnr_closed_form():
    x = torch.zeros(10, 10)
    assert psnr(x + 0.1, x) == pytest.approx(20.0)  # MSE 0.01 -> 10 log10(1 / 0.01)
    assert psnr(x + 0.5, x, max_value=2.0) == pytest.approx(10 * math.log10(4 / 0.25))
    assert psnr(x, x) == math.inf


def test_per_sample_mse():
    x = torch.zeros(3, 1, 2, 2)
    x_hat = x.clone()
    x_hat[1] = 1.0
    x_hat[2, 0, 0, 0] = 2.0
    assert per_sample_mse(x_hat, x).tolist() == [0.0, 1.0, 1.0]


def test_pca_error_matches_discarded_variance(digits):
    X = digits.images.float().flatten(1) / 255
    pca = PCABaseline(digits.images, k=10)
    err = float(pca.errors(digits.images).mean())
    eig = np.linalg.eigvalsh(np.cov(X.numpy(), rowvar=False, bias=True))[::-1]
    assert err == pytest.approx(eig[10:].sum() / X.shape[1], rel=1e-3)
    assert float(PCABaseline(digits.images, 64).errors(digits.images).mean()) < 1e-10


def test_model_errors_and_codes(digits):
    model = build_model(ModelConfig(image_shape=(1, 8, 8), latent_dim=3))
    errs = reconstruction_errors(model, digits.images[:50])
    assert errs.shape == (50,) and (errs > 0).all()
    assert encode(model, digits.images[:50], batch_size=7).shape == (50, 3)


def test_linear_probe_separable_vs_noise(digits):
    train_idx, val_idx = train_val_split(digits)
    X = digits.images.float().flatten(1).numpy()
    y = digits.labels.numpy()
    assert linear_probe(X[train_idx], y[train_idx], X[val_idx], y[val_idx]) > 0.9
    noise = np.random.default_rng(0).normal(size=X.shape)
    assert linear_probe(noise[train_idx], y[train_idx], noise[val_idx], y[val_idx]) < 0.25


def test_compression_ratio():
    assert compression_ratio(ModelConfig.course()) == pytest.approx(784 / 12)
    assert compression_ratio(ModelConfig("conv", (1, 28, 28), None)) == pytest.approx(0.5)
