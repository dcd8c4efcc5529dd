"""THE table: every scalar primitive, defined once.

Each `Primitive` gives the value f(x₁, …, xₙ) and the local partial derivatives ∂f/∂xᵢ at that
point. `Value` (reverse mode), `Dual` (forward mode) and, through the derivatives `Value` stores on
each node, the reverse pass all read this table; no derivative rule is written anywhere else.

Conventions:
- `value(*xs)` returns f; `partials(*xs, out)` returns one ∂f/∂xᵢ per input, and may use `out`,
  the value already computed (∂exp/∂x = out), which is how real engines avoid recomputing it;
- `**n` takes its exponent as a parameter after the input (`value(x, n)`), like needle's
  power_scalar: n is part of the operation, not a node of the graph, and gets no derivative;
- `check(*xs)`, when present, raises before anything is computed if the inputs are outside the
  domain, with a message naming the op and the values (never a bare "math domain error").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Primitive:
    """One primitive: its symbol, how many graph inputs it takes, f, ∂f/∂xᵢ, and a domain check.

    `doc` states f and its derivatives in plain maths; `params` counts extra number arguments that
    follow the inputs (the exponent of `**n`).
    """

    symbol: str
    arity: int
    value: Callable[..., float]
    partials: Callable[..., tuple[float, ...]]
    check: Callable[..., None] | None
    doc: str
    params: int = 0


# Shared results for derivatives that do not depend on the point: no tuple is allocated per node.
_ONE = (1.0,)
_ZERO = (0.0,)
_MINUS_ONE = (-1.0,)
_ONE_ONE = (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)


def _fmt(x: float) -> str:
    return repr(float(x))


# --- domain checks -------------------------------------------------------------------------------


def _check_div(a: float, b: float) -> None:
    if b == 0:
        raise ZeroDivisionError(f"/: division by zero in {_fmt(a)} / {_fmt(b)}")


def _check_pow_number(x: float, n: float) -> None:
    if x == 0 and n < 0:
        raise ZeroDivisionError(
            f"**: {_fmt(x)} ** {n!r} divides by zero (a negative power of 0 is undefined)"
        )
    if x < 0 and not float(n).is_integer():
        raise ValueError(
            f"**: {_fmt(x)} ** {n!r} is not a real number "
            "(a negative base needs an integer exponent)"
        )


def _check_pow_value(a: float, b: float) -> None:
    if a <= 0:
        raise ValueError(
            f"**: {_fmt(a)} ** {_fmt(b)} with a Value exponent needs a base > 0, because "
            f"∂(a**b)/∂b = a**b · ln a; got base {_fmt(a)}"
        )


def _check_log(x: float) -> None:
    if x <= 0:
        raise ValueError(f"log: log({_fmt(x)}) is undefined; log needs an argument > 0")


def _check_sqrt(x: float) -> None:
    if x < 0:
        raise ValueError(f"sqrt: sqrt({_fmt(x)}) is not a real number; sqrt needs an argument >= 0")


# --- values that can overflow: say which op and which operand, not "math range error" ------------


def _pow(x: float, n: float) -> float:
    try:
        return float(x**n)
    except OverflowError:
        raise OverflowError(f"**: {_fmt(x)} ** {n!r} is too large for a float") from None


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: exp({_fmt(x)}) is too large for a float") from None


def _sigmoid(x: float) -> float:
    # Two branches so that exp never sees a large positive argument (no overflow for x = -1000).
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _pow_number_partials(x: float, n: float, out: float) -> tuple[float]:
    if n == 0:
        return _ZERO
    if x == 0:
        # n·0^(n−1): 0 for n > 1, 1 for n = 1, and +∞ for 0 < n < 1 (the tangent of √x at 0 is
        # vertical). Negative n never gets here: the check rejects 0 ** n < 0.
        return (0.0,) if n > 1 else (1.0,) if n == 1 else (math.inf,)
    return (n * out / x,)  # n·xⁿ⁻¹ written as n·xⁿ/x: no second power, and no overflow of its own


def _sqrt_partials(x: float, out: float) -> tuple[float]:
    return (0.5 / out,) if out else (math.inf,)


def _prim(
    symbol: str,
    arity: int,
    value: Callable[..., float],
    partials: Callable[..., tuple[float, ...]],
    doc: str,
    check: Callable[..., None] | None = None,
    params: int = 0,
) -> Primitive:
    return Primitive(symbol, arity, value, partials, check, doc, params)


# The lambdas below are the whole of the calculus in this engine: value, then partials.
PRIMITIVES: dict[str, Primitive] = {
    p.symbol: p
    for p in (
        _prim(
            "+",
            2,
            lambda a, b: a + b,
            lambda a, b, out: _ONE_ONE,
            "f(a, b) = a + b;  ∂f/∂a = 1, ∂f/∂b = 1",
        ),
        _prim(
            "-",
            2,
            lambda a, b: a - b,
            lambda a, b, out: _ONE_MINUS_ONE,
            "f(a, b) = a − b;  ∂f/∂a = 1, ∂f/∂b = −1",
        ),
        _prim(
            "*",
            2,
            lambda a, b: a * b,
            lambda a, b, out: (b, a),
            "f(a, b) = a·b;  ∂f/∂a = b, ∂f/∂b = a",
        ),
        _prim(
            "/",
            2,
            lambda a, b: a / b,
            lambda a, b, out: (1.0 / b, -out / b),
            "f(a, b) = a / b;  ∂f/∂a = 1/b, ∂f/∂b = −a/b² (= −f/b)",
            _check_div,
        ),
        _prim(
            "neg",
            1,
            lambda x: -x,
            lambda x, out: _MINUS_ONE,
            "f(x) = −x;  f′(x) = −1",
        ),
        _prim(
            "**n",
            1,
            _pow,
            _pow_number_partials,
            "f(x) = xⁿ for a number n;  f′(x) = n·xⁿ⁻¹",
            _check_pow_number,
            params=1,
        ),
        _prim(
            "**",
            2,
            _pow,
            lambda a, b, out: (b * out / a, out * math.log(a)),  # b·aᵇ⁻¹ = b·aᵇ/a
            "f(a, b) = aᵇ for a > 0;  ∂f/∂a = b·aᵇ⁻¹, ∂f/∂b = aᵇ·ln a",
            _check_pow_value,
        ),
        _prim(
            "exp",
            1,
            _exp,
            lambda x, out: (out,),
            "f(x) = eˣ;  f′(x) = eˣ (= f)",
        ),
        _prim(
            "log",
            1,
            math.log,
            lambda x, out: (1.0 / x,),
            "f(x) = ln x for x > 0;  f′(x) = 1/x",
            _check_log,
        ),
        _prim(
            "sin",
            1,
            math.sin,
            lambda x, out: (math.cos(x),),
            "f(x) = sin x;  f′(x) = cos x",
        ),
        _prim(
            "cos",
            1,
            math.cos,
            lambda x, out: (-math.sin(x),),
            "f(x) = cos x;  f′(x) = −sin x",
        ),
        _prim(
            "tanh",
            1,
            math.tanh,
            lambda x, out: (1.0 - out * out,),
            "f(x) = tanh x;  f′(x) = 1 − tanh² x (= 1 − f²)",
        ),
        _prim(
            "sigmoid",
            1,
            _sigmoid,
            lambda x, out: (out * (1.0 - out),),
            "f(x) = σ(x) = 1/(1 + e⁻ˣ);  f′(x) = σ(x)·(1 − σ(x)) (= f·(1 − f))",
        ),
        _prim(
            "relu",
            1,
            lambda x: x if x > 0 else 0.0,
            lambda x, out: _ONE if x > 0 else _ZERO,
            "f(x) = max(0, x);  f′(x) = 1 for x > 0, else 0 (0 at the kink, as in PyTorch)",
        ),
        _prim(
            "sqrt",
            1,
            math.sqrt,
            _sqrt_partials,
            "f(x) = √x for x ≥ 0;  f′(x) = 1/(2√x) (= 1/(2f); +∞ at 0)",
            _check_sqrt,
        ),
    )
}
"""Every scalar primitive by symbol."""

UNARY_METHODS = ("exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt")
"""The primitives that `Value` and `Dual` expose as methods (`x.exp()`, `x.log()`, ...)."""
