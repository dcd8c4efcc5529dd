"""Stand-ins: the gradient graph refers to copies of the forward nodes, never to the nodes.

A gradient refers to the forward graph (the gradient of exp x is exp x times the adjoint), and
`x.grad` hangs on `x`. Referring to the forward nodes themselves would make x → x.grad → … → x a
reference cycle, which only Python's cyclic garbage collector can free. So `backward()` first
copies every node of the pass: a stand-in has the node's id, op and values, its inputs are
stand-ins too, and the gradient graph is built over them. A stand-in reaches its node only
through a weak reference, used to deliver higher-order gradients (`x.grad.backward()`) to `x`.

What it buys: every graph is freed by reference counting the moment the loop lets go of it, as
PyTorch warns it cannot do with `create_graph=True`. With the collector off, the founding note's
loop keeps a flat number of live tensors (tests/test_vector_memory.py). Without stand-ins each
step's graph, batch included, would wait for the collector.

What it costs: one small object per node of each backward pass (about 1 µs each), and a weak
reference per node when the pass records its gradient graph (`create_graph=True`).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from typing import Any

_current: dict[int, Any] | None = None
"""The stand-ins of the backward pass now running, by node id (None between passes)."""

_originals: dict[int, weakref.ref] = {}
"""A weak reference to the node each recorded stand-in copies, by their shared id; the entry goes
when the node does."""


@contextlib.contextmanager
def pass_over(
    order: list[Any], record: bool, copy: Callable[[Any, tuple, bool], Any]
) -> Iterator[None]:
    """Within the block, the nodes of `order` (inputs first) have stand-ins made by
    `copy(node, inputs, requires_grad)`; `record` says whether the gradient graph is recorded."""
    global _current
    stand_ins: dict[int, Any] = {}
    for node in order:
        inputs = tuple([stand_ins[x.id] if x.requires_grad else x for x in node.inputs])
        stand_ins[node.id] = copy(node, inputs, record)
        if record and node.id not in _originals:  # a stand-in of a stand-in leads to the node
            _originals[node.id] = weakref.ref(owner(node), _forget(node.id))
    saved, _current = _current, stand_ins
    try:
        yield
    finally:
        _current = saved


def copy_of(node: Any) -> Any:
    """The stand-in of `node` in the pass now running, or None outside a pass."""
    return None if _current is None else _current[node.id]


def owner(node: Any) -> Any:
    """The node a stand-in copies (while it lives); any other node is its own owner."""
    ref = _originals.get(node.id)
    original = None if ref is None else ref()
    return node if original is None else original


def _forget(key: int) -> Callable[[weakref.ref], None]:
    def forget(_: weakref.ref) -> None:
        _originals.pop(key, None)

    return forget
