"""The scalar engine's graph and reverse pass: the worked examples (Baydin et al. 2018, the partial
adjoint example, micrograd's README), fan-out, overwrite semantics, constants, depth, and memory."""

from __future__ import annotations

import gc
import math
import sys
import weakref

import pytest

from autodiff import topological_order
from examples import partial_adjoint
from examples.graphs import baydin
from scalar import Value, jvp


def test_baydin_table_2_forward_mode() -> None:
    # y = ln(x₁) + x₁x₂ − sin(x₂) at (2, 5) with ẋ₁ = 1, ẋ₂ = 0, one value at a time.
    v = baydin()
    primals = {k: round(v[k].data, 3) for k in ("v1", "v2", "v3", "v4", "v5")}
    assert primals == {"v1": 0.693, "v2": 10.0, "v3": -0.959, "v4": 10.693, "v5": 11.652}
    # Tangents by dual numbers, one intermediate at a time.
    x1, x2 = (2.0, 1.0), (5.0, 0.0)
    tangent = {
        "v1": jvp(lambda a: a.log(), [x1[0]], [x1[1]])[1],
        "v2": jvp(lambda a, b: a * b, [x1[0], x2[0]], [x1[1], x2[1]])[1],
        "v3": jvp(lambda b: b.sin(), [x2[0]], [x2[1]])[1],
    }
    assert tangent == {"v1": 0.5, "v2": 5.0, "v3": 0.0}
    value, y_dot = jvp(lambda a, b: a.log() + a * b - b.sin(), [2.0, 5.0], [1.0, 0.0])
    assert round(value, 3) == 11.652
    assert y_dot == pytest.approx(5.5, abs=1e-12)


def test_baydin_table_3_reverse_mode() -> None:
    v = baydin()
    steps = v["v5"].backward(trace=True)
    adjoint = {s.node.id: s.adjoint for s in steps}
    bar = {k: adjoint[v[k].id] for k in ("v5", "v4", "v3", "v2", "v1")}
    assert bar == {"v5": 1.0, "v4": 1.0, "v3": -1.0, "v2": 1.0, "v1": 1.0}
    # What each input received, edge by edge, in the order the pass sent it.
    sent: dict[str, list[float]] = {"x1": [], "x2": []}
    for step in steps:
        for edge in step.edges:
            for name in sent:
                if edge.input is v[name]:
                    sent[name].append(edge.partial_adjoint)
    assert sent["x1"] == pytest.approx([5.0, 0.5])  # from v₂ = x₁x₂ (x₂ = 5), from v₁ = ln x₁
    assert sent["x2"] == pytest.approx([-math.cos(5.0), 2.0])  # from v₃ = sin x₂, from v₂
    assert round(sent["x2"][0], 3) == -0.284
    assert v["x1"].grad == 5.5
    assert round(v["x2"].grad, 3) == 1.716
    assert v["x2"].grad == pytest.approx(2.0 - math.cos(5.0), rel=1e-15)


def test_design_example() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    y = x1.log() + x1 * x2 - x2.sin()
    assert y.backward() is None
    assert (x1.grad, x2.grad) == (5.5, 1.7163378145367738)
    steps = y.backward(trace=True)
    assert steps[0].node is y and steps[-1].node in (x1, x2)


@pytest.mark.parametrize("x", [1.0, 0.3, -2.0])
def test_partial_adjoint_example(x: float) -> None:
    r = partial_adjoint.run(x)
    e = math.exp(x)
    assert (r.v2.data, r.v3.data, r.v4.data) == pytest.approx((e, e + 1, e * (e + 1)))
    assert r.v2_to_3 == pytest.approx(e)  # v̄₃ · ∂v₃/∂v₂ = v₂ · 1
    assert r.v2_to_4 == pytest.approx(e + 1)  # v̄₄ · ∂v₄/∂v₂ = 1 · v₃
    assert r.v2_bar == pytest.approx(2 * e + 1)
    assert r.v2_bar == r.v2_to_3 + r.v2_to_4
    assert r.v2.grad == r.v2_bar
    assert r.x_bar == pytest.approx(2 * e * e + e)


