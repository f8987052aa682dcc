"""What to train, said once: a frozen run specification, the default recipes, and one way to build a trainer.

A user interface turns its widgets into a `RunSpec`; `build_trainer(spec, data)` turns the spec into a trainer.
The spec is hashable (caches and memos key on it) and converts to and from a flat mapping of plain
values (a web address can carry it). Same spec, same data -> same weights on a CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from types import NoneType, UnionType
from typing import Any, get_args, get_origin, get_type_hints

import torch

from .anomaly import OneClassSplit, one_class_split
from .corruption import Corruption
from .data import Dataset, shifted_copies, subset, train_val_split
from .errors import SpecError
from .models import ModelConfig
from .train import TrainConfig, Trainer


@dataclass(frozen=True)
class Rows:
    """Which rows of the data train and validate.

    max_train, max_val: seeded subsets (None: every row). val_fraction: the share held out for
    validation when the data has no official test part (0: validate on the training rows themselves);
    for one-class rows, the share of the training pool held out. normal: train on these classes only
    (one-class), with a share `contamination` of the other classes mixed in. shifts: add 8 copies of
    each training image shifted by one pixel. seed: the split's seed.
    """

    max_train: int | None = None
    max_val: int | None = None
    val_fraction: float = 0.2
    normal: tuple[int, ...] = ()
    contamination: float = 0.0
    shifts: bool = False
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "normal", tuple(sorted({int(c) for c in self.normal})))
        for name in ("max_train", "max_val"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise SpecError(f"Il faut garder au moins une image ({name} = {value}).")
        if not 0.0 <= self.val_fraction < 1.0:
            raise SpecError(f"La part de validation doit être entre 0 et 1 (reçu : {self.val_fraction}).")
        if not 0.0 <= self.contamination < 0.5:
            raise SpecError("La part d'anomalies à l'entraînement doit être entre 0 et 50 % "
                            f"(reçu : {self.contamination}).")


@dataclass(frozen=True)
class RunSpec:
    """Everything one training run depends on: data, rows, model, training and input corruption."""

    dataset: str
    model: ModelConfig
    train: TrainConfig = field(default_factory=TrainConfig)
    corruption: Corruption = field(default_factory=Corruption)
    rows: Rows = field(default_factory=Rows)

    def __post_init__(self):
        if self.train.loss == "bce" and self.model.output != "sigmoid":
            raise SpecError("La perte BCE demande des sorties entre 0 et 1 : choisissez une sortie sigmoïde "
                            "ou la perte MSE.")
        c, h, w = self.model.image_shape
        if self.corruption.kind == "super_resolution" and (h % self.corruption.factor or w % self.corruption.factor):
            raise SpecError(f"Des images {h}×{w} ne se réduisent pas d'un facteur {self.corruption.factor}.")

    def to_flat(self) -> dict[str, Any]:
        """{'dataset': …, 'model.latent_dim': 12, 'model.hidden': '128,64', …}: plain values only."""
        flat: dict[str, Any] = {"dataset": self.dataset}
        for section in SECTIONS:
            part = getattr(self, section)
            for f in fields(part):
                flat[f"{section}.{f.name}"] = _plain(getattr(part, f.name))
        return flat

    @classmethod
    def from_flat(cls, flat: dict[str, Any]) -> RunSpec:
        """The spec of a flat mapping (missing keys take their defaults); SpecError on a bad key or value."""
        if "dataset" not in flat:
            raise SpecError("Le réglage ne nomme pas de jeu de données.")
        known = {"dataset"} | {f"{s}.{f.name}" for s, c in SECTIONS.items() for f in fields(c)}
        unknown = sorted(set(flat) - known)
        if unknown:
            raise SpecError("Réglages inconnus : " + ", ".join(f"« {k} »" for k in unknown) + ".")
        parts = {}
        for section, config_cls in SECTIONS.items():
            hints = get_type_hints(config_cls)
            kwargs = {}
            for f in fields(config_cls):
                key = f"{section}.{f.name}"
                if key in flat:
                    try:
                        kwargs[f.name] = _parse(flat[key], hints[f.name])
                    except (TypeError, ValueError):
                        raise SpecError(f"Valeur invalide pour « {key} » : {flat[key]!r}.") from None
            parts[section] = config_cls(**kwargs)
        return cls(str(flat["dataset"]), **parts)


SECTIONS = {"model": ModelConfig, "train": TrainConfig, "corruption": Corruption, "rows": Rows}


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return value


def _parse(value, hint):
    """A plain value (often the text of an address) as the type `hint` of a config field."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is UnionType:  # X | None
        if value is None or value == "":
            return None
        return _parse(value, next(a for a in args if a is not NoneType))
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else value
        return tuple(int(v) for v in items if str(v).strip())
    if hint is bool:
        text = str(value).strip().lower()
        if text not in ("1", "0", "true", "false"):
            raise ValueError(value)
        return text in ("1", "true")
    if hint is float:
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    if hint is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return hint(value)


