"""Describe a model for people: a Graphviz diagram and equivalent stand-alone PyTorch code."""

from __future__ import annotations

import torch
from torch import nn

from .build import build_model
from .models import Standardise
from .spec import ModelConfig, RunSpec

WEIGHT_LAYERS = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)


def _layer_code(m: nn.Module) -> str | None:
    """The constructor call that builds layer `m`, or None for layers the code leaves out."""
    if isinstance(m, nn.Linear):
        return f"nn.Linear({m.in_features}, {m.out_features})"
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        extra = f", output_padding={m.output_padding[0]}" if isinstance(m, nn.ConvTranspose2d) else ""
        return (f"nn.{type(m).__name__}({m.in_channels}, {m.out_channels}, {m.kernel_size[0]}, "
                f"stride={m.stride[0]}, padding={m.padding[0]}{extra})")
    if isinstance(m, nn.Unflatten):
        return f"nn.Unflatten(1, {tuple(m.unflattened_size)})"
    if isinstance(m, Standardise):
        return f"nn.BatchNorm1d({len(m.running_mean)}, affine=False)"  # the code standardised
    if isinstance(m, (nn.ReLU, nn.Sigmoid, nn.Flatten)):
        return f"nn.{type(m).__name__}()"
    return None  # nn.Identity


def _shapes(layers: nn.Sequential, x: torch.Tensor) -> list[tuple[int, ...]]:
    """Output shape (without batch) after each weight layer of `layers`."""
    out = []
    for m in layers:
        x = m(x)
        if isinstance(m, WEIGHT_LAYERS):
            out.append(tuple(x.shape[1:]))
    return out


def _size(shape: tuple[int, ...]) -> str:
    return " × ".join(map(str, shape))


