"""The reverse pass, written once against the node protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autodiff.protocol import Edge, Node, Step
from autodiff.topo import topological_order


def backward(
    root: Node, seed: Any, *, trace: bool = False, order: Sequence[Node] | None = None
) -> list[Step] | None:
    """Set `node.grad = d(root)/d(node)` for every node of `root`'s graph that requires grad.

    Walk the topological order backwards. A node's adjoint is the sum of the partial adjoints its
    consumers sent it; by the time the walk reaches a node, every consumer has been processed, so
    the sum is complete. The node then turns its adjoint into one partial adjoint per input
    (`vjp`), and the inputs collect them. `seed` is d(root)/d(root).

    With `trace`, return one `Step` per node in the order processed; otherwise return None and
    build nothing extra. An engine that already has `topological_order((root,),
    requiring_grad=True)` may pass it as `order`.
    """
    if order is None:
        order = topological_order((root,), requiring_grad=True)
    # The running sums of partial adjoints, keyed by the nodes' stable ids. A node's entry is
    # removed when the node is processed, so this holds only the frontier of the pass.
    adjoints: dict[int, Any] = {root.id: seed}
    steps: list[Step] | None = [] if trace else None
    for node in reversed(order):
        adjoint = adjoints.pop(node.id, None)
        if adjoint is None:  # every path from the root to here is cut by a vjp that sent None
            continue
        node.grad = adjoint
        inputs = node.inputs
        if not inputs:  # an input of the graph: nothing to send on
            if steps is not None:
                steps.append(Step(node, adjoint, ()))
            continue
        partial_adjoints = node.vjp(adjoint)
        for x, partial in zip(inputs, partial_adjoints):
            if partial is None or not x.requires_grad:
                continue
            before = adjoints.get(x.id)
            adjoints[x.id] = partial if before is None else before + partial
        if steps is not None:
            steps.append(Step(node, adjoint, _edges(node, partial_adjoints)))
    return steps


def _edges(node: Node, partial_adjoints: tuple[Any, ...]) -> tuple[Edge, ...]:
    local = node.local_derivatives
    return tuple(
        Edge(x, None if local is None else local[k], partial if x.requires_grad else None)
        for k, (x, partial) in enumerate(zip(node.inputs, partial_adjoints, strict=True))
    )
