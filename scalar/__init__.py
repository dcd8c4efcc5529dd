"""The scalar engine: a graph of one `Value` per number, reverse mode over it, forward mode with
`Dual` numbers, and central differences to check both.

    from scalar import Value
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    y = x1.log() + x1 * x2 - x2.sin()
    y.backward()          # x1.grad == 5.5, x2.grad == 1.716...

`scalar.primitive(...)` adds an op of your own to the primitive table; `docs/adding-an-op.md`
shows it beside micrograd's way, a `_backward` closure, which works too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autodiff import numeric_grad as _numeric_grad
from scalar import nn
from scalar.dual import Dual, jvp
from scalar.operators import as_number
from scalar.primitives import PRIMITIVES, JavaScript, Primitive, PythonSource
from scalar.program import program
from scalar.register import primitive
from scalar.value import Value


def numeric_grad(
    f: Callable[..., float], primals: Sequence[float], eps: float = 1e-6
) -> list[float]:
    """∂f/∂xᵢ at `primals` by central differences, (f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε, in float64.

    `f` takes floats and returns a float. Two evaluations per input: for checking, not training.
    """
    points = [as_number(p) for p in primals]
    for i, (p, x) in enumerate(zip(primals, points, strict=True)):
        if x is None:
            raise TypeError(f"numeric_grad: primal {i} must be a number, got {p!r}")
    return [float(g) for g in _numeric_grad(f, points, eps)]


__all__ = [
    "PRIMITIVES",
    "Dual",
    "JavaScript",
    "Primitive",
    "PythonSource",
    "Value",
    "jvp",
    "nn",
    "numeric_grad",
    "primitive",
    "program",
]
