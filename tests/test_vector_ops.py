"""Every op of the vector engine: forward against numpy, reverse mode against central differences
(float64), forward mode against reverse mode by the dot-product test ⟨u, J v⟩ = ⟨Jᵀu, v⟩.
Then broadcasting, batched matmul, logsumexp's stability, the conventions needle code relies on
(default transpose, axes, keyword names) and the Python operators."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from vector_helpers import (
    CASES,
    Case,
    assert_double_vjp_gives_jvp,
    assert_grad_matches_numeric,
    assert_hvp_matches_numeric,
    assert_jvp_matches_vjp,
    case_id,
    case_inputs,
    draw,
    labelled,
    lse,
    tensors,
    vjp_grads,
)

import vector
from vector import Tensor, ops

OP_NAMES = sorted(name for name in ops.__all__ if name[0].islower() and name != "sum_to_shape")


def test_the_catalogue_covers_every_op():
    assert {case.op for case in CASES} == set(OP_NAMES)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_forward_matches_numpy(case: Case):
    rng = np.random.default_rng(1)
    arrays = case_inputs(case, rng)
    out = case.fn(*tensors(arrays))
    expected = np.asarray(case.ref(*arrays))
    assert isinstance(out, Tensor)
    assert out.shape == expected.shape, f"{case.label}: shape {out.shape} vs {expected.shape}"
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradient_matches_central_differences(case: Case):
    rng = np.random.default_rng(2)
    assert_grad_matches_numeric(case.fn, case_inputs(case, rng), rng, name=case.label)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_jvp_agrees_with_vjp(case: Case):
    rng = np.random.default_rng(3)
    assert_jvp_matches_vjp(case.fn, case_inputs(case, rng), rng, name=case.label)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_second_derivatives_by_reverse_over_reverse(case: Case):
    """Every gradient is built from Tensor ops, so differentiating it again gives H v."""
    rng = np.random.default_rng(11)
    assert_hvp_matches_numeric(case.fn, case_inputs(case, rng), rng, name=case.label)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradients_are_differentiable_in_the_seed(case: Case):
    rng = np.random.default_rng(12)
    assert_double_vjp_gives_jvp(case.fn, case_inputs(case, rng), rng, name=case.label)


def test_cast_to_float32_and_back_passes_the_gradient_through():
    rng = np.random.default_rng(4)
    a = draw(rng, (3, 4))
    out = ops.cast(Tensor(a), np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), a.astype(np.float32))
    u = rng.standard_normal((3, 4)).astype(np.float32)
    (grad,) = vjp_grads(lambda x: ops.cast(x, np.float32), [a], u)
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(grad, u.astype(np.float64))
    _, tangent = vector.jvp(lambda x: ops.cast(x, np.float32), [a], [a])
    assert tangent.dtype == np.float32


# ----------------------------------------------------------------------------- broadcasting
@settings(max_examples=25, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    op=st.sampled_from(["add", "multiply", "divide", "power"]),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_on_broadcast_shapes_sum_gradients_back(shapes, op, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a = draw(rng, sa, "pos" if op == "power" else "any")
    b = draw(rng, sb, "away0" if op == "divide" else "any")
    fn = getattr(ops, op)
    out = fn(Tensor(a), Tensor(b))
    assert out.shape == shapes.result_shape
    assert_grad_matches_numeric(fn, [a, b], rng, name=f"{op}{sa}{sb}")


@pytest.mark.parametrize(
    ("shape", "target"),
    [
        ((3, 1), (3, 3)),
        ((1, 3), (3, 3)),
        ((1,), (3, 3, 3)),
        ((), (3, 3, 3)),
        ((5, 4, 1), (5, 4, 3)),
    ],
)
def test_broadcast_to_gradient_is_the_sum_over_the_copies(shape, target):
    rng = np.random.default_rng(5)
    a = rng.standard_normal(shape)
    u = rng.standard_normal(target)
    (grad,) = vjp_grads(lambda x: ops.broadcast_to(x, target), [a], u)
    lead = len(target) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and target[lead + i] != 1
    )
    np.testing.assert_allclose(grad, np.sum(u, axis=axes).reshape(shape), rtol=1e-12)


@pytest.mark.parametrize(
    ("sa", "sb"),
    [
        ((6, 6, 5, 4), (6, 6, 4, 3)),
        ((6, 6, 5, 4), (4, 3)),
        ((5, 4), (6, 6, 4, 3)),
        ((3, 2), (3, 2, 3)),
    ],
)
def test_batched_matmul_gradients_by_hand(sa, sb):
    """Ā = Ȳ Bᵀ and B̄ = Aᵀ Ȳ, summed over the batch axes each operand was broadcast along."""
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    u = rng.standard_normal(np.matmul(a, b).shape)
    ga, gb = vjp_grads(ops.matmul, [a, b], u)
    full_a = u @ np.swapaxes(b, -1, -2)
    full_b = np.swapaxes(a, -1, -2) @ u
    np.testing.assert_allclose(ga, full_a.reshape(-1, *sa).sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(gb, full_b.reshape(-1, *sb).sum(axis=0), rtol=1e-10)


# ----------------------------------------------------------------------- logsumexp stability
@pytest.mark.parametrize("big", [1e10, -1e10])
def test_logsumexp_is_stable_near_1e10(big):
    offsets = np.array([[0.0, 1.0, 2.0], [-3.0, 0.5, 0.0]])
    a = Tensor(big + offsets)
    out = ops.logsumexp(a, axes=1)
    values = out.numpy()
    assert np.all(np.isfinite(values))
    shift = np.log(np.exp(offsets).sum(axis=1))
    np.testing.assert_allclose(values - big, shift, atol=1e-5)
    out.backward()
    softmax = np.exp(offsets) / np.exp(offsets).sum(axis=1, keepdims=True)
    grad = a.grad.numpy()
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, softmax, atol=1e-5)


def test_logsumexp_of_everything_near_1e10():
    a = Tensor(np.full((2, 2), 1e10))
    out = ops.logsumexp(a)
    assert out.shape == ()
    np.testing.assert_allclose(out.numpy() - 1e10, np.log(4.0), atol=1e-5)
    out.backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((2, 2), 0.25), atol=1e-6)


def test_logsoftmax_and_softmax_loss_are_stable_for_huge_logits():
    z = np.array([[1e10, 1e10 + 1.0, 1e10 - 1.0], [-1e10, -1e10, -1e10]])
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    ls = ops.logsoftmax(Tensor(z)).numpy()
    assert np.all(np.isfinite(ls))
    zt = Tensor(z)
    loss = ops.softmax_loss(zt, Tensor(y))
    assert np.isfinite(loss.numpy())
    loss.backward()
    assert np.all(np.isfinite(zt.grad.numpy()))


# ----------------------------------------------------------------------- needle's conventions
def test_transpose_swaps_the_last_two_axes_by_default():
    a = np.arange(24.0).reshape(2, 3, 4)
    out = ops.transpose(Tensor(a))
    assert out.shape == (2, 4, 3)
    np.testing.assert_array_equal(out.numpy(), np.swapaxes(a, -1, -2))
    np.testing.assert_array_equal(Tensor(a).transpose().numpy(), np.swapaxes(a, -1, -2))
    np.testing.assert_array_equal(Tensor(a).transpose((0, 1)).numpy(), np.swapaxes(a, 0, 1))


@pytest.mark.parametrize("op", ["summation", "logsumexp"])
@pytest.mark.parametrize(
    ("axes", "shape"),
    [(0, (3, 4)), (2, (2, 3)), (-1, (2, 3)), ((1,), (2, 4)), ((0, 2), (3,)), (None, ())],
)
def test_reductions_take_int_or_tuple_axes_and_drop_them(op, axes, shape):
    a = np.random.default_rng(7).standard_normal((2, 3, 4))
    out = getattr(ops, op)(Tensor(a), axes=axes)
    assert out.shape == shape
    expected = np.sum(a, axis=axes) if op == "summation" else lse(a, axes)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    if op == "summation":
        np.testing.assert_allclose(Tensor(a).sum(axes).numpy(), expected, rtol=1e-12)


def test_needle_keyword_names():
    a = np.random.default_rng(8).uniform(0.5, 2.0, (2, 3))
    t = Tensor(a)
    cases = [
        (ops.power_scalar(t, scalar=2), a**2),
        (ops.add_scalar(t, scalar=2), a + 2),
        (ops.mul_scalar(t, scalar=2), a * 2),
        (ops.divide_scalar(t, scalar=2), a / 2),
        (ops.summation(t, axes=(1,)), a.sum(axis=1)),
        (ops.logsumexp(t, axes=(1,)), lse(a, 1)),
        (
            ops.broadcast_to(ops.reshape(t, shape=(1, 2, 3)), shape=(4, 2, 3)),
            np.broadcast_to(a, (4, 2, 3)),
        ),
        (ops.reshape(t, shape=(3, 2)), a.reshape(3, 2)),
        (ops.transpose(t, axes=(0, 1)), a.T),
        (ops.transpose(t, axes=None), a.T),
        (vector.power_scalar(t, scalar=3), a**3),
        (vector.summation(t, axes=0), a.sum(axis=0)),
    ]
    for got, want in cases:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_ops_are_also_at_the_top_level():
    for name in OP_NAMES:
        assert getattr(vector, name) is getattr(ops, name)


def test_each_result_records_its_op_object():
    a, b = Tensor(np.ones((2, 2))), Tensor(np.ones((2, 2)))
    assert isinstance((a + b).op, ops.EWiseAdd)
    assert isinstance((a @ b).op, ops.MatMul)
    assert isinstance(ops.summation(a, axes=(0,)).op, ops.Summation)
    node = ops.power_scalar(a, 3)
    assert isinstance(node.op, ops.PowerScalar)
    assert node.op.scalar == 3
    assert node.inputs == (a,)
    assert (a * a).inputs == (a, a)


# ---------------------------------------------------------------------------------- operators
def _operator_cases():
    ln2 = np.log(2.0)
    return [
        ("1 - x", lambda x: 1 - x, lambda a: 1 - a, lambda a: -np.ones_like(a)),
        ("x - 1", lambda x: x - 1, lambda a: a - 1, np.ones_like),
        ("3 + x", lambda x: 3 + x, lambda a: 3 + a, np.ones_like),
        ("x + 3", lambda x: x + 3, lambda a: a + 3, np.ones_like),
        ("3 * x", lambda x: 3 * x, lambda a: 3 * a, lambda a: np.full_like(a, 3)),
        ("x * 3", lambda x: x * 3, lambda a: a * 3, lambda a: np.full_like(a, 3)),
        ("2 / x", lambda x: 2 / x, lambda a: 2 / a, lambda a: -2 / a**2),
        ("x / 2", lambda x: x / 2, lambda a: a / 2, lambda a: np.full_like(a, 0.5)),
        ("2 ** x", lambda x: 2**x, lambda a: 2**a, lambda a: 2**a * ln2),
        ("x ** 2", lambda x: x**2, lambda a: a**2, lambda a: 2 * a),
        ("x ** 0.5", lambda x: x**0.5, np.sqrt, lambda a: 0.5 / np.sqrt(a)),
        ("-x", lambda x: -x, np.negative, lambda a: -np.ones_like(a)),
        ("x - x", lambda x: x - x, lambda a: a - a, np.zeros_like),
        ("x * x", lambda x: x * x, lambda a: a * a, lambda a: 2 * a),
        ("x / x", lambda x: x / x, lambda a: a / a, np.zeros_like),
        ("x ** x", lambda x: x**x, lambda a: a**a, lambda a: a**a * (np.log(a) + 1)),
        ("np2 * x", lambda x: np.float64(2) * x, lambda a: 2 * a, lambda a: np.full_like(a, 2)),
        ("np1 - x", lambda x: np.float64(1) - x, lambda a: 1 - a, lambda a: -np.ones_like(a)),
        ("2.0 ** x", lambda x: 2.0**x, lambda a: 2.0**a, lambda a: 2**a * ln2),
    ]


@pytest.mark.parametrize(("label", "fn", "ref", "dref"), labelled(_operator_cases()))
def test_operators_with_python_numbers_on_either_side(label, fn, ref, dref):
    a = np.random.default_rng(9).uniform(0.5, 2.0, (2, 3))
    x = Tensor(a)
    out = fn(x)
    assert isinstance(out, Tensor), label
    np.testing.assert_allclose(out.numpy(), ref(a), rtol=1e-12, atol=1e-15, err_msg=label)
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), dref(a), rtol=1e-12, atol=1e-15, err_msg=label)


def test_tensor_operators_between_tensors():
    rng = np.random.default_rng(10)
    a, b = rng.uniform(0.5, 2.0, (3, 4)), rng.uniform(0.5, 2.0, (4, 2))
    x, y = Tensor(a), Tensor(b)
    np.testing.assert_allclose((x @ y).numpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose(x.matmul(y).numpy(), a @ b, rtol=1e-12)
    c = Tensor(rng.uniform(0.5, 2.0, (3, 4)))
    np.testing.assert_allclose((x - c).numpy(), a - c.numpy(), rtol=1e-12)
    np.testing.assert_allclose((x / c).numpy(), a / c.numpy(), rtol=1e-12)
    np.testing.assert_allclose((x**c).numpy(), a ** c.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.reshape((4, 3)).numpy(), a.reshape(4, 3))
    np.testing.assert_allclose(x.broadcast_to((2, 3, 4)).numpy(), np.broadcast_to(a, (2, 3, 4)))