def test_partial_adjoint_report_shows_the_sum() -> None:
    text = partial_adjoint.report(1.0)
    assert "v̄₂→₃ = 2.718282" in text and "v̄₂→₄ = 3.718282" in text
    assert "v̄₂   = 6.436564 = v̄₂→₃ + v̄₂→₄" in text


def test_fan_out_sums_partial_adjoints() -> None:
    a = Value(3.0, label="a")
    left, right = a + a, a + a
    y = left + right
    steps = y.backward(trace=True)
    assert a.grad == 4.0
    assert left.inputs == (a, a) and right.inputs == (a, a)
    for node in (left, right):
        (step,) = [s for s in steps if s.node is node]
        assert [(e.input, e.local_derivative, e.partial_adjoint) for e in step.edges] == [
            (a, 1.0, 1.0),
            (a, 1.0, 1.0),
        ]
        assert node.partial_adjoints == (1.0, 1.0)
    assert [s.node for s in steps].count(a) == 1


def test_square_by_multiplication() -> None:
    a = Value(-3.0)
    y = a * a
    y.backward()
    assert y.inputs == (a, a) and y.local_derivatives == (-3.0, -3.0)
    assert a.grad == -6.0


def micrograd_readme() -> tuple[Value, Value, Value]:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograd_readme_example() -> None:
    a, b, g = micrograd_readme()
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_backward_twice_gives_the_same_grads() -> None:
    a, _, g = micrograd_readme()
    g.backward()
    nodes = topological_order((g,))
    first = [n.grad for n in nodes]
    g.backward()
    assert [n.grad for n in nodes] == first
    assert a.grad == first[nodes.index(a)]


def test_zero_grad() -> None:
    *_, g = micrograd_readme()
    g.backward()
    g.zero_grad()
    assert all(n.grad == 0.0 for n in topological_order((g,)))


def test_constants_get_no_adjoint() -> None:
    x = Value(1.5, label="x")
    y = (x * 3.0 + 2.0) * x
    steps = y.backward(trace=True)
    constants = [n for n in topological_order((y,)) if not n.requires_grad]
    assert sorted(c.data for c in constants) == [2.0, 3.0]
    assert all(c.grad == 0.0 for c in constants)
    assert not any(s.node in constants for s in steps)
    to_constants = [e for s in steps for e in s.edges if e.input in constants]
    assert len(to_constants) == 2
    assert all(e.partial_adjoint is None and e.local_derivative is not None for e in to_constants)
    assert x.grad == pytest.approx(2 * 3.0 * 1.5 + 2.0)


def test_a_graph_of_constants_only_needs_no_pass() -> None:
    k = Value(2.0, requires_grad=False)
    y = k * k + 1
    assert not y.requires_grad
    assert y.backward(trace=True) == []


def test_nodes_keep_their_derivatives_from_the_forward_pass() -> None:
    x = Value(0.5)
    y = x.sin()
    x.data = 100.0  # changing data later does not change the recorded local derivative
    y.backward()
    assert x.grad == math.cos(0.5)


def test_a_chain_of_200000_ops_at_the_default_recursion_limit() -> None:
    assert sys.getrecursionlimit() <= 1000
    x = Value(0.25)
    y = x
    for _ in range(200_000):
        y = y + 1.0
    y.backward()
    assert y.data == 200_000.25
    assert x.grad == 1.0
    del y  # freeing a deep chain must not recurse either


def test_ids_follow_creation_order() -> None:
    a = Value(1.0)
    b = a.exp()
    c = b * a
    assert a.id < b.id < c.id


def test_repr() -> None:
    x = Value(2.0)
    y = x * 2.75
    y.backward()
    assert repr(x) == "Value(data=2.0, grad=2.75)"
    assert repr(Value(1.0, label="x1")) == "Value(data=1.0, grad=0.0, label='x1')"


def test_no_reference_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        a, b, g = micrograd_readme()
        g.backward(trace=True)
        refs = [weakref.ref(n) for n in topological_order((g,))]
        assert len(refs) > 20
        del a, b, g
        alive = sum(r() is not None for r in refs)
        assert alive == 0, f"{alive} nodes survived without the cyclic collector"
    finally:
        gc.enable()
