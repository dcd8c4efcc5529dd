"""The one number formatter of the pictures, the trace tables and the stepper page.

`number(x, digits)` writes `x` rounded to `digits` significant digits (4 unless told), as
Python's `g` format chooses between fixed and scientific notation, with three changes for
readers: trailing zeros dropped, a true minus sign (−) and an exponent without padding
(`1.5e−5`), and −0 written as 0. The page's JavaScript (`viz/page/numbers.js`) follows this
spec digit for digit; a browser test compares the two on many numbers.

Arithmetic that a picture or the page writes out (`1.999 × 0.001341 = 0.00268`) must be right at
the digits it shows. `honest_digits` picks how many: the fewest significant digits for the
operands (4 or more), and for the result (as many as the operands, or fewer when the shown
operands only pin down fewer), such that the shown result is the shown operands' arithmetic
rounded to the shown result's digits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

DIGITS = 4
"""Significant digits of a number shown on its own."""

MAX_DIGITS = 17
"""Enough to write any double exactly enough to read it back."""

MINUS = "\u2212"


def number(x: Any, digits: int = DIGITS) -> str:
    """`x` in `digits` significant digits: 1.7163378 -> '1.716', -1.5e-05 -> '−1.5e−5'."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else MINUS + "inf"
    if x == 0.0:
        return "0"  # -0.0 would read like a sign error
    mantissa, _, exp = f"{abs(x):.{digits - 1}e}".partition("e")  # rounds half to even
    e = int(exp)
    sign = MINUS if x < 0 else ""
    figures = mantissa.replace(".", "")
    if e < -4 or e >= digits:
        body = _strip(figures[0] + "." + figures[1:])
        return f"{sign}{body}e{MINUS if e < 0 else ''}{abs(e)}"
    if e < 0:
        return sign + _strip("0." + "0" * (-e - 1) + figures)
    return sign + _strip(figures[: e + 1] + "." + figures[e + 1 :])


def _strip(text: str) -> str:
    """Drop trailing zeros of a decimal fraction, and the point if nothing follows it."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def factor(x: Any, digits: int = DIGITS) -> str:
    """A number as a factor of a product: negative ones in parentheses, `1 × (−1)`."""
    text = number(x, digits)
    return f"({text})" if text.startswith(MINUS) else text


def parse(text: str) -> float:
    """The number a text of `number` shows (its true minus read as '-')."""
    return float(text.replace(MINUS, "-").strip("()"))


def shown(x: Any, digits: int) -> float:
    """`x` as it reads when written with `digits` significant digits."""
    return parse(number(x, digits))


def honest_digits(
    operands: Sequence[Any], result: Any, combine: Callable[[list[float]], float]
) -> tuple[int, int]:
    """(p, q): write `operands` with p significant digits and `result` with q.

    `combine` is the arithmetic the text shows, applied to the operands as shown (a product
    `lambda v: v[0] * v[1]`, a sum left to right, ...). A pair (p, q) fits when
    `number(combine(shown operands), q) == number(result, q)`. The first that fits wins, in
    this order: q = p for p = DIGITS … DIGITS + 2 (one or two more digits everywhere:
    `2.7183 + 3.7183 = 6.4366`), then q < p for p = DIGITS … MAX_DIGITS, q from p − 1 down to
    2 (a result known to fewer digits than its operands: `−6 + 6.881 = 0.881`, where
    cancellation leaves three). Non-finite numbers are shown with DIGITS.
    """
    values = [float(v) for v in operands]
    if not all(math.isfinite(v) for v in [*values, float(result)]):
        return DIGITS, DIGITS
    for p, q in _candidates():
        value = combine([shown(v, p) for v in values])
        if number(value, q) == number(result, q):
            return p, q
    return MAX_DIGITS, MAX_DIGITS


def _candidates() -> list[tuple[int, int]]:
    """The (p, q) pairs `honest_digits` tries, in order."""
    same = [(p, p) for p in range(DIGITS, DIGITS + 3)]
    fewer = [(p, q) for p in range(DIGITS, MAX_DIGITS + 1) for q in range(p - 1, 1, -1)]
    return same + fewer


def product(a: Any, b: Any, c: Any) -> tuple[str, str, str]:
    """`a × b = c` as (a, b, c) texts, right at the digits shown (b as a factor)."""
    p, q = honest_digits([a, b], c, lambda v: v[0] * v[1])
    return number(a, p), factor(b, p), number(c, q)


def total(parts: Sequence[Any], result: Any) -> tuple[str, str]:
    """`p1 + p2 + … = s` as (terms, s) texts, the terms added left to right as shown."""
    p, q = honest_digits(parts, result, _sum)
    terms = " + ".join(number(x, p) for x in parts).replace(f"+ {MINUS}", f"{MINUS} ")
    return terms, number(result, q)


def _sum(values: list[float]) -> float:
    out = values[0]
    for v in values[1:]:
        out = out + v
    return out
