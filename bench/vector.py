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


# ------------------------------------------------------------------------ the adjoint program
def seed_program(X: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, batch: int = 100):
    """The seed step's adjoint program, built once from the first batch's graph: the batch and
    its one-hot labels (the loop's own float64 one-hot) are data that requires no gradient."""
    import vector
    from vector import relu, softmax_loss

    Y = np.zeros((batch, y.max() + 1))
    Y[np.arange(batch), y[:batch]] = 1
    leaves = [
        Tensor(X[:batch], requires_grad=False, label="X"),
        Tensor(W1, label="W1"),
        Tensor(W2, label="W2"),
        Tensor(Y, requires_grad=False, label="Y"),
    ]
    Z = relu(leaves[0].matmul(leaves[1])).matmul(leaves[2])
    Z.label = "Z"
    loss = softmax_loss(Z, leaves[3])
    loss.label = "loss"
    return vector.program(loss, leaves)


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


def torch_epoch(
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, lr: float = 0.1, batch: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """The seed loop in PyTorch's eager mode: the same batches, one-hot labels, loss and update."""
    import torch

    w1 = torch.from_numpy(W1).requires_grad_()
    w2 = torch.from_numpy(W2).requires_grad_()
    for i in range(X.shape[0] // batch):
        batch_indices = slice(i * batch, (i + 1) * batch)
        x = torch.from_numpy(X[batch_indices, :])
        yy = y[batch_indices]
        Y = np.zeros((batch, y.max() + 1))
        Y[np.arange(batch), yy] = 1
        Z = torch.relu(x @ w1) @ w2
        loss = (torch.logsumexp(Z, dim=1) - (Z * torch.from_numpy(Y)).sum(dim=1)).mean()
        loss.backward()
        with torch.no_grad():
            w1 = (w1 - lr * w1.grad).requires_grad_()
            w2 = (w2 - lr * w2.grad).requires_grad_()
    return w1.detach().numpy(), w2.detach().numpy()


def program_table(
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, repeats: int
) -> None:
    """The seed loop's epoch through its adjoint program, against numpy by hand and PyTorch.

    Each round runs every side once, in turn; the table gives medians over rounds and the median
    of each round's ratio (robust when other work on the machine slows some rounds down).
    """
    start = time.perf_counter()
    prog = seed_program(X, y, W1, W2)
    built = time.perf_counter() - start
    try:
        import torch

        torch.set_num_threads(1)
        sides = ["numpy", "program", "compile", "pytorch", "adjoint"]
    except ImportError:
        sides = ["numpy", "program", "compile", "adjoint"]
    times: dict[str, list[float]] = {side: [] for side in sides}
    results: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    runs = {
        "numpy": lambda: numpy_epoch(X, y, W1, W2),
        "program": lambda: program_epoch(prog, X, y, W1, W2),
        "compile": lambda: compiled_epoch(X, y, W1, W2),
        "pytorch": lambda: torch_epoch(X, y, W1, W2),
        "adjoint": lambda: tuple(t.numpy() for t in nn_epoch(X, y, Tensor(W1), Tensor(W2))),
    }
    for _ in range(repeats):
        for side in sides:
            begin = time.perf_counter()
            results[side] = runs[side]()
            times[side].append(time.perf_counter() - begin)

    def ratio(side: str, base: str) -> float:
        return statistics.median(a / b for a, b in zip(times[side], times[base], strict=True))

    print()
    print(f"the seed step as a program (built once from one batch's graph in {built:.3f} s)")
    print(f"{'':24}{'median s':>10}{'min s':>9}{'/ numpy':>9}{'/ pytorch':>11}")
    names = {
        "numpy": "numpy by hand",
        "program": "adjoint program",
        "compile": "vector.compile",
        "pytorch": "pytorch eager",
        "adjoint": "adjoint (seed loop)",
    }
    for side in sides:
        vs_torch = f"{ratio(side, 'pytorch'):11.2f}" if "pytorch" in sides else ""
        print(
            f"{names[side]:24}{statistics.median(times[side]):10.3f}{min(times[side]):9.3f}"
            f"{ratio(side, 'numpy'):9.2f}{vs_torch}"
        )
    print("(ratios: the median over rounds of each round's ratio)")
    for side in ("program", "compile"):
        same = all(
            np.array_equal(a, b) for a, b in zip(results[side], results["adjoint"], strict=True)
        )
        print(f"weights after the epoch: {names[side]} {'==' if same else '!='} the seed loop's")


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
    program_table(X, y, W1, W2, args.repeats)


if __name__ == "__main__":
    main()
