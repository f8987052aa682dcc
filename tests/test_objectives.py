import pytest
import torch
import torch.nn.functional as F

from ae_core import reconstruction_loss
from ae_core.objectives import loss_from_logits


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
