"""viz.stepper without a browser: the saved file, its automation contract, Jupyter display."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import viz
from autodiff.program import Program
from examples import graphs
from scalar import Value
from scalar.primitives import PRIMITIVES
from viz.labels import TEMPLATES
from viz.primitives_js import derivative_formulas, primitive_table_js
from viz.scene import Scene
from viz.stepper import input_fields, program_html, program_inputs

SVG = "{http://www.w3.org/2000/svg}svg"


def trace_of(page: str) -> dict[str, Any]:
    (text,) = re.findall(
        r'<script type="application/json" id="adjoint-trace">(.*?)</script>', page, flags=re.S
    )
    return json.loads(text)


def inline_svg(page: str) -> str:
    (svg,) = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    return svg


@pytest.fixture(scope="module")
def baydin() -> tuple[viz.Stepper, dict[str, Value]]:
    b = graphs.baydin()
    return viz.stepper(b["v5"]), b


def test_save_writes_the_page_atomically(tmp_path: Path, baydin: tuple[viz.Stepper, Any]) -> None:
    page, _ = baydin
    path = page.save(tmp_path / "pages" / "baydin.html")
    assert path == tmp_path / "pages" / "baydin.html"
    assert path.read_text(encoding="utf-8") == page.html
    assert [p.name for p in path.parent.iterdir()] == ["baydin.html"]  # no temporary left
    page.save(path)  # over an existing page
    assert [p.name for p in path.parent.iterdir()] == ["baydin.html"]


def test_the_page_asks_for_nothing_outside_itself(baydin: tuple[viz.Stepper, Any]) -> None:
    page = baydin[0].html
    for attribute in re.findall(r'\b(?:src|href|xlink:href)\s*=\s*["\']?([^"\'\s>]*)', page):
        assert not re.match(r"(?i)(https?:)?//", attribute), attribute
    for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", page):
        assert target.startswith("data:"), target
    assert not re.search(r"<script[^>]*\bsrc\s*=", page)
    assert not re.search(r"<link\b", page)
    assert not re.search(r"@import", page)
    assert page.count("<script") == 2  # the trace (JSON) and the page's own script, both inline


def test_the_trace_json_is_the_recorded_pass(baydin: tuple[viz.Stepper, Any]) -> None:
    page, b = baydin
    trace = trace_of(page.html)
    steps = b["v5"].backward(trace=True)
    by_id = {node.id: name for name, node in b.items()}
    assert [n["id"] for n in trace["nodes"]] == [n.id for n in viz.scene.checked_order(b["v5"], 9)]
    for entry in trace["nodes"]:
        node = b[by_id[entry["id"]]]
        assert entry["name"] == node.label
        assert entry["op"] == node.op
        assert entry["value"] == node.data and entry["grad"] == node.grad
        assert entry["inputs"] == [i.id for i in node.inputs]
    assert len(trace["steps"]) == page.steps == len(steps) == 7
    for recorded, step in zip(trace["steps"], steps, strict=True):
        assert recorded["node"] == step.node.id and recorded["adjoint"] == step.adjoint
        assert recorded["edges"] == [
            {"input": e.input.id, "local": e.local_derivative, "partial": e.partial_adjoint}
            for e in step.edges
        ]


def test_a_constant_input_is_sent_null() -> None:
    x = Value(3.0, label="x")
    y = x * 2
    trace = trace_of(viz.stepper(y).html)
    (step, _) = trace["steps"]
    assert step["edges"][1] == {"input": y.inputs[1].id, "local": 3.0, "partial": None}
    constant = next(n for n in trace["nodes"] if n["id"] == y.inputs[1].id)
    assert constant["grad"] is None


def test_the_drawing_names_every_node_and_edge(baydin: tuple[viz.Stepper, Any]) -> None:
    page, b = baydin
    svg = inline_svg(page.html)
    ET.fromstring(svg)  # well-formed
    ids = set(re.findall(r'<g id="([^"]+)"', svg))
    for node in b.values():
        assert f"node-{node.id}" in ids
        for k, inp in enumerate(node.inputs):
            assert f"edge-{inp.id}-{node.id}-{k}" in ids
    assert "<title>" not in svg and "<?xml" not in svg


def test_a_node_used_twice_by_one_op_has_two_edges() -> None:
    a = Value(2.0, label="a")
    y = a * a
    svg = inline_svg(viz.stepper(y).html)
    assert f'id="edge-{a.id}-{y.id}-0"' in svg and f'id="edge-{a.id}-{y.id}-1"' in svg


def test_jupyter_shows_the_page_in_an_iframe(baydin: tuple[viz.Stepper, Any]) -> None:
    page = baydin[0]
    frame = page._repr_html_()
    match = re.fullmatch(r'<iframe srcdoc="([^"]*)"[^>]*></iframe>', frame)
    assert match is not None
    assert html.unescape(match.group(1)) == page.html


def test_viewers_without_javascript_get_an_svg_and_a_line_of_text(
    baydin: tuple[viz.Stepper, Any],
) -> None:
    page = baydin[0]
    root = ET.fromstring(page._repr_svg_().encode("utf-8"))
    assert root.tag == SVG
    assert "grad 5.5" in page._repr_svg_()  # the final state, as viz.draw draws it
    assert "7 reverse steps" in repr(page)


def test_large_graphs_are_refused_as_viz_draw_refuses_them() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(300):
        y = y * 1.0001
    with pytest.raises(ValueError) as drawn:
        viz.draw(y)
    with pytest.raises(ValueError) as stepped:
        viz.stepper(y)
    assert str(stepped.value) == str(drawn.value)
    assert "601 nodes" in str(stepped.value)
    with pytest.raises(ValueError, match="has 10 nodes, more than max_nodes=9"):
        viz.stepper(graphs.neuron()["o"], max_nodes=9)
    assert viz.stepper(graphs.neuron()["o"], max_nodes=10).steps == 10


def test_a_tensor_page_carries_shapes_and_norms() -> None:
    t = graphs.two_layer()
    page = viz.stepper(t.loss)
    trace = trace_of(page.html)
    assert trace["kind"] == "tensor"
    w1 = next(n for n in trace["nodes"] if n["id"] == t.net.W1.id)
    assert w1["value"]["shape"] == [784, 100] and w1["value"]["values"] is None
    assert w1["grad"]["shape"] == [784, 100]
    grad = t.net.W1.grad.numpy().astype(np.float64)
    assert w1["grad"]["norm"] == pytest.approx(float(np.sqrt((grad * grad).sum())), rel=1e-12)
    loss = next(n for n in trace["nodes"] if n["id"] == t.loss.id)
    assert loss["value"]["shape"] == [] and len(loss["value"]["values"]) == 1
    first = trace["steps"][0]
    assert first["adjoint"]["values"] == [1.0]
    constant = next(e for e in first["edges"] if e["input"] == t.y_one_hot.id)
    assert constant["partial"] is None and constant["local"] is None


def test_every_primitive_doc_gives_one_formula_per_input() -> None:
    for prim in PRIMITIVES.values():
        formulas = derivative_formulas(prim.doc, prim.arity)
        assert len(formulas) == prim.arity
        for formula, arg in zip(formulas, prim.args, strict=False):
            assert f"/∂{arg}" in formula or "′(" in formula, (prim.name, formula)
    with pytest.raises(ValueError, match="cannot read 2"):
        derivative_formulas("f(a, b) = a;  ∂f/∂a = 1", 2)


def test_the_javascript_table_is_generated_from_each_row() -> None:
    js = primitive_table_js()
    for prim in PRIMITIVES.values():
        args = ", ".join(prim.args)
        assert f"value: ({args}) => ({prim.js.value})," in js
        assert f"local_derivatives: ({args}, out) => ({prim.js.local_derivatives})," in js
        assert f"check: ({args}) => ({prim.js.check})," in js


# --- inputs, the order note, the program pane ---------------------------------------------------


def test_fields_for_labelled_inputs_that_are_not_parameters_in_graph_order() -> None:
    m = graphs.mlp()
    scene = Scene.build(m["loss"], max_nodes=500, params=m["model"].parameters())
    assert [scene.name(n) for n in scene.order if n.id in input_fields(scene, None)] == [
        "x1",
        "x2",
    ]
    n = graphs.neuron()
    with_params = viz.stepper(n["o"], params=[n["w1"], n["w2"], n["b"]])
    by_id = {node.id: name for name, node in n.items()}
    assert [by_id[i] for i in with_params.trace["fields"]] == ["x1", "x2"]
    assert [by_id[i] for i in with_params.trace["seeds"][:2]] == ["x1", "x2"]
    many = [Value(float(k), label=f"x{k}") for k in range(20)]
    total = many[0]
    for v in many[1:]:
        total = total + v
    assert len(viz.stepper(total).trace["fields"]) == 12  # at most a dozen
    chosen = viz.stepper(total, inputs=[many[5], many[2]]).trace["fields"]
    assert chosen == [many[2].id, many[5].id]  # in the drawing's order
    with pytest.raises(ValueError, match=r"inputs= takes leaves .* x0, x1"):
        viz.stepper(total, inputs=[Value(1.0)])


def test_the_order_note_appears_where_the_pass_leaves_creation_order() -> None:
    b = graphs.baydin()
    assert "v5, v3, v4, v2" in trace_of(viz.stepper(b["v5"]).html)["order_note"]
    x = Value(2.0, label="x")
    assert trace_of(viz.stepper((x * 3).exp()).html)["order_note"] == ""


def test_the_program_pane_is_one_element_per_line_with_its_step() -> None:
    source = "def f(x):\n    # a < b & c\n    y = x * 2\n    x_bar = 2.0\n    return y, (x_bar,)"
    program = Program("f", ["x"], source, [0, 0, 0, 1, 0], imports=[])
    pane = program_html(program)
    lines = re.findall(r'<span class="line" data-step="(\d+)">(.*?)</span>', pane)
    assert [int(step) for step, _ in lines] == [0, 0, 0, 1, 0]
    assert [html.unescape(text) for _, text in lines] == source.splitlines()
    assert pane.startswith('<pre id="adjoint-program">')
    note = program_html("No adjoint program for this graph (ValueError: no).")
    assert 'class="unavailable"' in note and '<span class="line"' not in note


def test_a_graph_the_program_refuses_gets_a_one_line_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import scalar

    def refuse(root: Any, inputs: Any) -> Any:
        raise ValueError("program: this graph has a node it cannot write\nsecond line")

    monkeypatch.setattr(scalar, "program", refuse, raising=False)
    page = viz.stepper(graphs.baydin()["v5"])
    assert page.program == (
        "No adjoint program for this graph (ValueError: program: this graph has a node it "
        "cannot write)."
    )
    assert '<pre id="adjoint-program" class="unavailable">' in page.html
    assert page.steps == 7  # the page itself is whole


def test_the_program_gets_the_leaves_in_creation_order() -> None:
    b = graphs.baydin()
    c = b["v5"] * 2  # a constant leaf: written into a scalar program as a number
    assert program_inputs(Scene.build(c, max_nodes=50)) == [b["x1"], b["x2"]]
    t = graphs.two_layer()
    tensor_inputs = program_inputs(Scene.build(t.loss, max_nodes=50))
    assert tensor_inputs == sorted([t.net.W1, t.net.W2, t.X, t.y_one_hot], key=lambda n: n.id)


def test_the_page_data_ships_templates_and_arrivals() -> None:
    b = graphs.baydin()
    trace = trace_of(viz.stepper(b["v5"]).html)
    assert trace["templates"] == TEMPLATES
    assert trace["arrivals"][str(b["x1"].id)] == [[4, 0], [6, 0]]
    rows = {n["id"]: n["row"] for n in trace["nodes"]}
    assert rows[b["x1"].id] == "x1 (v₋₁)" and rows[b["v2"].id] == "v2"
    v2 = next(n for n in trace["nodes"] if n["id"] == b["v2"].id)
    assert v2["template"] == "{0} × {1}" and v2["expression"] == "x1 × x2"
