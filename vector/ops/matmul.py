"""Matrix multiplication, batched and broadcast like numpy's matmul."""

from __future__ import annotations

import numpy as np

from vector.autograd import Tensor, TensorOp
from vector.ops.fused import check_matmul, matmul_transposed
from vector.ops.shape import sum_to_shape
from vector.program import Operand


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
        # Ȳ·Bᵀ and Aᵀ·Ȳ, each one node: the transposes are BLAS flags (vector/ops/fused.py).
        grad_a = matmul_transposed(out_grad, b, transpose_b=True)
        grad_b = matmul_transposed(a, out_grad, transpose_a=True)
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
