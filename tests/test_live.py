"""ui.live's jobs: trainers run one after another, errors in French, one chunk at a time when shared."""

import threading

import pytest

from ae_core import RunSpec, TrainConfig, build_trainer, default_spec
from ui.live import UNEXPECTED, InlineScheduler, Job


def quick(digits, **train):
    spec = default_spec(digits, 2)
    return RunSpec(spec.dataset, spec.model, TrainConfig(**{"epochs": 2, "batch_size": 256, **train}))


def test_a_job_runs_its_trainers_in_turn_and_matches_a_direct_run(digits):
    specs = [quick(digits), quick(digits, seed=1)]
    job = Job(specs, digits)
    assert len(job.trainers) == 1 and job.progress == 0
    while not job.done:
        job.advance(0.0)
        assert 0 <= job.progress <= 1
    assert job.trained and [t.spec for t in job.trainers] == specs
    direct = build_trainer(specs[1], digits)
    direct.run()
    assert job.trainers[1].history.val_loss == direct.history.val_loss


def test_a_diverging_or_failing_job_stops_with_a_french_message(digits):
    job = Job([quick(digits, lr=1e30, schedule="constant", loss="mse")], digits)
    while not job.done:
        job.advance(1.0)
    assert not job.trained and "Baissez le taux d'apprentissage" in job.error
    broken = Job([quick(digits)], digits)
    broken.trainer.step = lambda budget: 1 / 0
    broken.advance(0.1)
    assert broken.done and broken.error == UNEXPECTED


def test_a_bad_spec_fails_at_start(digits):
    with pytest.raises(ValueError):
        Job([RunSpec("mnist", default_spec(digits).model)], digits)


def test_a_shared_job_is_advanced_by_one_session_at_a_time(digits):
    job = Job([quick(digits, epochs=50)], digits)
    inside, overlaps = threading.Semaphore(0), []
    step = job.trainer.step

    def slow_step(budget):
        overlaps.append(inside.acquire(blocking=False))  # someone else inside?
        inside.release()
        step(0.0)
        inside.acquire()

    job.trainer.step = slow_step
    threads = [threading.Thread(target=job.advance, args=(0.0,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps and not any(overlaps)


def test_the_scheduler_leaves_paused_jobs_alone(digits):
    job = Job([quick(digits)], digits)
    job.running = False
    assert InlineScheduler(1).poll(job) and job.trainer.batch == 0 and job.trainer.epoch == 0
    job.running = True
    assert InlineScheduler(1).poll(job) and (job.trainer.epoch, job.trainer.batch) > (0, 0)
