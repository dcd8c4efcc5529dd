"""Ops that move values around without changing them: reshape, transpose, broadcast, sum."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vector.autograd import Tensor, TensorOp
from vector.program import Operand


def axes_tuple(op: str, axes: Any, ndim: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Normalise `axes` (None, int or tuple) to sorted non-negative ints, with a clear error."""
    if axes is None:
        return tuple(range(ndim))
    if type(axes) is tuple and len(axes) == 1 and type(axes[0]) is int and 0 <= axes[0] < ndim:
        return axes  # the common case, (0,) or (1,): nothing to normalise
    items = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    out = []
    for a in items:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a!r} is out of range for a tensor of shape {shape} "
                f"({ndim} dimensions; valid axes are {-ndim}..{ndim - 1})"
            )
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axes!r} for shape {shape}")
    return tuple(sorted(out))


def _shape_tuple(op: str, shape: Any) -> tuple[int, ...]:
    """`shape` (an int or a sequence of ints) as a tuple of ints, with a clear error otherwise."""
    if type(shape) is tuple and all(type(n) is int for n in shape):
        return shape
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        items = tuple(shape)
    except TypeError:
        items = None
    if (
        items is None
        or isinstance(shape, str)
        or not all(isinstance(n, (int, np.integer)) for n in items)
    ):
        raise TypeError(f"{op}: shape must be an int or a tuple of ints, got {shape!r}")
    return tuple(int(n) for n in items)


class Reshape(TensorOp):
    """f(a) = a with a new shape. The derivative is the identity, reshaped back: ā = reshape(ȳ)."""

    name = "reshape"

    def __init__(self, shape: Any) -> None:
        self.shape = _shape_tuple("reshape", shape)

    def params(self) -> str:
        return str(self.shape)

    def check(self, a: np.ndarray) -> None:
        known = [n for n in self.shape if n != -1]
        size = math.prod(known)
        ok = (
            self.shape.count(-1) <= 1
            and all(n >= 0 for n in known)
            and (a.size == size if -1 not in self.shape else size > 0 and a.size % size == 0)
        )
        if not ok:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {a.shape} ({a.size} elements) "
                f"into {self.shape}"
            )

    def compute(self, a: np.ndarray) -> np.ndarray:
        return a.reshape(self.shape)

    gives_view = True  # in a program: `x_bar += ...` must not write through it

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"{a}.reshape({self.shape})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return reshape(out_grad, node.inputs[0].shape)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0].reshape(out.shape)


class Transpose(TensorOp):
    """f(a) = a with two axes swapped (default: the last two). Its own inverse: ā = f(ȳ)."""

    name = "transpose"

    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = None if axes is None else tuple(axes)

    def params(self) -> str:
        return "" if self.axes is None else str(self.axes)

    def _pair(self, ndim: int, shape: tuple[int, ...]) -> tuple[int, int]:
        if self.axes is None:
            if ndim == 2:
                return 0, 1
            if ndim < 2:
                raise ValueError(
                    f"transpose: a tensor of shape {shape} has fewer than 2 axes to swap"
                )
            return ndim - 2, ndim - 1
        if len(self.axes) != 2:
            raise ValueError(f"transpose: axes must name two axes to swap, got {self.axes}")
        i, j = self.axes
        for a in (i, j):
            if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
                raise ValueError(
                    f"transpose: axes {self.axes} are out of range for a tensor of shape {shape} "
                    f"({ndim} dimensions)"
                )
        return int(i), int(j)

    def check(self, a: np.ndarray) -> None:
        self._pair(a.ndim, a.shape)

    def compute(self, a: np.ndarray) -> np.ndarray:
        i, j = self._pair(a.ndim, a.shape)
        return a.swapaxes(i, j)  # the method: np.swapaxes adds two Python calls in front of it

    gives_view = True

    def source(self, a: Operand) -> str:
        """`compute` as program text: `a.T` for a matrix."""
        i, j = self._pair(a.ndim, a.shape)
        if a.ndim == 2 and i % 2 != j % 2:
            return f"{a}.T"
        return f"np.swapaxes({a}, {i}, {j})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return transpose(out_grad, self.axes)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return self.compute(tangents[0])


