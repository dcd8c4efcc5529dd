"""The seed loop's step as a program, beside the backprop a student derives by hand.

The seed loop (`examples/nn_epoch.py`) trains Z = relu(X·W1)·W2 with the softmax loss and calls
`loss.backward()`. Here one batch's graph is built the same way, with the names a student uses
(X, W1, W2, Y, Z), and `vector.program` writes out what that `backward()` computes. Beside it are
the formulas of needle's hw0, derived by hand, with B the batch size and A = relu(X·W1):

    G   = (softmax(Z) − Y) / B
    ∇W2 = Aᵀ·G
    ∇W1 = Xᵀ·((G·W2ᵀ) ∘ [X·W1 > 0])

computed in plain numpy. The program's gradients agree with them (to float32 rounding: the
formulas are evaluated in another order), and equal `backward()`'s exactly.

Run: `python -m examples.seed_program` (add `--save PATH` to write the program as a module).
"""

from __future__ import annotations

import argparse

import numpy as np

import vector
from autodiff.program import Program
from vector import Tensor, relu, softmax_loss


def seed_step_graph(
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, classes: int | None = None
) -> tuple[Tensor, list[Tensor]]:
    """One batch of the seed loop as a graph: the loss and its leaves (X, W1, W2, Y).

    The batch and its one-hot labels (`classes` columns, by default the batch's largest label
    + 1, as the seed loop counts them) are data (requires_grad=False), so the program never
    computes their gradients.
    """
    Y = np.zeros((X.shape[0], classes or y.max() + 1))
    Y[np.arange(X.shape[0]), y] = 1
    leaves = [
        Tensor(X, requires_grad=False, label="X"),
        Tensor(W1, label="W1"),
        Tensor(W2, label="W2"),
        Tensor(Y, requires_grad=False, label="Y"),
    ]
    Z = relu(leaves[0].matmul(leaves[1])).matmul(leaves[2])
    Z.label = "Z"
    loss = softmax_loss(Z, leaves[3])
    loss.label = "loss"
    return loss, leaves


def hw0_gradients(
    X: np.ndarray, Y: np.ndarray, W1: np.ndarray, W2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """∇W1 and ∇W2 of the mean softmax loss, by the formulas derived by hand."""
    B = X.shape[0]
    A = np.maximum(X @ W1, 0)
    Z = A @ W2
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    G = (E / E.sum(axis=1, keepdims=True) - Y) / B
    return X.T @ ((G @ W2.T) * (X @ W1 > 0)), A.T @ G


def seed_step_program(
    seed: int = 0,
) -> tuple[Program, Tensor, list[Tensor]]:
    """One batch of random data through the seed step's graph, and that graph's program."""
    rng = np.random.default_rng(seed)
    X = rng.random((100, 784)).astype(np.float32)  # a batch of 28 × 28 images in [0, 1]
    y = rng.integers(0, 10, 100)
    W1 = (rng.standard_normal((784, 100)) / np.sqrt(100)).astype(np.float32)
    W2 = (rng.standard_normal((100, 10)) / np.sqrt(10)).astype(np.float32)
    loss, leaves = seed_step_graph(X, y, W1, W2)
    return vector.program(loss, leaves), loss, leaves


# The reverse sweep's lines, by what they assign, beside the formula a student writes for them.
FORMULAS = {
    "Z_bar": "G = (softmax(Z) − Y) / B",
    "v2_bar": "G·W2ᵀ",
    "W2_bar": "∇W2 = Aᵀ·G",
    "v1_bar": "(G·W2ᵀ) ∘ [X·W1 > 0]",
    "W1_bar": "∇W1 = Xᵀ·((G·W2ᵀ) ∘ [X·W1 > 0])",
}


def report(prog: Program, loss: Tensor, leaves: list[Tensor]) -> str:
    """The program, its reverse sweep beside hw0's formulas, and the check that they agree."""
    lines = [str(prog), ""]
    rows = []
    for line in prog.source.splitlines():
        target = line.strip().split(" = ")[0]
        if target in FORMULAS:
            rows.append((line.strip().split("  # ")[0], FORMULAS[target]))
    width = max(len(code) for code, _ in rows)
    lines.append(f"{'the program (reverse sweep)':{width}}   needle hw0, by hand (A = relu(X·W1))")
    lines += [f"{code:{width}}   {formula}" for code, formula in rows]
    lines.append("")

    arrays = [leaf.numpy() for leaf in leaves]
    value, (_, gW1, gW2, _) = prog(*arrays)
    hand_W1, hand_W2 = hw0_gradients(arrays[0], arrays[3], arrays[1], arrays[2])
    loss.backward()
    grads = [leaf.grad.numpy() for leaf in leaves[1:3] if leaf.grad is not None]
    for name, got, hand, engine in (("W1", gW1, hand_W1, grads[0]), ("W2", gW2, hand_W2, grads[1])):
        close = np.allclose(got, hand, rtol=1e-4, atol=1e-6)
        exact = np.array_equal(got, engine) and got.dtype == engine.dtype
        lines.append(
            f"∇{name} {got.shape} {got.dtype}: program vs by hand: max |difference| "
            f"{np.abs(got - hand).max():.1e} (allclose: {close}); program vs backward(): "
            f"{'equal, bit for bit' if exact else 'DIFFERENT'}"
        )
        if not (close and exact):
            raise SystemExit(f"∇{name} does not agree")
    same = bool(value == loss.numpy())
    lines.append(
        f"loss {float(value):.6f}: program vs backward(): {'equal' if same else 'DIFFERENT'}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", metavar="PATH", help="also write the program as a module")
    args = parser.parse_args(argv)
    prog, loss, leaves = seed_step_program()
    print(report(prog, loss, leaves))
    if args.save:
        print(f"(saved to {prog.save(args.save)})")


if __name__ == "__main__":
    main()
