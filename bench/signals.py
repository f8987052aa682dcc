"""Denoising heartbeats and sounds: the 1-D denoising autoencoder against classical filters tuned on
training signals.

    python -m bench.signals                  # beats: 3 noises x 3 levels, one training each, 1 thread, ~2 min
    python -m bench.signals --part sounds    # sounds: the same table on windows of sound, ~3 min

For each noise kind and level: the SNR (dB) on the 1,000 synthetic test beats of the noisy input, of
each filter with the parameters its grid chose on 300 noisy training beats (ae_core.filters), and of
the autoencoder of ae_core.recipes.signal_denoise_spec trained on that noise; then the training's
seconds on one thread (the server trains one learner at a time). With --part sounds: the mean SNR over
the 8 synthetic test sounds, cleaned window by window (ae_core.sound_windows).
"""

from __future__ import annotations

import argparse
import time

import torch

from ae_core.beats import beat_dataset, denoising_snr
from ae_core.recipes import signal_denoise_spec, sound_denoise_spec
from ae_core.sound_windows import sound_set, sound_snr, tuned_filters
from ae_core.train import build_trainer

METHODS = ("noisy", "moving_average", "savitzky_golay", "kalman", "autoencoder")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--kinds", nargs="+", default=["signal_gaussian", "hum", "clicks"])
    parser.add_argument("--part", choices=["beats", "sounds"], default="beats")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sounds = sound_set() if args.part == "sounds" else None
    data = sounds.data if sounds else beat_dataset()
    print("| bruit | niveau | " + " | ".join(METHODS) + " | entraînement (s) |")
    print("|---" * (len(METHODS) + 3) + "|")
    for kind in args.kinds:
        for level in args.levels:
            spec = (sound_denoise_spec if sounds else signal_denoise_spec)(data, kind, level)
            trainer = build_trainer(spec, data)
            start = time.perf_counter()
            trainer.run()
            seconds = time.perf_counter() - start
            model = trainer.model.eval()
            if sounds:
                scores = sound_snr(model, sounds, kind, level, tuned_filters(sounds, kind, level))
            else:
                scores = {m: snr for m, (snr, _) in
                          denoising_snr(model, data, trainer.train_idx, trainer.val_idx, kind, level).items()}
            row = " | ".join(f"{scores[m]:.1f}" for m in METHODS)
            print(f"| {kind} | {level:g} | {row} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
