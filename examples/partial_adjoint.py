"""Partial adjoints: a node used twice receives one partial adjoint per use, and its adjoint is
their sum.

    v₁ = x,  v₂ = exp(v₁),  v₃ = v₂ + 1,  v₄ = v₂ · v₃   (y = v₄)

v₂ feeds both v₃ and v₄, so the reverse pass sends it v̄₂→₃ = v̄₃ · ∂v₃/∂v₂ and
v̄₂→₄ = v̄₄ · ∂v₄/∂v₂, and v̄₂ = v̄₂→₃ + v̄₂→₄. By hand, with v̄₄ = 1 and v̄₃ = v̄₄ · v₂ = eˣ:
v̄₂→₃ = eˣ, v̄₂→₄ = v₃ = eˣ + 1, v̄₂ = 2eˣ + 1, x̄ = v̄₂ · eˣ = 2e²ˣ + eˣ.
"""

from __future__ import annotations

from dataclasses import dataclass

from autodiff import Step
from scalar import Value
from viz.trace import reverse_table


@dataclass(frozen=True)
class PartialAdjoints:
    """The example's nodes, its recorded reverse pass, and the numbers it shows."""

    v1: Value
    v2: Value
    v3: Value
    v4: Value
    steps: list[Step]
    v2_to_3: float
    """v̄₂→₃: the partial adjoint v₂ receives from v₃."""
    v2_to_4: float
    """v̄₂→₄: the partial adjoint v₂ receives from v₄."""
    v2_bar: float
    """v̄₂: v₂'s adjoint, as the reverse pass computed it."""
    x_bar: float
    """x̄ = dy/dx."""


def run(x: float = 1.0) -> PartialAdjoints:
    """Build the example at `x`, run the reverse pass with a trace, and read the partial adjoints
    off it."""
    v1 = Value(x, label="x")
    v2 = v1.exp()
    v3 = v2 + 1
    v4 = v2 * v3
    steps = v4.backward(trace=True)
    return PartialAdjoints(
        v1,
        v2,
        v3,
        v4,
        steps,
        v2_to_3=_sent(steps, v3, v2),
        v2_to_4=_sent(steps, v4, v2),
        v2_bar=next(step.adjoint for step in steps if step.node is v2),
        x_bar=v1.grad,
    )


def _sent(steps: list[Step], sender: Value, receiver: Value) -> float:
    """The partial adjoint `sender` sent to `receiver` in the recorded pass."""
    (step,) = (step for step in steps if step.node is sender)
    (partial_adjoint,) = (edge.partial_adjoint for edge in step.edges if edge.input is receiver)
    return partial_adjoint


def report(x: float = 1.0) -> str:
    """The example as text: the reverse trace, then v̄₂ as the sum of its two partial adjoints."""
    r = run(x)
    table = reverse_table(r.v4, r.steps, first=1)
    return "\n".join(
        [
            "v₁ = x, v₂ = exp(v₁), v₃ = v₂ + 1, v₄ = v₂ · v₃: v₂ is used twice",
            "",
            table,
            "",
            f"v̄₂→₃ = {r.v2_to_3:.6f}   (from v₃ = v₂ + 1)",
            f"v̄₂→₄ = {r.v2_to_4:.6f}   (from v₄ = v₂ · v₃)",
            f"v̄₂   = {r.v2_bar:.6f} = v̄₂→₃ + v̄₂→₄ = {r.v2_to_3 + r.v2_to_4:.6f}",
            f"x̄    = {r.x_bar:.6f}",
        ]
    )


if __name__ == "__main__":
    print(report())
