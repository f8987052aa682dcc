"""The expected results the guided exercises announce (lessons/*_exercices.md), measured at the page defaults."""

import dataclasses

import pytest
from sklearn.metrics import roc_auc_score

from ae_core import build_trainer, default_spec, pca_error_curve, train_val_split
from ae_core.anomaly import baseline_scores, scores
from ae_core.recipes import one_class_spec
from ae_core.rows import one_class_rows
from tests.claims import check_claim
from tests.conftest import trained


def train_page(digits, k, bottleneck="linear"):
    spec = default_spec(digits, k)
    spec = dataclasses.replace(spec, model=dataclasses.replace(spec.model, bottleneck=bottleneck))
    trainer = trained(spec, digits)
    train_idx, val_idx = train_val_split(digits)
    return trainer.history.val_mse[-1], float(pca_error_curve(digits.images[train_idx], digits.images[val_idx], [k])[0])


@pytest.mark.parametrize("k, bottleneck, claim", [(12, "linear", "entrainer_k12"), (2, "linear", "entrainer_k2"),
                                                  (2, "relu", "entrainer_k2_relu"), (32, "linear", "entrainer_k32")])
@pytest.mark.slow
@pytest.mark.xdist_group("digits_default")  # shares tests.conftest.trained models
def test_training_page_exercises(digits, k, bottleneck, claim):
    ae, pca = train_page(digits, k, bottleneck)
    check_claim(claim, ae=ae, pca=pca)


@pytest.mark.slow
@pytest.mark.xdist_group("digits_default")  # shares tests.conftest.trained models
def test_training_page_exercise_with_too_large_a_step(digits):
    trainer = build_trainer(default_spec(digits, 12, lr=1.0), digits)
    trainer.run()
    train_idx, val_idx = train_val_split(digits)
    pca_1 = float(pca_error_curve(digits.images[train_idx], digits.images[val_idx], [1])[0])
    normal = trained(default_spec(digits, 12), digits).history.train_loss[-1]
    check_claim("entrainer_lr1", stuck=trainer.history.train_loss[-1], normal=normal, mse=trainer.history.val_mse[-1])
    assert trainer.history.val_mse[-1] > pca_1


def test_anomaly_page_exercise_on_dirty_data(digits):
    aucs = {}
    for contamination in (0.05, 0.2):
        spec = one_class_spec(digits, (0,), contamination)
        split = one_class_rows(digits, spec.rows)
        trainer = build_trainer(spec, digits)
        trainer.run()
        test, y = digits.images[split.test_idx], split.test_is_anomaly.numpy()
        base = baseline_scores(digits.images[split.train_idx], test, spec.model.latent_dim)
        aucs[contamination] = [roc_auc_score(y, s) for s in (scores(trainer.model, test).numpy(), *base.values())]
    check_claim("anomalies_dirty_data", clean=aucs[0.05][0], dirty=aucs[0.2][0])
    assert aucs[0.2][0] < aucs[0.05][0]
    assert aucs[0.2][0] < aucs[0.2][2]  # the Isolation Forest resists better (PCA: about as well)
