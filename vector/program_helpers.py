"""The numpy functions an adjoint program calls where one expression is not enough.

Most ops print as one numpy expression (`X @ W1`, `np.maximum(v1, 0)`). A few computes take
several statements (a stable softmax loss, a sigmoid with two branches, BatchNorm's statistics);
their programs call a function of the same computation, whose source the program carries after
its main function, so a saved program still needs only numpy. Each does exactly what its op's
`compute` does, statement for statement, so its results are the op's to the last bit;
`vector.program` checks that on every node when it writes a program.
"""

from __future__ import annotations

import numpy as np

__all__ = ["batch_normalize", "batch_normalize_grad", "sigmoid", "softmax_loss"]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + e⁻ᵃ), with two branches so that neither exp overflows (eᵃ/(1 + eᵃ) for a < 0)."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def softmax_loss(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The mean over the rows of logsumexp(zᵢ) − ⟨zᵢ, yᵢ⟩, each row shifted by its max."""
    top = z.max(axis=1, keepdims=True)
    top_sum = float(top.sum())
    if not np.isfinite(top_sum):  # a row of −inf (or an inf): no shift there
        top = np.where(np.isfinite(top), top, 0)
        top_sum = float(top.sum())
    total = np.exp(z - top).sum(axis=1, keepdims=True)
    return np.asarray((np.log(total).sum() + top_sum - (z * y).sum()) / z.shape[0])


def batch_normalize(x: np.ndarray, eps: float) -> np.ndarray:
    """(x − μ)/√(σ² + eps) for each column, μ and σ² the column's mean and biased variance."""
    n = x.shape[0]
    centered = x - x.sum(axis=0) / n
    std = ((centered * centered).sum(axis=0) / n + eps) ** 0.5
    return centered / std


def batch_normalize_grad(x: np.ndarray, v: np.ndarray, eps: float) -> np.ndarray:
    """The VJP of `batch_normalize` at x for the adjoint v: (v − mean v − x̂·mean(x̂v))/σ."""
    n = x.shape[0]
    centered = x - x.sum(axis=0) / n
    std = ((centered * centered).sum(axis=0) / n + eps) ** 0.5
    xhat = centered / std
    return (v - v.sum(axis=0) / n - xhat * ((xhat * v).sum(axis=0) / n)) / std
