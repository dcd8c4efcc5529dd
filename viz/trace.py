"""Evaluation traces as text, in the layout of Baydin et al. (2018), Tables 2 and 3.

- `forward_table(root, {x1: 1.0})`: the forward primal trace (vᵢ) beside the forward tangent trace
  (v̇ᵢ = Σ ∂vᵢ/∂vₖ·v̇ₖ over the inputs vₖ of vᵢ), read top to bottom.
- `reverse_table(root)`: the forward primal trace beside the reverse adjoint trace, which is read
  bottom to top: each row shows what the reverse pass did when it reached that node, namely its
  adjoint v̄ⱼ (the sum of the partial adjoints it received) and the partial adjoint
  v̄ᵢ→ⱼ = v̄ⱼ·∂vⱼ/∂vᵢ it sent to each input vᵢ.

Names follow the paper: the n inputs (leaves that require grad) are v₁₋ₙ … v₀ in creation order,
the other nodes v₁, v₂, … in creation order; numbers coerced into the graph appear as numbers. The
tables are computed from the graph through the node protocol (`inputs`, `local_derivatives()`,
`backward(trace=True)`), nothing is typed in. Scalar graphs only, for now.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from autodiff import Step, topological_order
from viz.checks import check_graph
from viz.tangents import forward_tangents

_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
_INFIX = {"+": "+", "-": "−", "*": "×", "/": "/", "**": "**"}
_PREFIX = {"log": "ln"}
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
    """Baydin-style names by node id: inputs v₁₋ₙ … v₀, then v₁, v₂, … (creation order).

    `first` overrides the index of the first input, e.g. 1 for the numbering v₁ = x, v₂ = …
    Constants (nodes that require no grad) get no name: they are written as numbers.
    """
    nodes = sorted((n for n in topological_order((root,)) if n.requires_grad), key=lambda n: n.id)
    inputs = [n for n in nodes if not n.inputs]
    ops = [n for n in nodes if n.inputs]
    start = 1 - len(inputs) if first is None else first
    out = {n.id: _v(start + k) for k, n in enumerate(inputs)}
    out.update({n.id: _v(start + len(inputs) + k) for k, n in enumerate(ops)})
    return out


def forward_trace(root: Any, tangents: Mapping[Any, float], first: int | None = None) -> list[Row]:
    """Table 2's rows: primal vᵢ and tangent v̇ᵢ of every named node, then the output y."""
    name = names(root, first)
    dot = forward_tangents(root, tangents)
    rows = []
    for node in _named(root, name):
        n = name[node.id]
        if not node.inputs:
            label = label_text(node)
            given = f"{_dot(n)} = {_dot(label)}" if label else _dot(n)
            text = f"{given} = {_num(dot[node.id])}"
        else:
            terms = [
                (f"∂{n}/∂{name[i.id]} {_dot(name[i.id])}", f"{_factor(d)} × {_factor(dot[i.id])}")
                for i, d in zip(node.inputs, node.local_derivatives(), strict=True)
                if i.requires_grad
            ]
            symbols = " + ".join(s for s, _ in terms)
            numbers = " + ".join(v for _, v in terms)
            text = f"{_dot(n)} = {symbols} = {numbers} = {_num(dot[node.id])}"
        rows.append(Row(node, n, _primal(node, name), node.data, (text,), dot[node.id]))
    output = f"{_dot(_Y)} = {_dot(name[root.id])} = {_num(dot[root.id])}"
    rows.append(Row(root, _Y, _output(root, name), root.data, (output,), dot[root.id]))
    return rows


