"""`Value`: one number of a computation graph, and reverse mode over a graph of them.

This is micrograd's `engine.py` with the local derivatives in plain sight. A node keeps its
inputs, its op symbol and the local derivatives ∂(node)/∂(input), computed once in the forward
pass from the primitive table (`scalar/primitives.py`). micrograd keeps the same information in a
`_backward` closure per node; a closure that refers to its own node makes every node a reference
cycle, which only the cyclic garbage collector can free. Here a node refers to its inputs and to
plain numbers only, so a graph dies by reference counting the moment its root is dropped.
"""

from __future__ import annotations

from typing import Any

from autodiff import Step, next_id, topological_order
from autodiff import backward as reverse_pass
from scalar.operators import Arithmetic, as_number, operand_error
from scalar.primitives import PRIMITIVES, Primitive


def apply(
    prim: Primitive, x: Value, y: Value | None = None, *, exponent: float | None = None
) -> Value:
    """The node `prim(x, y)`, or `prim(x)`: its value and local derivatives, from the table.

    Every node of every graph is made here. `exponent` is the number n of `x ** n`: part of the
    op (`power_scalar`), not an input of the graph.
    """
    if y is not None:
        a, b = x.data, y.data
        if prim.check is not None:
            prim.check(a, b)
        data = prim.value(a, b)
        dx, dy = prim.local_derivatives(a, b, data)
        requires_grad = x.requires_grad or y.requires_grad
    else:
        args = (x.data,) if exponent is None else (x.data, exponent)
        if prim.check is not None:
            prim.check(*args)
        data = prim.value(*args)
        (dx,), dy = prim.local_derivatives(*args, data), None
        requires_grad = x.requires_grad
    out = object.__new__(Value)  # a node, without the checks of `__init__`: the table made its data
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = prim.symbol
    out.exponent = exponent
    out._x, out._y, out._dx, out._dy = x, y, dx, dy
    out.requires_grad = requires_grad
    out.id = next_id()
    return out


# The table's rules for + and *, bound once for the two operators that do `apply`'s work inline.
_add, _add_local = PRIMITIVES["add"].value, PRIMITIVES["add"].local_derivatives
_multiply, _multiply_local = PRIMITIVES["multiply"].value, PRIMITIVES["multiply"].local_derivatives


