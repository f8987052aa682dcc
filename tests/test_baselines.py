"""ae_core.baselines: PCA against its closed form, trustworthiness and probes against simple cases."""

import numpy as np
import pytest

from ae_core import PCABaseline, pca_error_curve, trustworthiness
from ae_core.baselines import pca_code_size, ppca_log_likelihoods, probe_accuracies
from ae_core.metrics import as_float


def test_pca_error_curve_matches_pca_baseline_and_the_eigenvalue_formula(digits):
    train, test = digits.images[:1200], digits.images[1200:]
    ks = [1, 2, 5, 20]
    curve = pca_error_curve(train, test, ks)
    for k, err in zip(ks, curve, strict=True):
        assert err == pytest.approx(float(PCABaseline(train, k).errors(test).mean()), rel=1e-3)
    # Closed form: on the training set, standard PCA-k leaves the variance of the other axes.
    X = train.flatten(1).double().numpy() / 255
    eig = np.sort(np.linalg.eigvalsh(np.cov(X, rowvar=False, bias=True)))[::-1]
    on_train = pca_error_curve(train, train, ks)
    np.testing.assert_allclose(on_train, [eig[k:].sum() / X.shape[1] for k in ks], rtol=1e-4)
    assert np.all(np.diff(on_train) < 0)
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


def test_ppca_likelihoods_match_sklearn_and_choose_a_code_size(digits):
    from sklearn.decomposition import PCA

    train, val = digits.images[:300], digits.images[300:400]
    ks = (1, 4, 16, 32)
    X, V = (as_float(a).flatten(1).numpy().astype(np.float64) for a in (train, val))
    expected = [PCA(k, svd_solver="full").fit(X).score(V) for k in ks]
    np.testing.assert_allclose(ppca_log_likelihoods(train, val, ks), expected, rtol=1e-6)
    k = pca_code_size(train, val)
    assert k in (1, 2, 4, 8, 16, 32) and k > 1  # 8 × 8 digits need more than one component
