"""Tensor initialisers with needle's names, signatures and draws from numpy's global RNG.

Each random initialiser calls numpy's global generator exactly once (`np.random.rand` or
`np.random.randn`) and computes in float64 before converting to `dtype` (float32 by default), as
needle does, so `np.random.seed(s)` followed by the same calls gives needle's numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vector.autograd import Tensor
from vector.device import Device

__all__ = [
    "constant",
    "kaiming_normal",
    "kaiming_uniform",
    "one_hot",
    "ones",
    "ones_like",
    "rand",
    "randb",
    "randn",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
    "zeros_like",
]


def _tensor(array: Any, device: Device | None, dtype: Any, requires_grad: bool) -> Tensor:
    return Tensor(array, device=device, dtype=dtype, requires_grad=requires_grad)


def rand(
    *shape: int,
    low: float = 0.0,
    high: float = 1.0,
    device: Device | None = None,
    dtype: Any = "float32",
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [low, high): `np.random.rand(*shape) * (high - low) + low`."""
    array = np.random.rand(*shape) * (high - low) + low
    return _tensor(array, device, dtype, requires_grad)


def randn(
    *shape: int,
    mean: float = 0.0,
    std: float = 1.0,
    device: Device | None = None,
    dtype: Any = "float32",
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples: `np.random.randn(*shape) * std + mean`."""
    array = np.random.randn(*shape) * std + mean
    return _tensor(array, device, dtype, requires_grad)


def constant(
    *shape: int,
    c: float = 1.0,
    device: Device | None = None,
    dtype: Any = "float32",
    requires_grad: bool = False,
) -> Tensor:
    """Every element equal to `c`. Uses no randomness."""
    array = np.full(shape, c, dtype=dtype)
    return _tensor(array, device, dtype, requires_grad)


def ones(
    *shape: int, device: Device | None = None, dtype: Any = "float32", requires_grad: bool = False
) -> Tensor:
    """All ones."""
    return constant(*shape, c=1.0, device=device, dtype=dtype, requires_grad=requires_grad)


def zeros(
    *shape: int, device: Device | None = None, dtype: Any = "float32", requires_grad: bool = False
) -> Tensor:
    """All zeros."""
    return constant(*shape, c=0.0, device=device, dtype=dtype, requires_grad=requires_grad)


def randb(
    *shape: int,
    p: float = 0.5,
    device: Device | None = None,
    dtype: Any = "bool",
    requires_grad: bool = False,
) -> Tensor:
    """Bernoulli samples, True (1) with probability p: `np.random.rand(*shape) <= p`.

    The default dtype is bool, as in needle; pass a float dtype to get a 0/1 mask.
    """
    array = np.random.rand(*shape) <= p
    return _tensor(array, device, dtype, requires_grad)


def one_hot(
    n: int,
    i: Any,
    device: Device | None = None,
    dtype: Any = "float32",
    requires_grad: bool = False,
) -> Tensor:
    """Rows of the n×n identity picked by the integer labels `i` (shape `i.shape + (n,)`).

    `i` may be a Tensor, a numpy array, a list or a single integer. Labels outside 0..n-1 raise
    a ValueError naming the offending value.
    """
    labels = i.realize_cached_data() if isinstance(i, Tensor) else np.asarray(i)
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)  # needle casts float labels the same way
        else:
            raise ValueError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        bad = labels.min() if labels.min() < 0 else labels.max()
        raise ValueError(f"one_hot: label {int(bad)} is out of range for {n} classes (0..{n - 1})")
    array = np.eye(n, dtype=dtype)[labels]
    return _tensor(array, device, dtype, requires_grad)


def zeros_like(
    array: Tensor, *, device: Device | None = None, requires_grad: bool = False
) -> Tensor:
    """Zeros with the shape and dtype of `array`."""
    return zeros(*array.shape, dtype=array.dtype, device=device, requires_grad=requires_grad)


def ones_like(
    array: Tensor, *, device: Device | None = None, requires_grad: bool = False
) -> Tensor:
    """Ones with the shape and dtype of `array`."""
    return ones(*array.shape, dtype=array.dtype, device=device, requires_grad=requires_grad)


def xavier_uniform(fan_in: int, fan_out: int, gain: float = 1.0, **kwargs: Any) -> Tensor:
    """(fan_in, fan_out) uniform in [-a, a], a = gain·√(6/(fan_in + fan_out)) (Glorot, 2010)."""
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rand(fan_in, fan_out, low=-a, high=a, **kwargs)


def xavier_normal(fan_in: int, fan_out: int, gain: float = 1.0, **kwargs: Any) -> Tensor:
    """(fan_in, fan_out) normal with mean 0 and std gain·√(2/(fan_in + fan_out))."""
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return randn(fan_in, fan_out, mean=0.0, std=std, **kwargs)


def _relu_gain(nonlinearity: str, name: str) -> float:
    # needle only defines the ReLU gain; say so rather than silently using it for something else.
    if nonlinearity != "relu":
        raise ValueError(f"{name}: only nonlinearity='relu' is supported, got {nonlinearity!r}")
    return math.sqrt(2.0)


def kaiming_uniform(
    fan_in: int,
    fan_out: int,
    nonlinearity: str = "relu",
    *,
    shape: tuple[int, ...] | None = None,
    **kwargs: Any,
) -> Tensor:
    """Uniform in [-b, b], b = gain·√(3/fan_in) with the ReLU gain √2 (He et al., 2015).

    The shape is (fan_in, fan_out) unless `shape` is given (needle's later homeworks pass the
    convolution kernel's shape there; the bound still comes from `fan_in`).
    """
    bound = _relu_gain(nonlinearity, "kaiming_uniform") * math.sqrt(3.0 / fan_in)
    dims = (fan_in, fan_out) if shape is None else tuple(shape)
    return rand(*dims, low=-bound, high=bound, **kwargs)


def kaiming_normal(
    fan_in: int,
    fan_out: int,
    nonlinearity: str = "relu",
    *,
    shape: tuple[int, ...] | None = None,
    **kwargs: Any,
) -> Tensor:
    """Normal with mean 0 and std gain/√fan_in, with the ReLU gain √2 (He et al., 2015)."""
    std = _relu_gain(nonlinearity, "kaiming_normal") / math.sqrt(fan_in)
    dims = (fan_in, fan_out) if shape is None else tuple(shape)
    return randn(*dims, mean=0.0, std=std, **kwargs)
