"""The seed loop, `examples/nn_epoch.py`: it names the project only in its
import, and one epoch of it matches a numpy epoch written by hand."""

from __future__ import annotations

import ast
import inspect

import numpy as np
from vector_helpers import REPO, one_hot, two_layer_grads

import vector
from vector import Tensor

LOOP = REPO / "examples" / "nn_epoch.py"
"""The seed loop: the study note's SGD epoch, as the project keeps it."""

N, DIM, CLASSES, HIDDEN, BATCH, LR = 500, 20, 5, 16, 50, 0.1


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLASSES, DIM)) * 2
    y = rng.integers(0, CLASSES, N).astype(np.uint8)
    X = (centres[y] + rng.standard_normal((N, DIM))).astype(np.float32)
    W1 = (rng.standard_normal((DIM, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)
    W2 = (rng.standard_normal((HIDDEN, CLASSES)) / np.sqrt(CLASSES)).astype(np.float32)
    return X, y, W1, W2


def numpy_epoch(X, y, W1, W2, lr=LR, batch=BATCH):
    """The same epoch in plain numpy, float32 weights, gradients derived by hand."""
    W1, W2 = W1.copy(), W2.copy()
    for i in range(X.shape[0] // batch):
        rows = slice(i * batch, (i + 1) * batch)
        g1, g2, _ = two_layer_grads(X[rows], W1, W2, one_hot(y[rows], y.max() + 1))
        W1 = W1 - np.float32(lr) * g1
        W2 = W2 - np.float32(lr) * g2
    return W1, W2


def _loss(X, y, W1, W2) -> float:
    z = np.maximum(X @ W1, 0) @ W2
    z = z - z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))


def test_the_loop_names_the_project_only_in_one_import_from_vector(seed_module):
    """The loop is needle code: it imports numpy and public names of `vector`, and nothing else of
    the project (no `scalar`, `autodiff`, `vector.ops`, ...), with the note's signature."""
    tree = ast.parse(LOOP.read_text())
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    modules = [
        alias.name if isinstance(node, ast.Import) else node.module
        for node in imports
        for alias in node.names
    ]
    assert sorted(set(modules)) == ["numpy", "vector"], modules
    (from_vector,) = [node for node in imports if isinstance(node, ast.ImportFrom)]
    for alias in from_vector.names:
        assert alias.name in vector.__all__, f"vector does not export {alias.name!r}"
    params = inspect.signature(seed_module.nn_epoch).parameters
    assert list(params) == ["X", "y", "W1", "W2", "lr", "batch"]
    assert (params["lr"].default, params["batch"].default) == (0.1, 100)


def test_the_hand_derived_gradients_are_right():
    """The reference itself, checked against central differences (float64)."""
    from autodiff import numeric_grad

    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 4))
    w1, w2 = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    labels = rng.integers(0, 3, 6)
    g1, g2, gx = two_layer_grads(x, w1, w2, one_hot(labels, 3))
    n1, n2, nx = numeric_grad(lambda a, b, c: _loss(c, labels, a, b), [w1, w2, x])
    np.testing.assert_allclose(g1, n1, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g2, n2, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gx, nx, rtol=1e-6, atol=1e-8)


def test_one_epoch_matches_numpy_to_float32_precision(seed_module):
    X, y, W1, W2 = _problem()
    got1, got2 = seed_module.nn_epoch(X, y, Tensor(W1), Tensor(W2), lr=LR, batch=BATCH)
    want1, want2 = numpy_epoch(X, y, W1, W2)
    assert isinstance(got1, Tensor) and isinstance(got2, Tensor)
    assert got1.dtype == np.float32 and got2.dtype == np.float32
    assert got1.numpy().dtype == np.float32 and got2.numpy().dtype == np.float32
    np.testing.assert_allclose(got1.numpy(), want1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got2.numpy(), want2, rtol=1e-5, atol=1e-6)
    assert np.abs(want1 - W1).max() > 1e-2  # the epoch really moved the weights
    assert _loss(X, y, want1, want2) < _loss(X, y, W1, W2)


def test_several_epochs_stay_with_numpy(seed_module):
    X, y, W1, W2 = _problem(1)
    t1, t2 = Tensor(W1), Tensor(W2)
    n1, n2 = W1, W2
    for _ in range(3):
        t1, t2 = seed_module.nn_epoch(X, y, t1, t2, lr=LR, batch=BATCH)
        n1, n2 = numpy_epoch(X, y, n1, n2)
    np.testing.assert_allclose(t1.numpy(), n1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(t2.numpy(), n2, rtol=1e-4, atol=1e-5)


def test_weights_and_grads_stay_float32_throughout(seed_module):
    """Every weight Tensor the loop makes, and the gradient each one receives, is float32."""
    X, y, W1, W2 = _problem(2)
    made: list[Tensor] = []
    real = seed_module.Tensor

    def recording(*args, **kwargs):
        t = real(*args, **kwargs)
        made.append(t)
        return t

    first = [Tensor(W1), Tensor(W2)]
    seed_module.Tensor = recording
    try:
        seed_module.nn_epoch(X, y, *first, lr=LR, batch=BATCH)
    finally:
        seed_module.Tensor = real
    weights = first + [t for t in made if t.shape in ((DIM, HIDDEN), (HIDDEN, CLASSES))]
    steps = N // BATCH
    assert len(weights) == 2 * (steps + 1)
    for k, w in enumerate(weights):
        assert w.dtype == np.float32 and w.numpy().dtype == np.float32, k
        if k < 2 * steps:  # all but the two the epoch returns took part in a step
            assert w.grad is not None, k
            assert w.grad.dtype == np.float32 and w.grad.numpy().dtype == np.float32, k
    # and the first step's gradients are the hand-derived ones
    g1, g2, _ = two_layer_grads(X[:BATCH], W1, W2, one_hot(y[:BATCH], y.max() + 1))
    np.testing.assert_allclose(weights[0].grad.numpy(), g1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights[1].grad.numpy(), g2, rtol=1e-5, atol=1e-6)
