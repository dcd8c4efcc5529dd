"""Elementwise ops. Binary ones broadcast like numpy and sum gradients back to each shape."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from vector import program_helpers
from vector.autograd import Tensor, TensorOp
from vector.inputs import real_number, short
from vector.ops.shape import sum_to_shape
from vector.program import Operand, literal


def _number(op: str, scalar: Any) -> Any:
    """`scalar` as a real number (see `real_number`), else a TypeError naming `op`."""
    number = real_number(scalar)
    if isinstance(number, int) and abs(number) > sys.float_info.max:
        # numpy would fail later with a bare "int too large to convert to float"
        size = f"{'-' if number < 0 else ''}10**{math.floor(math.log10(abs(number)))}"
        raise OverflowError(f"{op}: the scalar (about {size}) is too large for a float")
    if number is not None:
        return number
    raise TypeError(
        f"{op}: the scalar must be a real number or a one-element array, got {short(scalar)} "
        f"({type(scalar).__name__}); use the elementwise op for a Tensor operand"
    )


def _binary_shape(
    a: Tensor, b: Tensor, node: Tensor
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The shapes of the result and of both operands, for summing gradients back to them."""
    return node.shape, a.shape, b.shape


class ScalarOp(TensorOp):
    """An op with a number `c` as its parameter (needle's `*_scalar` ops)."""

    def __init__(self, scalar: Any) -> None:
        # Python numbers adapt to the array's dtype (NEP 50); numpy scalars may promote it.
        self.scalar = _number(self.name, scalar)

    def params(self) -> str:
        return f"{self.scalar:g}"

    def out_dtype(self, dtype: np.dtype) -> np.dtype:
        if dtype.kind == "f" and type(self.scalar) in (int, float):
            return dtype  # a Python number never changes a float array's dtype (NEP 50)
        return np.result_type(dtype, self.scalar)


class BinaryOp(TensorOp):
    """An elementwise op of two tensors, broadcast against each other like numpy."""

    def check(self, a: np.ndarray, b: np.ndarray) -> None:
        if a.shape != b.shape:
            try:
                np.broadcast_shapes(a.shape, b.shape)
            except ValueError:
                raise ValueError(
                    f"{self.name}: shapes {a.shape} and {b.shape} do not broadcast (each axis, "
                    "counting from the right, must match or be 1)"
                ) from None


class EWiseAdd(BinaryOp):
    """f(a, b) = a + b;  ∂f/∂a = 1, ∂f/∂b = 1."""

    name = "add"

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def source(self, a: Operand, b: Operand) -> str:
        """`compute` as program text."""
        return f"{a} + {b}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        a, b = node.inputs
        out, sa, sb = _binary_shape(a, b, node)
        return sum_to_shape(out_grad, out, sa), sum_to_shape(out_grad, out, sb)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0] + tangents[1]


class AddScalar(ScalarOp):
    """f(a) = a + c;  f'(a) = 1."""

    name = "add_scalar"

    def compute(self, a: np.ndarray) -> np.ndarray:
        return a + self.scalar

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"{a} + {literal(self.scalar)}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return out_grad

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0]


class EWiseMul(BinaryOp):
    """f(a, b) = a·b;  ∂f/∂a = b, ∂f/∂b = a."""

    name = "multiply"

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    def source(self, a: Operand, b: Operand) -> str:
        """`compute` as program text."""
        return f"{a} * {b}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        a, b = node.inputs
        out, sa, sb = _binary_shape(a, b, node)
        return sum_to_shape(out_grad * b, out, sa), sum_to_shape(out_grad * a, out, sb)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (a, b), (ta, tb) = primals, tangents
        return ta * b + a * tb


class MulScalar(ScalarOp):
    """f(a) = c·a;  f'(a) = c."""

    name = "mul_scalar"

    def compute(self, a: np.ndarray) -> np.ndarray:
        return a * self.scalar

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"{a} * {literal(self.scalar)}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return out_grad * self.scalar

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0] * self.scalar


