"""Forward or reverse mode? The study note's cost argument, measured.

For f: Rⁿ → Rᵏ, forward mode gets one column of the Jacobian per pass (J·eⱼ), so the whole
Jacobian takes n passes; reverse mode gets one row per backward pass (eᵢᵀ·J), so it takes k. A
loss (k = 1) with many parameters is the case deep learning lives in, which is why it trains with
reverse mode. Here `vector.jacobian_fwd` and `vector.jacobian_rev` compute the same Jacobians of a
small network read both ways: Rⁿ → R¹ (a loss) and R¹ → Rⁿ (a curve), with the passes counted and
timed.

Run with `python -m examples.modes`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import vector
from vector import Tensor

HIDDEN = 20
"""Width of the small network inside both functions."""


@dataclass(frozen=True)
class Cost:
    """What computing one Jacobian cost in each mode."""

    title: str
    n: int
    """Inputs."""
    k: int
    """Outputs."""
    forward_passes: int
    """Evaluations of f by `jacobian_fwd`, each carrying one tangent direction."""
    forward_seconds: float
    reverse_evaluations: int
    """Evaluations of f by `jacobian_rev` (one: the graph is then reused)."""
    backward_passes: int
    """Backward passes of `jacobian_rev`: one per output, i.e. one per row of the Jacobian."""
    reverse_seconds: float
    max_difference: float
    """Largest absolute difference between the two Jacobians."""


class Counted:
    """`f`, counting how often it is evaluated (each evaluation is one forward pass)."""

    def __init__(self, f: Callable[[Tensor], Tensor]) -> None:
        self.f = f
        self.calls = 0

    def __call__(self, x: Tensor) -> Tensor:
        self.calls += 1
        return self.f(x)


def loss(n: int, seed: int = 0) -> Callable[[Tensor], Tensor]:
    """f: Rⁿ → R¹, f(x) = tanh(x·A)·b, a one-hidden-layer network with a scalar output."""
    rng = np.random.default_rng(seed)
    A = Tensor(rng.standard_normal((n, HIDDEN)) / np.sqrt(n), requires_grad=False)
    b = Tensor(rng.standard_normal((HIDDEN, 1)), requires_grad=False)

    def f(x: Tensor) -> Tensor:
        return vector.tanh(x.reshape((1, n)) @ A).matmul(b).reshape((1,))

    return f


def curve(n: int, seed: int = 0) -> Callable[[Tensor], Tensor]:
    """g: R¹ → Rⁿ, g(t) = tanh(t·a)·B, the same kind of network read the other way."""
    rng = np.random.default_rng(seed)
    a = Tensor(rng.standard_normal((1, HIDDEN)), requires_grad=False)
    B = Tensor(rng.standard_normal((HIDDEN, n)) / np.sqrt(HIDDEN), requires_grad=False)

    def g(t: Tensor) -> Tensor:
        return vector.tanh(t.reshape((1, 1)) @ a).matmul(B).reshape((n,))

    return g


def measure(title: str, f: Callable[[Tensor], Tensor], x: np.ndarray) -> Cost:
    """Both Jacobians of `f` at `x` (float64, so that they agree to rounding), counted and timed."""
    k = int(np.prod(f(Tensor(x, requires_grad=False)).shape))  # also warms numpy up
    forward = Counted(f)
    start = time.perf_counter()
    J_fwd = vector.jacobian_fwd(forward, x)
    forward_seconds = time.perf_counter() - start
    reverse = Counted(f)
    start = time.perf_counter()
    J_rev = vector.jacobian_rev(reverse, x)
    reverse_seconds = time.perf_counter() - start
    return Cost(
        title=title,
        n=x.size,
        k=k,
        forward_passes=forward.calls,
        forward_seconds=forward_seconds,
        reverse_evaluations=reverse.calls,
        backward_passes=J_rev.reshape(k, -1).shape[0],  # one backward pass made each row
        reverse_seconds=reverse_seconds,
        max_difference=float(np.abs(J_fwd - J_rev).max()),
    )


def compare(n: int = 500, seed: int = 0) -> list[Cost]:
    """The Jacobian of a loss Rⁿ → R¹ and of a curve R¹ → Rⁿ, each computed in both modes."""
    rng = np.random.default_rng(seed)
    return [
        measure(f"f: R^{n} → R^1, a loss", loss(n, seed), rng.standard_normal(n)),
        measure(f"g: R^1 → R^{n}", curve(n, seed), rng.standard_normal(1)),
    ]


def report(n: int = 500, seed: int = 0) -> str:
    """`compare(n)` as text: passes, time, and whether the Jacobians agree."""
    lines = [
        "For f: Rⁿ → Rᵏ, forward mode needs n passes (one Jacobian column each) and reverse mode",
        "k backward passes (one row each). vector.jacobian_fwd and vector.jacobian_rev, measured:",
    ]
    for c in compare(n, seed):
        fwd = f"{c.forward_passes} forward pass{'es' if c.forward_passes != 1 else ''}"
        rev = (
            f"{c.reverse_evaluations} forward + {c.backward_passes} backward "
            f"pass{'es' if c.backward_passes != 1 else ''}"
        )
        lines += [
            "",
            f"{c.title} (n = {c.n}, k = {c.k}), Jacobian {c.k}×{c.n}:",
            f"  forward mode  {fwd:<32} {c.forward_seconds * 1e3:8.1f} ms",
            f"  reverse mode  {rev:<32} {c.reverse_seconds * 1e3:8.1f} ms",
            f"  the Jacobians agree: max |J_fwd − J_rev| = {c.max_difference:.1e}; {_winner(c)}",
        ]
    return "\n".join(lines)


def _winner(c: Cost) -> str:
    fast, slow = sorted(
        [("forward", c.forward_seconds), ("reverse", c.reverse_seconds)], key=lambda m: m[1]
    )
    return f"{fast[0]} mode was {slow[1] / max(fast[1], 1e-9):.0f}× faster"


if __name__ == "__main__":
    print(report())
