"""`make demo` (`python -m examples.demo`): automatic differentiation at work, computed by adjoint.

First the pictures, written into `out/` (or `--out DIR`), each file named as it is written:
Baydin's graph before and after backward, its reverse pass frame by frame, its forward-mode
tangents; a node used twice, its frames and one backward step; micrograd's neuron; and the seed
loop's 2-layer network in the vector engine; and for four of those graphs a stepper page
(`viz.stepper`, `out/*.html`) that steps through the reverse pass in a browser. Then the text:

1. The evaluation trace of y = ln(x₁) + x₁x₂ − sin(x₂) at (2, 5), as Tables 2 (forward mode)
   and 3 (reverse mode) of Baydin et al. (2018), "Automatic differentiation in machine learning:
   a survey".
2. Partial adjoints: a node used twice collects one partial adjoint per use.
3. Why a topological order? A pass that pushes a grad on before all of it has arrived goes wrong;
   and `backward()` called twice, next to micrograd's.
4. Forward or reverse mode: f: Rⁿ → Rᵏ takes n forward passes or k backward passes, measured.
5. micrograd's demo: a 2-16-16-1 network trained on two moons to 100% accuracy.
6. The 2-layer network of `examples/nn_epoch.py`, the seed loop, trained by it on Fashion-MNIST.

`--quick` runs the same code on less work (fewer training steps and images, a smaller Jacobian);
`--docs [DIR]` only regenerates the README's images (default `docs/`). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from examples import adjoint_program, fashion, modes, moons, partial_adjoint, pictures, topo_order
from examples.graphs import baydin
from viz import forward_table, reverse_table

__all__ = ["Workload", "baydin", "main"]


@dataclass(frozen=True)
class Workload:
    """How much the demo computes: the pictures and tables never change, the trainings do."""

    moons_steps: int
    jacobian_size: int
    train_images: int
    test_images: int
    epochs: int


FULL = Workload(
    moons_steps=100, jacobian_size=500, train_images=10_000, test_images=10_000, epochs=5
)
QUICK = Workload(moons_steps=25, jacobian_size=100, train_images=2_000, test_images=2_000, epochs=2)


def section(title: str) -> str:
    return f"\n{title}\n{'=' * len(title)}\n"


def show_pictures(folder: Path) -> list[Path]:
    """Write the pictures into `folder` and name each file; without graphviz, say why, once."""
    print(section("Pictures"))
    problem = pictures.unavailable()
    if problem is not None:
        print(f"No pictures: {problem}. The text part follows.")
        return []
    written = pictures.write_pictures(folder)
    pages = pictures.write_steppers(folder)
    width = max(len(str(w.path)) for w in [*written, *pages])
    for w in [*written, *pages]:
        print(f"{w.path!s:<{width}}  {w.what}")
    print(
        f"\nThe .html pages step through the reverse pass; open one in any browser, offline:"
        f"\n  xdg-open {pages[0].path}   (or {pages[0].path.resolve().as_uri()})"
        "\nthen press → to step, ← to go back, Space to play; click a node or an edge."
    )
    return [w.path for w in [*written, *pages]]


def show_docs(folder: Path) -> list[Path]:
    """Regenerate the README's images in `folder` and name each with its size."""
    problem = pictures.unavailable()
    if problem is not None:
        raise SystemExit(f"cannot write the README images: {problem}")
    written = pictures.write_docs(folder)
    width = max(len(str(w.path)) for w in written)
    for w in written:
        print(f"{w.path!s:<{width}}  {w.path.stat().st_size / 1000:4.0f} KB  {w.what}")
    return [w.path for w in written]


def show_traces() -> None:
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
    print(section("3. Why a topological order?"))
    print(topo_order.report())
    print(section("4. The adjoint program: the reverse pass written out as code"))
    print(adjoint_program.report())


def show_modes(n: int) -> None:
    print(section("5. Forward or reverse mode? f: Rⁿ → Rᵏ takes n forward or k backward passes"))
    print(modes.report(n))


def show_trainings(work: Workload, data_dir: Path | None) -> None:
    print(section("6. micrograd's demo: MLP(2, [16, 16, 1]) on 100 two-moons points"))
    history = moons.train(steps=work.moons_steps)
    print(f"final training accuracy: {history.accuracies[-1]:.0%}")

    print(section("7. The seed loop's network relu(X·W1)·W2, 784 → 100 → 10, by its own loop"))
    data = fashion.load(work.train_images, work.test_images, data_dir)
    print(
        f"nn_epoch (examples/nn_epoch.py), SGD with lr {fashion.LR} on batches of "
        f"{fashion.BATCH}, on {data.source}:\n"
    )
    fashion.train(data, epochs=work.epochs)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m examples.demo",
        description="Pictures, traces and short trainings of automatic differentiation.",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the pictures (default: out)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="train on less (same code paths), for tests"
    )
    parser.add_argument(
        "--docs",
        type=Path,
        nargs="?",
        const=Path("docs"),
        metavar="DIR",
        help="only regenerate the README's images in DIR (default: docs)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="Fashion-MNIST folder (default: where Debian's dataset-fashion-mnist installs it)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    if args.docs is not None:
        show_docs(args.docs)
        return
    start = time.perf_counter()
    work = QUICK if args.quick else FULL
    show_pictures(args.out)
    show_traces()
    show_modes(work.jacobian_size)
    show_trainings(work, args.data_dir)
    print(f"\nThe demo took {time.perf_counter() - start:.1f} s.")


if __name__ == "__main__":
    main()
