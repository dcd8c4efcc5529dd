"""Deferred gradients: the nodes `backward()` builds are computed when their value is first read.

needle computes every node as soon as it is made. Here, while `backward()` runs (`Mode.deferred`),
`Tensor.make_from_op` records the op and the dtype of its result but computes nothing; reading
the value (`cached_data`, `numpy()`, `shape`, or an op that uses it) computes the node and the
deferred nodes it depends on, once.

What it buys: a gradient nobody reads costs nothing. In a training loop that is the input batch's
gradient: the seed loop (`examples/nn_epoch.py`) wraps the batch in `Tensor(...)`, which requires
grad, and its gradient is a (100 × 100)·(100 × 784) product per step that no one ever looks at,
as large as the forward pass's biggest product.

What it costs: a node's value may not exist yet, so `cached_data` is a property that computes it
on first read; a deferred node must know its dtype before it has values (`TensorOp.out_dtype`);
and the values it is computed from must not change in between, which is why optimisers give
parameters new arrays instead of writing into the old ones.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import numpy as np

_by_id = attrgetter("id")


def realize(root: Any) -> np.ndarray:
    """Compute `root` and the deferred nodes it depends on, inputs first, without recursion."""
    todo = [root]
    seen = {root.id}
    for node in todo:  # (the list grows while the loop runs: each deferred input joins once)
        for x in node.inputs:
            # A leaf always has its values; asking a node costs a property call.
            if x.inputs and not x.realized and x.id not in seen:
                seen.add(x.id)
                todo.append(x)
    # Every node is made after its inputs, so it has a larger id: by id is inputs first.
    todo.sort(key=_by_id)
    for node in todo:
        data = node.op.compute(*[x.realize_cached_data() for x in node.inputs])
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        dtype = node.dtype
        if data.dtype != dtype:
            data = data.astype(dtype)
        node.cached_data = data
        if not node.requires_grad:  # a gradient computed without recording keeps only its value
            node.op = None
            node.inputs = ()
    return data  # the root's: it comes last
