"""The variants' figures, measured in one run: what each penalty buys, what it costs, how long it trains.

    python -m bench.variants --data ../shared/data/mnist8k        # digits and mnist8k, 1 thread

For each dataset, each variant at its default (ae_core.recipes.variant_spec) beside the plain
autoencoder of the same size: validation MSE, training seconds, and
- sparse: share of code units near zero per image, mean active units;
- contractive: normalised Jacobian norm and code displacement under noise (ae_core.variants.sensitivity);
- VQ-VAE: codebook perplexity, dead codes, bits per image;
and the time of one contractive penalty: the closed form against autograd (one backward per code unit).

--part seeds: the contractive default against its plain twin on seeds 0, 1 and 2 of both datasets
(normalised Jacobian and MSE ratios): how much of the difference is the draw of the initial weights.

--part price: the contractive variant at each λ of the page's price sweep, on both datasets.

--part compression (mnist8k): PSNR at 8, 16, 32 and 64 bytes per image for PCA, autoencoders with a
quantised code (the training page's recipe at k = 2, 4, 8, 16, 32, and the larger
ae_core.recipes.coder_spec at k = 8, 16, 32, 64), VQ-VAEs (grids 7×7 and 4×4,
K = 64 and 16), JPEG (without its header; the smallest real file too) and PNG.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch

from ae_core.compress import best_at, code_points, decoder_bytes, jpeg_points, pca_points, png_bytes, vq_point
from ae_core.data import Dataset, default_data_dir, load_dataset
from ae_core.recipes import coder_spec, default_spec, variant_spec, variant_weights
from ae_core.train import build_trainer
from ae_core.variants import bits_per_image, contraction, sensitivity, sparsity


def trained(data: Dataset, variant: str, seed: int = 0, weight: float | None = None):
    trainer = build_trainer(variant_spec(data, variant, weight, seed), data)
    trainer.run()
    return trainer


def jacobian_seconds(data: Dataset, repeats: int = 20) -> tuple[float, float]:
    """(closed form, autograd) seconds for the penalty of one batch of 128 at the contractive default."""
    model = build_trainer(variant_spec(data, "contractive"), data).model
    x = (data.images[:128].float() / 255).requires_grad_(True)
    start = time.perf_counter()
    for _ in range(repeats):
        contraction(model.encoder, x).sum()
    closed = (time.perf_counter() - start) / repeats
    start = time.perf_counter()
    for _ in range(repeats):
        z = model.encode(x)
        sum(torch.autograd.grad(z[:, j].sum(), x, create_graph=True)[0].pow(2).sum() for j in range(z.shape[1]))
    return closed, (time.perf_counter() - start) / repeats


BUDGETS = (8, 16, 32, 64)  # bytes per image


def compression_points(data: Dataset) -> tuple[dict[str, list], dict[str, int], list, float]:
    """({method: points}, {learned model: decoder bytes}, JPEG (point, file bytes) pairs, PNG bytes)."""
    spec = default_spec(data)
    trainer = build_trainer(spec, data)
    train, val = data.images[trainer.train_idx], data.images[trainer.val_idx]
    points = {"ACP": pca_points(train, val), "autoencodeur": [], "autoencodeur 512-256": [], "VQ-VAE": []}
    sizes = {}
    for k in (2, 4, 8, 16, 32):
        t = build_trainer(default_spec(data, k), data)
        t.run()
        points["autoencodeur"] += code_points(t.model, train, val, "autoencodeur")
        sizes[f"autoencodeur k={k}"] = decoder_bytes(t.model)
    for k in (8, 16, 32, 64):
        t = build_trainer(coder_spec(data, k), data)
        t.run()
        points["autoencodeur 512-256"] += code_points(t.model, train, val, "autoencodeur 512-256")
        sizes[f"autoencodeur 512-256 k={k}"] = decoder_bytes(t.model)
    vq = variant_spec(data, "vq")
    for downsample, codebook in ((2, 64), (3, 64), (3, 16)):
        t = build_trainer(replace(vq, model=replace(vq.model, downsample=downsample, codebook=codebook)), data)
        t.run()
        point = vq_point(t.model, val)
        points["VQ-VAE"].append(point)
        sizes[f"VQ-VAE {point.setting}"] = decoder_bytes(t.model)
    jpeg = jpeg_points(val)
    points["JPEG"] = [p for p, _ in jpeg]
    return points, sizes, jpeg, png_bytes(val)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="folder holding MNIST/raw")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app trains on 1)")
    parser.add_argument("--part", choices=["variants", "compression", "seeds", "price", "all"], default="all")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.part in ("compression", "all"):
        points, sizes, jpeg, png = compression_points(load_dataset("mnist", args.data))
        print("mnist8k, PSNR (dB) of the best setting within each budget:")
        for method, pts in points.items():
            cells = []
            for budget in BUDGETS:
                best = best_at(pts, 8 * budget)
                cells.append(f"{budget} B: " + (f"{best.psnr:.2f} ({best.setting})" if best else "-"))
            print(f"  {method:20s} " + " | ".join(cells))
        smallest = min(jpeg, key=lambda pair: pair[1])
        print(f"  JPEG's smallest real file: {smallest[1]:.0f} bytes ({smallest[0].setting}, "
              f"{smallest[0].bits / 8:.0f} without its header, {smallest[0].psnr:.2f} dB); PNG: {png:.0f} bytes")
        print("  decoder and codebook sizes (float32 bytes): " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    if args.part == "seeds":
        for data in (load_dataset("digits"), load_dataset("mnist", args.data)):
            for seed in (0, 1, 2):
                t, p = trained(data, "contractive", seed), trained(data, "plain_contractive", seed)
                val = data.images[t.val_idx]
                ratio = sensitivity(t.model, val)["jacobian"] / sensitivity(p.model, val)["jacobian"]
                print(f"{data.name} seed {seed}: contractive / plain: normalised Jacobian {ratio:.3f}x, "
                      f"MSE {t.history.val_mse[-1] / p.history.val_mse[-1]:.3f}x")
    if args.part == "price":
        for data in (load_dataset("digits"), load_dataset("mnist", args.data)):
            for weight in variant_weights(data, "contractive")[1]:
                t = trained(data, "contractive", weight=weight)
                s = sensitivity(t.model, data.images[t.val_idx])
                print(f"{data.name} contractive λ={weight:g}: normalised Jacobian {s['jacobian']:.3f}, "
                      f"MSE {t.history.val_mse[-1]:.4f}")
    if args.part in ("compression", "seeds", "price"):
        return
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
