"""runner.worker: a training run in a child process gives the same trainer as one run here."""

import gc
import os

import pytest
import torch

from ae_core import Dataset, RunSpec, TrainConfig, build_trainer, default_spec
from runner.worker import TrainingProcess

pytestmark = pytest.mark.xdist_group("worker")  # one worker starts the module's child process


@pytest.fixture(scope="module")
def process():
    p = TrainingProcess()
    yield p
    p.stop()


def quick(digits, **train):
    spec = default_spec(digits, 2)
    return RunSpec(spec.dataset, spec.model, TrainConfig(**{"epochs": 3, "batch_size": 256, **train}))


def direct_run(spec, digits):
    trainer = build_trainer(spec, digits)
    trainer.run()
    return trainer


def same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()))


def test_a_training_in_the_child_is_mirrored_here_and_comes_back_whole(process, digits):
    trainer = build_trainer(quick(digits), digits)
    whole, failure, trace = process.step(trainer, 0.0)  # one batch
    assert (whole, failure, trace) == (None, None, None)
    assert (trainer.epoch, trainer.batch, len(trainer.history.batch_loss)) == (0, 1, 1)  # progress came back
    while whole is None:
        whole, failure, trace = process.step(trainer, 0.05)
    direct = direct_run(quick(digits), digits)
    assert whole.history.val_loss == direct.history.val_loss and trainer.history.val_loss == direct.history.val_loss
    assert same_weights(whole, direct) and same_weights(trainer, direct)  # the last epoch's weights came too
    assert whole.images is trainer.images  # the images were not copied back
    assert process._sent == {process._key(trainer.images)} and not process._away  # sent once; nothing left there


def test_a_recalled_training_goes_on_here_as_if_it_had_never_moved(process, digits):
    trainer = build_trainer(quick(digits), digits)
    process.step(trainer, 0.0)
    process.step(trainer, 0.0)
    back = process.recall(trainer)
    assert back is not trainer and back.batch == 2 and not process._away
    assert process.recall(back) is back  # not away: nothing to do
    back.run()  # here, with the optimiser's state that came back
    direct = direct_run(quick(digits), digits)
    assert back.history.batch_loss == direct.history.batch_loss and same_weights(back, direct)


def test_a_diverging_training_comes_back_with_its_french_message(process, digits):
    trainer = build_trainer(quick(digits, lr=1e30, schedule="constant", loss="mse"), digits)
    whole = None
    while whole is None:
        whole, failure, trace = process.step(trainer, 1.0)
    assert "Baissez le taux d'apprentissage" in failure and trace is None
    assert whole.diverged_at is not None and trainer.diverged_at == whole.diverged_at


def _bug(x, generator):
    raise ZeroDivisionError("a bug")


def _die(x, generator):
    os._exit(1)  # as if the system had killed the child (out of memory)


def test_a_bug_comes_back_as_a_traceback_and_a_dead_child_is_replaced(process, digits):
    trainer = build_trainer(quick(digits), digits)
    trainer.input_fn = _bug
    whole, failure, trace = process.step(trainer, 0.0)
    assert failure is None and "ZeroDivisionError: a bug" in trace and whole is not None
    away = build_trainer(quick(digits), digits)
    process.step(away, 0.0)
    dying = build_trainer(quick(digits), digits)
    dying.input_fn = _die
    with pytest.raises(RuntimeError, match="died"):
        process.step(dying, 0.0)
    with pytest.raises(RuntimeError, match="lost"):  # it was in the child that died
        process.step(away, 0.0)
    fresh = build_trainer(quick(digits), digits)
    assert process.step(fresh, 0.0)[1:] == (None, None) and fresh.history.batch_loss  # in a new child


@pytest.mark.slow
def test_the_child_forgets_a_training_whose_server_copy_is_gone(process, digits):
    gone = build_trainer(quick(digits), digits)
    process.step(gone, 0.0)
    del gone
    gc.collect()
    kept = build_trainer(quick(digits), digits)
    process.step(kept, 0.0)
    assert list(process._away) == [process._key(kept)]


def test_the_child_forgets_images_whose_server_tensor_is_gone(process, digits):
    """A learner's recording must not outlive the session: once the server's tensor is freed, the child
    lets its copy go at the next chunk anyone trains."""
    own = Dataset(digits.name, digits.images.clone(), digits.labels, digits.class_names, digits.n_train)
    gone = build_trainer(quick(digits), own)
    process.step(gone, 0.0)
    key = process._key(own.images)
    assert key in process.held_images()
    del gone, own
    gc.collect()
    process.step(build_trainer(quick(digits), digits), 0.0)
    assert key not in process.held_images()
