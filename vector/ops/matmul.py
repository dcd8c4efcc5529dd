"""Matrix multiplication, batched and broadcast like numpy's matmul."""

from __future__ import annotations

import numpy as np

from vector.autograd import TensorOp
from vector.ops.shape import sum_to_shape
from vector.tensor import Tensor


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


class MatMul(TensorOp):
    """f(A, B) = A·B over the last two axes, leading axes broadcast.

    With Ȳ the adjoint of the product: Ā = Ȳ·Bᵀ and B̄ = Aᵀ·Ȳ, each summed over the leading axes
    its operand was broadcast along.

    `transpose_a`/`transpose_b` multiply by Aᵀ or Bᵀ instead (the BLAS flags). `matmul(a, b)`
    never sets them; gradients do, so that Ȳ·Bᵀ is one node of the gradient graph rather than
    two (a transpose and a product). The rules for the flagged forms follow from the plain one:
    for f = Aᵀ·B, Ā = (Ȳ·Bᵀ)ᵀ = B·Ȳᵀ and B̄ = A·Ȳ, and so on.
    """

    name = "matmul"

    def __init__(self, transpose_a: bool = False, transpose_b: bool = False) -> None:
        self.transpose_a = transpose_a
        self.transpose_b = transpose_b

    def params(self) -> str:
        return ", ".join(
            flag for flag, on in (("Aᵀ", self.transpose_a), ("Bᵀ", self.transpose_b)) if on
        )

    def _operands(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (_t(a) if self.transpose_a else a), (_t(b) if self.transpose_b else b)

    def check(self, a: np.ndarray, b: np.ndarray) -> None:
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError(
                f"matmul: both operands need at least 2 dimensions, got shapes {a.shape} and "
                f"{b.shape}; reshape a vector to (1, n) or (n, 1)"
            )
        left, right = self._operands(a, b)
        if left.shape[-1] != right.shape[-2]:
            raise ValueError(
                f"matmul: shapes {left.shape} and {right.shape} do not line up: the last axis "
                f"of the first ({left.shape[-1]}) must equal the second-to-last axis of the "
                f"second ({right.shape[-2]})"
            )
        try:
            if a.ndim > 2 or b.ndim > 2:
                np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: the batch axes of {a.shape} and {b.shape} do not broadcast "
                f"({a.shape[:-2]} vs {b.shape[:-2]})"
            ) from None

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        left, right = self._operands(a, b)
        return left @ right

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        a, b = node.inputs
        g = out_grad
        if not self.transpose_a and not self.transpose_b:  # f = A·B
            grad_a, grad_b = _mm(g, b, tb=True), _mm(a, g, ta=True)
        elif not self.transpose_a:  # f = A·Bᵀ
            grad_a, grad_b = _mm(g, b), _mm(g, a, ta=True)
        elif not self.transpose_b:  # f = Aᵀ·B
            grad_a, grad_b = _mm(b, g, tb=True), _mm(a, g)
        else:  # f = Aᵀ·Bᵀ
            grad_a, grad_b = _mm(b, g, ta=True, tb=True), _mm(g, a, ta=True, tb=True)
        sa, sb, batch = a.shape, b.shape, node.shape[:-2]
        return sum_to_shape(grad_a, batch + sa[-2:], sa), sum_to_shape(grad_b, batch + sb[-2:], sb)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (a, b), (ta, tb) = self._operands(*primals), self._operands(*tangents)
        return ta @ b + a @ tb


_MATMUL = MatMul()
_FLAGGED = {(ta, tb): MatMul(ta, tb) for ta in (False, True) for tb in (False, True) if ta or tb}


def _mm(a: Tensor, b: Tensor, ta: bool = False, tb: bool = False) -> Tensor:
    return Tensor.make_from_op(_FLAGGED[ta, tb] if ta or tb else _MATMUL, (a, b))


def matmul(a: Tensor, b: Tensor) -> Tensor:
    return Tensor.make_from_op(_MATMUL, (a, b))
