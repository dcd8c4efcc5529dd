"""Bad input: every error names the op and the shapes or values involved."""

from __future__ import annotations

import re

import numpy as np
import pytest
from vector_helpers import labelled

import vector
from vector import Tensor, ops


def _raises(fn, error: type[Exception], *fragments: str) -> str:
    """Call fn, expect `error`, and check that its message contains every fragment."""
    with pytest.raises(error) as info:
        fn()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


A = np.ones((2, 3))


# ---------------------------------------------------------------------------- shape mismatches
@pytest.mark.parametrize(
    ("sa", "sb", "detail"),
    [
        ((2, 3), (4, 5), "(3)"),
        ((5, 2, 3), (4, 3, 2), "(5,)"),
        ((2, 3), (3,), "2 dimensions"),
        ((3,), (3, 2), "2 dimensions"),
    ],
)
def test_matmul_shape_mismatch(sa, sb, detail):
    a, b = Tensor(np.ones(sa)), Tensor(np.ones(sb))
    for fn in (lambda: a @ b, lambda: ops.matmul(a, b), lambda: a.matmul(b)):
        _raises(fn, ValueError, "matmul", str(sa), str(sb), detail)


@pytest.mark.parametrize(("shape", "target"), [((2, 3), (3, 3)), ((2, 3), (3,)), ((3,), (3, 2))])
def test_broadcast_to_shape_mismatch(shape, target):
    t = Tensor(np.ones(shape))
    _raises(
        lambda: ops.broadcast_to(t, target), ValueError, "broadcast_to", str(shape), str(target)
    )
    _raises(lambda: t.broadcast_to(target), ValueError, "broadcast_to", str(shape), str(target))


@pytest.mark.parametrize("target", [(4, 2), (4, -1), (-1, -1), (7,), (-2, -3)])
def test_reshape_size_mismatch(target):
    t = Tensor(A)
    _raises(lambda: ops.reshape(t, target), ValueError, "reshape", "(2, 3)", str(target))
    _raises(lambda: t.reshape(target), ValueError, "reshape", "(2, 3)", str(target))


@pytest.mark.parametrize("target", ["ab", (2, "3"), (2.5, 2), None])
def test_reshape_and_broadcast_to_need_a_shape_of_ints(target):
    t = Tensor(A)
    _raises(lambda: ops.reshape(t, target), (TypeError, ValueError), "reshape", repr(target))
    _raises(
        lambda: ops.broadcast_to(t, target), (TypeError, ValueError), "broadcast_to", repr(target)
    )


@pytest.mark.parametrize(
    ("name", "fn"),
    labelled(
        [
            ("add", lambda a, b: a + b),
            ("add", ops.add),
            ("multiply", lambda a, b: a * b),
            ("divide", lambda a, b: a / b),
            ("power", lambda a, b: a**b),
            ("add", lambda a, b: a - b),
        ]
    ),
)
def test_elementwise_shape_mismatch(name, fn):
    a, b = Tensor(A), Tensor(np.ones((3, 2)))
    _raises(lambda: fn(a, b), ValueError, name, "(2, 3)", "(3, 2)")


def test_softmax_loss_shape_mismatch():
    z, y = Tensor(np.ones((4, 3))), Tensor(np.ones((4, 2)))
    _raises(lambda: ops.softmax_loss(z, y), ValueError, "softmax_loss", "(4, 3)", "(4, 2)")


# ------------------------------------------------------------------------ axes out of range
@pytest.mark.parametrize("axes", [2, -3, (0, 2), (5,)])
@pytest.mark.parametrize("op", ["summation", "logsumexp"])
def test_reduction_axes_out_of_range(op, axes):
    bad = axes if isinstance(axes, int) else max(axes, key=abs)
    _raises(lambda: getattr(ops, op)(Tensor(A), axes=axes), ValueError, op, str(bad), "(2, 3)")


def test_summation_method_axes_out_of_range():
    _raises(lambda: Tensor(A).sum(3), ValueError, "summation", "3", "(2, 3)")


def test_repeated_axes():
    _raises(lambda: ops.summation(Tensor(A), axes=(0, 0)), ValueError, "summation", "(0, 0)")
    _raises(lambda: ops.summation(Tensor(A), axes=(1, -1)), ValueError, "summation", "(1, -1)")


@pytest.mark.parametrize("axes", [(0, 2), (-3, 1), (5, 0)])
def test_transpose_axes_out_of_range(axes):
    _raises(lambda: ops.transpose(Tensor(A), axes), ValueError, "transpose", str(axes), "(2, 3)")


