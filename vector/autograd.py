"""The vector engine's graph machinery: the op base class, gradient modes, the CPU device.

The reverse pass itself is `autodiff.backward`, shared with the scalar engine; this module only
decides what a `Tensor` op records and when values are computed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from autodiff import topological_order

if TYPE_CHECKING:
    from vector.tensor import Tensor


class Device:
    """The one device: numpy on the CPU. Present so needle code passing `device=` runs."""

    name = "cpu"

    def __repr__(self) -> str:
        return "cpu()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device)

    def __hash__(self) -> int:
        return hash("cpu")


_CPU = Device()


def cpu() -> Device:
    return _CPU


def default_device() -> Device:
    return _CPU


class Mode:
    """Process-wide switches read on every op call (module attributes are the cheapest lookup).

    - `grad`: new results join the graph (False under `no_grad`, and while a backward pass runs
      with `create_graph=False`).
    - `lazy`: new results are not computed until someone needs their value. The reverse pass runs
      lazily, so a gradient nobody reads (the input batch's, in a training loop) costs nothing.
    - `tangents`: forward mode is running; every op also pushes tangents through its JVP rule.
    """

    grad = True
    lazy = False
    tangents = False


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Within the block, ops build no graph: results are constants, as in `torch.no_grad()`."""
    before = Mode.grad
    Mode.grad = False
    try:
        yield
    finally:
        Mode.grad = before


def is_grad_enabled() -> bool:
    return Mode.grad


@contextlib.contextmanager
def _modes(*, grad: bool, lazy: bool, tangents: bool) -> Iterator[None]:
    saved = (Mode.grad, Mode.lazy, Mode.tangents)
    Mode.grad, Mode.lazy, Mode.tangents = grad, lazy, tangents
    try:
        yield
    finally:
        Mode.grad, Mode.lazy, Mode.tangents = saved


# numpy's promotion of dtype tuples, remembered: `np.result_type` costs more than a lookup, and a
# backward pass asks the same few questions (float32 with bool, float32 with float64) each step.
_PROMOTIONS: dict[tuple[np.dtype, ...], np.dtype] = {}


class TensorOp:
    """One primitive of the vector engine, defined in one place.

    Subclasses give `compute` (numpy in, numpy out), `gradient(out_grad, node)` written with
    Tensor ops (so the gradient is itself a graph and can be differentiated again), and
    `jvp(primals, tangents, out)` (numpy; a tangent of None means zero).
    """

    name = "op"
    keeps_dtype = True
    """Whether the result has its inputs' dtype when they share one (lets lazy nodes skip
    `out_dtype`). Ops that change dtype set False."""

    def __call__(self, *args: Tensor) -> Tensor:
        return _make_from_op(self, args)

    def compute(self, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor | tuple[Tensor, ...]:
        raise NotImplementedError

    def gradient_as_tuple(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, ...]:
        grads = self.gradient(out_grad, node)
        return grads if isinstance(grads, tuple) else (grads,)

    def jvp(
        self, primals: tuple[np.ndarray, ...], tangents: tuple[Any, ...], out: np.ndarray
    ) -> np.ndarray:
        raise NotImplementedError

    def out_dtype(self, *dtypes: np.dtype) -> np.dtype:
        """The dtype `compute` returns, known before computing (lazy nodes need it)."""
        found = _PROMOTIONS.get(dtypes)
        if found is None:
            found = _PROMOTIONS[dtypes] = np.result_type(*dtypes)
        return found

    def check(self, *arrays: np.ndarray) -> None:
        """Raise a clear error for inputs this op cannot take; called before `compute`."""

    def params(self) -> str:
        """The op's parameters as text, for labels: `add_scalar(3)`."""
        return ""

    def __str__(self) -> str:
        p = self.params()
        return f"{self.name}({p})" if p else self.name

    def __repr__(self) -> str:
        return f"<op {self}>"


def find_topo_sort(node_list: list[Tensor]) -> list[Tensor]:
    """needle's name for the shared topological order (post-order DFS, inputs left to right)."""
    return topological_order(node_list)


def _make_from_op(op: TensorOp, inputs: tuple) -> Tensor:
    raise ImportError("vector.tensor has not been imported")  # replaced when it is


def __getattr__(name: str) -> Any:
    # needle's tests read `ndl.autograd.TENSOR_COUNTER`; ours is counted on demand.
    if name == "TENSOR_COUNTER":
        from vector.tensor import Tensor

        return Tensor.live
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
