"""dtypes: numpy's at construction, numpy's promotion for mixed operands, and every gradient in the
dtype of the node it belongs to, so float32 training stays float32."""

from __future__ import annotations

import numpy as np
import pytest
from vector_helpers import CASES, Case, case_id, case_inputs, labelled, one_hot

import vector
from vector import Tensor, ops

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


# ------------------------------------------------------------------------------ construction
@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        ([1.0, 2.0], F64),
        (2.5, F64),
        ([[1.0], [2.0]], F64),
        (np.zeros(3, np.float32), F32),
        (np.float32(1.5), F32),
        (np.zeros(3, np.float16), np.dtype(np.float16)),
        ([1, 2], np.asarray([1, 2]).dtype),
        (np.arange(3, dtype=np.uint8), np.dtype(np.uint8)),
        ([True, False], np.dtype(bool)),
    ],
)
def test_the_constructor_keeps_numpys_dtype(data, dtype):
    t = Tensor(data)
    assert t.dtype == dtype
    assert t.numpy().dtype == dtype
    assert t.requires_grad  # every dtype takes part in differentiation, as in needle


@pytest.mark.parametrize("dtype", [np.float32, "float32", F32, np.float64, np.float16])
def test_dtype_argument_overrides(dtype):
    for data in ([1.0, 2.0], np.arange(2.0), np.arange(2), Tensor(np.arange(2.0))):
        t = Tensor(data, dtype=dtype)
        assert t.dtype == np.dtype(dtype)
        assert t.numpy().dtype == np.dtype(dtype)


def test_a_tensor_made_from_a_tensor_keeps_its_dtype():
    assert Tensor(Tensor(np.ones(2, np.float32))).dtype == F32


# --------------------------------------------------------------------------------- promotion
def _mixed_cases():
    a32 = np.array([1.5, 2.5], np.float32)
    a64 = np.array([0.5, 3.0])
    i64 = np.array([2, 3])
    i8 = np.array([2, 3], np.int8)
    return [
        ("f32+f64", lambda x, y: x + y, a32, a64, np.add),
        ("f64*f32", lambda x, y: x * y, a64, a32, np.multiply),
        ("f32/int", lambda x, y: x / y, a32, i64, np.divide),
        ("int-f32", lambda x, y: x - y, i64, a32, np.subtract),
        ("f32**f64", lambda x, y: x**y, a32, a64, np.power),
        ("int8*f32", lambda x, y: x * y, i8, a32, np.multiply),
        ("int+int", lambda x, y: x + y, i64, i64, np.add),
    ]


@pytest.mark.parametrize(("label", "fn", "a", "b", "ref"), labelled(_mixed_cases()))
def test_mixed_operands_promote_like_numpy(label, fn, a, b, ref):
    out = fn(Tensor(a), Tensor(b))
    expected = ref(a, b)
    assert out.dtype == expected.dtype, label
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("label", "fn", "ref"),
    labelled(
        [
            ("x*2.0", lambda x: x * 2.0, lambda a: a * 2.0),
            ("x+1", lambda x: x + 1, lambda a: a + 1),
            ("1-x", lambda x: 1 - x, lambda a: 1 - a),
            ("x/3", lambda x: x / 3, lambda a: a / 3),
            ("2/x", lambda x: 2 / x, lambda a: 2 / a),
            ("x**2", lambda x: x**2, lambda a: a**2),
            ("x**0.5", lambda x: x**0.5, lambda a: a**0.5),
            ("2**x", lambda x: 2**x, lambda a: 2**a),
            ("x*np.float64", lambda x: x * np.float64(2.0), lambda a: a * np.float64(2.0)),
            ("np.float64+x", lambda x: np.float64(2.0) + x, lambda a: np.float64(2.0) + a),
            ("x*np.float32", lambda x: x * np.float32(2.0), lambda a: a * np.float32(2.0)),
        ]
    ),
)
def test_python_numbers_keep_float32_and_numpy_scalars_promote_like_numpy(label, fn, ref):
    a = np.array([0.5, 2.0], np.float32)
    x = Tensor(a)
    out = fn(x)
    assert out.dtype == ref(a).dtype, label
    out.sum().backward()
    assert x.grad.dtype == F32, label
    assert x.grad.numpy().dtype == F32, label


# -------------------------------------------------------------------- float32 through every op
def _f32(case: Case) -> list[np.ndarray]:
    return [a.astype(np.float32) for a in case_inputs(case, np.random.default_rng(0))]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_float32_in_float32_out_and_float32_grads(case: Case):
    arrays = _f32(case)
    xs = [Tensor(a) for a in arrays]
    out = case.fn(*xs)
    expected = F64 if case.op == "cast" else np.asarray(case.ref(*arrays)).dtype
    if case.op != "cast":
        assert expected == F32, f"numpy model of {case.label} left float32"
    assert out.dtype == expected, case.label
    assert out.numpy().dtype == expected, case.label
    out.backward()
    for k, x in enumerate(xs):
        assert x.grad.dtype == F32, f"{case.label}: grad {k} is {x.grad.dtype}"
        assert x.grad.numpy().dtype == F32, f"{case.label}: grad {k} computes {x.grad.dtype}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_float32_grads_with_a_float64_out_grad(case: Case):
    arrays = _f32(case)
    xs = [Tensor(a) for a in arrays]
    out = case.fn(*xs)
    out.backward(Tensor(np.ones(out.shape, np.float64)))
    for x in xs:
        assert x.grad.numpy().dtype == F32, case.label


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_float32_second_derivatives_stay_float32(case: Case):
    arrays = _f32(case)
    xs = [Tensor(a) for a in arrays]
    case.fn(*xs).backward()
    total = sum((x.grad.sum() for x in xs), Tensor(np.float32(0)))
    assert total.dtype == F32
    if total.requires_grad:
        for x in xs:
            x.grad = None
        total.backward()
        for x in xs:
            if x.grad is not None:
                assert x.grad.numpy().dtype == F32, case.label


