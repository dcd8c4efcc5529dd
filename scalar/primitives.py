"""The table: every scalar primitive, defined once.

Each `Primitive` gives the value f(x₁, …, xₙ) and the local derivatives ∂f/∂xᵢ at that point.
`Value` (reverse mode), `Dual` (forward mode) and, through the local derivatives `Value` keeps on
each node, the reverse pass all read this table; no derivative rule is written anywhere else. The
same row carries the rule in JavaScript too, for `viz.stepper`'s page, which recomputes a graph in
the browser; a test checks the two forms agree.

Conventions:
- `name` is the primitive's name, the same in both engines (needle's: `multiply`, `negate`,
  `power_scalar`); `symbol` is what a graph shows and what `Value.op` holds (`*`, `-`, `**`);
- `value(*args)` returns f; `local_derivatives(*args, out)` returns one ∂f/∂xᵢ per graph input,
  and may use `out`, the value already computed (∂exp/∂x = out), as real engines do;
- `power_scalar` takes its exponent as a parameter after the input (`value(x, n)`), as needle
  does: n is part of the operation, not a node of the graph, and gets no derivative;
- `check(*args)`, when present, raises before anything is computed if the arguments are outside
  the domain, with a message naming the op and the values (never a bare "math domain error");
- `js` holds the same three rules as JavaScript expressions over the names in `args` (and `out`):
  the value, the array of local derivatives, and a check that gives an error message or null;
- `source` holds the value and the local derivatives as Python expressions over the same names,
  for the adjoint program (`scalar.program`), which writes them out line by line. Each computes
  exactly what the callables compute, the same operations in the same order, so a program's
  numbers equal `backward()`'s bit for bit; a test checks that at many points.

Non-finite numbers (inf, -inf, nan) are numbers here, as they are to Python and numpy: a `Value`
may hold one, and each primitive then returns what IEEE arithmetic and numpy give (inf + 1 = inf,
exp(-inf) = 0, tanh(inf) = 1, relu(nan) = nan: a nan in gives a nan out). Where the result is
undefined, or finite operands give a result too large for a float, the row's check or value
raises one ValueError, ZeroDivisionError or OverflowError naming the op and the operands instead
(sin(inf), log(-inf), 0 ** -inf, exp(1000), 1e200 ** 2), never Python's bare "math domain
error". The exceptions are + − × ÷, which give ±inf on overflow unchecked, as numpy does: they are
nearly every node of a network, and a check on each would cost more than it tells. A number too
large for a float at all (10**400) is refused where it enters (`Value(10**400)`, `x + 10**400`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple


class JavaScript(NamedTuple):
    """A primitive's rules as JavaScript expressions over its argument names and `out`."""

    value: str
    local_derivatives: str
    check: str = "null"


class PythonSource(NamedTuple):
    """A primitive's rules as Python expressions over its argument names and `out`, for the
    adjoint program: the value, and one expression per local derivative. Each must compute
    exactly what `value` and `local_derivatives` compute (same operations, same order), so that a
    program gives `backward()`'s numbers bit for bit; `math` is the only name they may use."""

    value: str
    local_derivatives: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Primitive:
    """One primitive: its name and symbol, f, ∂f/∂xᵢ, a domain check, and the same in JavaScript.

    `args` names the arguments: the graph inputs first (`arity` of them), then the parameters
    (the exponent `n` of `power_scalar`). `doc` states f and its derivatives in plain maths.
    """

    name: str
    symbol: str
    args: tuple[str, ...]
    arity: int
    value: Callable[..., float]
    local_derivatives: Callable[..., tuple[float, ...]]
    check: Callable[..., None] | None
    js: JavaScript | None  # None: the page cannot recompute this op in the browser
    doc: str
    source: PythonSource | None = None


def _fmt(x: float) -> str:
    return repr(float(x))


