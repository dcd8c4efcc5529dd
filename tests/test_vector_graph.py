"""The vector engine's graph: topological order, gradient semantics, higher-order gradients,
recording switches, traces, Jacobians, deep graphs and lazy gradients."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from vector_helpers import one_hot, two_layer_grads

import vector
from autodiff import Step, numeric_grad
from vector import Tensor, ops


def _is_scalar_op(node: Tensor, cls: type, scalar: float) -> bool:
    return isinstance(node.op, cls) and node.op.scalar == scalar


# --------------------------------------------------------------------------- topological order
def test_topological_order_of_the_note_example():
    a, b = Tensor([2.0]), Tensor([5.0])
    c = 3 * a * a + 4 * b * a - a
    order = vector.find_topo_sort([c])
    assert len(order) == 9
    a_, m3, m3a, b_, m4, m4a, total, negated, c_ = order
    assert a_ is a and b_ is b and c_ is c
    assert _is_scalar_op(m3, ops.MulScalar, 3) and m3.inputs == (a,)
    assert isinstance(m3a.op, ops.EWiseMul) and m3a.inputs[0] is m3 and m3a.inputs[1] is a
    assert _is_scalar_op(m4, ops.MulScalar, 4) and m4.inputs == (b,)
    assert isinstance(m4a.op, ops.EWiseMul) and m4a.inputs[0] is m4 and m4a.inputs[1] is a
    assert isinstance(total.op, ops.EWiseAdd) and total.inputs[0] is m3a
    assert total.inputs[1] is m4a
    assert isinstance(negated.op, ops.Negate) and negated.inputs == (a,)
    assert isinstance(c.op, ops.EWiseAdd) and c.inputs[0] is total and c.inputs[1] is negated
    c.backward()
    np.testing.assert_allclose(a.grad.numpy(), [6 * 2.0 + 4 * 5.0 - 1])
    np.testing.assert_allclose(b.grad.numpy(), [4 * 2.0])


def test_topological_order_visits_shared_nodes_once_and_inputs_first():
    x = Tensor(np.ones(3))
    h = ops.exp(x)
    y = h * h + h
    order = vector.find_topo_sort([y])
    assert [n.id for n in order].count(h.id) == 1
    position = {n.id: k for k, n in enumerate(order)}
    for node in order:
        for inp in node.inputs:
            assert position[inp.id] < position[node.id]


# ------------------------------------------------------------------------------- higher order
def test_second_derivative_of_x2_squared_plus_x2_x3():
    x2, x3 = Tensor([6.0]), Tensor([0.0])
    y = x2 * x2 + x2 * x3
    y.backward()
    np.testing.assert_array_equal(x2.grad.numpy(), [12.0])
    np.testing.assert_array_equal(x3.grad.numpy(), [6.0])
    g = x2.grad
    g.backward()
    np.testing.assert_array_equal(x2.grad.numpy(), [2.0])
    np.testing.assert_array_equal(x3.grad.numpy(), [1.0])


@pytest.mark.parametrize(
    ("f", "third"),
    [
        (lambda x: x * x * x, lambda a: np.full_like(a, 6.0)),  # d³(x³)/dx³ = 6
        (lambda x: ops.exp(x * 2), lambda a: 8 * np.exp(2 * a)),  # d³(e^{2x})/dx³ = 8 e^{2x}
    ],
    ids=["cube", "exp2x"],
)
def test_third_derivative_by_repeated_backward(f, third):
    x = Tensor(np.array([0.7]))
    f(x).backward()
    x.grad.backward()
    x.grad.backward()
    np.testing.assert_allclose(x.grad.numpy(), third(x.numpy()), rtol=1e-12)


def _mlp_loss(params: list[Tensor], x: Tensor, y: Tensor) -> Tensor:
    w1, b1, w2 = params
    hidden = ops.tanh(x @ w1 + ops.broadcast_to(b1, (x.shape[0], w1.shape[1])))
    return ops.softmax_loss(hidden @ w2, y)


def test_hessian_vector_product_of_an_mlp_loss_matches_central_differences():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((6, 4)), requires_grad=False)
    y = Tensor(one_hot(rng.integers(0, 3, 6), 3), requires_grad=False)
    values = [rng.standard_normal((4, 5)), rng.standard_normal((1, 5)), rng.standard_normal((5, 3))]
    vs = [rng.standard_normal(v.shape) for v in values]

    params = [Tensor(v) for v in values]
    _mlp_loss(params, x, y).backward()
    grads = [p.grad for p in params]
    gv = sum(((g * Tensor(v)).sum() for g, v in zip(grads, vs, strict=True)), Tensor(0.0))
    gv.backward()
    hv = [p.grad.numpy() for p in params]

    def gradient(points: list[np.ndarray]) -> list[np.ndarray]:
        ps = [Tensor(p) for p in points]
        _mlp_loss(ps, x, y).backward(create_graph=False)
        return [p.grad.numpy() for p in ps]

    eps = 1e-5
    up = gradient([p + eps * v for p, v in zip(values, vs, strict=True)])
    down = gradient([p - eps * v for p, v in zip(values, vs, strict=True)])
    for got, u, d in zip(hv, up, down, strict=True):
        np.testing.assert_allclose(got, (u - d) / (2 * eps), rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------- recording switches
def test_backward_without_create_graph_records_nothing():
    x = Tensor(np.array([0.5, 1.5]))
    w = Tensor(np.array([2.0, -1.0]))
    loss = (ops.exp(x * w) * x).sum()
    loss.backward(create_graph=False)
    for t in (x, w):
        assert not t.grad.requires_grad
        t.grad.numpy()
        assert t.grad.is_leaf() and t.grad.inputs == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        x.grad.backward()
    expected = np.exp(x.numpy() * w.numpy()) * (1 + x.numpy() * w.numpy())
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_backward_with_create_graph_records_the_gradient():
    x = Tensor(np.array([0.5, 1.5]))
    (ops.exp(x) * x).sum().backward()
    assert x.grad.requires_grad and not x.grad.is_leaf()


def test_no_grad_builds_no_graph():
    x = Tensor(np.array([[1.0, 2.0]]))
    with vector.no_grad():
        y = ops.exp(x * x + 1) @ Tensor(np.ones((2, 1)))
        z = (y - 3).sum()
    for t in (y, z):
        assert not t.requires_grad and t.op is None and t.inputs == ()
    np.testing.assert_allclose(z.numpy(), np.exp(np.array([2.0, 5.0])).sum() - 3)
    assert vector.autograd.is_grad_enabled()
    assert x.grad is None
    w = x * x  # recording is back on after the block
    assert w.requires_grad and w.inputs == (x, x)


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(KeyError), vector.no_grad():
        raise KeyError("boom")
    assert (Tensor([1.0]) * 2).requires_grad


def test_backward_under_no_grad_records_nothing():
    x = Tensor(np.array([1.0, 2.0]))
    y = (x * x * x).sum()
    with vector.no_grad():
        y.backward()
    assert not x.grad.requires_grad
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.numpy() ** 2)
    assert x.grad.is_leaf()


# ------------------------------------------------------------------------ gradient semantics
def test_backward_twice_gives_the_same_grads():
    x = Tensor(np.array([0.3, -0.2]))
    w = Tensor(np.array([1.5, 2.0]))
    y = ops.tanh(x * w).sum()
    y.backward()
    first = x.grad.numpy().copy(), w.grad.numpy().copy()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), first[0])
    np.testing.assert_array_equal(w.grad.numpy(), first[1])


def test_backward_overwrites_rather_than_accumulates_across_graphs():
    x = Tensor(np.array([2.0]))
    (x * 3).backward()
    (x * 5).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0])


def test_nodes_reached_by_no_path_keep_their_old_grad():
    x, z = Tensor(np.array([2.0])), Tensor(np.array([3.0]))
    (x * z).backward()
    old = z.grad
    np.testing.assert_array_equal(old.numpy(), [2.0])
    (x * x).backward()
    assert z.grad is old
    np.testing.assert_array_equal(x.grad.numpy(), [4.0])
    # a constant in the graph is reached by no gradient: it keeps None
    c = Tensor(np.array([1.0]), requires_grad=False)
    (x * c).backward()
    assert c.grad is None


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = Tensor(np.array([1.5, -2.0]))
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.numpy())


def test_intermediate_nodes_get_their_grads_too():
    x = Tensor(np.array([1.0, 2.0]))
    h = x * 3
    y = (h * h).sum()
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(y.grad.numpy(), 1.0)


# -------------------------------------------------------------------------------------- trace
def test_trace_returns_one_step_per_node_with_partial_adjoints_in_argument_order():
    a = Tensor(np.array([2.0]))
    b = Tensor(np.array([5.0]))
    c = 3 * a * a + 4 * b * a - a
    assert c.backward() is None
    steps = c.backward(trace=True)
    order = vector.find_topo_sort([c])
    assert all(isinstance(s, Step) for s in steps)
    assert [s.node for s in steps] == list(reversed(order))
    for step in steps:
        assert len(step.edges) == len(step.node.inputs)
        for edge, inp in zip(step.edges, step.node.inputs, strict=True):
            assert edge.input is inp
            assert edge.local_derivative is None
        np.testing.assert_array_equal(step.adjoint.numpy(), step.node.grad.numpy())
    by_node = {s.node.id: s for s in steps}
    m3a = order[2]  # (3a)·a: partial adjoints ȳ·a to 3a and ȳ·3a to a, in that order
    (to_3a, to_a) = by_node[m3a.id].edges
    np.testing.assert_array_equal(to_3a.partial_adjoint.numpy(), [2.0])
    np.testing.assert_array_equal(to_a.partial_adjoint.numpy(), [6.0])
    negated = order[7]
    np.testing.assert_array_equal(by_node[negated.id].edges[0].partial_adjoint.numpy(), [-1.0])
    leaves = [s for s in steps if s.node.is_leaf()]
    assert [s.edges for s in leaves] == [(), ()]


def test_trace_marks_constant_inputs_with_no_partial_adjoint():
    x = Tensor(np.array([1.0, 2.0]))
    k = Tensor(np.array([3.0, 4.0]), requires_grad=False)
    steps = (x * k).sum().backward(trace=True)
    mul = next(s for s in steps if isinstance(s.node.op, ops.EWiseMul))
    to_x, to_k = mul.edges
    assert to_x.input is x and to_k.input is k
    np.testing.assert_array_equal(to_x.partial_adjoint.numpy(), [3.0, 4.0])
    assert to_k.partial_adjoint is None
    assert k not in [s.node for s in steps]


# ---------------------------------------------------------------------------------- jacobians
def _f(x: Tensor) -> Tensor:
    """R^3 → R^4: exp(x_i · A_ij) summed over i, plus a tanh of the sum."""
    a = Tensor(np.array([[0.5, -1.0, 0.3, 2.0], [1.0, 0.2, -0.7, 0.1], [-0.4, 0.9, 0.6, -1.2]]))
    col = ops.broadcast_to(ops.reshape(x, (3, 1)), (3, 4))
    return ops.summation(ops.exp(col * a), axes=0) + ops.broadcast_to(ops.tanh(x.sum()), (4,))


def test_jacobians_forward_reverse_and_numeric_agree():
    x = np.array([0.3, -0.5, 0.8])
    forward = vector.jacobian_fwd(_f, x)
    reverse = vector.jacobian_rev(_f, x)
    assert forward.shape == reverse.shape == (4, 3)
    numeric = np.stack(
        [numeric_grad(lambda p, i=i: _f(Tensor(p)).numpy()[i], [x])[0] for i in range(4)]
    )
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(forward, numeric, rtol=1e-7, atol=1e-9)


def test_jacobians_of_matrix_input_and_output_have_the_stacked_shape():
    w = Tensor(np.random.default_rng(1).standard_normal((3, 2)))

    def g(x: Tensor) -> Tensor:
        return ops.tanh(x @ w)

    x = np.random.default_rng(2).standard_normal((2, 3))
    forward = vector.jacobian_fwd(g, x)
    reverse = vector.jacobian_rev(g, x)
    assert forward.shape == reverse.shape == (2, 2, 2, 3)
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-14)


def test_jacobians_of_integer_inputs_are_real_derivatives():
    """An integer input is a point of R^n: tangents and gradients must not be truncated to ints."""
    x = np.array([1, 2, 3])
    expected = np.diag([2.0, 4.0, 6.0])
    forward = vector.jacobian_fwd(lambda t: t * t, x)
    reverse = vector.jacobian_rev(lambda t: t * t, x)
    np.testing.assert_array_equal(forward, expected)
    np.testing.assert_array_equal(reverse, expected)
    _, tangent = vector.jvp(lambda t: t * t, [np.array([1, 2])], [np.array([0.5, 0.5])])
    np.testing.assert_array_equal(tangent.numpy(), [1.0, 2.0])


def test_jacobian_of_a_function_that_ignores_its_input_is_zero():
    k = Tensor(np.array([1.0, 2.0]))
    for f in (lambda t: k * 3.0, lambda t: Tensor(np.ones(2), requires_grad=False) * 2.0):
        np.testing.assert_array_equal(vector.jacobian_fwd(f, [1.0, 3.0]), np.zeros((2, 2)))
        np.testing.assert_array_equal(vector.jacobian_rev(f, [1.0, 3.0]), np.zeros((2, 2)))


def test_jacobian_rev_leaves_the_grads_of_other_tensors_alone():
    """Like jacobian_fwd (and torch.autograd.functional.jacobian), computing a Jacobian with
    respect to x must not overwrite the .grad of the parameters f closes over."""
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    (w * w).sum().backward()
    before = w.grad
    jac = vector.jacobian_rev(lambda t: ops.reshape(t, (1, 2)) @ w, [1.0, -1.0])
    np.testing.assert_array_equal(jac, w.numpy().T.reshape(1, 2, 2))
    assert w.grad is before
    fresh = Tensor(np.ones((2, 2)))
    vector.jacobian_rev(lambda t: ops.reshape(t, (1, 2)) @ fresh, [1.0, -1.0])
    assert fresh.grad is None


def test_jvp_runs_one_forward_pass_without_a_backward(monkeypatch):
    calls = []
    original = Tensor.backward

    def spy(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Tensor, "backward", spy)
    out, tangent = vector.jvp(lambda x: ops.exp(x) * x, [np.array([1.0, 2.0])], [np.ones(2)])
    assert calls == []
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(tangent.numpy(), np.exp(x) * (1 + x), rtol=1e-12)
    assert not out.requires_grad and out.inputs == ()


# ------------------------------------------------------------------------------- deep graphs
@pytest.fixture
def default_recursion_limit():
    """Python's default limit (1000), whatever the runner set: the engine must not need more."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def test_a_chain_of_100000_ops_at_the_default_recursion_limit(default_recursion_limit):
    x = Tensor(np.array([1.0, 2.0]))
    y = x
    for k in range(100_000):
        y = y * 1.0 if k % 2 else y + 1e-6
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(y.numpy(), x.numpy() + 50_000 * 1e-6)
    assert len(vector.find_topo_sort([y])) == 100_001
    del y  # freeing a deep chain must not overflow the C stack either
    x.grad = None


