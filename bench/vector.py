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

Two more rows run the seed step without building a graph: its adjoint program
(`vector.program`, built once from the first batch's graph, with the batch and its one-hot passed
as data that requires no gradient) and `vector.compile` (the step traced at the first batch,
included in the time, and replayed). Their weights must equal the seed loop's bit for bit.

Run: `make bench` (or `OPENBLAS_NUM_THREADS=1 python -m bench.vector [--repeats N]`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from examples.nn_epoch import nn_epoch
from examples.seed_program import seed_step_graph
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


def program_epoch(
    prog: Any,
    X: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    W2: np.ndarray,
    lr: float = 0.1,
    batch: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """The seed loop with each step's forward and backward pass done by the program: the same
    batch slice, one-hot labels and update as `numpy_epoch`."""
    for i in range(X.shape[0] // batch):
        batch_indices = slice(i * batch, (i + 1) * batch)
        x = X[batch_indices, :]
        yy = y[batch_indices]
        Y = np.zeros((batch, y.max() + 1))
        Y[np.arange(batch), yy] = 1
        _, (_, dW1, dW2, _) = prog(x, W1, W2, Y)
        W1 = W1 - lr * dW1
        W2 = W2 - lr * dW2
    return W1, W2


def compiled_epoch(
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, lr: float = 0.1, batch: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """The seed loop with `vector.compile`: its step traced at the first batch (included in the
    time), replayed after; the batch and the one-hot passed as data."""
    import vector
    from vector import relu, softmax_loss

    def seed_loss(X: Tensor, W1: Tensor, W2: Tensor, Y: Tensor) -> Tensor:
        return softmax_loss(relu(X.matmul(W1)).matmul(W2), Y)

    step = vector.compile(seed_loss)
    for i in range(X.shape[0] // batch):
        batch_indices = slice(i * batch, (i + 1) * batch)
        x = Tensor(X[batch_indices, :], requires_grad=False)
        yy = y[batch_indices]
        Y = np.zeros((batch, y.max() + 1))
        Y[np.arange(batch), yy] = 1
        _, (_, dW1, dW2, _) = step(x, W1, W2, Tensor(Y, requires_grad=False))
        W1 = W1 - lr * dW1
        W2 = W2 - lr * dW2
    return W1, W2


INSTALL = "pip install torch==2.13.0 (or `make bench`, which installs the bench extra)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="epochs timed per side")
    args = parser.parse_args()

    import vector
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
    start = time.perf_counter()
    loss, leaves = seed_step_graph(X[:100], y[:100], W1, W2, classes=int(y.max()) + 1)
    prog = vector.program(loss, leaves)
    built = time.perf_counter() - start

    def seed_loop() -> tuple[np.ndarray, np.ndarray]:
        w1, w2 = nn_epoch(X, y, Tensor(W1), Tensor(W2))
        return w1.numpy(), w2.numpy()

    sides = {
        "numpy by hand": lambda: numpy_epoch(X, y, W1, W2),
        "adjoint (seed loop)": seed_loop,
        "adjoint program": lambda: program_epoch(prog, X, y, W1, W2),
        "vector.compile": lambda: compiled_epoch(X, y, W1, W2),
    }
    if torch is not None:
        sides[f"PyTorch {torch.__version__}, 1 thread"] = lambda: torch_epoch(torch, X, y, W1, W2)
    times: dict[str, list[float]] = {side: [] for side in sides}
    weights: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for _ in range(args.repeats):  # each round runs every side once, in turn
        for side, run in sides.items():
            begin = time.perf_counter()
            weights[side] = run()
            times[side].append(time.perf_counter() - begin)

    def ratio(side: str, base: str) -> float:
        # the median of each round's ratio: robust when other work slows some rounds down
        return statistics.median(a / b for a, b in zip(times[side], times[base], strict=True))

    names = list(sides)
    torch_side = names[4] if torch is not None else None
    print("seed loop, one epoch of Fashion-MNIST (60 000 images, 784-100-10, batch 100, float32)")
    print(
        f"{'':28}{'median s':>10}{'min s':>9}{'/ numpy':>9}{'/ PyTorch' if torch_side else '':>11}"
    )
    for side in names:
        vs_torch = f"{ratio(side, torch_side):11.2f}" if torch_side else ""
        print(
            f"{side:28}{statistics.median(times[side]):10.3f}{min(times[side]):9.3f}"
            f"{ratio(side, names[0]):9.2f}{vs_torch}"
        )
    print(f"(the program is built once, from one batch's graph, in {built:.3f} s)")
    n1, n2 = weights[names[0]]
    a1, a2 = weights[names[1]]
    drift = max(np.abs(n1 - a1).max(), np.abs(n2 - a2).max())
    print(f"weights after the epoch: max |numpy − adjoint| = {drift:.2e} ({a1.dtype})")
    for side in names[2:4]:
        same = all(np.array_equal(a, b) for a, b in zip(weights[side], (a1, a2), strict=True))
        print(f"weights after the epoch: {side} {'==' if same else '!='} the seed loop's")
    if torch_side is None:
        print(f"PyTorch is not installed, so its row is missing: {INSTALL}")
        return
    t1, t2 = weights[torch_side]
    drift = max(np.abs(n1 - t1).max(), np.abs(n2 - t2).max())
    print(f"weights after the epoch: max |numpy − PyTorch| = {drift:.2e}")


if __name__ == "__main__":
    main()
