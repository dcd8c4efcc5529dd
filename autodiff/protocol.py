"""The node protocol that `scalar.Value` and `vector.Tensor` both satisfy, and the trace records."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, Self, runtime_checkable


@runtime_checkable
class Node(Protocol):
    """A node of a computation graph, as the shared reverse pass sees it.

    - `inputs`: the input nodes in argument order, duplicates kept (`a + a` has two edges);
    - `requires_grad`: False for constants, which receive no adjoint;
    - `id`: a stable integer from `autodiff.next_id`, never `id()`;
    - `grad`: written by the reverse pass with d(root)/d(node);
    - `vjp(adjoint)`: one partial adjoint per input (None where an input needs none);
    - `local_derivatives`: the numbers d(node)/d(input) per input, or None where the local
      derivative is not a number (tensors), and None for an input whose local derivative is
      unknown (a scalar node made by a micrograd-style `_backward` closure). Only traces read it.

    The shared code only reads `inputs`, `requires_grad` and `id`, so they are read-only here.
    An input is a node of the same engine as its result (`Self`): a `Value`'s inputs are
    `Value`s. Adjoints are the engine's own kind of number (a float for `scalar`, a `Tensor` for
    `vector`); the reverse pass only adds them and hands them back, so they stay `Any` here.
    """

    @property
    def inputs(self) -> tuple[Self, ...]: ...

    @property
    def requires_grad(self) -> bool: ...

    @property
    def id(self) -> int: ...

    grad: Any

    def vjp(self, adjoint: Any) -> tuple[Any, ...]: ...

    @property
    def local_derivatives(self) -> tuple[Any, ...] | None: ...


class Edge(NamedTuple):
    """One edge of one reverse step: input i of the node, its local derivative d(node)/d(input),
    and the partial adjoint sent along it (adjoint · local derivative); None when the input is a
    constant."""

    input: Node
    local_derivative: Any
    partial_adjoint: Any


class Step(NamedTuple):
    """One step of the reverse pass: the node, its adjoint (the sum of the partial adjoints it
    received) and its edges, one per input in argument order, with what it sent along each."""

    node: Node
    adjoint: Any
    edges: tuple[Edge, ...]

    @property
    def partials(self) -> tuple[Edge, ...]:
        """The edges, under the name the first version of the design gave them."""
        return self.edges
