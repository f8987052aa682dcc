"""Which rows of a dataset train, validate and test: the train/validation split, seeded subsets,
shifted copies, the one-class split, and `select_rows`, the one way a `Rows` becomes row indices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .data import Dataset
from .errors import SpecError
from .spec import Rows


def balanced_sample(labels: torch.Tensor, n: int, seed: int = 0,
                    pool: torch.Tensor | None = None) -> torch.Tensor:
    """Sorted row indices (<= n,) into `labels` (N,), n // classes of each class, drawn from `pool`."""
    pool = torch.arange(len(labels)) if pool is None else pool
    classes = labels[pool].unique()
    if n < len(classes):
        raise ValueError(f"n must be at least the number of classes ({len(classes)}), got {n}")
    g = torch.Generator().manual_seed(seed)
    per_class = n // len(classes)
    picks = []
    for c in classes:
        rows = pool[labels[pool] == c]
        picks.append(rows[torch.randperm(len(rows), generator=g)[:per_class]])
    return torch.cat(picks).sort().values


def train_val_split(data: Dataset, val_fraction: float = 0.2, seed: int = 0
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Index tensors (train, validation): the official test part when there is one, else a seeded split."""
    n = len(data)
    if data.n_train < n:
        return torch.arange(data.n_train), torch.arange(data.n_train, n)
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = max(1, round(n * val_fraction))
    return perm[n_val:].sort().values, perm[:n_val].sort().values


def subset(idx: torch.Tensor, n: int | None, seed: int = 0) -> torch.Tensor:
    """At most n of the rows idx (all of them when n is None), drawn with seed, sorted."""
    if n is None or len(idx) <= n:
        return idx
    return idx[torch.randperm(len(idx), generator=torch.Generator().manual_seed(seed))[:n]].sort().values


@dataclass(frozen=True, eq=False)
class OneClassSplit:
    """Row indices into a dataset: training (normal + a share of anomalies), validation, test.

    `reference_idx` are the validation rows of the normal classes (by label): never trained on, they
    set thresholds, since training rows score lower than new images of the same classes.
    `train_is_anomaly` (len(train_idx),) and `test_is_anomaly` (len(test_idx),) are bool tensors.
    """

    train_idx: torch.Tensor
    val_idx: torch.Tensor
    test_idx: torch.Tensor
    train_is_anomaly: torch.Tensor
    test_is_anomaly: torch.Tensor
    reference_idx: torch.Tensor


def check_normal(data: Dataset, normal_classes: tuple[int, ...]) -> list[int]:
    """The sorted normal classes; SpecError unless they are some of the classes of `data`, not all."""
    normal = sorted({int(c) for c in normal_classes})
    if not normal or min(normal) < 0 or max(normal) >= len(data.class_names):
        raise SpecError(f"Choisissez au moins une classe normale parmi les {len(data.class_names)} du jeu.")
    if len(normal) == len(data.class_names):
        raise SpecError("Laissez au moins une classe hors des classes normales : ce seront les anomalies.")
    return normal


def one_class_split(data: Dataset, normal_classes: tuple[int, ...], contamination: float = 0.0,
                    seed: int = 0, val_fraction: float = 0.1, test_fraction: float = 0.3
                    ) -> OneClassSplit:
    """Train on `normal_classes` with a share `contamination` of anomalies mixed in; test on everything.

    The test rows are the dataset's official test part (else a seeded `test_fraction`). Of the
    training pool, all normal rows are kept and anomalies are drawn so that they make up
    `contamination` of the training rows; a seeded `val_fraction` of those is held out.
    """
    normal = check_normal(data, normal_classes)
    if not 0.0 <= contamination < 0.5:
        raise SpecError(f"La part d'anomalies à l'entraînement doit être entre 0 et 50 % (reçu : {contamination}).")
    g = torch.Generator().manual_seed(seed)
    pool, test_idx = train_val_split(data, val_fraction=test_fraction, seed=seed)
    is_normal = torch.isin(data.labels, torch.tensor(normal))
    pool_normal, pool_anomal = pool[is_normal[pool]], pool[~is_normal[pool]]
    n_anomal = min(len(pool_anomal), round(contamination / (1 - contamination) * len(pool_normal)))
    chosen = pool_anomal[torch.randperm(len(pool_anomal), generator=g)[:n_anomal]]
    rows = torch.cat([pool_normal, chosen])
    rows = rows[torch.randperm(len(rows), generator=g)]
    n_val = max(1, round(len(rows) * val_fraction))
    train_idx, val_idx = rows[n_val:].sort().values, rows[:n_val].sort().values
    return OneClassSplit(train_idx, val_idx, test_idx, ~is_normal[train_idx], ~is_normal[test_idx],
                         val_idx[is_normal[val_idx]])


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




def watched_rows(data: Dataset, spec) -> torch.Tensor:
    """The rows of `data` whose codes a training of `spec` (a RunSpec) follows in History.codes: a balanced
    sample of spec.train.watch validation rows, the one ae_core.latent.latent_maps(..., n=watch) draws."""
    return balanced_sample(data.labels, spec.train.watch, pool=select_rows(data, spec.rows)[1])


SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1))


def shifted_copies(images: torch.Tensor, shifts: Sequence[tuple[int, int]] = SHIFTS) -> torch.Tensor:
    """images (N, C, H, W) followed by one copy per (dy, dx) shift, zero-filled: (N * (1 + len(shifts)), C, H, W)."""
    h, w = images.shape[-2:]
    copies = [images]
    for dy, dx in shifts:
        out = torch.zeros_like(images)
        y0, y1, x0, x1 = max(dy, 0), h + min(dy, 0), max(dx, 0), w + min(dx, 0)
        out[..., y0:y1, x0:x1] = images[..., y0 - dy:y1 - dy, x0 - dx:x1 - dx]
        copies.append(out)
    return torch.cat(copies)
