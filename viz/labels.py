"""Text for the pictures and the page: label templates, the expression renderer, small arrays,
and DOT-safe record and edge labels. Numbers come from `viz.numbers`, the one formatter."""

from __future__ import annotations

import html
import unicodedata
from typing import Any

import numpy as np

from viz.numbers import MINUS, number

SMALL = 6
"""Arrays with at most this many elements are drawn with their values; larger ones by shape."""

TEMPLATES = {
    "data": "data {value}",
    "grad": "grad {value}",
    "grad_sum": "grad {terms} = {value}",
    "grad_pending": "grad —",
    "grad_so_far": "grad — (so far {value})",
    "tangent": "tangent {value}",
    "tangent_pending": "tangent —",
    "local": "{prefix}∂{node}/∂{input} = {value}",
    "local_unknown": "{prefix}∂{node}/∂{input} unknown (a _backward closure)",
    "sends": "sends {adjoint} × {local} = {partial}",
    "sends_vjp": "sends {partial}",
    "adds": "adds {local} × {tangent} = {share}",
}
"""The text of every line a picture or the page writes into the drawing, once: Python fills
them for the pictures and to measure the room a label needs; the page fills the same templates
(shipped in its data) as the pass moves. `grad —`: a node the pass has not reached yet."""


def fill(template: str, **fields: str) -> str:
    """A template of TEMPLATES with its `{fields}` filled in (as the page's `fill` does)."""
    return template.format(**fields)


def is_tensor(node: Any) -> bool:
    """Vector-engine nodes hold arrays; scalar ones hold one float in `data`."""
    return hasattr(node, "realize_cached_data")


def as_array(x: Any) -> np.ndarray:
    """The values of a Tensor, numpy array or number, as a numpy array."""
    if hasattr(x, "realize_cached_data"):
        return np.asarray(x.realize_cached_data())
    return np.asarray(x)


def array_lines(a: np.ndarray) -> list[str] | None:
    """The values of a small array, one line per row (`[[1, 2],` / `[3, 4]]`); None when it has
    more than SMALL elements."""
    if a.size > SMALL:
        return None
    if a.ndim == 0:
        return [number(a)]
    text = np.array2string(
        a, separator=", ", formatter={"float_kind": number, "int_kind": str, "bool": str}
    )
    return [line.strip() for line in text.splitlines()]


def value(x: Any) -> str:
    """A number, or an array/Tensor as its values when small and as its shape otherwise."""
    if isinstance(x, (int, float, np.number)) and not isinstance(x, bool):
        return number(x)
    a = as_array(x)
    lines = array_lines(a)
    return " ".join(lines) if lines is not None else f"shape {tuple(a.shape)}"


def op_text(node: Any) -> str:
    """The op as drawn: `str(op)`, with a number exponent written in (`**` becomes `**2`)."""
    text = str(node.op)
    exponent = getattr(node, "exponent", None)
    if exponent is not None and text == "**":
        return f"**{number(exponent)}"
    return text


# --- the expression renderer ---------------------------------------------------------------------

_INFIX = {"+": "+", "-": MINUS, "*": "×", "/": "/", "**": "**"}
_TENSOR_INFIX = {"matmul": "@"}
_PREFIX = {"log": "ln", "sqrt": "√"}


def expression(node: Any, args: list[str]) -> str:
    """How `node` was computed, written with `args` for its inputs: 'x1 × x2', 'ln x1',
    'v1 ** 2', 'X @ W1', 'relu(v1)'. With `['{0}', '{1}']` it is a template the page fills."""
    op = str(node.op)
    if is_tensor(node):
        name = getattr(node.op, "name", op)
        if name in _TENSOR_INFIX and len(args) == 2:
            return f"{args[0]} {_TENSOR_INFIX[name]} {args[1]}"
        params = node.op.params() if hasattr(node.op, "params") else ""
        return f"{name}({', '.join([*args, *([params] if params else [])])})"
    if op in _INFIX and len(args) == 2:
        return f"{args[0]} {_INFIX[op]} {args[1]}"
    if op == "**" and len(args) == 1:
        return f"{args[0]} ** {number(node.exponent)}"
    if op == "-" and len(args) == 1:
        return f"{MINUS}{args[0]}"
    if op == "sqrt" and len(args) == 1:
        return f"√{args[0]}"
    if len(args) == 1:
        return f"{_PREFIX.get(op, op)} {args[0]}"
    return f"{op}({', '.join(args)})"


INFIX_ARITHMETIC = {"+", "-", "*", "/"}
"""Scalar ops whose primal line `a op b = c` is arithmetic a reader can check."""


# --- symbols ----------------------------------------------------------------------------------

_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def subscript(k: int) -> str:
    """Baydin's index k as vₖ: 'v₃', 'v₋₁'."""
    return "v" + str(k).translate(_SUB)


def bar(symbol: str) -> str:
    """x1 → x̄1: a bar above the first letter (the adjoint); precomposed where Unicode has one."""
    return unicodedata.normalize("NFC", symbol[:1] + "\u0304" + symbol[1:])


def dot(symbol: str) -> str:
    """x1 → ẋ1: a dot above the first letter (the tangent); precomposed where Unicode has one."""
    return unicodedata.normalize("NFC", symbol[:1] + "\u0307" + symbol[1:])


# --- DOT labels -----------------------------------------------------------------------------------


def record_escape(text: str) -> str:
    """Escape the characters that structure a graphviz record label, so text stays text."""
    out = text.replace("\\", "\\\\")
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out


def record(fields: list[str | list[str]], rankdir: str) -> str:
    """A record label whose fields stack top to bottom whatever the rank direction.

    Graphviz flips record fields with the rank direction (left-to-right graphs stack them
    vertically), so the braces that flip them back are added only for top-to-bottom layouts.
    A field given as a list of lines is drawn as those lines, centred.
    """
    parts = []
    for field in fields:
        lines = [field] if isinstance(field, str) else field
        parts.append("\\n".join(record_escape(line) for line in lines))
    body = " | ".join(parts)
    return body if rankdir in ("LR", "RL") else "{ " + body + " }"


Line = str | tuple[str, str]
"""A label line: plain text, or (text, colour)."""


def edge_text(*lines: Line) -> str:
    """An HTML-like label of centred lines, each in the default colour or its own.

    Colour tells apart what an edge knows from the forward pass (its local derivative, black)
    from what a pass sends along it (partial adjoints, tangents). The lines sit in a borderless
    table cell whose padding keeps them off the edge: dot places an edge label flush against its
    edge, so in top-to-bottom layouts the first letters would touch the line."""
    parts = []
    for line in lines:
        text, color = (line, None) if isinstance(line, str) else line
        escaped = html.escape(text, quote=False)
        parts.append(f'<font color="{color}">{escaped}</font>' if color else escaped)
    cell = "<br/>".join(parts)
    return f'<<table border="0" cellspacing="0" cellpadding="3"><tr><td>{cell}</td></tr></table>>'
