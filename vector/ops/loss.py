"""The softmax cross-entropy loss of the founding note, and its gradient, as ops."""

from __future__ import annotations

import numpy as np

from vector.autograd import TensorOp
from vector.ops.elementwise import exp
from vector.ops.reduce import _stable_lse, logsoftmax
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

    def check(self, z: np.ndarray, y: np.ndarray) -> None:
        if z.ndim != 2 or z.shape != y.shape:
            raise ValueError(
                f"softmax_loss: logits must be (batch, classes) and the one-hot labels the same "
                f"shape; got logits {z.shape} and labels {y.shape}"
            )

    def compute(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        per_row = _stable_lse(z, (1,))[:, 0] - np.einsum("ij,ij->i", z, y)
        return np.asarray(per_row.mean())

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        z, y = node.inputs
        n = z.shape[0]
        return softmax_loss_grad(z, y, out_grad), z * (-1 / n) * out_grad

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

    def compute(self, z: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
        return (_softmax(z) - y) * (g / z.shape[0])

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


_SOFTMAXLOSS = SoftmaxLoss()
_SOFTMAXLOSSGRAD = SoftmaxLossGrad()


def softmax_loss(logits: Tensor, y_one_hot: Tensor) -> Tensor:
    return Tensor.make_from_op(_SOFTMAXLOSS, (logits, y_one_hot))


def softmax_loss_grad(logits: Tensor, y_one_hot: Tensor, out_grad: Tensor) -> Tensor:
    return Tensor.make_from_op(_SOFTMAXLOSSGRAD, (logits, y_one_hot, out_grad))
