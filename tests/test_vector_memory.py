"""Memory: with the cyclic garbage collector off, training loops keep a flat number of live
Tensors (needle's TENSOR_COUNTER): every graph is freed by reference counting alone."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from vector_helpers import one_hot

from vector import Tensor, ops

STEPS = 200
WARM_UP = 5


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _problem(seed: int, batch: int, dim: int = 10, hidden: int = 8, classes: int = 4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((STEPS * batch, dim)).astype(np.float32)
    y = rng.integers(0, classes, STEPS * batch).astype(np.uint8)
    y[::batch] = (
        classes - 1
    )  # every batch holds the last class: the note sizes y_one_hot by y.max()
    W1 = Tensor((rng.standard_normal((dim, hidden)) / np.sqrt(hidden)).astype(np.float32))
    W2 = Tensor((rng.standard_normal((hidden, classes)) / np.sqrt(classes)).astype(np.float32))
    return X, y, W1, W2


def _assert_flat(counts: list[int], what: str) -> None:
    settled = counts[WARM_UP:]
    assert len(set(settled)) == 1, (
        f"{what}: live Tensors grew from {settled[0]} to {settled[-1]} over {len(settled)} steps "
        f"(first steps: {counts[: WARM_UP + 5]})"
    )


def _run(step: Callable[[int], None]) -> list[int]:
    counts = []
    for k in range(STEPS):
        step(k)
        counts.append(Tensor.live)
    return counts


def test_the_seed_loop_keeps_a_flat_count_of_live_tensors(seed_module):
    batch = 20

    def step(k: int) -> None:
        rows = slice(k * batch, (k + 1) * batch)
        weights[:] = seed_module.nn_epoch(X[rows], y[rows], *weights, lr=0.1, batch=batch)

    with _no_cyclic_gc():
        before = Tensor.live
        X, y, W1, W2 = _problem(0, batch)
        weights = [W1, W2]
        del W1, W2
        counts = _run(step)
        assert all(w.dtype == np.float32 for w in weights)
        del weights[:]
        after = Tensor.live
    _assert_flat(counts, "nn_epoch, one batch per call")
    assert after == before, "a finished training loop must leave no Tensor alive"


def test_the_notes_loop_body_inline_keeps_a_flat_count():
    """The same step with its variables alive between iterations, as in a script."""
    batch = 20
    X, y, W1, W2 = _problem(1, batch)
    state: dict[str, object] = {"W1": W1, "W2": W2}
    del W1, W2  # the initial weights die with their step-0 gradient graphs once replaced

    def step(k: int) -> None:
        W1, W2 = state["W1"], state["W2"]
        x = Tensor(X[k * batch : (k + 1) * batch])
        Z = ops.relu(x.matmul(W1)).matmul(W2)
        loss = ops.softmax_loss(Z, Tensor(one_hot(y[k * batch : (k + 1) * batch], 4)))
        loss.backward()
        state["W1"] = Tensor(W1.realize_cached_data() - 0.1 * W1.grad.realize_cached_data())
        state["W2"] = Tensor(W2.realize_cached_data() - 0.1 * W2.grad.realize_cached_data())
        state["loss"], state["x"] = loss, x  # keep the last step's graph alive, like a script

    with _no_cyclic_gc():
        before = Tensor.live
        counts = _run(step)
        state.clear()
        after = Tensor.live
    _assert_flat(counts, "inline seed step")
    assert after == before - 2  # only the two initial weights, made before `before`


def test_a_loop_with_second_derivatives_keeps_a_flat_count():
    """Each step differentiates a gradient again (a gradient-norm penalty) via x.grad graphs."""
    batch = 20
    X, y, W1, W2 = _problem(2, batch)
    state: dict[str, object] = {"W1": W1, "W2": W2}
    del W1, W2  # the initial weights die with their step-0 gradient graphs once replaced

    def step(k: int) -> None:
        W1, W2 = state["W1"], state["W2"]
        x = Tensor(X[k * batch : (k + 1) * batch], requires_grad=False)
        loss = ops.softmax_loss(
            ops.tanh(x @ W1) @ W2, Tensor(one_hot(y[k * batch : (k + 1) * batch], 4))
        )
        loss.backward()
        g1, g2 = W1.grad, W2.grad
        penalty = (g1 * g1).sum() + (g2 * g2).sum()
        penalty.backward()
        h1, h2 = W1.grad.numpy(), W2.grad.numpy()
        state["W1"] = Tensor(W1.numpy() - 0.1 * (g1.numpy() + 0.01 * h1))
        state["W2"] = Tensor(W2.numpy() - 0.1 * (g2.numpy() + 0.01 * h2))

    with _no_cyclic_gc():
        before = Tensor.live
        counts = _run(step)
        state.clear()
        after = Tensor.live
    _assert_flat(counts, "gradient-penalty loop")
    assert after == before - 2  # only the two initial weights, made before `before`


def test_repeated_grad_of_grad_keeps_a_flat_count():
    """y = x₂² + x₂·x₃, then x₂.grad.backward(), once per step."""
    keep: list[Tensor] = []

    def step(k: int) -> None:
        x2, x3 = Tensor(np.array([6.0 + k])), Tensor(np.array([0.0]))
        y = x2 * x2 + x2 * x3
        y.backward()
        g = x2.grad
        g.backward()
        assert x2.grad.numpy()[0] == 2.0 and x3.grad.numpy()[0] == 1.0
        keep[:] = [x2, x3, y, g]

    with _no_cyclic_gc():
        before = Tensor.live
        counts = _run(step)
        keep.clear()
        after = Tensor.live
    _assert_flat(counts, "x.grad.backward() loop")
    assert after == before


def test_a_finished_graph_is_freed_at_once_without_the_collector():
    with _no_cyclic_gc():
        before = Tensor.live
        x = Tensor(np.ones((3, 4)))
        w = Tensor(np.ones((4, 2)))
        loss = ops.logsumexp(ops.sigmoid(x @ w) * 3, axes=(0, 1))
        loss.backward()
        x.grad.backward()  # second order too
        assert Tensor.live > before + 10
        del x, w, loss
        assert Tensor.live == before


def test_the_live_count_survives_copies_and_pickles():
    """deepcopy (saving the best model) and pickle make Tensors too: each must be counted when
    made, or the counter drifts below the truth every time one of them is freed."""
    import copy
    import pickle

    t = Tensor(np.ones((2, 2)))
    for make in (copy.copy, copy.deepcopy, lambda x: pickle.loads(pickle.dumps(x))):
        before = Tensor.live
        clone = make(t)
        np.testing.assert_array_equal(clone.numpy(), t.numpy())
        assert Tensor.live > before
        del clone
        assert Tensor.live == before
