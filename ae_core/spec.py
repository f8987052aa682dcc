"""What to train, said once: a frozen run specification of the data's rows, the model, the training and
the input corruption.

A user interface turns its widgets into a `RunSpec`; `ae_core.train.build_trainer(spec, data)` turns the
spec into a trainer. Every part is validated where it is built (a bad value raises a French
`SpecError`) and hashable, so caches and memos key on the spec. Same spec, same data -> same weights
on a CPU. This module sits on the ground floor: it imports no model and no trainer.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from .corruption import Corruption
from .errors import SpecError, quote
from .objectives import LOSSES

ARCHS = ("mlp", "conv", "vq", "conv1d")  # conv1d: signals, image_shape (C, 1, length)
BOTTLENECKS = ("linear", "relu", "sigmoid", "standardised")  # standardised: see models.Standardise
PENALTIES = ("none", "l1", "rate", "contractive")  # sparse (L1 or target rate), contractive: ae_core.variants
OUTPUTS = ("sigmoid", "linear")  # linear: unbounded data such as standardised table columns
SCHEDULES = ("onecycle", "constant")  # of the learning rate
# One size limit everywhere: every model the app lets a learner build downloads as a file of at most
# 4.8 MB of float32 weights, under the server's 5 MB upload limit, so it can be uploaded again.
MAX_PARAMETERS = 1_200_000
MAX_INPUT = 4096  # numbers per example: 28 x 28 images, 64 x 64 at most, or a table's columns
MAX_WATCH = 1000  # TrainConfig.watch: codes followed during a training (History.codes)


def _integer(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SpecError(f"Le champ « {name} » doit être un nombre entier (reçu : {quote(value)}).")
    return int(value)


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise SpecError(f"Le champ « {name} » doit être un nombre fini (reçu : {quote(value)}).")
    return float(value)


@dataclass(frozen=True)
class ModelConfig:
    """What to build. `latent_dim=None` (conv only) is the course's model, with no linear bottleneck.
    `variational` builds a VAE whose loss weighs the KL term by `beta`. `penalty` adds a sparse
    or contractive term weighed by `weight` (`rate`: the target activation of the "rate" form).
    arch "vq" is a VQ-VAE (ae_core.variants): `downsample` stride-2 convolutions to a grid of
    `latent_dim`-vectors, a codebook of `codebook` vectors, `weight` the commitment cost. arch "conv1d"
    is the convolutional model for signals, image_shape (C, 1, length): 1-D convolutions of width 7."""

    arch: str = "mlp"
    image_shape: tuple[int, int, int] = (1, 28, 28)
    latent_dim: int | None = 12
    hidden: tuple[int, ...] = (128, 64)
    bottleneck: str = "linear"
    output: str = "sigmoid"
    variational: bool = False
    beta: float = 1.0
    penalty: str = "none"
    weight: float = 0.0
    rate: float = 0.05
    codebook: int = 64
    downsample: int = 2

    def __post_init__(self):
        self._check_types()
        if self.arch not in ARCHS:
            raise SpecError(f"Architecture inconnue « {quote(self.arch)} » : choisissez « mlp », « conv », « vq » "
                            "ou « conv1d ».")
        if self.bottleneck not in BOTTLENECKS:
            raise SpecError(f"Activation du goulot inconnue « {quote(self.bottleneck)} » : « linear », « relu », "
                            "« sigmoid » ou « standardised ».")
        if self.output not in OUTPUTS:
            raise SpecError(f"Sortie inconnue « {quote(self.output)} » : « sigmoid » ou « linear ».")
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise SpecError(f"La forme des images doit être (canaux, hauteur, largeur), reçu {self.image_shape}.")
        if self.latent_dim is None and self.arch not in ("conv", "conv1d"):
            raise SpecError("Seul le modèle convolutif peut se passer de taille de code (sans goulot).")
        if self.latent_dim is not None and self.latent_dim < 1:
            raise SpecError(f"La taille du code doit valoir au moins 1 (reçu : {self.latent_dim}).")
        if self.arch == "mlp" and (not self.hidden or min(self.hidden) < 1):
            raise SpecError(f"Il faut au moins une couche cachée de largeur positive (reçu : {self.hidden}).")
        if self.arch == "conv1d" and (self.image_shape[1] != 1 or self.image_shape[2] % 4 or self.variational):
            raise SpecError("Le modèle convolutif pour signaux prend des signaux (canaux, 1, longueur), une longueur "
                            f"multiple de 4 et pas de code variationnel (reçu : {self.image_shape}).")
        if self.arch == "conv" and any(s % 4 for s in self.image_shape[1:]):
            raise SpecError("Le modèle convolutif divise deux fois la taille par 2 : hauteur et largeur "
                            f"doivent être multiples de 4 (reçu : {self.image_shape[1:]}).")
        if self.variational and (self.latent_dim is None or self.bottleneck != "linear" or self.output != "sigmoid"):
            raise SpecError("Un autoencodeur variationnel demande une taille de code, un goulot linéaire "
                            "(il donne μ et log σ²) et une sortie sigmoïde.")
        if not (0 <= self.beta <= 100 and math.isfinite(self.beta)):
            raise SpecError(f"β doit être un nombre entre 0 et 100 (reçu : {self.beta}).")
        self._check_variant()
        if self.input_dim > MAX_INPUT:
            raise SpecError(f"Des exemples de {self.input_dim} nombres, c'est trop : l'atelier en accepte "
                            f"{MAX_INPUT} au plus.")
        if self.parameter_count > MAX_PARAMETERS:
            n, limit = (f"{v:,}".replace(",", "\u202f") for v in (self.parameter_count, MAX_PARAMETERS))
            raise SpecError(f"Ce modèle aurait {n} poids, au-delà de la limite de {limit} (un fichier de "
                            "5\u00a0Mo) : réduisez les largeurs des couches ou la taille du code.")

    def _check_types(self) -> None:
        """Every field of the type it must have (a file can hold anything), sizes as exact integers."""
        for name in ("image_shape", "hidden"):
            value = getattr(self, name)
            if not isinstance(value, tuple | list) or len(value) > 16:
                raise SpecError(f"Le champ « {name} » doit être une courte liste d'entiers (reçu : {quote(value)}).")
            object.__setattr__(self, name, tuple(_integer(name, v) for v in value))
        for name in ("codebook", "downsample", *(("latent_dim",) if self.latent_dim is not None else ())):
            object.__setattr__(self, name, _integer(name, getattr(self, name)))
        for name in ("beta", "weight", "rate"):
            object.__setattr__(self, name, _number(name, getattr(self, name)))
        for name in ("arch", "bottleneck", "output", "penalty"):
            if not isinstance(getattr(self, name), str):
                raise SpecError(f"Le champ « {name} » doit être un texte (reçu : {quote(getattr(self, name))}).")
        if not isinstance(self.variational, bool):
            raise SpecError("Le champ « variational » doit valoir vrai ou faux.")

    def _check_variant(self) -> None:
        if self.penalty not in PENALTIES:
            raise SpecError(f"Pénalité inconnue « {quote(self.penalty)} ».")
        if not (0 <= self.weight <= 1e4 and math.isfinite(self.weight)) or not 0 < self.rate < 1:
            raise SpecError("Le poids de la pénalité doit être positif et le taux cible entre 0 et 1.")
        if self.penalty != "none" and (self.arch != "mlp" or self.variational or self.latent_dim is None):
            raise SpecError("Les pénalités de parcimonie et de contraction s'appliquent au perceptron multicouche.")
        if self.penalty == "rate" and self.bottleneck != "sigmoid":
            raise SpecError("La forme « taux cible » de la parcimonie demande un goulot sigmoïde.")
        if not 2 <= self.codebook <= 1024 or not 1 <= self.downsample <= 3:  # checked even where unused
            raise SpecError("Un VQ-VAE demande de 2 à 1 024 codes et de 1 à 3 réductions.")
        if self.arch == "vq" and (self.latent_dim is None or self.variational or self.output != "sigmoid"):
            raise SpecError("Un VQ-VAE demande une taille de vecteur et une sortie sigmoïde, sans code variationnel.")

    @classmethod
    def course(cls, image_shape=(1, 28, 28)) -> ModelConfig:
        """The course's MLP: 784-128-64-12 with a ReLU after the bottleneck."""
        return cls("mlp", image_shape, 12, (128, 64), "relu")

    @property
    def input_dim(self) -> int:
        return math.prod(self.image_shape)

    @property
    def parameter_count(self) -> int:
        """Trainable parameters of the model this config builds, counted without building it."""
        def linear(a: int, b: int) -> int:
            return a * b + b

        c, h, w = self.image_shape
        if self.arch == "vq":
            widths, d = [c, *([16, 32, 32][:self.downsample])], self.latent_dim
            pairs = list(zip(widths, widths[1:]))
            encoder = sum(linear(a * 9, b) for a, b in pairs) + linear(widths[-1], d)  # 3x3 convs, then 1x1
            decoder = linear(d, widths[-1]) + sum(linear(b * 9, a) for a, b in pairs)  # 1x1, then transposed
            return encoder + decoder
        heads = 2 if self.variational else 1  # a VAE's encoder gives mu and log sigma^2
        if self.arch == "mlp":
            widths = [self.input_dim, *self.hidden, self.latent_dim]
            encoder = sum(linear(a, b) for a, b in zip(widths, widths[1:]))
            encoder += (heads - 1) * linear(widths[-2], self.latent_dim)
            decoder = sum(linear(b, a) for a, b in zip(widths, widths[1:]))
            return encoder + decoder
        kernel = 7 if self.arch == "conv1d" else 9  # a 1-D kernel of width 7, or 3 x 3
        convs = linear(c * kernel, 16) + linear(16 * kernel, 32) + linear(32 * kernel, 16) + linear(16 * kernel, c)
        features = 32 * (w // 4) * (1 if self.arch == "conv1d" else h // 4)
        return convs + (0 if self.latent_dim is None else linear(features, heads * self.latent_dim)
                        + linear(self.latent_dim, features))

    @property
    def code_dim(self) -> int:
        """Numbers in a code: latent_dim, or the conv feature map's size when there is no bottleneck."""
        if self.latent_dim is not None:
            return self.latent_dim
        c, h, w = self.image_shape
        return 32 * (w // 4) * (1 if self.arch == "conv1d" else h // 4)


@dataclass(frozen=True)
class TrainConfig:
    """How to train: BCE and one-cycle Adam by default."""

    epochs: int = 15
    batch_size: int = 256
    lr: float = 1e-2
    loss: str = "bce"
    schedule: str = "onecycle"
    seed: int = 0
    device: str = "auto"
    trim: float = 0.0  # share of each batch's worst-reconstructed images left out of the loss (robust)
    kl_warmup: int = 0  # epochs over which a VAE's KL weight rises linearly from 0 to 1
    watch: int = 0  # held-out images (a balanced sample) whose codes History.codes keeps as the model learns

    def __post_init__(self):
        if self.epochs < 1:
            raise SpecError(f"Il faut au moins une époque (reçu : {self.epochs}).")
        if self.batch_size < 1:
            raise SpecError(f"La taille de lot doit valoir au moins 1 (reçu : {self.batch_size}).")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise SpecError(f"Le taux d'apprentissage doit être un nombre positif (reçu : {self.lr}).")
        if self.loss not in LOSSES:
            raise SpecError(f"Perte inconnue « {self.loss} » : choisissez « bce » ou « mse ».")
        if self.schedule not in SCHEDULES:
            raise SpecError(f"Calendrier inconnu « {self.schedule} » : « onecycle » ou « constant ».")
        if not 0.0 <= self.trim < 0.5:
            raise SpecError(f"La part d'images écartées de chaque lot doit être entre 0 et 50 % (reçu : {self.trim}).")
        if not 0 <= self.watch <= MAX_WATCH:
            raise SpecError(f"On suit au plus {MAX_WATCH} images pendant l'entraînement (reçu : {self.watch}).")


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
