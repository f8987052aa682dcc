"""Heartbeats as a dataset, the 1-D convolutional autoencoder, the signal noises of a run spec, and the
denoising autoencoder against classical filters tuned on training beats (ae_core.beats)."""

import numpy as np
import pytest
import torch

from ae_core import Corruption, ModelConfig, SpecError, build_model, build_trainer, count_parameters
from ae_core.anomaly import class_aucs, one_class_aucs, scores
from ae_core.beats import beat_dataset, denoising_snr
from ae_core.filters import FILTERS
from ae_core.recipes import beat_anomaly_spec, signal_denoise_spec
from ae_core.rows import one_class_rows
from ae_core.signals import BEAT_SAMPLES, ECG_CLASSES
from tests.claims import check_claim
from tests.conftest import trained


def test_beats_are_a_dataset_of_standardised_rows_with_a_test_part():
    data = beat_dataset(200, 100, seed=3)
    assert data.images.shape == (300, 1, 1, BEAT_SAMPLES) and data.images.dtype == torch.float32
    assert data.n_train == 200 and data.class_names == ECG_CLASSES and data.image_shape == (1, 1, BEAT_SAMPLES)
    assert data.images[:200].std().item() == pytest.approx(1.0, abs=1e-4)
    assert not torch.equal(data.images[:100], data.images[200:])  # the test beats come from another seed
    assert torch.equal(beat_dataset(200, 100, seed=3).images, data.images)


@pytest.mark.parametrize("latent_dim", [None, 16])
def test_the_1d_model_keeps_the_signal_shape_and_counts_its_weights(latent_dim):
    config = ModelConfig("conv1d", (1, 1, 140), latent_dim, output="linear")
    model = build_model(config, 0)
    x = torch.randn(5, 1, 1, 140)
    assert model(x).shape == x.shape
    assert model.encode(x).shape == (5, config.code_dim)
    assert count_parameters(model) == config.parameter_count
    assert torch.equal(build_model(config, 0)(x), model(x))  # same seed, same weights


@pytest.mark.parametrize("shape", [(1, 2, 140), (1, 1, 142)])
def test_the_1d_model_refuses_what_is_not_a_signal_of_a_length_divisible_by_4(shape):
    with pytest.raises(SpecError, match="signaux"):
        ModelConfig("conv1d", shape, None, output="linear")


@pytest.mark.parametrize("kind", ["signal_gaussian", "hum", "clicks"])
def test_signal_noises_of_a_spec_are_seeded_unclamped_and_leave_the_batch_alone(kind):
    x = torch.randn(8, 1, 1, 140)
    before = x.clone()
    noisy = Corruption(kind, 0.5)(x, torch.Generator().manual_seed(0))
    again = Corruption(kind, 0.5)(x, torch.Generator().manual_seed(0))
    assert torch.equal(x, before) and torch.equal(noisy, again) and noisy.shape == x.shape
    assert (noisy - x).abs().max() > 0 and (noisy.min() < 0 or noisy.max() > 1)  # not clamped to [0, 1]
    assert torch.equal(Corruption(kind, 0.0)(x), x)


def test_a_short_denoising_training_learns_and_is_scored_beside_the_filters():
    data = beat_dataset(300, 100)
    spec = signal_denoise_spec(data, epochs=2)
    trainer = build_trainer(spec, data)
    history = trainer.run()
    assert history.val_loss[-1] < history.val_loss[0]
    scores = denoising_snr(trainer.model.eval(), data, trainer.train_idx, trainer.val_idx, "signal_gaussian", 0.5)
    assert list(scores) == ["noisy", "moving_average", "savitzky_golay", "kalman", "notch", "autoencoder"]
    assert all(np.isfinite(snr) for snr, _ in scores.values())
    assert scores["kalman"][1]["order"] in (1, 2)  # its tuned parameters come back with its score


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["signal_gaussian", "hum", "clicks"])
def test_the_denoising_autoencoder_beats_every_tuned_filter_on_synthetic_beats(kind):
    data = beat_dataset()
    spec = signal_denoise_spec(data, kind, 0.5)
    trainer = trained(spec, data)
    scores = denoising_snr(trainer.model.eval(), data, trainer.train_idx, trainer.val_idx, kind, 0.5)
    print(f"FIGURE beats {kind} at 0.5: " + ", ".join(f"{m} {s:.1f} dB {p}" for m, (s, p) in scores.items()))
    best_filter = max(scores[m][0] for m in FILTERS)
    if kind == "signal_gaussian":  # the page's default noise, quoted by its lesson
        check_claim("signaux_denoise", ae=scores["autoencoder"][0], filter=best_filter)
    assert scores["autoencoder"][0] > best_filter > scores["noisy"][0]


def _denoising(kind: str, level: float) -> dict[str, tuple[float, dict]]:
    data = beat_dataset()
    trainer = trained(signal_denoise_spec(data, kind, level), data)
    return denoising_snr(trainer.model.eval(), data, trainer.train_idx, trainer.val_idx, kind, level)


def _gap(scores: dict) -> float:
    """The autoencoder's lead over the best tuned filter, in dB."""
    return scores["autoencoder"][0] - max(scores[m][0] for m in FILTERS)


@pytest.mark.slow
def test_the_signal_pages_denoising_exercises_as_the_lesson_says():
    white, clicks, hum = _denoising("signal_gaussian", 0.5), _denoising("clicks", 0.5), _denoising("hum", 0.25)
    print(f"FIGURE beats exercises: lead white {_gap(white):.1f} dB, clicks {_gap(clicks):.1f} dB, "
          f"hum at 0.25 {_gap(hum):.1f} dB")
    assert _gap(white) >= 2  # « plusieurs décibels »
    assert _gap(clicks) > _gap(white) + 2  # « l'écart se creuse bien davantage »
    assert hum["savitzky_golay"][0] > hum["autoencoder"][0]  # « Savitzky–Golay bat l'autoencodeur »


def _one_class(noise: float, contamination: float) -> tuple[dict, dict]:
    data = beat_dataset(noise=noise)
    spec = beat_anomaly_spec(data, contamination)
    model, split = trained(spec, data).model.eval(), one_class_rows(data, spec.rows)
    per_class = class_aucs(scores(model, data.images[split.test_idx]), data.labels[split.test_idx], (0,))
    return one_class_aucs(model, data, split, 8), per_class


@pytest.mark.slow
def test_the_signal_pages_anomaly_exercises_as_the_lesson_says():
    clean, _ = _one_class(0.2, 0.0)  # the page's defaults
    dirty, _ = _one_class(0.2, 0.05)
    noisy, per_class = _one_class(0.4, 0.0)
    print(f"FIGURE beats anomalies: AUC autoencoder / PCA-8 {clean['ae']:.3f} / {clean['pca']:.3f} clean, "
          f"{dirty['ae']:.3f} / {dirty['pca']:.3f} with 5 % contamination; at recording noise 0.4 per class "
          + ", ".join(f"{ECG_CLASSES[c]} {auc:.3f}" for c, auc in per_class.items()))
    assert min(clean["ae"], clean["pca"]) >= 0.99 and abs(clean["ae"] - clean["pca"]) < 0.01  # a tie
    assert dirty["ae"] >= 0.99 and dirty["pca"] < dirty["ae"] - 0.1  # PCA « recule nettement »
    assert min(per_class, key=per_class.get) == ECG_CLASSES.index("Onde P absente")
