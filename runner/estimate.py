"""How long a training will take on this server, said before the learner starts it.

A run's cost is its number of gradient steps (plus its validation passes) times the cost of one step,
predicted from the step's floating-point operations, counted once per model and batch size. That
prediction is then scaled by what this server's finished trainings took against their own
predictions, so the figure follows the machine (a laptop, a shared Community Cloud server) with no
constant per machine. `python -m bench.page_times` prints the estimate a page shows next to the
time it measures.
"""

from __future__ import annotations

import functools
import math
import statistics
import threading
from collections import defaultdict, deque

import torch
from torch.utils.flop_counter import FlopCounterMode

from ae_core import Dataset, ModelConfig, RunSpec, Trainer, build_model
from ae_core.rows import SHIFTS, select_rows

# One training thread of a 2-core machine, measured on the pages' recipes: MLPs reach 30 to 60
# GFLOP/s, convolutions 17 to 20; and the fixed cost of a step, which counts most at small batches.
# Only the first estimates of a process rest on them alone: every finished training then corrects
# those of its kind of network on images of its size (speed_factor).
FLOPS_PER_S = {"mlp": 60e9, "conv": 20e9}
STEP_OVERHEAD_S = 1e-3

# (kind, image shape) -> measured / predicted seconds of its last finished trainings
_ratios: defaultdict[tuple, deque[float]] = defaultdict(lambda: deque(maxlen=20))
_lock = threading.Lock()
_rows: dict[tuple, tuple[int, int]] = {}  # (dataset, sizes, rows) -> row_counts: a split costs


@functools.lru_cache(maxsize=256)
def step_flops(model: ModelConfig, batch_size: int) -> tuple[float, float]:
    """(training step, forward pass) floating-point operations at `batch_size`, counted on random images."""
    net = build_model(model)
    x = torch.rand(batch_size, *model.image_shape)
    with FlopCounterMode(display=False) as counter:
        loss, _ = net.objective(x, x, "mse", torch.Generator().manual_seed(0))
        loss.backward()
    with torch.no_grad(), FlopCounterMode(display=False) as forward:
        net(x)
    return float(counter.get_total_flops()), float(forward.get_total_flops())


def row_counts(spec: RunSpec, data: Dataset) -> tuple[int, int]:
    """(training rows, shifted copies included; validation rows) of `spec` on `data`."""
    key = (data.name, len(data), data.n_train, spec.rows)
    if key not in _rows:
        if len(_rows) >= 1000:  # learners' seeds and classes: bounded, whatever a class tries
            _rows.clear()
        train_idx, val_idx = select_rows(data, spec.rows)
        _rows[key] = len(train_idx) * (1 + len(SHIFTS) if spec.rows.shifts else 1), len(val_idx)
    return _rows[key]


def kind(model: ModelConfig) -> str:
    return "mlp" if model.arch == "mlp" else "conv"


def predicted_s(spec: RunSpec, n_train: int, n_val: int) -> float:
    """Seconds the whole run should take at FLOPS_PER_S: every step, every validation pass."""
    step, forward = step_flops(spec.model, spec.train.batch_size)
    rate = FLOPS_PER_S[kind(spec.model)]
    if spec.train.trim:
        step += forward  # the trimmed loss first scores the batch
    steps = spec.train.epochs * math.ceil(n_train / spec.train.batch_size)
    validation = spec.train.epochs * n_val / spec.train.batch_size * forward
    return steps * (STEP_OVERHEAD_S + step / rate) + validation / rate


def speed_factor(model: ModelConfig) -> float:
    """Measured over predicted seconds: the median of this server's last finished trainings of the
    model's kind on images of its shape, else of its kind, else of any (1 before any)."""
    with _lock:
        same = _ratios.get((kind(model), model.image_shape))
        ratios = same or [r for (k, _), rs in _ratios.items() if k == kind(model) for r in rs] or [
            r for rs in _ratios.values() for r in rs]
        return statistics.median(ratios) if ratios else 1.0


def observe(trainer: Trainer) -> None:
    """Learn from a training that ran to its end (its own clock: training time, not time in line)."""
    if not trainer.trained or not trainer.history.seconds:
        return
    predicted = predicted_s(trainer.spec, len(trainer.train_idx), len(trainer.val_idx))
    with _lock:
        _ratios[kind(trainer.spec.model), trainer.spec.model.image_shape].append(
            trainer.history.seconds[-1] / predicted)


def training_s(spec: RunSpec, data: Dataset) -> float:
    """Seconds that training `spec` on `data` should take on this server, once its turn comes."""
    return predicted_s(spec, *row_counts(spec, data)) * speed_factor(spec.model)
