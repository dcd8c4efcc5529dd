"""The same small classifier trained in both engines: `python -m examples.side_by_side`.

Two moons, a 2-16-16 network, 100 full-batch SGD steps. The scalar engine uses micrograd's API
(one `Value` per number, hinge loss, labels ±1); the vector engine uses needle's (one `Tensor`
per array, softmax loss, labels 0/1). The README shows the two loops next to each other.
"""

from __future__ import annotations

import random

import numpy as np

import vector as ndl
from examples.moons import make_moons
from scalar.nn import MLP
from vector import nn, optim


def train_scalar(X: np.ndarray, Y: np.ndarray, steps: int = 100) -> float:
    """micrograd style; returns the training accuracy. Y holds ±1."""
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    for _ in range(steps):
        scores = [model(list(x)) for x in X]
        loss = sum((1 - y * s).relu() for y, s in zip(Y, scores, strict=True)) / len(X)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
    return float(np.mean([(s.data > 0) == (y > 0) for y, s in zip(Y, scores, strict=True)]))


def train_vector(X: np.ndarray, labels: np.ndarray, steps: int = 100) -> float:
    """needle style; returns the training accuracy. labels hold 0/1."""
    np.random.seed(0)
    model = nn.Sequential(
        nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)
    )
    opt = optim.SGD(model.parameters(), lr=0.1)
    inputs = ndl.Tensor(X, dtype="float32")
    for _ in range(steps):
        logits = model(inputs)
        loss = nn.SoftmaxLoss()(logits, ndl.Tensor(labels))
        opt.reset_grad()
        loss.backward()
        opt.step()
    return float(np.mean(logits.numpy().argmax(axis=1) == labels))


def main() -> None:
    X, Y = make_moons(100)
    print(f"scalar.nn (micrograd API): training accuracy {train_scalar(X, Y):.0%}")
    print(
        f"vector.nn (needle API):    training accuracy {train_vector(X, (Y > 0).astype(int)):.0%}"
    )


if __name__ == "__main__":
    main()
