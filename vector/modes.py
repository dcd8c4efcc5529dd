"""The state every op reads when it builds a node, and the one helper that changes it.

- `Mode.grad`: new results join the graph. Off under `no_grad()`, and while `backward()` runs
  with `create_graph=False`.
- `Mode.deferred`: new results are recorded but not computed until their value is read
  (`vector/deferred.py`). Only `backward()` turns it on.
- `Mode.tangents`: forward mode is running (`vector.jvp`); each op also pushes its input tangents
  through its JVP rule into this dict, keyed by node id (`vector/tangents.py`). None when off.
- `Mode.stand_ins`: the copies of the nodes that the running `backward()` builds its gradients
  over, keyed by node id (`vector/stand_ins.py`). None between passes.
- `Mode.fused`: faster rules `Tensor.vjp` uses instead of an op's own `gradient`, by op
  class: `vector/ops/fused.py`'s table while `backward()` runs, none otherwise.

They are class attributes because that is the cheapest lookup Python has, and every op call
reads them. Code changes them only through `switch(...)` (or `no_grad()`), which puts them back
afterwards even when an error escapes.
"""

from __future__ import annotations

from typing import Any


class Mode:
    grad: bool = True
    deferred: bool = False
    tangents: dict[int, Any] | None = None
    stand_ins: dict[int, Any] | None = None
    fused: dict[type, Any] = {}  # noqa: RUF012 (never mutated: switch replaces it)


_UNCHANGED: Any = object()


class switch:  # (used like a function: `with switch(grad=False): ...`)
    """Within the block, set the named fields of `Mode`; restore all of them on the way out.

    A class rather than a generator-based context manager: `backward()` enters one per call,
    and this costs a third as much.
    """

    def __init__(
        self,
        *,
        grad: bool = _UNCHANGED,
        deferred: bool = _UNCHANGED,
        tangents: dict[int, Any] | None = _UNCHANGED,
        stand_ins: dict[int, Any] | None = _UNCHANGED,
        fused: dict[type, Any] = _UNCHANGED,
    ) -> None:
        self.wanted = (grad, deferred, tangents, stand_ins, fused)

    def __enter__(self) -> None:
        self.saved = (
            Mode.grad,
            Mode.deferred,
            Mode.tangents,
            Mode.stand_ins,
            Mode.fused,
        )
        grad, deferred, tangents, stand_ins, fused = self.wanted
        if grad is not _UNCHANGED:
            Mode.grad = grad
        if deferred is not _UNCHANGED:
            Mode.deferred = deferred
        if tangents is not _UNCHANGED:
            Mode.tangents = tangents
        if stand_ins is not _UNCHANGED:
            Mode.stand_ins = stand_ins
        if fused is not _UNCHANGED:
            Mode.fused = fused

    def __exit__(self, *exc: object) -> None:
        (Mode.grad, Mode.deferred, Mode.tangents, Mode.stand_ins, Mode.fused) = self.saved


def no_grad() -> switch:
    """Within the block, ops build no graph: results are constants, as in `torch.no_grad()`."""
    return switch(grad=False)


def is_grad_enabled() -> bool:
    return Mode.grad
