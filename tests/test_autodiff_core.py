"""The shared core (autodiff) on a tiny node class of its own, so these tests know no engine."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pytest

from autodiff import Edge, Node, Step, backward, check_grad, next_id, numeric_grad
from autodiff import topological_order as topo


class Fake:
    """The smallest thing that satisfies the node protocol: fixed local derivatives per input."""

    def __init__(
        self,
        name: str,
        inputs: tuple[Fake, ...] = (),
        local: tuple[float | None, ...] = (),
        requires_grad: bool | None = None,
    ) -> None:
        self.name = name
        self.inputs = inputs
        self.local = local
        self.id = next_id()
        self.grad: Any = None
        if requires_grad is None:  # as the engines do: computed from anything that needs grad
            requires_grad = not inputs or any(i.requires_grad for i in inputs)
        self.requires_grad = requires_grad

    def vjp(self, adjoint: float) -> tuple[float | None, ...]:
        return tuple(None if d is None else adjoint * d for d in self.local)

    @property
    def local_derivatives(self) -> tuple[float | None, ...]:
        return self.local

    def __repr__(self) -> str:
        return self.name


def names(nodes: list[Fake]) -> list[str]:
    return [n.name for n in nodes]


def design_example() -> tuple[Fake, dict[str, Fake]]:
    """docs/design.md's c = 3*a*a + 4*b*a - a at a = 2, b = 2, local derivatives as numbers."""
    a, b = Fake("a"), Fake("b")
    a3 = Fake("3a", (a,), (3.0,))
    a3a = Fake("3a·a", (a3, a), (2.0, 6.0))
    b4 = Fake("4b", (b,), (4.0,))
    b4a = Fake("4b·a", (b4, a), (2.0, 8.0))
    total = Fake("sum", (a3a, b4a), (1.0, 1.0))
    negated = Fake("-a", (a,), (-1.0,))
    c = Fake("c", (total, negated), (1.0, 1.0))
    return c, {n.name: n for n in (a, b, a3, a3a, b4, b4a, total, negated, c)}


# --- topological order ---------------------------------------------------------------------------


def test_fake_satisfies_the_protocol() -> None:
    assert isinstance(Fake("x"), Node)


def test_order_is_post_order_left_to_right() -> None:
    c, _ = design_example()
    assert names(topo([c])) == ["a", "3a", "3a·a", "b", "4b", "4b·a", "sum", "-a", "c"]


def test_each_node_once_and_after_its_inputs() -> None:
    c, _ = design_example()
    order = topo([c])
    assert len({n.id for n in order}) == len(order) == 9
    position = {n.id: k for k, n in enumerate(order)}
    for node in order:
        assert all(position[i.id] < position[node.id] for i in node.inputs)


def test_duplicate_inputs_give_one_node_and_two_edges() -> None:
    a = Fake("a")
    twice = Fake("a+a", (a, a), (1.0, 1.0))
    assert names(topo([twice])) == ["a", "a+a"]
    assert twice.inputs == (a, a)


def test_several_roots_share_nodes() -> None:
    a, b = Fake("a"), Fake("b")
    left = Fake("left", (a, b), (1.0, 1.0))
    right = Fake("right", (b, a), (1.0, 1.0))
    assert names(topo([left, right])) == ["a", "b", "left", "right"]
    assert names(topo([right, left])) == ["b", "a", "right", "left"]


def test_requiring_grad_does_not_enter_constants() -> None:
    x = Fake("x")
    k = Fake("k", requires_grad=False)
    k2 = Fake("k2", (k,), (1.0,))  # computed from constants only: a constant too
    y = Fake("y", (x, k2), (1.0, 1.0))
    assert names(topo([y])) == ["x", "k", "k2", "y"]
    assert names(topo([y], requiring_grad=True)) == ["x", "y"]
    assert topo([k2], requiring_grad=True) == []


def test_a_chain_of_200000_needs_no_recursion() -> None:
    assert sys.getrecursionlimit() < 200_000  # a recursive sort could not get through
    node = first = Fake("x")
    for _ in range(200_000):
        node = Fake("f", (node,), (1.0,))
    order = topo([node])
    assert len(order) == 200_001
    assert order[0] is first and order[-1] is node


# --- the reverse pass ----------------------------------------------------------------------------


def test_backward_sums_partial_adjoints_over_fan_out() -> None:
    # c = 3a² + 4ab − a at a = 2, b = 5: dc/da = 6a + 4b − 1 = 31, dc/db = 4a = 8. The local
    # derivatives below are those of the design example at that point.
    a, b = Fake("a"), Fake("b")
    a3 = Fake("3a", (a,), (3.0,))
    a3a = Fake("3a·a", (a3, a), (2.0, 6.0))  # d(3a·a)/d(3a) = a, d/da = 3a
    b4 = Fake("4b", (b,), (4.0,))
    b4a = Fake("4b·a", (b4, a), (2.0, 20.0))  # d/d(4b) = a, d/da = 4b
    total = Fake("sum", (a3a, b4a), (1.0, 1.0))
    c = Fake("c", (total, Fake("-a", (a,), (-1.0,))), (1.0, 1.0))
    assert backward(c, 1.0) is None
    # a's adjoint is the sum over its four uses: via 3a (2·3), 3a·a (6), 4b·a (20) and −a (−1).
    assert a.grad == 31.0
    assert b.grad == 4.0 * 2.0 == 8.0
    assert c.grad == 1.0 and total.grad == 1.0 and a3.grad == 2.0


