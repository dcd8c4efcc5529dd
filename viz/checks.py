"""What viz's entry points check before drawing anything: the arguments' types and the labels.

Each entry point (`draw`, `render`, `backward_frames`, `node_step`, `stepper`, the trace tables)
calls `check_graph(root, "viz.draw", title=title)` first, so that a wrong argument is one
`TypeError` saying what was expected, and a label graphviz cannot draw is one `ValueError` naming
it, instead of graphviz's own errors from deep inside a layout.

Labels and titles may hold any printable text — quotes, `<`, `&`, braces, backslashes, other
scripts — which each output escapes for itself (records, HTML-like labels, `dot_text` for plain
strings, JSON on the page). Refused, naming the label: control characters other than tab and
newline (graphviz's XML parser rejects them, and in a terminal they can move the cursor or change
colours), and labels longer than `MAX_LABEL` characters (graphviz gives up on them, and no picture
could show them).
"""

from __future__ import annotations

import numbers
import os
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from autodiff import topological_order

__all__ = ["MAX_LABEL", "check_graph", "check_path", "check_root", "check_text", "dot_text"]

MAX_LABEL = 1000
"""The longest label or title drawn, in characters."""

_ALLOWED_CONTROLS = "\t\n"

RANKDIRS = ("TB", "LR", "BT", "RL")
"""graphviz's layout directions: top to bottom, left to right, and their reverses."""

NOT_GIVEN: Any = object()
"""The default of `check_graph(path=...)`: no path to check (None is a wrong path)."""


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a repr that fails (or an int beyond Python's digit limit) names no value
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:50] + "…" + text[-9:]


def check_text(text: Any, where: str, what: str) -> None:
    """Refuse a label or title that is no string, holds a control character, or is too long."""
    if not isinstance(text, str):
        raise TypeError(
            f"{where}: {what} must be a string, got {_short(text)} ({type(text).__name__})"
        )
    for ch in text:
        if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS:
            raise ValueError(
                f"{where}: {what} {_short(text)} holds the control character {ch!r} "
                f"(U+{ord(ch):04X}), which cannot be drawn; use printable text"
            )
    if len(text) > MAX_LABEL:
        raise ValueError(
            f"{where}: {what} {_short(text)} has {len(text)} characters; "
            f"at most {MAX_LABEL} can be drawn"
        )


def check_root(root: Any, where: str) -> None:
    """Refuse anything that is not a node of a graph (the node protocol: `id`, `inputs`, `op`)."""
    if not all(hasattr(root, name) for name in ("id", "inputs", "op")):
        raise TypeError(
            f"{where}: expected the root node of a graph (a scalar.Value or a vector.Tensor), "
            f"got {_short(root)} ({type(root).__name__})"
        )


def check_graph(
    root: Any,
    where: str,
    *,
    title: Any = None,
    seeds: Any = None,
    path: Any = NOT_GIVEN,
    max_nodes: Any = NOT_GIVEN,
    params: Any = None,
    rankdir: Any = NOT_GIVEN,
) -> None:
    """Check, before any drawing, that `root` is a node and every label in its graph drawable,
    and each option given is what the entry point expects: `title` a drawable string, `seeds` a
    dict of nodes to numbers, `path` a path, `max_nodes` a whole number >= 1, `params` nodes,
    `rankdir` one of graphviz's four directions."""
    check_root(root, where)
    if path is not NOT_GIVEN:
        check_path(path, where)
    if title is not None:
        check_text(title, where, "the title")
    if seeds is not None:
        _check_seeds(seeds, where)
    if max_nodes is not NOT_GIVEN:
        if not isinstance(max_nodes, int) or isinstance(max_nodes, bool):
            raise TypeError(f"{where}: max_nodes must be a whole number, got {_short(max_nodes)}")
        if max_nodes < 1:
            raise ValueError(f"{where}: max_nodes must be at least 1, got {max_nodes}")
    if params is not None and (not isinstance(params, Iterable) or isinstance(params, str)):
        raise TypeError(
            f"{where}: params must be a list of parameter nodes, got {_short(params)} "
            f"({type(params).__name__})"
        )
    if rankdir is not NOT_GIVEN and rankdir not in RANKDIRS:
        raise ValueError(f"{where}: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    for node in topological_order((root,)):
        label = getattr(node, "label", None)
        if label:  # drawn as str(label), as a name
            check_text(str(label), where, "the label")


def _check_seeds(seeds: Any, where: str) -> None:
    expected = "a dict of input nodes to numbers ({x: 1.0})"
    if not isinstance(seeds, Mapping):
        raise TypeError(
            f"{where}: the tangents must be {expected}, got {_short(seeds)} "
            f"({type(seeds).__name__})"
        )
    for node, tangent in seeds.items():
        if not hasattr(node, "id"):
            raise TypeError(f"{where}: the tangents must be {expected}; a key is {_short(node)}")
        if not isinstance(tangent, numbers.Real):
            raise TypeError(
                f"{where}: the tangents must be {expected}; the tangent of {_short(node)} is "
                f"{_short(tangent)}"
            )


def check_path(path: Any, where: str) -> None:
    """Refuse a path that is neither a string nor an `os.PathLike`, or is empty."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            f"{where}: expected a file path (str or pathlib.Path), "
            f"got {_short(path)} ({type(path).__name__})"
        )
    if os.fspath(path) == "":
        raise ValueError(f"{where}: the path is empty")


def dot_text(text: str) -> str:
    """`text` as a plain graphviz string that shows it as it is: backslashes doubled, since DOT
    reads `\\N`, `\\l` and a final `\\` (which would swallow the closing quote) as escapes."""
    return text.replace("\\", "\\\\")
