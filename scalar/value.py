"""`Value`: one number of a computation graph, and reverse mode over a graph of them.

This is micrograd's `engine.py` with the local derivatives in plain sight. A node keeps its
inputs, its op symbol, the table row that made it (`primitive`) and the local derivatives
∂(node)/∂(input), computed once in the forward pass from the primitive table
(`scalar/primitives.py`). micrograd keeps the same information in a `_backward` closure per
node; a closure that refers to its own node makes every node a reference cycle, which only the
cyclic garbage collector can free. Here a node refers to its inputs and to plain numbers only, so
a graph dies by reference counting the moment its root is dropped.

micrograd's way of adding an op still works: `Value(data, (x,), "exp")` makes a node whose
`_backward` closure the caller assigns. Such a *closure node* has `primitive` None although it has
inputs, and its local derivatives are unknown (None): the reverse pass learns its partial
adjoints by running the closure (see `vjp`). Its closure refers back to it, as in micrograd, so
it is the one kind of node left to the cyclic collector. `docs/adding-an-op.md` shows both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from autodiff import Step, next_id, topological_order
from autodiff import backward as reverse_pass
from scalar.operators import Arithmetic, as_number, operand_error
from scalar.primitives import PRIMITIVES, Primitive


class Closure(NamedTuple):
    """What a micrograd-style node keeps: its distinct inputs and the `_backward` closure that
    adds its adjoint times each local derivative to their `grad`."""

    inputs: tuple[Value, ...]
    backward: Callable[[], None]


def _distinct_values(children: Iterable[Value]) -> tuple[Value, ...]:
    """micrograd's `set(_children)`, in argument order: an input given twice is one input."""
    if isinstance(children, str):
        raise TypeError(
            f"Value: _children must be the input Values, got the string {children!r}; the "
            "order is Value(data, _children, _op, label), so pass a label as label=..."
        )
    inputs = tuple(dict.fromkeys(children))
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"Value: _children must be Values, got {x!r} ({type(x).__name__})")
    return inputs


def _nothing() -> None:
    """micrograd's default `_backward`: a node whose closure was never set sends nothing."""


