"""Every primitive of the table: its value against `math`, its reverse-mode gradient against
central differences in float64, and its forward-mode tangent against the reverse gradient, at
inputs drawn by hypothesis away from kinks and poles."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import check_grad
from scalar import PRIMITIVES, Dual, Value, jvp, numeric_grad
from scalar.primitives import primitive_of

SETTINGS = settings(max_examples=50, deadline=None)


def real(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float) -> st.SearchStrategy[float]:
    """|x| in [lo, hi], either sign."""
    return st.tuples(real(lo, hi), st.booleans()).map(lambda t: t[0] if t[1] else -t[0])


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# name: (inputs, f on engine numbers (Value or Dual), f in plain math). Each engine function is
# written with the operators and methods a user writes, so the tests go through them.
Case = tuple[st.SearchStrategy[tuple[float, ...]], Callable[..., Any], Callable[..., float]]
CASES: dict[str, Case] = {
    "add": (st.tuples(real(-10, 10), real(-10, 10)), lambda a, b: a + b, lambda a, b: a + b),
    "subtract": (
        st.tuples(real(-10, 10), real(-10, 10)),
        lambda a, b: a - b,
        lambda a, b: a - b,
    ),
    "multiply": (
        st.tuples(real(-10, 10), real(-10, 10)),
        lambda a, b: a * b,
        lambda a, b: a * b,
    ),
    "divide": (
        st.tuples(real(-10, 10), away_from_zero(0.1, 10)),
        lambda a, b: a / b,
        lambda a, b: a / b,
    ),
    "negate": (st.tuples(real(-10, 10)), lambda x: -x, lambda x: -x),
    "power": (
        st.tuples(real(0.1, 5), real(-3, 3)),
        lambda a, b: a**b,
        lambda a, b: math.pow(a, b),
    ),
    "exp": (st.tuples(real(-20, 20)), lambda x: x.exp(), math.exp),
    "log": (st.tuples(real(1e-3, 1e3)), lambda x: x.log(), math.log),
    "sin": (st.tuples(real(-10, 10)), lambda x: x.sin(), math.sin),
    "cos": (st.tuples(real(-10, 10)), lambda x: x.cos(), math.cos),
    "tanh": (st.tuples(real(-5, 5)), lambda x: x.tanh(), math.tanh),
    "sigmoid": (st.tuples(real(-20, 20)), lambda x: x.sigmoid(), _sigmoid),
    "relu": (st.tuples(away_from_zero(1e-3, 10)), lambda x: x.relu(), lambda x: max(0.0, x)),
    "sqrt": (st.tuples(real(1e-3, 100)), lambda x: x.sqrt(), math.sqrt),
}
# `power_scalar` has a number exponent, a parameter of the op: drawn with its base below.
POW_NUMBER = st.one_of(
    st.tuples(real(0.1, 5), real(-3, 3)),  # positive base, any real exponent
    st.tuples(away_from_zero(0.1, 5), st.integers(-3, 4)),  # negative bases need integers
)


def test_every_primitive_is_tested_and_documented() -> None:
    assert set(PRIMITIVES) == set(CASES) | {"power_scalar"}
    for name, prim in PRIMITIVES.items():
        assert prim.name == name
        assert primitive_of(prim.symbol, prim.arity) is prim
        assert "f(" in prim.doc and ("′" in prim.doc or "∂f/∂" in prim.doc), name


def check_primitive(name: str, xs: tuple[float, ...]) -> None:
    _, engine, plain = CASES[name]
    inputs = [Value(x) for x in xs]
    out = engine(*inputs)
    assert out.op == PRIMITIVES[name].symbol
    assert out.inputs == tuple(inputs)
    # the value, against math
    assert out.data == pytest.approx(plain(*xs), rel=1e-12, abs=1e-300)
    # the reverse gradient, against central differences
    out.backward()
    grads = [v.grad for v in inputs]
    check_grad(plain, xs, grads, rtol=1e-5, atol=1e-6, name=name)
    # the forward tangent along each axis, against the reverse gradient
    for i in range(len(xs)):
        direction = [1.0 if k == i else 0.0 for k in range(len(xs))]
        value, tangent = jvp(engine, xs, direction)
        assert value == pytest.approx(out.data, rel=1e-15)
        assert tangent == pytest.approx(grads[i], rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", sorted(CASES))
def test_primitive(name: str) -> None:
    @SETTINGS
    @given(CASES[name][0])
    def run(xs: tuple[float, ...]) -> None:
        check_primitive(name, xs)

    run()


@SETTINGS
@given(POW_NUMBER)
def test_power_with_a_number_exponent(case: tuple[float, float]) -> None:
    x, n = case
    v = Value(x)
    out = v**n
    assert (out.op, out.exponent, out.inputs) == ("**", n, (v,))
    assert out.data == pytest.approx(math.pow(x, n), rel=1e-12)
    out.backward()
    check_grad(lambda x: math.pow(x, n), [x], [v.grad], rtol=1e-5, atol=1e-6, name=f"x**{n}")
    assert jvp(lambda d: d**n, [x], [1.0]) == pytest.approx((out.data, v.grad), rel=1e-12)


def test_power_with_a_value_exponent_gets_both_gradients() -> None:
    a, b = Value(2.0), Value(3.0)
    out = a**b
    out.backward()
    assert out.data == 8.0
    assert a.grad == pytest.approx(3.0 * 2.0**2)  # b·a^(b−1)
    assert b.grad == pytest.approx(8.0 * math.log(2.0))  # a^b · ln a


def test_power_edge_cases_at_zero() -> None:
    x = Value(0.0)
    (x**2).backward()
    assert x.grad == 0.0
    (x**1).backward()
    assert x.grad == 1.0
    (x**0).backward()
    assert (x**0).data == 1.0 and x.grad == 0.0
    (x**0.5).backward()
    assert x.grad == math.inf  # the tangent of √x at 0 is vertical
    assert Value(0.0).sqrt().data == 0.0


BINARY = {
    "+": (lambda a, b: a + b, (1.0, 1.0)),
    "-": (lambda a, b: a - b, (1.0, -1.0)),
    "*": (lambda a, b: a * b, (3.0, 2.0)),
    "/": (lambda a, b: a / b, (1 / 3.0, -2.0 / 9.0)),
    "**": (lambda a, b: a**b, (3.0 * 2.0**2, 8.0 * math.log(2.0))),
}


@pytest.mark.parametrize("symbol", sorted(BINARY))
def test_binary_ops_with_a_number_on_either_side(symbol: str) -> None:
    f, (da, db) = BINARY[symbol]
    expected = f(2.0, 3.0)
    b = Value(3.0)
    left = f(2.0, b)  # number on the left: the reflected operator
    left.backward()
    assert left.data == pytest.approx(expected)
    assert b.grad == pytest.approx(db)
    constant = left.inputs[0]
    assert (constant.data, constant.requires_grad, left.inputs[1]) == (2.0, False, b)
    assert constant.grad == 0.0
    a = Value(2.0)
    right = f(a, 3.0)  # number on the right
    right.backward()
    assert right.data == pytest.approx(expected)
    assert a.grad == pytest.approx(da)
    assert right.inputs[0] is a
    if symbol == "**":
        assert right.op == "**" and right.exponent == 3  # a number exponent is a parameter
    else:
        assert right.inputs[1].data == 3.0 and not right.inputs[1].requires_grad


def test_numbers_of_other_kinds_are_coerced() -> None:
    np = pytest.importorskip("numpy")
    a = Value(2.0)
    assert (a * np.float64(3.0)).data == 6.0
    out = np.float64(3.0) * a  # numpy defers to Value.__rmul__
    assert isinstance(out, Value) and out.data == 6.0
    assert (a + 1).data == 3.0 and (a + True).data == 3.0
    assert isinstance(Value(3).data, float)


def test_dual_numbers_follow_the_same_table() -> None:
    d = Dual(2.0, 1.0) * Dual(5.0) + Dual(2.0, 1.0).log()
    assert (d.primal, d.tangent) == pytest.approx((10.0 + math.log(2.0), 5.0 + 0.5))
    assert repr(Dual(1.5, 2.0)) == "Dual(primal=1.5, tangent=2.0)"
    left = 3.0 - Dual(1.0, 1.0)
    assert (left.primal, left.tangent) == (2.0, -1.0)
    power = 2.0 ** Dual(3.0, 1.0)
    assert (power.primal, power.tangent) == pytest.approx((8.0, 8.0 * math.log(2.0)))


def test_jvp_on_several_inputs() -> None:
    def f(x1: Any, x2: Any) -> Any:
        return x1.log() + x1 * x2 - x2.sin()

    value, d1 = jvp(f, [2.0, 5.0], [1.0, 0.0])
    _, d2 = jvp(f, [2.0, 5.0], [0.0, 1.0])
    _, mixed = jvp(f, [2.0, 5.0], [2.0, -3.0])  # linear in the direction
    assert value == pytest.approx(math.log(2.0) + 10.0 - math.sin(5.0))
    assert d1 == pytest.approx(0.5 + 5.0)
    assert d2 == pytest.approx(2.0 - math.cos(5.0))
    assert mixed == pytest.approx(2 * d1 - 3 * d2)
    assert jvp(lambda x: 7.0, [1.0], [1.0]) == (7.0, 0.0)  # f ignored its input
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        jvp(f, [2.0, 5.0], [1.0])


def test_numeric_grad_wrapper() -> None:
    grads = numeric_grad(lambda a, b: a * b + math.exp(a), [0.5, 3])
    assert grads == pytest.approx([3.0 + math.exp(0.5), 0.5], rel=1e-8)
    assert all(isinstance(g, float) for g in grads)
    with pytest.raises(TypeError, match="primal 0 must be a number"):
        numeric_grad(lambda a: a, [Value(1.0)])
