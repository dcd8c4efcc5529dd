"""The reverse pass, written once against the node protocol."""

from __future__ import annotations

from typing import Any

from autodiff.protocol import Edge, Step
from autodiff.topo import topological_order


def backward(
    root: Any, seed: Any, *, trace: bool = False, order: list[Any] | None = None
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
    # Only the running sums live here, keyed by stable id: a node's entry is popped when it is
    # processed, so this never holds more than the current frontier of the pass.
    received: dict[int, Any] = {root.id: seed}
    take, peek = received.pop, received.get  # bound once: this loop runs once per node
    steps: list[Step] | None = [] if trace else None
    for node in reversed(order):
        adjoint = take(node.id, None)
        if adjoint is None:  # every path from the root to here is cut by a vjp that sent None
            continue
        node.grad = adjoint
        inputs = node.inputs
        if not inputs:
            if steps is not None:
                steps.append(Step(node, adjoint, ()))
            continue
        partials = node.vjp(adjoint)
        # The protocol promises one partial per input. No `strict=` keyword: parsing it costs
        # a quarter of this loop on a scalar graph.
        for inp, partial in zip(inputs, partials):  # noqa: B905
            if partial is None or not inp.requires_grad:
                continue
            key = inp.id
            before = peek(key)
            received[key] = partial if before is None else before + partial
        if steps is not None:
            steps.append(Step(node, adjoint, _edges(node, inputs, partials)))
    return steps


def _edges(node: Any, inputs: tuple[Any, ...], partials: tuple[Any, ...]) -> tuple[Edge, ...]:
    local = node.local_derivatives()
    return tuple(
        Edge(
            inp,
            None if local is None else local[k],
            partial if inp.requires_grad else None,
        )
        for k, (inp, partial) in enumerate(zip(inputs, partials, strict=True))
    )
