"""The softmax cross-entropy loss of the seed loop (`examples/nn_epoch.py`), as one op."""

from __future__ import annotations

import math

import numpy as np

from vector import program_helpers
from vector.autograd import Tensor, TensorOp
from vector.ops.elementwise import mul_scalar, multiply
from vector.ops.fused import softmax, softmax_loss_grad
from vector.program import Operand


class SoftmaxLoss(TensorOp):
    """f(Z, Y) = (1/n) Σᵢ [logsumexp(Zᵢ) − ⟨Zᵢ, Yᵢ⟩] for n rows of logits Z and one-hot Y.

    ∂f/∂Z = (softmax(Z) − Y)/n and ∂f/∂Y = −Z/n. One op rather than five because it ends every
    training step; its Z-gradient is one op too (`softmax_loss_grad`, vector/ops/fused.py).
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

    helpers = (program_helpers.softmax_loss,)

    def source(self, z: Operand, y: Operand) -> str:
        """`compute` as program text."""
        return f"softmax_loss({z}, {y})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        z, y = node.inputs
        grad_y = multiply(mul_scalar(z, -1 / z.shape[0]), out_grad)
        return softmax_loss_grad(z, y, out_grad, self.probs), grad_y

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (z, y), (tz, ty) = primals, tangents
        return np.asarray(np.sum((softmax(z) - y) * tz - z * ty) / z.shape[0])


def softmax_loss(logits: Tensor, y_one_hot: Tensor) -> Tensor:
    return SoftmaxLoss()(logits, y_one_hot)
