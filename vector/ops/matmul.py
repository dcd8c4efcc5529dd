"""Matrix multiplication, batched and broadcast like numpy's matmul."""

from __future__ import annotations

import numpy as np

from vector.autograd import Tensor, TensorOp
from vector.ops.shape import sum_to_shape, transpose
from vector.program import Operand


def check_matmul(a: np.ndarray, b: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
    """A clear error unless `left`·`right` (a and b, perhaps transposed) is a valid product."""
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(
            f"matmul: both operands need at least 2 dimensions, got shapes {a.shape} and "
            f"{b.shape}; reshape a vector to (1, n) or (n, 1)"
        )
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


class MatMul(TensorOp):
    """f(A, B) = A·B over the last two axes, leading axes broadcast.

    With Ȳ the adjoint of the product: Ā = Ȳ·Bᵀ and B̄ = Aᵀ·Ȳ, each summed over the leading axes
    its operand was broadcast along.
    """

    name = "matmul"

    def check(self, a: np.ndarray, b: np.ndarray) -> None:
        check_matmul(a, b, a, b)

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a @ b

    def source(self, a: Operand, b: Operand) -> str:
        """`compute` as program text."""
        return f"{a} @ {b}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        a, b = node.inputs
        grad_a = matmul(out_grad, transpose(b))
        grad_b = matmul(transpose(a), out_grad)
        sa, sb = a.shape, b.shape
        if len(sa) == 2 and len(sb) == 2:  # no batch axes, so nothing was broadcast
            return grad_a, grad_b
        batch = node.shape[:-2]
        return sum_to_shape(grad_a, batch + sa[-2:], sa), sum_to_shape(grad_b, batch + sb[-2:], sb)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (a, b), (ta, tb) = primals, tangents
        return ta @ b + a @ tb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    return MatMul()(a, b)
