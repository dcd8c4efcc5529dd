"""The softmax cross-entropy loss of the founding note, and its gradient, as ops."""

from __future__ import annotations

import math

import numpy as np

from vector.autograd import TensorOp
from vector.ops.elementwise import exp
from vector.ops.reduce import logsoftmax
from vector.ops.shape import broadcast_to, reshape, summation
from vector.tensor import Tensor


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxLoss(TensorOp):
    """f(Z, Y) = (1/n) Σᵢ [logsumexp(Zᵢ) − ⟨Zᵢ, Yᵢ⟩] for n rows of logits Z and one-hot Y.

    ∂f/∂Z = (softmax(Z) − Y)/n and ∂f/∂Y = −Z/n. One op rather than five because it ends every
    training step; its Z-gradient is itself one op, `softmax_loss_grad`.
    """

    name = "softmax_loss"

    def __init__(self) -> None:
        # One instance per call: `compute` saves softmax(Z) here for the gradient, as
        # frameworks save tensors for backward, instead of exponentiating Z a second time.
        self.probs: np.ndarray | None = None

    def check(self, z: np.ndarray, y: np.ndarray) -> None:
        if z.ndim != 2 or z.shape != y.shape:
            raise ValueError(
                f"softmax_loss: logits must be (batch, classes) and the one-hot labels the same "
                f"shape; got logits {z.shape} and labels {y.shape}"
            )

    def compute(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        top = z.max(axis=1, keepdims=True)
        top_sum = float(top.sum())  # needed below anyway; finite exactly when every max is
        if not math.isfinite(top_sum):  # a row of −inf (or an inf): no shift, numpy's answer
            top = np.where(np.isfinite(top), top, 0)
            top_sum = float(top.sum())
        e = np.exp(z - top)
        total = e.sum(axis=1, keepdims=True)
        self.probs = e / total
        # Σᵢ logsumexp(Zᵢ) − Σᵢ⟨Zᵢ, Yᵢ⟩, with logsumexp(Zᵢ) = log Σ exp(Zᵢ − mᵢ) + mᵢ
        return np.asarray((np.log(total).sum() + top_sum - (z * y).sum()) / z.shape[0])

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        z, y = node.inputs
        n = z.shape[0]
        grad_z = Tensor.make_from_op(SoftmaxLossGrad(self.probs), (z, y, out_grad))
        return grad_z, z * (-1 / n) * out_grad

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (z, y), (tz, ty) = primals, tangents
        return np.asarray(np.sum((_softmax(z) - y) * tz - z * ty) / z.shape[0])


class SoftmaxLossGrad(TensorOp):
    """f(Z, Y, g) = (softmax(Z) − Y)·g/n: the Z-gradient of softmax_loss for an adjoint g.

    With P = softmax(Z) and an adjoint U of f:
    ∂/∂Z: (g/n)·P⊙(U − Σⱼ U⊙P) (row sums), ∂/∂Y: −(g/n)·U, ∂/∂g: Σ U⊙(P − Y) / n.
    Its own op so that a training step records one node here instead of eight, while second
    derivatives (through the rule above) still work.
    """

    name = "softmax_loss_grad"
    keeps_dtype = False

    def __init__(self, probs: np.ndarray | None = None) -> None:
        self.probs = probs  # softmax(Z) when softmax_loss has computed it already

    def out_dtype(self, z: np.dtype, y: np.dtype, g: np.dtype) -> np.dtype:
        # It is Z's gradient, so it has Z's dtype whatever the labels' or the adjoint's dtype.
        return z

    def compute(self, z: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
        probs = self.probs if self.probs is not None else _softmax(z)
        return ((probs - y) * (g / z.shape[0])).astype(z.dtype, copy=False)

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        z, y, g = node.inputs
        n, k = z.shape
        p = exp(logsoftmax(z))
        scale = g / n
        rows = broadcast_to(reshape(summation(out_grad * p, (1,)), (n, 1)), (n, k))
        return (
            p * (out_grad - rows) * scale,
            -(out_grad * scale),
            summation(out_grad * (p - y)) / n,
        )

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (z, y, g), (tz, ty, tg) = primals, tangents
        n = z.shape[0]
        p = _softmax(z)
        dp = p * (tz - np.sum(p * tz, axis=1, keepdims=True))
        return (dp - ty) * (g / n) + (p - y) * (tg / n)


def softmax_loss(logits: Tensor, y_one_hot: Tensor) -> Tensor:
    return Tensor.make_from_op(SoftmaxLoss(), (logits, y_one_hot))


def softmax_loss_grad(logits: Tensor, y_one_hot: Tensor, out_grad: Tensor) -> Tensor:
    return Tensor.make_from_op(SoftmaxLossGrad(), (logits, y_one_hot, out_grad))
