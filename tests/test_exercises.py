"""The expected results the guided exercises announce (lessons/*_exercices.md), measured at the page defaults."""

import dataclasses

import pytest
from sklearn.metrics import roc_auc_score

from ae_core import build_trainer, default_spec, pca_error_curve, train_val_split
from ae_core.anomaly import baseline_scores, scores
from ae_core.recipes import one_class_spec
from ae_core.rows import one_class_rows
from tests.conftest import trained


def train_page(digits, k, bottleneck="linear"):
    spec = default_spec(digits, k)
    spec = dataclasses.replace(spec, model=dataclasses.replace(spec.model, bottleneck=bottleneck))
    trainer = trained(spec, digits)
    train_idx, val_idx = train_val_split(digits)
    return trainer.history.val_mse[-1], float(pca_error_curve(digits.images[train_idx], digits.images[val_idx], [k])[0])


@pytest.mark.parametrize("k, bottleneck, ae, pca", [(12, "linear", 0.009, 0.016), (2, "linear", 0.030, 0.053),
                                                    (2, "relu", 0.045, 0.053), (32, "linear", 0.008, 0.003)])
@pytest.mark.xdist_group("digits_default")  # shares tests.conftest.trained models
@pytest.mark.slow
@pytest.mark.xdist_group("digits_default")  # shares tests.conftest.trained models
def test_training_page_exercises(digits, k, bottleneck, ae, pca):
    got_ae, got_pca = train_page(digits, k, bottleneck)
    assert got_ae == pytest.approx(ae, rel=0.2) and got_pca == pytest.approx(pca, rel=0.15)


@pytest.mark.slow
def test_training_page_exercise_with_too_large_a_step(digits):
    trainer = build_trainer(default_spec(digits, 12, lr=1.0), digits)
    trainer.run()
    train_idx, val_idx = train_val_split(digits)
    pca_1 = float(pca_error_curve(digits.images[train_idx], digits.images[val_idx], [1])[0])
    assert trainer.history.train_loss[-1] > 0.4 and trainer.history.val_mse[-1] > pca_1


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
    assert aucs[0.05][0] > 0.995 and 0.985 < aucs[0.2][0] < aucs[0.05][0]
    assert aucs[0.2][0] < aucs[0.2][2]  # the Isolation Forest resists better (PCA: about as well)
