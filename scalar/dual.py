"""Forward mode: dual numbers, and `jvp`, one directional derivative in one forward pass.

A `Dual` carries a primal value x and a tangent ẋ (the derivative of x along the chosen direction).
Every op computes its primal from the primitive table and its tangent by the chain rule from the
same table's local derivatives: for y = f(x₁, …, xₙ), ẏ = Σᵢ ∂f/∂xᵢ · ẋᵢ. Nothing is recorded, so
there is no graph and no backward pass, and one pass gives one directional derivative.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from scalar.operators import as_number, binary_method, operand_error, unary_method
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


def _dual(x: Any, method: str, d: Dual, *, reflected: bool = False) -> Dual:
    """`x` if it is a Dual; a number as a constant (tangent 0); else the TypeError for `method`."""
    if isinstance(x, Dual):
        return x
    number = as_number(x)
    if number is None:
        raise operand_error("Dual", method, f"Dual(primal={d.primal!r})", x, reflected=reflected)
    return Dual(number)


class Dual:
    """A number with a tangent: `Dual(primal, tangent=0.0)`, with the operators of `Value`."""

    __slots__ = ("primal", "tangent")

    __array_ufunc__ = None  # let numpy scalars defer to our reflected operators

    primal: float
    tangent: float

    def __init__(self, primal: Any, tangent: Any = 0.0) -> None:
        p, t = as_number(primal), as_number(tangent)
        if p is None or t is None:
            bad = primal if p is None else tangent
            raise TypeError(f"Dual: primal and tangent must be numbers, got {bad!r}")
        self.primal = p
        self.tangent = t

    __add__ = binary_method("add", "__add__", apply, _dual)
    __radd__ = binary_method("add", "__radd__", apply, _dual, reflected=True)
    __sub__ = binary_method("subtract", "__sub__", apply, _dual)
    __rsub__ = binary_method("subtract", "__rsub__", apply, _dual, reflected=True)
    __mul__ = binary_method("multiply", "__mul__", apply, _dual)
    __rmul__ = binary_method("multiply", "__rmul__", apply, _dual, reflected=True)
    __truediv__ = binary_method("divide", "__truediv__", apply, _dual)
    __rtruediv__ = binary_method("divide", "__rtruediv__", apply, _dual, reflected=True)
    __rpow__ = binary_method("power", "__rpow__", apply, _dual, reflected=True)

    def __pow__(self, other: Any) -> Dual:
        if isinstance(other, Dual):
            return apply(PRIMITIVES["power"], self, other)
        n = as_number(other)
        if n is None:
            raise operand_error(
                "Dual", "__pow__", f"Dual(primal={self.primal!r})", other, reflected=False
            )
        if isinstance(other, numbers.Integral):
            n = int(other)
        return apply(PRIMITIVES["power_scalar"], self, exponent=n)

    def __neg__(self) -> Dual:
        return apply(PRIMITIVES["negate"], self)

    # d.exp(), d.log(), ...: one method per unary primitive, each documented by its table row.
    exp = unary_method("exp", apply)
    log = unary_method("log", apply)
    sin = unary_method("sin", apply)
    cos = unary_method("cos", apply)
    tanh = unary_method("tanh", apply)
    sigmoid = unary_method("sigmoid", apply)
    relu = unary_method("relu", apply)
    sqrt = unary_method("sqrt", apply)

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
