"""BatchNorm1d and LayerNorm1d: normalise, then scale by a weight and shift by a bias."""

from __future__ import annotations

from typing import Any

from vector import init, ops
from vector.autograd import Tensor
from vector.device import Device
from vector.nn.module import Module, Parameter

__all__ = ["BatchNorm1d", "LayerNorm1d"]


def _check_2d(layer: str, x: Tensor, dim: int) -> tuple[int, int]:
    shape = x.shape
    if len(shape) != 2 or shape[1] != dim:
        raise ValueError(f"{layer}({dim}): expected input of shape (batch, {dim}), got {shape}")
    return shape


def _row(v: Tensor, shape: tuple[int, int]) -> Tensor:
    """A (dim,) tensor repeated over the rows of `shape`."""
    return v.reshape((1, shape[1])).broadcast_to(shape)


def _column(v: Tensor, shape: tuple[int, int]) -> Tensor:
    """A (batch,) tensor repeated over the columns of `shape`."""
    return v.reshape((shape[0], 1)).broadcast_to(shape)


class BatchNorm1d(Module):
    """y = w·(x − μ)/√(σ² + eps) + b per feature, for x of shape (batch, dim).

    Training: μ and σ² are the batch mean and biased batch variance of each feature (gradients
    flow through them; the normalisation is one fused op, `ops.batch_normalize`), and the
    running statistics move towards them without building graph:
    `running_mean = (1 − m)·running_mean + m·μ`, `running_var = (1 − m)·running_var + m·σ²`
    (biased σ², as needle). Evaluation: μ and σ² are the running statistics. w (ones) and b
    (zeros) are Parameters of shape (dim,); the running statistics are plain Tensors.
    """

    def __init__(
        self,
        dim: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        device: Device | None = None,
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        self.dim = dim
        # Python floats, so that numpy-scalar settings cannot promote float32 activations.
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.weight = Parameter(init.ones(dim, device=device, dtype=dtype))
        self.bias = Parameter(init.zeros(dim, device=device, dtype=dtype))
        self.running_mean = init.zeros(dim, device=device, dtype=dtype)
        self.running_var = init.ones(dim, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        _check_2d("BatchNorm1d", x, self.dim)
        if self.training:
            # (x − μ)/√(σ² + eps) with the batch's statistics, as one fused op
            # (vector/ops/fused.py); it also hands back μ and σ² for the running statistics.
            normalize = ops.BatchNormalize(self.eps)
            normed = normalize(x)
            # Set by `compute`, which ran when `normalize(x)` made its node (only gradients that
            # `backward()` builds are computed later).
            assert normalize.mean is not None and normalize.var is not None
            m = self.momentum
            # New arrays rather than in-place updates: graphs built in eval mode may still hold
            # the old ones.
            self.running_mean.data = (1 - m) * self.running_mean.numpy() + m * normalize.mean
            self.running_var.data = (1 - m) * self.running_var.numpy() + m * normalize.var
        else:
            normed = (x - self.running_mean) / (self.running_var + self.eps) ** 0.5
        # (dim,) rows broadcast over the batch, as numpy does.
        return self.weight * normed + self.bias


class LayerNorm1d(Module):
    """y = w·(x − μ)/√(σ² + eps) + b per example, for x of shape (batch, dim).

    μ and σ² are the mean and biased variance of each row (over its dim features), so the layer
    behaves the same in training and evaluation. w (ones) and b (zeros) are Parameters of shape
    (dim,).
    """

    def __init__(
        self, dim: int, eps: float = 1e-5, device: Device | None = None, dtype: Any = "float32"
    ) -> None:
        super().__init__()
        self.dim = dim
        self.eps = float(eps)
        self.weight = Parameter(init.ones(dim, device=device, dtype=dtype))
        self.bias = Parameter(init.zeros(dim, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        shape = _check_2d("LayerNorm1d", x, self.dim)
        d = shape[1]
        centered = x - _column(x.sum((1,)) / d, shape)
        var = (centered * centered).sum((1,)) / d
        normed = centered / _column((var + self.eps) ** 0.5, shape)
        return _row(self.weight, shape) * normed + _row(self.bias, shape)
