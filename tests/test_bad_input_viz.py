"""viz under hostile input: labels of any printable content go through every output as text
(graphviz source, PNG, SVG, the frames, the stepper page), the undrawable ones are refused naming
the label, wrong argument types are one TypeError saying what was expected; and on the page, an
overflow names its op and `reset` always brings back the recorded pass."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import Browser
from selenium.common.exceptions import JavascriptException
from selenium.webdriver.common.by import By

import viz
from scalar import Value
from viz.checks import MAX_LABEL

HOSTILE = [
    'say "hi"',
    "back\\",
    "\\N\\G\\l",
    "<script>window.pwned = 1</script>",
    "</script><script>window.pwned = 2</script>",
    '<img src="x" onerror="window.pwned = 3">',
    "a&amp;b &lt;",
    "{a|b}<c>",
    "ünï ☃ 𝑥",
    "w" * MAX_LABEL,
]

REFUSED = {
    "a\x01b": "holds the control character '\\x01' (U+0001)",
    "a\x00b": "holds the control character '\\x00' (U+0000)",
    "red\x1b[31m": "holds the control character '\\x1b' (U+001B)",
    "a\rb": "holds the control character '\\r' (U+000D)",
    "w" * (MAX_LABEL + 1): f"has {MAX_LABEL + 1} characters; at most {MAX_LABEL} can be drawn",
}


def hostile_graph(labels: list[str]) -> tuple[Value, list[Value]]:
    """y = Σ xᵢ·(i+1), each xᵢ labelled with one of `labels`, y with the first."""
    leaves = [Value(float(i + 1), label=label) for i, label in enumerate(labels)]
    y = sum((x * (i + 1) for i, x in enumerate(leaves[1:])), leaves[0] * 1.0)
    y.label = labels[0]
    return y, leaves


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_hostile_labels_are_text_in_the_graphviz_source() -> None:
    y, _ = hostile_graph(HOSTILE)
    y.backward()
    source = viz.draw(y, title="title \\ with a backslash").source
    assert "window.pwned" in source  # there, as text of a label
    assert "<script>" not in source  # HTML-like labels carry it escaped (&lt;script&gt;)


@pytest.mark.needs_dot
def test_hostile_labels_are_drawn_as_they_are_in_svg_and_png(tmp_path: Path) -> None:
    y, _ = hostile_graph(HOSTILE)
    y.backward()
    svg = viz.render(y, tmp_path / "g.svg", title="ends with \\").read_text()
    texts = svg_texts(svg)
    for label in HOSTILE:
        assert any(label in text for text in texts), label
    assert "ends with \\" in texts
    png = viz.render(y, tmp_path / "g.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.needs_dot
def test_hostile_labels_go_through_the_backward_frames(tmp_path: Path) -> None:
    labels = ["back\\", "<script>window.pwned = 1</script>", 'say "hi"']
    y, _ = hostile_graph(labels)
    graphs = viz.backward_frame_graphs(y)
    paths = viz.backward_frames(y, tmp_path / "frames")
    assert len(paths) == len(graphs) and all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    # the frame titles are plain graphviz strings: a final backslash must not eat the quote
    title = svg_texts(viz.render(graphs[0], tmp_path / "first.svg").read_text())[0]
    assert title.startswith("reverse pass, step 1 of ") and "back\\" in title, title


def test_hostile_labels_go_through_the_trace_tables() -> None:
    y, leaves = hostile_graph(HOSTILE[:4])
    table = viz.reverse_table(y)
    forward = viz.forward_table(y, {leaves[1]: 1.0})
    for label in HOSTILE[:4]:
        assert label in table and label in forward


@pytest.mark.needs_dot
def test_hostile_labels_are_names_on_the_stepper_page(tmp_path: Path) -> None:
    y, leaves = hostile_graph(HOSTILE)
    page = viz.stepper(y, title=HOSTILE[4]).save(tmp_path / "page.html").read_text()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    data = json.loads(
        re.search(r'<script type="application/json" id="adjoint-trace">(.*?)</script>', page, re.S)[
            1
        ]
    )
    names = {node["id"]: node["name"] for node in data["nodes"]}
    for leaf in leaves:
        assert names[leaf.id] == leaf.label
    assert all("window.pwned" not in s for s in scripts[1:])  # only in the JSON, as data
    assert "<script>window.pwned" not in page  # escaped wherever it appears


@pytest.mark.parametrize("label", list(REFUSED), ids=lambda s: repr(s[:12]))
def test_undrawable_labels_are_refused_naming_the_label(tmp_path: Path, label: str) -> None:
    y, _ = hostile_graph(["y", label])
    y.backward()
    for where, action in (
        ("viz.draw", lambda: viz.draw(y)),
        ("viz.render", lambda: viz.render(y, tmp_path / "g.svg")),
        ("viz.backward_frames", lambda: viz.backward_frames(y, tmp_path / "frames")),
        ("viz.stepper", lambda: viz.stepper(y)),
        ("viz.reverse_table", lambda: viz.reverse_table(y)),
    ):
        with pytest.raises(ValueError) as info:
            action()
        message = str(info.value)
        assert message.startswith(f"{where}: the label {repr(label)[:50]}"), message
        assert REFUSED[label] in message
        assert len(message) < 250
    assert not (tmp_path / "g.svg").exists() and not (tmp_path / "frames").exists()
    with pytest.raises(ValueError, match=r"^viz\.stepper: the title 'a\\x01b' holds the control"):
        viz.stepper(Value(1.0) * 2, title="a\x01b")


@pytest.mark.parametrize(
    ("where", "call", "expected"),
    [
        ("viz.stepper", lambda y: viz.stepper(3.0), "the root node of a graph"),
        ("viz.draw", lambda y: viz.draw("y"), "the root node of a graph"),
        ("viz.render", lambda y: viz.render(3.0, "g.png"), "the root node of a graph"),
        ("viz.render", lambda y: viz.render(y, 5), "a file path (str or pathlib.Path)"),
        ("viz.backward_frames", lambda y: viz.backward_frames([y], "f"), "the root node"),
        ("viz.backward_frames", lambda y: viz.backward_frames(y, None), "a file path"),
        ("viz.node_step", lambda y: viz.node_step(2), "the root node of a graph"),
        ("viz.reverse_table", lambda y: viz.reverse_table({"y": y}), "the root node"),
        ("viz.forward_table", lambda y: viz.forward_table(y, [y]), "a dict of input nodes"),
        ("viz.stepper", lambda y: viz.stepper(y, title=7), "the title must be a string"),
        ("Stepper.save", lambda y: viz.stepper(y).save(3), "a file path"),
        ("viz.draw", lambda y: viz.draw(y, max_nodes="5"), "max_nodes must be a whole number"),
        ("viz.stepper", lambda y: viz.stepper(y, params=3), "params must be a list of parameter"),
        ("viz.forward_table", lambda y: viz.forward_table(y, {"x": 1.0}), "a key is 'x'"),
        ("viz.draw", lambda y: viz.draw(y, tangents={y: "a"}), "the tangent of"),
    ],
)
def test_wrong_argument_types_are_one_type_error(where: str, call: Any, expected: str) -> None:
    y = Value(2.0, label="x") * 3.0
    with pytest.raises(TypeError) as info:
        call(y)
    message = str(info.value)
    assert message.startswith(f"{where}: "), message
    assert expected in message
    assert "attribute" not in message


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda y: viz.draw(y, rankdir="XY"), "viz.draw: rankdir must be one of TB, LR, BT, RL"),
        (lambda y: viz.stepper(y, max_nodes=0), "viz.stepper: max_nodes must be at least 1, got 0"),
        (
            lambda y: viz.backward_frame_graphs(y, rankdir="tb"),
            "viz.backward_frame_graphs: rankdir",
        ),
    ],
)
def test_wrong_option_values_are_one_value_error(call: Any, expected: str) -> None:
    y = Value(2.0, label="x") * 3.0
    with pytest.raises(ValueError) as info:
        call(y)
    assert str(info.value).startswith(expected)


def test_stepper_of_a_float_says_what_was_expected() -> None:
    with pytest.raises(TypeError) as info:
        viz.stepper(3.0)
    assert str(info.value) == (
        "viz.stepper: expected the root node of a graph (a scalar.Value or a vector.Tensor), "
        "got 3.0 (float)"
    )


# --- the page in a browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def overflowing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The page of y = a·b where a·b is inf in Python (IEEE: no error) but overflows on the page."""
    a, b = Value(709.2, label="a"), Value(1e308, label="b")
    y = a * b
    y.label = "y"
    path = viz.stepper(y).save(tmp_path_factory.mktemp("bad-pages") / "overflow.html")
    return path, {"a": a.id, "b": b.id, "y": y.id}


