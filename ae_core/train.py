"""A trainer that advances in short chunks, so an interactive app can train live and survive reruns,
and `build_trainer`, the one way a run specification becomes a trainer."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from .build import build_model
from .data import Dataset
from .errors import LearnerError, SpecError
from .metrics import as_float, encode
from .objectives import reconstruction_loss
from .rows import select_rows, shifted_copies, watched_rows
from .spec import RunSpec

MAX_SNAPSHOTS = 50  # History.codes: at most this many maps of the watched rows, plus the first one


class TrainingDiverged(LearnerError):
    """The loss became non-finite; the model keeps its last finite weights."""

    def __init__(self, epoch: int):
        super().__init__(
            f"L'entraînement a divergé à l'époque {epoch + 1} : la perte est devenue infinie ou "
            "indéfinie (NaN). Le modèle garde ses derniers poids valides. "
            "Baissez le taux d'apprentissage (par exemple divisez-le par 10) et relancez.")
        self.epoch = epoch


def resolve_device(device: str = "auto") -> torch.device:
    """'auto' -> CUDA when present, else CPU. The one place the device is chosen."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


@dataclass
class History:
    """Per-epoch figures: `seconds` is cumulative wall time (validation included), `samples_per_s`
    the training throughput of the epoch (validation excluded), `extra` the epoch mean of each named
    part of the model's objective (a float, or a list for a part with one value per code unit).
    `batch_loss` is the training loss of every batch, for a step-by-step view. `codes` follows the
    spec's `watch` images as the model learns: (epochs done, their codes (N, d) in float16), before
    the first epoch and then at most MAX_SNAPSHOTS times, the last epoch always."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_mse: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    samples_per_s: list[float] = field(default_factory=list)
    extra: dict[str, list] = field(default_factory=dict)
    batch_loss: list[float] = field(default_factory=list)
    codes: list[tuple[int, np.ndarray]] = field(default_factory=list)


class Trainer:
    """Owns model, optimizer, schedule, position and history of one run; `step()` advances one chunk.

    `spec` says what to train; `images` (N, ...) is shared and never copied: batches are gathered
    by index and converted to float one at a time. `input_fn(x, generator)` maps a clean batch to
    the model's input: the spec's corruption (the target is always the clean batch). The codes of
    rows `watch_rows` go to history.codes as the model learns.
    """

    def __init__(self, spec: RunSpec, images: torch.Tensor, train_idx: torch.Tensor, val_idx: torch.Tensor,
                 watch_rows: torch.Tensor | None = None):
        if len(train_idx) == 0 or len(val_idx) == 0:
            raise SpecError("Pas assez d'exemples pour entraîner et valider : il en faut au moins un de chaque.")
        self.spec, self.model_config, self.config = spec, spec.model, spec.train
        self.images, self.train_idx, self.val_idx, self.watch_rows = images, train_idx, val_idx, watch_rows
        self.device = resolve_device(self.config.device)
        self.model = build_model(self.model_config, self.config.seed).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.lr, fused=True)
        self.steps_per_epoch = math.ceil(len(train_idx) / self.config.batch_size)
        self.scheduler = None
        if self.config.schedule == "onecycle":
            self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
                self.optimizer, max_lr=self.config.lr, total_steps=self.config.epochs * self.steps_per_epoch)
        self.input_fn: Callable[[torch.Tensor, torch.Generator], torch.Tensor] = spec.corruption
        self.shuffle_gen = torch.Generator().manual_seed(self.config.seed)
        self.noise_gen = torch.Generator(self.device).manual_seed(self.config.seed + 1)
        self.history = History()
        self.epoch, self.batch = 0, 0
        self.diverged_at: int | None = None
        self._order = None
        self._epoch_loss, self._epoch_rows = 0.0, 0
        self._epoch_parts: dict[str, torch.Tensor] = {}
        self._epoch_seconds = self._train_seconds = 0.0
        self._last_good = copy.deepcopy(self.model.state_dict())

    @property
    def done(self) -> bool:
        return self.epoch >= self.config.epochs or self.diverged_at is not None

    @property
    def trained(self) -> bool:
        """Done without diverging: the model is ready to use."""
        return self.done and self.diverged_at is None

    @property
    def progress(self) -> float:
        """Share of all batches done, in [0, 1]."""
        return min(1.0, (self.epoch * self.steps_per_epoch + self.batch)
                   / (self.config.epochs * self.steps_per_epoch))

    @property
    def elapsed(self) -> float:
        return (self.history.seconds[-1] if self.history.seconds else 0.0) + self._epoch_seconds

    def progress_state(self) -> dict:
        """Where this run stands, as plain values: what a copy of the trainer in another process needs
        to follow it (the weights travel apart). The inverse of load_progress."""
        return {"epoch": self.epoch, "batch": self.batch, "diverged_at": self.diverged_at, "history": self.history,
                "epoch_seconds": self._epoch_seconds, "train_seconds": self._train_seconds}

    def load_progress(self, progress: dict) -> None:
        """Take over the position, history and clocks of another copy of this run (from progress_state)."""
        self.epoch, self.batch, self.diverged_at = progress["epoch"], progress["batch"], progress["diverged_at"]
        self.history = progress["history"]
        self._epoch_seconds, self._train_seconds = progress["epoch_seconds"], progress["train_seconds"]

    def batch_input(self, idx: torch.Tensor) -> torch.Tensor:
        """Clean float batch for row indices `idx`, on the trainer's device."""
        return as_float(self.images[idx].to(self.device))

    def step(self, budget_s: float = 0.25, clock: Callable[[], float] = time.perf_counter) -> bool:
        """Train for about `budget_s` seconds of `clock` (across epochs); True while not done. With
        time.thread_time, a budget of CPU time: the same work whatever else the machine does.

        Raises TrainingDiverged (once) when the loss stops being finite.
        """
        deadline = clock() + budget_s
        while not self.done:
            self._advance(deadline, clock=clock)  # at least one batch, however small the budget
            if clock() >= deadline:
                break
        return not self.done

    def step_batches(self, n: int | None = None) -> bool:
        """Train exactly `n` batches (None: to the end of the current epoch), validating at each
        epoch's end; True while not done. Same weights as `run()` however the steps are cut."""
        seen = self.history.batch_loss
        target = len(seen) + (self.steps_per_epoch - self.batch if n is None else n)
        while len(seen) < target and not self.done:
            self._advance(math.inf, max_batches=target - len(seen))
        return not self.done

    def _advance(self, deadline: float, max_batches: int | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        """Train batches until the epoch ends (then validate), the deadline passes, or `max_batches` are done."""
        start = time.perf_counter()
        self.model.train()
        if self.batch == 0 and self.epoch == 0 and self.watch_rows is not None and not self.history.codes:
            self._snapshot()
            self.model.train()
        if self.batch == 0:
            self._order = self.train_idx[torch.randperm(len(self.train_idx), generator=self.shuffle_gen)]
            self._epoch_loss, self._epoch_rows, self._epoch_seconds, self._train_seconds = 0.0, 0, 0.0, 0.0
            self._epoch_parts = {}
        bs = self.config.batch_size
        stop = self.steps_per_epoch if max_batches is None else min(self.steps_per_epoch, self.batch + max_batches)
        while self.batch < stop:
            x = self.batch_input(self._order[self.batch * bs:(self.batch + 1) * bs])
            x_in = self.input_fn(x, self.noise_gen)
            if self.config.trim:
                x_in, x = self._trimmed(x_in, x)
            if self.config.kl_warmup:
                done = self.epoch * self.steps_per_epoch + self.batch + 1
                self.model.kl_weight = min(1.0, done / (self.config.kl_warmup * self.steps_per_epoch))
            loss, parts = self.model.objective(x_in, x, self.config.loss, self.noise_gen)
            if not torch.isfinite(loss):
                self.model.load_state_dict(self._last_good)
                self.diverged_at = self.epoch
                raise TrainingDiverged(self.epoch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            if self.scheduler:
                self.scheduler.step()
            self.history.batch_loss.append(loss.item())
            self._epoch_loss += self.history.batch_loss[-1] * len(x)
            self._epoch_rows += len(x)  # fewer than the batch when trimmed
            for name, part in parts.items():
                self._epoch_parts[name] = self._epoch_parts.get(name, 0) + part.detach() * len(x)
            self.batch += 1
            if clock() > deadline:
                break
        self._epoch_seconds += time.perf_counter() - start
        self._train_seconds += time.perf_counter() - start
        if self.batch == self.steps_per_epoch:
            self._end_epoch()

    @torch.no_grad()
    def _trimmed(self, x_in: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch without its `trim` share of worst-reconstructed rows: a robust loss, so that a few
        anomalies mixed into the training data do not teach the model to reconstruct them. (In training
        mode: a standardised code would move its running averages twice; no recipe combines the two.)"""
        errors = (self.model(x_in) - x).pow(2).flatten(1).mean(1)
        keep = errors.argsort()[:max(1, round(len(x) * (1 - self.config.trim)))]
        return x_in[keep], x[keep]

    def _end_epoch(self):
        start = time.perf_counter()
        val_loss, val_mse = self.evaluate(self.val_idx)
        self._epoch_seconds += time.perf_counter() - start
        h, n = self.history, len(self.train_idx)
        h.train_loss.append(self._epoch_loss / self._epoch_rows)
        h.val_loss.append(val_loss)
        h.val_mse.append(val_mse)
        h.seconds.append(self.elapsed)
        h.samples_per_s.append(n / max(self._train_seconds, 1e-9))  # training steps only
        for name, total in self._epoch_parts.items():
            mean = (total / self._epoch_rows).cpu()
            h.extra.setdefault(name, []).append(mean.item() if mean.numel() == 1 else mean.tolist())
        self._epoch_seconds = 0.0
        self.epoch, self.batch = self.epoch + 1, 0
        every = math.ceil(self.config.epochs / MAX_SNAPSHOTS)
        if self.watch_rows is not None and (self.epoch % every == 0 or self.epoch == self.config.epochs):
            self._snapshot()
        if math.isfinite(val_loss):
            self._last_good = copy.deepcopy(self.model.state_dict())

    def _snapshot(self) -> None:
        """Keep the codes of the watched rows now (a few milliseconds: python -m bench.live_map)."""
        codes = encode(self.model, self.images[self.watch_rows])
        self.history.codes.append((self.epoch, codes.numpy().astype(np.float16)))

    @torch.no_grad()
    def evaluate(self, idx: torch.Tensor, batch_size: int = 2048) -> tuple[float, float]:
        """(mean loss, mean MSE) of the clean reconstruction over rows `idx`. A VAE's loss is its
        objective at full KL weight (codes drawn from a generator of its own, the same at every call)."""
        self.model.eval()
        variational = self.model_config.variational
        gen = torch.Generator(self.device).manual_seed(self.config.seed + 2)
        loss_sum = mse_sum = 0.0
        for i in range(0, len(idx), batch_size):
            x = self.batch_input(idx[i:i + batch_size])
            x_hat = self.model(x)
            if variational:
                parts = self.model.objective(x, x, self.config.loss, gen)[1]
                loss = parts["reconstruction"] + self.model_config.beta * parts["kl"]
            else:
                loss = reconstruction_loss(x_hat, x, self.config.loss)
            loss_sum += loss.item() * len(x)
            mse_sum += reconstruction_loss(x_hat, x, "mse").item() * len(x)
        return loss_sum / len(idx), mse_sum / len(idx)

    def run(self, on_epoch_end: Callable[[Trainer], bool | None] | None = None) -> History:
        """Train to the end; `on_epoch_end(trainer)` returning True stops early."""
        while not self.done:
            self._advance(math.inf)
            if on_epoch_end and on_epoch_end(self):
                break
        return self.history


def build_trainer(spec: RunSpec, data: Dataset) -> Trainer:
    """The trainer of `spec` on `data` (the dataset the spec names, already loaded)."""
    if data.name != spec.dataset:
        raise ValueError(f"the spec names {spec.dataset!r}, the data is {data.name!r}")
    if tuple(data.image_shape) != spec.model.image_shape:
        raise SpecError(f"Ce modèle attend des données de forme {spec.model.image_shape}, "
                        f"le jeu « {data.title} » a la forme {tuple(data.image_shape)}.")
    train_idx, val_idx = select_rows(data, spec.rows)
    images, watch = data.images, watched_rows(data, spec) if spec.train.watch else None
    if spec.rows.shifts:
        # The copies are this trainer's own: (9 x train + val) images, the training rows first.
        images = torch.cat([shifted_copies(data.images[train_idx]), data.images[val_idx]])
        n_train = len(images) - len(val_idx)
        if watch is not None:  # where the watched validation rows went among the copies
            order = val_idx.argsort()
            watch = n_train + order[torch.searchsorted(val_idx[order], watch)]
        train_idx, val_idx = torch.arange(n_train), torch.arange(n_train, len(images))
    return Trainer(spec, images, train_idx, val_idx, watch)
