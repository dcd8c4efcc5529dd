"""The reverse pass's parts that needle does not have: what a node sends after the pass
(`partial_adjoints`), the faster rules the pass swaps in (`FASTER_GRADIENTS`), the pass state
kept in `Mode`, and the order deferred nodes are computed in."""

from __future__ import annotations

import numpy as np
import pytest

from vector import Tensor, ops
from vector.autograd import partial_adjoints
from vector.modes import Mode
from vector.ops.fused import FASTER_GRADIENTS


def _graph(rng: np.random.Generator) -> tuple[Tensor, Tensor, Tensor]:
    x = Tensor(rng.standard_normal((5, 3)), requires_grad=False)
    w = Tensor(rng.standard_normal((3, 4)))
    loss = ops.summation(ops.tanh(x @ w) * ops.exp(x @ w))
    return x, w, loss


def test_partial_adjoints_after_a_pass_are_what_the_pass_sent():
    _, _, loss = _graph(np.random.default_rng(0))
    steps = loss.backward(trace=True)
    assert steps is not None
    for step in steps:
        if not step.node.inputs:
            continue
        again = partial_adjoints(step.node)
        assert len(again) == len(step.edges)
        for edge, value in zip(step.edges, again, strict=True):
            if edge.partial_adjoint is None:
                assert value is None
            else:
                np.testing.assert_allclose(value.numpy(), edge.partial_adjoint.numpy())
                assert not value.requires_grad  # plain values: nothing recorded
    assert Mode.stand_ins is None and Mode.fused == {}  # the pass state is gone afterwards


def test_vjp_outside_a_pass_says_where_to_look():
    _, _, loss = _graph(np.random.default_rng(1))
    loss.backward()
    with pytest.raises(RuntimeError, match="partial_adjoints"):
        loss.vjp(loss.grad)


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [((4, 3), (3, 5)), ((2, 4, 3), (3, 5)), ((4, 3), (2, 3, 5)), ((2, 1, 4, 3), (3, 3, 5))],
)
def test_the_faster_matmul_rule_gives_the_textbook_rules_values(shape_a, shape_b):
    rng = np.random.default_rng(2)
    a, b = Tensor(rng.standard_normal(shape_a)), Tensor(rng.standard_normal(shape_b))
    node = ops.matmul(a, b)
    g = Tensor(rng.standard_normal(node.shape), requires_grad=False)
    faster = FASTER_GRADIENTS[ops.MatMul](g, node)
    textbook = node.op.gradient_as_tuple(g, node)
    for fast, plain, x in zip(faster, textbook, (a, b), strict=True):
        assert fast.shape == plain.shape == x.shape
        np.testing.assert_allclose(fast.numpy(), plain.numpy(), rtol=1e-12, atol=1e-12)


def test_the_pass_builds_each_2d_product_gradient_as_one_node():
    rng = np.random.default_rng(3)
    a, b = Tensor(rng.standard_normal((4, 3))), Tensor(rng.standard_normal((3, 5)))
    ops.summation(a @ b).backward()
    for grad in (a.grad, b.grad):
        assert isinstance(grad.op, ops.MatMulTransposed)  # not a matmul of a transpose node
    np.testing.assert_allclose(a.grad.numpy(), np.ones((4, 5)) @ b.numpy().T)
    np.testing.assert_allclose(b.grad.numpy(), a.numpy().T @ np.ones((4, 5)))


def test_deferred_nodes_are_computed_inputs_first_even_when_built_out_of_order():
    """A deferred gradient's inputs may be other deferred gradients made in any order of the
    graph; computing the last one computes each of them once, inputs first."""
    x = Tensor(np.array([0.3, -0.7, 1.2]))
    y = ops.exp(x) * ops.tanh(x) + ops.exp(ops.exp(x))
    y.backward(Tensor(np.ones(3), requires_grad=False))
    assert not x.grad.realized
    e = np.exp(x.numpy())
    t = np.tanh(x.numpy())
    np.testing.assert_allclose(x.grad.numpy(), e * t + e * (1 - t * t) + np.exp(e) * e)
