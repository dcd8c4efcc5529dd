"""`Tensor`'s Python operators and needle's shorthand methods, each one call of an op.

`Tensor` (vector/autograd.py) inherits them from `Operators`, kept here so that the core file
shows the graph and not the arithmetic. `x + y` is `add(x, y)`, `x + 1` is `add_scalar(x, 1)`,
`1 - x` is `add_scalar(negate(x), 1)`, and so on: the ops are in vector/ops/.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from vector.inputs import operand

if TYPE_CHECKING:
    from vector.autograd import Tensor


def _ops() -> ModuleType:
    # vector.ops defines its ops by subclassing TensorOp from vector.autograd, which imports this
    # module, so this module cannot import vector.ops at its top: each operator imports it.
    import vector.ops

    return vector.ops


class Operators:
    """The operators of `Tensor`, its only subclass (so `isinstance(x, Operators)` means a
    Tensor here)."""

    __slots__ = ()
    _dtype: np.dtype

    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return _ops().add(self, other)
        return _ops().add_scalar(self, operand("add", other))

    def __radd__(self, other: Any) -> Tensor:
        return _ops().add_scalar(self, operand("add", other))

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return _ops().add(self, _ops().negate(other))
        return _ops().add_scalar(self, -operand("subtract", other))

    def __rsub__(self, other: Any) -> Tensor:
        return _ops().add_scalar(_ops().negate(self), operand("subtract", other))

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return _ops().multiply(self, other)
        return _ops().mul_scalar(self, operand("multiply", other))

    def __rmul__(self, other: Any) -> Tensor:
        return _ops().mul_scalar(self, operand("multiply", other))

    def __truediv__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return _ops().divide(self, other)
        return _ops().divide_scalar(self, operand("divide", other))

    def __rtruediv__(self, other: Any) -> Tensor:
        other = operand("divide", other)
        dtype = np.result_type(self._dtype, other, np.float16)  # true division gives floats
        return _ops().divide(type(self)(np.asarray(other, dtype=dtype), requires_grad=False), self)

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return _ops().power(self, other)
        return _ops().power_scalar(self, operand("power", other))

    def __rpow__(self, other: Any) -> Tensor:
        other = operand("power", other)
        base = np.asarray(other, dtype=np.result_type(self._dtype, other))
        return _ops().power(type(self)(base, requires_grad=False), self)

    def __neg__(self) -> Tensor:
        return _ops().negate(self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops().matmul(self, other)

    def matmul(self, other: Any) -> Tensor:
        return _ops().matmul(self, other)

    def sum(self, axes: Any = None) -> Tensor:
        return _ops().summation(self, axes)

    def reshape(self, shape: Any) -> Tensor:
        return _ops().reshape(self, shape)

    def transpose(self, axes: Any = None) -> Tensor:
        return _ops().transpose(self, axes)

    def broadcast_to(self, shape: Any) -> Tensor:
        return _ops().broadcast_to(self, shape)
