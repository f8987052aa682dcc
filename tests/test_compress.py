"""Compression in bytes (ae_core.compress): quantised codes, JPEG without its header, the 16-byte bar."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from ae_core import train_val_split
from ae_core.compress import (
    best_at,
    code_points,
    jpeg_header_bytes,
    jpeg_points,
    pca_points,
    quantise,
)
from ae_core.recipes import coder_spec, default_spec
from ae_core.train import build_trainer
from tests.claims import check_claim
from tests.conftest import trained


def test_quantisation_keeps_the_ends_and_its_error_shrinks_with_the_bits():
    codes = torch.linspace(-2, 3, 1001).unsqueeze(1)
    low, high = torch.tensor([-2.0]), torch.tensor([3.0])
    errors = [float((quantise(codes, low, high, b) - codes).abs().max()) for b in range(1, 9)]
    assert all(a > b for a, b in zip(errors, errors[1:])) and errors[-1] <= 5 / 255 / 2 + 1e-6
    assert quantise(codes, low, high, 3)[[0, -1]].flatten().tolist() == [-2.0, 3.0]


def test_a_jpeg_header_is_the_same_for_every_image_of_a_size_and_quality():
    rng = np.random.default_rng(0)
    files = []
    for _ in range(2):
        buf = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(buf, "JPEG", quality=20)
        files.append(buf.getvalue())
    heads = [f[:jpeg_header_bytes(f)] for f in files]
    assert heads[0] == heads[1] and len(heads[0]) < len(files[0])  # so it can be shared, and not counted


def test_points_on_digits_gain_with_the_budget(digits):
    trainer = build_trainer(default_spec(digits, 8, epochs=5), digits)
    trainer.run()
    train, val = digits.images[trainer.train_idx], digits.images[trainer.val_idx]
    pca = pca_points(train, val, ks=range(1, 17))
    best = [best_at(pca, 8 * budget).psnr for budget in (2, 4, 8, 16)]
    assert all(a < b for a, b in zip(best, best[1:]))
    ae = code_points(trainer.model, train, val, "autoencodeur")
    assert [p.bits for p in ae] == [8 * b for b in range(1, 9)] and ae[-1].psnr > ae[0].psnr
    jpeg = jpeg_points(val[:50], qualities=(10, 90))
    assert jpeg[0][0].bits < jpeg[1][0].bits and jpeg[0][0].psnr < jpeg[1][0].psnr
    assert all(8 * files > p.bits for p, files in jpeg)  # the real file carries its header too
    assert best_at(pca, 0) is None


def test_the_smallest_jpeg_file_of_a_mnist8k_image(mnist8k):
    """Quality 1, header included: the file a learner would send, heavier than the codes it is set against."""
    _, val_idx = train_val_split(mnist8k)
    [(_, file_bytes)] = jpeg_points(mnist8k.images[val_idx[:300]], qualities=(1,))
    check_claim("variantes_jpeg_file", bytes=file_bytes)


@pytest.mark.xdist_group("mnist8k_default")  # shares tests.conftest.trained models
@pytest.mark.slow
def test_at_8_bytes_the_default_model_beats_pca_by_a_decibel_on_mnist8k(mnist8k):
    """The variants page's exercise 5: the training page's default model (code of 12), quantised, at
    8 bytes per image. Measured: 17.5 dB (12 numbers of 5 bits) against PCA's 16.1 on 300 images
    (python -m bench.variants --part compression: the model at k=16 gives 18.08 against
    16.15). At 16 bytes this small model is not enough: see the next test."""
    trainer = trained(default_spec(mnist8k), mnist8k)
    train, val = mnist8k.images[trainer.train_idx], mnist8k.images[trainer.val_idx[:300]]
    learned, pca = code_points(trainer.model, train[:2000], val, "autoencodeur"), pca_points(train, val)
    check_claim("variantes_compress8", ae=best_at(learned, 64).psnr, pca=best_at(pca, 64).psnr,
                gain=best_at(learned, 64).psnr - best_at(pca, 64).psnr)
    check_claim("variantes_compress16_default", ae=best_at(learned, 128).psnr, pca=best_at(pca, 128).psnr)
    assert best_at(pca, 128).psnr > best_at(learned, 128).psnr


@pytest.mark.slow
def test_at_16_bytes_the_larger_coder_beats_pca_by_a_decibel_on_mnist8k(mnist8k):
    """The issue's bar, on all 1,600 validation images: the larger coder (MLP 512-256, code of 32)
    quantised to 4 bits a number, 16 bytes per image. Measured: 19.76 dB against PCA's 18.18."""
    trainer = build_trainer(coder_spec(mnist8k, 32), mnist8k)
    trainer.run()
    train, val = mnist8k.images[trainer.train_idx], mnist8k.images[trainer.val_idx]
    learned, pca = best_at(code_points(trainer.model, train, val, "ae"), 128), best_at(pca_points(train, val), 128)
    print(f"FIGURE compression 16 B on mnist8k: autoencoder 512-256 {learned.psnr:.2f} dB ({learned.setting}), "
          f"PCA {pca.psnr:.2f} dB ({pca.setting})")
    check_claim("variantes_compress16", ae=learned.psnr, pca=pca.psnr, gain=learned.psnr - pca.psnr)
