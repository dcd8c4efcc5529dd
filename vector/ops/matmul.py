"""Matrix multiplication, batched and broadcast like numpy's matmul."""

from __future__ import annotations

import numpy as np

from vector.autograd import Tensor, TensorOp
from vector.ops.fused import check_matmul
from vector.ops.shape import sum_to_shape, transpose


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