# --- rows -----------------------------------------------------------------------------------------

def one_class_rows(data: Dataset, rows: Rows) -> OneClassSplit:
    """The one-class split (training pool, validation, test on every class) that `rows` names."""
    return one_class_split(data, rows.normal, rows.contamination, rows.seed, rows.val_fraction)


def select_rows(data: Dataset, rows: Rows) -> tuple[torch.Tensor, torch.Tensor]:
    """(training rows, validation rows) of `data` that `rows` names."""
    if rows.normal:
        split = one_class_rows(data, rows)
        train_idx, val_idx = split.train_idx, split.val_idx
    elif rows.val_fraction == 0:
        train_idx = val_idx = torch.arange(data.n_train)
    else:
        train_idx, val_idx = train_val_split(data, rows.val_fraction, rows.seed)
    return subset(train_idx, rows.max_train, rows.seed), subset(val_idx, rows.max_val, rows.seed)


def build_trainer(spec: RunSpec, data: Dataset) -> Trainer:
    """The trainer of `spec` on `data` (the dataset the spec names, already loaded)."""
    if data.name != spec.dataset:
        raise ValueError(f"the spec names {spec.dataset!r}, the data is {data.name!r}")
    if tuple(data.image_shape) != spec.model.image_shape:
        raise SpecError(f"Ce modèle attend des données de forme {spec.model.image_shape}, "
                        f"le jeu « {data.title} » a la forme {tuple(data.image_shape)}.")
    train_idx, val_idx = select_rows(data, spec.rows)
    images = data.images
    if spec.rows.shifts:
        # The copies are this trainer's own: (9 x train + val) images, the training rows first.
        images = torch.cat([shifted_copies(data.images[train_idx]), data.images[val_idx]])
        n_train = len(images) - len(val_idx)
        train_idx, val_idx = torch.arange(n_train), torch.arange(n_train, len(images))
    return Trainer(spec, images, train_idx, val_idx)


# --- the default recipes --------------------------------------------------------------------------

# Small datasets need more, smaller steps: 1,437 digits at batch 256 are only 6 steps an epoch.
TRAIN_DEFAULTS = {"digits": {"epochs": 60, "batch_size": 64}}


def default_train(dataset: str, **overrides) -> TrainConfig:
    """The default training of a dataset (BCE, one-cycle Adam), with `overrides` applied."""
    return TrainConfig(**{**TRAIN_DEFAULTS.get(dataset, {}), **overrides})


# The training page's budget is counted in gradient steps, not epochs, so that a larger dataset
# costs no more time: 3,750 steps of 64 images are 30 passes over mnist8k's 8,000 training images
# and 4 over full MNIST's 60,000. Digits (1,437 training images) stops at the epoch slider's 100.
DEFAULT_STEPS, DEFAULT_BATCH, MAX_EPOCHS = 3750, 64, 100


