"""Stable log-sum-exp and log-softmax."""

from __future__ import annotations

from typing import Any

import numpy as np

from vector.autograd import Tensor, TensorOp
from vector.ops.elementwise import exp
from vector.ops.shape import axes_tuple, broadcast_to, kept_dims, reshape, summation
from vector.program import Operand


def _stable_lse(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """log Σ exp(a) over `axes`, keeping them: shift by the max so no exp overflows."""
    top = np.max(a, axis=axes, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)  # all −inf (or an inf): no shift, numpy's answer
    return np.log(np.sum(np.exp(a - top), axis=axes, keepdims=True)) + top


class LogSumExp(TensorOp):
    """f(a) = log Σᵢ exp(aᵢ) over `axes` (reduced axes dropped);  ∂f/∂aᵢ = softmax(a)ᵢ.

    Computed as m + log Σ exp(aᵢ − m) with m the max, so inputs like 1e10 do not overflow.
    """

    name = "logsumexp"

    def __init__(self, axes: Any = None) -> None:
        self.axes = axes

    def params(self) -> str:
        return "" if self.axes is None else f"axes={self.axes}"

    def check(self, a: np.ndarray) -> None:
        axes_tuple("logsumexp", self.axes, a.ndim, a.shape)

    def compute(self, a: np.ndarray) -> np.ndarray:
        axes = axes_tuple("logsumexp", self.axes, a.ndim, a.shape)
        return np.squeeze(_stable_lse(a, axes), axis=axes)

    helpers = (_stable_lse,)

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        axes = axes_tuple("logsumexp", self.axes, a.ndim, a.shape)
        return f"np.squeeze(_stable_lse({a}, {axes}), axis={axes})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        a = node.inputs[0]
        shape = a.shape
        keep = kept_dims(shape, self.axes)
        softmax = exp(a - broadcast_to(reshape(node, keep), shape))
        return broadcast_to(reshape(out_grad, keep), shape) * softmax

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        a, ta = primals[0], tangents[0]
        axes = axes_tuple("logsumexp", self.axes, a.ndim, a.shape)
        softmax = np.exp(a - out.reshape(kept_dims(a.shape, self.axes)))
        return np.sum(softmax * ta, axis=axes)


class LogSoftmax(TensorOp):
    """f(a) = a − logsumexp(a) along the last axis;  ā = ȳ − softmax(a)·Σ ȳ (sums along it)."""

    name = "logsoftmax"

    def check(self, a: np.ndarray) -> None:
        if a.ndim < 1:
            raise ValueError("logsoftmax: needs at least one axis, got a scalar tensor")

    def compute(self, a: np.ndarray) -> np.ndarray:
        return a - _stable_lse(a, (a.ndim - 1,))

    helpers = (_stable_lse,)

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"{a} - _stable_lse({a}, ({a.ndim - 1},))"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        shape = node.shape
        last = len(shape) - 1
        total = broadcast_to(reshape(summation(out_grad, (last,)), (*shape[:-1], 1)), shape)
        return out_grad - exp(node) * total

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        ta = tangents[0]
        return ta - np.sum(np.exp(out) * ta, axis=-1, keepdims=True)


def logsumexp(a: Tensor, axes: Any = None) -> Tensor:
    return LogSumExp(axes)(a)


def logsoftmax(a: Tensor) -> Tensor:
    return LogSoftmax()(a)
