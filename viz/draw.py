"""`viz.draw`: a computation graph of either engine as a `graphviz.Digraph`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from viz.checks import check_graph
from viz.labels import TEMPLATES, Line, array_lines, as_array, edge_text, fill, op_text, value
from viz.numbers import number, product
from viz.roles import ADJOINT_TEXT, TANGENT_TEXT, add_legend
from viz.scene import Attrs, Fields, Scene, argument_prefix, emit, new_graph, role_style
from viz.tangents import forward_tangents

if TYPE_CHECKING:
    import graphviz


def draw(
    root: Any,
    *,
    title: str | None = None,
    max_nodes: int = 500,
    rankdir: str = "LR",
    tangents: Mapping[Any, float] | None = None,
    params: Iterable[Any] | None = None,
) -> graphviz.Digraph:
    """The graph that computed `root`, as a `graphviz.Digraph` (render it with `viz.render`).

    Scalar graphs: one record per value (name, data, grad) and one small node per op, with one
    edge per argument (so `a + a` has two). Each edge carries the local derivative ∂vⱼ/∂vᵢ, and,
    once `root.backward()` has run, the partial adjoint v̄ⱼ·∂vⱼ/∂vᵢ it sends back to its input.
    With `tangents`, a forward-mode direction such as `{x1: 1.0}`, every record shows its tangent
    v̇ instead, and every edge the share ∂vⱼ/∂vᵢ·v̇ᵢ it adds to v̇ⱼ.

    Tensor graphs: one record per tensor (name and op, shape, dtype, and the values when at most
    six), edges without numbers.

    Colours mark roles (see `viz.roles`): leaves in `params`, or of a class named `Parameter`, are
    parameters. Graphs above `max_nodes` nodes are refused with a message saying how to draw less.
    """
    check_graph(
        root,
        "viz.draw",
        title=title,
        seeds=tangents,
        max_nodes=max_nodes,
        params=params,
        rankdir=rankdir,
    )
    scene = Scene.build(root, max_nodes=max_nodes, params=params)
    graph = new_graph(title, rankdir)
    if scene.tensor:
        if tangents is not None:
            raise TypeError(
                "viz.draw: tangents= needs a scalar graph; tensor local derivatives are not numbers"
            )
        emit(
            scene,
            graph,
            fields=lambda node: tensor_fields(scene, node, _tensor_grad(node)),
            node_style=lambda node: role_style(scene, node),
            edge=lambda node, k, inp: (_duplicate_label(node, k, inp), {}),
            rankdir=rankdir,
        )
    elif tangents is not None:
        _draw_forward(scene, graph, forward_tangents(root, tangents), rankdir)
    else:
        _draw_reverse(scene, graph, rankdir)
    add_legend(graph)
    return graph


def backward_has_run(root: Any) -> bool:
    """Whether `root` has been seeded by a backward pass (its grad is set and non-zero)."""
    grad = root.grad
    if grad is None:
        return False
    return bool(as_array(grad).any()) if not isinstance(grad, (int, float)) else grad != 0


def scalar_fields(scene: Scene, node: Any, grad_text: str | None) -> Fields:
    """Name, data and (for nodes that take a gradient) `grad_text`, as record fields."""
    fields: Fields = [scene.name(node), fill(TEMPLATES["data"], value=number(node.data))]
    if node.requires_grad and grad_text is not None:
        fields.append(grad_text)
    return fields


def tensor_fields(scene: Scene, node: Any, grad_text: str | None = None) -> Fields:
    """Name and op, shape and dtype ('(4, 5) float32'), the values when the tensor is small,
    then `grad_text`."""
    title = scene.name(node)
    if node.inputs:
        title += f" = {op_text(node)}"
    dtype = str(getattr(node.dtype, "name", node.dtype))
    fields: Fields = [title, f"{tuple(node.shape)} {dtype}"]
    values = array_lines(as_array(node))
    if values is not None:
        fields.append(values)
    if grad_text is not None:
        fields.append(grad_text)
    return fields


def local_line(scene: Scene, node: Any, k: int, inp: Any, local: Any) -> str:
    """'∂v2/∂x1 = 5': the local derivative of `node` with respect to its argument k."""
    names = {"prefix": argument_prefix(node, k, inp), "node": scene.name(node)}
    names["input"] = scene.name(inp)
    if local is None:  # a micrograd-style `_backward` closure: only the closure knows it
        return fill(TEMPLATES["local_unknown"], **names)
    return fill(TEMPLATES["local"], **names, value=number(local))


def adjoint_line(adjoint: Any, local: Any, partial_adjoint: Any, color: str = ADJOINT_TEXT) -> Line:
    """The partial adjoint sent back along an edge, with the product that made it."""
    if local is None:  # tensors: a vector-Jacobian product, not a product of two numbers
        return fill(TEMPLATES["sends_vjp"], partial=value(partial_adjoint)), color
    return sends_text(adjoint, local, partial_adjoint), color


def sends_text(adjoint: Any, local: Any, partial_adjoint: Any) -> str:
    """'sends 1 × 5 = 5': the partial adjoint an edge carries back, right at the digits shown."""
    a, d, p = product(adjoint, local, partial_adjoint)
    return fill(TEMPLATES["sends"], adjoint=a, local=d, partial=p)


def adds_text(local: Any, tangent: Any, share: Any) -> str:
    """'adds 5 × 1 = 5': the share of a tangent an edge carries forward."""
    d, t, s = product(local, tangent, share)
    return fill(TEMPLATES["adds"], local=d, tangent=t, share=s)


def _draw_reverse(scene: Scene, graph: graphviz.Digraph, rankdir: str) -> None:
    ran = backward_has_run(scene.root)
    partial_adjoints = {}
    if ran:
        for node in scene.order:
            if node.inputs and node.requires_grad:
                partial_adjoints[node.id] = node.vjp(node.grad)

    def edge(node: Any, k: int, inp: Any) -> tuple[str, Attrs]:
        local = node.local_derivatives[k]
        lines: list[Line] = [local_line(scene, node, k, inp, local)]
        if node.id in partial_adjoints and inp.requires_grad:
            lines.append(adjoint_line(node.grad, local, partial_adjoints[node.id][k]))
        return edge_text(*lines), {}

    emit(
        scene,
        graph,
        fields=lambda node: scalar_fields(
            scene, node, fill(TEMPLATES["grad"], value=number(node.grad))
        ),
        node_style=lambda node: role_style(scene, node),
        edge=edge,
        rankdir=rankdir,
    )


def _draw_forward(
    scene: Scene, graph: graphviz.Digraph, tangents: dict[int, float], rankdir: str
) -> None:
    def fields(node: Any) -> Fields:
        return [
            scene.name(node),
            fill(TEMPLATES["data"], value=number(node.data)),
            fill(TEMPLATES["tangent"], value=number(tangents[node.id])),
        ]

    def edge(node: Any, k: int, inp: Any) -> tuple[str, Attrs]:
        local = node.local_derivatives[k]
        share = local * tangents[inp.id]
        lines: list[Line] = [
            local_line(scene, node, k, inp, local),
            (adds_text(local, tangents[inp.id], share), TANGENT_TEXT),
        ]
        return edge_text(*lines), {}

    emit(
        scene,
        graph,
        fields=fields,
        node_style=lambda node: role_style(scene, node),
        edge=edge,
        rankdir=rankdir,
    )


def _tensor_grad(node: Any) -> str | None:
    grad = node.grad if node.requires_grad else None
    return None if grad is None else fill(TEMPLATES["grad"], value=value(grad))


def _duplicate_label(node: Any, k: int, inp: Any) -> str | None:
    prefix = argument_prefix(node, k, inp)
    return edge_text(prefix.rstrip(": ")) if prefix else None
