"""Bad input raises a clear TypeError, ValueError, ZeroDivisionError or OverflowError that names
the op and the values, in both `Value` and `Dual`; never a bare "math domain error"."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from scalar import Dual, Value

V = Value(2.0)


def raises(kind: type[Exception], action: Callable[[], Any], *fragments: str) -> str:
    with pytest.raises(kind) as info:
        action()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "math domain error" not in message and "math range error" not in message
    return message


OPERATORS = {
    "__add__": lambda v, o: v + o,
    "__radd__": lambda v, o: o + v,
    "__sub__": lambda v, o: v - o,
    "__rsub__": lambda v, o: o - v,
    "__mul__": lambda v, o: v * o,
    "__rmul__": lambda v, o: o * v,
    "__truediv__": lambda v, o: v / o,
    "__rtruediv__": lambda v, o: o / v,
    "__pow__": lambda v, o: v**o,
    "__rpow__": lambda v, o: o**v,
}


@pytest.mark.parametrize("method", sorted(OPERATORS))
@pytest.mark.parametrize("operand", ["abc", None, [1.0], {"x": 1}])
def test_a_non_number_operand(method: str, operand: Any) -> None:
    op = OPERATORS[method]
    got = f"{operand!r} ({type(operand).__name__})"
    message = raises(TypeError, lambda: op(V, operand), f"Value.{method}", "Value(data=2.0)", got)
    assert message.endswith("expected a number or a Value")
    # reflected operators put the operand first, as it was written
    this = "Value(data=2.0)"
    first, second = (this, got) if not method.startswith("__r") else (got, this)
    assert message.index(first) < message.index(second)
    raises(TypeError, lambda: op(Dual(2.0), operand), f"Dual.{method}", got)


def test_the_message_reads_as_an_explanation() -> None:
    raises(
        TypeError,
        lambda: V + "abc",
        "Value.__add__: cannot combine Value(data=2.0) with 'abc' (str); "
        "expected a number or a Value",
    )


def test_mixing_engines_is_a_type_error() -> None:
    raises(TypeError, lambda: V * Dual(1.0), "Value.__mul__", "Dual(primal=1.0")


def test_value_of_a_non_number() -> None:
    raises(TypeError, lambda: Value("3"), "Value: data must be a number", "'3' (str)")
    raises(TypeError, lambda: Dual(1.0, "x"), "Dual", "'x'")


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300])
def test_log_of_a_non_positive_number(x: float) -> None:
    raises(ValueError, lambda: Value(x).log(), "log", f"log({x!r})", "> 0")
    raises(ValueError, lambda: Dual(x, 1.0).log(), "log", repr(x))


def test_sqrt_of_a_negative_number() -> None:
    raises(ValueError, lambda: Value(-4.0).sqrt(), "sqrt", "sqrt(-4.0)", ">= 0")
    raises(ValueError, lambda: Dual(-4.0).sqrt(), "sqrt(-4.0)")


def test_zero_to_a_negative_power() -> None:
    raises(ZeroDivisionError, lambda: Value(0.0) ** -1, "**", "0.0 ** -1")
    raises(ZeroDivisionError, lambda: Value(0.0) ** -0.5, "0.0 ** -0.5")
    raises(ZeroDivisionError, lambda: Dual(0.0) ** -1, "0.0 ** -1")


def test_negative_base_with_a_non_integer_exponent() -> None:
    raises(ValueError, lambda: Value(-8.0) ** 0.5, "**", "-8.0 ** 0.5", "integer exponent")
    assert (Value(-8.0) ** 3).data == -512.0  # integer exponents are fine
    assert (Value(-2.0) ** 2.0).data == 4.0  # so is an integral float


@pytest.mark.parametrize("base", [0.0, -2.0])
def test_value_exponent_needs_a_positive_base(base: float) -> None:
    raises(ValueError, lambda: Value(base) ** Value(2.0), "**", f"{base!r} ** 2.0", "base > 0")
    raises(ValueError, lambda: base ** Value(2.0), f"{base!r} ** 2.0")
    raises(ValueError, lambda: Dual(base) ** Dual(2.0), f"{base!r} ** 2.0")


def test_division_by_zero() -> None:
    raises(ZeroDivisionError, lambda: Value(1.0) / 0, "/", "1.0 / 0.0")
    raises(ZeroDivisionError, lambda: Value(1.0) / Value(0.0), "1.0 / 0.0")
    raises(ZeroDivisionError, lambda: 3 / Value(0.0), "3.0 / 0.0")
    raises(ZeroDivisionError, lambda: Dual(1.0) / 0.0, "1.0 / 0.0")


def test_overflow_names_the_op() -> None:
    raises(OverflowError, lambda: Value(1000.0).exp(), "exp", "exp(1000.0)")
    raises(OverflowError, lambda: Value(1e200) ** 2, "**", "1e+200 ** 2")
    assert Value(-1000.0).sigmoid().data == 0.0  # computed without overflow
    assert Value(1000.0).sigmoid().data == 1.0


def test_errors_are_raised_before_anything_is_built() -> None:
    x = Value(-1.0)
    with pytest.raises(ValueError):
        x.log()
    y = x * 2  # the failed op left nothing behind that changes later ids or graphs
    assert re.fullmatch(r"Value\(data=-2\.0, grad=0\.0\)", repr(y))
