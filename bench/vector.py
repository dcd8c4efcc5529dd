"""One epoch of the seed loop: adjoint's vector engine against plain numpy and PyTorch.

The seed loop (`examples/nn_epoch.py`, unchanged) trains relu(x·W1)·W2 on Fashion-MNIST's 60 000
training images (784-100-10, batch 100, lr 0.1, float32, W = randn(fan_in, fan_out)/√fan_out).
The baseline is the same epoch written by hand in numpy: same batches, the loss computed every
batch as the loop computes it, the hand-derived gradients, the same update. It also does, line for
line, the numpy work of the loop's own lines, which any engine running the loop pays: the batch
slice, `y.max() + 1` over all 60 000 labels and a fresh float64 one-hot every batch. So the ratio
measures only what the engine adds. PyTorch (when installed) runs the same loop in eager mode,
line for line: the batch through `torch.from_numpy`, the same float64 one-hot, needle's softmax
loss (mean of logsumexp minus the true logit), `backward()`, and the same update into new leaf
tensors; one thread (`torch.set_num_threads(1)`). All run in this process, taking turns, with the
same BLAS threads; we print medians and their ratios, and check that all end with the same weights.

Run: `make bench` (or `OPENBLAS_NUM_THREADS=1 python -m bench.vector [--repeats N]`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

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


def torch_epoch(
    torch: Any,
    X: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    W2: np.ndarray,
    lr: float = 0.1,
    batch: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """The seed loop in PyTorch's eager mode, line for line (see the module docstring)."""
    w1 = torch.tensor(W1, requires_grad=True)
    w2 = torch.tensor(W2, requires_grad=True)
    for i in range(X.shape[0] // batch):
        batch_indices = slice(i * batch, (i + 1) * batch)
        x = torch.from_numpy(X[batch_indices, :])
        Z = torch.relu(x @ w1) @ w2
        yy = y[batch_indices]
        y_one_hot = np.zeros((batch, y.max() + 1))
        y_one_hot[np.arange(batch), yy] = 1
        Y = torch.from_numpy(y_one_hot)
        loss = (torch.logsumexp(Z, 1) - (Z * Y).sum(1)).mean()
        loss.backward()
        with torch.no_grad():
            w1 = (w1 - lr * w1.grad).requires_grad_()
            w2 = (w2 - lr * w2.grad).requires_grad_()
    return w1.detach().numpy(), w2.detach().numpy()


INSTALL = "pip install torch==2.13.0 (or `make bench`, which installs the bench extra)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="epochs timed per side")
    args = parser.parse_args()

    from vector.data import load_fashion_mnist

    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.set_num_threads(1)

    X, y, _, _ = load_fashion_mnist()
    rng = np.random.default_rng(0)
    W1 = (rng.standard_normal((784, 100)) / np.sqrt(100)).astype(np.float32)
    W2 = (rng.standard_normal((100, 10)) / np.sqrt(10)).astype(np.float32)

    times: dict[str, list[float]] = {"numpy": [], "adjoint": [], "pytorch": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        n1, n2 = numpy_epoch(X, y, W1, W2)
        times["numpy"].append(time.perf_counter() - start)
        start = time.perf_counter()
        a1, a2 = nn_epoch(X, y, Tensor(W1), Tensor(W2))
        times["adjoint"].append(time.perf_counter() - start)
        if torch is not None:
            start = time.perf_counter()
            t1, t2 = torch_epoch(torch, X, y, W1, W2)
            times["pytorch"].append(time.perf_counter() - start)

    base = statistics.median(times["numpy"])
    print("seed loop, one epoch of Fashion-MNIST (60 000 images, 784-100-10, batch 100, float32)")
    print(f"{'':28}{'median s':>10}{'min s':>9}{'ratio':>8}")
    rows = [("numpy by hand", "numpy"), ("adjoint (seed loop)", "adjoint")]
    if torch is not None:
        rows.append((f"PyTorch {torch.__version__}, 1 thread", "pytorch"))
    for name, key in rows:
        median = statistics.median(times[key])
        print(f"{name:28}{median:10.3f}{min(times[key]):9.3f}{median / base:8.2f}")
    drift = max(np.abs(n1 - a1.numpy()).max(), np.abs(n2 - a2.numpy()).max())
    print(f"weights after the epoch: max |numpy − adjoint| = {drift:.2e} ({a1.dtype})")
    if torch is None:
        print(f"PyTorch is not installed, so its row is missing: {INSTALL}")
        return
    ours = statistics.median(times["adjoint"]) / statistics.median(times["pytorch"])
    drift = max(np.abs(n1 - t1).max(), np.abs(n2 - t2).max())
    print(f"adjoint / PyTorch: {ours:.2f}; max |numpy − PyTorch| = {drift:.2e}")


if __name__ == "__main__":
    main()
