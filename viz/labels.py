"""Text for the pictures: short numbers, small arrays, and DOT-safe record and edge labels."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

SMALL = 6
"""Arrays with at most this many elements are drawn with their values; larger ones by shape."""


def number(x: Any) -> str:
    """A number in at most four significant digits: 1.7163378 -> '1.716', 5.0 -> '5'."""
    x = float(x)
    if x == 0.0:
        x = 0.0  # -0.0 would print as "-0", which reads like a sign error to a student
    return f"{x:.4g}"


def is_tensor(node: Any) -> bool:
    """Vector-engine nodes hold arrays; scalar ones hold one float in `data`."""
    return hasattr(node, "realize_cached_data")


def as_array(x: Any) -> np.ndarray:
    """The values of a Tensor, numpy array or number, as a numpy array."""
    if hasattr(x, "realize_cached_data"):
        return np.asarray(x.realize_cached_data())
    return np.asarray(x)


def array_lines(a: np.ndarray) -> list[str] | None:
    """The values of a small array, one line per row; None when it has more than SMALL elements."""
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


def factor(x: Any) -> str:
    """A number as a factor of a product: negative ones in parentheses, `1 × (-1)`."""
    text = number(x)
    return f"({text})" if text.startswith("-") else text


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
