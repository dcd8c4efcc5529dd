"""The stepper page's drawing: the graph laid out once by graphviz, as inline SVG.

Graphviz sizes each label by its text, so the layout is made with the widest text each label
will show in any state of the page (every step, every forward sweep), filled from the same
templates the page fills (`viz.labels.TEMPLATES`); the page centres the text it writes in that
room. Every record, op and argument edge carries the element id of the page's automation
interface, and every line the page rewrites carries a class saying what it holds.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from viz.draw import adds_text, local_line, scalar_fields, sends_text, tensor_fields
from viz.frames import grad_sum_text
from viz.labels import TEMPLATES, edge_text, fill
from viz.numbers import number
from viz.page_data import summary
from viz.passes import arrivals, running_sum
from viz.render import image_bytes
from viz.scene import Attrs, Fields, Scene, argument_prefix, emit, new_graph, role_style
from viz.tangents import closure_node, forward_tangents

if TYPE_CHECKING:
    import graphviz

    from autodiff import Step


def edge_id(inp: Any, node: Any, k: int) -> str:
    """`edge-<a>-<b>-<k>`: the edge carrying input `a`'s value into node `b` at argument k."""
    return f"edge-{inp.id}-{node.id}-{k}"


class Layout:
    """The text each record and edge of the page's drawing is laid out with: for every state the
    page can show, the widest, so that graphviz leaves room for all of them. Each line comes with
    the class that tells the page what it holds (`f-grad`, `f-flow`, ... or `f-static`)."""

    def __init__(self, scene: Scene, steps: list[Step], rankdir: str) -> None:
        self.scene = scene
        self.rankdir = rankdir
        self.grad: dict[int, str] = {}
        self.edges: dict[tuple[int, int], list[tuple[str, str]]] = {}
        received = arrivals(steps)
        adjoint = {step.node.id: step.adjoint for step in steps}
        sent = {(step.node.id, k): e for step in steps for k, e in enumerate(step.edges)}
        seeds = [n for n in scene.order if not n.inputs and n.requires_grad]
        if scene.tensor or closure_node(scene.root) is not None:
            seeds = []  # no forward sweep: tensor or closure local derivatives are not numbers
        tangents = [forward_tangents(scene.root, {s: 1.0}) for s in seeds]
        for node in scene.order:
            if node.requires_grad:
                parts = [a.partial for a in received.get(node.id, [])]
                self.grad[node.id] = _widest(self._grad_texts(node, parts, adjoint, tangents))
            for k, inp in enumerate(node.inputs):
                self.edges[node.id, k] = self._edge_lines(node, k, inp, sent, adjoint, tangents)

    def _grad_texts(
        self, node: Any, got: list[Any], adjoint: dict[int, Any], tangents: list[dict[int, float]]
    ) -> list[str]:
        pending = TEMPLATES["grad_pending"]
        if self.scene.tensor:
            final = summary(adjoint.get(node.id, node))["text"]
            return [pending, fill(TEMPLATES["grad"], value=final)]
        so_far = [running_sum(got[: k + 1]) for k in range(len(got))]
        return [
            pending,
            *(fill(TEMPLATES["grad_so_far"], value=number(s)) for s in so_far),
            grad_sum_text(adjoint[node.id], got, False) if node.id in adjoint else pending,
            *(fill(TEMPLATES["tangent"], value=number(t[node.id])) for t in tangents),
        ]

    def _edge_lines(
        self,
        node: Any,
        k: int,
        inp: Any,
        sent: dict[tuple[int, int], Any],
        adjoint: dict[int, Any],
        tangents: list[dict[int, float]],
    ) -> list[tuple[str, str]]:
        edge = sent.get((node.id, k))
        partial = None if edge is None else edge.partial_adjoint
        if self.scene.tensor:
            lines = []
            prefix = argument_prefix(node, k, inp)
            if prefix:
                lines.append(("f-static", prefix.rstrip(": ")))
            if partial is not None:
                text = fill(TEMPLATES["sends_vjp"], partial=summary(partial)["text"])
                lines.append(("f-flow", text))
            return lines
        local = node.local_derivatives[k]
        if local is None:  # a `_backward` closure: no local derivative, no forward sweep
            text = (
                "sends —"
                if partial is None
                else fill(TEMPLATES["sends_vjp"], partial=number(partial))
            )
            return [("f-local", local_line(self.scene, node, k, inp, local)), ("f-flow", text)]
        flows = [adds_text(local, t[inp.id], local * t[inp.id]) for t in tangents]
        if partial is not None:
            flows.append(sends_text(adjoint[node.id], local, partial))
        return [
            ("f-local", local_line(self.scene, node, k, inp, local)),
            ("f-flow", _widest(flows) if flows else "sends —"),
        ]

    def fields(self, node: Any) -> tuple[Fields, list[str]]:
        """The record fields of `node`, and the class of each of their lines in order."""
        grad = self.grad.get(node.id)
        if self.scene.tensor:
            fields = tensor_fields(self.scene, node, grad)
        else:
            fields = scalar_fields(self.scene, node, grad)
        classes: list[str] = []
        for k, field in enumerate(fields):
            count = 1 if isinstance(field, str) else len(field)
            if k == 0:
                kind = "f-name"
            elif k == 1 and not self.scene.tensor:
                kind = "f-data"
            elif k == len(fields) - 1 and grad is not None:
                kind = "f-grad"
            else:
                kind = "f-static"
            classes += [kind] * count
        return fields, classes


