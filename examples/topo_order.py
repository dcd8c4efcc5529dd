"""Why a topological order? Because a node's adjoint is a sum, and it is complete only once every
consumer of the node has sent its partial adjoint.

A reverse pass that pushes a grad on the moment it arrives sends an incomplete sum down the graph,
and sends it again when the rest arrives. Two graphs show it, each with a node used twice:

    (a) b = a + a, c = b · b at a = 3               c = 4a², dc/da = 8a = 24
    (b) v₂ = exp(v₁), v₃ = v₂ + 1, v₄ = v₂ · v₃    dv₄/dv₁ = 2e²ˣ + eˣ at v₁ = x = 1
        (`examples.partial_adjoint`'s graph)

For each, the naive pass below and `backward()`, which walks a topological order, give the input's
grad; then `backward()` twice next to micrograd's backward twice, which adds into grads that
nothing zeroes. Run it with `python -m examples.topo_order`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autodiff import topological_order
from scalar import Value


def naive_backward(root: Value) -> list[tuple[Value, float]]:
    """The reverse pass without an order: depth-first from the root, each node pushes its grad
    along every edge and goes straight on into the input, before that input has heard from its
    other consumers. Returns (node, its grad then) for every push of a node with inputs.

    Grads must start at 0.0 (a freshly built graph)."""
    pushes: list[tuple[Value, float]] = []

    def push(node: Value) -> None:
        if node.inputs:
            pushes.append((node, node.grad))
        for inp, local in zip(node.inputs, node.local_derivatives, strict=True):
            if inp.requires_grad:
                inp.grad += node.grad * local
                push(inp)

    root.grad = 1.0
    push(root)
    return pushes


def micrograd_backward(root: Value) -> None:
    """micrograd's backward: the root's grad set to 1, then, in reverse topological order, every
    node adds grad · local derivative into its inputs' grads (`_backward()`, micrograd's
    one-node step). Nothing sets them to 0 first."""
    root.grad = 1.0
    for node in reversed(topological_order((root,))):
        node._backward()


def squared_sum(a: Value) -> dict[str, Value]:
    """b = a + a, c = b · b: c uses b twice, and b uses a twice."""
    b = a + a
    c = b * b
    b.label, c.label = "b", "c"
    return {"a": a, "b": b, "c": c}


def exp_used_twice(v1: Value) -> dict[str, Value]:
    """v₂ = exp(v₁), v₃ = v₂ + 1, v₄ = v₂ · v₃: v₄ uses v₂ directly and through v₃ (the graph of
    `examples.partial_adjoint`, built here over a given v₁)."""
    v2 = v1.exp()
    v3 = v2 + 1
    v4 = v2 * v3
    v2.label, v3.label, v4.label = "v2", "v3", "v4"
    return {"v1": v1, "v2": v2, "v3": v3, "v4": v4}


@dataclass(frozen=True)
class Example:
    """A graph, built afresh over a new input for every pass, and the nodes to look at."""

    title: str
    forward: Callable[[Value], dict[str, Value]]
    at: float
    """The input's value."""
    root: str
    input: str
    shared: str
    """The node used twice, whose grad the naive pass pushes on too early."""

    def build(self) -> dict[str, Value]:
        return self.forward(Value(self.at, label=self.input))


EXAMPLES = (
    Example("(a) b = a + a, c = b · b at a = 3", squared_sum, 3.0, root="c", input="a", shared="b"),
    Example(
        "(b) v₂ = exp(v₁), v₃ = v₂ + 1, v₄ = v₂ · v₃ at v₁ = 1 (examples/partial_adjoint.py)",
        exp_used_twice,
        1.0,
        root="v4",
        input="v1",
        shared="v2",
    ),
)