def test_second_derivative_through_a_long_chain(default_recursion_limit):
    x = Tensor(np.array([0.5]))
    y = x
    for _ in range(20_000):
        y = y * 1.0
    (y * y).backward()
    x.grad.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0])


# ------------------------------------------------------------------------------ lazy gradients
def test_after_one_seed_step_the_batch_grad_is_lazy_and_the_weight_grads_are_right():
    """The seed loop's step, line by line: x's gradient is recorded but never computed."""
    rng = np.random.default_rng(3)
    batch = rng.standard_normal((50, 20)).astype(np.float32)
    labels = rng.integers(0, 5, 50)
    w1 = Tensor((rng.standard_normal((20, 16)) / np.sqrt(16)).astype(np.float32))
    w2 = Tensor((rng.standard_normal((16, 5)) / np.sqrt(5)).astype(np.float32))
    x = Tensor(batch)
    z = ops.relu(x.matmul(w1)).matmul(w2)
    y_one_hot = Tensor(one_hot(labels, 5))
    loss = ops.softmax_loss(z, y_one_hot)
    loss.backward()
    assert x.grad is not None
    assert not x.grad.realized
    g1, g2, gx = two_layer_grads(batch, w1.numpy(), w2.numpy(), one_hot(labels, 5))
    np.testing.assert_allclose(w1.grad.numpy(), g1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w2.grad.numpy(), g2, rtol=1e-5, atol=1e-6)
    assert not x.grad.realized  # computing the weights' grads did not compute x's
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-5, atol=1e-6)  # but it is right
    assert x.grad.realized


