"""Code in the style of micrograd's lecture, run on adjoint: `python -m examples.micrograd_lecture`.

The lecture builds a small neuron by hand, draws its graph from the nodes' internals, fills in the
grads one `_backward()` call at a time, then automates that with a topological sort, and finally
trains a network. Every step below touches only what micrograd's `Value` offers (`data`, `grad`,
`label`, `_prev`, `_op`, `_backward()`, attributes of one's own), so the same lines run on
micrograd's `Value` too (tests/test_micrograd_internals.py runs them on both).

On adjoint, `_backward()` reads the local derivatives the node stored in the forward pass, where
micrograd's node calls a closure. One difference shows: `backward()` here overwrites the grads,
while micrograd's adds to them. The training loop below still calls `zero_grad()`, which micrograd
needs and adjoint does not mind.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from scalar import Value
from scalar.nn import MLP

if TYPE_CHECKING:
    import graphviz


# --- (a) looking at a graph through `_prev` and `_op` ---------------------------------------------


def trace(root: Any) -> tuple[set[Any], set[tuple[Any, Any]]]:
    """Every node that `root` depends on, and every edge (input, node) between them.

    Walks `_prev` from the root; a node reached twice is expanded once.
    """
    nodes: set[Any] = set()
    edges: set[tuple[Any, Any]] = set()

    def visit(node: Any) -> None:
        if node in nodes:
            return
        nodes.add(node)
        for child in node._prev:
            edges.add((child, node))
            visit(child)

    visit(root)
    return nodes, edges


def draw_dot(root: Any, rankdir: str = "LR") -> graphviz.Digraph:
    """The graph of `root` as a `graphviz.Digraph`, drawn from micrograd's internals only.

    Each node is a record box `label | data | grad`; each node made by an op gets a small oval
    holding its `_op`, wired input → oval → node. Nothing is written to disk: call `.render()` or
    `.pipe()` on the result for a picture.

    Nodes are named by Python's `id()`, the only identity a micrograd `Value` has, so the source
    text changes from run to run (`viz.draw` draws adjoint's graphs with stable names).
    """
    import graphviz  # here rather than at the top: the rest of the example runs without it

    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": rankdir})
    nodes, edges = trace(root)
    for node in nodes:
        name = str(id(node))
        box = f"{{ {node.label} | data {node.data:.4f} | grad {node.grad:.4f} }}"
        dot.node(name, label=box, shape="record")
        if node._op:
            dot.node(name + node._op, label=node._op)
            dot.edge(name + node._op, name)
    for child, node in edges:
        dot.edge(str(id(child)), str(id(node)) + node._op)
    return dot


# --- (b) the neuron, and its grads filled in one node at a time -----------------------------------


class NeuronNodes(NamedTuple):
    """The named nodes of the lecture's neuron o = tanh(x1·w1 + x2·w2 + b)."""

    x1: Any
    x2: Any
    w1: Any
    w2: Any
    b: Any
    x1w1: Any
    x2w2: Any
    x1w1x2w2: Any
    n: Any
    o: Any


BIAS = 6.8813735870195432
"""The lecture's bias: it makes n = 0.8813735870195432 = artanh(1/√2), so o = 1/√2 and o′ = 1/2."""


def build_neuron(tanh_via_exp: bool = False) -> NeuronNodes:
    """The neuron at x1 = 2, x2 = 0, w1 = −3, w2 = 1, with every node labelled as in the lecture.

    With `tanh_via_exp`, tanh is spelled out as o = (e − 1)/(e + 1) with e = exp(2n): a longer graph
    for the same function, so the same grads.
    """
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(BIAS, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    if tanh_via_exp:
        e = (2 * n).exp()
        e.label = "e"
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.label = "o"
    return NeuronNodes(x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o)


def backward_node_by_node() -> NeuronNodes:
    """The tanh neuron with its grads filled in as the lecture does before automating it: seed the
    output, then one `_backward()` per node, each after every node that uses it."""
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o = build_neuron()
    o.grad = 1.0
    o._backward()  # n.grad = 1 − o² = 0.5
    n._backward()  # a sum hands its grad to both inputs: x1w1x2w2.grad = b.grad = 0.5
    b._backward()  # a leaf: nothing to hand on
    x1w1x2w2._backward()  # x1w1.grad = x2w2.grad = 0.5
    x2w2._backward()  # x2.grad = w2 · 0.5 = 0.5, w2.grad = x2 · 0.5 = 0
    x1w1._backward()  # x1.grad = w1 · 0.5 = −1.5, w1.grad = x1 · 0.5 = 1
    return NeuronNodes(x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o)


def input_grads(nodes: NeuronNodes) -> dict[str, float]:
    """The grads of the neuron's four inputs, by label."""
    return {v.label: v.grad for v in (nodes.x1, nodes.w1, nodes.x2, nodes.w2)}


# --- (c) the same, automated: a topological sort over `_prev` -------------------------------------


def build_topo(root: Any) -> list[Any]:
    """The lecture's topological sort: depth first over `_prev`, a node placed after its inputs.

    Recursive, so a deep chain meets Python's recursion limit; `autodiff.topological_order`, which
    adjoint's `backward()` uses, is the iterative version.
    """
    order: list[Any] = []
    seen: set[Any] = set()

    def place(node: Any) -> None:
        if node in seen:
            return
        seen.add(node)
        for child in node._prev:
            place(child)
        order.append(node)

    place(root)
    return order


def backward_by_topo(root: Any) -> None:
    """Seed the root's grad with 1, then call `_backward()` on every node, root first.

    Like micrograd's own `backward()`, it adds to the grads already there: run it on a fresh graph.
    """
    root.grad = 1.0
    for node in reversed(build_topo(root)):
        node._backward()


# --- (d) an optimizer that keeps its state on the parameters --------------------------------------


class MomentumSGD:
    """SGD with momentum: u ← μ·u + g, then θ ← θ − lr·u, with u kept as `p.velocity` on each
    parameter itself, as optimizers written for micrograd keep their state."""

    def __init__(self, params: Iterable[Any], lr: float = 0.005, momentum: float = 0.8) -> None:
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        for p in self.params:
            p.velocity = 0.0

    def step(self) -> None:
        for p in self.params:
            p.velocity = self.momentum * p.velocity + p.grad
            p.data -= self.lr * p.velocity


# Four points in three dimensions and their targets, the lecture's tiny dataset.
XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def train_with_momentum(
    steps: int = 30, lr: float = 0.005, momentum: float = 0.8, seed: int = 2
) -> list[float]:
    """Fit `MLP(3, [4, 4, 1])` to the tiny dataset by squared error; the loss before each step.

    With these defaults the loss falls from 39.0 to under 0.01; without momentum (`momentum=0`)
    the same 30 steps end above 1.
    """
    random.seed(seed)
    model = MLP(3, [4, 4, 1])
    optimizer = MomentumSGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for _ in range(steps):
        predictions = [model(x) for x in XS]
        loss = sum((p - y) ** 2 for p, y in zip(predictions, YS, strict=True))
        model.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return losses


def _grads_line(grads: dict[str, float]) -> str:
    return "  ".join(f"{name}.grad = {g:+.4f}" for name, g in grads.items())


def main() -> None:
    by_hand = backward_node_by_node()
    via_exp = build_neuron(tanh_via_exp=True)
    backward_by_topo(via_exp.o)
    by_topo = build_neuron()
    backward_by_topo(by_topo.o)
    by_engine = build_neuron()
    by_engine.o.backward()
    print("The lecture's neuron, o = tanh(x1·w1 + x2·w2 + b)")
    print(f"  o = {by_hand.o.data:.4f}")
    for how, nodes in (
        ("_backward() node by node", by_hand),
        ("_backward() in reversed(build_topo(o))", by_topo),
        ("tanh spelled with exp, same sort", via_exp),
        ("o.backward()", by_engine),
    ):
        print(f"  {how:<40} {_grads_line(input_grads(nodes))}")
    nodes, edges = trace(by_hand.o)
    ops = sum(1 for v in nodes if v._op)
    print(
        f"draw_dot(o): {len(nodes)} value boxes, {ops} op ovals, {len(edges)} edges "
        "(call .render() on it for a picture)"
    )
    losses = train_with_momentum()
    print(
        f"MLP(3, [4, 4, 1]) trained by SGD with momentum, its velocities kept as p.velocity: "
        f"squared error {losses[0]:.4f} → {losses[-1]:.4f} in {len(losses)} steps"
    )


if __name__ == "__main__":
    main()
