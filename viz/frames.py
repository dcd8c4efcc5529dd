"""The reverse pass as pictures: one frame per step, and one node's step on its own."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from viz.checks import check_graph, check_root
from viz.draw import adjoint_line, local_line, scalar_fields, tensor_fields
from viz.labels import TEMPLATES, Line, edge_text, expression, fill, is_tensor, record, value
from viz.numbers import number, total
from viz.passes import received_by, running_sum, step_numbers
from viz.render import image_bytes, require_dot, write_atomically
from viz.roles import (
    ADJOINT_TEXT,
    CURRENT_FILL,
    CURRENT_LINE,
    FILL,
    PENDING_FILL,
    PENDING_LINE,
    PENDING_TEXT,
    add_legend,
)
from viz.scene import Attrs, Fields, Scene, argument_prefix, emit, new_graph, role_style

if TYPE_CHECKING:
    import graphviz

    from autodiff import Step

CURRENT: Attrs = {"fillcolor": CURRENT_FILL, "color": CURRENT_LINE, "penwidth": "3"}
CURRENT_EDGE: Attrs = {"color": CURRENT_LINE, "fontcolor": CURRENT_LINE, "penwidth": "2.5"}
PENDING: Attrs = {"fillcolor": PENDING_FILL, "color": PENDING_LINE, "fontcolor": PENDING_TEXT}
PENDING_EDGE: Attrs = {"color": PENDING_LINE, "fontcolor": PENDING_TEXT}
FRAME_LEGEND = [
    ("being processed", {"fill": CURRENT_FILL, "line": CURRENT_LINE, "border": "3"}),
    ("not reached yet", {"fill": PENDING_FILL, "line": PENDING_LINE, "color": PENDING_TEXT}),
]


def backward_frame_graphs(
    root: Any,
    *,
    max_nodes: int = 500,
    rankdir: str = "LR",
    params: Iterable[Any] | None = None,
) -> list[graphviz.Digraph]:
    """Run `root.backward(trace=True)` and draw one frame per step of the reverse pass.

    Frame k highlights the node the pass processes at step k. Every edge shows its local
    derivative (known since the forward pass); the partial adjoints appear on their edges once
    sent: those of steps before k, and those the current node sends now (in red). Nodes the pass
    has not reached are grey and show the partial adjoints they have collected so far.
    """
    check_graph(
        root, "viz.backward_frame_graphs", max_nodes=max_nodes, params=params, rankdir=rankdir
    )
    scene = Scene.build(root, max_nodes=max_nodes, params=params)
    steps = root.backward(trace=True)
    return [_frame(scene, steps, k, rankdir) for k in range(len(steps))]


def backward_frames(root: Any, folder: str | os.PathLike[str], **frame_kwargs: Any) -> list[Path]:
    """Write `backward_frame_graphs(root)` as `folder/step-001.png`, ... and return the paths.

    Frames left in `folder` by an earlier, longer pass (`step-NNN.png` beyond the new last one) are
    removed, so the folder always holds exactly this pass.
    """
    check_graph(root, "viz.backward_frames", path=folder)
    require_dot()  # before running the pass: fail fast and leave the grads alone
    graphs = backward_frame_graphs(root, **frame_kwargs)
    folder = Path(folder)
    width = max(3, len(str(len(graphs))))
    paths = []
    for k, graph in enumerate(graphs, start=1):
        path = folder / f"step-{k:0{width}d}.png"
        write_atomically(path, image_bytes(graph, "png"))
        paths.append(path)
    keep = {p.name for p in paths}
    for stale in folder.glob("step-*.png"):
        if re.fullmatch(r"step-\d{3,}\.png", stale.name) and stale.name not in keep:
            stale.unlink()
    return paths


def _frame(scene: Scene, steps: list[Step], k: int, rankdir: str) -> graphviz.Digraph:
    step_of = {node_id: s - 1 for node_id, s in step_numbers(steps).items()}
    current = steps[k]
    got = received_by(steps, k + 1)  # what each node has received by the end of step k
    sent = {(a.sender.id, a.argument) for parts in got.values() for a in parts if a.sender}

    def state(node: Any) -> str:
        s = step_of.get(node.id)
        if s is None:
            return "constant" if not node.requires_grad else "pending"
        return "done" if s < k else "current" if s == k else "pending"

    def grad_text(node: Any) -> str | None:
        parts = [a.partial for a in got.get(node.id, [])]
        if state(node) == "current":
            return grad_sum_text(steps[k].adjoint, parts, scene.tensor)
        if state(node) == "done":
            return fill(TEMPLATES["grad"], value=value(steps[step_of[node.id]].adjoint))
        if parts:
            return fill(TEMPLATES["grad_so_far"], value=value(running_sum(parts)))
        return TEMPLATES["grad_pending"]

    def fields(node: Any) -> Fields:
        if scene.tensor:
            return tensor_fields(scene, node, grad_text(node) if node.requires_grad else None)
        return scalar_fields(scene, node, grad_text(node))

    def node_style(node: Any) -> Attrs:
        return {"current": CURRENT, "pending": PENDING}.get(state(node), role_style(scene, node))

    def op_style(node: Any) -> Attrs:
        return {"current": CURRENT, "pending": PENDING}.get(state(node), {})

    def edge(node: Any, m: int, inp: Any) -> tuple[str | None, Attrs]:
        local = None if scene.tensor else node.local_derivatives[m]
        lines: list[Line] = [] if scene.tensor else [local_line(scene, node, m, inp, local)]
        if scene.tensor and argument_prefix(node, m, inp):
            lines.append(argument_prefix(node, m, inp).rstrip(": "))
        if (node.id, m) in sent:
            step = steps[step_of[node.id]]
            color = CURRENT_LINE if state(node) == "current" else ADJOINT_TEXT
            lines.append(adjoint_line(step.adjoint, local, step.edges[m].partial_adjoint, color))
        attrs = {"current": CURRENT_EDGE, "pending": PENDING_EDGE}.get(state(node), {})
        return (edge_text(*lines) if lines else None), attrs

    graph = new_graph(_frame_title(scene, current, k, len(steps)), rankdir)
    emit(
        scene,
        graph,
        fields=fields,
        node_style=node_style,
        edge=edge,
        op_style=op_style,
        rankdir=rankdir,
    )
    add_legend(graph, FRAME_LEGEND)
    return graph


def grad_sum_text(adjoint: Any, parts: list[Any], tensor: bool) -> str:
    """'grad 5 + 0.5 = 5.5': the adjoint of the node being processed as the sum of the partial
    adjoints it received, when it received several (the lesson of a node used twice); the page
    writes the same."""
    if tensor or not 2 <= len(parts) <= 4:
        return fill(TEMPLATES["grad"], value=value(adjoint))
    terms, result = total(parts, adjoint)
    return fill(TEMPLATES["grad_sum"], terms=terms, value=result)


def _frame_title(scene: Scene, step: Step, k: int, n: int) -> str:
    name = scene.name(step.node)
    head = f"reverse pass, step {k + 1} of {n}: {name} has adjoint {value(step.adjoint)}"
    if not step.edges:
        return head + f"; {name} is a leaf, so that is its gradient"
    sends = [
        f"{value(e.partial_adjoint)} to {scene.name(e.input)}"
        for e in step.edges
        if e.partial_adjoint is not None
    ]
    return head + ("; it sends " + ", ".join(sends) if sends else "; its inputs are constants")


def node_step(node: Any, *, root: Any | None = None, max_nodes: int = 500) -> graphviz.Digraph:
    """One backward step at `node` (after a backward pass) on its own, drawn right to left.

    The adjoint v̄ⱼ arrives from the node's consumers; the node multiplies it by each local
    derivative ∂vⱼ/∂vᵢ and sends the products v̄ⱼ·∂vⱼ/∂vᵢ to its inputs. Names come from the graph
    of `root` when given (so they match `viz.draw(root)`), else from the node's own sub-graph.
    """
    check_graph(node if root is None else root, "viz.node_step", max_nodes=max_nodes)
    check_root(node, "viz.node_step")
    scene = Scene.build(root if root is not None else node, max_nodes=max_nodes)
    if node.id not in scene.index:
        raise ValueError("viz.node_step: the node is not part of the graph of root=")
    adjoint, partial_adjoints = _step_of(node)
    name = scene.name(node)
    formula = f"{name} = {scene_expression(scene, node)}" if node.inputs else name
    graph = new_graph(f"one backward step at {formula}", "RL")

    received = _received(scene, node) if root is not None and not scene.tensor else []
    if node is scene.root:
        incoming = [f"the seed: v̄ = ∂{name}/∂{name} = {value(adjoint)}"]
    elif len(received) > 1:
        # A node used more than once: show the sum itself, the point of the picture.
        terms, result = total([p for _, p in received], adjoint)
        senders = ", ".join(dict.fromkeys(scene.name(c) for c, _ in received))
        incoming = [
            f"v̄ = {terms} = {result} arrives at {name}:",
            "the sum of the partial adjoints",
            f"sent by its consumers {senders}",
        ]
    else:
        incoming = [
            f"v̄ = {value(adjoint)} arrives at {name}:",
            "the sum of the partial",
            "adjoints its consumers sent",
        ]
    graph.node("incoming", edge_text(*incoming), shape="note", fillcolor="#ffffff")

    if scene.tensor:
        fields = tensor_fields(scene, node, f"grad {value(adjoint)}")
    else:
        fields = [
            formula,
            fill(TEMPLATES["data"], value=number(node.data)),
            f"adjoint {number(adjoint)}",
        ]
    graph.node("current", record(fields, "RL"), **CURRENT)
    graph.edge("incoming", "current", **CURRENT_EDGE)

    if not node.inputs:
        note = f"{name} is a leaf: its adjoint is its gradient; nothing to send"
        graph.node("leaf", note, shape="plaintext", style="")
        graph.edge("current", "leaf", style="invis")
        return graph

    locals_ = node.local_derivatives or (None,) * len(node.inputs)
    drawn: set[int] = set()
    sends = zip(node.inputs, locals_, partial_adjoints, strict=True)
    for m, (inp, local, partial_adjoint) in enumerate(sends):
        target = f"input{scene.index[inp.id]}"
        if inp.id not in drawn:
            drawn.add(inp.id)
            role = scene.role(inp)
            if scene.tensor:
                inp_fields = tensor_fields(scene, inp)
            else:
                inp_fields = [scene.name(inp), f"data {number(inp.data)}"]
            graph.node(target, record(inp_fields, "RL"), fillcolor=FILL[role])
        lines: list[Line] = [] if scene.tensor else [local_line(scene, node, m, inp, local)]
        if scene.tensor and argument_prefix(node, m, inp):
            lines.append(argument_prefix(node, m, inp).rstrip(": "))
        if inp.requires_grad and partial_adjoint is not None:
            lines.append(adjoint_line(adjoint, local, partial_adjoint, CURRENT_LINE))
        else:
            lines.append("a constant: sends nothing")
        graph.edge("current", target, label=edge_text(*lines), **CURRENT_EDGE)
    return graph


def _received(scene: Scene, node: Any) -> list[tuple[Any, Any]]:
    """(consumer, partial adjoint) for every edge along which `node` received one, in the graph's
    topological order, from the grads a backward pass left (scalar graphs)."""
    out = []
    for consumer in scene.order:
        if not consumer.requires_grad or consumer.grad is None:
            continue
        for k, inp in enumerate(consumer.inputs):
            if inp is node:
                out.append((consumer, consumer.vjp(consumer.grad)[k]))
    return out


def _step_of(node: Any) -> tuple[Any, tuple[Any, ...]]:
    """The adjoint of `node` and the partial adjoints it sends, after a backward pass: the node
    itself says, through the protocol's `vjp` (for a tensor, the engine computes them again)."""
    if node.grad is None:
        raise ValueError(
            "viz.node_step: this node has no grad yet; run backward() on its graph first"
        )
    if not node.inputs:
        return node.grad, ()
    if is_tensor(node):  # a tensor's vjp runs only inside a pass: the engine recomputes it
        from vector.autograd import partial_adjoints

        return node.grad, partial_adjoints(node)
    return node.grad, node.vjp(node.grad)


def scene_expression(scene: Scene, node: Any) -> str:
    """How `node` was computed, in the names of its inputs: 'x1 × x2', 'ln x1', 'X @ W1'."""
    return expression(node, [scene.name(inp) for inp in node.inputs])
