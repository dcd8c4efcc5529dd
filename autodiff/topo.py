"""Topological order by iterative post-order depth-first search."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def topological_order(roots: Iterable[Any], *, requiring_grad: bool = False) -> list[Any]:
    """Every node reachable from `roots`, each after all of its inputs.

    Post-order DFS over `inputs`, left to right, visiting each node once (by its stable id). An
    explicit stack replaces recursion, so a chain of a million ops needs no recursion limit.
    With `requiring_grad`, the search does not enter nodes that need no gradient: the reverse pass
    has nothing to send them.
    """
    order: list[Any] = []
    seen: set[int] = set()
    for root in roots:
        if root.id in seen or (requiring_grad and not root.requires_grad):
            continue
        seen.add(root.id)
        # Each frame is a node and an iterator over its inputs; the frame is finished (and the node
        # emitted) once the iterator is exhausted, which is exactly post-order.
        stack = [(root, iter(root.inputs))]
        while stack:
            node, pending = stack[-1]
            for child in pending:
                if child.id not in seen and (child.requires_grad or not requiring_grad):
                    seen.add(child.id)
                    stack.append((child, iter(child.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order
