"""ae_core.corruption: noises, masks and lower resolution against their definitions and oracles."""

import pytest
import torch

from ae_core import Corruption, SpecError, corrupt
from ae_core.corruption import (
    apply_mask,
    downsample,
    gaussian_noise,
    inpainting_damage,
    low_resolution,
    random_mask,
    random_pixel_mask,
    random_squares,
    salt_pepper,
    square_mask,
    sr_factors,
    upsample,
)
from ae_core.images import highlight
from tests.conftest import random_images as images


def test_gaussian_noise_is_the_course_formula():
    x = torch.full((200_000,), 0.5)
    g = torch.Generator().manual_seed(0)
    noisy = gaussian_noise(x, 0.1, g)
    expected = (x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    assert torch.equal(noisy, expected)
    assert abs(float((noisy - x).mean())) < 1e-3 and abs(float((noisy - x).std()) - 0.1) < 1e-3
    wide = gaussian_noise(x, 3.0, g)
    assert wide.min() == 0 and wide.max() == 1  # clamped to [0, 1]


def test_salt_pepper_and_mask_shares():
    x = torch.full((100_000,), 0.5)
    g = torch.Generator().manual_seed(0)
    sp = salt_pepper(x, 0.2, g)
    assert abs(float((sp == 0).float().mean()) - 0.1) < 0.005
    assert abs(float((sp == 1).float().mean()) - 0.1) < 0.005
    masked = random_mask(x, 0.3, g)
    assert abs(float((masked == 0).float().mean()) - 0.3) < 0.005


def test_corrupt_does_not_mutate_and_is_seeded():
    x = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    before = x.clone()
    for kind in ("gaussian", "salt_pepper", "mask"):
        a = corrupt(x, kind, 0.3, torch.Generator().manual_seed(5))
        b = corrupt(x, kind, 0.3, torch.Generator().manual_seed(5))
        assert torch.equal(a, b) and not torch.equal(a, x)
    assert torch.equal(x, before)
    assert corrupt(x, "gaussian", 0.0) is x and corrupt(x, "none", 0.5) is x
    with pytest.raises(ValueError):
        corrupt(x, "blur", 0.1)


def test_square_mask_counts_and_clips_at_the_border():
    assert square_mask((1, 28, 28), 9, 9, 10).sum() == 100
    assert square_mask((1, 28, 28), 24, 26, 10).sum() == 4 * 2
    with pytest.raises(ValueError):
        square_mask((1, 8, 8), 8, 0, 2)


def test_random_pixel_mask_share_and_seed():
    m = random_pixel_mask((50, 1, 28, 28), 0.3, torch.Generator().manual_seed(0))
    assert abs(m.float().mean().item() - 0.3) < 0.01
    assert torch.equal(m, random_pixel_mask((50, 1, 28, 28), 0.3, torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError):
        random_pixel_mask((1, 1, 4, 4), 1.5)


def test_apply_mask_zeroes_holes_and_does_not_mutate():
    x = images()
    before = x.clone()
    mask = square_mask((1, 8, 8), 2, 2, 3)
    out = apply_mask(x, mask)
    assert torch.equal(x, before)
    assert (out[mask.expand_as(x)] == 0).all()
    assert torch.equal(out[~mask.expand_as(x)], x[~mask.expand_as(x)])


def test_random_squares_are_one_square_per_image():
    m = random_squares((200, 1, 28, 28), torch.Generator().manual_seed(1), max_share=0.5)
    for img in m[:, 0]:
        rows, cols = img.any(1).nonzero(), img.any(0).nonzero()
        h, w = len(rows), len(cols)
        assert h == w and 1 <= h <= 14 and img.sum() == h * w  # a filled square
    sides = m[:, 0].any(2).sum(1)
    assert sides.min() == 1 and sides.max() == 14  # the whole range of sizes is drawn


def test_inpainting_damage_masks_and_is_seeded():
    x = images(64, 28)
    before = x.clone()
    damage = inpainting_damage
    out = damage(x, torch.Generator().manual_seed(3))
    assert torch.equal(x, before)
    changed = out != x
    assert (out[changed] == 0).all() and changed.any()
    assert torch.equal(out, damage(x, torch.Generator().manual_seed(3)))


def test_downsample_is_the_block_mean_and_nearest_repeats_it():
    x = images(3, 8)
    blocks = x.view(3, 1, 4, 2, 4, 2).mean((3, 5))  # (N, C, 4, 4)
    assert torch.allclose(downsample(x, 2), blocks)
    up = upsample(blocks, 2, "nearest")
    assert torch.equal(up, blocks.repeat_interleave(2, -2).repeat_interleave(2, -1))
    with pytest.raises(ValueError):
        downsample(torch.zeros(1, 1, 6, 6), 4)


def test_bilinear_keeps_constants_and_shapes():
    x = torch.full((2, 1, 28, 28), 0.4)
    assert torch.allclose(low_resolution(x, 4), x)
    assert low_resolution(images(2, 28), 2).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError):
        upsample(x, 2, "bicubic")


def test_sr_factors_keep_at_least_four_pixels():
    assert sr_factors((1, 28, 28)) == (2, 4)
    assert sr_factors((1, 8, 8)) == (2,)


def test_highlight_paints_only_the_holes():
    x = images(2, 8)
    mask = square_mask((1, 8, 8), 1, 1, 2)
    rgb = highlight(x, mask)
    assert rgb.shape == (2, 3, 8, 8)
    assert torch.equal(rgb[:, :, 1, 1], torch.tensor([[0.9, 0.15, 0.15]] * 2))
    assert torch.equal(rgb[:, 0][~mask[0].expand(2, 8, 8)], x[:, 0][~mask[0].expand(2, 8, 8)])


def test_corruption_validates_in_french():
    for bad, words in (({"kind": "dream"}, "inconnue"), ({"level": 1.5}, "entre 0 et 1"),
                       ({"level": float("nan")}, "entre 0 et 1"), ({"factor": 3}, "2 ou 4")):
        with pytest.raises(SpecError, match=words):
            Corruption(**bad)


def test_corruption_applies_its_damage_and_keeps_the_input():
    x = images(16, 8)
    before = x.clone()

    def g():
        return torch.Generator().manual_seed(4)

    assert Corruption()(x, g()) is x and Corruption("gaussian", 0.0)(x, g()) is x
    assert torch.equal(Corruption("salt_pepper", 0.2)(x, g()), corrupt(x, "salt_pepper", 0.2, g()))
    assert torch.equal(Corruption("super_resolution", factor=2)(x, g()), low_resolution(x, 2))
    assert torch.equal(Corruption("inpaint")(x, g()), inpainting_damage(x, g()))
    assert torch.equal(x, before)
