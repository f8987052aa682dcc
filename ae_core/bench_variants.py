"""The variants' figures, measured in one run: what each penalty buys, what it costs, how long it trains.

    python -m ae_core.bench_variants --data ../shared/data/mnist8k        # digits and mnist8k, 1 thread

For each dataset, each variant at its default (ae_core.recipes.variant_spec) beside the plain
autoencoder of the same size: validation MSE, training seconds, and
- sparse: share of code units near zero per image, mean active units;
- contractive: normalised Jacobian norm and code displacement under noise (ae_core.variants.sensitivity);
- VQ-VAE: codebook perplexity, dead codes, bits per image;
and the time of one contractive penalty: the closed form against autograd (one backward per code unit).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from .data import Dataset, default_data_dir, load_dataset
from .recipes import build_trainer, variant_spec
from .variants import bits_per_image, sensitivity, sparsity


def trained(data: Dataset, variant: str):
    trainer = build_trainer(variant_spec(data, variant), data)
    trainer.run()
    return trainer


def jacobian_seconds(data: Dataset, repeats: int = 20) -> tuple[float, float]:
    """(closed form, autograd) seconds for the penalty of one batch of 128 at the contractive default."""
    model = build_trainer(variant_spec(data, "contractive"), data).model
    x = (data.images[:128].float() / 255).requires_grad_(True)
    start = time.perf_counter()
    for _ in range(repeats):
        model.code_jacobian(x).pow(2).sum()
    closed = (time.perf_counter() - start) / repeats
    start = time.perf_counter()
    for _ in range(repeats):
        z = model.encode(x)
        sum(torch.autograd.grad(z[:, j].sum(), x, create_graph=True)[0].pow(2).sum() for j in range(z.shape[1]))
    return closed, (time.perf_counter() - start) / repeats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="folder holding MNIST/raw")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app trains on 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    for data in (load_dataset("digits"), load_dataset("mnist", args.data)):
        print(f"{data.name}:")
        for variant in ("sparse", "contractive"):
            t, p = trained(data, variant), trained(data, f"plain_{variant}")
            val = data.images[t.val_idx]
            measure = sparsity if variant == "sparse" else sensitivity
            print(f"  {variant:12s} MSE {t.history.val_mse[-1]:.4f} ({t.history.seconds[-1]:.1f} s) "
                  f"{measure(t.model, val)}  | plain MSE {p.history.val_mse[-1]:.4f} "
                  f"({p.history.seconds[-1]:.1f} s) {measure(p.model, val)}")
        t = trained(data, "vq")
        h = t.history
        print(f"  vq           MSE {h.val_mse[-1]:.4f} ({h.seconds[-1]:.1f} s) perplexity "
              f"{h.extra['perplexity'][-1]:.1f} of {t.model_config.codebook}, dead {h.extra['dead'][-1]:.0f}, "
              f"{bits_per_image(t.model_config, t.model.grid):.0f} bits per image")
        closed, autograd = jacobian_seconds(data)
        print(f"  contractive penalty, one batch of 128: closed form {1e3 * closed:.1f} ms, "
              f"autograd {1e3 * autograd:.1f} ms")


if __name__ == "__main__":
    main()
