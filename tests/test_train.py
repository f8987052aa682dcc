import math

import pytest
import torch

from ae_core import ModelConfig, TrainConfig, Trainer, TrainingDiverged, recipe, train_val_split


def small_trainer(digits, **overrides):
    config = TrainConfig(**{"epochs": 3, "batch_size": 64, "lr": 1e-2, **overrides})
    return Trainer.for_dataset(digits, ModelConfig(image_shape=(1, 8, 8), latent_dim=4, hidden=(32,)), config)


def weights(trainer):
    return torch.cat([p.detach().flatten() for p in trainer.model.parameters()])


def test_loss_falls_and_history_is_complete(digits):
    trainer = small_trainer(digits, epochs=8)
    history = trainer.run()
    assert trainer.done and trainer.progress == 1.0 and len(history.train_loss) == 8
    assert history.val_mse[-1] < 0.5 * history.val_mse[0]
    assert all(s > 0 for s in history.samples_per_s)
    assert history.seconds == sorted(history.seconds)


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


def test_denoising_trains_on_corrupted_inputs_with_clean_targets(digits):
    seen = []
    trainer = small_trainer(digits, epochs=1, noise="gaussian", noise_level=0.5)
    inner = trainer.input_fn
    trainer.input_fn = lambda x, g: seen.append((x.clone(), inner(x, g))) or seen[-1][1]
    trainer.run()
    clean, noisy = seen[0]
    assert clean.min() >= 0 and not torch.equal(clean, noisy)


def test_divergence_keeps_last_finite_weights(digits):
    trainer = small_trainer(digits, lr=1e30, schedule="constant", loss="mse")
    before = weights(trainer)
    with pytest.raises(TrainingDiverged, match="taux d'apprentissage") as info:
        trainer.run()
    assert info.value.epoch == 0 and trainer.diverged_at == 0 and trainer.done
    assert torch.isfinite(weights(trainer)).all() and torch.equal(weights(trainer), before)
    assert not trainer.step()  # a diverged trainer stays stopped


def test_custom_input_fn_and_subset(digits):
    train_idx, val_idx = train_val_split(digits)
    zeros = train_idx[digits.labels[train_idx] == 0]
    trainer = Trainer(ModelConfig(image_shape=(1, 8, 8), latent_dim=2, hidden=(16,)), TrainConfig(epochs=1),
                      digits.images, zeros, val_idx, input_fn=lambda x, g: torch.zeros_like(x))
    trainer.run()
    assert trainer.steps_per_epoch == math.ceil(len(zeros) / 256)


def test_float_data_and_linear_output():
    x = torch.randn(200, 1, 1, 6)
    trainer = Trainer(ModelConfig("mlp", (1, 1, 6), 3, (16,), output="linear"),
                      TrainConfig(epochs=20, loss="mse", batch_size=32), x, torch.arange(160), torch.arange(160, 200))
    history = trainer.run()
    assert history.val_mse[-1] < 0.8 * history.val_mse[0]
    with pytest.raises(ValueError, match="BCE"):
        Trainer(ModelConfig("mlp", (1, 1, 6), 3, (16,), output="linear"), TrainConfig(loss="bce"), x,
                torch.arange(160), torch.arange(160, 200))


def test_run_stops_when_the_callback_says_so(digits):
    trainer = small_trainer(digits, epochs=5)
    trainer.run(on_epoch_end=lambda t: t.epoch == 2)
    assert trainer.epoch == 2 and not trainer.done


@pytest.mark.parametrize("kwargs", [dict(epochs=0), dict(batch_size=0), dict(lr=-1.0), dict(lr=float("nan")),
                                    dict(loss="l1"), dict(schedule="cosine"), dict(noise="blur"),
                                    dict(noise_level=1.5)])
def test_bad_train_configs(kwargs):
    with pytest.raises(ValueError):
        TrainConfig(**kwargs)


def test_recipes():
    assert recipe("digits").batch_size == 64 and recipe("mnist") == TrainConfig()
    assert recipe("digits", epochs=3).epochs == 3