def apply(
    prim: Primitive, x: Value, y: Value | None = None, *, exponent: float | None = None
) -> Value:
    """The node `prim(x, y)`, or `prim(x)`: its value and local derivatives, from the table.

    `exponent` is the number n of `x ** n`: part of the op (`power_scalar`), not an input of
    the graph.
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
    node = object.__new__(Value)  # `__init__` checks a user's number; the table made this one
    return node._fill(data, prim.symbol, prim, exponent, x, y, dx, dy, None, requires_grad)


class Value(Arithmetic):
    """A scalar node: `data`, `grad`, its `inputs` and `op`, and the local derivatives of `op`.

    `Value(2.0, label="x1")` makes an input. Arithmetic with Values or numbers makes new nodes;
    numbers become constant nodes (`requires_grad=False`) that receive no adjoint. `backward()`
    sets `grad` on every node of the graph to d(self)/d(node), overwriting what was there.
    `Value(data, _children, _op)` is micrograd's constructor, for code that adds its own ops.
    """

    # Slots, so that a node is one small object. `__dict__` still lets user code keep its own
    # attributes on a node, as micrograd's optimizers do (`p.m = 0.0`). The inputs and the local
    # derivatives sit in two slots each rather than in tuples: a tuple is one more object per
    # node for the garbage collector to scan (docs/measured.md says what that costs).
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_closure",
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
        "primitive",
        "requires_grad",
    )

    # numpy scalars and arrays defer to our reflected operators: np.float64(2) * v is a Value.
    __array_ufunc__ = None

    data: float
    grad: float
    label: str
    op: str  # the op's symbol, "" for an input; a closure node's `_op`
    primitive: Primitive | None  # the table row that made this node; None for an input or a closure
    exponent: float | None  # the n of `x ** n`, a parameter of the op; else None
    # The inputs x and y (y is None for a one-input op, both for an input of the graph and for a
    # closure node) and the local derivatives ∂(self)/∂x and ∂(self)/∂y, from the forward pass.
    _x: Value | None
    _y: Value | None
    _dx: float | None
    _dy: float | None
    _closure: Closure | None  # a micrograd-style node's inputs and `_backward`; else None
    requires_grad: bool
    id: int

    def __init__(
        self,
        data: Any,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
        *,
        requires_grad: bool = True,
    ) -> None:
        number = as_number(data, "Value")
        if number is None:
            raise TypeError(f"Value: data must be a number, got {data!r} ({type(data).__name__})")
        closure = None
        if _children:  # micrograd's way of making an op's node: its closure comes next
            closure = Closure(_distinct_values(_children), _nothing)
            requires_grad = requires_grad and any(x.requires_grad for x in closure.inputs)
        self._fill(number, str(_op), None, None, None, None, None, None, closure, requires_grad)
        self.label = label

    def _fill(
        self,
        data: float,
        op: str,
        primitive: Primitive | None,
        exponent: float | None,
        x: Value | None,
        y: Value | None,
        dx: float | None,
        dy: float | None,
        closure: Closure | None,
        requires_grad: bool,
    ) -> Value:
        """Set every field of this node, with grad 0.0, no label and a new id; return it.

        The one place that lists a node's fields: `__init__`, `apply` and `+`/`*` all come here.
        """
        self.data = data
        self.grad = 0.0
        self.label = ""
        self.op = op
        self.primitive = primitive
        self.exponent = exponent
        self._x, self._y, self._dx, self._dy = x, y, dx, dy
        self._closure = closure
        self.requires_grad = requires_grad
        self.id = next_id()
        return self

    # --- arithmetic: each operator applies one primitive of the table ---------------------------

    # --- speed: + and * skip `apply` ---------------------------------------------------------
    # + and * are nearly every node of a network. They cannot fail a domain check and always
    # have two inputs, so they skip `apply`'s branches and fill the node directly; the rest of
    # the work is the table's own rules. docs/measured.md says what this buys, measured on
    # `bench/scalar.py`'s moons step against the same two operators going through `apply`.
    def __add__(self, other: Any) -> Value:
        if type(other) is not Value:  # cheaper than isinstance; `_operand` passes subclasses
            other = self._operand(other, "__add__")
        a, b = self.data, other.data
        data = _add(a, b)
        dx, dy = _add_local(a, b, data)
        requires_grad = self.requires_grad or other.requires_grad
        return object.__new__(Value)._fill(
            data, "+", _ADD, None, self, other, dx, dy, None, requires_grad
        )

    def __mul__(self, other: Any) -> Value:
        if type(other) is not Value:
            other = self._operand(other, "__mul__")
        a, b = self.data, other.data
        data = _multiply(a, b)
        dx, dy = _multiply_local(a, b, data)
        requires_grad = self.requires_grad or other.requires_grad
        return object.__new__(Value)._fill(
            data, "*", _MULTIPLY, None, self, other, dx, dy, None, requires_grad
        )

    # --- end of speed ------------------------------------------------------------------------

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
        # A constant node, made without `__init__`, which would check the number again.
        constant = object.__new__(Value)
        return constant._fill(number, "", None, None, None, None, None, None, None, False)

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
        """The input nodes in argument order, duplicates kept (`a + a` has two edges); a
        closure node's are distinct, as micrograd's `_prev` is a set."""
        x, y = self._x, self._y
        if y is not None:
            return (x, y)  # type: ignore[return-value]  # y set means x set
        if x is not None:
            return (x,)
        return () if self._closure is None else self._closure.inputs

    @property
    def local_derivatives(self) -> tuple[float | None, ...]:
        """∂(self)/∂(input) for each input, computed once in the forward pass; None for each
        input of a closure node, whose local derivatives only its closure knows."""
        dx, dy = self._dx, self._dy
        if dy is not None:
            return (dx, dy)
        if dx is not None:
            return (dx,)
        return () if self._closure is None else (None,) * len(self._closure.inputs)

    def vjp(self, adjoint: float) -> tuple[float, ...]:
        """One partial adjoint per input: adjoint · ∂(self)/∂(input), in argument order."""
        dx, dy = self._dx, self._dy
        if dy is not None:
            return (adjoint * dx, adjoint * dy)  # type: ignore[operator]  # dy set means dx set
        if dx is not None:
            return (adjoint * dx,)
        return () if self._closure is None else self._run_closure(adjoint)

    def _run_closure(self, adjoint: float) -> tuple[float, ...]:
        """A closure node's partial adjoints: what its closure adds to each input's grad when
        this node's grad is `adjoint`. The closure writes into the inputs' `grad` (it holds the
        nodes themselves), so it runs against scratch grads of 0.0 that are read back; then the
        inputs' grads and this node's are put back as they were, even if the closure fails.
        """
        assert self._closure is not None  # only closure nodes come here
        inputs, closure = self._closure
        saved = [x.grad for x in inputs]
        own = self.grad
        try:
            for x in inputs:
                x.grad = 0.0
            self.grad = adjoint
            closure()
            return tuple(x.grad for x in inputs)
        finally:
            for x, grad in zip(inputs, saved, strict=True):
                x.grad = grad
            self.grad = own

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

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's one-node chain-rule step, to call: a closure node's own closure, else a
        step that adds grad · ∂(self)/∂(input) to each input's grad.

        It accumulates, as micrograd's closures do, so calling it on every node in reverse
        topological order after setting the root's grad to 1 gives `backward()`'s grads.
        Constants are skipped: they receive no adjoint, as in `backward()`.
        """
        return self._chain_rule_step if self._closure is None else self._closure.backward

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        # micrograd-style code assigns the closure after making the node: `out._backward = f`.
        # From then on `f` decides what this node sends to its inputs, as in micrograd.
        inputs = _distinct_values(self.inputs)
        if not inputs:
            raise TypeError(
                "Value._backward: this node has no inputs to send an adjoint to; make the node "
                "with its inputs, Value(data, (x, ...), op), before assigning its _backward"
            )
        if not callable(closure):
            raise TypeError(
                f"Value._backward: expected a function of no arguments, got {closure!r}"
            )
        self.primitive = None
        self._x = self._y = self._dx = self._dy = None
        self._closure = Closure(inputs, closure)

    def _chain_rule_step(self) -> None:
        for x, partial_adjoint in zip(self.inputs, self.partial_adjoints, strict=True):
            if partial_adjoint is not None:
                x.grad += partial_adjoint

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


# The table's rows and rules for + and *, bound once for the two operators that skip `apply`.
_ADD, _MULTIPLY = PRIMITIVES["add"], PRIMITIVES["multiply"]
_add, _add_local = _ADD.value, _ADD.local_derivatives
_multiply, _multiply_local = _MULTIPLY.value, _MULTIPLY.local_derivatives
