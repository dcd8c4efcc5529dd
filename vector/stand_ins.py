"""Stand-ins: the gradient graph refers to copies of the forward nodes, never to the nodes.

A gradient refers to the forward graph (the gradient of exp x is exp x times the adjoint), and
`x.grad` hangs on `x`. Referring to the forward nodes themselves would make x → x.grad → … → x a
reference cycle, which only Python's cyclic garbage collector can free. So `backward()` first
copies every node of the pass (`copy_order`): a stand-in has the node's id, op and values, its
inputs are stand-ins too, and the gradient graph is built over them (`Mode.stand_ins` holds them
while the pass runs). A stand-in reaches its node only through a weak reference (`stands_for`),
used to deliver higher-order gradients (`x.grad.backward()`) to `x` once the pass is over
(`deliver`).

What it buys: every graph is freed by reference counting the moment the loop lets go of it, as
PyTorch warns it cannot do with `create_graph=True`: with the collector off, a training loop
keeps a flat number of live tensors (tests/test_vector_memory.py), and with it on, the collector
has no cycles to trace.

What it costs: one small object per node of each backward pass, and a weak reference per node
when the pass records its gradient graph (`create_graph=True`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any


def copy_order(
    order: list[Any], record: bool, copy: Callable[[Any, tuple, bool, Any], Any]
) -> dict[int, Any]:
    """A stand-in for each node of `order` (inputs first), by node id.

    `copy(node, inputs, requires_grad, stands_for)` makes one; `record` says whether the gradient
    graph is recorded, and only then can a stand-in receive a gradient to pass on.
    """
    stand_ins: dict[int, Any] = {}
    for node in order:
        inputs = node.inputs  # () for a leaf: half the nodes of a training step's graph
        if inputs:
            inputs = tuple([stand_ins[x.id] if x.requires_grad else x for x in inputs])
        # A stand-in of a stand-in (third derivatives) still leads to the node itself.
        stands_for = (node.stands_for or weakref.ref(node)) if record else None
        stand_ins[node.id] = copy(node, inputs, record, stands_for)
    return stand_ins


def deliver(order: list[Any]) -> None:
    """After a pass over `order`, hand the gradients that reached stand-ins (a pass over a
    gradient graph, `x.grad.backward()`) to the nodes they stand for, if those still exist."""
    for node in order:
        ref = node.stands_for
        if ref is not None and node.grad is not None:
            original = ref()
            if original is not None:
                original.grad, node.grad = node.grad, None