def test_the_page_names_the_op_that_overflows(browser: Browser, overflowing) -> None:
    path, ids = overflowing
    browser.open(path)
    with pytest.raises(JavascriptException) as info:
        browser.js(f"window.adjoint.setInput({ids['a']}, 2)")
    assert (
        "y: multiply(2, 1e308) is too large for a float" in info.value.msg
    )  # the page's one formatter
    assert "undefined" not in info.value.msg


def test_reset_restores_the_recorded_values(browser: Browser, overflowing) -> None:
    path, ids = overflowing
    browser.open(path)
    recorded = browser.js("return window.adjoint.values()")
    field = browser.driver.find_element(By.CSS_SELECTOR, f"input[data-node='{ids['b']}']")
    browser.js(f"window.adjoint.setInput({ids['b']}, 3)")  # finite: a·b = 2127.6
    assert browser.js("return window.adjoint.values()")[str(ids["y"])] == pytest.approx(2127.6)
    browser.driver.find_element(By.ID, "reset").click()  # the fixture fails on a console error
    assert browser.js("return window.adjoint.values()") == recorded
    assert field.get_attribute("value") == "1e+308"
    assert browser.js("return document.getElementById('input-error').textContent") == ""
    browser.driver.find_element(By.ID, "reset").click()  # twice: still nothing thrown
    assert browser.js("return window.adjoint.values()") == recorded