class EWiseDiv(BinaryOp):
    """f(a, b) = a / b;  ∂f/∂a = 1/b, ∂f/∂b = −a/b²."""

    name = "divide"

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a / b

    def source(self, a: Operand, b: Operand) -> str:
        """`compute` as program text."""
        return f"{a} / {b}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        a, b = node.inputs
        out, sa, sb = _binary_shape(a, b, node)
        grad_a = out_grad / b
        grad_b = -(grad_a * node)  # −ȳ·a/b² written as −(ȳ/b)·(a/b), reusing ȳ/b and f
        return sum_to_shape(grad_a, out, sa), sum_to_shape(grad_b, out, sb)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        b, (ta, tb) = primals[1], tangents
        return (ta - out * tb) / b


class DivScalar(ScalarOp):
    """f(a) = a / c;  f'(a) = 1/c."""

    name = "divide_scalar"

    def out_dtype(self, dtype: np.dtype) -> np.dtype:
        if dtype.kind == "f" and type(self.scalar) in (int, float):
            return dtype  # as in ScalarOp.out_dtype
        return np.result_type(dtype, self.scalar, np.float16)  # true division gives floats

    def check(self, a: np.ndarray) -> None:
        if self.scalar == 0:
            raise ZeroDivisionError(f"divide_scalar: division of a tensor of shape {a.shape} by 0")

    def compute(self, a: np.ndarray) -> np.ndarray:
        return a / self.scalar

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"{a} / {literal(self.scalar)}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return out_grad / self.scalar

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0] / self.scalar


class PowerScalar(ScalarOp):
    """f(a) = aᶜ for a number c;  f'(a) = c·aᶜ⁻¹."""

    name = "power_scalar"

    def check(self, a: np.ndarray) -> None:
        if a.dtype.kind in "iu" and self.scalar < 0:
            raise ValueError(
                f"power_scalar: integer tensor (dtype {a.dtype}) to the negative power "
                f"{self.scalar}; convert it to float first"
            )

    def compute(self, a: np.ndarray) -> np.ndarray:
        return a**self.scalar

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"{a} ** {literal(self.scalar)}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        c = self.scalar
        if c == 0:
            return out_grad * 0
        return out_grad * (power_scalar(node.inputs[0], c - 1) * c)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        c = self.scalar
        return tangents[0] * (c * primals[0] ** (c - 1)) if c != 0 else tangents[0] * 0


class EWisePow(BinaryOp):
    """f(a, b) = aᵇ;  ∂f/∂a = b·aᵇ⁻¹, ∂f/∂b = aᵇ·ln a (defined for a > 0)."""

    name = "power"

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a**b

    def source(self, a: Operand, b: Operand) -> str:
        """`compute` as program text."""
        return f"{a} ** {b}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, Tensor]:
        a, b = node.inputs
        out, sa, sb = _binary_shape(a, b, node)
        grad_a = out_grad * b * (a ** (b - 1))
        grad_b = out_grad * node * log(a)
        return sum_to_shape(grad_a, out, sa), sum_to_shape(grad_b, out, sb)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        (a, b), (ta, tb) = primals, tangents
        return ta * b * a ** (b - 1) + tb * out * np.log(a)


class Negate(TensorOp):
    """f(a) = −a;  f'(a) = −1."""

    name = "negate"

    def compute(self, a: np.ndarray) -> np.ndarray:
        return -a

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"-{a}"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return -out_grad

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return -tangents[0]


class Log(TensorOp):
    """f(a) = ln a;  f'(a) = 1/a."""

    name = "log"

    def out_dtype(self, dtype: np.dtype) -> np.dtype:
        return np.result_type(dtype, np.float16)

    def compute(self, a: np.ndarray) -> np.ndarray:
        return np.log(a)

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"np.log({a})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return out_grad / node.inputs[0]

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0] / primals[0]


class Exp(TensorOp):
    """f(a) = eᵃ;  f'(a) = eᵃ = f(a)."""

    name = "exp"

    def out_dtype(self, dtype: np.dtype) -> np.dtype:
        return np.result_type(dtype, np.float16)

    def compute(self, a: np.ndarray) -> np.ndarray:
        return np.exp(a)

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"np.exp({a})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return out_grad * node

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0] * out


