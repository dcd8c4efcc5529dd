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

from scalar.primitives import PRIMITIVES, Primitive
from scalar.value import as_number, operand_error

_P = PRIMITIVES


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

    def __add__(self, other: Any) -> Dual:
        return _apply(_P["add"], "__add__", self, other)

    def __radd__(self, other: Any) -> Dual:
        return _apply(_P["add"], "__radd__", self, other, reflected=True)

    def __sub__(self, other: Any) -> Dual:
        return _apply(_P["subtract"], "__sub__", self, other)

    def __rsub__(self, other: Any) -> Dual:
        return _apply(_P["subtract"], "__rsub__", self, other, reflected=True)

    def __mul__(self, other: Any) -> Dual:
        return _apply(_P["multiply"], "__mul__", self, other)

    def __rmul__(self, other: Any) -> Dual:
        return _apply(_P["multiply"], "__rmul__", self, other, reflected=True)

    def __truediv__(self, other: Any) -> Dual:
        return _apply(_P["divide"], "__truediv__", self, other)

    def __rtruediv__(self, other: Any) -> Dual:
        return _apply(_P["divide"], "__rtruediv__", self, other, reflected=True)

    def __pow__(self, other: Any) -> Dual:
        if isinstance(other, Dual):
            return _apply(_P["power"], "__pow__", self, other)
        n = as_number(other)
        if n is None:
            raise operand_error("Dual", "__pow__", _short(self), other, reflected=False)
        if isinstance(other, numbers.Integral):
            n = int(other)
        return _compute(_P["power_scalar"], (self,), (n,))

    def __rpow__(self, other: Any) -> Dual:
        return _apply(_P["power"], "__rpow__", self, other, reflected=True)

    def __neg__(self) -> Dual:
        return _compute(_P["negate"], (self,))

    def exp(self) -> Dual:
        """eˣ"""
        return _compute(_P["exp"], (self,))

    def log(self) -> Dual:
        """ln x; needs x > 0."""
        return _compute(_P["log"], (self,))

    def sin(self) -> Dual:
        """sin x"""
        return _compute(_P["sin"], (self,))

    def cos(self) -> Dual:
        """cos x"""
        return _compute(_P["cos"], (self,))

    def tanh(self) -> Dual:
        """tanh x"""
        return _compute(_P["tanh"], (self,))

    def sigmoid(self) -> Dual:
        """σ(x) = 1/(1 + e⁻ˣ)"""
        return _compute(_P["sigmoid"], (self,))

    def relu(self) -> Dual:
        """max(0, x)"""
        return _compute(_P["relu"], (self,))

    def sqrt(self) -> Dual:
        """√x; needs x ≥ 0."""
        return _compute(_P["sqrt"], (self,))

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"


def _short(d: Dual) -> str:
    return f"Dual(primal={d.primal!r})"


def _apply(prim: Primitive, method: str, d: Dual, other: Any, *, reflected: bool = False) -> Dual:
    if not isinstance(other, Dual):
        number = as_number(other)
        if number is None:
            raise operand_error("Dual", method, _short(d), other, reflected=reflected)
        other = Dual(number)
    return _compute(prim, (other, d) if reflected else (d, other))


def _compute(prim: Primitive, args: tuple[Dual, ...], params: tuple[float, ...] = ()) -> Dual:
    primals = tuple(a.primal for a in args) + params
    if prim.check is not None:
        prim.check(*primals)
    out = prim.value(*primals)
    derivatives = prim.local_derivatives(*primals, out)
    # A zero tangent contributes nothing, even where the local derivative is infinite (√x at 0):
    # inputs that do not move cannot move the output.
    tangent = sum((d * a.tangent for d, a in zip(derivatives, args, strict=True) if a.tangent), 0.0)
    return Dual(out, tangent)


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