@dataclass(frozen=True)
class Grads:
    """The input's grad from each pass over one example."""

    example: Example
    naive: float
    real: float
    """After `root.backward()`."""
    shared_pushes: tuple[float, ...]
    """The shared node's grad each time the naive pass pushed it on."""
    adjoint_twice: float
    """After `root.backward()` called twice on the same graph."""
    micrograd_once: float
    """After micrograd's backward called once: `real` again."""
    micrograd_twice: float
    """After micrograd's backward called twice on the same graph."""
    micrograd_twice_shared: float
    """The shared node's grad after those two calls."""
    micrograd_new_graph: float
    """After micrograd's backward on the graph, then on a second graph built over the same
    input (a training step that forgot `zero_grad()`)."""

    @property
    def error(self) -> float:
        return self.naive - self.real

    @property
    def factor(self) -> float:
        return self.naive / self.real


def run(example: Example) -> Grads:
    """Every pass on a freshly built graph, so that none sees another's grads."""
    v = example.build()
    pushes = naive_backward(v[example.root])
    naive = v[example.input].grad
    shared = tuple(grad for node, grad in pushes if node is v[example.shared])

    v = example.build()
    v[example.root].backward()
    real = v[example.input].grad
    v[example.root].backward()
    adjoint_twice = v[example.input].grad

    v = example.build()
    micrograd_backward(v[example.root])
    micrograd_once = v[example.input].grad
    micrograd_backward(v[example.root])
    micrograd_twice = v[example.input].grad
    micrograd_twice_shared = v[example.shared].grad

    v = example.build()
    micrograd_backward(v[example.root])
    micrograd_backward(example.forward(v[example.input])[example.root])
    micrograd_new_graph = v[example.input].grad

    return Grads(
        example,
        naive,
        real,
        shared,
        adjoint_twice,
        micrograd_once,
        micrograd_twice,
        micrograd_twice_shared,
        micrograd_new_graph,
    )


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return "\n".join(
        "    "
        + "   ".join(
            cell.ljust(w) if k == 0 else cell.rjust(w)
            for k, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def describe(g: Grads) -> str:
    """One example as text: naive against real, why, then twice in adjoint and in micrograd."""
    e = g.example
    x, s = e.input, e.shared
    first, *_, last = g.shared_pushes
    naive_rows = [
        ["input", "naive", "backward()", "naive − real", "naive / real"],
        [x, f"{g.naive:.6g}", f"{g.real:.6g}", f"{g.error:+.6g}", f"{g.factor:.4g}×"],
    ]
    twice_rows = [
        ["backward() calls on one graph", "1", "2", ""],
        ["adjoint (sets grads)", f"{g.real:.6g}", f"{g.adjoint_twice:.6g}", ""],
        [
            "micrograd (adds to grads)",
            f"{g.micrograd_once:.6g}",
            f"{g.micrograd_twice:.6g}",
            f"({g.micrograd_twice / g.micrograd_once:.4g}×)",
        ],
    ]
    return "\n".join(
        [
            e.title,
            "",
            _table(naive_rows),
            "",
            f"why: {s} pushed its grad on at {first:.6g}, before all its consumers had reported; "
            f"when the rest\narrived it pushed its whole adjoint, {last:.6g}, again: {x} got "
            f"{g.error:.6g} too much.",
            "",
            f"{x}.grad:",
            _table(twice_rows),
            f"micrograd's second call adds into grads that still hold the first call's numbers, "
            f"{s}'s\ntoo: {s}.grad becomes {g.micrograd_twice_shared:.6g}, and {s} pushes all of "
            f"it on to {x}. Over a second graph\nbuilt on the same {x} (a training step "
            f"without zero_grad()), {x}.grad exactly doubles: "
            f"{g.micrograd_new_graph:.6g}.",
        ]
    )


def run_all() -> tuple[Grads, ...]:
    """The numbers of both examples, (a) then (b)."""
    return tuple(run(e) for e in EXAMPLES)


def report() -> str:
    """The whole example as text."""
    intro = (
        "A node's adjoint is the sum of the partial adjoints all its consumers send it, so the\n"
        "reverse pass may send it on only once every consumer has reported. Walking a topological\n"
        "order backwards guarantees that. A naive pass does not: depth-first from the root, each\n"
        "node pushes its grad to its inputs the moment it is reached."
    )
    return "\n\n\n".join([intro, *(describe(g) for g in run_all())])


def main() -> None:
    print(report())


if __name__ == "__main__":
    main()
