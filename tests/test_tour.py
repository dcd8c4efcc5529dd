"""examples/tour.ipynb runs from top to bottom in a kernel of this environment, is kept without
outputs, and shows the founding note's loop as `examples/nn_epoch.py` has it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TOUR = Path(__file__).resolve().parent.parent / "examples" / "tour.ipynb"


def test_the_tour_runs_top_to_bottom() -> None:
    notebook = nbformat.read(TOUR, as_version=4)
    # One more cell, only in this run: which Python the kernel is (this environment's, with its
    # packages, not some other Jupyter installation's).
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(TOUR.parent)}},  # as when opened from examples/
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    def text(cell: nbformat.NotebookNode) -> str:
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert text(cells[-1]).strip() == sys.executable
    printed = "\n".join(text(c) for c in cells)
    assert "x̄₁ = v̄₋₁ = v̄₋₁→₁ + v̄₋₁→₂ = 0.5 + 5 = 5.5" in printed  # Table 3
    assert "their sum is v2.grad = 6.437" in printed
    assert "a got 12 too much" in printed  # why a topological order, examples/topo_order.py
    assert "epoch 3: test error" in printed
    pages = [
        o.data["text/html"] for c in cells for o in c.outputs if "text/html" in o.get("data", {})
    ]
    assert len(pages) == 2 and all(p.startswith("<iframe srcdoc=") for p in pages)


def test_the_tour_is_kept_without_outputs() -> None:
    notebook = nbformat.read(TOUR, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_the_tours_loop_is_examples_nn_epoch() -> None:
    """Section 6 shows the founding note's loop in a cell; it must be `examples/nn_epoch.py`'s."""

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
