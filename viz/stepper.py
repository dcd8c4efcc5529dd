"""`viz.stepper`: the reverse pass of a graph as one self-contained web page, step by step.

The page is one HTML file: graphviz lays the graph out once (inline SVG), and the page's own
JavaScript (`viz/page/stepper.js`, inline) rewrites the numbers of that drawing for each step of
the recorded pass, fills the evaluation-trace table beside it, and, for scalar graphs, recomputes
the forward and reverse pass in the browser when an input changes. Nothing is fetched: the file
opens from disk, offline, in any current browser. docs/design.md ("viz.stepper") describes it,
including the page's automation interface (`#adjoint-trace`, `data-step`, SVG ids,
`window.adjoint`).

Python records the pass and lays out the graph; the page does the rest. Graphviz sizes each label
by its text, so the layout is made with the widest text each label will show; the page centres
the text it writes in that room.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from viz.checks import check_graph, check_path
from viz.draw import draw, local_line, scalar_fields, tensor_fields
from viz.frames import FRAME_LEGEND, expression
from viz.labels import SMALL, as_array, edge_text, factor, number, op_text
from viz.render import image_bytes, write_atomically
from viz.roles import (
    ADJOINT_TEXT,
    CURRENT_FILL,
    CURRENT_LINE,
    FILL,
    PENDING_FILL,
    PENDING_LINE,
    PENDING_TEXT,
    TANGENT_TEXT,
    add_legend,
)
from viz.scene import Attrs, Fields, Scene, argument_prefix, emit, new_graph, role_style
from viz.tangents import forward_tangents
from viz.trace import label_text, names, primal_expression

if TYPE_CHECKING:
    import graphviz

    from autodiff import Step

PAGE_FILES = ("stepper.html", "stepper.css", "stepper.js")


def stepper(
    root: Any,
    *,
    title: str | None = None,
    max_nodes: int = 500,
    params: Iterable[Any] | None = None,
    rankdir: str = "TB",
) -> Stepper:
    """Run `root.backward(trace=True)` and make the page that steps through it.

    Works on both engines. Graphs above `max_nodes` nodes are refused with the message of
    `viz.draw`; leaves listed in `params` are coloured as parameters, as in `viz.draw`. The graph
    is laid out top to bottom (`rankdir="TB"`), which leaves room for the trace table beside it.
    Save the page with `.save("out/y.html")`; in Jupyter the returned object shows itself.
    """
    check_graph(
        root, "viz.stepper", title=title, max_nodes=max_nodes, params=params, rankdir=rankdir
    )
    scene = Scene.build(root, max_nodes=max_nodes, params=params)
    steps = root.backward(trace=True)
    if title is None:
        title = f"the reverse pass of {scene.name(root)}"
    trace = trace_data(scene, steps, title)
    svg = page_svg(scene, steps, rankdir)
    fallback = draw(root, title=f"{title}, after backward", params=params)
    return Stepper(title=title, trace=trace, svg=svg, fallback=fallback)


class Stepper:
    """A stepper page: `html` is the whole file, `save(path)` writes it; in Jupyter it displays
    itself in an iframe, with an SVG picture and a line of text for viewers without JavaScript."""

    def __init__(
        self, *, title: str, trace: dict[str, Any], svg: str, fallback: graphviz.Digraph
    ) -> None:
        self.title = title
        self.trace = trace
        self.svg = svg
        self._fallback = fallback
        self._fallback_svg: str | None = None
        self.html = page_html(title, trace, svg)

    @property
    def steps(self) -> int:
        """N: the number of steps of the reverse pass (the page shows steps 0..N)."""
        return len(self.trace["steps"])

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (through a temporary file and a rename) and return it."""
        check_path(path, "Stepper.save")
        path = Path(path)
        write_atomically(path, self.html.encode("utf-8"))
        return path

    def _repr_html_(self) -> str:
        height = min(900, max(520, int(_svg_height_px(self.svg)) + 320))
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'title="{html.escape(self.title, quote=True)}" '
            f'style="width: 100%; height: {height}px; border: 1px solid #ddd" '
            'sandbox="allow-scripts"></iframe>'
        )

    def _repr_svg_(self) -> str:
        if self._fallback_svg is None:
            self._fallback_svg = image_bytes(self._fallback, "svg").decode("utf-8")
        return self._fallback_svg

    def __repr__(self) -> str:
        kind = self.trace["kind"]
        return (
            f"<viz.Stepper {self.title!r}: {kind} graph, {len(self.trace['nodes'])} nodes, "
            f"{self.steps} reverse steps; .save('page.html') to open it in a browser>"
        )


# --- the recorded pass, as the page's JSON (#adjoint-trace) ---------------------------------------