def default_epochs(data: Dataset, batch_size: int = DEFAULT_BATCH, steps: int = DEFAULT_STEPS) -> int:
    """Epochs that make about `steps` gradient steps over the training rows of `data` (1 to MAX_EPOCHS)."""
    n_train = len(select_rows(data, Rows())[0])
    return min(MAX_EPOCHS, max(1, round(steps / math.ceil(n_train / batch_size))))


def default_spec(data: Dataset, latent_dim: int = 12, **train) -> RunSpec:
    """The training page's recipe: an MLP 128-64 with a linear bottleneck of `latent_dim` numbers,
    BCE, one-cycle Adam up to 1e-2, batches of 64 for about DEFAULT_STEPS steps (`train` overrides).

    It beats standard PCA at every code size from 1 to 16 on digits and from 1 to 32 on mnist8k
    (tests/test_quality.py; every size in `python -m ae_core.bench_recipes`). Past about 20 numbers
    on digits PCA wins: 8×8 images have only 61 varying pixels, which PCA keeps almost exactly.
    """
    model = ModelConfig("mlp", data.image_shape, latent_dim, (128, 64), "linear")
    train = {"epochs": default_epochs(data), "batch_size": DEFAULT_BATCH, "lr": 1e-2, **train}
    return RunSpec(data.name, model, TrainConfig(**train))


def _map_model(data: Dataset, latent_dim: int) -> ModelConfig:
    hidden = (256, 128) if math.prod(data.image_shape) > 256 else (128, 64)
    return ModelConfig("mlp", data.image_shape, latent_dim, hidden, "linear")


def map_spec(data: Dataset, latent_dim: int = 2, seed: int = 0) -> RunSpec:
    """An MLP autoencoder whose small code can be drawn as a map, on at most 10,000 training rows."""
    return RunSpec(data.name, _map_model(data, latent_dim), default_train(data.name, seed=seed),
                   rows=Rows(max_train=10_000, seed=seed))


def curve_sizes(image_shape: tuple[int, int, int]) -> tuple[int, ...]:
    """Code sizes for an error-vs-size curve: up to 30 (Hinton & Salakhutdinov's MNIST reference) on
    large images, up to 10 on small ones, where 30 numbers would be half the pixels."""
    return (2, 10, 30) if math.prod(image_shape) >= 256 else (2, 5, 10)


def curve_spec(data: Dataset, latent_dim: int, seed: int = 0) -> RunSpec:
    """map_spec's autoencoder at code size `latent_dim`, trained on shifted copies of images of 16 pixels or more.

    On 8,000 MNIST digits a 30-number autoencoder learns its training images by heart (after 40 epochs,
    squared error 3 to 5 per training image but 8.7 per validation image); shifted copies give 9 times
    more data for the same digits, so fewer passes are needed.
    """
    shifts = min(data.image_shape[1:]) >= 16
    train = default_train(data.name, seed=seed, **({"epochs": 6, "batch_size": 128} if shifts else {}))
    return RunSpec(data.name, _map_model(data, latent_dim), train,
                   rows=Rows(max_train=10_000, shifts=shifts, seed=seed))


def restoration_spec(data: Dataset, corruption: Corruption | None = None, seed: int = 0) -> RunSpec:
    """The course's convolutional autoencoder (no linear bottleneck) learning to undo `corruption` (None: none).

    Sizes that train in seconds on a CPU and still clear the quality bars (tests/test_restore.py):
    every digit for 30 epochs, or 2,000 images for 5 epochs; batches of 64, since a few thousand
    images at 256 a batch give too few steps to learn in 5 epochs.
    """
    small = data.name == "digits"
    model = ModelConfig("conv", data.image_shape, None)
    train = default_train(data.name, epochs=30 if small else 5, batch_size=64, seed=seed)
    return RunSpec(data.name, model, train, corruption or Corruption(),
                   Rows(max_train=None if small else 2000, max_val=1000, seed=seed))


