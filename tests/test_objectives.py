import pytest
import torch
import torch.nn.functional as F

from ae_core import corrupt, reconstruction_loss
from ae_core.objectives import gaussian_noise, loss_from_logits, random_mask, salt_pepper


def test_losses_match_torch():
    g = torch.Generator().manual_seed(0)
    x, x_hat = torch.rand(4, 1, 8, 8, generator=g), torch.rand(4, 1, 8, 8, generator=g)
    assert torch.allclose(reconstruction_loss(x_hat, x, "mse"), F.mse_loss(x_hat, x))
    assert torch.allclose(reconstruction_loss(x_hat, x, "bce"), F.binary_cross_entropy(x_hat, x))
    with pytest.raises(ValueError):
        reconstruction_loss(x_hat, x, "l1")


@pytest.mark.parametrize("kind", ["mse", "bce"])
def test_loss_from_logits_equals_loss_of_sigmoid(kind):
    g = torch.Generator().manual_seed(1)
    logits, x = torch.randn(4, 64, generator=g) * 3, torch.rand(4, 64, generator=g)
    assert torch.allclose(loss_from_logits(logits, x, kind), reconstruction_loss(torch.sigmoid(logits), x, kind),
                          atol=1e-6)


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