def _fmt_exponent(n: float) -> str:
    # An int exponent may have thousands of digits (Python refuses to print past 4300).
    if isinstance(n, int) and n.bit_length() > 64:
        return f"about {'-' if n < 0 else ''}10**{math.floor(math.log10(abs(n)))}"
    return repr(n)


# --- domain checks -------------------------------------------------------------------------------


def _check_div(a: float, b: float) -> None:
    if b == 0:
        raise ZeroDivisionError(f"/: division by zero in {_fmt(a)} / {_fmt(b)}")


def _check_pow_number(x: float, n: float) -> None:
    if x == 0 and n < 0:
        raise ZeroDivisionError(
            f"**: {_fmt(x)} ** {_fmt_exponent(n)} divides by zero "
            "(a negative power of 0 is undefined)"
        )
    if x < 0 and not float(n).is_integer():
        raise ValueError(
            f"**: {_fmt(x)} ** {_fmt_exponent(n)} is not a real number "
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


def _check_periodic(name: str) -> Callable[[float], None]:
    """The check of sin or cos: finite arguments only (they have no limit at ±inf)."""

    def check(x: float) -> None:
        if math.isinf(x):
            raise ValueError(
                f"{name}: {name}({_fmt(x)}) is undefined; {name} needs a finite argument"
            )

    return check


def _check_sqrt(x: float) -> None:
    if x < 0:
        raise ValueError(f"sqrt: sqrt({_fmt(x)}) is not a real number; sqrt needs an argument >= 0")


# --- values that can overflow: say which op and which operand, not "math range error" ------------


def _pow(x: float, n: float) -> float:
    try:
        return float(x**n)
    except OverflowError:
        raise OverflowError(
            f"**: {_fmt(x)} ** {_fmt_exponent(n)} is too large for a float"
        ) from None


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


def _pow_number_derivative(x: float, n: float, out: float) -> tuple[float]:
    if n == 0:
        return (0.0,)
    if x == 0:
        # n·0^(n−1): 0 for n > 1, 1 for n = 1, and +∞ for 0 < n < 1 (the tangent of √x at 0 is
        # vertical). Negative n never gets here: the check rejects 0 ** n < 0.
        return (0.0,) if n > 1 else (1.0,) if n == 1 else (math.inf,)
    return (n * out / x,)  # n·xⁿ⁻¹ written as n·xⁿ/x: no second power, and no overflow of its own


def _sqrt_derivative(x: float, out: float) -> tuple[float]:
    return (0.5 / out,) if out else (math.inf,)


# Rows whose derivatives do not depend on the point return these shared tuples, so that the
# nodes of a network (mostly + and relu) do not each allocate one.
_ONE_ONE = (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)
_MINUS_ONE = (-1.0,)
_ONE = (1.0,)
_ZERO = (0.0,)

_AB = ("a", "b")
_X = ("x",)

# The rows below are the whole of the calculus in this engine: value, then local derivatives,
# then the same two rules (and the domain check) in JavaScript, then the two rules in Python source.
PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in (
        Primitive(
            "add", "+", _AB, 2,
            value=lambda a, b: a + b,
            local_derivatives=lambda a, b, out: _ONE_ONE,
            check=None,
            js=JavaScript("a + b", "[1, 1]"),
            source=PythonSource("a + b", ("1.0", "1.0")),
            doc="f(a, b) = a + b;  ∂f/∂a = 1, ∂f/∂b = 1",
        ),
        Primitive(
            "subtract", "-", _AB, 2,
            value=lambda a, b: a - b,
            local_derivatives=lambda a, b, out: _ONE_MINUS_ONE,
            check=None,
            js=JavaScript("a - b", "[1, -1]"),
            source=PythonSource("a - b", ("1.0", "-1.0")),
            doc="f(a, b) = a − b;  ∂f/∂a = 1, ∂f/∂b = −1",
        ),
        Primitive(
            "multiply", "*", _AB, 2,
            value=lambda a, b: a * b,
            local_derivatives=lambda a, b, out: (b, a),
            check=None,
            js=JavaScript("a * b", "[b, a]"),
            source=PythonSource("a * b", ("b", "a")),
            doc="f(a, b) = a·b;  ∂f/∂a = b, ∂f/∂b = a",
        ),
        Primitive(
            "divide", "/", _AB, 2,
            value=lambda a, b: a / b,
            local_derivatives=lambda a, b, out: (1.0 / b, -out / b),
            check=_check_div,
            js=JavaScript(
                "a / b",
                "[1 / b, -out / b]",
                "b === 0 ? `/: division by zero in ${a} / ${b}` : null",
            ),
            source=PythonSource("a / b", ("1.0 / b", "-out / b")),
            doc="f(a, b) = a / b;  ∂f/∂a = 1/b, ∂f/∂b = −a/b² (= −f/b)",
        ),
        Primitive(
            "negate", "-", _X, 1,
            value=lambda x: -x,
            local_derivatives=lambda x, out: _MINUS_ONE,
            check=None,
            js=JavaScript("-x", "[-1]"),
            source=PythonSource("-x", ("-1.0",)),
            doc="f(x) = −x;  f′(x) = −1",
        ),
        Primitive(
            "power_scalar", "**", ("x", "n"), 1,
            value=_pow,
            local_derivatives=_pow_number_derivative,
            check=_check_pow_number,
            js=JavaScript(
                "Math.pow(x, n)",
                "[n === 0 ? 0 : x === 0 ? (n > 1 ? 0 : n === 1 ? 1 : Infinity) : n * out / x]",
                "x === 0 && n < 0 ? `**: ${x} ** ${n} divides by zero` : "
                "x < 0 && !Number.isInteger(n) ? "
                "`**: ${x} ** ${n} is not a real number (a negative base needs an integer "
                "exponent)` : null",
            ),
            source=PythonSource(
                "x ** n",
                (
                    "0.0 if n == 0 else (0.0 if n > 1 else 1.0 if n == 1 else math.inf) if x == 0 "
                    "else n * out / x",
                ),
            ),
            doc="f(x) = xⁿ for a number n;  f′(x) = n·xⁿ⁻¹",
        ),
        Primitive(
            "power", "**", _AB, 2,
            value=_pow,
            local_derivatives=lambda a, b, out: (b * out / a, out * math.log(a)),  # b·aᵇ⁻¹ = b·aᵇ/a
            check=_check_pow_value,
            js=JavaScript(
                "Math.pow(a, b)",
                "[b * out / a, out * Math.log(a)]",
                "a <= 0 ? `**: ${a} ** ${b} with a Value exponent needs a base > 0` : null",
            ),
            source=PythonSource("a ** b", ("b * out / a", "out * math.log(a)")),
            doc="f(a, b) = aᵇ for a > 0;  ∂f/∂a = b·aᵇ⁻¹, ∂f/∂b = aᵇ·ln a",
        ),
        Primitive(
            "exp", "exp", _X, 1,
            value=_exp,
            local_derivatives=lambda x, out: (out,),
            check=None,
            js=JavaScript("Math.exp(x)", "[out]"),
            source=PythonSource("math.exp(x)", ("out",)),
            doc="f(x) = eˣ;  f′(x) = eˣ (= f)",
        ),
        Primitive(
            "log", "log", _X, 1,
            value=math.log,
            local_derivatives=lambda x, out: (1.0 / x,),
            check=_check_log,
            js=JavaScript(
                "Math.log(x)",
                "[1 / x]",
                "x <= 0 ? `log: log(${x}) is undefined; log needs an argument > 0` : null",
            ),
            source=PythonSource("math.log(x)", ("1.0 / x",)),
            doc="f(x) = ln x for x > 0;  f′(x) = 1/x",
        ),
        Primitive(
            "sin", "sin", _X, 1,
            value=math.sin,
            local_derivatives=lambda x, out: (math.cos(x),),
            check=_check_periodic("sin"),
            js=JavaScript(
                "Math.sin(x)",
                "[Math.cos(x)]",
                "Math.abs(x) === Infinity ? "
                "`sin: sin(${x}) is undefined; sin needs a finite argument` : null",
            ),
            source=PythonSource("math.sin(x)", ("math.cos(x)",)),
            doc="f(x) = sin x;  f′(x) = cos x",
        ),
        Primitive(
            "cos", "cos", _X, 1,
            value=math.cos,
            local_derivatives=lambda x, out: (-math.sin(x),),
            check=_check_periodic("cos"),
            js=JavaScript(
                "Math.cos(x)",
                "[-Math.sin(x)]",
                "Math.abs(x) === Infinity ? "
                "`cos: cos(${x}) is undefined; cos needs a finite argument` : null",
            ),
            source=PythonSource("math.cos(x)", ("-math.sin(x)",)),
            doc="f(x) = cos x;  f′(x) = −sin x",
        ),
        Primitive(
            "tanh", "tanh", _X, 1,
            value=math.tanh,
            local_derivatives=lambda x, out: (1.0 - out * out,),
            check=None,
            js=JavaScript("Math.tanh(x)", "[1 - out * out]"),
            source=PythonSource("math.tanh(x)", ("1.0 - out * out",)),
            doc="f(x) = tanh x;  f′(x) = 1 − tanh² x (= 1 − f²)",
        ),
        Primitive(
            "sigmoid", "sigmoid", _X, 1,
            value=_sigmoid,
            local_derivatives=lambda x, out: (out * (1.0 - out),),
            check=None,
            js=JavaScript(
                "x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))",
                "[out * (1 - out)]",
            ),
            source=PythonSource(
                "1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))",
                ("out * (1.0 - out)",),
            ),
            doc="f(x) = σ(x) = 1/(1 + e⁻ˣ);  f′(x) = σ(x)·(1 − σ(x)) (= f·(1 − f))",
        ),
        Primitive(
            "relu", "relu", _X, 1,
            # `x != x` holds for nan only: relu passes a nan on, as numpy's maximum does
            value=lambda x: x if x > 0 or x != x else 0.0,
            local_derivatives=lambda x, out: _ONE if x > 0 else _ZERO,
            check=None,
            js=JavaScript("x > 0 || x !== x ? x : 0", "[x > 0 ? 1 : 0]"),
            source=PythonSource("x if x > 0 or x != x else 0.0", ("1.0 if x > 0 else 0.0",)),
            doc="f(x) = max(0, x);  f′(x) = 1 for x > 0, else 0 (0 at the kink, as in PyTorch)",
        ),
        Primitive(
            "sqrt", "sqrt", _X, 1,
            value=math.sqrt,
            local_derivatives=_sqrt_derivative,
            check=_check_sqrt,
            js=JavaScript(
                "Math.sqrt(x)",
                "[out ? 0.5 / out : Infinity]",
                "x < 0 ? `sqrt: sqrt(${x}) is not a real number; sqrt needs an argument >= 0` "
                ": null",
            ),
            source=PythonSource("math.sqrt(x)", ("0.5 / out if out else math.inf",)),
            doc="f(x) = √x for x ≥ 0;  f′(x) = 1/(2√x) (= 1/(2f); +∞ at 0)",
        ),
    )
}  # fmt: skip
"""Every scalar primitive by name."""


def primitive_of(symbol: str, inputs: int) -> Primitive:
    """The primitive a node with op `symbol` and that many graph inputs was made by.

    Two symbols are shared: `-` is `subtract` with two inputs and `negate` with one, `**` is
    `power` with two and `power_scalar` (a number exponent) with one.
    """
    for prim in PRIMITIVES.values():
        if prim.symbol == symbol and prim.arity == inputs:
            return prim
    raise KeyError(f"no primitive has symbol {symbol!r} and {inputs} input(s)")