def _widest(texts: Iterable[str]) -> str:
    return max(texts, key=len)


def page_graph(layout: Layout) -> graphviz.Digraph:
    """The Digraph the page shows: every record, op and argument edge has its element id."""
    scene = layout.scene
    graph = new_graph(None, layout.rankdir)

    def node_style(node: Any) -> Attrs:
        return {**role_style(scene, node), "id": f"node-{node.id}", "class": "value"}

    def edge(node: Any, k: int, inp: Any) -> tuple[str | None, Attrs]:
        lines = [text for _, text in layout.edges[node.id, k]]
        return (edge_text(*lines) if lines else None), {"id": edge_id(inp, node, k)}

    emit(
        scene,
        graph,
        fields=lambda node: layout.fields(node)[0],
        node_style=node_style,
        edge=edge,
        op_style=lambda node: {"id": f"op-{node.id}", "class": "op"},
        rankdir=layout.rankdir,
    )
    return graph  # the page shows the legend as HTML above the drawing, which keeps it narrow


def text_classes(layout: Layout) -> dict[str, list[str]]:
    """For each element id of the drawing, the class of each of its <text> lines in order."""
    scene = layout.scene
    out: dict[str, list[str]] = {}
    for node in scene.order:
        out[f"node-{node.id}"] = layout.fields(node)[1]
        if node.inputs and not scene.tensor:
            out[f"op-{node.id}"] = ["f-op"]
        for k, inp in enumerate(node.inputs):
            out[edge_id(inp, node, k)] = [kind for kind, _ in layout.edges[node.id, k]]
    return out


_GROUP = re.compile(r'<g id="([^"]*)" class="([^"]*)"')
_TITLE = re.compile(r"<title>(.*)</title>")


def page_svg(scene: Scene, steps: list[Step], rankdir: str = "TB") -> str:
    """The laid-out drawing as SVG markup to inline in HTML: no XML prolog, no tooltips naming
    DOT nodes, every managed <text> marked with its class, and on each op -> result edge of a
    scalar graph the id `result-<id>`."""
    layout = Layout(scene, steps, rankdir)
    raw = image_bytes(page_graph(layout), "svg").decode("utf-8")
    classes = text_classes(layout)
    node_of_dot = {scene.dot_name(node): node.id for node in scene.order}
    lines: list[str] = []
    group: str | None = None
    group_line = 0
    texts: list[str] = []
    for line in raw[raw.index("<svg") :].splitlines():
        title = _TITLE.match(line)
        if title:
            # Graphviz gives the op -> result edges (which carry no id of ours) its own ids;
            # their title names the two DOT nodes: "n3op->n3".
            head, _, tail = html.unescape(title.group(1)).partition("->")
            if group is not None and group.startswith("edge") and head == tail + "op":
                group = f"result-{node_of_dot[tail]}"
                lines[group_line] = f'<g id="{group}" class="edge result">'
            continue
        if line.startswith("<!--"):
            continue
        match = _GROUP.match(line)
        if match:
            group = html.unescape(match.group(1))
            group_line = len(lines)
            texts = []
            line = _GROUP.sub(f'<g id="{html.escape(group)}" class="{match.group(2)}"', line, 1)
        elif line.startswith("<text") and group in classes:
            kinds = classes[group]
            if len(texts) >= len(kinds):
                raise RuntimeError(f"viz.stepper: more text lines than expected in {group}")
            texts.append(kinds[len(texts)])
            line = line.replace("<text ", f'<text class="{texts[-1]}" ', 1)
        elif line == "</g>" and group is not None:
            if group in classes and len(texts) != len(classes[group]):
                raise RuntimeError(
                    f"viz.stepper: graphviz drew {len(texts)} text lines in {group}, "
                    f"expected {len(classes[group])}"
                )
            group = None
        lines.append(line)
    return "\n".join(lines)


def svg_size_px(svg: str) -> tuple[float, float]:
    """The drawing's natural width and height in CSS pixels (graphviz writes points)."""
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if not match:
        return 600.0, 400.0
    return float(match.group(1)) * 4 / 3, float(match.group(2)) * 4 / 3
