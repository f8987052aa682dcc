"""A trainer that advances in short chunks, so a page can train live and survive reruns."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .data import Dataset, to_float, train_val_split
from .models import ModelConfig, build_model
from .objectives import LOSSES, NOISES, corrupt, loss_from_logits, reconstruction_loss

SCHEDULES = ("onecycle", "constant")


class TrainingDiverged(RuntimeError):
    """The loss became non-finite; the model keeps its last finite weights."""

    def __init__(self, epoch: int):
        super().__init__(
            f"L'entraînement a divergé à l'époque {epoch + 1} : la perte est devenue infinie ou "
            "indéfinie (NaN). Le modèle garde ses derniers poids valides. "
            "Baissez le taux d'apprentissage (par exemple divisez-le par 10) et relancez.")
        self.epoch = epoch


@dataclass(frozen=True)
class TrainConfig:
    """How to train. The defaults are the app's recipe: BCE, one-cycle Adam, linear bottleneck."""

    epochs: int = 15
    batch_size: int = 256
    lr: float = 1e-2
    loss: str = "bce"
    schedule: str = "onecycle"
    noise: str = "none"
    noise_level: float = 0.0
    seed: int = 0
    device: str = "auto"

    def __post_init__(self):
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.noise not in NOISES:
            raise ValueError(f"noise must be one of {NOISES}, got {self.noise!r}")
        if not 0.0 <= self.noise_level <= 1.0:
            raise ValueError(f"noise_level must be in [0, 1], got {self.noise_level}")


# Small datasets need more, smaller steps: 1,437 digits at batch 256 are only 6 steps an epoch.
RECIPES = {"digits": {"epochs": 60, "batch_size": 64}}


def recipe(dataset: str, **overrides) -> TrainConfig:
    """The default recipe for a dataset name, with `overrides` applied."""
    return TrainConfig(**{**RECIPES.get(dataset, {}), **overrides})


def resolve_device(device: str = "auto") -> torch.device:
    """'auto' -> CUDA when present, else CPU. The one place the device is chosen."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


@dataclass
class History:
    """Per-epoch figures: `seconds` is cumulative wall time (validation included), `samples_per_s`
    the training throughput of the epoch (validation excluded)."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_mse: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    samples_per_s: list[float] = field(default_factory=list)


