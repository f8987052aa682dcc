"""Shared fixtures. Real MNIST (../shared/data/mnist8k) is optional for outside users, required in CI."""

import os
from pathlib import Path

import pytest
import torch

from ae_core import load_dataset

MNIST8K = Path(os.environ.get("AE_MNIST8K", Path(__file__).resolve().parents[2] / "shared/data/mnist8k"))


@pytest.fixture(scope="session", autouse=True)
def _threads():
    torch.set_num_threads(1)  # as the app does; the browser tests' server shares the cores


def require_mnist8k() -> Path:
    """The mnist8k folder; skips when absent, fails instead when AE_REQUIRE_MNIST=1 (CI)."""
    if (MNIST8K / "MNIST/raw/train-images-idx3-ubyte").exists():
        return MNIST8K
    msg = f"real MNIST not found at {MNIST8K} (set AE_MNIST8K)"
    if os.environ.get("AE_REQUIRE_MNIST") == "1":
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def mnist8k():
    """mnist8k as an ae_core Dataset (8,000 train + 2,000 test images)."""
    return load_dataset("mnist", require_mnist8k())


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits")
