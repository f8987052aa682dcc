"""The course's variants: sparse and contractive autoencoders, and the VQ-VAE.

Each is a model the one trainer trains like the others (`objective` returns the total loss and its
named parts, which the history records per epoch):

- Sparse: L1 on the code, lambda * sum_j |z_j|, or the target-rate form (Ng's notes): with a
  sigmoid bottleneck, lambda * sum_j KL(rho || mean activation of unit j over the batch).
- Contractive (Rifai et al., 2011): lambda * ||dz/dx||_F^2. For the app's MLP encoders (Linear and
  ReLU layers, then a linear, sigmoid or standardised bottleneck) the Jacobian is exact in closed
  form, a product of the weight matrices and each image's 0/1 ReLU masks: one chain of matrix
  products, instead of one backward pass per code unit with autograd (timed in
  `python -m bench.variants`). A free code escapes the penalty by shrinking (the decoder
  scales it back up), so the page's contractive code is standardised (models.Standardise), and so
  is its plain twin's; Rifai et al. close the same escape by tying the decoder's weights to the
  encoder's. While training, the batch's spread of each unit is the same for all its images and
  counts as a constant of each image's Jacobian (its own share of it is 1/B).
- VQ-VAE (van den Oord et al., 2017): a convolutional encoder to a grid of vectors, each replaced by
  its nearest of K codebook vectors; gradients pass straight through the quantisation; the
  codebook follows its assigned vectors by exponential moving averages (EMA, no codebook loss);
  the loss adds beta * ||z - sg(q)||^2 (commitment); codes left unused are restarted on vectors of
  the batch, drawn from the trainer's generator.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .metrics import as_float, encode
from .models import Autoencoder, MLPAutoencoder, Standardise
from .objectives import loss_from_logits
from .spec import ModelConfig

EMA_DECAY = 0.99
DEAD_BELOW = 0.01  # a code whose EMA count falls below this has stopped being used


class Sparse(MLPAutoencoder):
    """An MLP autoencoder with a sparsity penalty on its code."""

    def objective(self, x_in, x, loss, generator=None):
        z = self.encode(x_in)
        rec = loss_from_logits(self.decode_logits(z), x, loss, self.config.output)
        if self.config.penalty == "l1":
            penalty = z.abs().sum(1).mean()
        else:  # "rate": the code is a sigmoid, its mean activation per unit is pulled towards rho
            rho, rho_hat = self.config.rate, z.mean(0).clamp(1e-6, 1 - 1e-6)
            penalty = (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()
        return rec + self.config.weight * penalty, {"reconstruction": rec, "penalty": penalty}


def jacobian_factors(encoder: nn.Sequential, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(A, W_1) with dz/dx = A W_1 for an MLP encoder, exact: A = G_L W_L ... G_2 W_2 G_1 (B,
    latent_dim, first width), where W are the weights and G each image's activation derivatives
    (0/1 for a ReLU, 1/spread for a standardised code). Multiplied from the code's side, so the
    products stay latent_dim rows wide."""
    h, weights, gates = x.flatten(1), [], []
    for layer in encoder:
        if isinstance(layer, nn.Linear):
            h = layer(h)
            weights.append(layer.weight)
            gates.append(None)  # a linear output: no activation after it
        elif isinstance(layer, nn.ReLU):
            gates[-1] = (h > 0).to(h.dtype)
            h = layer(h)
        elif isinstance(layer, Standardise):  # the last layer: h is not needed after it
            var = h.var(0, unbiased=False) if layer.uses_batch(h) else layer.running_var
            gates[-1] = (var + layer.eps).rsqrt()  # one per unit, the same for every image
        else:  # Sigmoid
            h = layer(h)
            gates[-1] = h * (1 - h)
    a = weights[-1] if gates[-1] is None else gates[-1].unsqueeze(-1) * weights[-1]  # G_L W_L: rows scaled
    for i in reversed(range(len(weights) - 1)):
        a = a * gates[i].unsqueeze(1)  # A G_i: each column scaled, per image from here on (B, latent_dim, width)
        if i:
            a = a @ weights[i]
    return a, weights[0]