def test_duplicate_edges_each_send_a_partial_adjoint() -> None:
    a = Fake("a")
    square = Fake("a*a", (a, a), (3.0, 3.0))  # a = 3: d(a·a) along each edge is the other factor
    backward(square, 2.0)
    assert a.grad == 12.0


def test_seed_scales_everything() -> None:
    x = Fake("x")
    y = Fake("y", (x,), (5.0,))
    backward(y, 0.5)
    assert (y.grad, x.grad) == (0.5, 2.5)


def test_constants_receive_nothing() -> None:
    x = Fake("x")
    k = Fake("k", requires_grad=False)
    k.grad = "untouched"
    y = Fake("y", (x, k), (2.0, 7.0))
    steps = backward(y, 1.0, trace=True)
    assert k.grad == "untouched"
    assert [s.node for s in steps] == [y, x]
    assert steps[0].edges == (Edge(x, 2.0, 2.0), Edge(k, 7.0, None))


def test_overwrite_semantics() -> None:
    x = Fake("x")
    y = Fake("y", (x, x), (2.0, 3.0))
    backward(y, 1.0)
    first = x.grad
    backward(y, 1.0)
    assert x.grad == first == 5.0  # not 10: the pass sets grads, it does not accumulate


def test_nodes_reached_by_no_path_keep_their_grad() -> None:
    x, z = Fake("x"), Fake("z")
    z.grad = 42.0
    y = Fake("y", (x, z), (1.0, None))  # a vjp may send None: no path to z
    backward(y, 1.0)
    assert (x.grad, z.grad) == (1.0, 42.0)


def test_trace_records_every_step_in_order() -> None:
    x1, x2 = Fake("x1"), Fake("x2")
    prod = Fake("x1*x2", (x1, x2), (5.0, 2.0))
    y = Fake("y", (prod, x1), (1.0, 1.0))
    steps = backward(y, 1.0, trace=True)
    assert all(isinstance(s, Step) for s in steps)
    assert [(s.node, s.adjoint) for s in steps] == [(y, 1.0), (prod, 1.0), (x2, 2.0), (x1, 6.0)]
    assert steps[0].edges == (Edge(prod, 1.0, 1.0), Edge(x1, 1.0, 1.0))
    assert steps[1].edges == (Edge(x1, 5.0, 5.0), Edge(x2, 2.0, 2.0))
    assert steps[2].edges == steps[3].edges == ()


def test_a_given_order_is_used() -> None:
    x = Fake("x")
    y = Fake("y", (x,), (3.0,))
    backward(y, 1.0, order=topo([y], requiring_grad=True))
    assert x.grad == 3.0


def test_backward_through_200000_nodes() -> None:
    x = node = Fake("x")
    for _ in range(200_000):
        node = Fake("f", (node,), (1.0,))
    backward(node, 1.0)
    assert x.grad == 1.0


# --- numeric differentiation ---------------------------------------------------------------------


def test_numeric_grad_on_floats() -> None:
    def f(x: float, y: float) -> float:
        return x * x * y + math.sin(y)

    gx, gy = numeric_grad(f, [1.5, -0.7])
    assert gx == pytest.approx(2 * 1.5 * -0.7, rel=1e-8)
    assert gy == pytest.approx(1.5**2 + math.cos(-0.7), rel=1e-8)
    assert isinstance(gx, float)


def test_numeric_grad_on_arrays() -> None:
    a = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    w = np.array([0.3, -0.1, 2.0])
    ga, gw = numeric_grad(lambda a, w: float(np.sum((a @ w) ** 2)), [a, w])
    r = a @ w
    assert ga.shape == a.shape and gw.shape == w.shape
    np.testing.assert_allclose(ga, 2 * np.outer(r, w), rtol=1e-6)
    np.testing.assert_allclose(gw, 2 * a.T @ r, rtol=1e-6)
    assert a[0, 1] == -2.0  # the caller's arrays are not perturbed


def test_numeric_grad_rejects_a_bad_eps() -> None:
    with pytest.raises(ValueError, match="eps must be positive"):
        numeric_grad(math.sin, [1.0], eps=0.0)


def test_check_grad_accepts_a_right_gradient() -> None:
    a = np.array([1.0, -2.0, 3.0])
    worst = check_grad(lambda a, s: float(np.sum(a**2) * s), [a, 2.0], [4 * a, 14.0])
    assert worst < 1e-6


def test_check_grad_names_the_worst_element() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    wrong = 2 * a
    wrong[1, 0] = 7.5
    with pytest.raises(AssertionError) as info:
        check_grad(lambda a: float(np.sum(a**2)), [a], [wrong], name="sum of squares")
    message = str(info.value)
    assert "check_grad(sum of squares)" in message
    assert "input 0 element (1, 0)" in message
    assert "7.5" in message and "6.0000" in message  # analytic and central difference


def test_check_grad_on_a_float_input() -> None:
    with pytest.raises(AssertionError, match=r"input 1 element \(\).*2\.5.*central difference"):
        check_grad(lambda x, y: x * y, [3.0, 4.0], [4.0, 2.5])


def test_check_grad_wants_one_gradient_per_input_of_the_same_shape() -> None:
    with pytest.raises(ValueError, match="1 gradients for 2 inputs"):
        check_grad(lambda x, y: x * y, [3.0, 4.0], [4.0])
    with pytest.raises(AssertionError, match=r"shape \(2,\), input has \(3,\)"):
        check_grad(lambda a: float(np.sum(a)), [np.ones(3)], [np.ones(2)])
