"""Autoencoders: an MLP (the course's 784-128-64-12 is a preset) and the course's convolutional one.

Every model offers the trainer the same things: `encode`, `decode_logits` and `objective` (total
loss plus named parts), so a new kind of model plugs into the one trainer.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .objectives import loss_from_logits
from .spec import ModelConfig


class Autoencoder(nn.Module):
    """x (B, C, H, W) -> z = encode(x) -> x_hat = decode(z); subclasses define encode and decode_logits."""

    config: ModelConfig
    output: nn.Module

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.output(self.decode_logits(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def objective(self, x_in: torch.Tensor, x: torch.Tensor, loss: str, generator: torch.Generator | None = None
                  ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(total loss, named parts) of a batch: x_in (B, C, H, W) goes in, the clean x is the target.

        A plain autoencoder has no part besides the reconstruction; a model with a penalty (KL,
        sparsity...) returns it under its own name and the trainer records it per epoch. `generator`
        (the trainer's) draws any randomness the objective needs.
        """
        return loss_from_logits(self.decode_logits(self.encode(x_in)), x, loss, self.config.output), {}


class Variational:
    """Makes an autoencoder a VAE (Kingma & Welling, 2014): its encoder's last layer gives (mu, log
    sigma^2), `encode` returns mu, and the objective draws z = mu + sigma * eps with eps from the
    trainer's generator (the reparameterisation trick).

    Loss per image, in nats: BCE summed over the pixels + beta * kl_weight * KL(q(z|x) || N(0, I)),
    the negative ELBO when beta = 1; `kl_weight` is the trainer's KL warm-up (1 otherwise).
    """

    kl_weight = 1.0

    def encode_dist(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, log sigma^2), each (B, latent_dim)."""
        mu, logvar = super().encode(x).chunk(2, dim=1)
        return mu, logvar.clamp(-20.0, 10.0)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode_dist(x)[0]

    def objective(self, x_in, x, loss, generator=None):
        mu, logvar = self.encode_dist(x_in)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + eps * (0.5 * logvar).exp()
        rec = loss_from_logits(self.decode_logits(z), x, loss, self.config.output) * self.config.input_dim
        kl_dim = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(0)  # (latent_dim,) nats, batch mean
        kl = kl_dim.sum()
        return rec + self.config.beta * self.kl_weight * kl, {"reconstruction": rec, "kl": kl, "kl_dim": kl_dim}


class MLPAutoencoder(Autoencoder):
    """x (B, C, H, W) -> z (B, latent_dim) -> x_hat (B, C, H, W), in [0, 1] with a Sigmoid output."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        widths = [config.input_dim, *config.hidden]
        enc = []
        for a, b in zip(widths, widths[1:], strict=False):
            enc += [nn.Linear(a, b), nn.ReLU()]
        enc.append(nn.Linear(widths[-1], config.latent_dim * (2 if config.variational else 1)))
        enc += _bottleneck(config)
        dec = []
        for a, b in zip([config.latent_dim, *reversed(config.hidden)], reversed(widths), strict=False):
            dec += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec[:-1])  # ends on the last Linear: logits
        self.output = _output_layer(config)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))  # (B, latent_dim)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder before its output activation (BCE is faster and safer on logits)."""
        return self.decoder(z).view(-1, *self.config.image_shape)  # (B, C, H, W)


class ConvAutoencoder(Autoencoder):
    """The course's model: two stride-2 convolutions (C->16->32), two transposed ones back, Sigmoid.

    With a latent_dim, a linear layer maps the 32 x H/4 x W/4 feature map to z and back. arch "conv1d"
    is the same model for signals (C, 1, L): 1-D convolutions of width 7 (35 ms at 200 Hz) to 32 x L/4.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        c, h, w = config.image_shape
        self.one_d = config.arch == "conv1d"
        conv, transposed, k, p = ((nn.Conv1d, nn.ConvTranspose1d, 7, 3) if self.one_d else
                                  (nn.Conv2d, nn.ConvTranspose2d, 3, 1))
        self.feature_shape = (32, w // 4) if self.one_d else (32, h // 4, w // 4)
        features = math.prod(self.feature_shape)
        enc = [conv(c, 16, k, stride=2, padding=p), nn.ReLU(),  # H -> H/2
               conv(16, 32, k, stride=2, padding=p), nn.ReLU()]  # H/2 -> H/4
        dec = [transposed(32, 16, k, stride=2, padding=p, output_padding=1), nn.ReLU(),
               transposed(16, c, k, stride=2, padding=p, output_padding=1)]
        if config.latent_dim is not None:
            enc += [nn.Flatten(), nn.Linear(features, config.latent_dim * (2 if config.variational else 1))]
            enc += _bottleneck(config)
            dec = [nn.Linear(config.latent_dim, features), nn.ReLU(),
                   nn.Unflatten(1, self.feature_shape)] + dec
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)  # ends on the last transposed convolution: logits
        self.output = _output_layer(config)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if self.one_d:
            x = x.squeeze(2)  # (B, C, L)
        z = self.encoder(x)  # (B, latent_dim) or (B, 32, H/4, W/4)
        return z if self.config.latent_dim is not None else z.flatten(1)  # (B, code_dim)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder before its output activation."""
        if self.config.latent_dim is None:
            z = z.view(-1, *self.feature_shape)  # (B, 32, H/4, W/4)
        out = self.decoder(z)  # (B, C, H, W)
        return out.unsqueeze(2) if self.one_d else out  # (B, C, 1, L) for a signal


class MLPVAE(Variational, MLPAutoencoder):
    """The MLP autoencoder as a VAE."""


class ConvVAE(Variational, ConvAutoencoder):
    """The convolutional autoencoder (with a code) as a VAE."""


class Standardise(nn.Module):
    """Each code unit centred and divided by its spread: over the batch while training, over the
    training images afterwards (running averages), as batch normalisation does, with no learned
    scale. A penalty on the code then cannot be escaped by shrinking the code (the contractive
    variant). A batch of one image has no spread: it uses the running averages. Not nn.BatchNorm1d,
    which fails on a training batch of one and keeps an integer batch counter that model files refuse."""

    def __init__(self, units: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.register_buffer("running_mean", torch.zeros(units))
        self.register_buffer("running_var", torch.ones(units))

    def reset_running_stats(self) -> None:
        """Mean 0 and variance 1, as before any training batch."""
        self.running_mean.zero_()
        self.running_var.fill_(1.0)

    def uses_batch(self, z: torch.Tensor) -> bool:
        """Whether `z` is standardised by its own statistics (training, two images or more)."""
        return self.training and len(z) > 1

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return nn.functional.batch_norm(z, self.running_mean, self.running_var, training=self.uses_batch(z),
                                        momentum=self.momentum, eps=self.eps)


def _bottleneck(config: ModelConfig) -> list[nn.Module]:
    """What follows the code's linear layer."""
    if config.bottleneck == "relu":
        return [nn.ReLU()]
    if config.bottleneck == "sigmoid":
        return [nn.Sigmoid()]
    if config.bottleneck == "standardised":
        return [Standardise(config.latent_dim)]
    return []  # linear


def _output_layer(config: ModelConfig) -> nn.Module:
    return nn.Sigmoid() if config.output == "sigmoid" else nn.Identity()
