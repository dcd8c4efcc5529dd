"""`Tensor`'s Python operators and needle's shorthand methods, each one call of an op.

`Tensor` (vector/autograd.py) inherits them from `Operators`, kept here so that the core file
shows the graph and not the arithmetic. `x + y` is `add(x, y)`, `x + 1` is `add_scalar(x, 1)`,
`1 - x` is `add_scalar(negate(x), 1)`, and so on: the ops are in vector/ops/.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from vector.inputs import operand

if TYPE_CHECKING:
    from vector.autograd import Tensor


def ops() -> ModuleType:
    """The module `vector.ops`. It defines its ops by subclassing TensorOp from vector.autograd,
    which imports this module, so neither can import it at its top: they call this instead
    (`import vector` has loaded it by then; looking it up costs less than an import statement)."""
    return sys.modules.get("vector.ops") or import_module("vector.ops")


class Operators:
    """The operators of `Tensor`, its only subclass (so `isinstance(x, Operators)` means a
    Tensor here)."""

    __slots__ = ()
    _dtype: np.dtype  # (Tensor's fields and constructor of constants, for the type checker)
    make_const: Callable[..., Tensor]

    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return ops().add(self, other)
        return ops().add_scalar(self, operand("add", other))

    def __radd__(self, other: Any) -> Tensor:
        return ops().add_scalar(self, operand("add", other))

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return ops().add(self, ops().negate(other))
        return ops().add_scalar(self, -operand("subtract", other))

    def __rsub__(self, other: Any) -> Tensor:
        return ops().add_scalar(ops().negate(self), operand("subtract", other))

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return ops().multiply(self, other)
        return ops().mul_scalar(self, operand("multiply", other))

    def __rmul__(self, other: Any) -> Tensor:
        return ops().mul_scalar(self, operand("multiply", other))

    def __truediv__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return ops().divide(self, other)
        return ops().divide_scalar(self, operand("divide", other))

    def __rtruediv__(self, other: Any) -> Tensor:
        other = operand("divide", other)
        dtype = np.result_type(self._dtype, other, np.float16)  # true division gives floats
        return ops().divide(self.make_const(np.asarray(other, dtype=dtype)), self)

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, Operators):
            return ops().power(self, other)
        return ops().power_scalar(self, operand("power", other))

    def __rpow__(self, other: Any) -> Tensor:
        other = operand("power", other)
        base = np.asarray(other, dtype=np.result_type(self._dtype, other))
        return ops().power(self.make_const(base), self)

    def __neg__(self) -> Tensor:
        return ops().negate(self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops().matmul(self, other)

    def matmul(self, other: Any) -> Tensor:
        return ops().matmul(self, other)

    def sum(self, axes: Any = None) -> Tensor:
        return ops().summation(self, axes)

    def reshape(self, shape: Any) -> Tensor:
        return ops().reshape(self, shape)

    def transpose(self, axes: Any = None) -> Tensor:
        return ops().transpose(self, axes)

    def broadcast_to(self, shape: Any) -> Tensor:
        return ops().broadcast_to(self, shape)
