"""Forward mode's half of every op: push the inputs' tangents through the op's JVP rule.

While `vector.jvp` runs, `Mode.tangents` is a dict from node id to that node's tangent, and each
new node adds its own: J·(input tangents), from `op.jvp`. needle has no forward mode; this is the
only place the engine does anything for it.

What it buys: Jacobians of functions with few inputs and many outputs, one forward pass per
input rather than one reverse pass per output (`vector.jacobian_fwd` against
`vector.jacobian_rev`; `python -m examples.modes` shows both).

What it costs: one check of `Mode.tangents` per op when forward mode is off.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def push(
    table: dict[int, Any], node: Any, op: Any, inputs: tuple[Any, ...], arrays: list[np.ndarray]
) -> None:
    """Record the tangent of `node`, just computed by `op` from `inputs` (whose values are
    `arrays`), if any input has one."""
    found = [table.get(x.id) for x in inputs]
    if all(t is None for t in found):
        return
    filled = tuple(np.zeros_like(a) if t is None else t for a, t in zip(arrays, found, strict=True))
    table[node.id] = np.asarray(op.jvp(tuple(arrays), filled, node.realize_cached_data()))
