"""Autoencoders: an MLP (the course's 784-128-64-12 is a preset) and the course's convolutional one.

Every model offers the trainer the same things: `encode`, `decode_logits` and `objective` (total
loss plus named parts), so a new kind of model plugs into the one trainer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .errors import SpecError
from .objectives import loss_from_logits

ARCHS = ("mlp", "conv", "vq")
BOTTLENECKS = ("linear", "relu", "sigmoid", "standardised")  # standardised: see Standardise
PENALTIES = ("none", "l1", "rate", "contractive")  # sparse (L1 or target rate), contractive: ae_core.variants
OUTPUTS = ("sigmoid", "linear")  # linear: unbounded data such as standardised table columns
# One size limit everywhere: every model the app lets a learner build downloads as a file of at most
# 4.8 MB of float32 weights, under the server's 5 MB upload limit, so it can be uploaded again.
MAX_PARAMETERS = 1_200_000
MAX_INPUT = 4096  # numbers per example: 28 x 28 images, 64 x 64 at most, or a table's columns


@dataclass(frozen=True)
class ModelConfig:
    """What to build. `latent_dim=None` (conv only) is the course's model, with no linear bottleneck.
    `variational` builds a VAE whose loss weighs the KL term by `beta`. `penalty` adds a sparse
    or contractive term weighed by `weight` (`rate`: the target activation of the "rate" form).
    arch "vq" is a VQ-VAE (ae_core.variants): `downsample` stride-2 convolutions to a grid of
    `latent_dim`-vectors, a codebook of `codebook` vectors, `weight` the commitment cost."""

    arch: str = "mlp"
    image_shape: tuple[int, int, int] = (1, 28, 28)
    latent_dim: int | None = 12
    hidden: tuple[int, ...] = (128, 64)
    bottleneck: str = "linear"
    output: str = "sigmoid"
    variational: bool = False
    beta: float = 1.0
    penalty: str = "none"
    weight: float = 0.0
    rate: float = 0.05
    codebook: int = 64
    downsample: int = 2

    def __post_init__(self):
        object.__setattr__(self, "image_shape", tuple(int(s) for s in self.image_shape))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        for name in ("beta", "weight", "rate"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if not isinstance(self.variational, bool):
            raise SpecError("Le champ « variational » doit valoir vrai ou faux.")
        if self.arch not in ARCHS:
            raise SpecError(f"Architecture inconnue « {self.arch} » : choisissez « mlp », « conv » ou « vq ».")
        if self.bottleneck not in BOTTLENECKS:
            raise SpecError(f"Activation du goulot inconnue « {self.bottleneck} » : « linear », « relu », "
                            "« sigmoid » ou « standardised ».")
        if self.output not in OUTPUTS:
            raise SpecError(f"Sortie inconnue « {self.output} » : « sigmoid » ou « linear ».")
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise SpecError(f"La forme des images doit être (canaux, hauteur, largeur), reçu {self.image_shape}.")
        if self.latent_dim is None and self.arch != "conv":
            raise SpecError("Seul le modèle convolutif peut se passer de taille de code (sans goulot).")
        if self.latent_dim is not None and self.latent_dim < 1:
            raise SpecError(f"La taille du code doit valoir au moins 1 (reçu : {self.latent_dim}).")
        if self.arch == "mlp" and (not self.hidden or min(self.hidden) < 1):
            raise SpecError(f"Il faut au moins une couche cachée de largeur positive (reçu : {self.hidden}).")
        if self.arch == "conv" and any(s % 4 for s in self.image_shape[1:]):
            raise SpecError("Le modèle convolutif divise deux fois la taille par 2 : hauteur et largeur "
                            f"doivent être multiples de 4 (reçu : {self.image_shape[1:]}).")
        if self.variational and (self.latent_dim is None or self.bottleneck != "linear" or self.output != "sigmoid"):
            raise SpecError("Un autoencodeur variationnel demande une taille de code, un goulot linéaire "
                            "(il donne μ et log σ²) et une sortie sigmoïde.")
        if not (0 <= self.beta <= 100 and math.isfinite(self.beta)):
            raise SpecError(f"β doit être un nombre entre 0 et 100 (reçu : {self.beta}).")
        self._check_variant()
        if self.input_dim > MAX_INPUT:
            raise SpecError(f"Des exemples de {self.input_dim} nombres, c'est trop : l'atelier en accepte "
                            f"{MAX_INPUT} au plus.")
        if self.parameter_count > MAX_PARAMETERS:
            n, limit = (f"{v:,}".replace(",", "\u202f") for v in (self.parameter_count, MAX_PARAMETERS))
            raise SpecError(f"Ce modèle aurait {n} poids, au-delà de la limite de {limit} (un fichier de "
                            "5 Mo) : réduisez les largeurs des couches ou la taille du code.")

    def _check_variant(self) -> None:
        if self.penalty not in PENALTIES:
            raise SpecError(f"Pénalité inconnue « {self.penalty} ».")
        if not (0 <= self.weight <= 1e4 and math.isfinite(self.weight)) or not 0 < self.rate < 1:
            raise SpecError("Le poids de la pénalité doit être positif et le taux cible entre 0 et 1.")
        if self.penalty != "none" and (self.arch != "mlp" or self.variational or self.latent_dim is None):
            raise SpecError("Les pénalités de parcimonie et de contraction s'appliquent au perceptron multicouche.")
        if self.penalty == "rate" and self.bottleneck != "sigmoid":
            raise SpecError("La forme « taux cible » de la parcimonie demande un goulot sigmoïde.")
        if self.arch == "vq" and (self.latent_dim is None or self.variational or self.output != "sigmoid"
                                  or not 2 <= self.codebook <= 1024 or not 1 <= self.downsample <= 3):
            raise SpecError("Un VQ-VAE demande une taille de vecteur, de 2 à 1 024 codes et de 1 à 3 réductions.")

    @classmethod
    def course(cls, image_shape=(1, 28, 28)) -> ModelConfig:
        """The course's MLP: 784-128-64-12 with a ReLU after the bottleneck."""
        return cls("mlp", image_shape, 12, (128, 64), "relu")

    @property
    def input_dim(self) -> int:
        return math.prod(self.image_shape)

    @property
    def parameter_count(self) -> int:
        """Trainable parameters of the model this config builds, counted without building it."""
        def linear(a: int, b: int) -> int:
            return a * b + b

        c, h, w = self.image_shape
        if self.arch == "vq":
            widths, d = [c, *([16, 32, 32][:self.downsample])], self.latent_dim
            pairs = list(zip(widths, widths[1:]))
            encoder = sum(linear(a * 9, b) for a, b in pairs) + linear(widths[-1], d)  # 3x3 convs, then 1x1
            decoder = linear(d, widths[-1]) + sum(linear(b * 9, a) for a, b in pairs)  # 1x1, then transposed
            return encoder + decoder
        heads = 2 if self.variational else 1  # a VAE's encoder gives mu and log sigma^2
        if self.arch == "mlp":
            widths = [self.input_dim, *self.hidden, self.latent_dim]
            encoder = sum(linear(a, b) for a, b in zip(widths, widths[1:]))
            encoder += (heads - 1) * linear(widths[-2], self.latent_dim)
            decoder = sum(linear(b, a) for a, b in zip(widths, widths[1:]))
            return encoder + decoder
        convs = linear(c * 9, 16) + linear(16 * 9, 32) + linear(32 * 9, 16) + linear(16 * 9, c)
        features = 32 * (h // 4) * (w // 4)
        return convs + (0 if self.latent_dim is None else linear(features, heads * self.latent_dim)
                        + linear(self.latent_dim, features))

    @property
    def code_dim(self) -> int:
        """Numbers in a code: latent_dim, or the conv feature map's size when there is no bottleneck."""
        if self.latent_dim is not None:
            return self.latent_dim
        c, h, w = self.image_shape
        return 32 * (h // 4) * (w // 4)


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

    With a latent_dim, a linear layer maps the 32 x H/4 x W/4 feature map to z and back.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        c, h, w = config.image_shape
        self.feature_shape = (32, h // 4, w // 4)
        features = math.prod(self.feature_shape)
        enc = [nn.Conv2d(c, 16, 3, stride=2, padding=1), nn.ReLU(),  # H -> H/2
               nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU()]  # H/2 -> H/4
        dec = [nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
               nn.ConvTranspose2d(16, c, 3, stride=2, padding=1, output_padding=1)]
        if config.latent_dim is not None:
            enc += [nn.Flatten(), nn.Linear(features, config.latent_dim * (2 if config.variational else 1))]
            enc += _bottleneck(config)
            dec = [nn.Linear(config.latent_dim, features), nn.ReLU(),
                   nn.Unflatten(1, self.feature_shape)] + dec
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)  # ends on the last transposed convolution: logits
        self.output = _output_layer(config)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encoder(x)  # (B, latent_dim) or (B, 32, H/4, W/4)
        return z if self.config.latent_dim is not None else z.flatten(1)  # (B, code_dim)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder before its output activation."""
        if self.config.latent_dim is None:
            z = z.view(-1, *self.feature_shape)  # (B, 32, H/4, W/4)
        return self.decoder(z)  # (B, C, H, W)


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


def build_model(config: ModelConfig, seed: int = 0) -> Autoencoder:
    """The model for `config`, its weights drawn from `seed` without touching torch's global RNG."""
    from .variants import VQVAE, Contractive, Sparse

    kinds = {("mlp", False): MLPAutoencoder, ("conv", False): ConvAutoencoder,
             ("mlp", True): MLPVAE, ("conv", True): ConvVAE, ("vq", False): VQVAE}
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
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
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
