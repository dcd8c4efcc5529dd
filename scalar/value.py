"""`Value`: one number of a computation graph, and reverse mode over a graph of them.

Each node stores what the reverse pass needs and nothing more: its inputs, its op symbol, and the
local derivatives d(node)/d(input), computed once in the forward pass from `PRIMITIVES`. micrograd
keeps the same information hidden in a closure per node; a closure that refers to its own node makes
every node a reference cycle, which only the cyclic garbage collector can free. Here a node refers
to its inputs and to plain numbers only, so a graph dies by reference counting the moment its root
is dropped.
"""

from __future__ import annotations

import numbers
from typing import Any

from autodiff import Step, next_id, topological_order
from autodiff import backward as _backward
from scalar.primitives import PRIMITIVES, Primitive

_P = PRIMITIVES
# + * relu are nearly every node of a neural net: bind their table entries once.
_add_value, _add_partials = _P["add"].value, _P["add"].local_derivatives
_mul_value, _mul_partials = _P["multiply"].value, _P["multiply"].local_derivatives
_relu_value, _relu_partials = _P["relu"].value, _P["relu"].local_derivatives
_new = object.__new__


def as_number(x: Any) -> float | None:
    """`x` as a float if it is a real number (int, float, bool, numpy scalar), else None."""
    if isinstance(x, numbers.Real):
        return float(x)
    return None


def operand_error(cls: str, method: str, this: str, other: Any, *, reflected: bool) -> TypeError:
    """The TypeError for `this <op> other` (`other <op> this` when reflected) with a non-number."""
    got = f"{other!r} ({type(other).__name__})"
    pair = f"{got} with {this}" if reflected else f"{this} with {got}"
    return TypeError(f"{cls}.{method}: cannot combine {pair}; expected a number or a {cls}")


