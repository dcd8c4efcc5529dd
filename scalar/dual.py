"""Forward mode: dual numbers, and `jvp`, one directional derivative in one forward pass.

A `Dual` carries a primal value x and a tangent ẋ (the derivative of x along the chosen direction).
Every op computes its primal from the primitive table and its tangent by the chain rule from the
same table's local derivatives: for y = f(x₁, …, xₙ), ẏ = Σᵢ ∂f/∂xᵢ · ẋᵢ. Nothing is recorded, so
there is no graph and no backward pass, and one pass gives one directional derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from scalar.operators import Arithmetic, as_number, operand_error
from scalar.primitives import PRIMITIVES, Primitive


def apply(prim: Primitive, *inputs: Dual, exponent: float | None = None) -> Dual:
    """`prim(*inputs)` with its tangent by the chain rule: ẏ = Σᵢ ∂f/∂xᵢ · ẋᵢ."""
    primals = [x.primal for x in inputs]
    if exponent is not None:
        primals.append(exponent)
    if prim.check is not None:
        prim.check(*primals)
    out = prim.value(*primals)
    local = prim.local_derivatives(*primals, out)
    # A zero tangent contributes nothing, even where the local derivative is infinite (√x at 0):
    # inputs that do not move cannot move the output.
    tangent = sum((d * x.tangent for d, x in zip(local, inputs, strict=True) if x.tangent), 0.0)
    return Dual(out, tangent)


class Dual(Arithmetic):
    """A number with a tangent: `Dual(primal, tangent=0.0)`, with the operators of `Value`."""

    __slots__ = ("primal", "tangent")

    __array_ufunc__ = None  # let numpy scalars defer to our reflected operators

    primal: float
    tangent: float

    def __init__(self, primal: Any, tangent: Any = 0.0) -> None:
        p, t = as_number(primal, "Dual"), as_number(tangent, "Dual")
        if p is None or t is None:
            bad = primal if p is None else tangent
            raise TypeError(f"Dual: primal and tangent must be numbers, got {bad!r}")
        self.primal = p
        self.tangent = t

    # The operators and methods come from `Arithmetic`, written once for `Value` and `Dual`.
    _apply = staticmethod(apply)

    def _operand(self, other: Any, method: str, *, reflected: bool = False) -> Dual:
        """`other` as an operand of `method`: itself if a Dual, a number as a constant (tangent
        0), else the TypeError naming `method` and both operands."""
        if isinstance(other, Dual):
            return other
        number = as_number(other, f"Dual.{method}")
        if number is None:
            this = f"Dual(primal={self.primal!r})"
            raise operand_error("Dual", method, this, other, reflected=reflected)
        return Dual(number)

    def __getattr__(self, name: str) -> Any:
        # Only called for an attribute a Dual lacks: most often a micrograd-style op that user
        # code added to `Value` (`Value.softplus = softplus`) or its body reading `x.data`.
        raise AttributeError(
            f"Dual has no attribute {name!r}: forward mode runs only the primitives of the table "
            f"({', '.join(PRIMITIVES)}), and cannot see inside a micrograd-style op, whose "
            "derivative is a `_backward` closure; add the op with scalar.primitive(...) to use "
            "it in forward mode"
        )

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"


def jvp(
    f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[float, float]:
    """f(*primals) and its derivative in the direction `tangents`, in one forward pass.

    `f` takes numbers and uses the ops of `Dual` (the same code that works on `Value`), and returns
    a number. The result is (f(x), ∇f(x) · ẋ).
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    out = f(*(Dual(p, t) for p, t in zip(primals, tangents, strict=True)))
    if isinstance(out, Dual):
        return out.primal, out.tangent
    number = as_number(out)
    if number is None:
        raise TypeError(f"jvp: f must return a number or a Dual, got {out!r}")
    return number, 0.0  # f did not depend on its inputs