def test_lazy_grads_use_the_values_of_the_pass_not_later_updates():
    """An optimiser that replaces W2's values before anyone reads W1.grad (which needs W2)
    must not change W1.grad: the gradient belongs to the point where backward() ran."""
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=False)
    w1, w2 = Tensor(rng.standard_normal((3, 5))), Tensor(rng.standard_normal((5, 2)))
    labels = one_hot(rng.integers(0, 2, 4), 2)
    g1, g2, _ = two_layer_grads(x.numpy(), w1.numpy(), w2.numpy(), labels)
    ops.softmax_loss(ops.relu(x @ w1) @ w2, Tensor(labels)).backward()
    assert not w1.grad.realized
    w2.data = w2.data - 0.5 * w2.grad
    w1.data = w1.data * 0
    np.testing.assert_allclose(w1.grad.numpy(), g1, rtol=1e-12)
    np.testing.assert_allclose(w2.grad.numpy(), g2, rtol=1e-12)


def test_the_seed_loop_never_computes_the_batch_grad(seed_module):
    computed = []
    real_tensor = seed_module.Tensor

    def recording(*args, **kwargs):
        t = real_tensor(*args, **kwargs)
        computed.append(t)
        return t

    rng = np.random.default_rng(4)
    X = rng.standard_normal((100, 8)).astype(np.float32)
    y = rng.integers(0, 3, 100).astype(np.uint8)
    w1 = Tensor((rng.standard_normal((8, 6)) / np.sqrt(6)).astype(np.float32))
    w2 = Tensor((rng.standard_normal((6, 3)) / np.sqrt(3)).astype(np.float32))
    seed_module.Tensor = recording
    try:
        seed_module.nn_epoch(X, y, w1, w2, lr=0.1, batch=50)
    finally:
        seed_module.Tensor = real_tensor
    batches = [t for t in computed if t.shape == (50, 8)]
    assert len(batches) == 2
    for x in batches:
        assert x.grad is not None and not x.grad.realized


