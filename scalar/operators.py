"""The operators and methods of `Value` and `Dual`, made from the rows of the primitive table.

Both number types apply a primitive the same way, `apply(prim, x, y)`, and differ only in what
that builds: a graph node or a dual number. So each operator and method is written once, here,
and each one's docstring is its row's: f and its derivatives.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from scalar.primitives import PRIMITIVES


def as_number(x: Any) -> float | None:
    """`x` as a float if it is a real number (int, float, bool, numpy scalar), else None."""
    if isinstance(x, numbers.Real):
        return float(x)
    return None


def operand_error(cls: str, method: str, this: str, other: Any, *, reflected: bool) -> TypeError:
    """The TypeError for `this <op> other` (`other <op> this` when reflected) with a non-number."""
    got = f"{other!r} ({type(other).__name__})"
    pair = f"{got} with {this}" if reflected else f"{this} with {got}"
    return TypeError(f"{cls}.{method}: cannot combine {pair}; expected a number or a {cls}")


def unary_method(name: str, apply: Callable[..., Any]) -> Callable[[Any], Any]:
    """The method `x.name()`: `apply(prim, x)` for the one-input primitive `name`."""
    prim = PRIMITIVES[name]

    def method(self: Any) -> Any:
        return apply(prim, self)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = prim.doc
    return method


def binary_method(
    name: str,
    dunder: str,
    apply: Callable[..., Any],
    operand: Callable[..., Any],
    *,
    reflected: bool = False,
) -> Callable[[Any, Any], Any]:
    """The operator `dunder` for the two-input primitive `name`: `x ∘ y`, or `y ∘ x` when
    `reflected` (Python calls `y.__rsub__(x)` for `x - y` when x is a number).

    `operand(other, dunder, self, reflected=...)` returns the other operand as the same type as
    `self` (a number becomes a constant), or raises the TypeError that names `dunder`.
    """
    prim = PRIMITIVES[name]

    def method(self: Any, other: Any) -> Any:
        other = operand(other, dunder, self, reflected=reflected)
        return apply(prim, other, self) if reflected else apply(prim, self, other)

    method.__name__ = method.__qualname__ = dunder
    method.__doc__ = prim.doc
    return method