def code_jacobian(encoder: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """dz/dx (B, latent_dim, pixels)."""
    a, w = jacobian_factors(encoder, x)
    return a @ w


def contraction(encoder: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """||dz/dx||_F^2 of each image (B,). With more pixels than first-layer units (28 × 28 images),
    ||A W_1||^2 = trace(A (W_1 W_1^T) A^T) is cheaper: W_1 W_1^T is computed once per batch."""
    a, w = jacobian_factors(encoder, x)
    if w.shape[1] > w.shape[0]:
        return ((a @ (w @ w.T)) * a).sum((1, 2))
    return (a @ w).pow(2).sum((1, 2))


class Contractive(MLPAutoencoder):
    """An MLP autoencoder whose code is penalised for its sensitivity to the input."""

    def objective(self, x_in, x, loss, generator=None):
        z = self.encode(x_in)
        rec = loss_from_logits(self.decode_logits(z), x, loss, self.config.output)
        penalty = contraction(self.encoder, x_in).mean()
        return rec + self.config.weight * penalty, {"reconstruction": rec, "penalty": penalty}


def _conv_sizes(side: int, downsample: int) -> list[int]:
    sizes = [side]
    for _ in range(downsample):
        sizes.append((sizes[-1] - 1) // 2 + 1)  # a 3 x 3 convolution of stride 2, padding 1
    return sizes


class VQVAE(Autoencoder):
    """x (B, C, H, W) -> a grid of `latent_dim`-vectors -> each replaced by its nearest codebook
    vector -> decoded. `encode` gives the quantised grid, flattened; `indices` the code numbers."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        c, h, _ = config.image_shape
        d, k, n = config.latent_dim, config.codebook, config.downsample
        widths = [c, *([16, 32, 32][:n])]
        enc = []
        for a, b in zip(widths, widths[1:]):
            enc += [nn.Conv2d(a, b, 3, stride=2, padding=1), nn.ReLU()]
        self.encoder = nn.Sequential(*enc, nn.Conv2d(widths[-1], d, 1))
        sizes = _conv_sizes(h, n)
        self.grid = sizes[-1]
        dec = [nn.Conv2d(d, widths[-1], 1), nn.ReLU()]
        for i, (a, b) in enumerate(zip(widths[::-1], widths[-2::-1])):
            out = sizes[n - i - 1]
            pad = out - ((sizes[n - i] - 1) * 2 - 2 + 3)
            dec += [nn.ConvTranspose2d(a, b, 3, stride=2, padding=1, output_padding=pad), nn.ReLU()]
        self.decoder = nn.Sequential(*dec[:-1])  # logits
        self.output = nn.Sigmoid()
        self.register_buffer("codebook", torch.zeros(k, d))
        self.register_buffer("ema_count", torch.ones(k))
        self.register_buffer("ema_sum", torch.zeros(k, d))

    def reset_codebook(self, generator: torch.Generator) -> None:
        with torch.no_grad():
            self.codebook.copy_(torch.randn(self.codebook.shape, generator=generator) * 0.1)
            self.ema_sum.copy_(self.codebook)
            self.ema_count.fill_(1.0)

    def _vectors(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's grid as rows (B * grid * grid, latent_dim)."""
        return self.encoder(x).permute(0, 2, 3, 1).reshape(-1, self.config.latent_dim)

    def _nearest(self, flat: torch.Tensor) -> torch.Tensor:
        return torch.cdist(flat, self.codebook).argmin(1)

    def indices(self, x: torch.Tensor) -> torch.Tensor:
        """Code numbers (B, grid, grid)."""
        return self._nearest(self._vectors(x)).view(len(x), self.grid, self.grid)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.codebook[self._nearest(self._vectors(x))].view(len(x), -1)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        d = self.config.latent_dim
        return self.decoder(z.view(len(z), self.grid, self.grid, d).permute(0, 3, 1, 2))

    def decode_indices(self, idx: torch.Tensor) -> torch.Tensor:
        """Images from code numbers (B, grid, grid)."""
        return self.decode(self.codebook[idx.flatten(1)].flatten(1))

    def objective(self, x_in, x, loss, generator=None):
        flat = self._vectors(x_in)
        idx = self._nearest(flat)
        q = self.codebook[idx]
        if self.training:
            self._update_codebook(flat.detach(), idx, generator)
        commitment = (flat - q.detach()).pow(2).mean()
        quantised = flat + (q - flat).detach()  # straight-through: the gradient skips the rounding
        rec = loss_from_logits(self.decode_logits(quantised.view(len(x_in), -1)), x, loss, self.config.output)
        counts = torch.bincount(idx, minlength=self.config.codebook).float()
        p = counts / counts.sum()
        perplexity = torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum())
        dead = (self.ema_count < DEAD_BELOW).sum().float()
        return rec + self.config.weight * commitment, {"reconstruction": rec, "commitment": commitment,
                                                       "perplexity": perplexity, "dead": dead}

    @torch.no_grad()
    def _update_codebook(self, flat: torch.Tensor, idx: torch.Tensor, generator) -> None:
        onehot = torch.zeros(len(flat), self.config.codebook, device=flat.device)
        onehot[torch.arange(len(flat)), idx] = 1.0
        self.ema_count.mul_(EMA_DECAY).add_(onehot.sum(0), alpha=1 - EMA_DECAY)
        self.ema_sum.mul_(EMA_DECAY).add_(onehot.T @ flat, alpha=1 - EMA_DECAY)
        n = self.ema_count.sum()
        count = (self.ema_count + 1e-5) / (n + self.config.codebook * 1e-5) * n  # Laplace smoothing
        self.codebook.copy_(self.ema_sum / count.unsqueeze(1))
        dead = torch.nonzero(self.ema_count < DEAD_BELOW).flatten()
        if len(dead):  # restart unused codes on vectors of this batch
            pick = torch.randint(len(flat), (len(dead),), generator=generator, device=flat.device)
            self.codebook[dead] = flat[pick]
            self.ema_sum[dead] = flat[pick]
            self.ema_count[dead] = 1.0


def bits_per_image(config: ModelConfig, grid: int) -> float:
    """A VQ-VAE's code: grid x grid numbers of log2(K) bits."""
    return grid * grid * math.log2(config.codebook)


# --- what each penalty buys, measured on validation images ----------------------------------------

@torch.no_grad()
def sparsity(model: nn.Module, images: torch.Tensor) -> dict[str, float]:
    """Share of code units near zero per image (|z_j| below 1 % of unit j's range over these images),
    and the mean number of active units per image."""
    z = encode(model, images)
    near = z.abs() < 0.01 * (z.amax(0) - z.amin(0)).clamp_min(1e-12)
    return {"near_zero": float(near.float().mean()), "active": float((~near).sum(1).float().mean())}


def sensitivity(model: nn.Module, images: torch.Tensor, noise: float = 0.05, seed: int = 0) -> dict[str, float]:
    """Scale-free sensitivity of the code: the Frobenius norm of dz/dx with each code unit divided by
    its standard deviation over these images, and how far those normalised codes move when the
    images get a small Gaussian noise (std `noise`). A code cannot look stable by shrinking itself."""
    x = as_float(images)
    z = encode(model, x)
    scale = z.std(0).clamp_min(1e-8)
    with torch.no_grad():
        jac = code_jacobian(model.encoder, x.to(next(model.parameters()).device)).cpu()
    moved = encode(model, x + noise * torch.randn(x.shape, generator=torch.Generator().manual_seed(seed)))
    return {"jacobian": float((jac / scale.view(1, -1, 1)).pow(2).sum((1, 2)).sqrt().mean()),
            "displacement": float(((moved - z) / scale).norm(dim=1).mean())}
