"""micrograd's demo on adjoint: a 2-16-16-1 ReLU network learns two interleaved half moons.

Run with `python -m examples.moons`. The data are generated here with numpy (two noisy half circles,
as scikit-learn's make_moons draws them), so the demo needs nothing beyond numpy.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scalar import Value
from scalar.nn import MLP

SEED = 4
"""With this seed, 100 points and 100 SGD steps reach 100% training accuracy (from step 30 on)."""


def make_moons(n: int = 100, noise: float = 0.1, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """`n` points on two interleaving half circles plus Gaussian noise, and labels ±1.

    The upper moon is the unit half circle (label −1); the lower one is the same half circle
    flipped and shifted by (1, 0.5) (label +1). Points are shuffled. Returns X, shape (n, 2), and
    y, shape (n,).
    """
    rng = np.random.default_rng(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.vstack([upper, lower]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([-np.ones(n_upper), np.ones(n_lower)])
    order = rng.permutation(n)
    return X[order], y[order]


def svm_loss(
    model: Any, X: Sequence[Sequence[float]], y: Sequence[float], value: type = Value
) -> tuple[Any, float]:
    """micrograd's loss: mean max-margin loss max(0, 1 − yᵢ·scoreᵢ) plus 1e-4·Σp², and accuracy.

    `X` and `y` are plain Python floats; `value` is the Value class of the engine (adjoint's or
    micrograd's: the code is the same for both, which is the point of the matching API).
    """
    scores = [model([value(a) for a in row]) for row in X]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    correct = sum((yi > 0) == (score.data > 0) for yi, score in zip(y, scores, strict=True))
    return data_loss + reg_loss, correct / len(y)


def sgd_step(
    model: Any, X: Sequence[Sequence[float]], y: Sequence[float], lr: float, value: type = Value
) -> tuple[float, float]:
    """One step of micrograd's demo: forward over all points, loss, backward, SGD update."""
    loss, accuracy = svm_loss(model, X, y, value)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data, accuracy


@dataclass
class History:
    """Loss and training accuracy at each step, measured on the forward pass before its update."""

    losses: list[float]
    accuracies: list[float]


def train(
    steps: int = 100,
    n: int = 100,
    seed: int = SEED,
    log: Callable[[str], None] | None = print,
    every: int = 10,
) -> History:
    """micrograd's demo: MLP(2, [16, 16, 1]) on `n` moons, `steps` SGD steps, lr 1.0 → 0.1."""
    X, y = make_moons(n, noise=0.1, seed=seed)
    Xs, ys = X.tolist(), y.tolist()  # Python floats: the engine is about Python numbers
    random.seed(seed)  # the weights come from Python's `random`, as in micrograd
    model = MLP(2, [16, 16, 1])
    history = History([], [])
    for k in range(steps):
        lr = 1.0 - 0.9 * k / 100  # micrograd's schedule: from 1.0 down to 0.1 over 100 steps
        loss, accuracy = sgd_step(model, Xs, ys, lr)
        history.losses.append(loss)
        history.accuracies.append(accuracy)
        if log is not None and (k % every == 0 or k == steps - 1):
            log(f"step {k:3d}  loss {loss:.4f}  accuracy {accuracy:6.1%}")
    return history


if __name__ == "__main__":
    train()