class Value(Arithmetic):
    """A scalar node: `data`, `grad`, its `inputs` and `op`, and the local derivatives of `op`.

    `Value(2.0, label="x1")` makes an input. Arithmetic with Values or numbers makes new nodes;
    numbers become constant nodes (`requires_grad=False`) that receive no adjoint. `backward()`
    sets `grad` on every node of the graph to d(self)/d(node), overwriting what was there.
    """

    # Slots, so that a node is one small object. `__dict__` still lets user code keep its own
    # attributes on a node, as micrograd's optimizers do (`p.m = 0.0`). The inputs and the local
    # derivatives sit in two slots each rather than in tuples: a tuple is one more object per
    # node for the garbage collector to scan (docs/measured.md says what that costs).
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_dx",
        "_dy",
        "_x",
        "_y",
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
    label: str
    op: str  # the op's symbol, "" for an input
    exponent: float | None  # the n of `x ** n`, a parameter of the op; else None
    # The inputs x and y (y is None for a one-input op, both for an input of the graph) and the
    # local derivatives ∂(self)/∂x and ∂(self)/∂y, computed in the forward pass.
    _x: Value | None
    _y: Value | None
    _dx: float | None
    _dy: float | None
    requires_grad: bool
    id: int

    def __init__(self, data: Any, label: str = "", *, requires_grad: bool = True) -> None:
        number = as_number(data, "Value")
        if number is None:
            raise TypeError(f"Value: data must be a number, got {data!r} ({type(data).__name__})")
        self.data = number
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.exponent = None
        self._x = self._y = self._dx = self._dy = None
        self.requires_grad = requires_grad
        self.id = next_id()

    # --- arithmetic: each operator applies one primitive of the table ---------------------------

    # + and * are nearly every node of a network, so these two build their node themselves, with
    # the same lines as `apply`; calling it would cost about 9% of a training step
    # (docs/measured.md).
    def __add__(self, other: Any) -> Value:
        if type(other) is not Value:  # cheaper than isinstance; `_operand` passes subclasses
            other = self._operand(other, "__add__")
        a, b = self.data, other.data
        out = object.__new__(Value)
        out.data = data = _add(a, b)
        out.grad = 0.0
        out.label = ""
        out.op = "+"
        out.exponent = None
        out._x, out._y = self, other
        out._dx, out._dy = _add_local(a, b, data)
        out.requires_grad = self.requires_grad or other.requires_grad
        out.id = next_id()
        return out

    def __mul__(self, other: Any) -> Value:
        if type(other) is not Value:
            other = self._operand(other, "__mul__")
        a, b = self.data, other.data
        out = object.__new__(Value)
        out.data = data = _multiply(a, b)
        out.grad = 0.0
        out.label = ""
        out.op = "*"
        out.exponent = None
        out._x, out._y = self, other
        out._dx, out._dy = _multiply_local(a, b, data)
        out.requires_grad = self.requires_grad or other.requires_grad
        out.id = next_id()
        return out

    # Every other operator and method (`-`, `/`, `**`, `x.exp()`, ...) comes from `Arithmetic`,
    # written once for `Value` and `Dual`: it calls these two.
    _apply = staticmethod(apply)

    def _operand(self, other: Any, method: str, *, reflected: bool = False) -> Value:
        """`other` as an operand of `method`: itself if a Value, a number as a constant node,
        else the TypeError naming `method` and both operands."""
        if isinstance(other, Value):
            return other
        number = as_number(other, f"Value.{method}")
        if number is None:
            this = f"Value(data={self.data!r})"
            raise operand_error("Value", method, this, other, reflected=reflected)
        return Value(number, requires_grad=False)

    # --- reverse mode -------------------------------------------------------------------------

    def backward(self, trace: bool = False) -> list[Step] | None:
        """Set `grad` = d(self)/d(node) on every node of the graph that requires grad.

        Overwrites, so calling it twice gives the same grads. With `trace`, return the reverse pass
        step by step: node, adjoint, and (input, local derivative, partial adjoint) per edge.
        """
        return reverse_pass(self, 1.0, trace=trace)

    def zero_grad(self) -> None:
        """Set `grad` to 0.0 on every node of this graph."""
        for node in topological_order((self,)):
            node.grad = 0.0

    # --- the node protocol that the shared reverse pass reads (autodiff.Node) -------------------

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The input nodes in argument order, duplicates kept (`a + a` has two edges)."""
        x, y = self._x, self._y
        if y is not None:
            return (x, y)
        return () if x is None else (x,)

    def local_derivatives(self) -> tuple[float, ...]:
        """∂(self)/∂(input) for each input, computed once in the forward pass."""
        dx, dy = self._dx, self._dy
        if dy is not None:
            return (dx, dy)
        return () if dx is None else (dx,)

    def vjp(self, adjoint: float) -> tuple[float, ...]:
        """One partial adjoint per input: adjoint · ∂(self)/∂(input), in argument order."""
        dx, dy = self._dx, self._dy
        if dy is not None:
            return (adjoint * dx, adjoint * dy)
        return () if dx is None else (adjoint * dx,)

    @property
    def partial_adjoints(self) -> tuple[float | None, ...]:
        """After a backward: the partial adjoint this node sent along each input edge,
        grad · ∂(self)/∂(input); None for a constant input, which is sent nothing."""
        sent = self.vjp(self.grad)
        return tuple(p if x.requires_grad else None for x, p in zip(self.inputs, sent, strict=True))

    # --- micrograd's internals, for code written against them ---------------------------------

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the inputs, as a set (so `a + a` has one)."""
        return set(self.inputs)

    @property
    def _op(self) -> str:
        """micrograd's name for `op`: the symbol, "" for an input."""
        return self.op

    def _backward(self) -> None:
        """micrograd's one-node chain-rule step: add grad · ∂(self)/∂(input) to each input's grad.

        It accumulates, as micrograd's closures do, so calling it on every node in reverse
        topological order after setting the root's grad to 1 gives `backward()`'s grads.
        Constants are skipped: they receive no adjoint, as in `backward()`.
        """
        for x, partial_adjoint in zip(self.inputs, self.partial_adjoints, strict=True):
            if partial_adjoint is not None:
                x.grad += partial_adjoint

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"