def architecture_dot(config: ModelConfig) -> str:
    """A left-to-right Graphviz (DOT) diagram: x -> encoder layers -> z -> decoder layers -> x_hat.
    A VAE's encoder gives μ and log σ², two numbers per code number; z is drawn from them."""
    model = build_model(config)
    with torch.no_grad():
        x = torch.zeros(1, *config.image_shape)
        flat = config.arch == "mlp"
        enc = _shapes(model.encoder, x.flatten(1) if flat else x)
        code = (config.latent_dim,) if config.variational else enc[-1]
        dec = _shapes(model.decoder, torch.zeros(1, *code))
    drawn = f"\\n(μ et log σ² : 2 × {config.latent_dim})" if config.variational else ""
    nodes = [("x", f"couche d'entrée x\\n{_size(config.image_shape)}", "#dbeafe")]
    nodes += [(f"e{i}", f"couche cachée\\n{_size(s)}", "#bfdbfe") for i, s in enumerate(enc[:-1])]
    nodes += [("z", f"goulot : code z\\n{_size(code)}{drawn}", "#fde68a")]
    nodes += [(f"d{i}", f"couche cachée\\n{_size(s)}", "#bbf7d0") for i, s in enumerate(dec[:-1])]
    nodes += [("xh", f"couche de sortie x̂\\n{_size(config.image_shape)}", "#dcfce7")]
    lines = ["digraph autoencodeur {", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    lines += [f'  {n} [label="{label}", fillcolor="{color}"];' for n, label, color in nodes]
    lines.append("  " + " -> ".join(n for n, _, _ in nodes) + ";")
    lines.append("}")
    return "\n".join(lines)


def pytorch_code(spec: RunSpec) -> str:
    """Stand-alone PyTorch code (model class and training loop) equivalent to the run `spec`: plain,
    variational, sparse, contractive and VQ-VAE models.

    Covers the noises and super-resolution; inpainting's random squares have no short equivalent.
    """
    config, train, damage = spec.model, spec.train, spec.corruption
    model = build_model(config)
    enc = [c for c in map(_layer_code, model.encoder) if c]
    dec = [c for c in map(_layer_code, model.decoder) if c]
    if config.arch == "mlp":
        enc.insert(0, "nn.Flatten()")
    if config.output == "sigmoid":
        dec.append("nn.Sigmoid()")
    if config.arch == "mlp":
        dec.append(f"nn.Unflatten(1, {config.image_shape})")
    with torch.no_grad():
        z = model.encoder(torch.zeros(1, config.input_dim) if config.arch == "mlp"
                          else torch.zeros(1, *config.image_shape))
    z_shape, x_shape = ", ".join(map(str, z.shape[1:])), ", ".join(map(str, config.image_shape))
    indent = ",\n            "
    loss = ("F.binary_cross_entropy(x_hat, x)" if train.loss == "bce" else "F.mse_loss(x_hat, x)")
    if damage.kind == "inpaint":
        raise ValueError("inpainting has no stand-alone code here")
    kind = damage.kind if damage.level > 0 or damage.kind == "super_resolution" else "none"
    noise = {
        "none": "x",
        "gaussian": f"(x + {damage.level} * torch.randn_like(x)).clamp(0, 1)",
        "salt_pepper": f"salt_and_pepper(x, {damage.level})",
        "mask": f"x * (torch.rand_like(x) >= {damage.level})",
        "super_resolution": f"F.interpolate(F.avg_pool2d(x, {damage.factor}), scale_factor={damage.factor}, "
                            "mode=\"bilinear\")",
    }[kind]
    helper = '''

def salt_and_pepper(x, level):
    u = torch.rand_like(x)
    return torch.where(u < level / 2, 0.0, torch.where(u < level, 1.0, x))
''' if kind == "salt_pepper" else ""
    schedule = ("\n    scheduler = torch.optim.lr_scheduler.OneCycleLR(\n"
                f"        optimizer, max_lr={train.lr}, total_steps=epochs * steps_per_epoch)"
                if train.schedule == "onecycle" else "")
    sched_step = "\n            scheduler.step()" if train.schedule == "onecycle" else ""
    init = penalty = ""  # what a VQ-VAE adds to __init__, and a penalised code to the loop
    standardised = config.bottleneck == "standardised"
    skip = ("\n            if len(idx) < 2:\n                continue  # a standardised code needs two images"
            if standardised else "")
    name, forward, call = "Autoencoder", f"""z = self.encoder(x)  # (B, {z_shape})
        return self.decoder(z)  # (B, {x_shape})""", "x_hat"
    if config.variational:  # the encoder gives mu and log sigma^2; the loss is the negative ELBO (beta = 1)
        name, call = "VAE", "x_hat, mu, logvar"
        forward = f"""mu, logvar = self.encoder(x).chunk(2, dim=1)  # (B, {config.latent_dim}) each
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()  # reparameterisation trick
        return self.decoder(z), mu, logvar  # (B, {x_shape})"""
        rec = "F.binary_cross_entropy(x_hat, x, reduction=\"sum\")" if train.loss == "bce" else \
            "F.mse_loss(x_hat, x, reduction=\"sum\")"
        loss = (f"({rec} + {config.beta} * -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum()) / len(x)")
    elif config.arch == "vq":
        name, call, loss = "VQVAE", "x_hat, commitment", f"{loss} + {config.weight} * commitment"
        forward = VQ_FORWARD.format(x_shape=x_shape) + VQ_METHODS.format(codes=config.codebook)
        init = VQ_INIT.format(codes=config.codebook, dim=config.latent_dim)
    elif config.penalty != "none":
        name, call = "Autoencoder", "x_hat, z"
        forward = f"""z = self.encoder(x)  # (B, {z_shape})
        return self.decoder(z), z  # the code too: the penalty is on it"""
        loss = f"{loss} + {config.weight} * penalty"
        key = "contractive_standardised" if standardised and config.penalty == "contractive" else config.penalty
        penalty = PENALTIES[key].format(rho=config.rate)
    return f'''import math

import torch
import torch.nn.functional as F
from torch import nn


class {name}(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            {indent.join(enc)},
        )
        self.decoder = nn.Sequential(
            {indent.join(dec)},
        ){init}

    def forward(self, x):
        {forward}
{helper}

def train(images, epochs={train.epochs}, batch_size={train.batch_size}, seed={train.seed}):
    """images: (N, {x_shape}) floats in [0, 1]. Returns the model and the loss per epoch."""
    torch.manual_seed(seed)
    model = {name}()
    optimizer = torch.optim.Adam(model.parameters(), lr={train.lr})
    steps_per_epoch = math.ceil(len(images) / batch_size){schedule}
    losses = []
    for epoch in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(images)).split(batch_size):{skip}
            x = images[idx]
            x_in = {noise}
            {call} = model(x_in){penalty}
            loss = {loss}
            optimizer.zero_grad()
            loss.backward()
            optimizer.step(){sched_step}
            total += loss.item() * len(x)
        losses.append(total / len(images))
    return model, losses
'''


# The variants' extra code, as the generated file shows it (see ae_core.variants for the app's own).
PENALTIES = {
    "l1": """
            penalty = z.abs().sum(1).mean()  # L1 on the code: most units learn to stay at 0""",
    "rate": """
            rho_hat = z.mean(0).clamp(1e-6, 1 - 1e-6)  # mean activation of each code unit over the batch
            penalty = ({rho} * torch.log({rho} / rho_hat)
                       + (1 - {rho}) * torch.log((1 - {rho}) / (1 - rho_hat))).sum()  # KL(rho || rho_hat)""",
    "contractive": """
            # ||dz/dx||^2 for each image (the app computes the same Jacobian in closed form, faster)
            jacobian = torch.func.vmap(torch.func.jacrev(lambda v: model.encoder(v.unsqueeze(0))[0]))(x_in)
            penalty = jacobian.pow(2).flatten(1).sum(1).mean()""",
    "contractive_standardised": """
            # ||dz/dx||^2 for each image: the Jacobian of the code before its standardisation, each
            # unit divided by its spread over the batch (the app computes it in closed form, faster)
            before = model.encoder[:-1]
            jacobian = torch.func.vmap(torch.func.jacrev(lambda v: before(v.unsqueeze(0))[0]))(x_in)
            spread = (before(x_in).var(0, unbiased=False) + 1e-5).sqrt()
            penalty = (jacobian.flatten(2) / spread[:, None]).pow(2).sum((1, 2)).mean()""",
}
VQ_INIT = """
        self.register_buffer("codebook", torch.randn({codes}, {dim}) * 0.1)  # K vectors of {dim} numbers
        self.register_buffer("ema_count", torch.ones({codes}))
        self.register_buffer("ema_sum", self.codebook.clone())"""
VQ_FORWARD = """z = self.encoder(x)  # (B, D, grid, grid)
        flat = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])  # one row per grid position
        idx = torch.cdist(flat, self.codebook).argmin(1)  # the number of each row's nearest code
        if self.training:
            self.update_codebook(flat.detach(), idx)
        q = self.codebook[idx]
        commitment = (flat - q).pow(2).mean()  # the encoder stays close to its codes
        q = flat + (q - flat).detach()  # straight-through: the gradient skips the rounding
        q = q.view(len(x), z.shape[2], z.shape[3], -1).permute(0, 3, 1, 2)
        return self.decoder(q), commitment  # (B, {x_shape})"""
VQ_METHODS = """

    @torch.no_grad()
    def update_codebook(self, flat, idx, decay=0.99):
        # Each code moves to the mean of the rows it was nearest to (moving averages); codes that
        # nobody uses any more restart on rows of this batch.
        onehot = F.one_hot(idx, {codes}).float()
        self.ema_count.mul_(decay).add_(onehot.sum(0), alpha=1 - decay)
        self.ema_sum.mul_(decay).add_(onehot.T @ flat, alpha=1 - decay)
        n = self.ema_count.sum()
        count = (self.ema_count + 1e-5) / (n + {codes} * 1e-5) * n
        self.codebook.copy_(self.ema_sum / count.unsqueeze(1))
        dead = self.ema_count < 0.01
        if dead.any():
            pick = torch.randint(len(flat), (int(dead.sum()),))
            self.codebook[dead], self.ema_sum[dead], self.ema_count[dead] = flat[pick], flat[pick], 1.0"""
