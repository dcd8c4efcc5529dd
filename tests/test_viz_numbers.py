"""viz.numbers, the one number formatter, and viz.passes, what each node has received by step k."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from browser_helpers import right_at_the_digits_shown
from hypothesis import given
from hypothesis import strategies as st

from examples import graphs
from viz.numbers import MINUS, honest_digits, number, parse, product, total
from viz.passes import arrivals, received_by, step_numbers, sums_by


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (1.7163378, 4, "1.716"),
        (5.0, 4, "5"),
        (-0.0, 4, "0"),
        (0.0625, 4, "0.0625"),
        (1234.5, 4, "1234"),  # half to even, as Python rounds
        (1235.5, 4, "1236"),
        (12345.6, 4, "1.235e4"),
        (12345.6, 6, "12345.6"),
        (-1.5e-5, 4, f"{MINUS}1.5e{MINUS}5"),
        (0.00012345, 4, "0.0001234"),
        (1e21, 4, "1e21"),
        (math.inf, 4, "inf"),
        (-math.inf, 4, f"{MINUS}inf"),
        (math.nan, 4, "nan"),
        (2 / 3, 2, "0.67"),
    ],
)
def test_number(x: float, digits: int, text: str) -> None:
    assert number(x, digits) == text


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(1, 17))
def test_number_is_the_value_rounded_to_its_significant_digits(x: float, digits: int) -> None:
    text = number(x, digits)
    assert MINUS not in text[1:].split("e")[0]  # one sign, in front
    shown = Decimal(text.replace(MINUS, "-"))
    if x == 0:
        assert text == "0"
        return
    assert shown == Decimal(f"{x:.{digits - 1}e}")  # Python's rounding of the exact double
    assert parse(text) == float(shown)


def test_honest_digits_takes_more_digits_only_where_the_arithmetic_needs_them() -> None:
    assert product(1.0, 5.0, 5.0) == ("1", "5", "5")
    assert product(1.0, -1.0, -1.0) == ("1", f"({MINUS}1)", f"{MINUS}1")
    e = math.e
    # 2.718 + 3.718 = 6.436, but the sum is 6.4366: one more digit everywhere
    assert total([e, e + 1], e + (e + 1)) == ("2.7183 + 3.7183", "6.4366")
    # cancellation: −6 + 6.881 is 0.881, so the result is shown to the digits it has
    b = 6.8813735870195432
    assert total([-6.0, b], -6.0 + b) == (f"{MINUS}6 + 6.881", "0.881")
    assert total([2.0, -0.2837], 2.0 - 0.2837) == (f"2 {MINUS} 0.2837", "1.716")
    assert honest_digits([math.inf, 1.0], math.inf, lambda v: v[0] * v[1]) == (4, 4)


@given(
    st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-6 or v == 0),
    st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-6 or v == 0),
)
def test_products_and_sums_are_right_at_the_digits_shown(a: float, b: float) -> None:
    x, y, z = product(a, b, a * b)
    assert right_at_the_digits_shown(f"{x} × {y} = {z}")
    terms, s = total([a, b], a + b)
    assert right_at_the_digits_shown(f"{terms} = {s}")


def test_arrivals_are_what_each_node_receives_in_the_order_the_pass_adds_them() -> None:
    b = graphs.baydin()
    steps = b["v5"].backward(trace=True)
    got = arrivals(steps)
    x1 = got[b["x1"].id]
    assert [(a.step, a.sender.label, a.argument) for a in x1] == [(4, "v2", 0), (6, "v1", 0)]
    assert got[b["v5"].id][0].sender is None and got[b["v5"].id][0].partial == 1.0
    at = step_numbers(steps)
    assert at[b["v2"].id] == 4 and at[b["x1"].id] == 7
    assert [a.step for a in received_by(steps, 5)[b["x1"].id]] == [4]
    assert b["v1"].id not in received_by(steps, 2)
    final = sums_by(steps, len(steps))
    for node in b.values():
        assert final[node.id] == node.grad  # bit for bit: the pass's order of additions
