"""examples/tour.ipynb runs from top to bottom in a kernel of this environment, started in any
folder; it is kept without outputs, asks its questions a cell before their answers, and shows the
seed loop as `examples/nn_epoch.py` has it."""

from __future__ import annotations

import ast
import re
import sys
from itertools import pairwise
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TOUR = Path(__file__).resolve().parent.parent / "examples" / "tour.ipynb"


def counts(printed: str, starts: str) -> list[int]:
    """The node counts on the printed line that starts with `starts`, in order."""
    (line,) = [line.strip() for line in printed.splitlines() if line.strip().startswith(starts)]
    return [int(n) for n in re.findall(r"\d+", line.removeprefix(starts).split("nodes")[0])]


def test_the_tour_runs_top_to_bottom_from_another_folder(tmp_path: Path) -> None:
    """Run in a kernel started in an empty folder, neither examples/ nor the repository's root."""
    notebook = nbformat.read(TOUR, as_version=4)
    # One more cell, only in this run: which Python the kernel is (this environment's, with its
    # packages, not some other Jupyter installation's) and where it runs.
    notebook.cells.append(
        nbformat.v4.new_code_cell("import os, sys; print(sys.executable); print(os.getcwd())")
    )
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    def text(cell: nbformat.NotebookNode) -> str:
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert text(cells[-1]).split() == [sys.executable, str(tmp_path)]
    printed = "\n".join(text(c) for c in cells)
    assert "BLAS threads: [1]" in printed  # pinned as `python -m vector.train` pins them
    assert "x̄1 = x̄1→v1 + x̄1→v2 = 0.5 + 5 = 5.5" in printed  # Table 3
    assert "their sum is v2.grad = 6.437" in printed
    assert "a got 12 too much" in printed  # why a topological order, examples/topo_order.py
    assert "f: R^300 → R^1, a loss (n = 300, k = 1)" in printed  # examples/modes.py's costs
    assert "  forward mode  300 forward passes" in printed
    assert "  reverse mode  1 forward + 1 backward pass" in printed
    assert "epoch 3: test error" in printed
    # The adjoint programs: Baydin's x1 used twice, and the seed step against hw0's formulas.
    assert "    x1_bar += v1_bar * (1.0 / x1)" in printed
    assert "W2_bar = v2.T @ Z_bar" in printed
    assert "∇W2 = Aᵀ·G agrees: True" in printed
    assert "∇W1 = Xᵀ·((G·W2ᵀ) ∘ [X·W1 > 0]) agrees: True" in printed
    assert "equal to backward(), bit for bit: True" in printed
    # The graph-growth demonstration: the seed loop's update keeps each batch's graph the same
    # size; the recorded update makes it grow by the same number of nodes every batch.
    seed = counts(printed, "seed loop's update")
    grown = counts(printed, "W1 = W1 - lr * W1.grad")
    assert len(seed) == len(grown) == 5 and len(set(seed)) == 1
    assert grown[0] == seed[0] and grown == sorted(set(grown))
    steps = [b - a for a, b in pairwise(grown[1:])]  # batches 5, 10, 15, 20: 5 apart
    assert len(set(steps)) == 1 and steps[0] > 0
    pages = [
        o.data["text/html"] for c in cells for o in c.outputs if "text/html" in o.get("data", {})
    ]
    assert len(pages) == 2 and all(p.startswith("<iframe srcdoc=") for p in pages)


def test_every_question_is_answered_in_the_next_cell() -> None:
    """A "Predict, then step" question ends its markdown cell; the next cell is code to run."""
    notebook = nbformat.read(TOUR, as_version=4)
    asked = [
        k
        for k, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown" and "**Predict, then step.**" in cell.source
    ]
    assert len(asked) >= 4
    for k in asked:
        assert notebook.cells[k].source.rstrip().endswith("?"), notebook.cells[k].source
        assert notebook.cells[k + 1].cell_type == "code"


def test_the_tour_is_kept_without_outputs() -> None:
    notebook = nbformat.read(TOUR, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_the_tours_loop_is_examples_nn_epoch() -> None:
    """The tour shows the seed loop in a cell; it must be `examples/nn_epoch.py`'s."""

    def nn_epoch_in(source: str) -> str:
        (found,) = [
            node
            for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef) and node.name == "nn_epoch"
        ]
        return ast.dump(found)

    notebook = nbformat.read(TOUR, as_version=4)
    cells = [
        c.source for c in notebook.cells if c.cell_type == "code" and "def nn_epoch" in c.source
    ]
    assert len(cells) == 1, f"expected one cell defining nn_epoch, found {len(cells)}"
    copy = (TOUR.parent / "nn_epoch.py").read_text()
    assert nn_epoch_in(cells[0]) == nn_epoch_in(copy), "the tour's nn_epoch differs from the file's"
