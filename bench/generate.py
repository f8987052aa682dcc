"""The generation page's figures, measured in one run: the judge's numbers, the ELBO, the wall times.

    python -m bench.generate --data ../shared/data/mnist8k                 # everything (~4 min)
    python -m bench.generate --data ../shared/data/mnist8k --part judge

judge: at the page's defaults (generation_pair: code of 2, β = 1), the judge's three numbers for 1,000
       VAE prior samples, plain-autoencoder samples from N(0, I) and from a Gaussian fitted to its
       codes, real images and noise; digits and mnist8k; with each pair's wall time (1 thread).
beta:  the β trade-off at the page's defaults: for β in BETAS, reconstruction and KL (nats per image,
       last training epoch), active code dimensions (KL above 0.01 nat), judge numbers of prior samples.
elbo:  validation negative ELBO per image (nats, on binarised images, where the BCE is a Bernoulli
       likelihood) of pytorch/examples' 784-400-20 VAE trained by ae_core's trainer against the same
       network trained by that example's loop, same optimiser, for the same wall time (20 s) on
       mnist8k's 8,000 images.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch

from ae_core.build import build_model
from ae_core.data import Dataset, default_data_dir, load_dataset, to_float
from ae_core.generate import judge_pair, prior_codes, train_judge
from ae_core.latent import decode_codes
from ae_core.metrics import negative_elbo
from ae_core.recipes import BETAS, beta_specs, generation_pair
from ae_core.rows import train_val_split
from ae_core.spec import ModelConfig, RunSpec, TrainConfig
from ae_core.train import build_trainer

SAMPLES = 1000


def judged_pair(data: Dataset, latent_dim: int = 2, beta: float = 1.0) -> tuple[dict[str, dict], dict[str, float]]:
    """({row: judge numbers}, {model: training seconds}) for the page's pair at (latent_dim, beta)."""
    judge = train_judge(data)
    trainers = [build_trainer(spec, data) for spec in generation_pair(data, latent_dim, beta)]
    for t in trainers:
        t.run()
    ae, vae = (t.model for t in trainers)
    rows = judge_pair(judge, data, ae, vae, data.images[trainers[0].train_idx], SAMPLES)
    return rows, {"ae": trainers[0].history.seconds[-1], "vae": trainers[1].history.seconds[-1]}


def beta_rows(data: Dataset, latent_dim: int = 2) -> list[dict[str, float]]:
    """One row per β of BETAS: reconstruction, kl, active dimensions and the judge's numbers."""
    judge, rows = train_judge(data), []
    for beta, spec in zip(BETAS, beta_specs(data, latent_dim), strict=True):
        trainer = build_trainer(spec, data)
        h = trainer.run()
        samples = decode_codes(trainer.model, prior_codes(SAMPLES, latent_dim, 0))
        rows.append({"beta": beta, "reconstruction": h.extra["reconstruction"][-1], "kl": h.extra["kl"][-1],
                     "active": sum(v > 0.01 for v in h.extra["kl_dim"][-1]), **judge.scores(samples)})
    return rows



def published_loop(model, images: torch.Tensor, seconds: float, batch_size: int = 128, seed: int = 0) -> int:
    """pytorch/examples' vae/main.py training loop (Adam 1e-3, batches of 128, BCE summed + KL,
    shuffled each epoch), run on `model` for `seconds`; returns the epochs done."""
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    deadline, epochs = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        model.train()
        for idx in torch.randperm(len(images)).split(batch_size):
            x = to_float(images[idx])
            mu, logvar = model.encode_dist(x)
            z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
            bce = torch.nn.functional.binary_cross_entropy(model.decode(z), x, reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            optimizer.zero_grad()
            (bce + kld).backward()
            optimizer.step()
            if time.perf_counter() >= deadline:
                break
        epochs += 1
    return epochs


def elbo_comparison(data: Dataset, seconds: float = 20.0) -> dict[str, float]:
    """Validation negative ELBO of the 784-400-20 VAE: ae_core's trainer vs the published loop, same time."""
    binary = replace(data, images=(data.images > 127).to(torch.uint8) * 255)
    train_idx, val_idx = train_val_split(binary)
    config = ModelConfig("mlp", binary.image_shape, 20, (400,), variational=True)
    # The example's optimiser (Adam at a constant 1e-3, batches of 128): the ratio measures the trainer.
    spec = RunSpec(binary.name, config, TrainConfig(epochs=1000, batch_size=128, lr=1e-3, schedule="constant"))
    trainer = build_trainer(spec, binary)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and trainer.step(0.25):
        pass
    model = build_model(config, 0)
    epochs = published_loop(model, binary.images[train_idx], seconds)
    ours, theirs = negative_elbo(trainer.model, binary.images[val_idx]), negative_elbo(model, binary.images[val_idx])
    return {"ae_core": ours, "published": theirs, "ratio": ours / theirs,
            "ae_core epochs": trainer.epoch, "published epochs": epochs}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="folder holding MNIST/raw")
    parser.add_argument("--part", choices=["judge", "beta", "elbo", "all"], default="all")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app trains on 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    datasets = [load_dataset("digits"), load_dataset("mnist", args.data)]
    if args.part in ("judge", "all"):
        for data in datasets:
            rows, seconds = judged_pair(data)
            print(f"{data.name}: judge accuracy {rows.pop('judge accuracy')['accuracy']:.3f}; training "
                  f"{seconds['ae']:.1f} s (autoencoder) + {seconds['vae']:.1f} s (VAE)")
            for name, r in rows.items():
                print(f"  {name:15s} confidence {r['confidence']:.3f}  diversity {r['diversity']:.3f}  "
                      f"frechet {r['frechet']:.1f}")
            print(f"  VAE / autoencoder N(0, I) Frechet ratio: {rows['vae']['frechet'] / rows['ae']['frechet']:.2f}")
    if args.part in ("beta", "all"):
        for data in datasets:
            print(f"{data.name}: β trade-off (code of 2)")
            for r in beta_rows(data):
                print(f"  β {r['beta']:.1f}  reconstruction {r['reconstruction']:.1f}  KL {r['kl']:.2f}  active "
                      f"{r['active']}  confidence {r['confidence']:.3f}  diversity {r['diversity']:.3f}  "
                      f"frechet {r['frechet']:.1f}")
    if args.part in ("elbo", "all"):
        r = elbo_comparison(datasets[1])
        print(f"784-400-20 VAE, {datasets[1].name}, 20 s each, validation -ELBO per image (binarised): "
              f"ae_core {r['ae_core']:.1f} nats ({r['ae_core epochs']} epochs), published loop "
              f"{r['published']:.1f} nats ({r['published epochs']} epochs); ratio {r['ratio']:.3f}")


if __name__ == "__main__":
    main()
