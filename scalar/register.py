"""`scalar.primitive`: add a row to the primitive table at run time, without editing the package.

A row added here is a primitive like the others: `Value` and `Dual` gain the method (`x.name()`
for one input, `x.name(y)` for two), the reverse pass reads the local derivatives that `apply`
keeps on each node, forward mode, the pictures and the trace tables use them, the adjoint
program uses the row's `source` and the stepper page its `js`. `docs/adding-an-op.md` walks
through one example.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable, Sequence
from typing import Any

from scalar.dual import Dual
from scalar.operators import Arithmetic, as_number, binary_method, unary_method
from scalar.primitives import PRIMITIVES, JavaScript, Primitive, PythonSource
from scalar.value import Value

# Every attribute the two number types have before any user code runs: a primitive may not take
# one of these names (`backward`, `data`, `grad`, ...), except a method row's, with replace=True.
_OWN_NAMES = frozenset(dir(Value)) | frozenset(dir(Dual))
_OPERATOR_ROWS = frozenset(name for name in PRIMITIVES if name not in vars(Arithmetic))


def primitive(
    name: str,
    symbol: str,
    *,
    value: Callable[..., float],
    local_derivatives: Callable[..., Sequence[float]],
    check: Callable[..., None] | None = None,
    js: JavaScript | Sequence[str] | None = None,
    source: PythonSource | tuple[str, Sequence[str]] | None = None,
    doc: str = "",
    replace: bool = False,
) -> Primitive:
    """Add the primitive `name` to the table, and the method `x.name(...)` to `Value` and `Dual`.

    - `value(x)` or `value(a, b)` computes f; its parameter names are the row's `args` (one or
      two graph inputs).
    - `local_derivatives(x, out)` or `local_derivatives(a, b, out)` returns a tuple with one
      ∂f/∂input per input; `out` is f at that point, already computed.
    - `check(*args)`, if given, raises before anything is computed when the arguments are outside
      the domain, with a message naming the op and the values.
    - `js`: `(value, local_derivatives[, check])` as JavaScript expressions over the same names,
      for the stepper page; without it the page shows the graph but cannot recompute it.
    - `source`: `(value, (local derivative, ...))` as Python expressions over the same names and
      `math`, for the adjoint program; without it `scalar.program` refuses graphs using the op.
    - `doc` states f and its derivatives in plain maths, `f(x) = ...;  f′(x) = ...`.

    A name already in the table is an error unless `replace=True` (which may replace a method
    row, built in or added here, but never an operator's row such as `add`). Returns the row.
    """
    _check_name(name, replace)
    if not isinstance(symbol, str) or not symbol:
        raise TypeError(
            f"scalar.primitive: {name}: symbol must be a non-empty string, got {symbol!r}"
        )
    args = _arguments(name, value)
    arity = len(args)
    _check_local_derivatives(name, local_derivatives, arity)
    if check is not None and not callable(check):
        raise TypeError(
            f"scalar.primitive: {name}: check must be a function or None, got {check!r}"
        )
    for other in PRIMITIVES.values():
        if other.name != name and other.symbol == symbol and other.arity == arity:
            raise ValueError(
                f"scalar.primitive: {name}: the symbol {symbol!r} with {arity} input(s) is "
                f"already {other.name}'s; a graph could not tell the two apart"
            )
    row = Primitive(
        name,
        symbol,
        args,
        arity,
        value=_checked_value(name, value),
        local_derivatives=_checked_local_derivatives(name, local_derivatives, arity),
        check=check,
        js=_javascript(name, js),
        doc=doc or f"f({', '.join(args)}) = {name}({', '.join(args)})",
        source=_python_source(name, source, arity),
    )
    # A method that user code assigned to Value or Dual itself (micrograd's way, `Value.name =
    # ...`) would hide the one added to their common base class: replacing it removes it.
    for cls in (Value, Dual):
        if name in vars(cls):
            delattr(cls, name)
    PRIMITIVES[name] = row
    method = unary_method(name) if arity == 1 else binary_method(name, name)
    setattr(Arithmetic, name, method)
    return row


def _check_name(name: str, replace: bool) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise TypeError(f"scalar.primitive: the name must be a Python identifier, got {name!r}")
    if name.startswith("_"):
        raise ValueError(f"scalar.primitive: {name!r}: a primitive's name may not start with '_'")
    if name in _OPERATOR_ROWS:
        raise ValueError(
            f"scalar.primitive: {name!r} is the row of an operator (+ - * / ** or unary -), "
            "which cannot be replaced; choose another name"
        )
    if name in _OWN_NAMES and name not in PRIMITIVES:
        raise ValueError(
            f"scalar.primitive: {name!r} is already an attribute of Value or Dual; choose "
            "another name"
        )
    taken = name in PRIMITIVES or any(name in vars(cls) for cls in (Value, Dual))
    if taken and not replace:
        what = "a primitive" if name in PRIMITIVES else "a method that your code gave Value"
        raise ValueError(
            f"scalar.primitive: {name!r} is already {what}; pass replace=True to replace it"
        )


def _arguments(name: str, value: Callable[..., float]) -> tuple[str, ...]:
    """The names of `value`'s parameters: the primitive's graph inputs, one or two."""
    if not callable(value):
        raise TypeError(f"scalar.primitive: {name}: value must be a function, got {value!r}")
    try:
        parameters = list(inspect.signature(value).parameters.values())
    except (TypeError, ValueError):
        raise TypeError(
            f"scalar.primitive: {name}: cannot read the parameters of {value!r}; pass a function "
            "with named parameters, such as lambda x: math.log1p(x)"
        ) from None
    plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind not in plain or p.default is not p.empty for p in parameters):
        raise TypeError(
            f"scalar.primitive: {name}: value must take its inputs as plain parameters (no "
            f"defaults, *args or keywords), got {inspect.signature(value)}"
        )
    if len(parameters) not in (1, 2):
        raise ValueError(
            f"scalar.primitive: {name}: value takes {len(parameters)} inputs; a primitive takes "
            "one or two (build an op of more inputs from several primitives)"
        )
    return tuple(p.name for p in parameters)


def _check_local_derivatives(name: str, local_derivatives: Any, arity: int) -> None:
    if not callable(local_derivatives):
        raise TypeError(
            f"scalar.primitive: {name}: local_derivatives must be a function, "
            f"got {local_derivatives!r}"
        )
    try:
        count = len(inspect.signature(local_derivatives).parameters)
    except (TypeError, ValueError):
        return  # a builtin without a readable signature: its calls will tell
    if count != arity + 1:
        expected = "(x, out)" if arity == 1 else "(a, b, out)"
        raise TypeError(
            f"scalar.primitive: {name}: local_derivatives must take the inputs and out, the value "
            f"already computed: {expected}; it takes {count} parameter(s)"
        )


def _checked_value(name: str, value: Callable[..., Any]) -> Callable[..., float]:
    """`value` returning a float, and saying which op and arguments when it fails."""

    def checked(*args: float) -> float:
        try:
            out = value(*args)
        except (ArithmeticError, ValueError) as error:
            shown = ", ".join(repr(a) for a in args)
            raise type(error)(f"{name}: {name}({shown}) failed: {error}") from error
        number = as_number(out)
        if number is None:
            shown = ", ".join(repr(a) for a in args)
            raise TypeError(f"{name}: value({shown}) returned {out!r}; expected a number")
        return number

    return checked


def _checked_local_derivatives(
    name: str, local_derivatives: Callable[..., Any], arity: int
) -> Callable[..., tuple[float, ...]]:
    """`local_derivatives` returning a tuple of `arity` floats, or a clear error."""

    def checked(*args: float) -> tuple[float, ...]:
        got = local_derivatives(*args)
        numbers = tuple(as_number(d) for d in got) if isinstance(got, (tuple, list)) else ()
        if len(numbers) != arity or any(d is None for d in numbers):
            example = "(d,)" if arity == 1 else "(da, db)"
            raise TypeError(
                f"{name}: local_derivatives must return a tuple of {arity} number(s), one per "
                f"input, such as {example}; got {got!r}"
            )
        return numbers  # type: ignore[return-value]  # no None left, checked above

    return checked


def _javascript(name: str, js: JavaScript | Sequence[str] | None) -> JavaScript | None:
    if js is None or isinstance(js, JavaScript):
        return js
    if isinstance(js, str) or len(js) not in (2, 3) or not all(isinstance(s, str) for s in js):
        raise TypeError(
            f"scalar.primitive: {name}: js must be (value, local_derivatives[, check]) as "
            f"JavaScript expressions, got {js!r}"
        )
    return JavaScript(*js)


def _python_source(
    name: str, source: PythonSource | tuple[str, Sequence[str]] | None, arity: int
) -> PythonSource | None:
    if source is None:
        return None
    try:
        value, local = source
        local = tuple(local) if not isinstance(local, str) else (local,)
    except (TypeError, ValueError):
        local = ()
        value = None
    if (
        not isinstance(value, str)
        or len(local) != arity
        or not all(isinstance(s, str) for s in local)
    ):
        raise TypeError(
            f"scalar.primitive: {name}: source must be (value, (one local derivative per input,"
            f" ...)) as Python expressions, with {arity} local derivative(s); got {source!r}"
        )
    return PythonSource(value, local)
