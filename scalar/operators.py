"""The operators and methods that `Value` and `Dual` share, made from the rows of the table.

Both number types apply a primitive the same way, `apply(prim, x, y)`, and differ only in what
that builds: a graph node or a dual number. So `Arithmetic` writes each operator and method once,
in terms of two things a subclass provides: `_apply` (its `apply`) and `_operand` (the other
operand as the subclass's type, a number as a constant). Each method's docstring is its row's:
f and its derivatives.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable
from typing import Any

from scalar.primitives import PRIMITIVES


def as_number(x: Any, what: str = "number") -> float | None:
    """`x` as a float if it is a real number (int, float, bool, numpy scalar), else None.

    A real number too large for a float (10**400) raises OverflowError naming `what` (the op or
    constructor it was given to) and the number, rather than Python's bare "int too large to
    convert to float".
    """
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(
                f"{what}: {_magnitude(x)} is too large for a float "
                f"(the largest is {sys.float_info.max:.6g})"
            ) from None
    return None


def _magnitude(x: numbers.Real) -> str:
    """A huge number in a few characters (its repr may have thousands of digits)."""
    if not isinstance(x, numbers.Rational) or x == 0:
        return f"a huge {type(x).__name__}"
    # log10 takes ints of any size; a fraction's is its numerator's less its denominator's.
    exponent = math.floor(math.log10(abs(x.numerator)) - math.log10(x.denominator))
    sign = "-" if x < 0 else ""
    return f"about {sign}10**{exponent} ({type(x).__name__})"


def operand_error(cls: str, method: str, this: str, other: Any, *, reflected: bool) -> TypeError:
    """The TypeError for `this <op> other` (`other <op> this` when reflected) with a non-number."""
    got = f"{other!r} ({type(other).__name__})"
    pair = f"{got} with {this}" if reflected else f"{this} with {got}"
    return TypeError(f"{cls}.{method}: cannot combine {pair}; expected a number or a {cls}")


def unary_method(name: str) -> Callable[[Any], Any]:
    """The method `x.name()`: the one-input primitive `name` applied to x."""
    prim = PRIMITIVES[name]

    def method(self: Any) -> Any:
        return self._apply(prim, self)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = prim.doc
    return method


def binary_method(name: str, dunder: str, *, reflected: bool = False) -> Callable[[Any, Any], Any]:
    """The operator `dunder` for the two-input primitive `name`: `x ∘ y`, or `y ∘ x` when
    `reflected` (Python calls `y.__rsub__(x)` for `x - y` when x is a number)."""
    prim = PRIMITIVES[name]

    def method(self: Any, other: Any) -> Any:
        other = self._operand(other, dunder, reflected=reflected)
        return self._apply(prim, other, self) if reflected else self._apply(prim, self, other)

    method.__name__ = method.__qualname__ = dunder
    method.__doc__ = prim.doc
    return method


class Arithmetic:
    """`+ - * / **`, unary `-` and the unary methods, each applying one primitive of the table.

    A subclass provides `_apply(prim, x, y=None, *, exponent=None)` and `_operand(other, method,
    reflected=False)`, and may write its busiest operators itself (`Value` does `+` and `*`).
    """

    __slots__ = ()

    _apply: Callable[..., Any]

    def _operand(self, other: Any, method: str, *, reflected: bool = False) -> Any:
        raise NotImplementedError

    __add__ = binary_method("add", "__add__")
    __radd__ = binary_method("add", "__radd__", reflected=True)
    __sub__ = binary_method("subtract", "__sub__")
    __rsub__ = binary_method("subtract", "__rsub__", reflected=True)
    __mul__ = binary_method("multiply", "__mul__")
    __rmul__ = binary_method("multiply", "__rmul__", reflected=True)
    __truediv__ = binary_method("divide", "__truediv__")
    __rtruediv__ = binary_method("divide", "__rtruediv__", reflected=True)
    __rpow__ = binary_method("power", "__rpow__", reflected=True)

    def __pow__(self, other: Any) -> Any:
        """x ** n for a plain number n, the parameter of `power_scalar`; x ** y for a number of
        this type, `power`, where both get gradients."""
        if isinstance(other, numbers.Real):
            n = int(other) if isinstance(other, numbers.Integral) else float(other)
            # (2 stays 2, so that a graph reads x ** 2 rather than x ** 2.0)
            return self._apply(PRIMITIVES["power_scalar"], self, exponent=n)
        return self._apply(PRIMITIVES["power"], self, self._operand(other, "__pow__"))

    def __neg__(self) -> Any:
        return self._apply(PRIMITIVES["negate"], self)

    exp = unary_method("exp")
    log = unary_method("log")
    sin = unary_method("sin")
    cos = unary_method("cos")
    tanh = unary_method("tanh")
    sigmoid = unary_method("sigmoid")
    relu = unary_method("relu")
    sqrt = unary_method("sqrt")


UNARY_METHODS = tuple(name for name in PRIMITIVES if name in vars(Arithmetic))
"""The one-input primitives that `Value` and `Dual` offer as methods (`x.exp()`, `x.log()`, ...),
read from `Arithmetic` above, which lists them."""
