"""runner.estimate: the duration a page announces before a start, and the wait behind other learners."""

import collections
import dataclasses
import math

import pytest

from ae_core import ModelConfig, RunSpec, TrainConfig, build_trainer, default_spec
from ae_core.recipes import curve_spec, one_class_spec
from runner import estimate
from runner.jobs import Job, WorkerPool
from ui.fmt import duration


@pytest.fixture(autouse=True)
def fresh_estimates(monkeypatch):
    monkeypatch.setattr(estimate, "_ratios", collections.defaultdict(lambda: collections.deque(maxlen=20)))


def quick(digits, epochs=3, **model):
    spec = default_spec(digits, 2)
    return RunSpec(spec.dataset, dataclasses.replace(spec.model, **model), TrainConfig(epochs=epochs))


def test_a_forward_pass_counts_two_operations_per_weight_of_each_linear_layer_per_image():
    config = ModelConfig("mlp", (1, 8, 8), 3, (16, 8), "linear")
    step, forward = estimate.step_flops(config, 5)
    widths = [64, 16, 8, 3, 8, 16, 64]
    assert forward == 2 * 5 * sum(a * b for a, b in zip(widths, widths[1:]))
    assert 2 * forward < step <= 3 * forward  # the backward pass: gradients of weights and inputs


def test_rows_are_counted_as_the_trainer_sees_them(digits, mnist8k):
    for spec, data in ((curve_spec(mnist8k, 4), mnist8k), (one_class_spec(digits, (0,), 0.05), digits)):
        trainer = build_trainer(spec, data)
        assert estimate.row_counts(spec, data) == (len(trainer.train_idx), len(trainer.val_idx))


def test_a_finished_training_sets_the_estimate_of_its_kind_to_what_it_took(digits):
    spec = quick(digits)
    first = estimate.training_s(spec, digits)
    assert first == pytest.approx(estimate.predicted_s(spec, *estimate.row_counts(spec, digits)))
    trainer = build_trainer(spec, digits)
    trainer.run()
    estimate.observe(trainer)
    assert estimate.training_s(spec, digits) == pytest.approx(trainer.history.seconds[-1])
    # No observation of a convolutional network, or of larger images, yet: the MLP's correction stands in.
    ratio = trainer.history.seconds[-1] / first
    conv = ModelConfig("conv", (1, 8, 8), 4)
    larger = dataclasses.replace(spec.model, image_shape=(1, 28, 28))
    assert estimate.speed_factor(conv) == estimate.speed_factor(larger) == pytest.approx(ratio)
    estimate._ratios["conv", (1, 8, 8)].append(2 * ratio)
    assert estimate.speed_factor(conv) == pytest.approx(2 * ratio)
    assert estimate.speed_factor(ModelConfig("conv", (1, 28, 28), 4)) == pytest.approx(2 * ratio)  # same kind
    assert estimate.speed_factor(spec.model) == pytest.approx(ratio)


def test_diverged_or_unfinished_trainings_teach_nothing(digits):
    trainer = build_trainer(quick(digits), digits)
    trainer.step_batches(3)
    estimate.observe(trainer)
    assert estimate.speed_factor(trainer.spec.model) == 1.0


def test_the_wait_counts_every_other_learner_in_turns_and_ones_own_jobs_in_full(digits):
    pool = WorkerPool(0, in_child=False)  # no worker: the jobs stay in line as submitted
    try:
        small, large = Job([quick(digits, epochs=2)], digits), Job([quick(digits, epochs=30)], digits)
        mine = Job([quick(digits, epochs=5)], digits)
        pool.submit(small, "a")
        pool.submit(large, "b")
        pool.submit(mine, "me")
        s, big, own = small.remaining_s(), large.remaining_s(), mine.remaining_s()
        assert s < own < big
        new = estimate.training_s(quick(digits, epochs=4), digits)
        total, others = pool.finish_s("me", new)
        ahead = own + new  # my job in line, then the new one
        assert others == 2 and total == pytest.approx(ahead + s + min(big, ahead))
        total, others = pool.finish_s("c", new)  # a newcomer: every learner in line takes turns with it
        assert others == 3 and total == pytest.approx(new + min(new, s) + min(new, own) + min(new, big))
        mine.pause()
        assert pool.finish_s("me", new)[0] == pytest.approx(new + min(new, s) + min(new, big))
    finally:
        pool.stop()


def test_a_job_partly_trained_or_reusing_a_finished_trainer_needs_only_what_is_left(digits):
    specs = [quick(digits, epochs=4), quick(digits, epochs=4, latent_dim=3)]
    done = build_trainer(specs[0], digits)
    done.run()
    job = Job(specs, digits, finished=[done])
    assert job.remaining_s() == pytest.approx(estimate.training_s(specs[1], digits))
    job.advance(0.0)  # builds the second trainer and trains one batch
    assert 0 < job.remaining_s() < estimate.training_s(specs[1], digits)
    assert math.isclose(job.remaining_s(), estimate.training_s(specs[1], digits) * (1 - job.trainer.progress))


@pytest.mark.parametrize("value, text", [(0.4, "moins d'une seconde"), (8.4, "8\u00a0s"), (59.4, "59\u00a0s"),
                                         (61, "1\u00a0min"), (148, "2\u00a0min 30\u00a0s"), (3600, "60\u00a0min")])
def test_durations_are_said_roughly_in_french(value, text):
    assert duration(value) == text


def test_estimates_cost_little_once_counted(mnist8k):
    spec = curve_spec(mnist8k, 30)
    estimate.training_s(spec, mnist8k)
    calls = estimate.step_flops.cache_info().hits
    estimate.training_s(spec, mnist8k)
    assert estimate.step_flops.cache_info().hits == calls + 1