@pytest.mark.needs_dot
def test_hostile_labels_run_no_script_on_the_page(browser: Browser, tmp_path: Path) -> None:
    y, _ = hostile_graph(HOSTILE)
    path = viz.stepper(y, title=HOSTILE[5]).save(tmp_path / "hostile.html")
    browser.open(path, "#step=3")
    assert browser.js("return window.pwned === undefined")
    assert browser.js("return document.title") == HOSTILE[5]
    table = browser.js("return document.getElementById('trace').textContent")
    for label in HOSTILE[:-1]:
        assert label in table, label
    browser.driver.find_element(By.ID, "reset").click()
    assert browser.js("return window.pwned === undefined")


@pytest.mark.needs_dot
def test_pictures_and_pages_are_written_through_symlinks_and_never_over_devices(
    tmp_path: Path,
) -> None:
    y = Value(2.0, label="x") * 3.0
    (tmp_path / "real").mkdir()
    (tmp_path / "g.svg").symlink_to(tmp_path / "real" / "g.svg")
    (tmp_path / "page.html").symlink_to("real/page.html")
    viz.render(y, tmp_path / "g.svg")
    viz.stepper(y).save(tmp_path / "page.html")
    assert (tmp_path / "g.svg").is_symlink() and (tmp_path / "page.html").is_symlink()
    assert (tmp_path / "real" / "g.svg").read_text().lstrip().startswith("<?xml")
    assert "adjoint-trace" in (tmp_path / "real" / "page.html").read_text()
    (tmp_path / "null.svg").symlink_to(os.devnull)
    (tmp_path / "folder.html").mkdir()
    with pytest.raises(ValueError, match=r"null\.svg: is a folder, device or pipe, not a file"):
        viz.render(y, tmp_path / "null.svg")
    with pytest.raises(ValueError, match=r"folder\.html: is a folder, device or pipe"):
        viz.stepper(y).save(tmp_path / "folder.html")
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)
    assert sorted(os.listdir(tmp_path / "real")) == ["g.svg", "page.html"]
