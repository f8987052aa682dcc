import struct

import numpy as np
import pytest
import torch
from torchvision import datasets

from ae_core import DatasetUnavailable, load_dataset, make_manifold, to_float, train_val_split
from ae_core.rows import shifted_copies


def write_idx(folder, prefix, images: np.ndarray, labels: np.ndarray):
    """Write MNIST IDX files (uncompressed, torchvision's raw layout)."""
    folder.mkdir(parents=True, exist_ok=True)
    n, h, w = images.shape
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, n, h, w) + images.tobytes())
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + labels.tobytes())


def test_digits_is_uint8_with_french_names(digits):
    assert digits.images.shape == (1797, 1, 8, 8) and digits.images.dtype == torch.uint8
    assert digits.images.max() == 255 and digits.labels.shape == (1797,)
    assert digits.class_names == tuple("0123456789") and digits.n_train == 1797
    assert "Chiffres" in digits.title


def test_split_is_seeded_disjoint_and_complete(digits):
    a_train, a_val = train_val_split(digits, 0.2, seed=3)
    b_train, b_val = train_val_split(digits, 0.2, seed=3)
    c_train, _ = train_val_split(digits, 0.2, seed=4)
    assert torch.equal(a_train, b_train) and torch.equal(a_val, b_val)
    assert not torch.equal(a_train, c_train)
    assert len(a_val) == 359 and len(set(a_train.tolist()) | set(a_val.tolist())) == 1797
    assert not set(a_train.tolist()) & set(a_val.tolist())


def test_mnist_through_torchvision_on_tiny_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    raw = tmp_path / "MNIST" / "raw"
    write_idx(raw, "train", rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), np.arange(30, dtype=np.uint8) % 10)
    write_idx(raw, "t10k", rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), np.arange(10, dtype=np.uint8))
    calls = []
    data = load_dataset("mnist", tmp_path, progress=lambda f, msg: calls.append(f))
    assert data.images.shape == (40, 1, 28, 28) and data.images.dtype == torch.uint8
    assert data.n_train == 30 and data.labels[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    train_idx, val_idx = train_val_split(data)
    assert train_idx.tolist() == list(range(30)) and val_idx.tolist() == list(range(30, 40))
    assert calls[0] == 0 and calls[-1] == 1.0


def test_real_mnist8k(mnist8k):
    assert mnist8k.images.shape == (10_000, 1, 28, 28) and mnist8k.n_train == 8000
    counts = torch.bincount(mnist8k.labels[:8000])
    assert counts.min() >= 700 and counts.max() <= 920  # measured: 723 (digit 5) to 905 (digit 1)


def test_failed_download_raises_french_error(tmp_path, monkeypatch):
    # Port 9 on loopback refuses at once: the real download code runs and fails, nothing leaves the machine.
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(DatasetUnavailable, match="Impossible de télécharger.*« Chiffres »"):
        load_dataset("fashion_mnist", tmp_path)


def test_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("cifar")


def test_to_float_range_and_no_mutation(digits):
    before = digits.images[:5].clone()
    x = to_float(digits.images[:5])
    assert x.dtype == torch.float32 and 0 <= x.min() and x.max() == 1.0
    assert torch.equal(digits.images[:5], before)


@pytest.mark.parametrize("name", ["s_curve", "swiss_roll"])
def test_manifolds(name):
    X, t = make_manifold(name, 500, seed=1)
    assert X.shape == (500, 3) and t.shape == (500,) and X.dtype == np.float32
    np.testing.assert_allclose(X.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(X.std(0), 1, atol=1e-4)
    assert np.array_equal(X, make_manifold(name, 500, seed=1)[0])


def test_shifted_copies_move_the_pixels_and_fill_with_zeros():
    images = torch.zeros(2, 1, 5, 5, dtype=torch.uint8)
    images[:, 0, 1:4, 1:4] = torch.arange(1, 10, dtype=torch.uint8).view(3, 3)  # zero border
    out = shifted_copies(images, [(1, 0), (0, -1)])
    assert out.shape == (6, 1, 5, 5) and out.dtype == torch.uint8
    assert torch.equal(out[:2], images)
    assert torch.equal(out[2:4], torch.roll(images, 1, dims=2))  # down one row
    assert torch.equal(out[4:], torch.roll(images, -1, dims=3))  # left one column
    edge = torch.full((1, 1, 3, 3), 7, dtype=torch.uint8)
    assert torch.equal(shifted_copies(edge, [(-1, 0)])[1, 0, 2], torch.zeros(3, dtype=torch.uint8))
