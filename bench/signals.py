"""Denoising heartbeats: the 1-D denoising autoencoder against classical filters tuned on training beats.

    python -m bench.signals            # 3 noises x 3 levels, one training each, 1 thread, ~2 min

For each noise kind and level: the SNR (dB) on the 1,000 synthetic test beats of the noisy input, of
each filter with the parameters its grid chose on 300 noisy training beats (ae_core.filters), and of
the autoencoder of ae_core.recipes.signal_denoise_spec trained on that noise; then the training's
seconds on one thread (the server trains one learner at a time).
"""

from __future__ import annotations

import argparse
import time

import torch

from ae_core.beats import beat_dataset, denoising_snr
from ae_core.recipes import signal_denoise_spec
from ae_core.train import build_trainer

METHODS = ("noisy", "moving_average", "savitzky_golay", "kalman", "autoencoder")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--kinds", nargs="+", default=["signal_gaussian", "hum", "clicks"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = beat_dataset()
    print("| bruit | niveau | " + " | ".join(METHODS) + " | entraînement (s) |")
    print("|---" * (len(METHODS) + 3) + "|")
    for kind in args.kinds:
        for level in args.levels:
            trainer = build_trainer(signal_denoise_spec(data, kind, level), data)
            start = time.perf_counter()
            trainer.run()
            seconds = time.perf_counter() - start
            scores = denoising_snr(trainer.model.eval(), data, trainer.train_idx, trainer.val_idx, kind, level)
            row = " | ".join(f"{scores[m][0]:.1f}" for m in METHODS)
            print(f"| {kind} | {level:g} | {row} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
