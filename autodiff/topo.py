"""Topological order by iterative post-order depth-first search."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from autodiff.protocol import Node

# The node type of one engine: the order of a graph of `Value`s is a list of `Value`s.
N = TypeVar("N", bound=Node)


def topological_order(roots: Iterable[N], *, requiring_grad: bool = False) -> list[N]:
    """Every node reachable from `roots`, each after all of its inputs.

    Post-order DFS over `inputs`, left to right, visiting each node once (by its stable id). An
    explicit stack replaces recursion, so a chain of a million ops needs no recursion limit.
    With `requiring_grad`, the search does not enter nodes that need no gradient: the reverse pass
    has nothing to send them.
    """
    order: list[N] = []
    seen: set[int] = set()
    for root in roots:
        if root.id in seen or (requiring_grad and not root.requires_grad):
            continue
        # The stack holds nodes still to expand and, below each expanded node, a None that means
        # "all of its inputs are done: emit the node" (post-order). Expanding pushes the inputs
        # in reverse, so the leftmost is expanded first; one already seen when popped is skipped.
        # The stack holds only the nodes themselves: no object per frame that the garbage
        # collector would have to scan again and again while a 200 000-deep stack grows.
        stack: list[N | None] = [root]
        while stack:
            node = stack.pop()
            if node is None:
                # Below a None marker is always the node it marks. Said with an ignore, not a
                # `cast`: this line runs once per node, and a cast is a function call.
                order.append(stack.pop())  # type: ignore[arg-type]
                continue
            if node.id in seen:
                continue
            seen.add(node.id)
            stack.append(node)
            stack.append(None)
            for child in reversed(node.inputs):
                if child.id not in seen and (child.requires_grad or not requiring_grad):
                    stack.append(child)
    return order
