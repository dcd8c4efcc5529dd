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
        tangents[node.id] = float(
            sum(d * tangents[inp.id] for d, inp in zip(local, node.inputs, strict=True))
        )
    return tangents