class Trainer:
    """Owns model, optimizer, schedule, position and history; `step()` advances one short chunk.

    `images` (N, ...) is shared and never copied: batches are gathered by index and converted to
    float one at a time. `input_fn(x, generator)` maps a clean batch to the model's input (default:
    the configured corruption; the target is always the clean batch).
    """

    def __init__(self, model_config: ModelConfig, config: TrainConfig, images: torch.Tensor,
                 train_idx: torch.Tensor, val_idx: torch.Tensor,
                 input_fn: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None):
        if len(train_idx) == 0 or len(val_idx) == 0:
            raise ValueError("train_idx and val_idx must both be non-empty")
        self.model_config, self.config = model_config, config
        self.images, self.train_idx, self.val_idx = images, train_idx, val_idx
        self.device = resolve_device(config.device)
        self.model = build_model(model_config, config.seed).to(self.device)
        if config.loss == "bce" and model_config.output != "sigmoid":
            raise ValueError("BCE needs outputs in [0, 1]: use a sigmoid output or the MSE loss")
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr, fused=True)
        self.steps_per_epoch = math.ceil(len(train_idx) / config.batch_size)
        self.scheduler = None
        if config.schedule == "onecycle":
            self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
                self.optimizer, max_lr=config.lr, total_steps=config.epochs * self.steps_per_epoch)
        self.input_fn = input_fn or (lambda x, g: corrupt(x, config.noise, config.noise_level, g))
        self.shuffle_gen = torch.Generator().manual_seed(config.seed)
        self.noise_gen = torch.Generator(self.device).manual_seed(config.seed + 1)
        self.history = History()
        self.epoch, self.batch = 0, 0
        self.diverged_at: int | None = None
        self._order = None
        self._epoch_loss = 0.0
        self._epoch_seconds = self._train_seconds = 0.0
        self._last_good = copy.deepcopy(self.model.state_dict())

    @classmethod
    def for_dataset(cls, data: Dataset, model_config: ModelConfig | None = None,
                    config: TrainConfig | None = None, **kwargs) -> Trainer:
        """A trainer on `data`'s seeded train/validation split."""
        config = config or recipe(data.name)
        model_config = model_config or ModelConfig(image_shape=data.image_shape)
        train_idx, val_idx = train_val_split(data)  # one fixed split: runs stay comparable
        return cls(model_config, config, data.images, train_idx, val_idx, **kwargs)

    @property
    def done(self) -> bool:
        return self.epoch >= self.config.epochs or self.diverged_at is not None

    @property
    def progress(self) -> float:
        """Share of all batches done, in [0, 1]."""
        return min(1.0, (self.epoch * self.steps_per_epoch + self.batch)
                   / (self.config.epochs * self.steps_per_epoch))

    @property
    def elapsed(self) -> float:
        return (self.history.seconds[-1] if self.history.seconds else 0.0) + self._epoch_seconds

    def batch_input(self, idx: torch.Tensor) -> torch.Tensor:
        """Clean float batch for row indices `idx`, on the trainer's device."""
        x = self.images[idx].to(self.device)
        return to_float(x) if x.dtype == torch.uint8 else x.float()

    def step(self, budget_s: float = 0.25) -> bool:
        """Train for about `budget_s` seconds (across epochs); True while not done.

        Raises TrainingDiverged (once) when the loss stops being finite.
        """
        deadline = time.perf_counter() + budget_s
        while not self.done:
            self._advance(deadline)  # at least one batch, however small the budget
            if time.perf_counter() >= deadline:
                break
        return not self.done

    def _advance(self, deadline: float) -> None:
        """Train batches until the epoch ends (then validate) or the deadline passes."""
        start = time.perf_counter()
        self.model.train()
        if self.batch == 0:
            self._order = self.train_idx[torch.randperm(len(self.train_idx), generator=self.shuffle_gen)]
            self._epoch_loss, self._epoch_seconds, self._train_seconds = 0.0, 0.0, 0.0
        bs = self.config.batch_size
        while self.batch < self.steps_per_epoch:
            x = self.batch_input(self._order[self.batch * bs:(self.batch + 1) * bs])
            logits = self.model.decode_logits(self.model.encode(self.input_fn(x, self.noise_gen)))
            loss = loss_from_logits(logits, x, self.config.loss, self.model_config.output)
            if not torch.isfinite(loss):
                self.model.load_state_dict(self._last_good)
                self.diverged_at = self.epoch
                raise TrainingDiverged(self.epoch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            if self.scheduler:
                self.scheduler.step()
            self._epoch_loss += loss.item() * len(x)
            self.batch += 1
            if time.perf_counter() > deadline:
                break
        self._epoch_seconds += time.perf_counter() - start
        self._train_seconds += time.perf_counter() - start
        if self.batch == self.steps_per_epoch:
            self._end_epoch()

    def _end_epoch(self):
        start = time.perf_counter()
        val_loss, val_mse = self.evaluate(self.val_idx)
        self._epoch_seconds += time.perf_counter() - start
        h, n = self.history, len(self.train_idx)
        h.train_loss.append(self._epoch_loss / n)
        h.val_loss.append(val_loss)
        h.val_mse.append(val_mse)
        h.seconds.append(self.elapsed)
        h.samples_per_s.append(n / max(self._train_seconds, 1e-9))  # training steps only
        self._epoch_seconds = 0.0
        self.epoch, self.batch = self.epoch + 1, 0
        if math.isfinite(val_loss):
            self._last_good = copy.deepcopy(self.model.state_dict())

    @torch.no_grad()
    def evaluate(self, idx: torch.Tensor, batch_size: int = 2048) -> tuple[float, float]:
        """(mean loss, mean MSE) of the clean reconstruction over rows `idx`."""
        self.model.eval()
        loss_sum = mse_sum = 0.0
        for i in range(0, len(idx), batch_size):
            x = self.batch_input(idx[i:i + batch_size])
            x_hat = self.model(x)
            loss_sum += reconstruction_loss(x_hat, x, self.config.loss).item() * len(x)
            mse_sum += reconstruction_loss(x_hat, x, "mse").item() * len(x)
        return loss_sum / len(idx), mse_sum / len(idx)

    def run(self, on_epoch_end: Callable[[Trainer], bool | None] | None = None) -> History:
        """Train to the end; `on_epoch_end(trainer)` returning True stops early."""
        while not self.done:
            self._advance(math.inf)
            if on_epoch_end and on_epoch_end(self):
                break
        return self.history
