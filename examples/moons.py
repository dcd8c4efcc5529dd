"""micrograd's demo on adjoint: a 2-16-16-1 ReLU network learns two interleaved half moons.

Run with `python -m examples.moons`. The data are generated here with numpy (two noisy half circles,
as scikit-learn's make_moons draws them), so the demo needs nothing beyond numpy.

`python -m examples.moons --program` trains the same network twice: as above, a graph per step
and `backward()`, and through the adjoint program (`scalar.program`) of the first step's graph,
which is the same computation written out as one Python function, called with the current weights
at every step. It prints the two losses side by side, equal to the last bit, with the time per step.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autodiff import topological_order
from scalar import Value, program
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
    """Loss and training accuracy at each step, measured on the forward pass before its update,
    and the CPU time of each step (`time.process_time`, which other programs on the machine
    disturb less than wall time). A program returns the loss alone: no accuracies then."""

    losses: list[float]
    accuracies: list[float]
    seconds: list[float] = field(default_factory=list)


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
        start = time.process_time()
        loss, accuracy = sgd_step(model, Xs, ys, learning_rate(k))
        history.seconds.append(time.process_time() - start)
        history.losses.append(loss)
        history.accuracies.append(accuracy)
        if log is not None and (k % every == 0 or k == steps - 1):
            log(f"step {k:3d}  loss {loss:.4f}  accuracy {accuracy:6.1%}")
    return history


def learning_rate(k: int) -> float:
    """micrograd's schedule: from 1.0 at step 0 down to 0.1 at step 100."""
    return 1.0 - 0.9 * k / 100


def moons_program(model: Any, X: Sequence[Sequence[float]], y: Sequence[float]) -> Any:
    """The adjoint program of the demo's loss: a function of the model's parameters (in
    `model.parameters()` order) returning the loss and its gradient. The points and labels are
    constants of the program: the demo trains on the whole set at every step, so one graph, recorded
    once, is every step's graph."""
    loss, _ = svm_loss(model, X, y)
    return program(loss, model.parameters(), name="moons_loss_grad")


def program_step(prog: Any, parameters: Sequence[Value], lr: float) -> float:
    """One step through the program: the loss and gradients at the current weights, then the same
    SGD update as `sgd_step` (so the weights stay equal to the eager loop's, bit for bit)."""
    loss, grads = prog(*[p.data for p in parameters])
    for p, grad in zip(parameters, grads, strict=True):
        p.data -= lr * grad
    return loss


def train_program(steps: int = 100, n: int = 100, seed: int = SEED) -> tuple[History, float]:
    """`train`, each step through the adjoint program of the first step's graph. Returns the
    history (losses and times; no accuracies) and the seconds it took to write out the program."""
    X, y = make_moons(n, noise=0.1, seed=seed)
    Xs, ys = X.tolist(), y.tolist()
    random.seed(seed)
    model = MLP(2, [16, 16, 1])
    start = time.process_time()
    prog = moons_program(model, Xs, ys)
    built = time.process_time() - start
    parameters = model.parameters()
    history = History([], [])
    for k in range(steps):
        start = time.process_time()
        loss = program_step(prog, parameters, learning_rate(k))
        history.seconds.append(time.process_time() - start)
        history.losses.append(loss)
    return history, built


def compare(
    steps: int = 100, n: int = 100, seed: int = SEED, log: Callable[[str], None] = print
) -> tuple[History, History]:
    """Train with `backward()` and through the program; print the losses side by side."""
    X, y = make_moons(n, noise=0.1, seed=seed)
    random.seed(seed)
    loss, _ = svm_loss(MLP(2, [16, 16, 1]), X.tolist(), y.tolist())
    nodes = len(topological_order((loss,)))
    del loss
    eager = train(steps, n, seed, log=None)
    through_program, built = train_program(steps, n, seed)
    log(
        f"micrograd's demo, {steps} steps, each step two ways: a graph of {nodes:,} nodes and\n"
        "backward(), and the adjoint program of the first step's graph, called with the weights\n"
        f"(writing out the program took {built:.2f} s of CPU time)."
    )
    log(
        f"{'step':>4}  {'loss, backward()':<23}{'loss, program':<23}{'':4}"
        f"{'CPU ms, backward()':>19}{'CPU ms, program':>17}"
    )
    for k in range(steps):
        if k % 10 == 0 or k == steps - 1:
            a, b = eager.losses[k], through_program.losses[k]
            log(
                f"{k:>4}  {a!r:<23}{b!r:<23}{'==' if a == b else '!=':4}"
                f"{eager.seconds[k] * 1e3:>19.1f}{through_program.seconds[k] * 1e3:>17.1f}"
            )
    same = all(a == b for a, b in zip(eager.losses, through_program.losses, strict=True))
    median_eager = statistics.median(eager.seconds)
    median_program = statistics.median(through_program.seconds)
    log(
        f"Losses {'equal to the last bit at every step' if same else 'DIFFERENT'}.\nMedian step: "
        f"{median_eager * 1e3:.1f} ms of CPU time with backward(), {median_program * 1e3:.2f} ms "
        f"through the program ({median_eager / median_program:.0f}x)."
    )
    return eager, through_program


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="SGD steps (default 100)")
    parser.add_argument(
        "--program",
        action="store_true",
        help="train with backward() and through the adjoint program, losses side by side",
    )
    args = parser.parse_args(argv)
    if args.program:
        compare(args.steps)
    else:
        train(args.steps)


if __name__ == "__main__":
    main()
