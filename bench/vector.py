"""One epoch of the seed loop (`examples/nn_epoch.py`): adjoint's vector engine against plain numpy.

The seed loop (`examples/nn_epoch.py`, unchanged) trains relu(x·W1)·W2 on Fashion-MNIST's 60 000
training images (784-100-10, batch 100, lr 0.1, float32, W = randn(fan_in, fan_out)/√fan_out).
The baseline is the same epoch written by hand in numpy: same batches, the loss computed every
batch as the loop computes it, the hand-derived gradients, the same update. It also does, line for
line, the numpy work of the loop's own lines, which any engine running the loop pays: the batch
slice, `y.max() + 1` over all 60 000 labels and a fresh float64 one-hot every batch. So the ratio
measures only what the engine adds. Both run in this process, alternately, with the same BLAS
threads; we print medians and their ratio, and check that both end with the same weights.

Run: `make bench` (or `OPENBLAS_NUM_THREADS=1 python -m bench.vector [--repeats N]`).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from examples.nn_epoch import nn_epoch
from vector import Tensor


def numpy_epoch(
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, lr: float = 0.1, batch: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """The seed loop by hand: forward, softmax loss, backward and update, all in numpy.

    The batch slice and the one-hot labels are the loop's own lines (`examples/nn_epoch.py`),
    which it runs whatever the engine: the labels' maximum over all of `y` every batch, and a
    float64 one-hot.
    """
    for i in range(X.shape[0] // batch):
        batch_indices = slice(i * batch, (i + 1) * batch)
        x = X[batch_indices, :]
        H = x @ W1
        A = np.maximum(H, 0)
        Z = A @ W2
        yy = y[batch_indices]
        Y = np.zeros((batch, y.max() + 1))
        Y[np.arange(batch), yy] = 1
        top = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - top)
        total = E.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) + top[:, 0] - np.sum(Z * Y, axis=1))  # noqa: F841
        G = ((E / total - Y) / batch).astype(W2.dtype)  # dloss/dZ
        dW2 = A.T @ G
        dW1 = x.T @ ((G @ W2.T) * (H > 0))
        W1 = W1 - lr * dW1
        W2 = W2 - lr * dW2
    return W1, W2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="epochs timed per side")
    args = parser.parse_args()

    from vector.data import load_fashion_mnist

    X, y, _, _ = load_fashion_mnist()
    rng = np.random.default_rng(0)
    W1 = (rng.standard_normal((784, 100)) / np.sqrt(100)).astype(np.float32)
    W2 = (rng.standard_normal((100, 10)) / np.sqrt(10)).astype(np.float32)

    times: dict[str, list[float]] = {"numpy": [], "adjoint": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        n1, n2 = numpy_epoch(X, y, W1, W2)
        times["numpy"].append(time.perf_counter() - start)
        start = time.perf_counter()
        a1, a2 = nn_epoch(X, y, Tensor(W1), Tensor(W2))
        times["adjoint"].append(time.perf_counter() - start)

    base = statistics.median(times["numpy"])
    ours = statistics.median(times["adjoint"])
    drift = max(np.abs(n1 - a1.numpy()).max(), np.abs(n2 - a2.numpy()).max())
    print("seed loop, one epoch of Fashion-MNIST (60 000 images, 784-100-10, batch 100, float32)")
    print(f"{'':24}{'median s':>10}{'min s':>9}{'ratio':>8}")
    print(f"{'numpy by hand':24}{base:10.3f}{min(times['numpy']):9.3f}{1:8.2f}")
    print(f"{'adjoint (seed loop)':24}{ours:10.3f}{min(times['adjoint']):9.3f}{ours / base:8.2f}")
    print(f"weights after the epoch: max |numpy − adjoint| = {drift:.2e} ({a1.dtype})")


if __name__ == "__main__":
    main()
