import numpy as np
import pytest
import torch

from ae_core import (
    Corruption,
    ModelConfig,
    Rows,
    RunSpec,
    SpecError,
    TrainConfig,
    Trainer,
    TrainingDiverged,
    build_trainer,
    default_spec,
    default_train,
)
from ae_core.metrics import encode
from ae_core.models import MLPAutoencoder
from ae_core.rows import watched_rows
from ae_core.train import MAX_SNAPSHOTS

SMALL = ModelConfig(image_shape=(1, 8, 8), latent_dim=4, hidden=(32,))


def small_trainer(digits, corruption=None, **overrides):
    config = TrainConfig(**{"epochs": 3, "batch_size": 64, "lr": 1e-2, **overrides})
    return build_trainer(RunSpec("digits", SMALL, config, corruption or Corruption()), digits)


def weights(trainer):
    return torch.cat([p.detach().flatten() for p in trainer.model.parameters()])


def test_loss_falls_and_history_is_complete(digits):
    trainer = small_trainer(digits, epochs=8)
    history = trainer.run()
    assert trainer.done and trainer.trained and trainer.progress == 1.0 and len(history.train_loss) == 8
    assert history.val_mse[-1] < 0.5 * history.val_mse[0]
    assert all(s > 0 for s in history.samples_per_s)
    assert history.seconds == sorted(history.seconds)
    assert history.extra == {}  # a plain autoencoder's objective has no part besides its loss


def test_same_seed_same_weights(digits):
    a, b, c = small_trainer(digits), small_trainer(digits), small_trainer(digits, seed=1)
    for t in (a, b, c):
        t.run()
    assert torch.equal(weights(a), weights(b))
    assert not torch.equal(weights(a), weights(c))


def test_chunks_give_the_same_weights_as_one_run(digits):
    whole, chunked = small_trainer(digits), small_trainer(digits)
    whole.run()
    steps = 0
    while chunked.step(budget_s=0.0):  # one batch per call: the smallest chunk there is
        steps += 1
    assert steps + 1 == 3 * chunked.steps_per_epoch
    assert torch.equal(weights(whole), weights(chunked))


def test_denoising_feeds_corrupted_inputs_and_scores_against_clean_targets(digits):
    trainer = small_trainer(digits, Corruption("gaussian", 0.5), epochs=1)
    seen = []
    objective = trainer.model.objective
    trainer.model.objective = lambda x_in, x, *rest: seen.append((x_in.clone(), x.clone())) or objective(x_in, x, *rest)
    trainer.step(budget_s=0.0)
    x_in, x = seen[0]
    order = trainer._order[:trainer.config.batch_size]
    assert torch.equal(x, digits.images[order].float() / 255)  # the target is the clean batch
    assert not torch.equal(x_in, x) and (x_in - x).std() > 0.2  # the input is the noisy one
    assert x_in.min() >= 0 and x_in.max() <= 1


class PenalisedMLP(MLPAutoencoder):
    """An autoencoder with a named extra part in its objective, as a VAE or a sparse model has."""

    def objective(self, x_in, x, loss, generator=None):
        total, _ = super().objective(x_in, x, loss)
        z = self.encode(x_in)
        return total + 1e-3 * z.abs().mean(), {"l1": z.abs().mean(), "per_unit": z.abs().mean(0)}


def test_named_parts_of_the_objective_are_recorded_per_epoch(digits, monkeypatch):
    import ae_core.build as build

    monkeypatch.setattr(build, "MLPAutoencoder", PenalisedMLP)  # what the model factory builds
    trainer = small_trainer(digits, epochs=2)
    assert isinstance(trainer.model, PenalisedMLP)
    trainer.run()
    assert len(trainer.history.extra["l1"]) == 2 and all(v > 0 for v in trainer.history.extra["l1"])
    assert [len(v) for v in trainer.history.extra["per_unit"]] == [4, 4]  # one value per code unit


def test_divergence_keeps_last_finite_weights(digits):
    trainer = small_trainer(digits, lr=1e30, schedule="constant", loss="mse")
    before = weights(trainer)
    with pytest.raises(TrainingDiverged, match="taux d'apprentissage") as info:
        trainer.run()
    assert info.value.epoch == 0 and trainer.diverged_at == 0 and trainer.done and not trainer.trained
    assert torch.isfinite(weights(trainer)).all() and torch.equal(weights(trainer), before)
    assert not trainer.step()  # a diverged trainer stays stopped


