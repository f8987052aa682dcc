"""runner.jobs: trainers run one after another, errors in French, one chunk at a time when shared."""

import threading
import time

import pytest

import runner.jobs as jobs
from ae_core import RunSpec, TrainConfig, build_trainer, default_spec
from runner.jobs import UNEXPECTED, Job, WorkerPool


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


def test_a_finished_trainer_of_the_same_spec_stands_for_its_training(digits, monkeypatch):
    import torch

    specs = [quick(digits), quick(digits, seed=1), quick(digits, seed=2)]
    done, unfinished = build_trainer(specs[1], digits), build_trainer(specs[2], digits)
    done.run()
    built = []
    monkeypatch.setattr(jobs, "build_trainer", lambda spec, data: built.append(spec) or build_trainer(spec, data))
    job = Job(specs, digits, finished=[done, unfinished])
    while not job.done:
        job.advance(0.0)
    copy = job.trainers[1]
    assert copy is not done and copy.images is done.images  # a copy, sharing the dataset's images
    assert torch.equal(copy.model.encoder[0].weight, done.model.encoder[0].weight)
    assert copy.history.val_loss == done.history.val_loss and built == [specs[0], specs[2]]  # not trained again
    assert job.trainers[2] is not unfinished and job.trainers[2].done  # an unfinished one is trained anew
    copy.model.encoder[0].weight.data.zero_()
    assert done.model.encoder[0].weight.abs().sum() > 0  # the learner's model is untouched


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


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


@pytest.mark.slow
@pytest.mark.parametrize("in_child", [True, False])
def test_workers_train_without_anyone_asking_and_leave_paused_jobs_alone(digits, in_child):
    pool = WorkerPool(1, chunk_s=lambda: 0.01, in_child=in_child)
    job = Job([quick(digits, epochs=200)], digits)
    pool.submit(job, "a")
    assert wait_for(lambda: job.trainer.epoch >= 2)  # nobody polls: the worker trains on its own
    job.pause()
    position = (job.trainer.epoch, job.trainer.batch)
    time.sleep(0.3)
    assert (job.trainer.epoch, job.trainer.batch) == position and wait_for(lambda: pool.waiting() == 0)
    job.step_batches(1)  # a teacher's « Un pas » goes on from where the worker stopped
    assert len(job.trainer.history.batch_loss) == position[0] * job.trainer.steps_per_epoch + position[1] + 1
    position = (job.trainer.epoch, job.trainer.batch)
    pool.submit(job, "a")
    assert wait_for(lambda: (job.trainer.epoch, job.trainer.batch) > position)
    job.pause()
    pool.stop()


@pytest.mark.slow
def test_a_job_trained_in_the_child_matches_a_direct_run_and_its_end_is_logged(digits, caplog):
    pool = WorkerPool(1, chunk_s=lambda: 0.05)
    specs = [quick(digits), quick(digits, seed=1)]
    job = Job(specs, digits)
    with caplog.at_level("INFO", logger="runner.jobs"):
        pool.submit(job, "a")
        assert wait_for(lambda: job.done)
        assert wait_for(lambda: "job of a done" in caplog.text)  # logged just after the end: wait for it here
    pool.stop()
    direct = build_trainer(specs[1], digits)
    direct.run()
    assert job.trained and job.trainers[1].history.val_loss == direct.history.val_loss
    assert job.trainers[1].images is digits.images  # never a copy of the dataset per job


def test_learners_take_turns_and_one_learners_jobs_queue_behind_each_other(digits):
    order = []

    class Recorded(Job):
        def advance(self, budget_s, process=None):
            order.append(self.name)
            super().advance(budget_s, process)

    def job(name, epochs):
        j = Recorded([quick(digits, epochs=epochs)], digits)
        j.name = name
        return j

    pool = WorkerPool(1, chunk_s=lambda: 0.0, in_child=False)  # one batch a turn
    a1, a2, b = job("a1", 2), job("a2", 2), job("b", 2)
    with pool._changed:  # queue all three before the worker looks
        pool.submit(a1, "a")
        pool.submit(a2, "a")
        pool.submit(b, "b")
    assert wait_for(lambda: a1.done and a2.done and b.done)
    first_b = order.index("b")
    assert first_b <= 1  # b did not wait for a's jobs
    assert order.index("a2") > max(i for i, name in enumerate(order) if name == "a1")  # a2 after a1
    turns = order[:2 * min(order.count("a1"), order.count("b"))]
    assert abs(turns.count("a1") - turns.count("b")) <= 1  # a and b alternate


def test_a_job_nobody_looks_at_is_paused_and_let_go(digits, monkeypatch):
    monkeypatch.setattr(jobs, "ABANDON_S", 0.2)
    pool = WorkerPool(1, chunk_s=lambda: 0.01, in_child=False)
    job = Job([quick(digits, epochs=500)], digits)
    pool.submit(job, "a")
    assert wait_for(lambda: not job.running, timeout=10)  # no panel refreshed job.last_seen
    assert pool.waiting() == 0 and not job.done