class ReLU(TensorOp):
    """f(a) = max(a, 0);  f'(a) = 1 where a > 0, else 0 (0 at the kink, as PyTorch)."""

    name = "relu"

    def compute(self, a: np.ndarray) -> np.ndarray:
        return np.maximum(a, 0)

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"np.maximum({a}, 0)"

    def gradient_constants(self, a: Operand) -> tuple[str, ...]:
        """The constant `gradient` makes (the mask where a > 0), as program text."""
        return (f"{a} > 0",)

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        # The mask is piecewise constant, so it enters the gradient graph as a constant (a
        # boolean one: multiplying by it keeps out_grad's dtype and costs no conversion).
        return multiply(out_grad, Tensor.make_const(node.inputs[0].realize_cached_data() > 0))

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0] * (primals[0] > 0)


class Tanh(TensorOp):
    """f(a) = tanh a;  f'(a) = 1 − tanh² a = 1 − f²."""

    name = "tanh"

    def out_dtype(self, dtype: np.dtype) -> np.dtype:
        return np.result_type(dtype, np.float16)

    def compute(self, a: np.ndarray) -> np.ndarray:
        return np.tanh(a)

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"np.tanh({a})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return out_grad * (1 - node * node)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0] * (1 - out * out)


class Sigmoid(TensorOp):
    """f(a) = 1 / (1 + e⁻ᵃ);  f'(a) = f·(1 − f)."""

    name = "sigmoid"

    def out_dtype(self, dtype: np.dtype) -> np.dtype:
        return np.result_type(dtype, np.float16)

    def compute(self, a: np.ndarray) -> np.ndarray:
        # Two branches so that neither exp overflows: for a < 0 use eᵃ/(1 + eᵃ).
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1 / (1 + e), e / (1 + e))

    helpers = (program_helpers.sigmoid,)

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"sigmoid({a})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return out_grad * (node * (1 - node))

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0] * out * (1 - out)


class Cast(TensorOp):
    """f(a) = a converted to `dtype`;  the gradient is converted back to a's dtype."""

    name = "cast"

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)

    def params(self) -> str:
        return str(self.dtype)

    def out_dtype(self, dtype: np.dtype) -> np.dtype:
        return self.dtype

    def compute(self, a: np.ndarray) -> np.ndarray:
        return a.astype(self.dtype)

    def source(self, a: Operand) -> str:
        """`compute` as program text."""
        return f"{a}.astype(np.{self.dtype.name})"

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor:
        return cast(out_grad, node.inputs[0].dtype)

    def jvp(self, primals: tuple, tangents: tuple, out: np.ndarray) -> np.ndarray:
        return tangents[0].astype(self.dtype)


def add(a: Tensor, b: Tensor) -> Tensor:
    return EWiseAdd()(a, b)


def add_scalar(a: Tensor, scalar: Any) -> Tensor:
    return AddScalar(scalar)(a)


def multiply(a: Tensor, b: Tensor) -> Tensor:
    return EWiseMul()(a, b)


def mul_scalar(a: Tensor, scalar: Any) -> Tensor:
    return MulScalar(scalar)(a)


def divide(a: Tensor, b: Tensor) -> Tensor:
    return EWiseDiv()(a, b)


def divide_scalar(a: Tensor, scalar: Any) -> Tensor:
    return DivScalar(scalar)(a)


def power_scalar(a: Tensor, scalar: Any) -> Tensor:
    return PowerScalar(scalar)(a)


def power(a: Tensor, b: Tensor) -> Tensor:
    return EWisePow()(a, b)


def negate(a: Tensor) -> Tensor:
    return Negate()(a)


def log(a: Tensor) -> Tensor:
    return Log()(a)


def exp(a: Tensor) -> Tensor:
    return Exp()(a)


def relu(a: Tensor) -> Tensor:
    return ReLU()(a)


def tanh(a: Tensor) -> Tensor:
    return Tanh()(a)


def sigmoid(a: Tensor) -> Tensor:
    return Sigmoid()(a)


def cast(a: Tensor, dtype: Any) -> Tensor:
    return Cast(dtype)(a)
