"""What an autoencoder is compared with: PCA (the linear autoencoder), linear probes, neighbourhood trust."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .metrics import as_float, per_sample_mse


class PCABaseline:
    """PCA with k components fitted on flattened training images: the linear autoencoder.

    Standard PCA everywhere in the app: reconstructions are not clipped to [0, 1], as in the
    published comparisons (Hinton & Salakhutdinov, 2006).
    """

    def __init__(self, train_images: torch.Tensor, k: int, seed: int = 0):
        from sklearn.decomposition import PCA

        X = as_float(train_images).flatten(1).numpy()
        k = min(k, *X.shape)
        self.shape = tuple(train_images.shape[1:])
        self.pca = PCA(n_components=k, svd_solver="randomized" if k < 50 else "full",
                       random_state=seed).fit(X)

    def encode(self, images: torch.Tensor) -> np.ndarray:
        """Codes (N, k)."""
        return self.pca.transform(as_float(images).flatten(1).numpy())

    def decode(self, codes: np.ndarray) -> torch.Tensor:
        """Images (N, C, H, W) from codes (N, k); pixels may leave [0, 1] slightly."""
        return torch.from_numpy(self.pca.inverse_transform(codes)).float().view(-1, *self.shape)

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images))

    def errors(self, images: torch.Tensor) -> torch.Tensor:
        """Per-sample MSE (N,)."""
        return per_sample_mse(self.reconstruct(images), as_float(images))


def pca_code_size(train_images: torch.Tensor, val_images: torch.Tensor) -> int:
    """PCA's code size chosen on held-out normal images only: the k in 1, 2, 4, ... (below the number
    of training images and of pixels) under whose probabilistic PCA `val_images` are most likely.
    Reconstruction error only falls as k grows, so it cannot choose; the likelihood also pays for
    the variance that k components leave out."""
    limit = min(len(train_images), train_images[0].numel())  # images, pixels
    candidates = [2 ** i for i in range(12) if 2 ** i < limit]
    return candidates[int(np.argmax(ppca_log_likelihoods(train_images, val_images, candidates)))]


def ppca_log_likelihoods(train_images: torch.Tensor, val_images: torch.Tensor, ks: Sequence[int]) -> np.ndarray:
    """Mean log-likelihood (len(ks),) of val_images under probabilistic PCA with k components fitted on
    train_images (Tipping & Bishop, 1999), for each k from one fit; equal to sklearn's PCA(k).score."""
    from sklearn.decomposition import PCA

    X, V = (as_float(a).flatten(1).numpy().astype(np.float64) for a in (train_images, val_images))
    d = X.shape[1]
    pca = PCA(n_components=max(ks), svd_solver="full").fit(X)
    total = X.var(axis=0, ddof=1).sum()  # the sum of all d variances
    z = (V - pca.mean_) @ pca.components_.T  # (M, k_max)
    distance = ((V - pca.mean_) ** 2).sum(1)  # (M,)
    out = []
    for k in ks:
        lam = np.maximum(pca.explained_variance_[:k], 1e-12)  # constant pixels give null variances
        noise = max((total - lam.sum()) / (d - k), 1e-12)  # the mean of the d - k variances left out
        inside = (z[:, :k] ** 2).sum(1)
        mahalanobis = (z[:, :k] ** 2 / lam).sum(1) + (distance - inside) / noise
        out.append(-0.5 * (d * np.log(2 * np.pi) + np.log(lam).sum() + (d - k) * np.log(noise)
                           + mahalanobis.mean()))
    return np.array(out)


def linear_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                 seed: int = 0) -> float:
    """Test accuracy of a logistic regression on standardised features: how linearly readable they are."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, random_state=seed))
    return float(clf.fit(train_x, train_y).score(test_x, test_y))


def pca_error_curve(train_images: torch.Tensor, test_images: torch.Tensor, ks: Sequence[int],
                    seed: int = 0) -> np.ndarray:
    """Mean squared error per pixel (len(ks),) of PCA with k components for each k, one fit for all."""
    from sklearn.decomposition import PCA

    X = as_float(train_images).flatten(1).numpy()
    T = as_float(test_images).flatten(1).numpy()
    k_max = max(ks)
    if min(ks) < 1 or k_max > min(X.shape):
        raise ValueError(f"every k must be in [1, {min(X.shape)}], got {list(ks)}")
    pca = PCA(n_components=k_max, svd_solver="full", random_state=seed).fit(X)
    V = pca.components_  # (k_max, D), orthonormal rows
    z = (T - pca.mean_) @ V.T  # (N, k_max)
    errors = []
    for k in ks:
        t_hat = pca.mean_ + z[:, :k] @ V[:k]
        errors.append(float(np.mean((t_hat - T) ** 2)))
    return np.array(errors)


def probe_accuracies(features: dict[str, tuple[np.ndarray, np.ndarray]], train_y: np.ndarray,
                     test_y: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Linear-probe test accuracy for each name -> (train features (N, F), test features (M, F))."""
    return {name: linear_probe(tr, train_y, te, test_y, seed) for name, (tr, te) in features.items()}


def trustworthiness(high: np.ndarray, low: np.ndarray, n_neighbors: int = 10) -> float:
    """Share in [0, 1] of each point's map neighbours that are true neighbours (Venna & Kaski, 2001).

    high (N, D) the original points, low (N, 2) the map; 1 means no false neighbours.
    """
    from sklearn.manifold import trustworthiness as sk_trustworthiness

    return float(sk_trustworthiness(np.asarray(high).reshape(len(high), -1), np.asarray(low),
                                    n_neighbors=n_neighbors))
