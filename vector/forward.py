"""Forward mode for tensors, and Jacobians built column by column or row by row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vector.autograd import Tensor, find_topo_sort
from vector.modes import switch


def _real(x: Any) -> np.ndarray:
    """`x` as a numpy array of floats: an integer tangent would silently truncate, so integer
    primals become float64."""
    a = np.asarray(x.numpy() if isinstance(x, Tensor) else x)
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def jvp(
    f: Callable[..., Tensor], primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[Tensor, Tensor]:
    """(f(x), J_f(x)·v) in one forward pass: every op pushes its tangent through its JVP rule.

    No graph is kept and no backward pass runs. `primals` and `tangents` are matching sequences
    of arrays or Tensors; the tangent of each input has that input's shape.
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    inputs = []
    table: dict[int, np.ndarray] = {}  # node id → tangent (vector/tangents.py)
    for k, (p, t) in enumerate(zip(primals, tangents, strict=True)):
        x = Tensor(_real(p), requires_grad=False)
        tangent = np.asarray(t.numpy() if isinstance(t, Tensor) else t, dtype=x.dtype)
        if tangent.shape != x.shape:
            raise ValueError(
                f"jvp: tangent {k} has shape {tangent.shape} but its primal has shape {x.shape}"
            )
        table[x.id] = tangent
        inputs.append(x)
    with switch(grad=False, deferred=False, tangents=table):
        out = f(*inputs)
    out_tangent = table.get(out.id)
    if out_tangent is None:  # f(x) does not depend on x
        out_tangent = np.zeros(out.shape, out.dtype)
    return out, Tensor(out_tangent, requires_grad=False)


def jacobian_fwd(f: Callable[[Tensor], Tensor], x: Any) -> np.ndarray:
    """The Jacobian of f at x by forward mode: one pass per input coordinate (n passes).

    Column j is J·eⱼ. Cheap when f has few inputs and many outputs. Shape: f(x).shape + x.shape.
    """
    x = _real(x)
    columns = []
    for j in range(x.size):
        basis = np.zeros(x.size, dtype=x.dtype)
        basis[j] = 1
        out, tangent = jvp(f, [x], [basis.reshape(x.shape)])
        columns.append(tangent.numpy())
    return np.stack(columns, axis=-1).reshape(out.shape + x.shape)


def jacobian_rev(f: Callable[[Tensor], Tensor], x: Any) -> np.ndarray:
    """The Jacobian of f at x by reverse mode: one backward pass per output (k passes).

    Row i is eᵢᵀ·J, the gradient of output i. Cheap when f has few outputs (a loss has one).
    """
    x = Tensor(_real(x))
    out = f(x)
    if not out.requires_grad:  # f(x) does not depend on x (nor on anything else)
        return np.zeros(out.shape + x.shape, dtype=x.dtype)
    # The passes also reach tensors f closes over (parameters); leave their grads as they were.
    others = [n for n in find_topo_sort([out]) if n.is_leaf() and n is not x]
    saved = [n.grad for n in others]
    rows = []
    try:
        for i in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[i] = 1
            out.backward(Tensor(seed.reshape(out.shape), requires_grad=False), create_graph=False)
            rows.append(np.zeros(x.shape, x.dtype) if x.grad is None else x.grad.numpy())
    finally:
        for node, grad in zip(others, saved, strict=True):
            node.grad = grad
    return np.stack(rows).reshape(out.shape + x.shape)