def json_number(x: Any) -> float | str:
    """A float for JSON; inf and nan (JSON has neither) as the strings JavaScript's Number reads."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def summary(x: Any) -> dict[str, Any]:
    """A tensor (or array) as the page shows it: shape, norm, and the values when small."""
    a = as_array(x)
    values = a.astype(np.float64)
    norm = float(np.sqrt(np.sum(values * values)))
    small = [json_number(v) for v in values.ravel()] if a.size <= SMALL else None
    return {"shape": list(a.shape), "norm": json_number(norm), "values": small}


def summary_text(x: Any) -> str:
    """The text the page writes for a tensor: its values when small, else shape and norm."""
    s = summary(x)
    if s["values"] is not None:
        return " ".join(number(v) for v in s["values"])
    return f"{tuple(s['shape'])} norm {number(s['norm'])}"


def trace_data(scene: Scene, steps: list[Step], title: str) -> dict[str, Any]:
    """The recorded pass as docs/design.md's `#adjoint-trace` JSON, with what the page also needs:
    roles, the primitive of each scalar node, Baydin names for the trace table."""
    if scene.tensor:
        return _tensor_trace(scene, steps, title)
    from scalar.primitives import primitive_of  # only scalar pages read the table

    table_names = table_numbering(scene)
    nodes = []
    for node in scene.order:
        entry: dict[str, Any] = {
            "id": node.id,
            "name": scene.name(node),
            "op": str(node.op),
            "value": json_number(node.data),
            "grad": json_number(node.grad) if node.requires_grad else None,
            "inputs": [inp.id for inp in node.inputs],
            "requires_grad": bool(node.requires_grad),
            "role": scene.role(node).value,
            "expression": expression(scene, node) if node.inputs else "",
            "local": [json_number(d) for d in node.local_derivatives()],
            "primitive": None,
            "exponent": None,
            "trace": None,
        }
        if node.inputs:
            entry["primitive"] = primitive_of(str(node.op), len(node.inputs)).name
            exponent = getattr(node, "exponent", None)
            entry["exponent"] = None if exponent is None else json_number(exponent)
        if node.id in table_names:
            template = primal_expression(node, [f"{{{k}}}" for k in range(len(node.inputs))])
            entry["trace"] = {
                "name": table_names[node.id],
                "label": label_text(node),
                "template": template,
            }
        nodes.append(entry)
    return {
        "kind": "scalar",
        "title": title,
        "root": scene.root.id,
        "nodes": nodes,
        "steps": [
            {
                "node": step.node.id,
                "adjoint": json_number(step.adjoint),
                "edges": [
                    {
                        "input": edge.input.id,
                        "local": json_number(edge.local_derivative),
                        "partial": None
                        if edge.partial_adjoint is None
                        else json_number(edge.partial_adjoint),
                    }
                    for edge in step.edges
                ],
            }
            for step in steps
        ],
    }


def table_numbering(scene: Scene) -> dict[int, str]:
    """The trace table's names (`viz.trace.names`), numbered to agree with the graph's labels
    where they can: Baydin's example numbers its inputs v₋₁, v₀ (the default), a graph labelled
    v1, v2, ... from its input starts at v₁. The numbering that matches more labels wins."""

    def matches(numbering: dict[int, str]) -> int:
        labels = {node.id: label_text(node) for node in scene.order}
        return sum(1 for node_id, name in numbering.items() if labels.get(node_id) == name)

    options = [names(scene.root), names(scene.root, 1), names(scene.root, 0)]
    return max(options, key=matches)  # max keeps the first of equals: the default numbering


def _tensor_trace(scene: Scene, steps: list[Step], title: str) -> dict[str, Any]:
    nodes = []
    for node in scene.order:
        nodes.append(
            {
                "id": node.id,
                "name": scene.name(node),
                "op": op_text(node) if node.inputs else "",
                "value": summary(node),
                "grad": summary(node.grad)
                if node.requires_grad and node.grad is not None
                else None,
                "inputs": [inp.id for inp in node.inputs],
                "requires_grad": bool(node.requires_grad),
                "role": scene.role(node).value,
                "expression": expression(scene, node) if node.inputs else "",
                "dtype": str(getattr(node.dtype, "name", node.dtype)),
            }
        )
    # The page cannot add arrays, so Python gives, per step, the running sum of the partial
    # adjoints of every node that received one at that step (the root's seed at step 1).
    running: dict[int, Any] = {}
    out_steps = []
    for k, step in enumerate(steps):
        received: dict[str, Any] = {}
        if k == 0:
            running[step.node.id] = as_array(step.adjoint)
            received[str(step.node.id)] = summary(step.adjoint)
        for edge in step.edges:
            if edge.partial_adjoint is None:
                continue
            part = as_array(edge.partial_adjoint)
            key = edge.input.id
            running[key] = part if key not in running else running[key] + part
            received[str(key)] = summary(running[key])
        out_steps.append(
            {
                "node": step.node.id,
                "adjoint": summary(step.adjoint),
                "edges": [
                    {
                        "input": edge.input.id,
                        "local": None,
                        "partial": None
                        if edge.partial_adjoint is None
                        else summary(edge.partial_adjoint),
                    }
                    for edge in step.edges
                ],
                "received": received,
            }
        )
    return {
        "kind": "tensor",
        "title": title,
        "root": scene.root.id,
        "nodes": nodes,
        "steps": out_steps,
    }


# --- the drawing ----------------------------------------------------------------------------------


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
        parts: dict[int, list[Any]] = {}
        for step in steps:
            for edge in step.edges:
                if edge.partial_adjoint is not None:
                    parts.setdefault(edge.input.id, []).append(edge.partial_adjoint)
        adjoint = {step.node.id: step.adjoint for step in steps}
        sent = {(step.node.id, k): e for step in steps for k, e in enumerate(step.edges)}
        seeds = [n for n in scene.order if not n.inputs and n.requires_grad]
        tangents = [] if scene.tensor else [forward_tangents(scene.root, {s: 1.0}) for s in seeds]
        for node in scene.order:
            if node.requires_grad:
                self.grad[node.id] = _widest(
                    self._grad_texts(node, parts.get(node.id, []), adjoint, tangents)
                )
            for k, inp in enumerate(node.inputs):
                self.edges[node.id, k] = self._edge_lines(node, k, inp, sent, adjoint, tangents)

    def _grad_texts(
        self, node: Any, got: list[Any], adjoint: dict[int, Any], tangents: list[dict[int, float]]
    ) -> list[str]:
        if self.scene.tensor:
            return ["grad —", f"grad {summary_text(adjoint.get(node.id, node))}"]
        so_far = np.cumsum(got).tolist() if got else []
        return [
            "grad —",
            *(f"grad — (so far {number(s)})" for s in so_far),
            f"grad {' + '.join(number(p) for p in got)} = {number(adjoint[node.id])}",
            *(f"tangent {number(t[node.id])}" for t in tangents),
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
                lines.append(("f-flow", f"sends {summary_text(partial)}"))
            return lines
        local = node.local_derivatives()[k]
        flows = [
            f"adds {number(local)} × {factor(t[inp.id])} = {number(local * t[inp.id])}"
            for t in tangents
        ]
        if partial is not None:
            flows.append(f"sends {number(adjoint[node.id])} × {factor(local)} = {number(partial)}")
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
    add_legend(graph, FRAME_LEGEND)
    return graph


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


def _svg_height_px(svg: str) -> float:
    match = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', svg)
    return float(match.group(1)) * 4 / 3 if match else 400.0


# --- the page -------------------------------------------------------------------------------------


def page_file(name: str) -> str:
    """One of the page's source files (`viz/page/`), shipped as package data."""
    return (resources.files("viz") / "page" / name).read_text(encoding="utf-8")


