"""A sound in bytes (ae_core.sound_bytes): quantised codes of windows, bytes counted, PCA at its best within a
budget, the codecs and µ-law beside, and the facts the page states about the recipe's autoencoder."""

import numpy as np
import pytest
import torch

from ae_core.build import build_model
from ae_core.compress import quantise
from ae_core.recipes import CODE_STEPS, sound_code_spec
from ae_core.signals import snr_db
from ae_core.sound import SOUND_RATE, frame
from ae_core.sound_bytes import (
    CODE_BITS,
    CODE_HOP,
    PCA_BITS,
    SYNTHETIC_PEAK,
    bytes_per_second,
    bytes_table,
    code_points,
    code_ranges,
    code_sound_set,
    codec_point,
    compress_sound,
    pca_choices,
    pca_coder,
    pca_compress,
    signal_scale,
    telephone_point,
)
from ae_core.sound_windows import WINDOW, sound_set
from tests.conftest import trained


@pytest.fixture(scope="module")
def small():
    """10 training sounds (310 windows: PCA keeps all of WINDOW's components) and 2 test sounds, of half a second."""
    return sound_set(10, 2, seconds=0.5)


@pytest.fixture(scope="module")
def untrained(small):
    """The recipe's model with a code of 8 numbers, its weights drawn from seed 0 and never trained."""
    return build_model(sound_code_spec(small.data, latent=8).model).eval()


def test_quantisation_errs_by_half_a_step_at_most_and_clips_outside_the_range():
    z = torch.randn(500, 3, generator=torch.Generator().manual_seed(0)) * torch.tensor([0.5, 2.0, 8.0])  # (N, k)
    lo, hi = z.amin(0), z.amax(0)
    for bits in range(1, 11):
        z_hat = quantise(z, lo, hi, bits)
        step = (hi - lo) / (2 ** bits - 1)  # (k,)
        assert z_hat.shape == z.shape and bool(((z_hat - z).abs() <= step / 2 + 1e-5).all())
        assert len(torch.unique(z_hat[:, 0])) <= 2 ** bits
    outside = quantise(torch.stack([lo - 1, hi + 1]), lo, hi, 4)
    assert torch.allclose(outside, torch.stack([lo, hi]))


def test_more_bits_never_worsen_a_fixed_code():
    z = torch.randn(2000, 16, generator=torch.Generator().manual_seed(1))
    lo, hi = z.amin(0), z.amax(0)
    errors = [float((quantise(z, lo, hi, b) - z).pow(2).mean()) for b in range(1, 11)]
    assert all(a > b for a, b in zip(errors, errors[1:]))


