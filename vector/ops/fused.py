"""Fused ops: one node, and one numpy expression, for what would otherwise be several ops.

None of these is needed to get right answers: each computes what a few plain ops would, and the
plain ops' textbook rules stay in their own files. They exist because every node costs Python
time in the forward pass, the backward pass and when a deferred gradient is computed, and a
training step of the networks here is mostly small arrays, so that time is most of a step. Each
has its own `gradient` (written with Tensor ops, so second derivatives work) and `jvp`, and is
checked like every op: values against numpy, gradients against float64 central differences,
JVP against VJP, and reverse over reverse (tests/vector_helpers.py, the op catalogue).

- `matmul_transposed(a, b, transpose_a, transpose_b)`: A·Bᵀ or Aᵀ·B as one node, the transpose a
  BLAS flag rather than a node of its own. `MatMul.gradient` writes the textbook rule, Ȳ·Bᵀ and
  Aᵀ·Ȳ with `transpose` nodes; `FASTER_GRADIENTS` below is the one place where the reverse pass
  swaps in `matmul_gradient`, the same rule as two `matmul_transposed` nodes. The numpy work is
  the same; what it saves is four nodes per product per backward pass, each built and then
  computed when read, in a step whose time is mostly such Python work.
- `softmax_loss_grad(Z, Y, g)`: (softmax(Z) − Y)·g/n, the Z-gradient of `softmax_loss`, one node
  instead of eight, reusing the softmax the loss already computed.
- `batch_normalize(x, eps)` and `batch_normalize_grad(x, v, eps)`: BatchNorm1d's normalisation
  (x − μ)/√(σ² + eps) over the batch, and its VJP. `nn.BatchNorm1d` in training mode records one
  node instead of about a dozen forward, and one instead of about twenty backward.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vector import program_helpers
from vector.autograd import Tensor, TensorOp
from vector.ops.elementwise import exp, power_scalar
from vector.ops.matmul import MatMul, check_matmul
from vector.ops.reduce import logsoftmax
from vector.ops.shape import broadcast_to, reshape, sum_to_shape, summation
from vector.program import Operand


# --------------------------------------------------------------------------- transposed matmul
def _t(x: np.ndarray) -> np.ndarray:
    return x.swapaxes(-1, -2)  # the method: np.swapaxes adds two Python calls in front of it


class MatMulTransposed(TensorOp):
    """f(A, B) = op(A)·op(B), where op transposes the last two axes when its flag is set.

    The rules follow from the plain one (Ā = Ȳ·Bᵀ, B̄ = Aᵀ·Ȳ) by transposing: for f = A·Bᵀ,
    Ā = Ȳ·B and B̄ = Ȳᵀ·A; for f = Aᵀ·B, Ā = B·Ȳᵀ and B̄ = A·Ȳ; for f = Aᵀ·Bᵀ, Ā = Bᵀ·Ȳᵀ and
    B̄ = Ȳᵀ·Aᵀ. Each is again one product with flags.
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
        check_matmul(a, b, *self._operands(a, b))

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        left, right = self._operands(a, b)
        return left @ right

    def source(self, a: Operand, b: Operand) -> str:
        """`compute` as program text: a transposed matrix is `a.T` (`a.mT` with batch axes)."""
        left = (f"{a}.T" if a.ndim == 2 else f"{a}.mT") if self.transpose_a else str(a)
        right = (f"{b}.T" if b.ndim == 2 else f"{b}.mT") if self.transpose_b else str(b)
        return f"{left} @ {right}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        a, b = node.inputs
        g, mm = out_grad, matmul_transposed
        if not self.transpose_a and not self.transpose_b:  # f = A·B
            grad_a, grad_b = mm(g, b, transpose_b=True), mm(a, g, transpose_a=True)
        elif not self.transpose_a:  # f = A·Bᵀ
            grad_a, grad_b = mm(g, b), mm(g, a, transpose_a=True)
        elif not self.transpose_b:  # f = Aᵀ·B
            grad_a, grad_b = mm(b, g, transpose_b=True), mm(a, g)
        else:  # f = Aᵀ·Bᵀ
            grad_a = mm(b, g, transpose_a=True, transpose_b=True)
            grad_b = mm(g, a, transpose_a=True, transpose_b=True)
        sa, sb, batch = a.shape, b.shape, node.shape[:-2]
        return sum_to_shape(grad_a, batch + sa[-2:], sa), sum_to_shape(grad_b, batch + sb[-2:], sb)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (a, b), (ta, tb) = self._operands(*primals), self._operands(*tangents)
        return ta @ b + a @ tb


def matmul_transposed(
    a: Tensor, b: Tensor, transpose_a: bool = False, transpose_b: bool = False
) -> Tensor:
    return MatMulTransposed(transpose_a, transpose_b)(a, b)


