"""Non-finite and out-of-range numbers in both engines: every scalar primitive, given inf, -inf
or nan, returns what numpy returns or raises one clear error naming the op and the value; a
number too large for a float is refused where it enters, naming where."""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import vector as ndl
from scalar import Dual, Value
from scalar.primitives import PRIMITIVES

INF, NAN = math.inf, math.nan
SPECIAL = [INF, -INF, NAN]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


# numpy's answer for each primitive, the reference for what IEEE arithmetic gives.
NUMPY: dict[str, Callable[..., Any]] = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
    "negate": np.negative,
    "power_scalar": np.power,
    "power": np.power,
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "sqrt": np.sqrt,
}


def test_every_primitive_has_a_reference() -> None:
    # (a primitive added to the table needs its numpy reference here, to be covered below)
    assert set(NUMPY) == set(PRIMITIVES)


def _cases() -> list[tuple[str, tuple[float, ...]]]:
    """Every primitive with a non-finite number in each argument position, the others ordinary
    (2.0, and the exponents 2, 0.5 and -1 for power_scalar)."""
    cases = []
    for name in NUMPY:
        prim = PRIMITIVES[name]
        if name == "power_scalar":
            cases += [(name, (x, n)) for x in SPECIAL for n in (2, 0.5, -1)]
            cases += [(name, (x, n)) for x in (2.0, 0.0, -2.0) for n in SPECIAL]
        elif prim.arity == 2:
            cases += [(name, (x, 2.0)) for x in SPECIAL] + [(name, (2.0, x)) for x in SPECIAL]
        else:
            cases += [(name, (x,)) for x in SPECIAL]
    return cases


BINARY = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
    "power": operator.pow,
}


def _apply(number: type, name: str, args: tuple[float, ...]) -> Any:
    """Primitive `name` of `args` made `number`s (Value or Dual), through their operators."""
    if name == "power_scalar":
        return number(args[0]) ** args[1]
    if name in BINARY:
        return BINARY[name](*(number(a) for a in args))
    if name == "negate":
        return -number(args[0])
    return getattr(number(args[0]), name)()


@pytest.mark.parametrize("number", [Value, Dual], ids=["Value", "Dual"])
@pytest.mark.parametrize(("name", "args"), _cases(), ids=str)
def test_non_finite_arguments_give_numpys_answer_or_one_clear_error(
    number: type, name: str, args: tuple[float, ...]
) -> None:
    with np.errstate(all="ignore"):
        expected = float(NUMPY[name](*(np.float64(a) for a in args)))
    try:
        out = _apply(number, name, args)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        message = str(error)
        prim = PRIMITIVES[name]
        assert message.startswith(f"{prim.symbol}: "), message
        assert any(repr(float(a)) in message for a in args if not math.isfinite(a)), message
        assert "math domain error" not in message and "math range error" not in message
        return
    value = out.data if number is Value else out.primal
    assert value == expected or (math.isnan(value) and math.isnan(expected)), (value, expected)


@pytest.mark.parametrize("x", [INF, -INF])
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_and_cos_of_infinity_name_the_op_and_the_value(name: str, x: float) -> None:
    for number in (Value, Dual):
        with pytest.raises(ValueError) as info:
            getattr(number(x), name)()
        assert (
            str(info.value) == f"{name}: {name}({x!r}) is undefined; {name} needs a finite argument"
        )


def test_relu_passes_a_nan_on() -> None:
    assert math.isnan(Value(NAN).relu().data)
    assert Value(-INF).relu().data == 0.0 and Value(INF).relu().data == INF


@pytest.mark.parametrize(
    ("make", "where"),
    [
        (lambda: Value(10**400), "Value"),
        (lambda: Value(Fraction(10**400, 3)), "Value"),
        (lambda: Value(1.0) + 10**400, "Value.__add__"),
        (lambda: -(10**400) * Value(1.0), "Value.__rmul__"),
        (lambda: Value(1.0) / 10**400, "Value.__truediv__"),
        (lambda: Dual(10**400), "Dual"),
        (lambda: Dual(1.0, 10**400), "Dual"),
        (lambda: Dual(1.0) - 10**400, "Dual.__sub__"),
    ],
)
def test_a_number_too_large_for_a_float_is_refused_where_it_enters(
    make: Callable[[], Any], where: str
) -> None:
    with pytest.raises(OverflowError) as info:
        make()
    message = str(info.value)
    assert message.startswith(f"{where}: about "), message
    assert "10**399 (Fraction)" in message or "10**400 (int)" in message, message
    assert message.endswith("is too large for a float (the largest is 1.79769e+308)")


def test_an_exponent_of_thousands_of_digits_is_named_briefly() -> None:
    with pytest.raises(OverflowError) as info:
        Value(2.0) ** 10**5000
    assert str(info.value) == "**: 2.0 ** about 10**5000 is too large for a float"
    with pytest.raises(ZeroDivisionError, match=r"^\*\*: 0\.0 \*\* about -10\*\*5000 divides"):
        Value(0.0) ** -(10**5000)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: Value(1000.0).exp(), "exp: exp(1000.0) is too large for a float"),
        (lambda: Value(1e200) ** 2, "**: 1e+200 ** 2 is too large for a float"),
        (lambda: Value(-INF).log(), "log: log(-inf) is undefined; log needs an argument > 0"),
        (lambda: Value(-INF).sqrt(), "sqrt: sqrt(-inf) is not a real number"),
    ],
)
def test_overflow_and_domain_errors_name_the_op_and_the_value(
    make: Callable[[], Any], expected: str
) -> None:
    with pytest.raises((OverflowError, ValueError)) as info:
        make()
    assert str(info.value).startswith(expected)


def test_non_finite_values_flow_through_a_backward_pass() -> None:
    x = Value(INF, label="x")
    y = (x * 2.0).tanh() + x.exp()
    y.backward()
    assert y.data == INF
    assert math.isnan(x.grad) or x.grad == INF  # inf·0 from tanh's flat tail, or exp's inf


# --- vector ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "op"),
    [
        (lambda x: x * 10**400, "mul_scalar"),
        (lambda x: x + -(10**400), "add_scalar"),
        (lambda x: ndl.divide_scalar(x, scalar=10**400), "divide_scalar"),
        (lambda x: x**10**400, "power_scalar"),
    ],
)
def test_vector_refuses_a_scalar_too_large_for_a_float_naming_the_op(
    make: Callable[[ndl.Tensor], Any], op: str
) -> None:
    with pytest.raises(OverflowError) as info:
        make(ndl.Tensor([1.0, 2.0]))
    assert str(info.value) == (
        f"{op}: the scalar (about {'-' if op == 'add_scalar' else ''}10**400) "
        "is too large for a float"
    )


@pytest.mark.parametrize("op", ["exp", "log", "tanh", "relu", "sigmoid"])
def test_vector_ops_give_numpys_answer_for_non_finite_values(op: str) -> None:
    data = np.array([INF, -INF, NAN, 1.0])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = getattr(ndl, op)(ndl.Tensor(data)).numpy()
        reference = {
            "exp": np.exp,
            "log": np.log,
            "tanh": np.tanh,
            "relu": lambda a: np.maximum(a, 0),
            "sigmoid": _sigmoid,
        }[op](data)
    np.testing.assert_array_equal(out, reference)


def test_vector_refuses_a_tensor_of_numbers_too_large_for_a_float() -> None:
    with pytest.raises(TypeError, match=r"^Tensor: data must be real numbers, got dtype object"):
        ndl.Tensor([10**400])
