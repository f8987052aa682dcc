"""Denoising heartbeats and sounds: the 1-D denoising autoencoder against classical filters tuned on
training signals.

    python -m bench.signals                  # beats: 3 noises x 3 levels, one training each, 1 thread, ~2 min
    python -m bench.signals --part sounds    # sounds: the same table on windows of sound, ~3 min
    python -m bench.signals --part bytes     # a sound in bytes: autoencoder, PCA, Opus, MP3, µ-law, ~1 min

For each noise kind and level: the SNR (dB) on the 1,000 synthetic test beats of the noisy input, of
each filter with the parameters its grid chose on 300 noisy training beats (ae_core.filters), and of
the autoencoder of ae_core.recipes.signal_denoise_spec trained on that noise; then the training's
seconds on one thread (the server trains one learner at a time). With --part sounds: the mean SNR over
the 8 synthetic test sounds, cleaned window by window (ae_core.sound_windows). With --part bytes: the
autoencoder of ae_core.recipes.sound_code_spec trained once (its seconds on one thread), then bytes a second and
mean SNR on the test sounds of each method (ae_core.sound_bytes.bytes_table), and the same autoencoder and PCA
with windows overlapping by half, which cost twice the codes.
"""

from __future__ import annotations

import argparse
import time

import torch

from ae_core.beats import beat_dataset, denoising_snr
from ae_core.recipes import signal_denoise_spec, sound_code_spec, sound_denoise_spec
from ae_core.sound_bytes import CODE_BITS, Point, bytes_table, code_points, code_sound_set, pca_choices
from ae_core.sound_windows import WINDOW, sound_set, sound_snr, tuned_filters
from ae_core.train import build_trainer

METHODS = ("noisy", "moving_average", "savitzky_golay", "kalman", "notch", "autoencoder")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--kinds", nargs="+", default=["signal_gaussian", "hum", "clicks"])
    parser.add_argument("--part", choices=["beats", "sounds", "bytes"], default="beats")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.part == "bytes":
        return sound_in_bytes()
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


def _cell(point) -> str:
    """ "bytes/s: SNR dB (setting)", or a dash for a method absent at that budget."""
    if point is None:
        return "—"
    return f"{point.bytes_per_second:.0f}: {point.snr:.1f} dB" + (f" ({point.setting})" if "=" in point.setting else "")


def sound_in_bytes() -> None:
    """The autoencoder's code of each window against PCA at its best, Opus, MP3 and µ-law, at equal bytes."""
    sounds = code_sound_set()
    trainer = build_trainer(sound_code_spec(sounds.data), sounds.data)
    wall, cpu = time.perf_counter(), time.thread_time()
    trainer.run()
    print(f"entraînement : {time.perf_counter() - wall:.1f} s ({time.thread_time() - cpu:.1f} s de processeur), "
          f"{trainer.config.epochs} époques, {sounds.data.n_train} fenêtres, un fil", flush=True)
    model = trainer.model.eval()
    table = bytes_table(model, sounds)
    methods = ("autoencoder", "pca", "opus", "mp3")
    print("\nFenêtres côte à côte : octets par seconde : RSB moyen des 8 sons de test")
    print("| budget (o/s) | " + " | ".join(methods) + " |")
    print("|---" * (len(methods) + 1) + "|")
    for point in table["autoencoder"]:
        budget = point.bytes_per_second
        cells = [next((p for p in table[m] if abs(p.bytes_per_second / budget - 1) <= 0.1), None) for m in methods]
        print(f"| {budget:.0f} | " + " | ".join(_cell(c) for c in cells) + " |")
    print(f"| µ-law 8 bits | {_cell(table['mu_law'][0])} | | | |")
    half = WINDOW // 2
    overlapping = code_points(model, sounds, CODE_BITS, hop=half)
    pca = pca_choices(sounds, [p.bytes_per_second for p in overlapping], hop=half)
    print(f"\nFenêtres chevauchantes (pas de {half} échantillons) : deux codes pour {WINDOW} échantillons nouveaux")
    print("| budget (o/s) | autoencoder | pca |\n|---|---|---|")
    for point, c in zip(overlapping, pca):
        best = None if c is None else Point(c.bytes_per_second, c.snr, f"k={c.k}, b={c.bits}")
        print(f"| {point.bytes_per_second:.0f} | {_cell(point)} | {_cell(best)} |", flush=True)


if __name__ == "__main__":
    main()