class Value:
    """A scalar node: `data`, `grad`, its `inputs` and `op`, and the local derivatives of `op`.

    `Value(2.0, label="x1")` makes an input. Arithmetic with Values or numbers makes new nodes;
    numbers become constant nodes (`requires_grad=False`) that receive no adjoint. `backward()`
    sets `grad` on every node of the graph to d(self)/d(node), overwriting what was there.
    """

    # Why the inputs and local derivatives sit in two slots each instead of two tuples: a tuple
    # per node is one more object for the cyclic garbage collector to track and scan, and with a
    # graph of 65 000 nodes alive during a training step that scanning costs more than the
    # arithmetic. `inputs` and `local_derivatives()` build the tuples when asked.
    __slots__ = (
        "__weakref__",
        "_d0",
        "_d1",
        "_i0",
        "_i1",
        "data",
        "exponent",
        "grad",
        "id",
        "label",
        "op",
        "requires_grad",
    )

    # numpy scalars and arrays defer to our reflected operators: np.float64(2) * v is a Value.
    __array_ufunc__ = None

    data: float
    grad: float
    op: str
    label: str
    id: int
    requires_grad: bool
    exponent: float | None  # the n of `x ** n` (op "**", one input): a parameter; else None
    _i0: Value | None  # first input, None for a leaf
    _i1: Value | None  # second input, None for a leaf or a one-input op
    _d0: float | None  # d(self)/d(first input)
    _d1: float | None  # d(self)/d(second input)

    def __init__(self, data: Any, label: str = "", *, requires_grad: bool = True) -> None:
        number = data if type(data) is float else as_number(data)
        if number is None:
            raise TypeError(f"Value: data must be a number, got {data!r} ({type(data).__name__})")
        self.data = number
        self.grad = 0.0
        self.op = ""
        self.label = label
        self.id = next_id()
        self.requires_grad = requires_grad
        self.exponent = self._i0 = self._i1 = self._d0 = self._d1 = None

    # --- the node protocol -----------------------------------------------------------------------

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The input nodes in argument order, duplicates kept (`a + a` has two edges)."""
        i1 = self._i1
        if i1 is not None:
            return (self._i0, i1)
        i0 = self._i0
        return () if i0 is None else (i0,)

    def vjp(self, adjoint: float) -> tuple[float, ...]:
        """One partial adjoint per input: adjoint · d(self)/d(input), in argument order."""
        d1 = self._d1
        if d1 is not None:
            return (adjoint * self._d0, adjoint * d1)
        d0 = self._d0
        return () if d0 is None else (adjoint * d0,)

    def local_derivatives(self) -> tuple[float, ...]:
        """d(self)/d(input) for each input, computed once in the forward pass."""
        d1 = self._d1
        if d1 is not None:
            return (self._d0, d1)
        d0 = self._d0
        return () if d0 is None else (d0,)

    @property
    def partials(self) -> tuple[float | None, ...]:
        """After a backward: the partial adjoint this node sent along each input edge,
        grad · d(self)/d(input); None for a constant input, which is sent nothing."""
        g = self.grad
        return tuple(
            g * d if inp.requires_grad else None
            for inp, d in zip(self.inputs, self.local_derivatives(), strict=True)
        )

    def backward(self, trace: bool = False) -> list[Step] | None:
        """Set `grad` = d(self)/d(node) on every node of the graph that requires grad.

        Overwrites, so calling it twice gives the same grads. With `trace`, return the reverse pass
        step by step: node, adjoint, and (input, local derivative, partial adjoint) per edge.
        """
        return _backward(self, 1.0, trace=trace)

    def zero_grad(self) -> None:
        """Set `grad` to 0.0 on every node of this graph."""
        for node in topological_order((self,)):
            node.grad = 0.0

    # --- operators: + and * build their node inline (they are most of a network), the rest go
    # --- through _apply1/_apply2; all of them take f and ∂f from the table.

    def __add__(self, other: Any) -> Value:
        if other.__class__ is not Value:
            other = _constant(other, "__add__", self, reflected=False)
        a = self.data
        b = other.data
        node = _new(Value)
        node.data = out = _add_value(a, b)
        node._d0, node._d1 = _add_partials(a, b, out)
        node._i0 = self
        node._i1 = other
        node.grad = 0.0
        node.op = "+"
        node.label = ""
        node.id = next_id()
        node.requires_grad = self.requires_grad or other.requires_grad
        node.exponent = None
        return node

    def __radd__(self, other: Any) -> Value:
        return _apply2(_P["add"], "__radd__", self, other, reflected=True)

    def __mul__(self, other: Any) -> Value:
        if other.__class__ is not Value:
            other = _constant(other, "__mul__", self, reflected=False)
        a = self.data
        b = other.data
        node = _new(Value)
        node.data = out = _mul_value(a, b)
        node._d0, node._d1 = _mul_partials(a, b, out)
        node._i0 = self
        node._i1 = other
        node.grad = 0.0
        node.op = "*"
        node.label = ""
        node.id = next_id()
        node.requires_grad = self.requires_grad or other.requires_grad
        node.exponent = None
        return node

    def __rmul__(self, other: Any) -> Value:
        return _apply2(_P["multiply"], "__rmul__", self, other, reflected=True)

    def __sub__(self, other: Any) -> Value:
        return _apply2(_P["subtract"], "__sub__", self, other, reflected=False)

    def __rsub__(self, other: Any) -> Value:
        return _apply2(_P["subtract"], "__rsub__", self, other, reflected=True)

    def __truediv__(self, other: Any) -> Value:
        return _apply2(_P["divide"], "__truediv__", self, other, reflected=False)

    def __rtruediv__(self, other: Any) -> Value:
        return _apply2(_P["divide"], "__rtruediv__", self, other, reflected=True)

    def __pow__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return _apply2(_P["power"], "__pow__", self, other, reflected=False)
        n = as_number(other)
        if n is None:
            raise operand_error("Value", "__pow__", _short(self), other, reflected=False)
        if isinstance(other, numbers.Integral):
            n = int(other)  # keep 2 as 2, so the graph reads x ** 2 rather than x ** 2.0
        node = _apply1(_P["power_scalar"], self, n)
        node.exponent = n
        return node

    def __rpow__(self, other: Any) -> Value:
        return _apply2(_P["power"], "__rpow__", self, other, reflected=True)

    def __neg__(self) -> Value:
        return _apply1(_P["negate"], self)

    # --- unary primitives ------------------------------------------------------------------------

    def exp(self) -> Value:
        """eˣ"""
        return _apply1(_P["exp"], self)

    def log(self) -> Value:
        """ln x, the natural logarithm; needs x > 0."""
        return _apply1(_P["log"], self)

    def sin(self) -> Value:
        """sin x"""
        return _apply1(_P["sin"], self)

    def cos(self) -> Value:
        """cos x"""
        return _apply1(_P["cos"], self)

    def tanh(self) -> Value:
        """tanh x"""
        return _apply1(_P["tanh"], self)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e⁻ˣ)"""
        return _apply1(_P["sigmoid"], self)

    def relu(self) -> Value:
        """max(0, x)"""
        a = self.data
        node = _new(Value)
        node.data = out = _relu_value(a)
        (node._d0,) = _relu_partials(a, out)
        node._d1 = None
        node._i0 = self
        node._i1 = None
        node.grad = 0.0
        node.op = "relu"
        node.label = ""
        node.id = next_id()
        node.requires_grad = self.requires_grad
        node.exponent = None
        return node

    def sqrt(self) -> Value:
        """√x; needs x ≥ 0."""
        return _apply1(_P["sqrt"], self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def _short(v: Value) -> str:
    return f"Value(data={v.data!r})"


def _constant(x: Any, method: str, v: Value, *, reflected: bool) -> Value:
    """The number `x` as a constant node, or the TypeError naming `method`, `v` and `x`."""
    if isinstance(x, Value):  # a subclass of Value, which the fast paths' exact check let through
        return x
    number = x if type(x) is float else as_number(x)
    if number is None:
        raise operand_error("Value", method, _short(v), x, reflected=reflected)
    return Value(number, requires_grad=False)


def _apply1(prim: Primitive, x: Value, *params: float) -> Value:
    a = x.data
    if prim.check is not None:
        prim.check(a, *params)
    out = prim.value(a, *params)
    node = _new(Value)
    node.data = out
    (node._d0,) = prim.local_derivatives(a, *params, out)
    node._d1 = None
    node._i0 = x
    node._i1 = None
    node.grad = 0.0
    node.op = prim.symbol
    node.label = ""
    node.id = next_id()
    node.requires_grad = x.requires_grad
    node.exponent = None
    return node


def _apply2(prim: Primitive, method: str, v: Value, other: Any, *, reflected: bool) -> Value:
    if not isinstance(other, Value):
        other = _constant(other, method, v, reflected=reflected)
    x, y = (other, v) if reflected else (v, other)
    a = x.data
    b = y.data
    if prim.check is not None:
        prim.check(a, b)
    out = prim.value(a, b)
    node = _new(Value)
    node.data = out
    node._d0, node._d1 = prim.local_derivatives(a, b, out)
    node._i0 = x
    node._i1 = y
    node.grad = 0.0
    node.op = prim.symbol
    node.label = ""
    node.id = next_id()
    node.requires_grad = x.requires_grad or y.requires_grad
    node.exponent = None
    return node
