"""The named recipes: for each page, the run specification (ae_core.spec) its experiment trains by default.

Each recipe's docstring says what it is and where its figures are measured (tests/ and bench/).
"""

from __future__ import annotations

import math

from .corruption import Corruption
from .data import Dataset
from .errors import SpecError
from .rows import check_normal, select_rows
from .spec import ModelConfig, Rows, RunSpec, TrainConfig

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
    (tests/test_quality.py; every size in `python -m bench.recipes`). Past about 20 numbers
    on digits PCA wins: 8×8 images have only 61 varying pixels, which PCA keeps almost exactly.
    """
    model = ModelConfig("mlp", data.image_shape, latent_dim, (128, 64), "linear")
    train = {"epochs": default_epochs(data), "batch_size": DEFAULT_BATCH, "lr": 1e-2, **train}
    return RunSpec(data.name, model, TrainConfig(**train))


def _map_model(data: Dataset, latent_dim: int) -> ModelConfig:
    hidden = (256, 128) if math.prod(data.image_shape) > 256 else (128, 64)
    return ModelConfig("mlp", data.image_shape, latent_dim, hidden, "linear")


def map_spec(data: Dataset, latent_dim: int = 2, seed: int = 0, watch: int = 0) -> RunSpec:
    """An MLP autoencoder whose small code can be drawn as a map, on at most 10,000 training rows; the
    codes of `watch` held-out images are kept as it learns (History.codes)."""
    return RunSpec(data.name, _map_model(data, latent_dim), default_train(data.name, seed=seed, watch=watch),
                   rows=Rows(max_train=10_000, seed=seed))


def curve_sizes(image_shape: tuple[int, int, int]) -> tuple[int, ...]:
    """Code sizes for an error-vs-size curve: up to 30 (Hinton & Salakhutdinov's MNIST reference) on
    large images, up to 10 on small ones, where 30 numbers would be half the pixels."""
    return (2, 10, 30) if math.prod(image_shape) >= 256 else (2, 5, 10)


def curve_spec(data: Dataset, latent_dim: int, seed: int = 0) -> RunSpec:
    """The error-vs-size curve's autoencoder at code size `latent_dim`.

    On images of 16 pixels or more, the course's convolutional autoencoder with a code, one pass in
    batches of 32 over at most 10,000 training images and their 8 copies shifted by one pixel: on
    mnist8k, 0.33 times PCA-30's error at k = 30 in about 14 s on one thread (tests/test_recipes.py).
    Without the copies a 30-number code learns its 8,000 training images by heart; with them an MLP
    256-128 needed 6 passes (29 s) for 0.43. On 8 × 8 digits, map_spec's MLP without copies.
    """
    if min(data.image_shape[1:]) < 16:
        return map_spec(data, latent_dim, seed)
    model = ModelConfig("conv", data.image_shape, latent_dim)
    train = default_train(data.name, epochs=1, batch_size=32, seed=seed)
    return RunSpec(data.name, model, train, rows=Rows(max_train=10_000, shifts=True, seed=seed))


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


def one_class_spec(data: Dataset, normal: tuple[int, ...], contamination: float = 0.0, latent_dim: int = 8,
                   seed: int = 0) -> RunSpec:
    """An autoencoder with a narrow code of 8 numbers trained on the `normal` classes only (and some
    contamination), whose reconstruction error is the anomaly score.

    On images of 16 pixels or more, the course's convolutional autoencoder with a code, 720 steps of
    64 images (60 epochs of one mnist8k digit, 7 to 9 s on one thread); on 8 × 8 digits a small MLP
    (64-32), 800 steps of 32 (200 epochs of one digit, about 1 s). Steps, not epochs, so that more
    normal classes or full MNIST cost no more time. With anomalies mixed in, a robust loss leaves out
    each batch's worst-reconstructed images (`trim`), so that the gradient does not see the intruders:
    20 % of them for the MLP; 30 % for the convolutional network, which learns faster and also gets
    two thirds of the steps, so as to have less time to learn the intruders anyway. Measured
    against PCA at the same code size and at the code size the normal validation images choose, per
    digit and seed, in `python -m bench.recipes --part anomaly` (tests/test_anomaly.py holds seed 0).
    """
    check_normal(data, normal)  # before any training: a spec that could only fail at its end
    rows = Rows(normal=normal, contamination=contamination, val_fraction=0.1, seed=seed)
    small = min(data.image_shape[1:]) < 16
    dirty = contamination > 0
    if small:
        model, batch, steps, max_epochs = ModelConfig("mlp", data.image_shape, latent_dim, (64, 32)), 32, 800, 200
        trim = 0.2 if dirty else 0.0
    else:
        model, batch, steps, max_epochs = ModelConfig("conv", data.image_shape, latent_dim), 64, 720, 60
        steps, max_epochs, trim = (480, 40, 0.3) if dirty else (steps, max_epochs, 0.0)
    n_train = len(select_rows(data, rows)[0])
    epochs = min(max_epochs, max(1, round(steps / math.ceil(n_train / batch))))
    train = TrainConfig(epochs=epochs, batch_size=batch, lr=1e-2, seed=seed, trim=trim)
    return RunSpec(data.name, model, train, rows=rows)


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
GENERATION_MAP_POINTS = 600  # held-out images on the page's two latent maps


def generation_spec(data: Dataset, variational: bool, latent_dim: int = 2, beta: float = 1.0,
                    seed: int = 0) -> RunSpec:
    """The generation page's recipe: an MLP (256-128, or 128-64 on 8 × 8 images) with a code of
    `latent_dim` numbers, BCE, one-cycle Adam up to 3e-3, batches of 128 for about
    GENERATION_STEPS steps. The VAE weighs its KL term by `beta`; the plain autoencoder is the same
    network without it. A code of 2 numbers is followed on GENERATION_MAP_POINTS held-out images as it
    learns (the page's live maps). Measured in `python -m bench.generate`."""
    hidden = (128, 64) if min(data.image_shape[1:]) < 16 else (256, 128)
    model = ModelConfig("mlp", data.image_shape, latent_dim, hidden, variational=variational,
                        beta=beta if variational else 1.0)
    train = TrainConfig(epochs=default_epochs(data, 128, GENERATION_STEPS), batch_size=128, lr=3e-3, seed=seed,
                        watch=GENERATION_MAP_POINTS if latent_dim == 2 else 0)
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
    variant_weights' default. Measured in `python -m bench.variants`."""
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


# --- compression: a coder made for bytes ---------------------------------------------------------

def coder_spec(data: Dataset, k: int) -> RunSpec:
    """A larger autoencoder made to compress: MLP 512-256, a linear code of k numbers, 40 epochs of
    batches of 128 (about 40 s on mnist8k with one thread). The training page's default (128-64,
    about 13 s) stops 0.5 dB above PCA at 16 bytes; this one clears it by 1.6 dB (k = 32, 4 bits)."""
    return RunSpec(data.name, ModelConfig("mlp", data.image_shape, k, (512, 256), "linear"),
                   TrainConfig(epochs=40, batch_size=128, lr=3e-3))


# --- signals: a 1-D denoising autoencoder for heartbeats -----------------------------------------

def signal_denoise_spec(data: Dataset, kind: str = "signal_gaussian", level: float = 0.5, seed: int = 0,
                        epochs: int = 20, rate: int = 200) -> RunSpec:
    """The 1-D convolutional denoising autoencoder for beats (ae_core.beats): no bottleneck, as the
    course's convolutional denoiser (Vincent et al., 2008: the noise, not a narrow code, keeps it from
    copying), a linear output and the MSE for beats in standard-deviation units. `rate`: the signal's
    sampling rate in Hz (the mains hum is at 50 Hz)."""
    model = ModelConfig("conv1d", data.image_shape, None, output="linear")
    train = TrainConfig(epochs=epochs, batch_size=64, lr=3e-3, loss="mse", seed=seed)
    return RunSpec(data.name, model, train, Corruption(kind, level, rate=rate), Rows(seed=seed))


def sound_denoise_spec(data: Dataset, kind: str = "signal_gaussian", level: float = 0.5, seed: int = 0) -> RunSpec:
    """The same denoiser on windows of sound at 8 kHz (ae_core.sound_windows): 10 passes over about 2,500
    windows of 40 synthetic sounds."""
    return signal_denoise_spec(data, kind, level, seed, epochs=10, rate=8000)


def beat_anomaly_spec(data: Dataset, contamination: float = 0.0, seed: int = 0) -> RunSpec:
    """The 1-D convolutional autoencoder with a code of 8 numbers, trained on normal beats only (and a
    share `contamination` of abnormal ones, then with a robust loss that leaves out each batch's 20 %
    worst-reconstructed beats); its reconstruction error is the anomaly score."""
    rows = Rows(normal=(0,), contamination=contamination, val_fraction=0.1, seed=seed)
    model = ModelConfig("conv1d", data.image_shape, 8, output="linear")
    train = TrainConfig(epochs=30, batch_size=64, lr=3e-3, loss="mse", seed=seed, trim=0.2 if contamination else 0.0)
    return RunSpec(data.name, model, train, rows=rows)


def voice_denoise_spec(data: Dataset, kind: str = "signal_gaussian", level: float = 0.5, seed: int = 0) -> RunSpec:
    """The sound denoiser on windows of a learner's own recording (ae_core.sound_windows.voice_set): as many
    passes as it takes to see about 25,000 windows (10 to 40), as the synthetic sounds' 10 passes over 2,500."""
    epochs = min(40, max(10, 25_000 // max(1, data.n_train)))
    return signal_denoise_spec(data, kind, level, seed, epochs=epochs, rate=8000)


CODE_STEPS = 465  # 3 passes over the windows of 160 one-second sounds: about 7 s on one thread


def sound_code_spec(data: Dataset, latent: int = 128, seed: int = 0) -> RunSpec:
    """The 1-D convolutional autoencoder with a code of `latent` numbers for windows of sound at 8 kHz, made to
    compress (ae_core.sound_bytes): MSE, a linear output, one-cycle Adam up to 3e-3, batches of 64 for
    about CODE_STEPS steps, so that a larger set of sounds costs no more time. On the 160 training sounds
    of ae_core.sound_bytes.code_sound_set, 3 passes (6.4 s on one thread): 14.9 dB on the test sounds with 4 bits
    a number, 2,048 bytes a second. On the denoiser's 40 sounds, a code of 128 numbers learns them by heart.
    Measured in `python -m bench.signals --part bytes`."""
    model = ModelConfig("conv1d", data.image_shape, latent, output="linear")
    epochs = default_epochs(data, 64, CODE_STEPS)
    return RunSpec(data.name, model, TrainConfig(epochs=epochs, batch_size=64, lr=3e-3, loss="mse", seed=seed),
                   rows=Rows(seed=seed))
