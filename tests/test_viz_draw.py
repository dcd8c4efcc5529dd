"""viz.draw on scalar graphs, read from the DOT text: structure, numbers, roles, determinism,
forward-mode tangents and the size guard."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest

import viz
from examples.graphs import baydin
from scalar.value import Value
from viz.roles import FILL, Role


def records(source: str) -> dict[str, str]:
    """Record label -> its whole DOT line, keyed by the first field (the node's name)."""
    out = {}
    for line in source.splitlines():
        m = re.match(r'\s*n\d+ \[label="([^|"]*?) \|', line)
        if m:
            out[m.group(1)] = line
    return out


def edges(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if " -> " in line]


def edge_into_op(source: str, src: str, dst: str) -> list[str]:
    """Edges from the record named `src` to the op node of the record named `dst`."""
    names = {
        first: re.match(r"\s*(n\d+) ", line).group(1) for first, line in records(source).items()
    }
    return [e for e in edges(source) if e.startswith(f"{names[src]} -> {names[dst]}op ")]


def test_structure_one_record_per_value_one_op_node_per_op_one_edge_per_argument() -> None:
    source = viz.draw(baydin()["v5"]).source
    assert len(records(source)) == 7
    assert len(re.findall(r"^\s*n\d+op \[", source, flags=re.M)) == 5
    # 8 argument edges (ln, *, *, sin, +, +, -, -) and 5 op -> result edges
    assert len(edges(source)) == 13
    assert 'label="x1 | data 2 | grad 0"' in source


def test_a_plus_a_has_two_distinct_edges() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    source = viz.draw(b).source
    argument_edges = edge_into_op(source, "a", "b")
    assert len(argument_edges) == 2
    assert "arg 1: ∂b/∂a = 1" in argument_edges[0]
    assert "arg 2: ∂b/∂a = 1" in argument_edges[1]
    assert all("sends 1 × 1 = 1" in e for e in argument_edges)
    assert "grad 2" in records(source)["a"]


def test_before_backward_edges_show_local_derivatives_only() -> None:
    source = viz.draw(baydin()["v5"]).source
    (edge,) = edge_into_op(source, "x1", "v2")
    assert "∂v2/∂x1 = 5" in edge
    assert "sends" not in source


def test_after_backward_values_grads_local_derivatives_and_partial_adjoints() -> None:
    g = baydin()
    g["v5"].backward()
    source = viz.draw(g["v5"]).source
    rec = records(source)
    assert "data 2 | grad 5.5" in rec["x1"]
    assert "data 5 | grad 1.716" in rec["x2"]
    assert "data 0.6931 | grad 1" in rec["v1"]
    assert "data −0.9589 | grad −1" in rec["v3"]
    assert "data 11.65 | grad 1" in rec["v5"]
    expected = {
        ("x1", "v1"): ("∂v1/∂x1 = 0.5", "sends 1 × 0.5 = 0.5"),
        ("x1", "v2"): ("∂v2/∂x1 = 5", "sends 1 × 5 = 5"),
        ("x2", "v2"): ("∂v2/∂x2 = 2", "sends 1 × 2 = 2"),
        ("x2", "v3"): ("∂v3/∂x2 = 0.2837", "sends −1 × 0.2837 = −0.2837"),
        ("v1", "v4"): ("∂v4/∂v1 = 1", "sends 1 × 1 = 1"),
        ("v4", "v5"): ("∂v5/∂v4 = 1", "sends 1 × 1 = 1"),
        ("v3", "v5"): ("∂v5/∂v3 = −1", "sends 1 × (−1) = −1"),
    }
    for (src, dst), (local, partial) in expected.items():
        (edge,) = edge_into_op(source, src, dst)
        assert local in edge and partial in edge, (src, dst, edge)


def test_constants_get_their_local_derivative_but_no_partial_adjoint() -> None:
    x = Value(2.0, label="x")
    y = x * 3
    y.backward()
    source = viz.draw(y).source
    rec = records(source)
    assert "c1" in rec and "grad" not in rec["c1"]  # constants take no gradient
    (edge,) = edge_into_op(source, "c1", "v1")
    assert "∂v1/∂c1 = 2" in edge and "sends" not in edge
    (edge,) = edge_into_op(source, "x", "v1")
    assert "sends 1 × 3 = 3" in edge


def test_unlabelled_nodes_get_baydin_style_names_and_pow_shows_its_exponent() -> None:
    y = Value(3.0) ** 2 + Value(1.0)
    source = viz.draw(y).source
    # Baydin's numbering, as the trace tables and the adjoint program name them: inputs v₋₁, v₀
    # (written vm1, v0), then v1, v2
    assert set(records(source)) == {"vm1", "v0", "v1", "v2"}
    assert 'label="**2"' in source


def test_same_expression_built_twice_gives_identical_dot() -> None:
    first = baydin()["v5"]
    first.backward()
    second = baydin()["v5"]
    second.backward()
    assert first.id != second.id  # fresh ids, yet the same picture
    assert viz.draw(first).source == viz.draw(second).source
    assert viz.draw(first).source == viz.draw(first).source


def test_roles_colours_and_legend() -> None:
    class Parameter(Value):  # recognised by class name, as vector.nn.Parameter will be
        __slots__ = ()

    x = Value(1.0, label="x")
    w = Parameter(2.0, label="w")
    b = Value(0.5, label="b")
    y = (w * x + b) * 2
    y.label = "y"
    rec = records(viz.draw(y, params=[b]).source)
    assert f'fillcolor="{FILL[Role.INPUT]}"' in rec["x"]
    assert f'fillcolor="{FILL[Role.PARAMETER]}"' in rec["w"]
    assert f'fillcolor="{FILL[Role.PARAMETER]}"' in rec["b"]
    assert f'fillcolor="{FILL[Role.CONSTANT]}"' in rec["c1"]
    assert f'fillcolor="{FILL[Role.INTERMEDIATE]}"' in rec["v1"]
    assert f'fillcolor="{FILL[Role.OUTPUT]}"' in rec["y"]
    assert len(set(FILL.values())) == len(Role)
    source = viz.draw(y).source
    assert "subgraph cluster_legend" in source
    for role in Role:
        assert f'<td bgcolor="{FILL[role]}"' in source and f">{role.value}</font>" in source


def test_title_and_rankdir() -> None:
    y = baydin()["v5"]
    source = viz.draw(y, title="Baydin's example", rankdir="TB").source
    assert 'label="Baydin\'s example"' in source and "rankdir=TB" in source
    assert 'label="{ x1 | data 2 | grad 0 }"' in source  # fields still stacked top to bottom


def test_forward_tangents_match_reverse_mode_gradients() -> None:
    g = baydin()
    g["v5"].backward()
    along_x1 = viz.forward_tangents(g["v5"], {g["x1"]: 1.0})
    along_x2 = viz.forward_tangents(g["v5"], {g["x2"].id: 1.0})
    assert along_x1[g["v5"].id] == pytest.approx(g["x1"].grad)
    assert along_x2[g["v5"].id] == pytest.approx(g["x2"].grad)
    assert along_x2[g["v3"].id] == pytest.approx(math.cos(5.0))
    a = Value(3.0)
    square = a * a
    assert viz.forward_tangents(square, {a: 1.0})[square.id] == 6.0  # a used twice counts twice


def test_forward_mode_picture_shows_tangents_and_their_shares() -> None:
    g = baydin()
    source = viz.draw(g["v5"], tangents={g["x1"]: 1.0}).source
    rec = records(source)
    assert "tangent 1" in rec["x1"] and "tangent 0" in rec["x2"]
    assert "tangent 5.5" in rec["v5"] and "grad" not in rec["v5"]
    (edge,) = edge_into_op(source, "x1", "v2")
    assert "∂v2/∂x1 = 5" in edge and "adds 5 × 1 = 5" in edge


def test_size_guard_names_count_limit_and_how_to_draw_less() -> None:
    y = Value(1.0, label="x")
    for _ in range(600):
        y = y + 1.0  # each step adds a constant and a sum: 1201 nodes
    with pytest.raises(ValueError) as info:
        viz.draw(y)
    message = str(info.value)
    assert "1201 nodes" in message and "max_nodes=500" in message
    assert "one example" in message and "sub-graph" in message and "raise the limit" in message
    assert len(records(viz.draw(y, max_nodes=2000).source)) == 1201
    with pytest.raises(ValueError, match="7 nodes, more than max_nodes=6"):
        viz.draw(baydin()["v5"], max_nodes=6)


def test_engines_and_viz_import_without_graphviz() -> None:
    code = (
        "import sys; sys.modules['graphviz'] = None\n"
        "import scalar.value, vector, viz\n"
        "x = scalar.value.Value(2.0); (x * x).backward()\n"
        "try:\n"
        "    viz.draw(x * x)\n"
        "except ImportError as e:\n"
        "    assert 'pip install graphviz' in str(e), e\n"
        "else:\n"
        "    raise SystemExit('draw worked without graphviz')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    engine_only = "import sys; import scalar.value, vector; assert 'viz' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", engine_only], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