class BroadcastTo(TensorOp):
    """f(a) = a repeated along new or length-1 axes up to `shape`.

    Each input element is used once per copy, so its adjoint is the sum of the copies' adjoints:
    ā = sum of ȳ over the broadcast axes.
    """

    name = "broadcast_to"

    def __init__(self, shape: Any) -> None:
        self.shape = _shape_tuple("broadcast_to", shape)

    def params(self) -> str:
        return str(self.shape)

    def check(self, a: np.ndarray) -> None:
        lead = len(self.shape) - a.ndim
        if lead < 0 or any(
            n != 1 and n != m for n, m in zip(a.shape, self.shape[lead:], strict=True)
        ):
            raise ValueError(
                f"broadcast_to: cannot broadcast a tensor of shape {a.shape} to {self.shape} "
                "(each axis must match or be 1, counting from the right)"
            )

    def compute(self, a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, self.shape)

    gives_view = True

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"np.broadcast_to({a}, {self.shape})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return sum_to_shape(out_grad, self.shape, node.inputs[0].shape)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return np.broadcast_to(tangents[0], self.shape)


class Summation(TensorOp):
    """f(a) = Σ a over `axes` (all when None); reduced axes are dropped.

    ∂f/∂aᵢ = 1 for every element summed, so ā is ȳ broadcast back over the reduced axes.
    """

    name = "summation"

    def __init__(self, axes: Any = None) -> None:
        self.axes = axes

    def params(self) -> str:
        return "" if self.axes is None else f"axes={self.axes}"

    def check(self, a: np.ndarray) -> None:
        axes_tuple("summation", self.axes, a.ndim, a.shape)

    def compute(self, a: np.ndarray) -> np.ndarray:
        return a.sum(axis=axes_tuple("summation", self.axes, a.ndim, a.shape))

    def source(self, a: Operand) -> str:
        """`compute` as program text: the axes summed over, as numbers."""
        axes = axes_tuple("summation", self.axes, a.ndim, a.shape)
        return f"np.sum({a}, axis={axes[0] if len(axes) == 1 else axes})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        shape = node.inputs[0].shape
        return broadcast_to(reshape(out_grad, kept_dims(shape, self.axes)), shape)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return self.compute(tangents[0])


def kept_dims(shape: tuple[int, ...], axes: Any) -> tuple[int, ...]:
    """`shape` with the reduced `axes` kept as length 1 (numpy's keepdims=True shape)."""
    reduced = axes_tuple("summation", axes, len(shape), shape)
    return tuple(1 if i in reduced else n for i, n in enumerate(shape))


def sum_to_shape(grad: Tensor, grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> Tensor:
    """Undo broadcasting in the backward pass: sum `grad` (of `grad_shape`) down to `shape`.

    Every binary op that broadcasts its operands calls this for each operand's gradient: an
    element used by several outputs receives the sum of their adjoints. `grad_shape` is passed
    in, not read from `grad`, because gradients are built lazily and have no value yet.
    """
    if tuple(grad_shape) == tuple(shape):
        return grad
    lead = len(grad_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad_shape[lead + i] != 1
    )
    summed = summation(grad, axes) if axes else grad
    if len(axes) == lead:  # only leading axes were summed away: the shape is right already
        return summed
    return reshape(summed, shape)


def reshape(a: Tensor, shape: Any) -> Tensor:
    return Reshape(shape)(a)


def transpose(a: Tensor, axes: tuple[int, ...] | None = None) -> Tensor:
    """Swap two axes (`axes`, default the last two); `Transpose` checks there are two."""
    return Transpose(axes)(a)


def broadcast_to(a: Tensor, shape: Any) -> Tensor:
    return BroadcastTo(shape)(a)


def summation(a: Tensor, axes: Any = None) -> Tensor:
    return Summation(axes)(a)
