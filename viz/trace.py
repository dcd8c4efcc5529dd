"""Evaluation traces as text, in the layout of Baydin et al. (2018), Tables 2 and 3.

- `forward_table(root, {x1: 1.0})`: the forward primal trace (vᵢ) beside the forward tangent trace
  (v̇ᵢ = Σ ∂vᵢ/∂vₖ·v̇ₖ over the inputs vₖ of vᵢ), read top to bottom.
- `reverse_table(root)`: the forward primal trace beside the reverse adjoint trace, which is read
  bottom to top: each row shows what the reverse pass did when it reached that node, namely its
  adjoint v̄ⱼ (the sum of the partial adjoints it received) and the partial adjoint
  v̄ᵢ→ⱼ = v̄ⱼ·∂vⱼ/∂vᵢ it sent to each input vᵢ.

Each node is called by its one name (`autodiff.names.node_names`: its label, else vₖ, else cₖ),
as in the pictures, the stepper page and the adjoint program. Rows follow the paper's numbering:
the n inputs (leaves that require grad) are v₁₋ₙ … v₀ in creation order, the other nodes v₁, v₂, …;
where a name is not that index, the index stands beside it: `n (v₄)`. Numbers come from
`viz.numbers`; arithmetic is right at the digits shown. The tables are computed from the graph
through the node protocol (`inputs`, `local_derivatives`, `backward(trace=True)`), nothing is
typed in. Scalar graphs only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autodiff import Step, topological_order
from autodiff.names import baydin_indices, node_names, v_name
from viz.checks import check_graph
from viz.labels import INFIX_ARITHMETIC, bar, dot, expression, subscript
from viz.numbers import DIGITS, honest_digits, number, product, total
from viz.numbers import factor as factor
from viz.passes import arrivals
from viz.tangents import forward_tangents

_Y = "y"  # the output, as in the paper


@dataclass(frozen=True)
class Row:
    """One row of a trace table: a node, its primal equation (left), and the tangent or adjoint
    equations beside it (right), with the numbers they compute."""

    node: Any
    name: str
    primal: str
    value: float
    right: tuple[str, ...]
    derivative: float


def names(root: Any, first: int | None = None) -> dict[int, str]:
    """Baydin's index of every node that requires grad, written vₖ ('v₋₁', 'v₃'), by node id.

    `first` overrides the index of the first input, e.g. 1 for the numbering v₁ = x, v₂ = …
    """
    return {i: subscript(k) for i, k in baydin_indices(root, first).items()}


def row_names(root: Any, first: int | None = None) -> dict[int, str]:
    """The name each row of a table starts with: the node's name, and Baydin's index beside it
    where the name is not that index (`x1 (v₋₁)`, `n (v₄)`, but `v3`), by node id.

    Without `first`, the numbering is Baydin's (inputs v₁₋ₙ … v₀) unless the labels follow
    another: a graph labelled v1, v2, … from its input on is numbered from v₁ (`first=1`).
    """
    name = node_names(root)
    if first is None:
        first = labels_numbering(root, name)
    out = {}
    for node_id, k in baydin_indices(root, first).items():
        same = name[node_id] == v_name(k) and k >= 0
        out[node_id] = name[node_id] if same else f"{name[node_id]} ({subscript(k)})"
    return out


def labels_numbering(root: Any, name: dict[int, str]) -> int | None:
    """The first index (None for Baydin's, 1 or 0) whose numbering matches more of the graph's
    names vₖ; Baydin's where none matches more."""

    def matches(first: int | None) -> int:
        index = baydin_indices(root, first)
        return sum(1 for node_id, k in index.items() if name[node_id] == v_name(k))

    return max((None, 1, 0), key=matches)  # max keeps the first of equals: Baydin's


def primal_line(node: Any, row: str, name: dict[int, str], values: Sequence[float]) -> str:
    """`v2 = x1 × x2 = 2 × 5 = 10` (or `x1 (v₋₁) = 2` for an input), with the inputs' `values`."""
    if not node.inputs:
        return f"{row} = {number(node.data)}"
    symbolic = expression(node, [name[i.id] for i in node.inputs])
    p, q = primal_digits(node, values)
    numeric = expression(node, numeric_args(node, values, p))
    return f"{row} = {symbolic} = {numeric} = {number(node.data, q)}"


def numeric_args(node: Any, values: Sequence[float], digits: int) -> list[str]:
    """The inputs' values as arguments of the expression: negative ones in parentheses, except
    the first operand of `a + b`, `a − b`, `a × b`, `a / b` (`−6 + 6.881`, `2 × (−3)`,
    `ln (−1)`)."""
    plain_first = is_arithmetic(node)
    return [
        number(v, digits) if k == 0 and plain_first else factor(v, digits)
        for k, v in enumerate(values)
    ]


def is_arithmetic(node: Any) -> bool:
    """Whether `node` is `a + b`, `a − b`, `a × b` or `a / b` of two inputs."""
    return str(node.op) in INFIX_ARITHMETIC and len(node.inputs) == 2


def primal_digits(node: Any, values: Sequence[float]) -> tuple[int, int]:
    """The digits of a primal line: honest for `a + b`, `a − b`, `a × b`, `a / b`."""
    op = str(node.op)
    if not is_arithmetic(node):
        return DIGITS, DIGITS
    arithmetic = {
        "+": lambda v: v[0] + v[1],
        "-": lambda v: v[0] - v[1],
        "*": lambda v: v[0] * v[1],
        "/": lambda v: v[0] / v[1] if v[1] else float("nan"),
    }[op]
    return honest_digits(values, node.data, arithmetic)


def forward_trace(root: Any, tangents: Mapping[Any, float], first: int | None = None) -> list[Row]:
    """Table 2's rows: primal vᵢ and tangent v̇ᵢ of every node that takes a gradient, then y."""
    name = node_names(root)
    rows_of = row_names(root, first)
    t = forward_tangents(root, tangents)
    rows = []
    for node in _rows(root, rows_of):
        n = name[node.id]
        if not node.inputs:
            text = f"{dot(n)} = {number(t[node.id])}"
        else:
            terms = [
                (i, d)
                for i, d in zip(node.inputs, node.local_derivatives, strict=True)
                if i.requires_grad
            ]
            symbols = " + ".join(f"∂{n}/∂{name[i.id]} {dot(name[i.id])}" for i, _ in terms)
            text = f"{dot(n)} = {symbols} = {tangent_sum(terms, t, t[node.id])}"
        primal = primal_line(node, rows_of[node.id], name, [i.data for i in node.inputs])
        rows.append(Row(node, n, primal, node.data, (text,), t[node.id]))
    output = f"{dot(_Y)} = {dot(name[root.id])} = {number(t[root.id])}"
    rows.append(Row(root, _Y, _output(root, name), root.data, (output,), t[root.id]))
    return rows


def tangent_sum(terms: list[tuple[Any, float]], t: Mapping[int, float], result: float) -> str:
    """`5 × 1 + 2 × 0 = 5`: the products ∂vᵢ/∂vₖ·v̇ₖ and their sum, right at the digits shown."""
    operands = [x for i, d in terms for x in (d, t[i.id])]

    def combine(v: list[float]) -> float:
        out = v[0] * v[1]
        for k in range(2, len(v), 2):
            out = out + v[k] * v[k + 1]
        return out

    if not operands:
        return number(result)
    p, q = honest_digits(operands, result, combine)
    products = [f"{factor(d, p)} × {factor(t[i.id], p)}" for i, d in terms]
    return f"{' + '.join(products)} = {number(result, q)}"


def reverse_trace(
    root: Any, steps: list[Step] | None = None, first: int | None = None
) -> list[Row]:
    """Table 3's rows: primal vᵢ and, from the recorded reverse pass, adjoint v̄ᵢ and the partial
    adjoints vᵢ sent to its inputs. Runs `root.backward(trace=True)` unless given its `steps`."""
    if steps is None:
        steps = root.backward(trace=True)
    name = node_names(root)
    rows_of = row_names(root, first)
    step_of = {step.node.id: step for step in steps}
    received = arrivals(steps)
    rows = []
    for node in _rows(root, rows_of):
        n = name[node.id]
        step = step_of.get(node.id)
        adjoint = step.adjoint if step is not None else 0.0
        lines = []
        if node is root:
            lines.append(f"{bar(n)} = {bar(_Y)} = {number(adjoint)}")
        else:
            # listed by sender in creation order, as the paper lists them
            got = sorted(
                ((a.sender.id, a) for a in received.get(node.id, []) if a.sender is not None),
                key=lambda sent: sent[0],
            )
            symbols = " + ".join(partial_name(n, name[sender]) for sender, _ in got) or "0"
            if len(got) > 1:
                terms, result = total([a.partial for _, a in got], adjoint)
                lines.append(f"{bar(n)} = {symbols} = {terms} = {result}")
            else:
                lines.append(f"{bar(n)} = {symbols} = {number(adjoint)}")
        for edge in step.edges if step is not None else ():
            if edge.partial_adjoint is None:
                continue
            i = name[edge.input.id]
            if edge.local_derivative is None:  # a `_backward` closure: ∂/∂ unknown, sum known
                lines.append(
                    f"{partial_name(i, n)} = {number(edge.partial_adjoint)}"
                    f" (from the _backward closure of {node.op}; ∂{n}/∂{i} unknown)"
                )
                continue
            a, d, p = product(adjoint, edge.local_derivative, edge.partial_adjoint)
            lines.append(f"{partial_name(i, n)} = {bar(n)} ∂{n}/∂{i} = {a} × {d} = {p}")
        primal = primal_line(node, rows_of[node.id], name, [i.data for i in node.inputs])
        rows.append(Row(node, n, primal, node.data, tuple(lines), adjoint))
    seed = step_of[root.id].adjoint if root.id in step_of else 0.0
    rows.append(Row(root, _Y, _output(root, name), root.data, (), seed))
    return rows


def partial_name(receiver: str, sender: str) -> str:
    """x̄1→v2: the partial adjoint x1 receives from v2 (the CMU 10-714 notation)."""
    return f"{bar(receiver)}→{sender}"


def forward_table(
    root: Any, tangents: Mapping[Any, float], first: int | None = None, title: str | None = None
) -> str:
    """Baydin et al. (2018) Table 2 for `root`: forward primal trace | forward tangent trace."""
    check_graph(root, "viz.forward_table", title=title, seeds=tangents)
    rows = forward_trace(root, tangents, first)
    return _table(rows, "Forward primal trace", "Forward tangent trace", title, reverse=False)


def reverse_table(
    root: Any, steps: list[Step] | None = None, first: int | None = None, title: str | None = None
) -> str:
    """Baydin et al. (2018) Table 3 for `root`: forward primal trace | reverse adjoint trace."""
    check_graph(root, "viz.reverse_table", title=title)
    rows = reverse_trace(root, steps, first)
    return _table(rows, "Forward primal trace", "Reverse adjoint trace", title, reverse=True)


# --- layout ----------------------------------------------------------------------------------


def _table(rows: list[Row], left: str, right: str, title: str | None, *, reverse: bool) -> str:
    # The left column only on the first line of each row.
    cells: list[tuple[str, str]] = []
    for row in rows:
        for k, text in enumerate(row.right or ("",)):
            cells.append((row.primal if k == 0 else "", text))
    arrow_left, arrow_right = "↓", "↑" if reverse else "↓"
    head = (f"{left} {arrow_left}", f"{right} {arrow_right}")
    width = max(_width(a) for a, _ in [*cells, head])
    out = [title] if title else []
    rule = "─" * (width + 2) + "┼" + "─" * (max(_width(b) for _, b in [*cells, head]) + 2)
    out.append(_pad(head[0], width) + "  │ " + head[1])
    out.append(rule)
    out += [(_pad(a, width) + "  │ " + b).rstrip() for a, b in cells]
    return "\n".join(out)


def _output(root: Any, name: dict[int, str]) -> str:
    return f"{_Y} = {name[root.id]} = {number(root.data)}"


def _rows(root: Any, rows_of: dict[int, str]) -> list[Any]:
    """The nodes that take a gradient, in creation order (Baydin's numbering)."""
    return sorted((n for n in topological_order((root,)) if n.id in rows_of), key=lambda n: n.id)


def _width(text: str) -> int:
    """Columns on screen: combining marks (the dot of v̇, the bar of v̄) take none."""
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
