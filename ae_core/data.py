"""Datasets held once per process as uint8 tensors, and toy 3-D manifolds (row selection: ae_core.rows)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import LearnerError

DATASETS = {"digits": "Chiffres (scikit-learn, 8×8)", "mnist": "MNIST (28×28)",
            "fashion_mnist": "Fashion-MNIST (28×28)"}
DEFAULT_DATASET = "digits"  # ships with scikit-learn: works offline, the app's fallback
SHAPES = {"digits": (1, 8, 8), "mnist": (1, 28, 28), "fashion_mnist": (1, 28, 28)}  # (C, H, W) of each
FASHION_NAMES = ("T-shirt/haut", "Pantalon", "Pull", "Robe", "Manteau",
                 "Sandale", "Chemise", "Basket", "Sac", "Bottine")
DIGIT_NAMES = tuple(str(d) for d in range(10))


class DatasetUnavailable(LearnerError):
    """A dataset could not be read or downloaded; the message is French and says what to do."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images (N, C, H, W) and labels (N,); the first `n_train` rows are the training pool.

    Image datasets hold uint8 pixels and class labels; a table or a point cloud holds float rows
    viewed as (N, 1, 1, F) images, with no class names.
    """

    name: str
    images: torch.Tensor
    labels: torch.Tensor
    class_names: tuple[str, ...]
    n_train: int

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    @property
    def title(self) -> str:
        return DATASETS.get(self.name, self.name)

    def __len__(self) -> int:
        return len(self.images)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float32 in [0, 1]; done per batch so the dataset stays uint8."""
    return images.float().div_(255.0)


def default_data_dir() -> Path:
    """AE_DATA_DIR, else a per-user cache folder."""
    if os.environ.get("AE_DATA_DIR"):
        return Path(os.environ["AE_DATA_DIR"])
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "atelier-autoencodeurs"


def load_dataset(name: str, data_dir: str | Path | None = None,
                 progress: Callable[[float, str], None] | None = None) -> Dataset:
    """Load a dataset by name: 'digits' (offline), 'mnist' or 'fashion_mnist' (torchvision)."""
    if name == "digits":
        return _load_digits()
    if name in ("mnist", "fashion_mnist"):
        return _load_torchvision(name, Path(data_dir) if data_dir else default_data_dir(), progress)
    raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")


def _load_digits() -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    # Pixel values are 0..16; rescale to the 0..255 range of the other datasets.
    images = np.clip(np.rint(bunch.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    return Dataset("digits", torch.from_numpy(images).unsqueeze(1),  # (N, 1, 8, 8)
                   torch.from_numpy(bunch.target).long(), DIGIT_NAMES, len(images))


def _load_torchvision(name: str, root: Path, progress) -> Dataset:
    from torchvision import datasets

    cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    names = DIGIT_NAMES if name == "mnist" else FASHION_NAMES
    parts = []
    for i, train in enumerate((True, False)):
        if progress:
            progress(i / 2, f"Chargement de {DATASETS[name]} ({'entraînement' if train else 'test'})…")
        parts.append(_torchvision_split(cls, DATASETS[name], root, train))
    if progress:
        progress(1.0, f"{DATASETS[name]} prêt.")
    images = torch.cat([p.data for p in parts]).unsqueeze(1)  # (N, 1, 28, 28) uint8
    labels = torch.cat([p.targets for p in parts]).long()
    return Dataset(name, images, labels, names, len(parts[0].data))


def _torchvision_split(cls, title: str, root: Path, train: bool):
    try:
        return cls(root=str(root), train=train, download=False)
    except RuntimeError:
        pass  # not on disk yet: download below
    try:
        root.mkdir(parents=True, exist_ok=True)
        return cls(root=str(root), train=train, download=True)
    except Exception as exc:  # noqa: BLE001 - any network or file error means the same to a learner
        raise DatasetUnavailable(
            f"Impossible de télécharger le jeu {title} (pas d'accès réseau ?). "
            f"Utilisez le jeu « Chiffres » intégré, ou placez les fichiers du jeu dans "
            f"« {root} » (variable d'environnement AE_DATA_DIR) puis réessayez.") from exc


MANIFOLDS = {"s_curve": "Courbe en S", "swiss_roll": "Rouleau suisse"}


def make_manifold(name: str, n: int = 1000, noise: float = 0.0, seed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Standardised 3-D points (n, 3) float32 and their intrinsic coordinate t (n,)."""
    from sklearn.datasets import make_s_curve, make_swiss_roll

    if name not in MANIFOLDS:
        raise ValueError(f"unknown manifold {name!r}; choose one of {sorted(MANIFOLDS)}")
    make = make_s_curve if name == "s_curve" else make_swiss_roll
    X, t = make(n_samples=n, noise=noise, random_state=seed)
    X = (X - X.mean(0)) / X.std(0)
    return X.astype(np.float32), t.astype(np.float32)


def manifold_dataset(name: str, n: int = 1000, seed: int = 0) -> Dataset:
    """make_manifold's points as a Dataset: images (n, 1, 1, 3) float32, labels the coordinate t (n,)."""
    X, t = make_manifold(name, n, seed=seed)
    return Dataset(name, torch.from_numpy(X).view(n, 1, 1, -1), torch.from_numpy(t), (), n)
