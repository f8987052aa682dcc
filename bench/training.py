"""Training benchmark: the course's loop against ae_core's trainer, measured in one run.

    python -m bench.training                                  # real MNIST from AE_DATA_DIR, else synthetic
    AE_DATA_DIR=../shared/data/mnist8k python -m bench.training
"""

from __future__ import annotations

import argparse
import resource
import struct
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ae_core.build import build_model
from ae_core.data import default_data_dir, load_dataset
from ae_core.metrics import reconstruction_errors
from ae_core.recipes import default_spec, default_train
from ae_core.spec import ModelConfig, RunSpec
from ae_core.train import build_trainer


def gemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best float32 matmul throughput of a large square torch.mm, in GFLOP/s."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def multiply_adds(model: nn.Module) -> int:
    """Multiply-adds of one sample's forward pass through the model's linear layers."""
    return sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, nn.Linear))


def synthetic_mnist(root: Path, n_train: int = 8000, n_test: int = 2000) -> Path:
    """MNIST-shaped IDX files of random strokes-free noise, for machines without real MNIST."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = (rng.random((n, 28, 28)) ** 4 * 255).astype(np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + labels.tobytes())
    return root


def course_loop(root: Path, epochs: int) -> tuple[nn.Module, float, int]:
    """The course's loop as written: torchvision MNIST + ToTensor + DataLoader(64, shuffle), Adam 1e-3, MSE.

    Returns the model, the wall time and the number of samples seen.
    """
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    train_set = datasets.MNIST(root=str(root), train=True, transform=transforms.ToTensor(), download=False)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    torch.manual_seed(0)
    model = build_model(ModelConfig.course())
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(epochs):
        for images, _ in train_loader:
            images = images.view(-1, 784)
            recon = model(images).view(-1, 784)
            loss = criterion(recon, images)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model, time.perf_counter() - start, epochs * len(train_set)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="folder holding MNIST/raw")
    parser.add_argument("--course-epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    root, source = args.data, "real MNIST"
    if not (root / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
        root, source = synthetic_mnist(Path(tempfile.mkdtemp())), "synthetic MNIST-shaped noise"
    data = load_dataset("mnist", root)
    val = data.images[data.n_train:]
    print(f"data: {source}, {data.n_train} train / {len(val)} validation images; "
          f"{args.threads} threads; torch {torch.__version__}")

    gflops = gemm_gflops()
    model, course_s, course_n = course_loop(root, args.course_epochs)
    course_sps = course_n / course_s
    target = float(reconstruction_errors(model, val).mean())

    config = ModelConfig.course()
    speed = {}  # batch size -> (samples/s, share of the GEMM throughput)
    for batch in (default_train("mnist").batch_size, 1024):
        fast = build_trainer(RunSpec("mnist", config, default_train("mnist", epochs=3, batch_size=batch, loss="mse",
                                                                   lr=1e-3, schedule="constant")), data)
        fast.run()
        sps = float(np.median(fast.history.samples_per_s))
        speed[batch] = sps, sps * 6 * multiply_adds(fast.model) / (gflops * 1e9)

    default = build_trainer(default_spec(data), data)
    default.run(on_epoch_end=lambda t: t.history.val_mse[-1] <= target)
    reached = default.history.val_mse[-1] <= target
    quality_s = default.history.seconds[-1]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows = [
        ("course loop", f"{course_sps:,.0f} samples/s ({args.course_epochs} epochs in {course_s:.1f} s, "
                        f"validation MSE {target:.4f})"),
        *[(f"ae_core, batch {b}", f"{sps:,.0f} samples/s, {sps / course_sps:.1f}x the course loop (same model)")
          for b, (sps, _) in speed.items()],
        ("GEMM share", f"torch.mm {gflops:,.0f} GFLOP/s; ae_core's step reaches "
                       + ", ".join(f"{share:.0%} at batch {b}" for b, (_, share) in speed.items())),
        ("time to quality", (f"{quality_s:.1f} s to validation MSE <= {target:.4f} "
                             f"({default.epoch} epochs of the default recipe), "
                             f"{quality_s / course_s:.2f}x the course loop's {course_s:.1f} s")
         if reached else f"not reached in {default.epoch} epochs ({default.history.val_mse[-1]:.4f})"),
        ("memory", f"peak RSS {peak_mb:,.0f} MB"),
    ]
    print("\n| row | measured |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
