"""Forward-mode tangents over a recorded scalar graph, for the forward-mode picture."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autodiff import topological_order


def seed_ids(seeds: Mapping[Any, float]) -> dict[int, float]:
    """Seeds keyed by node or by stable id, as a dict keyed by id."""
    return {(k if isinstance(k, int) else k.id): float(v) for k, v in seeds.items()}


def forward_tangents(root: Any, seeds: Mapping[Any, float]) -> dict[int, float]:
    """The tangent v̇ of every node of `root`'s graph for the input direction `seeds`, by node id.

    `seeds` maps nodes (or their ids) to their tangents, usually inputs: `{x1: 1.0}` asks for
    d(·)/dx1 everywhere. Walking the topological order, each node gets
    v̇ⱼ = Σᵢ ∂vⱼ/∂vᵢ · v̇ᵢ over its input edges (so an input used twice counts twice), unless it is
    seeded itself; unseeded leaves have tangent 0. This is what forward mode computes alongside the
    primals, here read back from the graph the scalar engine already built.
    """
    given = seed_ids(seeds)
    tangents: dict[int, float] = {}
    for node in topological_order((root,)):
        if node.id in given:
            tangents[node.id] = given[node.id]
            continue
        local = node.local_derivatives if node.inputs else ()
        if local is None:
            raise TypeError(
                "forward_tangents needs numeric local derivatives (scalar graphs); "
                f"{type(node).__name__} nodes have none"
            )
        if None in local:
            raise TypeError(closure_refusal("forward mode", node))
        tangents[node.id] = float(
            sum(d * tangents[inp.id] for d, inp in zip(local, node.inputs, strict=True))
        )
    return tangents


def closure_refusal(what: str, node: Any) -> str:
    """The one line that refuses a graph holding a node made by a micrograd-style `_backward`
    closure (its local derivatives are None: only the closure knows them)."""
    return (
        f"{what} needs the local derivatives of every node, and op {str(node.op)!r} is a "
        "micrograd-style `_backward` closure, which hides them; add the op with "
        "scalar.primitive(...) instead"
    )


def closure_node(root: Any) -> Any | None:
    """The first node of `root`'s scalar graph whose local derivatives are unknown, or None."""
    for node in topological_order((root,)):
        local = node.local_derivatives if node.inputs else ()
        if local is not None and None in local:
            return node
    return None
