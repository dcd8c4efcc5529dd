"""The seed loop's 2-layer network, relu(X·W1)·W2, trained by the seed loop itself.

`examples/nn_epoch.py` is the seed loop's `nn_epoch`, unchanged; this module feeds it a few thousand
Fashion-MNIST images (Debian's `dataset-fashion-mnist` package, found through `vector.data`) and
measures loss and error with the vector engine after every epoch. Without the dataset it says so in
one line and trains on generated images instead: it never downloads anything.

Run with `python -m examples.fashion`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from examples.nn_epoch import nn_epoch
from vector import Tensor, no_grad, relu, softmax_loss
from vector.data import load_fashion_mnist
from vector.models import TwoLayerNet

CLASSES = 10
DIM = 784
LR = 0.2
"""SGD step size: the seed loop's 0.1 also works, 0.2 gets further in the demo's few epochs."""
BATCH = 100


@dataclass(frozen=True)
class Data:
    """Training and test arrays (X float32 (N, 784) in [0, 1], y uint8) and where they came from."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str


@dataclass(frozen=True)
class Epoch:
    """Mean softmax loss and error rate on the training images and the test images."""

    epoch: int
    train_loss: float
    train_error: float
    test_loss: float
    test_error: float
    seconds: float


def generated(n_train: int, n_test: int, seed: int = 0) -> Data:
    """Ten classes of 28×28 'images': per class a fixed random pattern on about 30% of the pixels
    (real Fashion-MNIST lights up about as many), plus heavy noise, clipped to [0, 1].

    The noise is strong enough that the first epoch still misclassifies many images, so the
    error visibly falls from epoch to epoch, as it does on the real data.
    """
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((CLASSES, DIM)) < 0.3) * rng.random((CLASSES, DIM))

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, CLASSES, n).astype(np.uint8)
        X = np.clip(prototypes[y] + rng.normal(scale=1.5, size=(n, DIM)), 0.0, 1.0)
        return X.astype(np.float32), y

    X_train, y_train = draw(n_train)
    X_test, y_test = draw(n_test)
    return Data(
        X_train, y_train, X_test, y_test, f"{n_train} training and {n_test} test generated images"
    )


def load(
    n_train: int,
    n_test: int,
    data_dir: str | os.PathLike[str] | None = None,
    log: Callable[[str], None] = print,
) -> Data:
    """The first `n_train` training and `n_test` test images of Fashion-MNIST (from `data_dir`,
    default the Debian package's folder), or generated ones, announced in one line, if it is
    missing."""
    try:
        X_train, y_train, X_test, y_test = load_fashion_mnist(data_dir)
    except FileNotFoundError as exc:
        log(f"{exc}. Using generated images instead.")
        return generated(n_train, n_test)
    return Data(
        X_train[:n_train],
        y_train[:n_train],
        X_test[:n_test],
        y_test[:n_test],
        f"Fashion-MNIST, {n_train} training and {n_test} test images",
    )


def evaluate(X: np.ndarray, y: np.ndarray, W1: Tensor, W2: Tensor) -> tuple[float, float]:
    """(mean softmax loss, error rate) of relu(X·W1)·W2 on all of X, with no graph recorded."""
    one_hot = np.zeros((len(y), CLASSES), dtype=np.float32)
    one_hot[np.arange(len(y)), y] = 1
    with no_grad():
        Z = relu(Tensor(X, requires_grad=False) @ W1) @ W2
        loss = softmax_loss(Z, Tensor(one_hot, requires_grad=False))
    error = float(np.mean(Z.numpy().argmax(axis=1) != y))
    return float(loss.numpy()), error


def train(
    data: Data,
    epochs: int = 5,
    hidden: int = 100,
    lr: float = LR,
    batch: int = BATCH,
    seed: int = 0,
    log: Callable[[str], None] | None = print,
) -> list[Epoch]:
    """`epochs` calls of the seed loop's `nn_epoch` on `data`, from the study note's initialisation
    (W = randn(fan_in, fan_out)/√fan_out, seeded); returns, and logs, one row per epoch."""
    np.random.seed(seed)
    net = TwoLayerNet(DIM, hidden, CLASSES)
    W1, W2 = net.W1, net.W2
    history = []
    if log is not None:
        log("epoch  train loss  train error  test loss  test error  seconds")
    for k in range(1, epochs + 1):
        start = time.perf_counter()
        W1, W2 = nn_epoch(data.X_train, data.y_train, W1, W2, lr=lr, batch=batch)
        seconds = time.perf_counter() - start
        row = Epoch(
            k,
            *evaluate(data.X_train, data.y_train, W1, W2),
            *evaluate(data.X_test, data.y_test, W1, W2),
            seconds,
        )
        history.append(row)
        if log is not None:
            log(
                f"{row.epoch:5d}  {row.train_loss:10.4f}  {row.train_error:11.2%}  "
                f"{row.test_loss:9.4f}  {row.test_error:10.2%}  {row.seconds:7.2f}"
            )
    return history


if __name__ == "__main__":
    data = load(10_000, 10_000)
    print(f"relu(X·W1)·W2, 784 → 100 → 10, on {data.source}")
    train(data)
