"""Generation: decode codes drawn at random, and judge the images the same way for every model.

The judge is a small classifier trained once per dataset on real training images. For a set of
images it gives three numbers:
- confidence (« confiance du juge »): the mean top class probability (how sure the judge is of a digit);
- diversity (« diversité »): the entropy of the predicted-class histogram divided by log 10 (1: every class equally);
- frechet (« distance de Fréchet »): between the classifier's penultimate features of the images and of real
  validation images, as FID does with an Inception network (0: the same feature statistics).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .build import init_weights
from .data import Dataset, to_float
from .latent import decode_codes
from .metrics import as_float, encode
from .rows import train_val_split


def prior_codes(n: int, dim: int, seed: int) -> torch.Tensor:
    """n codes drawn from N(0, I)."""
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def fitted_codes(train_codes: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """n codes drawn from the Gaussian fitted to training codes (mean and full covariance): the fair
    way to sample a plain autoencoder, whose codes are not spread as N(0, I)."""
    codes = train_codes.double()
    mean, cov = codes.mean(0), torch.cov(codes.T).reshape(codes.shape[1], codes.shape[1])
    chol = torch.linalg.cholesky(cov + 1e-6 * torch.eye(len(cov), dtype=cov.dtype))
    eps = torch.randn(n, codes.shape[1], generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return (mean + eps @ chol.T).float()


def sharpness(images: torch.Tensor) -> float:
    """Mean gradient magnitude (finite differences) of images (N, C, H, W) in [0, 1]: blur lowers it."""
    x = as_float(images)
    dx, dy = x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]
    return float((dx[..., :-1, :].pow(2) + dy[..., :, :-1].pow(2)).sqrt().mean())


class JudgeNet(nn.Module):
    """pixels -> 256 -> 128 (the features) -> 10 classes."""

    def __init__(self, pixels: int, classes: int):
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(pixels, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU())
        self.head = nn.Linear(128, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@dataclass
class Judge:
    """The trained classifier, its validation accuracy, and the real validation images' features."""

    net: JudgeNet
    accuracy: float
    real_mean: np.ndarray
    real_cov: np.ndarray

    @torch.no_grad()
    def scores(self, images: torch.Tensor) -> dict[str, float]:
        """confidence, diversity and frechet of images (N, C, H, W)."""
        self.net.eval()
        feats = self.net.features(as_float(images))
        probs = self.net.head(feats).softmax(1)
        counts = np.bincount(probs.argmax(1).numpy(), minlength=probs.shape[1]) / len(probs)
        entropy = abs(sum(p * math.log(p) for p in counts if p > 0))
        f = feats.double().numpy()
        return {"confidence": float(probs.max(1).values.mean()), "diversity": float(entropy / math.log(probs.shape[1])),
                "frechet": frechet_distance(f.mean(0), np.cov(f, rowvar=False), self.real_mean, self.real_cov)}


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + Tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2)), the distance between two Gaussians."""
    from scipy import linalg

    eps = 1e-6 * np.eye(len(cov1))  # as FID implementations do: a singular product has no stable root
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm((cov1 + eps) @ (cov2 + eps))
    root = root.real if np.iscomplexobj(root) else root
    return float(((mu1 - mu2) ** 2).sum() + np.trace(cov1 + cov2 - 2 * root))


def train_judge(data: Dataset, epochs: int = 8, seed: int = 0) -> Judge:
    """The judge of `data`: trained on its training split, checked and described on its validation split."""
    train_idx, val_idx = train_val_split(data)
    g = torch.Generator().manual_seed(seed)
    with torch.device("meta"):  # built empty, its weights drawn below from `seed` alone
        net = JudgeNet(data.images[0].numel(), len(data.class_names))
    net = init_weights(net.to_empty(device="cpu"), seed)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x_all, y_all = data.images[train_idx], data.labels[train_idx]
    for _ in range(epochs):
        for idx in torch.randperm(len(train_idx), generator=g).split(128):
            loss = nn.functional.cross_entropy(net(to_float(x_all[idx])), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        x_val = to_float(data.images[val_idx])
        accuracy = float((net(x_val).argmax(1) == data.labels[val_idx]).float().mean())
        f = net.features(x_val).double().numpy()
    return Judge(net, accuracy, f.mean(0), np.cov(f, rowvar=False))


def judge_references(judge: Judge, data: Dataset, n: int = 1000, seed: int = 0) -> dict[str, dict[str, float]]:
    """The two reference rows: n real images (training ones: the judge's statistics are those of the
    validation images, and a set compared with itself would score 0), and uniform noise."""
    train_idx, _ = train_val_split(data)
    g = torch.Generator().manual_seed(seed)
    real = data.images[train_idx[torch.randperm(len(train_idx), generator=g)[:n]]]
    noise = torch.rand(n, *data.image_shape, generator=g)
    return {"images réelles": judge.scores(real), "bruit": judge.scores(noise)}


def model_samples(model: nn.Module, train_images: torch.Tensor, n: int, seed: int, fitted: bool) -> torch.Tensor:
    """n images decoded from N(0, I) codes, or (fitted) from a Gaussian fitted to the training codes."""
    dim = model.config.latent_dim
    z = fitted_codes(encode(model, train_images), n, seed) if fitted else prior_codes(n, dim, seed)
    return decode_codes(model, z)


def judge_pair(judge: Judge, data: Dataset, ae: nn.Module, vae: nn.Module, train_images: torch.Tensor,
               n: int = 1000) -> dict[str, dict[str, float]]:
    """The judge's numbers for the generation page's pair: n VAE prior samples, plain-autoencoder
    samples from N(0, I) ("ae") and from a Gaussian fitted to its codes ("ae_fit"), the two reference
    rows, and the judge's own accuracy."""
    return {"vae": judge.scores(model_samples(vae, train_images, n, 0, False)),
            "ae": judge.scores(model_samples(ae, train_images, n, 0, False)),
            "ae_fit": judge.scores(model_samples(ae, train_images, n, 0, True)),
            **judge_references(judge, data, n), "judge accuracy": {"accuracy": judge.accuracy}}
