"""What each node is for (input, parameter, constant, intermediate, output), its colour, the legend.

The rule, in order:

1. the node being drawn as the root is the **output**;
2. a node that does not require grad is a **constant** (a number coerced into the graph, a
   tensor made with `requires_grad=False`, or anything computed only from those);
3. a leaf is a **parameter** when it is listed in `params=` or is an instance of a class named
   `Parameter` (as `vector.nn.Parameter` is), and an **input** otherwise;
4. everything else is an **intermediate**.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from enum import Enum
from typing import Any


class Role(Enum):
    INPUT = "input"
    PARAMETER = "parameter"
    CONSTANT = "constant"
    INTERMEDIATE = "intermediate"
    OUTPUT = "output"


FILL = {
    Role.INPUT: "#bfdcff",
    Role.PARAMETER: "#ffd59e",
    Role.CONSTANT: "#e4e4e4",
    Role.INTERMEDIATE: "#ffffff",
    Role.OUTPUT: "#ffb3b3",
}
"""Fill colours: light enough that black text stays readable on every one of them."""

ADJOINT_TEXT = "#1a5fb4"
TANGENT_TEXT = "#1e7b3c"
CURRENT_FILL = "#ffe066"
CURRENT_LINE = "#d62728"
PENDING_FILL = "#f7f7f7"
PENDING_LINE = "#b0b0b0"
PENDING_TEXT = "#9a9a9a"


def _is_parameter_class(node: Any) -> bool:
    return any(cls.__name__ == "Parameter" for cls in type(node).__mro__)


def classify(order: list[Any], root: Any, params: Iterable[Any] | None = None) -> dict[int, Role]:
    """The role of every node in `order`, keyed by stable id (see the module docstring)."""
    param_ids = {p.id for p in params or ()}
    roles: dict[int, Role] = {}
    for node in order:
        if node is root:
            role = Role.OUTPUT
        elif not node.requires_grad:
            role = Role.CONSTANT
        elif not node.inputs:
            is_param = node.id in param_ids or _is_parameter_class(node)
            role = Role.PARAMETER if is_param else Role.INPUT
        else:
            role = Role.INTERMEDIATE
        roles[node.id] = role
    return roles


def add_legend(graph: Any, extra: Iterable[tuple[str, dict[str, str]]] = ()) -> None:
    """A boxed legend subgraph: one coloured swatch per role, then any `extra` entries.

    `extra` holds (text, style) pairs with `fill`, `line` and text `color` and an optional
    `border` width, for states that only frames use (the node being processed, nodes not reached).
    The legend is one HTML-table node, so graphviz cannot scatter its swatches across the ranks.
    """
    cells = [_swatch(role.value, fill=FILL[role]) for role in Role]
    cells += [_swatch(text, **style) for text, style in extra]
    table = (
        '<<table border="0" cellborder="1" cellspacing="4" cellpadding="4"><tr>'
        + "".join(cells)
        + "</tr></table>>"
    )
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", fontsize="10", style="rounded", color="#aaaaaa")
        legend.node("legend", table, shape="plain", style="solid")


def _swatch(
    text: str, *, fill: str, line: str = "#000000", color: str = "#000000", border: str = "1"
) -> str:
    return (
        f'<td bgcolor="{fill}" color="{line}" border="{border}">'
        f'<font color="{color}" point-size="10">{html.escape(text)}</font></td>'
    )
