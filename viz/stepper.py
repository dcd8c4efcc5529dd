"""`viz.stepper`: the reverse pass of a graph as one self-contained web page, step by step.

The page is one HTML file: graphviz lays the graph out once (inline SVG, `viz.page_svg`), Python
writes the recorded pass into it as JSON (`viz.page_data`), and the page's own JavaScript
(`viz/page/numbers.js` and `viz/page/stepper.js`, inline) rewrites the numbers of that drawing
for each step, fills the evaluation-trace table beside it, lights the lines of the adjoint
program that do the step's work, and, for scalar graphs, recomputes the forward and reverse pass
in the browser when an input changes. Nothing is fetched: the file opens from disk, offline, in
any current browser. This module makes the page; docs/design.md ("viz.stepper") describes it,
including the page's automation interface (`#adjoint-trace`, `data-step`, SVG ids,
`window.adjoint`), and docs/stepper.md how to use it.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from viz.checks import check_graph, check_path
from viz.draw import draw
from viz.page_data import trace_data
from viz.page_svg import page_svg, svg_size_px
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
    Role,
)
from viz.scene import Scene

if TYPE_CHECKING:
    import graphviz

    from autodiff import Step
    from autodiff.program import Program

PAGE_FILES = ("stepper.html", "stepper.css", "numbers.js", "stepper.js")

MAX_FIELDS = 12
"""By default at most this many inputs get a number field: more would push the graph away."""


def stepper(
    root: Any,
    *,
    title: str | None = None,
    max_nodes: int = 500,
    params: Iterable[Any] | None = None,
    inputs: Iterable[Any] | None = None,
    rankdir: str = "TB",
) -> Stepper:
    """Run `root.backward(trace=True)` and make the page that steps through it.

    Works on both engines. Graphs above `max_nodes` nodes are refused with the message of
    `viz.draw`; leaves listed in `params` are coloured as parameters, as in `viz.draw`. For
    scalar graphs, the leaves in `inputs` get a number field that recomputes the page; by default
    the labelled inputs that are not parameters and whose name no other leaf has, at most a
    dozen, in the order of the drawing.
    The graph is laid out top to bottom (`rankdir="TB"`), which leaves room for the trace table
    beside it. Save the page with `.save("out/y.html")`; in Jupyter the returned object shows
    itself.
    """
    check_graph(
        root, "viz.stepper", title=title, max_nodes=max_nodes, params=params, rankdir=rankdir
    )
    params = list(params or ())
    scene = Scene.build(root, max_nodes=max_nodes, params=params)
    fields = input_fields(scene, inputs)
    steps = root.backward(trace=True)
    fallback = draw(
        root,
        title=f"{title or page_title(scene)}, after backward",
        params=params,
        max_nodes=max_nodes,
    )
    return build(
        scene,
        steps,
        title=title,
        rankdir=rankdir,
        fields=fields,
        program=program_for(scene),
        fallback=fallback,
    )


def page_title(scene: Scene) -> str:
    return f"the reverse pass of {scene.name(scene.root)}"


def build(
    scene: Scene,
    steps: list[Step],
    *,
    title: str | None,
    rankdir: str,
    fields: list[int],
    program: Program | str,
    fallback: graphviz.Digraph,
) -> Stepper:
    """The page of a recorded pass: `program` is the adjoint program shown beside the table, or
    the one-line note the pane shows instead."""
    title = title or page_title(scene)
    # a forward sweep may start from any input, the learner's own (those with fields) first
    leaves = [n.id for n in scene.order if not n.inputs and n.requires_grad]
    seeds = [] if scene.tensor else fields + [i for i in leaves if i not in fields]
    trace = trace_data(scene, steps, title, fields=fields, seeds=seeds)
    trace["order_note"] = order_note(scene, steps)
    svg = page_svg(scene, steps, rankdir)
    return Stepper(title=title, trace=trace, svg=svg, program=program, fallback=fallback)


def input_fields(scene: Scene, inputs: Iterable[Any] | None) -> list[int]:
    """The ids of the leaves that get a number field, in the order of the drawing."""
    if scene.tensor:
        return []
    leaves = [n for n in scene.order if not n.inputs and n.requires_grad]
    if inputs is None:
        # a name shared by several leaves (every neuron's bias b) would not say which it sets
        count = Counter(scene.name(n) for n in leaves)
        chosen = [
            n
            for n in leaves
            if getattr(n, "label", "") and scene.role(n) is Role.INPUT and count[scene.name(n)] == 1
        ]
        return [n.id for n in chosen[:MAX_FIELDS]]
    wanted = list(inputs)
    ids = {n.id for n in leaves}
    for node in wanted:
        if getattr(node, "id", None) not in ids:
            known = ", ".join(scene.name(n) for n in leaves) or "none"
            raise ValueError(
                f"viz.stepper: inputs= takes leaves of this graph that require grad; "
                f"{node!r} is not one (the graph's are: {known})"
            )
    chosen_ids = {n.id for n in wanted}
    return [n.id for n in leaves if n.id in chosen_ids]


def order_note(scene: Scene, steps: list[Step]) -> str:
    """One line where the pass visits nodes in another order than Baydin's table numbers them
    (reverse creation order), saying why that does not matter; '' where the orders agree."""
    visited = [step.node for step in steps]
    if [n.id for n in visited] == sorted((n.id for n in visited), reverse=True):
        return ""
    order = ", ".join(scene.name(n) for n in visited[:8]) + (" …" if len(visited) > 8 else "")
    return (
        f"The pass visits {order}, not the table's order: any reverse topological order "
        "gives the same adjoints, since each node comes after every node that uses it."
    )


# --- the adjoint program --------------------------------------------------------------------------


def program_inputs(scene: Scene) -> list[Any]:
    """The program's arguments: the graph's leaves in creation order (scalar graphs: those that
    require grad, other leaves are written in as numbers; tensor graphs: every leaf)."""
    leaves = [n for n in scene.order if not n.inputs]
    if not scene.tensor:
        leaves = [n for n in leaves if n.requires_grad]
    return sorted(leaves, key=lambda n: n.id)


def program_for(scene: Scene) -> Program | str:
    """The adjoint program of the page's graph, or a one-line note saying why there is none.

    The engine's `program` is imported here, when a page is made, as the primitive table is:
    viz reads engines through the node protocol and imports one only where it must.
    """
    try:
        if scene.tensor:
            from vector import program as tensor_program

            return tensor_program(scene.root, program_inputs(scene))
        from scalar import program as scalar_program

        return scalar_program(scene.root, program_inputs(scene))
    except Exception as exc:  # the page must never fail for want of its program
        reason = re.sub(
            r"\s*\([^()]*[/\\][^()]*\)", "", str(exc).splitlines()[0] if str(exc) else ""
        )
        return f"No adjoint program for this graph ({type(exc).__name__}: {reason})."


def legend_html() -> str:
    """The legend of the drawing, as a line of HTML: a swatch per role, then the colours of the
    node being processed and of the nodes not reached yet (those of `viz.roles`)."""
    swatches = [(role.value, f"background: {FILL[role]}") for role in Role]
    swatches += [
        ("being processed", f"background: {CURRENT_FILL}; border: 2px solid {CURRENT_LINE}"),
        ("not reached yet", f"background: {PENDING_FILL}; color: {PENDING_TEXT}"),
    ]
    items = "".join(f'<span style="{style}">{html.escape(text)}</span>' for text, style in swatches)
    return f'<div class="legend" aria-label="legend">{items}</div>'


def program_html(program: Program | str) -> str:
    """`<pre id="adjoint-program">`: one element per line, with `data-step` = the step of the
    reverse pass whose work the line is (0: the header and the forward sweep)."""
    if isinstance(program, str):
        note = html.escape(program)
        return (
            f'<pre id="adjoint-program" class="unavailable"><span class="note">{note}</span></pre>'
        )
    lines = program.source.splitlines()
    spans = [
        f'<span class="line" data-step="{step}">{html.escape(line) or " "}</span>'
        for line, step in zip(lines, program.line_steps, strict=True)
    ]
    return '<pre id="adjoint-program">' + "\n".join(spans) + "</pre>"


class Stepper:
    """A stepper page: `html` is the whole file, `save(path)` writes it; in Jupyter it displays
    itself in an iframe, with an SVG picture and a line of text for viewers without JavaScript."""

    def __init__(
        self,
        *,
        title: str,
        trace: dict[str, Any],
        svg: str,
        program: Program | str,
        fallback: graphviz.Digraph,
    ) -> None:
        self.title = title
        self.trace = trace
        self.svg = svg
        self.program = program
        self._fallback = fallback
        self._fallback_svg: str | None = None
        self.html = page_html(title, trace, svg, program_html(program))

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

    def frame_height(self) -> int:
        """The notebook frame's height in pixels: room for the controls and the drawing at the
        width of a notebook cell (the page fits the drawing to whatever room it gets)."""
        width, height = svg_size_px(self.svg)
        cell = 560.0  # the drawing's share of a ~950-px notebook cell, beside the table
        drawing = height * min(1.0, cell / width)
        return int(min(860, max(480, drawing + 200)))

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'title="{html.escape(self.title, quote=True)}" '
            f'style="width: 100%; height: {self.frame_height()}px; border: 1px solid #ddd" '
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


def page_html(title: str, trace: dict[str, Any], svg: str, program: str) -> str:
    """The whole page: template, CSS, SVG, program pane, the trace JSON, the primitive table and
    the scripts."""
    script = page_file("numbers.js") + "\n" + page_file("stepper.js")
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
        "<!-- adjoint:legend -->": legend_html(),
        "<!-- adjoint:svg -->": svg,
        "<!-- adjoint:program -->": program,
        "<!-- adjoint:trace -->": script_json(trace),
        "/* adjoint:script */": script,
    }
    page = page_file("stepper.html")
    for marker in parts:
        if marker not in page:
            raise RuntimeError(f"viz.stepper: the page template lacks {marker}")
    # One pass, so that text put in (a label, say) is never taken for a marker.
    return re.sub("|".join(map(re.escape, parts)), lambda m: parts[m.group(0)], page)