def test_float32_intermediate_grads_are_float32():
    x = Tensor(np.ones((2, 3), np.float32))
    h = ops.exp(x * 2)
    y = ops.summation(h * Tensor(np.ones((2, 3))))  # float64 from here on
    assert y.dtype == F64
    y.backward()
    assert h.grad.numpy().dtype == F32
    assert x.grad.numpy().dtype == F32
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2.0), rtol=1e-6)


# ------------------------------------------------------------------ a float32 model, float64 loss
def test_a_float32_parameter_of_a_float64_loss_gets_a_float32_grad():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((8, 5)), requires_grad=False)  # float64 data
    y = Tensor(one_hot(rng.integers(0, 3, 8), 3), requires_grad=False)  # float64 labels
    w = Tensor(rng.standard_normal((5, 3)).astype(np.float32))
    b = Tensor(np.zeros((1, 3), np.float32))
    logits = x @ w + ops.broadcast_to(b, (8, 3))
    loss = ops.softmax_loss(logits, y)
    assert logits.dtype == F64 and loss.dtype == F64
    loss.backward()
    assert w.grad.dtype == F32 and w.grad.numpy().dtype == F32
    assert b.grad.dtype == F32 and b.grad.numpy().dtype == F32
    z = x.numpy() @ w.numpy().astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = x.numpy().T @ ((p - y.numpy()) / 8)
    np.testing.assert_allclose(w.grad.numpy(), expected.astype(np.float32), rtol=1e-6, atol=1e-7)


def test_a_float32_weight_updated_through_data_stays_float32():
    w = Tensor(np.ones((2, 2), np.float32))
    (w * Tensor(np.full((2, 2), 3.0))).sum().backward()
    w.data = w.data - 0.1 * w.grad
    assert w.dtype == F32 and w.numpy().dtype == F32
    w.data = np.zeros((2, 2))  # float64 values are converted to the tensor's dtype
    assert w.numpy().dtype == F32
    np.testing.assert_array_equal(w.numpy(), np.zeros((2, 2), np.float32))


def test_forward_mode_keeps_float32():
    a = np.array([0.5, 1.0], np.float32)
    out, tangent = vector.jvp(lambda x: ops.tanh(x) * 2, [a], [np.ones(2, np.float32)])
    assert out.dtype == F32 and tangent.dtype == F32


def test_every_partial_adjoint_has_its_inputs_dtype():
    """Not only `.grad`: what each node sends each input is already in that input's dtype, so
    the sums the reverse pass forms never promote a float32 branch to float64."""
    rng = np.random.default_rng(2)
    w = Tensor(rng.standard_normal((3, 4)).astype(np.float32))
    x = Tensor(rng.standard_normal((5, 3)))  # float64
    h = ops.tanh(x @ w)  # float64
    s = ops.sigmoid(ops.cast(h, np.float32)) * Tensor(np.float32(2))  # float32 again
    loss = ops.summation(s * h)  # float64
    steps = loss.backward(trace=True)
    edges = [e for step in steps for e in step.edges if e.partial_adjoint is not None]
    assert len(edges) >= 8
    for step in steps:
        assert step.adjoint.dtype == step.node.dtype, step.node.op
        assert step.adjoint.numpy().dtype == step.node.dtype, step.node.op
    for e in edges:
        assert e.partial_adjoint.dtype == e.input.dtype, (e.input.op, e.input.dtype)
        assert e.partial_adjoint.numpy().dtype == e.input.dtype, (e.input.op, e.input.dtype)


@pytest.mark.parametrize(
    ("label", "fn", "ref"),
    labelled(
        [
            ("2.5 ** xi", lambda x: 2.5**x, lambda a: 2.5**a),
            ("2 ** xi", lambda x: 2**x, lambda a: 2**a),
            ("2 / xi", lambda x: 2 / x, lambda a: 2 / a),
            ("2.0 / xi", lambda x: 2.0 / x, lambda a: 2.0 / a),
            ("1.5 - xi", lambda x: 1.5 - x, lambda a: 1.5 - a),
            ("xi * 1.5", lambda x: x * 1.5, lambda a: a * 1.5),
            ("xi / 2", lambda x: x / 2, lambda a: a / 2),
            ("xi ** 0.5", lambda x: x**0.5, lambda a: a**0.5),
            ("xi + 1", lambda x: x + 1, lambda a: a + 1),
            ("xi * xi", lambda x: x * x, lambda a: a * a),
        ]
    ),
)
def test_python_numbers_with_integer_tensors_promote_like_numpy(label, fn, ref):
    a = np.array([1, 2, 4])
    out = fn(Tensor(a))
    expected = ref(a)
    assert out.dtype == expected.dtype, f"{label}: {out.dtype}, numpy gives {expected.dtype}"
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-15, err_msg=label)