def reverse_trace(
    root: Any, steps: list[Step] | None = None, first: int | None = None
) -> list[Row]:
    """Table 3's rows: primal vᵢ and, from the recorded reverse pass, adjoint v̄ᵢ and the partial
    adjoints vᵢ sent to its inputs. Runs `root.backward(trace=True)` unless given its `steps`."""
    if steps is None:
        steps = root.backward(trace=True)
    name = names(root, first)
    step_of = {step.node.id: step for step in steps}
    # What each node received, listed by sender in creation order (v̄₋₁→₁ before v̄₋₁→₂).
    received: dict[int, list[tuple[int, str, Any]]] = {}
    for step in steps:
        for edge in step.edges:
            if edge.partial_adjoint is not None:
                sent = (
                    step.node.id,
                    _partial_adjoint_name(name, edge.input, step.node),
                    edge.partial_adjoint,
                )
                received.setdefault(edge.input.id, []).append(sent)
    for got in received.values():
        got.sort(key=lambda sent: sent[0])
    rows = []
    for node in _named(root, name):
        n = name[node.id]
        step = step_of.get(node.id)
        adjoint = step.adjoint if step is not None else 0.0
        lines = []
        if node is root:
            lines.append(f"{_bar(n)} = {_bar(_Y)} = {_num(adjoint)}")
        else:
            got = received.get(node.id, [])
            symbols = " + ".join(s for _, s, _ in got) or "0"
            numbers = " + ".join(_factor(p) for _, _, p in got)
            lhs = (
                f"{_bar(label_text(node))} = {_bar(n)}"
                if label_text(node) and not node.inputs
                else _bar(n)
            )
            sums = f" = {numbers}" if len(got) > 1 else ""
            lines.append(f"{lhs} = {symbols}{sums} = {_num(adjoint)}")
        for edge in step.edges if step is not None else ():
            if edge.partial_adjoint is None:
                continue
            i = name[edge.input.id]
            lines.append(
                f"{_partial_adjoint_name(name, edge.input, node)} = {_bar(n)} ∂{n}/∂{i} = "
                f"{_factor(adjoint)} × {_factor(edge.local_derivative)} = "
                f"{_num(edge.partial_adjoint)}"
            )
        rows.append(Row(node, n, _primal(node, name), node.data, tuple(lines), adjoint))
    seed = step_of[root.id].adjoint if root.id in step_of else 0.0
    rows.append(Row(root, _Y, _output(root, name), root.data, (), seed))
    return rows


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


# --- formatting ----------------------------------------------------------------------------------


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
    return f"{_Y} = {name[root.id]} = {_num(root.data)}"


def _named(root: Any, name: dict[int, str]) -> list[Any]:
    return sorted((n for n in topological_order((root,)) if n.id in name), key=lambda n: n.id)


def _primal(node: Any, name: dict[int, str]) -> str:
    n = name[node.id]
    if not node.inputs:
        label = label_text(node)
        return f"{n} = {label} = {_num(node.data)}" if label else f"{n} = {_num(node.data)}"
    symbolic = primal_expression(node, [name.get(i.id) or _num(i.data) for i in node.inputs])
    numeric = primal_expression(node, [_factor(i.data) for i in node.inputs])
    return f"{n} = {symbolic} = {numeric} = {_num(node.data)}"


def primal_expression(node: Any, args: list[str]) -> str:
    """The right side of a node's primal equation, written with `args` for its inputs:
    'v₋₁ × v₀', 'ln v₋₁', 'v₁ ** 2'. With `['{0}', '{1}']` it is a template to fill in."""
    op = str(node.op)
    if op in _INFIX and len(args) == 2:
        return f"{args[0]} {_INFIX[op]} {args[1]}"
    if op == "**" and len(args) == 1:
        return f"{args[0]} ** {_num(node.exponent)}"
    if op == "-" and len(args) == 1:
        return f"−{args[0]}"
    if op == "sqrt":
        return f"√{args[0]}"
    if len(args) == 1:
        return f"{_PREFIX.get(op, op)} {args[0]}"
    return f"{op}({', '.join(args)})"


def _partial_adjoint_name(name: dict[int, str], inp: Any, consumer: Any) -> str:
    """v̄ᵢ→ⱼ: the partial adjoint input i receives from node j (the CMU 10-714 notation)."""
    i, j = name[inp.id], name[consumer.id]
    return f"{_bar(i)}→{j[1:]}"


def label_text(node: Any) -> str:
    """A node's label with its trailing digits as subscripts ('x1' -> 'x₁'), or ''."""
    label = str(getattr(node, "label", "") or "")
    head = label.rstrip("0123456789")
    return head + label[len(head) :].translate(_SUB) if head else label


def _v(k: int) -> str:
    return "v" + str(k).translate(_SUB)


def _dot(symbol: str) -> str:
    """v₁ → v̇₁: a dot above the letter (the tangent); precomposed where Unicode has one (ẏ)."""
    return unicodedata.normalize("NFC", symbol[:1] + "\u0307" + symbol[1:])


def _bar(symbol: str) -> str:
    """v₁ → v̄₁: a bar above the letter (the adjoint); precomposed where Unicode has one (ȳ)."""
    return unicodedata.normalize("NFC", symbol[:1] + "\u0304" + symbol[1:])


def _num(x: Any) -> str:
    """Three decimals as in the paper, without trailing zeros: 0.693, 10, −0.959."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace("-", "−")


def _factor(x: Any) -> str:
    text = _num(x)
    return f"({text})" if text.startswith("−") else text


def _width(text: str) -> int:
    """Columns on screen: combining marks (the dot of v̇, the bar of v̄) take none."""
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
