"""Default recipes against their baselines, measured in one run: the figures the pages and README quote.

    python -m bench.recipes --data ../shared/data/mnist8k            # everything (about 20 min)
    python -m bench.recipes --data ../shared/data/mnist8k --part pca --ks 1,2,12,32,64

pca:     the training page's default recipe against standard PCA at each code size (held-out squared
         error summed over the pixels, per image), digits and mnist8k.
curve:   the latent page's error-vs-size curve (ae_core.recipes.curve_spec) against standard PCA at
         each of its code sizes, with each training's wall time and the three together.
time:    wall time of that recipe on mnist8k and on 60,000 images (shifted copies: full MNIST's size).
anomaly: the anomaly page's one-class recipe against PCA at the same code size, PCA at the code size
         its normal validation images choose, and Isolation Forest: ROC AUC per digit and its mean over
         the ten digits and seeds 0-2, at 0 % and 5 % contamination (60 trainings per dataset), each
         training's one-thread time, and the false-alarm rate on new normal images of the 95th-centile
         threshold; digits and mnist8k. `--processes 2` runs two trainings at a time (one thread each).
"""

from __future__ import annotations

import argparse
import math
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from ae_core.anomaly import one_class_aucs
from ae_core.baselines import pca_error_curve
from ae_core.data import Dataset, default_data_dir, load_dataset
from ae_core.recipes import curve_sizes, curve_spec, default_spec, one_class_spec
from ae_core.rows import one_class_rows, shifted_copies, train_val_split
from ae_core.train import build_trainer


def default_vs_pca(data: Dataset, k: int) -> tuple[float, float, float]:
    """(autoencoder, PCA) held-out squared error per image, and the training's wall time, at code size k."""
    trainer = build_trainer(default_spec(data, k), data)
    trainer.run()
    train_idx, val_idx = train_val_split(data)
    pca = float(pca_error_curve(data.images[train_idx], data.images[val_idx], [k])[0])
    pixels = math.prod(data.image_shape)
    return trainer.history.val_mse[-1] * pixels, pca * pixels, trainer.history.seconds[-1]


def one_class_run(name: str, data_dir: Path, digit: int, contamination: float, seed: int) -> dict[str, float]:
    """one_class_aucs of the page's recipe trained on one digit (tested on every test image), and the
    training's one-thread time in seconds."""
    torch.set_num_threads(1)
    data = load_dataset(name, data_dir)
    spec = one_class_spec(data, (digit,), contamination, seed=seed)
    trainer = build_trainer(spec, data)
    start = time.process_time()
    trainer.run()
    seconds = time.process_time() - start
    return {**one_class_aucs(trainer.model, data, one_class_rows(data, spec.rows), spec.model.latent_dim, seed),
            "seconds": seconds}


def one_class_table(name: str, data_dir: Path, contamination: float, processes: int = 1, seeds=(0, 1, 2)
                    ) -> dict[str, np.ndarray]:
    """Each figure of one_class_run as an array (seeds, 10 digits)."""
    jobs = [(name, data_dir, d, contamination, s) for s in seeds for d in range(10)]
    with ProcessPoolExecutor(processes) as pool:
        runs = list(pool.map(one_class_run, *zip(*jobs)))
    return {key: np.array([r[key] for r in runs]).reshape(len(seeds), 10) for key in runs[0]}


