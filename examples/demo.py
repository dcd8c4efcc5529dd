"""`make demo` (`python -m examples.demo`): automatic differentiation at work, computed by adjoint.

1. The evaluation trace of y = ln(x₁) + x₁x₂ − sin(x₂) at (2, 5), as Tables 2 (forward mode)
   and 3 (reverse mode) of Baydin et al. (2018), "Automatic differentiation in machine learning:
   a survey".
2. Partial adjoints: a node used twice collects one partial adjoint per use.
3. micrograd's demo: a 2-16-16-1 network trained on two moons to 100% accuracy.
"""

from __future__ import annotations

from examples import moons, partial_adjoint
from scalar import Value
from viz.trace import forward_table, reverse_table


def baydin(x1: float = 2.0, x2: float = 5.0) -> dict[str, Value]:
    """The paper's example, built in its order so that creation order gives its numbering."""
    v = {"x1": Value(x1, label="x1"), "x2": Value(x2, label="x2")}
    v["v1"] = v["x1"].log()
    v["v2"] = v["x1"] * v["x2"]
    v["v3"] = v["x2"].sin()
    v["v4"] = v["v1"] + v["v2"]
    v["v5"] = v["v4"] - v["v3"]
    return v


def section(title: str) -> str:
    return f"\n{title}\n{'=' * len(title)}\n"


def main() -> None:
    print(section("1. Evaluation traces of y = ln(x₁) + x₁x₂ − sin(x₂) at (x₁, x₂) = (2, 5)"))
    v = baydin()
    print(forward_table(v["v5"], {v["x1"]: 1.0}, title="Forward mode, ẋ₁ = 1 (Table 2)"))
    print("\nOne forward pass gives ẏ = ∂y/∂x₁ = 5.5; ∂y/∂x₂ would need a second pass.\n")
    print(reverse_table(v["v5"], title="Reverse mode, ȳ = 1 (Table 3)"))
    print(
        "\nOne reverse pass gives both x̄₁ = ∂y/∂x₁ and x̄₂ = ∂y/∂x₂. Read the adjoint column from"
        "\nthe bottom: the pass starts at y and sends partial adjoints v̄ᵢ→ⱼ back along each edge."
    )
    print(section("2. Partial adjoints"))
    print(partial_adjoint.report())
    print(section("3. micrograd's demo: MLP(2, [16, 16, 1]) on 100 two-moons points"))
    history = moons.train()
    print(f"final training accuracy: {history.accuracies[-1]:.0%}")


if __name__ == "__main__":
    main()
