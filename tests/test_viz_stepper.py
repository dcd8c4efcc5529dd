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
from examples import graphs
from scalar import Value
from scalar.primitives import PRIMITIVES
from viz.primitives_js import derivative_formulas, primitive_table_js

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