def print_one_class(name: str, data_dir: Path, processes: int) -> None:
    """The ten-digit table of the anomaly recipe on dataset `name`, at 0 % and 5 % contamination."""
    for contamination in (0.0, 0.05):
        t = one_class_table(name, data_dir, contamination, processes)
        print(f"\n{name}, {contamination:.0%} contamination, ROC AUC (mean over seeds 0-2)\n"
              "| digit | autoencoder | PCA, same code | PCA, chosen code (k) | Isolation Forest | seconds |"
              "\n|---|---|---|---|---|---|")
        for d in range(10):
            ks = "/".join(str(int(k)) for k in t["pca_k"][:, d])
            print(f"| {d} | {100 * t['ae'][:, d].mean():.1f} | {100 * t['pca'][:, d].mean():.1f} "
                  f"| {100 * t['pca_chosen'][:, d].mean():.1f} ({ks}) | {100 * t['forest'][:, d].mean():.1f} "
                  f"| {t['seconds'][:, d].mean():.1f} |")
        print(f"| mean | {100 * t['ae'].mean():.1f} | {100 * t['pca'].mean():.1f} "
              f"| {100 * t['pca_chosen'].mean():.1f} | {100 * t['forest'].mean():.1f} "
              f"| {t['seconds'].max():.1f} (max) |")
        print(f"worst digit, autoencoder: {100 * t['ae'].mean(0).min():.1f}; false alarms at the 95th centile: "
              f"{100 * t['false_alarms'].mean():.1f} % (seeds: "
              + ", ".join(f"{100 * f:.1f} %" for f in t["false_alarms"].mean(1)) + ")", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="folder holding MNIST/raw")
    parser.add_argument("--part", choices=("pca", "curve", "time", "anomaly", "all"), default="all")
    parser.add_argument("--ks", help="code sizes, e.g. 1,2,12,32 (default: every size of each range)")
    parser.add_argument("--threads", type=int, default=1, help="1, as each training of the app")
    parser.add_argument("--processes", type=int, default=1, help="anomaly part: trainings at a time")
    parser.add_argument("--datasets", default="digits,mnist", help="anomaly part: digits, mnist or both")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    digits, mnist = load_dataset("digits"), load_dataset("mnist", args.data)
    print(f"{args.threads} thread(s); torch {torch.__version__}; mnist: {mnist.n_train} train / "
          f"{len(mnist) - mnist.n_train} test images")

    if args.part in ("pca", "all"):
        print("\n| dataset | k | autoencoder | PCA | ratio | seconds |\n|---|---|---|---|---|---|")
        for data, ks in ((digits, [*range(1, 17), 20, 24, 32]), (mnist, [*range(1, 33), 64])):
            for k in [int(k) for k in args.ks.split(",")] if args.ks else ks:
                ae, pca, s = default_vs_pca(data, k)
                print(f"| {data.name} | {k} | {ae:.2f} | {pca:.2f} | {ae / pca:.3f} | {s:.1f} |", flush=True)

    if args.part in ("curve", "all"):
        print("\n| dataset | k | autoencoder | PCA | ratio | seconds |\n|---|---|---|---|---|---|")
        for data in (digits, mnist):
            total = 0.0
            for k in curve_sizes(data.image_shape):
                trainer = build_trainer(curve_spec(data, k), data)
                trainer.run()
                train_idx, val_idx = train_val_split(data)
                pixels = math.prod(data.image_shape)
                pca = float(pca_error_curve(data.images[train_idx], data.images[val_idx], [k])[0]) * pixels
                ae, total = trainer.history.val_mse[-1] * pixels, total + trainer.history.seconds[-1]
                print(f"| {data.name} | {k} | {ae:.2f} | {pca:.2f} | {ae / pca:.3f} | "
                      f"{trainer.history.seconds[-1]:.1f} |", flush=True)
            print(f"| {data.name} | all | | | | {total:.1f} |", flush=True)

    if args.part in ("time", "all"):
        large = shifted_copies(mnist.images[:mnist.n_train])[:60_000]
        full = Dataset("mnist", torch.cat([large, mnist.images[mnist.n_train:]]),
                       torch.cat([mnist.labels[:mnist.n_train].repeat(9)[:60_000], mnist.labels[mnist.n_train:]]),
                       mnist.class_names, n_train=60_000)
        print("\n| training images | epochs | steps | seconds |\n|---|---|---|---|")
        for data in (mnist, full):
            trainer = build_trainer(default_spec(data), data)
            start = time.perf_counter()
            trainer.run()
            print(f"| {data.n_train:,} | {trainer.epoch} | {trainer.epoch * trainer.steps_per_epoch} "
                  f"| {time.perf_counter() - start:.1f} |", flush=True)

    if args.part in ("anomaly", "all"):
        for name in args.datasets.split(","):
            print_one_class(name, args.data, args.processes)


if __name__ == "__main__":
    main()