def css_colours() -> str:
    """The colours of `viz.roles` as CSS variables, so pictures and page share one palette."""
    colours = {
        "current-fill": CURRENT_FILL,
        "current-line": CURRENT_LINE,
        "pending-fill": PENDING_FILL,
        "pending-line": PENDING_LINE,
        "pending-text": PENDING_TEXT,
        "adjoint-text": ADJOINT_TEXT,
        "tangent-text": TANGENT_TEXT,
        **{f"role-{role.value}": fill for role, fill in FILL.items()},
    }
    return ":root {\n" + "".join(f"  --{k}: {v};\n" for k, v in colours.items()) + "}\n"


def script_json(data: Any) -> str:
    """JSON to place inside a <script> element: no `<` that could close it early."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c")


def page_html(title: str, trace: dict[str, Any], svg: str) -> str:
    """The whole page: template, CSS, SVG, the trace JSON, the primitive table and the script."""
    script = page_file("stepper.js")
    if trace["kind"] == "scalar":
        from viz.primitives_js import primitive_table_js

        script = primitive_table_js() + "\n" + script
    else:
        script = "const PRIMITIVES = {};\n" + script
    if "</script" in script.lower():
        raise RuntimeError("viz.stepper: the page script must not contain '</script'")
    parts = {
        "<!-- adjoint:title -->": html.escape(title),
        "/* adjoint:css */": css_colours() + page_file("stepper.css"),
        "<!-- adjoint:svg -->": svg,
        "<!-- adjoint:trace -->": script_json(trace),
        "/* adjoint:script */": script,
    }
    page = page_file("stepper.html")
    for marker in parts:
        if marker not in page:
            raise RuntimeError(f"viz.stepper: the page template lacks {marker}")
    # One pass, so that text put in (a label, say) is never taken for a marker.
    return re.sub("|".join(map(re.escape, parts)), lambda m: parts[m.group(0)], page)
