"""The model factory: a ModelConfig -> its model, weights drawn from a seed."""

from __future__ import annotations

import math

import torch
from torch import nn

from .models import MLPVAE, Autoencoder, ConvAutoencoder, ConvVAE, MLPAutoencoder, Standardise
from .spec import ModelConfig
from .variants import VQVAE, Contractive, Sparse


def build_model(config: ModelConfig, seed: int = 0) -> Autoencoder:
    """The model for `config`, its weights drawn from `seed` without touching torch's global RNG."""
    kinds = {("mlp", False): MLPAutoencoder, ("conv", False): ConvAutoencoder,
             ("mlp", True): MLPVAE, ("conv", True): ConvVAE, ("vq", False): VQVAE,
             ("conv1d", False): ConvAutoencoder}
    cls = {"l1": Sparse, "rate": Sparse, "contractive": Contractive}.get(config.penalty,
                                                                        kinds[config.arch, config.variational])
    with torch.device("meta"):  # no memory, no draw from the global RNG: every weight is set below
        model = cls(config)
    model = init_weights(model.to_empty(device="cpu"), seed)
    if config.arch == "vq":
        model.reset_codebook(torch.Generator().manual_seed(seed + 1))
    return model


def init_weights(model: nn.Module, seed: int) -> nn.Module:
    """PyTorch's default init of every layer, drawn from a generator seeded with `seed`: sessions
    train in parallel threads, and torch's global RNG is never touched."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=g)
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(m.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(m.bias, -bound, bound, generator=g)
        elif isinstance(m, Standardise):
            m.reset_running_stats()
    return model


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
