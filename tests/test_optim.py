"""vector.optim: SGD and Adam against numpy re-implementations of needle's formulas."""

import numpy as np
import pytest

import vector as ndl
from vector import nn, optim


def _problem(seed: int = 0):
    """A small model whose loss depends on both parameters, and a fixed batch."""
    np.random.seed(seed)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    x = ndl.Tensor(np.random.randn(6, 4).astype(np.float32), requires_grad=False)
    y = np.array([0, 1, 1, 0, 1, 0])
    return model, x, y


def _grads(model, x, y) -> list[np.ndarray]:
    loss = nn.SoftmaxLoss()(model(x), y)
    loss.backward()
    return [p.grad.numpy().copy() for p in model.parameters()]


def _run(make_opt, reference_step, steps: int = 5) -> None:
    """Take `steps` optimiser steps and, alongside, apply `reference_step` to numpy copies with
    the same gradients; the parameters must agree after every step and stay float32."""
    model, x, y = _problem()
    params = model.parameters()
    opt = make_opt(params)
    theta = [p.numpy().astype(np.float64) for p in params]
    state: dict = {}
    for t in range(1, steps + 1):
        opt.reset_grad()
        grads = _grads(model, x, y)
        held = [p.grad.realize_cached_data() for p in params]
        held_copies = [g.copy() for g in held]
        theta = reference_step(theta, [g.astype(np.float64) for g in grads], state, t)
        opt.step()
        for p, want in zip(params, theta, strict=True):
            assert p.dtype == np.float32 and p.numpy().dtype == np.float32
            np.testing.assert_allclose(p.numpy(), want, rtol=2e-5, atol=2e-6)
        for g, copy in zip(held, held_copies, strict=True):
            np.testing.assert_array_equal(g, copy)  # never modified in place
        for p, g in zip(params, held, strict=True):
            assert p.grad.realize_cached_data() is g  # .grad itself is left alone
        theta = [p.numpy().astype(np.float64) for p in params]  # follow float32 rounding


def _sgd_reference(lr: float, momentum: float, wd: float):
    def step(theta, grads, state, t):
        out = []
        for i, (th, g) in enumerate(zip(theta, grads, strict=True)):
            u = momentum * state.get(i, 0.0) + (1 - momentum) * (g + wd * th)
            state[i] = u
            out.append(th - lr * u)
        return out

    return step


def _adam_reference(lr: float, b1: float, b2: float, eps: float, wd: float):
    def step(theta, grads, state, t):
        out = []
        for i, (th, g) in enumerate(zip(theta, grads, strict=True)):
            g = g + wd * th
            m = b1 * state.get(("m", i), 0.0) + (1 - b1) * g
            v = b2 * state.get(("v", i), 0.0) + (1 - b2) * g**2
            state["m", i], state["v", i] = m, v
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            out.append(th - lr * m_hat / (np.sqrt(v_hat) + eps))
        return out

    return step


@pytest.mark.parametrize(
    ("lr", "momentum", "wd"),
    [(0.1, 0.0, 0.0), (0.1, 0.9, 0.0), (0.05, 0.0, 0.01), (0.2, 0.5, 0.1)],
    ids=["plain", "momentum", "weight-decay", "both"],
)
def test_sgd_matches_the_formula(lr: float, momentum: float, wd: float) -> None:
    _run(
        lambda params: optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd),
        _sgd_reference(lr, momentum, wd),
    )


@pytest.mark.parametrize(
    ("lr", "b1", "b2", "eps", "wd"),
    [(0.01, 0.9, 0.999, 1e-8, 0.0), (0.02, 0.8, 0.99, 1e-6, 0.0), (0.01, 0.9, 0.999, 1e-8, 0.1)],
    ids=["default", "betas", "weight-decay"],
)
def test_adam_matches_the_formula(lr: float, b1: float, b2: float, eps: float, wd: float) -> None:
    _run(
        lambda params: optim.Adam(params, lr=lr, beta1=b1, beta2=b2, eps=eps, weight_decay=wd),
        _adam_reference(lr, b1, b2, eps, wd),
    )


def test_adam_first_step_has_bias_correction() -> None:
    """With bias correction, the first step moves every coordinate by about lr·sign(g)."""
    p = nn.Parameter(np.array([1.0, -2.0, 3.0], dtype=np.float32))
    (p * ndl.Tensor(np.array([0.5, -4.0, 1e-3], dtype=np.float32))).sum().backward()
    optim.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.numpy(), [0.9, -1.9, 2.9], rtol=1e-5)


def test_params_without_grad_are_skipped_and_grads_can_be_reset() -> None:
    a = nn.Parameter(np.ones(2, dtype=np.float32))
    b = nn.Parameter(np.ones(2, dtype=np.float32))
    (a * 3).sum().backward()
    for opt in (optim.SGD([a, b], lr=0.1, momentum=0.9), optim.Adam([a, b], lr=0.1)):
        before = b.numpy().copy()
        opt.step()
        np.testing.assert_array_equal(b.numpy(), before)
        assert b.grad is None
    assert a.numpy()[0] < 1
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    (a * 3).sum().backward()
    opt.reset_grad()
    assert a.grad is None


def test_updating_one_parameter_leaves_anothers_pending_gradient_alone() -> None:
    """Gradients are computed lazily from the forward values: updating w2 first must not leak
    into w1's gradient (which is w2's old value)."""
    w1 = nn.Parameter(np.array([[2.0]], dtype=np.float32))
    w2 = nn.Parameter(np.array([[3.0]], dtype=np.float32))
    x = ndl.Tensor(np.array([[1.0]], dtype=np.float32), requires_grad=False)
    (x @ w1 @ w2).sum().backward(create_graph=False)  # d/dw1 = w2 = 3, d/dw2 = w1 = 2
    optim.SGD([w2, w1], lr=1.0).step()
    assert float(w1.numpy()[0, 0]) == pytest.approx(2.0 - 3.0)
    assert float(w2.numpy()[0, 0]) == pytest.approx(3.0 - 2.0)


def test_optimizer_state_is_numpy_and_keeps_float32() -> None:
    model, x, y = _problem()
    opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
    sgd = optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.01)
    for _ in range(2):
        _grads(model, x, y)
        opt.step()
        sgd.step()
    for state in (*opt.m.values(), *opt.v.values(), *sgd.u.values()):
        assert type(state) is np.ndarray and state.dtype == np.float32
