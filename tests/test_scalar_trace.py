"""viz.trace: Baydin et al. (2018) Tables 2 and 3 computed from a scalar graph, and their text."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from examples.graphs import baydin
from scalar import Value
from viz.trace import forward_table, forward_trace, names, reverse_table, reverse_trace

ROWS = ["v₋₁", "v₀", "v₁", "v₂", "v₃", "v₄", "v₅", "y"]
NAMES = ["x1", "x2", "v1", "v2", "v3", "v4", "v5", "y"]  # the one name per node, as viz draws it


def test_names_follow_creation_order() -> None:
    v = baydin()
    got = names(v["v5"])
    assert [got[v[k].id] for k in ("x1", "x2", "v1", "v2", "v3", "v4", "v5")] == ROWS[:-1]
    assert names(v["v5"], first=1)[v["x1"].id] == "v₁"
    assert names(v["v5"], first=1)[v["v1"].id] == "v₃"


def test_table_2_values() -> None:
    v = baydin()
    rows = forward_trace(v["v5"], {v["x1"]: 1.0})
    assert [r.name for r in rows] == NAMES
    primal = [round(r.value, 3) for r in rows]
    assert primal == [2.0, 5.0, 0.693, 10.0, -0.959, 10.693, 11.652, 11.652]
    tangent = [r.derivative for r in rows]
    assert tangent == pytest.approx([1.0, 0.0, 0.5, 5.0, 0.0, 5.5, 5.5, 5.5])
    along_x2 = forward_trace(v["v5"], {v["x2"]: 1.0})[-1].derivative
    assert along_x2 == pytest.approx(2.0 - math.cos(5.0))


def test_table_3_values() -> None:
    v = baydin()
    rows = reverse_trace(v["v5"])
    assert [r.name for r in rows] == NAMES
    adjoint = [round(r.derivative, 3) for r in rows]
    assert adjoint == [5.5, 1.716, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0]
    x2_row = rows[1].right[0]
    assert x2_row == "x̄2 = x̄2→v2 + x̄2→v3 = 2 − 0.2837 = 1.716"
    assert rows[3].right == (
        "v̄2 = v̄2→v4 = 1",
        "x̄1→v2 = v̄2 ∂v2/∂x1 = 1 × 5 = 5",
        "x̄2→v2 = v̄2 ∂v2/∂x2 = 1 × 2 = 2",
    )


def test_tables_as_text() -> None:
    v = baydin()
    table2 = forward_table(v["v5"], {v["x1"]: 1.0}, title="Table 2")
    lines = table2.splitlines()
    assert lines[0] == "Table 2"
    assert "Forward primal trace" in lines[1] and "Forward tangent trace" in lines[1]
    body = lines[3:]
    # each row starts with its name, and Baydin's index beside it where the name is not that index
    rows = ["x1 (v₋₁)", "x2 (v₀)", "v1", "v2", "v3", "v4", "v5", "y"]
    assert [line.split(" = ")[0] for line in body] == rows
    assert body[2].startswith("v1 = ln x1 = ln 2 = 0.6931")
    assert body[6].startswith("v5 = v4 − v3 = 10.69 − (−0.9589) = 11.65")
    assert body[-1].endswith("ẏ = v\u03075 = 5.5")  # v has no precomposed v̇: a combining dot
    # the column separator lines up although v̇ and v̄ carry combining marks
    bars = {len(line.split("│")[0]) for line in lines[1:] if "│" in line}
    assert len(bars) == 1
    table3 = reverse_table(v["v5"])
    assert "Reverse adjoint trace ↑" in table3
    assert "x̄1 = x̄1→v1 + x̄1→v2 = 0.5 + 5 = 5.5" in table3
    assert "v̄5 = ȳ = 1" in table3


def test_constants_are_named_and_their_numbers_shown() -> None:
    x = Value(1.0, label="x")
    y = (x.exp() + 1) * 2
    text = reverse_table(y)
    assert "v2 = v1 + c1 = 2.718 + 1 = 3.718" in text
    # 3.718 × 2 = 7.436, not 7.437: one more digit makes the shown product right
    assert "v3 = v2 × c2 = 3.7183 × 2 = 7.4366" in text
    assert "→" in text and "ū" not in text


def test_other_ops_are_written_out() -> None:
    x = Value(4.0, label="x")
    y = (-(x**2)).sigmoid() + x.sqrt() / 2
    text = forward_table(y, {x: 1.0})
    assert "v1 = x ** 2 = 4 ** 2 = 16" in text
    assert "v2 = −v1" in text and "sigmoid v2" in text and "√x" in text


def test_trace_imports_no_engine_and_no_graphviz() -> None:
    code = (
        "import sys, viz.trace\n"
        "bad = [m for m in ('scalar', 'vector', 'graphviz') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
