"""The softmax cross-entropy loss of the founding note, as one op."""

from __future__ import annotations

import numpy as np

from vector.autograd import TensorOp
from vector.ops.elementwise import exp
from vector.ops.reduce import _stable_lse, logsoftmax
from vector.ops.shape import broadcast_to, reshape
from vector.tensor import Tensor


class SoftmaxLoss(TensorOp):
    """f(Z, Y) = (1/n) Σᵢ [logsumexp(Zᵢ) − ⟨Zᵢ, Yᵢ⟩] for n rows of logits Z and one-hot Y.

    ∂f/∂Z = (softmax(Z) − Y)/n and ∂f/∂Y = −Z/n. One fused op rather than five: it is the last
    op of every training step, and its gradient is the textbook softmax-minus-labels.
    """

    name = "softmax_loss"

    def check(self, z: np.ndarray, y: np.ndarray) -> None:
        if z.ndim != 2 or z.shape != y.shape:
            raise ValueError(
                f"softmax_loss: logits must be (batch, classes) and the one-hot labels the same "
                f"shape; got logits {z.shape} and labels {y.shape}"
            )

    def compute(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        per_row = _stable_lse(z, (1,))[:, 0] - np.sum(z * y, axis=1)
        return np.asarray(np.mean(per_row))

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        z, y = node.inputs
        shape = z.shape
        scale = broadcast_to(reshape(out_grad / shape[0], (1, 1)), shape)
        return (exp(logsoftmax(z)) - y) * scale, -(z * scale)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (z, y), (tz, ty) = primals, tangents
        softmax = np.exp(z - _stable_lse(z, (1,)))
        return np.asarray(np.sum((softmax - y) * tz - z * ty) / z.shape[0])


# Ops without parameters are immutable, so one instance of each serves every call.
_SOFTMAXLOSS = SoftmaxLoss()


def softmax_loss(logits: Tensor, y_one_hot: Tensor) -> Tensor:
    return Tensor.make_from_op(
        _SOFTMAXLOSS,
        (
            logits,
            y_one_hot,
        ),
    )