def test_transpose_needs_two_axes():
    _raises(lambda: ops.transpose(Tensor(np.ones(3))), ValueError, "transpose", "(3,)")
    _raises(lambda: ops.transpose(Tensor(A), (0,)), ValueError, "transpose", "(0,)")


# --------------------------------------------------------------------------------- backward
@pytest.mark.parametrize("grad_shape", [(3, 2), (3,), (), (1, 2, 3)])
def test_backward_out_grad_of_the_wrong_shape(grad_shape):
    y = Tensor(A) * 2
    for out_grad in (np.ones(grad_shape), Tensor(np.ones(grad_shape))):
        _raises(lambda g=out_grad: y.backward(g), ValueError, "backward", str(grad_shape), "(2, 3)")


def test_backward_of_a_constant_says_why():
    y = Tensor(A, requires_grad=False) * 2
    _raises(y.backward, RuntimeError, "backward", "does not require grad")


def test_a_failed_backward_leaves_the_grads_alone():
    x = Tensor(A)
    (x * 2).backward()
    before = x.grad
    with pytest.raises(ValueError):
        (x * 3).backward(np.ones(4))
    assert x.grad is before


# ----------------------------------------------------------------------- data that is not numeric
@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("abc", "'abc'"),
        (["a", "b"], "['a', 'b']"),
        ([1.0, "b"], "[1.0, 'b']"),
        (np.array(["x", "y"]), "<U1"),
        ([object()], "object"),
        (np.array([1, None], dtype=object), "object"),
        ({"a": 1}, "{'a': 1}"),
        (None, "None"),
        ([1j, 2], "complex"),
        ([[1.0, 2.0], [3.0]], "[[1.0, 2.0], [3.0]]"),
        ([[1.0], [2.0, 3.0], 4.0], "[[1.0], [2.0, 3.0], 4.0]"),
    ],
)
def test_data_that_is_not_numeric(data, fragment):
    _raises(lambda: Tensor(data), TypeError, "Tensor", fragment)


def test_a_long_bad_value_is_shortened_in_the_message():
    message = _raises(lambda: Tensor(["x"] * 1000), TypeError, "Tensor")
    assert len(message) < 400


def test_unknown_device():
    _raises(lambda: Tensor([1.0], device="cuda"), ValueError, "Tensor", "'cuda'")
    assert Tensor([1.0], device=vector.cpu()).device == vector.cpu()


# ------------------------------------------------------------------------ non-number operands
@pytest.mark.parametrize(
    ("name", "fn", "fragment"),
    labelled(
        [
            ("add", lambda t: t + "a", "'a'"),
            ("add", lambda t: "a" + t, "'a'"),
            ("subtract", lambda t: t - [1, 2], "[1, 2]"),
            ("subtract", lambda t: "a" - t, "'a'"),
            ("multiply", lambda t: t * None, "None"),
            ("multiply", lambda t: {1: 2} * t, "{1: 2}"),
            ("divide", lambda t: t / "x", "'x'"),
            ("divide", lambda t: "x" / t, "'x'"),
            ("power", lambda t: t ** "x", "'x'"),
            ("power", lambda t: "x" ** t, "'x'"),
            ("matmul", lambda t: t @ "x", "'x'"),
            ("add", lambda t: ops.add(t, np.ones((2, 3))), "ndarray"),
            ("multiply", lambda t: ops.multiply(t, 2.0), "2.0"),
        ]
    ),
)
def test_non_number_operand(name, fn, fragment):
    message = _raises(lambda: fn(Tensor(A)), TypeError, name, fragment)
    assert re.search(r"(str|list|NoneType|dict|ndarray|float)", message)


@pytest.mark.parametrize(
    ("name", "fn", "fragment"),
    labelled(
        [
            ("add_scalar", lambda t: ops.add_scalar(t, "x"), "'x'"),
            ("mul_scalar", lambda t: ops.mul_scalar(t, None), "None"),
            ("divide_scalar", lambda t: ops.divide_scalar(t, [1, 2]), "[1, 2]"),
            ("power_scalar", lambda t: ops.power_scalar(t, "x"), "'x'"),
            ("add_scalar", lambda t: ops.add_scalar(t, np.ones(3)), "array"),
            ("mul_scalar", lambda t: ops.mul_scalar(t, Tensor([2.0])), "Tensor"),
        ]
    ),
)
def test_scalar_ops_need_a_number(name, fn, fragment):
    _raises(lambda: fn(Tensor(A)), TypeError, name, fragment)


def test_division_by_zero_names_the_op():
    _raises(lambda: Tensor(A) / 0, ZeroDivisionError, "divide_scalar", "(2, 3)", "0")