def test_one_class_rows_train_on_their_class_and_reconstruct_it_best(digits):
    spec = RunSpec("digits", ModelConfig(image_shape=(1, 8, 8), latent_dim=2, hidden=(16,)),
                   TrainConfig(epochs=20, batch_size=32), rows=Rows(normal=(0,), val_fraction=0.1))
    trainer = build_trainer(spec, digits)
    assert (digits.labels[trainer.train_idx] == 0).all()
    trainer.run()
    others = torch.nonzero(digits.labels != 0).flatten()[:300]
    val_loss_zeros, _ = trainer.evaluate(trainer.val_idx)
    val_loss_others, _ = trainer.evaluate(others)
    assert val_loss_zeros < val_loss_others


def test_float_data_and_linear_output():
    x = torch.randn(200, 1, 1, 6)
    spec = RunSpec("points", ModelConfig("mlp", (1, 1, 6), 3, (16,), output="linear"),
                   TrainConfig(epochs=20, loss="mse", batch_size=32))
    trainer = Trainer(spec, x, torch.arange(160), torch.arange(160, 200))
    history = trainer.run()
    assert history.val_mse[-1] < 0.8 * history.val_mse[0]
    with pytest.raises(SpecError, match="BCE"):
        RunSpec("points", ModelConfig("mlp", (1, 1, 6), 3, (16,), output="linear"), TrainConfig(loss="bce"))


def test_run_stops_when_the_callback_says_so(digits):
    trainer = small_trainer(digits, epochs=5)
    trainer.run(on_epoch_end=lambda t: t.epoch == 2)
    assert trainer.epoch == 2 and not trainer.done


@pytest.mark.parametrize("kwargs", [dict(epochs=0), dict(batch_size=0), dict(lr=-1.0), dict(lr=float("nan")),
                                    dict(loss="l1"), dict(schedule="cosine"), dict(watch=-1), dict(watch=5000)])
def test_bad_train_configs(kwargs):
    with pytest.raises(SpecError):
        TrainConfig(**kwargs)


def test_default_train_config():
    assert default_train("digits").batch_size == 64 and default_train("mnist") == TrainConfig()
    assert default_train("digits", epochs=3).epochs == 3


def test_step_by_step_training_gives_the_weights_of_one_run(digits):
    spec = default_spec(digits, 4, epochs=2)
    whole = build_trainer(spec, digits)
    whole.run()
    steps = build_trainer(spec, digits)
    assert steps.step_batches(1) and steps.batch == 1 and len(steps.history.batch_loss) == 1
    assert not steps.history.train_loss  # no epoch has ended yet
    steps.step_batches()  # to the end of the first epoch, validated
    assert (steps.epoch, steps.batch) == (1, 0) and len(steps.history.val_loss) == 1
    assert len(steps.history.batch_loss) == steps.steps_per_epoch
    while steps.step_batches(3):
        pass
    assert steps.done and steps.history.batch_loss == whole.history.batch_loss
    for a, b in zip(steps.model.state_dict().values(), whole.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_watched_codes_follow_the_training_without_changing_it(digits):
    watched = small_trainer(digits, epochs=4, watch=100)
    plain = small_trainer(digits, epochs=4)
    watched.run(), plain.run()
    assert torch.equal(weights(watched), weights(plain))  # looking does not touch the weights
    codes = watched.history.codes
    assert [epoch for epoch, _ in codes] == [0, 1, 2, 3, 4]  # before the first epoch, then after each
    assert all(c.shape == (100, 4) and c.dtype == np.float16 for _, c in codes)
    assert plain.history.codes == []
    rows = watched_rows(digits, watched.spec)
    assert torch.equal(watched.watch_rows, rows) and len(set(digits.labels[rows].tolist())) == 10
    assert np.allclose(codes[-1][1], encode(watched.model, digits.images[rows]).numpy(), atol=1e-2, rtol=1e-2)


def test_a_long_training_keeps_a_bounded_number_of_maps(digits):
    trainer = small_trainer(digits, epochs=120, watch=20)
    trainer.run()
    epochs = [epoch for epoch, _ in trainer.history.codes]
    assert len(epochs) <= MAX_SNAPSHOTS + 1 and epochs[0] == 0 and epochs[-1] == 120
    assert epochs == sorted(set(epochs))


def test_watched_rows_are_found_among_shifted_copies(digits):
    spec = RunSpec("digits", SMALL, TrainConfig(epochs=1, watch=30), rows=Rows(shifts=True, max_train=200))
    trainer = build_trainer(spec, digits)
    rows = watched_rows(digits, spec)
    assert torch.equal(trainer.images[trainer.watch_rows], digits.images[rows])
    assert bool(torch.isin(trainer.watch_rows, trainer.val_idx).all())