def one_class_spec(data: Dataset, normal: tuple[int, ...], contamination: float = 0.0, latent_dim: int = 4,
                   seed: int = 0) -> RunSpec:
    """A small MLP with a narrow code trained on the `normal` classes only (and some contamination).

    Two choices make its reconstruction error an anomaly score at least as good as PCA's at the same
    code size (tests/test_anomaly.py, mean AUC over the ten digits of mnist8k): a small network
    (64-32) with a narrow code of 4 numbers, so that only what the normal class has in common gets
    through, and a robust loss that leaves out each batch's 20 % worst-reconstructed images (`trim`),
    so that the anomalies mixed into the training data do not teach the model to reconstruct them.
    """
    model = ModelConfig("mlp", data.image_shape, latent_dim, (64, 32), "linear")
    small = data.name == "digits"
    train = TrainConfig(epochs=60, batch_size=32 if small else 64, lr=1e-2, seed=seed, trim=0.2)
    return RunSpec(data.name, model, train,
                   rows=Rows(normal=normal, contamination=contamination, val_fraction=0.1, seed=seed))


def table_spec(data: Dataset, seed: int = 0) -> RunSpec:
    """An MLP autoencoder (MSE, linear output) for a table of standardised columns viewed as (N, 1, 1, F)."""
    n_features, n_rows = data.image_shape[-1], len(data)
    if n_features < 2:
        raise SpecError(f"Un autoencodeur de données tabulaires a besoin d'au moins 2 colonnes (reçu : {n_features}).")
    hidden = max(8, min(64, 2 * n_features))
    latent = max(1, min(8, n_features // 3))
    model = ModelConfig("mlp", data.image_shape, latent, (hidden,), "linear", "linear")
    train = TrainConfig(epochs=100, batch_size=max(8, min(128, n_rows // 8)), lr=1e-3, loss="mse", seed=seed)
    return RunSpec(data.name, model, train, rows=Rows(val_fraction=1 / 7, seed=seed))


def manifold_spec(data: Dataset, seed: int = 0) -> RunSpec:
    """A small 3 -> 2 -> 3 MLP (MSE, linear output) for standardised points, validated on the same points."""
    model = ModelConfig("mlp", data.image_shape, 2, (32, 32), "linear", "linear")
    train = TrainConfig(epochs=60, batch_size=64, lr=2e-2, loss="mse", seed=seed)
    return RunSpec(data.name, model, train, rows=Rows(val_fraction=0.0, seed=seed))


# --- generation: a plain autoencoder and a VAE, trained alike ------------------------------------

BETAS = (0.0, 0.5, 1.0, 2.0, 4.0)
GENERATION_STEPS = 1260  # 20 passes over mnist8k's 8,000 images at batch 128; digits stops at 100


def generation_spec(data: Dataset, variational: bool, latent_dim: int = 2, beta: float = 1.0,
                    seed: int = 0) -> RunSpec:
    """The generation page's recipe: an MLP (256-128, or 128-64 on 8 × 8 images) with a code of
    `latent_dim` numbers, BCE, one-cycle Adam up to 3e-3, batches of 128 for about
    GENERATION_STEPS steps. The VAE weighs its KL term by `beta`; the plain autoencoder is the same
    network without it. Measured in `python -m ae_core.bench_generate`."""
    hidden = (128, 64) if min(data.image_shape[1:]) < 16 else (256, 128)
    model = ModelConfig("mlp", data.image_shape, latent_dim, hidden, variational=variational,
                        beta=beta if variational else 1.0)
    train = TrainConfig(epochs=default_epochs(data, 128, GENERATION_STEPS), batch_size=128, lr=3e-3, seed=seed)
    return RunSpec(data.name, model, train)


def generation_pair(data: Dataset, latent_dim: int = 2, beta: float = 1.0) -> tuple[RunSpec, RunSpec]:
    """(plain autoencoder, VAE), same widths, code size, data and budget."""
    return generation_spec(data, False, latent_dim), generation_spec(data, True, latent_dim, beta)


def beta_specs(data: Dataset, latent_dim: int = 2) -> tuple[RunSpec, ...]:
    """One VAE per β of BETAS, for the β trade-off."""
    return tuple(generation_spec(data, True, latent_dim, beta) for beta in BETAS)


# --- the variants page: each variant beside a plain autoencoder of the same size ------------------

VARIANT_STEPS, VARIANT_MAX_EPOCHS = 1260, 60  # 20 epochs on mnist8k; digits stops at 60 (under 5 s)
CONTRACTIVE_MAX_EPOCHS = 80  # digits: 80 epochs (4-5 s) for the contraction to settle
VARIANTS = {"sparse": ("l1", 32), "contractive": ("contractive", 12), "vq": ("vq", 16)}  # penalty, code size
WEIGHTS = {  # λ (the VQ-VAE's commitment cost): the default, then the page's price sweep
    "sparse": (1e-3, (0.0, 3e-4, 1e-3, 3e-3)),
    "contractive": (2e-3, (0.0, 5e-4, 2e-3, 8e-3)),
    # On 8 × 8 images a standardised code is about 6 times as sensitive (||dz/dx||^2 about 100 against
    # 16 on 28 × 28 ones, without penalty): the same λ would weigh about 6 times as much.
    "contractive 8x8": (5e-4, (0.0, 1e-4, 5e-4, 2e-3)),
    "vq": (0.25, (0.1, 0.25, 1.0)),
}


def variant_weights(data: Dataset, variant: str) -> tuple[float, tuple[float, ...]]:
    """(default λ, the λ of the page's price sweep) of `variant` on `data`."""
    small = variant == "contractive" and min(data.image_shape[1:]) < 16
    return WEIGHTS[f"{variant} 8x8" if small else variant]


def variant_spec(data: Dataset, variant: str, weight: float | None = None, seed: int = 0) -> RunSpec:
    """The variants page's recipe for `variant` ("plain_<variant>": the plain autoencoder beside it):
    an MLP 128-64 (a VQ-VAE: two stride-2 convolutions, a codebook of 64 vectors of 16 numbers),
    BCE, one-cycle Adam up to 3e-3, batches of 128, about VARIANT_STEPS steps (60 epochs at most, 80
    for the contractive one). `weight` is λ (the commitment cost for the VQ-VAE); None takes
    variant_weights' default. Measured in `python -m ae_core.bench_variants`."""
    plain = variant.startswith("plain_")
    name = variant.removeprefix("plain_")
    penalty, latent = VARIANTS[name]
    weight = variant_weights(data, name)[0] if weight is None else weight
    if penalty == "vq" and not plain:
        model = ModelConfig("vq", data.image_shape, latent, weight=weight, codebook=64, downsample=2)
    else:  # a plain twin has no penalty; the VQ-VAE's is an MLP whose code has as many numbers (16)
        # The sparse code goes through a ReLU, so that an unused unit is exactly 0; the contractive
        # one is standardised, so that it cannot shrink away from its penalty. Each twin: the same.
        bottleneck = {"l1": "relu", "contractive": "standardised"}.get(penalty, "linear")
        model = ModelConfig("mlp", data.image_shape, latent, (128, 64), bottleneck,
                            penalty="none" if plain else penalty, weight=0.0 if plain else weight)
    cap = CONTRACTIVE_MAX_EPOCHS if penalty == "contractive" else VARIANT_MAX_EPOCHS
    epochs = min(cap, default_epochs(data, 128, VARIANT_STEPS))
    train = TrainConfig(epochs=epochs, batch_size=128, lr=3e-3, seed=seed)
    return RunSpec(data.name, model, train)