# ------------------------------------------------------------------ needle-style custom ops
class _Cube(vector.TensorOp):
    """An op written the way needle's homework writes them."""

    def compute(self, a):
        return a**3

    def gradient(self, out_grad, node):
        a = node.inputs[0]
        return out_grad * a * a * 3


def test_a_user_defined_op_takes_part_in_first_and_second_order():
    x = Tensor(np.array([0.5, -2.0]))
    y = _Cube()(x)
    assert isinstance(y.op, _Cube) and y.inputs == (x,)
    np.testing.assert_allclose(y.numpy(), x.numpy() ** 3)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.numpy() ** 2)
    x.grad.backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy())


class _Broken(vector.TensorOp):
    def compute(self, a):
        return a * 2

    def gradient(self, out_grad, node):
        raise ArithmeticError("broken gradient")


def test_an_error_inside_backward_leaves_the_engine_usable():
    x = Tensor(np.array([1.0]))
    with pytest.raises(ArithmeticError, match="broken gradient"):
        _Broken()(x).backward()
    y = x * 2  # eager and recording again, not stuck in the pass's lazy mode
    assert y.realized and y.requires_grad and y.inputs == (x,)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0])


def test_detach_cuts_the_graph():
    x = Tensor(np.array([1.0, 2.0]))
    h = x * 3
    d = h.detach()
    assert d.inputs == () and not d.requires_grad
    np.testing.assert_array_equal(d.numpy(), h.numpy())
    y = (d * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), h.numpy())  # no path through d
    assert h.grad is None


def test_a_gradient_mixed_with_its_own_forward_graph():
    """z = ⟨∇y, h⟩ uses h both directly and (through a stand-in) inside ∇y; both paths count."""
    x = Tensor(np.array([0.3, -0.2]))
    h = ops.exp(x)
    (h * h).sum().backward()  # ∇y = 2 e^{2x}
    z = (x.grad * h).sum()  # Σ 2 e^{3x}
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.exp(3 * x.numpy()), rtol=1e-12)


def test_second_order_after_the_forward_graph_is_gone():
    def gradient_only() -> Tensor:
        x = Tensor(np.array([0.5, 2.0]))
        (x * x * x).sum().backward()
        return x.grad  # x itself dies here; the gradient graph must still work

    g = gradient_only()
    np.testing.assert_allclose(g.numpy(), 3 * np.array([0.5, 2.0]) ** 2)
    g.sum().backward()  # delivers to a stand-in whose original is gone: no error