def matmul_gradient(out_grad: Tensor, node: Tensor) -> tuple[Tensor, ...]:
    """`MatMul.gradient` in two nodes instead of four: Ȳ·Bᵀ and Aᵀ·Ȳ as `matmul_transposed`."""
    a, b = node.inputs
    if a.ndim != 2 or b.ndim != 2:  # batched: the plain rule, which also sums broadcast axes
        return MatMul().gradient(out_grad, node)
    return matmul_transposed(out_grad, b, transpose_b=True), matmul_transposed(a, out_grad, True)


FASTER_GRADIENTS: dict[type[TensorOp], Callable[[Tensor, Tensor], tuple[Tensor, ...]]] = {
    MatMul: matmul_gradient,
}
"""The rules the reverse pass uses instead of an op's own `gradient` (see `Tensor.vjp`): the same
partial adjoints as the op's textbook rule, built in fewer nodes."""


# ---------------------------------------------------------------------------- softmax loss grad
def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a (batch, classes) array, shifted by each row's max."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxLossGrad(TensorOp):
    """f(Z, Y, g) = (softmax(Z) − Y)·g/n: the Z-gradient of softmax_loss for an adjoint g.

    With P = softmax(Z) and an adjoint U of f:
    ∂/∂Z: (g/n)·P⊙(U − Σⱼ U⊙P) (row sums), ∂/∂Y: −(g/n)·U, ∂/∂g: Σ U⊙(P − Y) / n.
    """

    name = "softmax_loss_grad"

    def __init__(self, probs: np.ndarray | None = None) -> None:
        self.probs = probs  # softmax(Z) when softmax_loss has computed it already

    def out_dtype(self, z: np.dtype, y: np.dtype, g: np.dtype) -> np.dtype:
        # It is Z's gradient, so it has Z's dtype whatever the labels' or the adjoint's dtype.
        return z

    def compute(self, z: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
        probs = self.probs if self.probs is not None else softmax(z)
        return ((probs - y) * (g / z.shape[0])).astype(z.dtype, copy=False)

    helpers = (softmax,)

    def source(self, z: Operand, y: Operand, g: Operand) -> str:
        """`compute` as program text. softmax(Z) is what `softmax_loss` saved, to the last bit:
        the same shift, exponent and sum (it differs only where a row's max is not finite)."""
        return f"(softmax({z}) - {y}) * ({g} / {z.shape[0]})"

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
        p = softmax(z)
        dp = p * (tz - np.sum(p * tz, axis=1, keepdims=True))
        return (dp - ty) * (g / n) + (p - y) * (tg / n)


def softmax_loss_grad(
    logits: Tensor, y_one_hot: Tensor, out_grad: Tensor, probs: np.ndarray | None = None
) -> Tensor:
    """(softmax(logits) − y_one_hot)·out_grad/n; `probs` is softmax(logits) if already known."""
    return SoftmaxLossGrad(probs)(logits, y_one_hot, out_grad)


# ------------------------------------------------------------------------------- batch norm
def _statistics(x: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each column's mean, x − mean, the biased variance and √(variance + eps), computed as
    needle's BatchNorm1d computes them (sums divided by n), so the values agree to the last bit."""
    n = x.shape[0]
    mean = x.sum(axis=0) / n
    centered = x - mean
    var = (centered * centered).sum(axis=0) / n
    return mean, centered, var, (var + eps) ** 0.5


def _jvp_normalize(xhat: np.ndarray, std: np.ndarray, v: np.ndarray) -> np.ndarray:
    """J·v for x̂ = (x − μ)/σ column by column: (v − mean v − x̂·mean(x̂ v))/σ (J is symmetric)."""
    n = v.shape[0]
    return (v - v.sum(axis=0) / n - xhat * ((xhat * v).sum(axis=0) / n)) / std


class BatchNormalize(TensorOp):
    """f(x) = (x − μ)/√(σ² + eps) for each column of x (batch, dim), μ and σ² the column's mean
    and biased variance over the batch.

    With x̂ = f(x), s = 1/√(σ² + eps) and n rows, the Jacobian of each column is
    s·(I − 11ᵀ/n − x̂x̂ᵀ/n), which is symmetric, so x̄ = s·(ȳ − mean ȳ − x̂·mean(x̂ ⊙ ȳ)):
    `batch_normalize_grad(x, ȳ)`. After computing, the op keeps `mean` and `var` (numpy) for
    BatchNorm1d's running statistics.
    """

    name = "batch_normalize"

    def __init__(self, eps: float = 1e-5) -> None:
        self.eps = float(eps)
        self.mean: np.ndarray | None = None
        self.var: np.ndarray | None = None
        self.saved: tuple[np.ndarray, np.ndarray] | None = None  # x̂ and σ, for the gradient

    def params(self) -> str:
        return f"eps={self.eps:g}"

    def check(self, x: np.ndarray) -> None:
        if x.ndim != 2:
            raise ValueError(f"batch_normalize: expected x of shape (batch, dim), got {x.shape}")

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.mean, centered, self.var, std = _statistics(x, self.eps)
        xhat = centered / std
        self.saved = xhat, std
        return xhat

    helpers = (program_helpers.batch_normalize,)

    def source(self, x: Operand) -> str:
        """`compute` as program text."""
        return f"batch_normalize({x}, {self.eps!r})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return BatchNormalizeGrad(self.eps, self.saved)(node.inputs[0], out_grad)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        std = _statistics(primals[0], self.eps)[3]
        return _jvp_normalize(out, std, tangents[0])


class BatchNormalizeGrad(TensorOp):
    """f(x, v) = J(x)·v, the VJP of `batch_normalize` at x for an adjoint v (J is symmetric).

    Per column, with s = 1/√(σ² + eps), x̂ = (x − μ)s, n rows and means over the rows:
    f = s·(v − mean v − x̂·mean(x̂v)). For an adjoint w of f, with p = Σ x̂v, q = Σ x̂w and
    A = Σ wv − (Σv)(Σw)/n (sums over the rows):
        ∂/∂v = J·w = f(x, w)
        ∂/∂x = −(s²/n)·x̂·(A − pq/n) − (s/n)·(q·J v + p·J w)
    (from ∂s/∂x = −(s²/n)·x̂ and ∂⟨x̂, v⟩/∂x = J v).
    """

    name = "batch_normalize_grad"

    def __init__(self, eps: float = 1e-5, saved: tuple[np.ndarray, np.ndarray] | None = None):
        self.eps = float(eps)
        self.saved = saved  # x̂ and σ when batch_normalize has computed them already

    def params(self) -> str:
        return f"eps={self.eps:g}"

    def out_dtype(self, x: np.dtype, v: np.dtype) -> np.dtype:
        return x  # it is x's gradient

    def check(self, x: np.ndarray, v: np.ndarray) -> None:
        if x.ndim != 2 or v.shape != x.shape:
            raise ValueError(
                f"batch_normalize_grad: x must be (batch, dim) and v the same shape; got x "
                f"{x.shape} and v {v.shape}"
            )

    def _xhat_std(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.saved is not None:
            return self.saved
        _, centered, _, std = _statistics(x, self.eps)
        return centered / std, std

    def compute(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        xhat, std = self._xhat_std(x)
        return _jvp_normalize(xhat, std, v).astype(x.dtype, copy=False)

    helpers = (program_helpers.batch_normalize_grad,)

    def source(self, x: Operand, v: Operand) -> str:
        """`compute` as program text."""
        return f"batch_normalize_grad({x}, {v}, {self.eps!r})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        x, v = node.inputs
        w, jv = out_grad, node
        n = x.shape[0]
        jw = batch_normalize_grad(x, w, self.eps)
        xhat = batch_normalize(x, self.eps)
        centered = x - summation(x, (0,)) / n
        s = power_scalar(summation(centered * centered, (0,)) / n + self.eps, -0.5)
        a = summation(w * v, (0,)) - summation(v, (0,)) * summation(w, (0,)) / n
        p = summation(xhat * v, (0,))
        q = summation(xhat * w, (0,))
        grad_x = -(s * s / n) * (a - p * q / n) * xhat - (s / n) * (q * jv + p * jw)
        return grad_x, jw

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (x, v), (tx, tv) = primals, tangents
        n = x.shape[0]
        xhat, std = self._xhat_std(x)
        jt = _jvp_normalize(xhat, std, tx)  # the tangent of x̂
        dstd = (xhat * tx).sum(axis=0) / n  # σ' = (σ²)'/(2σ) = Σ x̂·t / n
        # f = P(v)/σ with P(v) = v − mean v − x̂·mean(x̂v): f' = P'/σ − f·σ'/σ, where along x
        # P' = −x̂'·mean(x̂v) − x̂·mean(x̂'v), and along v it is P(tv).
        dp = -jt * ((xhat * v).sum(axis=0) / n) - xhat * ((jt * v).sum(axis=0) / n)
        return dp / std - out * (dstd / std) + _jvp_normalize(xhat, std, tv)


def batch_normalize(x: Tensor, eps: float = 1e-5) -> Tensor:
    return BatchNormalize(eps)(x)


def batch_normalize_grad(x: Tensor, v: Tensor, eps: float = 1e-5) -> Tensor:
    return BatchNormalizeGrad(eps)(x, v)


__all__ = [
    "FASTER_GRADIENTS",
    "BatchNormalize",
    "BatchNormalizeGrad",
    "MatMulTransposed",
    "SoftmaxLossGrad",
    "batch_normalize",
    "batch_normalize_grad",
    "matmul_gradient",
    "matmul_transposed",
    "softmax",
    "softmax_loss_grad",
]