def test_bytes_are_windows_times_numbers_times_bits_over_eight(small, untrained):
    assert bytes_per_second(32, 128, 4, 1.0) == 2048
    assert bytes_per_second(16, 8, 3, 0.5) == 96
    x = small.test[0]  # 4,000 samples: 16 windows side by side, 31 overlapping by half
    lo, hi = code_ranges(untrained, small)
    assert lo.shape == hi.shape == (8,) and bool((lo <= hi).all())
    for hop, n_windows in ((WINDOW, 16), (WINDOW // 2, 31)):
        assert len(frame(x, WINDOW, hop)) == n_windows
        x_hat, rate = compress_sound(untrained, x, 3, lo, hi, hop)
        assert x_hat.shape == x.shape and np.isfinite(x_hat).all()
        assert rate == pytest.approx(n_windows * 8 * 3 / 8 / (len(x) / SOUND_RATE))
    assert CODE_HOP == WINDOW


def test_compression_does_not_touch_its_inputs(small, untrained):
    x = small.test[1].copy()
    lo, hi = code_ranges(untrained, small)
    lo_copy = lo.clone()
    compress_sound(untrained, x, 4, lo, hi)
    assert np.array_equal(x, small.test[1]) and torch.equal(lo, lo_copy)


def test_pca_with_every_number_and_many_bits_gives_the_sound_back(small):
    coder = pca_coder(small)
    x = small.train[0]  # a test sound's minor components leave the training ranges, and are clipped
    x_hat, rate = pca_compress(coder, x, WINDOW, 16, hop=WINDOW)
    assert coder.size == WINDOW and snr_db(x, x_hat) > 50 and rate == pytest.approx(16 * WINDOW * 16 / 8 / 0.5)
    few = pca_coder(sound_set(2, 1, seconds=0.5))  # 62 training windows: 62 components, no more to pay for
    assert few.size == 62 and pca_compress(few, x, WINDOW, 8)[1] == pytest.approx(16 * 62 * 8 / 8 / 0.5)


def test_pca_at_a_budget_keeps_within_it_and_fills_it(small):
    coder = pca_coder(small)
    budgets = [3.0, 500.0, 2000.0]
    choices = pca_choices(small, budgets, coder=coder)
    per_second = len(frame(small.test[0], WINDOW, CODE_HOP)) / 0.5
    assert choices[0] is None  # 32 windows a second of one number of one bit: 4 bytes
    for budget, choice in zip(budgets[1:], choices[1:]):
        assert choice.bits in PCA_BITS and choice.bytes_per_second <= budget
        assert choice.bytes_per_second == pytest.approx(per_second * choice.k * choice.bits / 8)
        assert len(choice.snrs) == len(small.test) and choice.snr == pytest.approx(np.mean(choice.snrs))
    assert choices[2].bytes_per_second > choices[1].bytes_per_second


def test_the_telephone_point_is_8000_bytes_a_second_at_the_sounds_level(small):
    assert signal_scale(small) * np.abs(small.test).max() == pytest.approx(SYNTHETIC_PEAK, rel=1e-5)
    point = telephone_point(small)
    assert point.bytes_per_second == 8000 and 30 < point.snr < 45  # 8-bit µ-law: about 38 dB on a full-scale sine


def test_a_budget_below_a_codecs_floor_leaves_it_out(small):
    assert codec_point(small, "opus", 200) is None and codec_point(small, "mp3", 200) is None


def test_the_recipe_costs_steps_not_epochs():
    sounds = code_sound_set()
    spec = sound_code_spec(sounds.data)
    assert spec.model.arch == "conv1d" and spec.model.latent_dim == 128 and spec.train.loss == "mse"
    steps_per_epoch = -(-sounds.data.n_train // 64)
    assert spec.train.epochs == 3 and spec.train.epochs * steps_per_epoch == pytest.approx(CODE_STEPS, rel=0.05)
    assert sound_code_spec(sound_set().data).train.epochs == 12  # 40 sounds: 4 times the passes, the same time


def near(points, budget):
    """The point within 10 % of `budget` bytes a second, or None."""
    return next((p for p in points if abs(p.bytes_per_second / budget - 1) <= 0.1), None)


@pytest.mark.slow
def test_the_recipes_autoencoder_against_pca_the_codecs_and_the_telephone():
    """The page's facts at its defaults (python -m bench.signals --part bytes): PCA at its best beats the
    autoencoder at every budget; Opus and MP3 cannot go down to 1,536 bytes a second on these 1-second
    sounds (headers included), and above it MP3 beats the autoencoder, Opus from 2,560; µ-law, at twice the
    highest budget, beats them all; windows side by side beat overlapping ones at equal bytes."""
    sounds = code_sound_set()
    model = trained(sound_code_spec(sounds.data), sounds.data).model.eval()
    table = bytes_table(model, sounds)
    for method, points in table.items():
        print(f"FIGURE bytes {method}: " + ", ".join(f"{p.bytes_per_second:.0f} B/s {p.snr:.1f} dB" for p in points))
    ae = table["autoencoder"]
    assert [round(p.bytes_per_second) for p in ae] == [512 * b for b in CODE_BITS]
    assert all(a.snr < b.snr for a, b in zip(ae, ae[1:]))  # more bits, better sound
    assert ae[0].snr < 0 < ae[1].snr  # one bit a number (two levels, at the ends) is worse than silence
    pca = table["pca"]
    assert len(pca) == len(ae) and all(p.bytes_per_second <= a.bytes_per_second for p, a in zip(pca, ae))
    assert all(p.snr > a.snr + 2 for p, a in zip(pca, ae))  # PCA at its best, every budget
    opus, mp3 = ([near(table[c], a.bytes_per_second) for a in ae] for c in ("opus", "mp3"))
    assert opus[:3] == mp3[:3] == [None] * 3 and None not in opus[3:] + mp3[3:]  # none at 512 to 1,536 B/s
    assert all(m.snr > a.snr + 3 for m, a in zip(mp3[3:], ae[3:]))
    assert opus[3].snr < ae[3].snr and all(o.snr > a.snr for o, a in zip(opus[4:], ae[4:]))  # 2,048: the AE
    assert opus[-1].snr > pca[-1].snr > ae[-1].snr
    telephone = table["mu_law"][0]
    assert telephone.bytes_per_second == 8000 and all(telephone.snr > p.snr for m in table for p in table[m]
                                                      if m != "mu_law")
    # Two codes per WINDOW new samples: 2, 3 and 4 bits cost 1,984, 2,976 and 3,968 B/s, side by side 4, 6 and 8.
    bits = (2, 3, 4)
    overlapping = code_points(model, sounds, bits, hop=WINDOW // 2)
    print("FIGURE bytes overlapping windows: "
          + ", ".join(f"{p.bytes_per_second:.0f} B/s {p.snr:.1f} dB" for p in overlapping))
    side_by_side = [ae[CODE_BITS.index(2 * b)] for b in bits]
    assert all(abs(o.bytes_per_second / a.bytes_per_second - 1) < 0.05 and o.snr + 2 < a.snr
               for o, a in zip(overlapping, side_by_side))
