"""What watching a map form costs: the live maps of « Espace latent et ACP » and « Générer ».

    python -m bench.live_map --data ../shared/data/mnist8k        # digits and mnist8k, 1 thread, ~1 min

For each page's 2-D recipe (ae_core.recipes.map_spec with the page's 1,000 watched images, and the
generation pair's VAE with 600), on each dataset: training seconds with and without the watched
codes, interleaved in one run (their ratio is the cost), the time of one map (one snapshot), the
number of maps kept and the bytes they hold in a learner's session (History.codes).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch

from ae_core.data import default_data_dir, load_dataset
from ae_core.recipes import generation_pair, map_spec
from ae_core.train import build_trainer

MAP_POINTS = 1000  # ui.charts.MAP_POINTS (bench/ does not import the app's ui)


def trained_seconds(spec, data) -> tuple[float, object]:
    trainer = build_trainer(spec, data)
    start = time.perf_counter()
    trainer.run()
    return time.perf_counter() - start, trainer


def measure(spec, data, repeats: int = 2) -> dict[str, float]:
    plain = replace(spec, train=replace(spec.train, watch=0))
    watched_s, plain_s = [], []
    for _ in range(repeats):  # interleaved: both see the same machine
        seconds, trainer = trained_seconds(spec, data)
        watched_s.append(seconds)
        plain_s.append(trained_seconds(plain, data)[0])
    start = time.perf_counter()
    for _ in range(20):
        trainer._snapshot()
    snapshot_ms = (time.perf_counter() - start) / 20 * 1000
    kept = trainer.history.codes[:-20]
    return {"watched": min(watched_s), "plain": min(plain_s), "snapshot_ms": snapshot_ms, "maps": len(kept),
            "epochs": trainer.config.epochs, "kib": sum(c.nbytes for _, c in kept) / 1024,
            "points": len(trainer.watch_rows)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="folder holding MNIST/raw")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app trains on 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    for data in (load_dataset("digits"), load_dataset("mnist", args.data)):
        specs = {"latent map": map_spec(data, watch=MAP_POINTS), "generation VAE": generation_pair(data)[1]}
        for page, spec in specs.items():
            m = measure(spec, data)
            print(f"{data.name:6s} {page:15s} {m['points']:4d} points, {m['maps']:2d} maps, {m['epochs']:3d} epochs, "
                  f"{m['kib']:6.1f} KiB kept; one map {m['snapshot_ms']:.1f} ms; training {m['watched']:.2f} s "
                  f"watched / {m['plain']:.2f} s plain = {m['watched'] / m['plain']:.3f}")


if __name__ == "__main__":
    main()
