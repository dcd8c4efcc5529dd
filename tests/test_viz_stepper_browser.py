"""viz.stepper's pages in a real browser (headless Chromium, offline), checked against the engines.

Each page is saved to disk and opened from file://, as a learner would open it. The browser
fixture fails a test whose page logged a console error or asked for the network.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser_helpers import Browser
from selenium.common.exceptions import JavascriptException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import viz
from examples import graphs
from scalar import Value
from scalar.primitives import PRIMITIVES
from viz.numbers import number
from viz.trace import forward_trace, reverse_trace


@dataclass
class Page:
    """A saved page and the live graph it was made from."""

    path: Path
    root: Any
    steps: list[Any]
    nodes: dict[str, Any]  # by the name the page shows

    def id(self, name: str) -> int:
        return self.nodes[name].id


def save(folder: Path, name: str, root: Any, nodes: dict[str, Any], **kwargs: Any) -> Page:
    path = viz.stepper(root, **kwargs).save(folder / f"{name}.html")
    return Page(path, root, root.backward(trace=True), nodes)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stepper-pages")


@pytest.fixture(scope="module")
def baydin(folder: Path) -> Page:
    b = graphs.baydin()
    return save(folder, "baydin", b["v5"], b, title="y = ln(x1) + x1·x2 − sin(x2)")


@pytest.fixture(scope="module")
def used_twice(folder: Path) -> Page:
    u = graphs.used_twice()
    return save(folder, "used-twice", u["v4"], u)


@pytest.fixture(scope="module")
def two_layer(folder: Path) -> Page:
    t = graphs.two_layer()
    nodes = {"loss": t.loss, "W1": t.net.W1, "W2": t.net.W2, "X": t.X}
    return save(folder, "two-layer", t.loss, nodes)


def received_by(steps: list[Any], k: int) -> dict[int, Any]:
    """What every node has received by the end of step k (1-based): the definition of grads()."""
    got: dict[int, Any] = {}
    for s, step in enumerate(steps[:k]):
        if s == 0:
            got[step.node.id] = step.adjoint
        for edge in step.edges:
            if edge.partial_adjoint is not None:
                key = edge.input.id
                got[key] = (
                    edge.partial_adjoint if key not in got else got[key] + edge.partial_adjoint
                )
    return got


def table(browser: Browser) -> list[tuple[str, list[str]]]:
    rows = browser.js(
        "return [...document.querySelectorAll('#trace tbody')].map(tb => ["
        "tb.querySelector('td.primal').textContent,"
        "[...tb.querySelectorAll('td.right')].map(td => td.textContent)])"
    )
    return [(primal, right) for primal, right in rows]


def python_table(rows: list[Any]) -> list[tuple[str, list[str]]]:
    return [(row.primal, list(row.right) or [""]) for row in rows]


def classes(browser: Browser, node_id: int) -> set[str]:
    return set(browser.js(f"return [...document.getElementById('node-{node_id}').classList]"))


def type_into(field: Any, text: str) -> None:
    """Replace a field's text as a person does (select all, type), then leave the field."""
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text, Keys.TAB)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300) or (a == b)


# --- the scalar page ----------------------------------------------------------------------------


def test_steps_are_the_reverse_pass(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path)
    n = len(baydin.steps)
    assert browser.js("return window.adjoint.steps") == n == 7
    assert browser.step() == 0 and browser.js("return window.adjoint.step()") == 0
    assert browser.js("return document.getElementById('slider').max") == str(n)
    trace = browser.js("return JSON.parse(document.getElementById('adjoint-trace').textContent)")
    assert [s["node"] for s in trace["steps"]] == [s.node.id for s in baydin.steps]
    browser.screenshot("baydin-step-0")


def test_keys_move_through_the_steps_and_write_the_hash(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path)
    browser.press(Keys.ARROW_RIGHT)
    assert browser.step() == 1
    browser.press(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert browser.step() == 4
    assert browser.js("return location.hash") == "#step=4"
    browser.screenshot("baydin-step-4")
    browser.press(Keys.ARROW_LEFT)
    assert browser.step() == 3
    browser.press(Keys.END)
    assert browser.step() == 7 and browser.js("return location.hash") == "#step=7"
    browser.press(Keys.ARROW_RIGHT)  # past the end stays at the end
    assert browser.step() == 7
    browser.screenshot("baydin-step-7")
    browser.press(Keys.HOME)
    assert browser.step() == 0
    browser.press(Keys.ARROW_LEFT)
    assert browser.step() == 0


def test_space_plays_and_pauses(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path, "#step=5")
    browser.press(Keys.SPACE)
    browser.wait_for("return document.body.dataset.step === '6'")
    browser.press(Keys.SPACE)
    stopped = browser.step()
    assert browser.js("return document.getElementById('play').textContent") == "▶ Play"
    browser.js("return new Promise(done => setTimeout(done, 1300))")
    assert browser.step() == stopped


def test_buttons_and_slider(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path)
    browser.driver.find_element(By.ID, "next").click()
    browser.driver.find_element(By.ID, "next").click()
    assert browser.step() == 2
    browser.driver.find_element(By.ID, "prev").click()
    assert browser.step() == 1
    browser.js(
        "const s = document.getElementById('slider'); s.value = '6';"
        "s.dispatchEvent(new Event('input'))"
    )
    assert browser.step() == 6


@pytest.mark.parametrize("k", [0, 3, 5, 7])
def test_a_hash_opens_the_page_at_that_step(browser: Browser, baydin: Page, k: int) -> None:
    browser.open(baydin.path, f"#step={k}")
    assert browser.step() == k
    processed = [s.node.id for s in baydin.steps]
    for s, node_id in enumerate(processed, start=1):
        state = classes(browser, node_id) & {"current", "done", "pending"}
        assert state == {"current" if s == k else "done" if s < k else "pending"}, (k, s)


def test_a_bad_hash_opens_at_step_0_or_the_last(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path, "#step=banana")
    assert browser.step() == 0
    browser.open(baydin.path, "#step=99")
    assert browser.step() == 7


def test_changing_the_hash_moves_the_page(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path)
    browser.js("location.hash = '#step=2'")
    browser.wait_for("return document.body.dataset.step === '2'")


def test_grads_are_the_partial_adjoints_received_so_far(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path)
    ids = [node.id for node in baydin.nodes.values()]
    for k in range(len(baydin.steps) + 1):
        browser.js(f"window.adjoint.go({k})")
        assert browser.step() == k
        grads = browser.js("return window.adjoint.grads()")
        expected = received_by(baydin.steps, k)
        for node_id in ids:
            got = grads[str(node_id)]
            if node_id in expected:
                assert close(got, expected[node_id]), (k, node_id)
            else:
                assert got is None, (k, node_id)  # nothing received yet: null, never 0
    final = browser.js("return window.adjoint.grads()")
    for node in baydin.nodes.values():
        assert final[str(node.id)] == node.grad


def test_records_and_edges_show_the_numbers_of_the_step(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path, "#step=4")  # v2 is processed; x1, x2, v1 not yet
    text = "return document.querySelector('#node-{} text.f-grad').textContent"
    assert browser.js(text.format(baydin.id("v2"))) == "grad 1"
    assert browser.js(text.format(baydin.id("x1"))) == "grad — (so far 5)"
    assert browser.js(text.format(baydin.id("v1"))) == "grad — (so far 1)"
    assert browser.js(text.format(baydin.id("v4"))) == "grad 1"
    # an edge shows its partial adjoint once sent, not before
    flow = "return document.querySelector('#edge-{}-{}-{} text.f-flow').textContent"
    assert browser.js(flow.format(baydin.id("x1"), baydin.id("v2"), 0)) == "sends 1 × 5 = 5"
    assert browser.js(flow.format(baydin.id("x1"), baydin.id("v1"), 0)) == ""
    browser.js("window.adjoint.go(7)")  # x1 now sums what it received
    assert browser.js(text.format(baydin.id("x1"))) == "grad 5 + 0.5 = 5.5"  # in the order received
    browser.js("window.adjoint.go(0)")
    assert browser.js(text.format(baydin.id("v5"))) == "grad —"


def test_at_the_last_step_labels_match_viz_draw(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path, "#step=7")
    page = browser.js(
        "return [...document.querySelectorAll('text.f-local, text.f-flow, text.f-data')]"
        ".map(t => t.textContent).filter(t => t)"
    )
    source = viz.draw(baydin.root).source
    drawn = []
    for cell in re.findall(r"<td>(.*?)</td>", source):
        drawn += [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in cell.split("<br/>")]
    drawn += [f"data {number(node.data)}" for node in baydin.nodes.values()]
    assert Counter(page) == Counter(drawn)


def test_the_table_is_baydins_table_3(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path, "#step=7")
    assert table(browser) == python_table(reverse_trace(baydin.root, baydin.steps))
    # at step 4 the rows of the nodes not processed yet have no adjoint, and v2's row is lit
    browser.js("window.adjoint.go(4)")
    rows = {primal.split(" =")[0]: right for primal, right in table(browser)}
    assert rows["x1 (v₋₁)"] == ["x̄1 = —"]
    assert rows["v2"][0] == "v̄2 = v̄2→v4 = 1"
    lit = browser.js("return [...document.querySelectorAll('#trace tbody.current')].length")
    assert lit == 1


def test_clicking_a_node_shows_its_chain_rule_sum(browser: Browser, used_twice: Page) -> None:
    browser.open(used_twice.path, "#step=4")
    browser.driver.find_element(By.CSS_SELECTOR, f"#node-{used_twice.id('v2')} text.f-name").click()
    info = browser.js("return document.getElementById('info').textContent")
    assert "v̄2 = 3.7183 + 2.7183 = 6.4366" in info  # 3.718 + 2.718 = 6.436: one more digit
    assert "from v4 at step 1" in info and "from v3 at step 2" in info
    browser.screenshot("used-twice-click-node")
    # the table numbers from v₁ here, as the graph's labels do
    steps = used_twice.steps
    assert table(browser) == python_table(reverse_trace(used_twice.root, steps))
    assert table(browser)[0][0] == "v1 = 1"
    # before v3 has sent its part, v2 is still waiting for it
    browser.js("window.adjoint.go(1)")
    info = browser.js("return document.getElementById('info').textContent")
    assert "from v3: not sent yet (step 2)" in info


def test_clicking_an_edge_shows_its_local_derivative(browser: Browser, used_twice: Page) -> None:
    browser.open(used_twice.path, "#step=4")
    edge = f"edge-{used_twice.id('v2')}-{used_twice.id('v4')}-0"
    browser.driver.find_element(By.CSS_SELECTOR, f"#{edge} text.f-local").click()
    info = browser.js("return document.getElementById('info').textContent")
    assert "f(a, b) = a·b" in info and "∂f/∂a = b" in info
    assert "∂v4/∂v2 = 3.718" in info
    assert "v̄4 · ∂v4/∂v2 = 1 × 3.718 = 3.718" in info
    assert edge in browser.js("return [...document.querySelectorAll('.selected')].map(e => e.id)")


# --- recomputing in the page ---------------------------------------------------------------------


def test_set_input_recomputes_as_the_python_engine(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path, "#step=5")
    browser.js(f"window.adjoint.setInput({baydin.id('x1')}, 3)")
    assert browser.step() == 5  # the same moment of the pass, at the new point
    fresh = graphs.baydin(3.0, 5.0)
    steps = fresh["v5"].backward(trace=True)
    ids = {name: node.id for name, node in baydin.nodes.items()}
    values = browser.js("return window.adjoint.values()")
    grads = browser.js("return window.adjoint.grads()")
    expected = received_by(steps, 5)
    for name, node in fresh.items():
        assert close(values[str(ids[name])], node.data), name
        if node.id in expected:
            assert close(grads[str(ids[name])], expected[node.id]), name
    browser.js("window.adjoint.go(7)")
    grads = browser.js("return window.adjoint.grads()")
    for name, node in fresh.items():
        assert close(grads[str(ids[name])], node.grad), name
    assert table(browser) == python_table(reverse_trace(fresh["v5"], steps))
    browser.screenshot("baydin-x1-3-step-7")


def test_set_input_at_the_same_point_gives_the_recorded_numbers(
    browser: Browser, baydin: Page
) -> None:
    browser.open(baydin.path, "#step=7")
    recorded = browser.js("return window.adjoint.recorded()")
    browser.js(f"window.adjoint.setInput({baydin.id('x2')}, 5)")
    again = browser.js("return window.adjoint.recorded()")
    for a, b in zip(recorded, again, strict=True):
        assert a["node"] == b["node"] and close(a["adjoint"], b["adjoint"])
        for e, f in zip(a["edges"], b["edges"], strict=True):
            assert close(e["local"], f["local"]) and close(e["partial"], f["partial"])


def test_an_input_field_recomputes_the_page(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path, "#step=7")
    field = browser.driver.find_element(By.CSS_SELECTOR, f"input[data-node='{baydin.id('x2')}']")
    type_into(field, "1.5")
    fresh = graphs.baydin(2.0, 1.5)
    fresh["v5"].backward()
    grads = browser.js("return window.adjoint.grads()")
    assert close(grads[str(baydin.id("x2"))], fresh["x2"].grad)
    data = browser.js(f"return document.querySelector('#node-{baydin.id('v3')} text.f-data')")
    assert data.text == f"data {number(fresh['v3'].data)}"
    browser.screenshot("baydin-x2-1.5-step-7")


def test_a_value_outside_the_domain_is_refused_and_changes_nothing(
    browser: Browser, baydin: Page
) -> None:
    browser.open(baydin.path, "#step=7")
    before = browser.js("return window.adjoint.values()")
    with pytest.raises(JavascriptException, match=r"log\(-1\) is undefined"):
        browser.js(f"window.adjoint.setInput({baydin.id('x1')}, -1)")
    assert browser.js("return window.adjoint.values()") == before
    field = browser.driver.find_element(By.CSS_SELECTOR, f"input[data-node='{baydin.id('x1')}']")
    type_into(field, "0")
    error = browser.js("return document.getElementById('input-error').textContent")
    assert "log(0) is undefined" in error
    assert field.get_attribute("value") == "2"  # the field shows the value the page still uses
    with pytest.raises(JavascriptException, match="not an input leaf"):
        browser.js(f"window.adjoint.setInput({baydin.id('v1')}, 1)")


# --- forward mode --------------------------------------------------------------------------------


def test_the_forward_view_replays_the_forward_sweep(browser: Browser, baydin: Page) -> None:
    browser.open(baydin.path)
    x1 = baydin.nodes["x1"]
    browser.driver.find_element(By.ID, "mode-forward").click()
    assert browser.js("return document.body.dataset.mode") == "forward"
    assert browser.step() == 0
    browser.press(Keys.END)
    assert browser.js("return location.hash") == "#forward=x1&step=7"  # by name
    tangents = browser.js("return window.adjoint.tangents()")
    expected = viz.forward_tangents(baydin.root, {x1: 1.0})
    for node_id, t in expected.items():
        assert close(tangents[str(node_id)], t)
    assert table(browser) == python_table(forward_trace(baydin.root, {x1: 1.0}))
    flow = "return document.querySelector('#edge-{}-{}-{} text.f-flow').textContent"
    assert browser.js(flow.format(x1.id, baydin.id("v2"), 0)) == "adds 5 × 1 = 5"
    grad = "return document.querySelector('#node-{} text.f-grad').textContent"
    assert browser.js(grad.format(baydin.id("v5"))) == "tangent 5.5"
    browser.screenshot("baydin-forward-x1-step-7")
    browser.js("window.adjoint.go(3)")
    assert browser.js(grad.format(baydin.id("v5"))) == "tangent —"


def test_the_forward_view_for_the_other_input_and_from_a_hash(
    browser: Browser, baydin: Page
) -> None:
    x2 = baydin.nodes["x2"]
    browser.open(baydin.path, f"#forward={x2.id}&step=7")  # an id still works
    assert browser.js("return [window.adjoint.mode(), window.adjoint.step()]") == ["forward", 7]
    tangents = browser.js("return window.adjoint.tangents()")
    assert close(tangents[str(baydin.root.id)], baydin.nodes["x2"].grad)  # ∂y/∂x2 both ways
    browser.js("window.adjoint.setMode('reverse')")
    assert browser.step() == 0 and browser.js("return location.hash") == "#step=0"


# --- numbers and primitives ----------------------------------------------------------------------


def test_numbers_are_written_as_python_writes_them(browser: Browser, folder: Path) -> None:
    factors = [1e-7, -2.5e-5, 0.00012345, 0.1, 1 / 3, 2.0, -7.25, 1234.5, 1235.5, 0.0625]
    factors += [12345.6, -9.9996e9, 1e21, 2.0625, -0.0005, 1e-300]
    x = Value(1.0, label="x")
    terms = [x * c for c in factors]
    y = terms[0]
    for t in terms[1:]:
        y = y + t
    path = viz.stepper(y).save(folder / "numbers.html")
    browser.open(path, "#step=1")
    shown = browser.js(
        "return [...document.querySelectorAll('text.f-data')].map(t => t.textContent)"
    )
    order = viz.scene.Scene.build(y, max_nodes=500).order
    assert shown == [f"data {number(node.data)}" for node in order]
    browser.press(Keys.END)
    assert table(browser) == python_table(reverse_trace(y))  # three decimals, 0.0625 -> 0.062


def points(prim: Any) -> list[tuple[float, ...]]:
    """Arguments inside and outside each primitive's domain."""
    xs = [-3.7, -2.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.7, 10.0, 25.0]
    if prim.name == "power_scalar":
        return [(x, n) for x in xs for n in (-2, -1, 0, 0.5, 1, 2, 3, 2.5)]
    if prim.arity == 2:
        few = [-2.0, -0.5, 0.0, 0.5, 1.0, 3.0]
        return [(a, b) for a in few for b in few]
    return [(x,) for x in xs]


def test_every_primitive_in_javascript_agrees_with_the_table(
    browser: Browser, baydin: Page
) -> None:
    browser.open(baydin.path)
    for prim in PRIMITIVES.values():
        args = points(prim)
        results = browser.js(
            "const p = PRIMITIVES[arguments[0]];"
            "return arguments[1].map(a => { const problem = p.check(...a);"
            "  if (problem) return {problem};"
            "  const out = p.value(...a);"
            "  return {value: String(out), local: p.local_derivatives(...a, out).map(String)}; })",
            prim.name,
            [list(a) for a in args],
        )
        checked = 0
        for a, js in zip(args, results, strict=True):
            try:
                if prim.check is not None:
                    prim.check(*a)
            except (ValueError, ZeroDivisionError) as exc:
                assert "problem" in js, (prim.name, a, str(exc))
                assert js["problem"].split(":")[0] == prim.symbol, (prim.name, a)
                continue
            assert "problem" not in js, (prim.name, a, js)
            out = prim.value(*a)
            assert close(float(js["value"]), out), (prim.name, a, js["value"], out)
            local = prim.local_derivatives(*a, out)
            assert len(js["local"]) == prim.arity
            for got, want in zip(js["local"], local, strict=True):
                assert close(float(got), float(want)), (prim.name, a, got, want)
            checked += 1
        assert checked >= 10, prim.name


# --- tensors -------------------------------------------------------------------------------------


def norm(x: Any) -> float:
    a = np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64)
    return float(np.sqrt(np.sum(a * a)))


def test_a_tensor_page_shows_shapes_and_norms(browser: Browser, two_layer: Page) -> None:
    browser.open(two_layer.path)
    n = len(two_layer.steps)
    assert browser.js("return window.adjoint.steps") == n
    for k in range(n + 1):
        browser.js(f"window.adjoint.go({k})")
        grads = browser.js("return window.adjoint.grads()")
        expected = received_by(two_layer.steps, k)
        for node_id, got in grads.items():
            if int(node_id) not in expected:
                assert got is None
                continue
            want = expected[int(node_id)]
            assert got["shape"] == list(np.shape(want.numpy()))
            assert math.isclose(got["norm"], norm(want), rel_tol=1e-6)
        if k:
            current = two_layer.steps[k - 1].node.id
            assert "current" in classes(browser, current)
    final = browser.js("return window.adjoint.grads()")
    for name in ("W1", "W2"):
        node = two_layer.nodes[name]
        assert final[str(node.id)]["shape"] == list(node.shape)
        assert math.isclose(final[str(node.id)]["norm"], norm(node.grad), rel_tol=1e-6)
    assert final[str(two_layer.id("X"))] is None  # a constant receives nothing
    loss = browser.js(f"return document.querySelector('#node-{two_layer.id('loss')}').textContent")
    assert "() float32" in loss
    w1 = browser.js(f"return document.querySelector('#node-{two_layer.id('W1')} text.f-grad')")
    assert w1.text.startswith("grad (784, 100) norm ")
    with pytest.raises(JavascriptException, match="tensor"):
        browser.js(f"window.adjoint.setInput({two_layer.id('W1')}, 1)")
    browser.js("window.adjoint.go(3)")
    browser.screenshot("two-layer-step-3")


def test_the_jupyter_display_runs_the_page_in_its_iframe(
    browser: Browser, folder: Path, used_twice: Page
) -> None:
    page = viz.stepper(used_twice.root)
    host = folder / "notebook.html"
    host.write_text(f"<!DOCTYPE html><p>a notebook cell</p>{page._repr_html_()}", encoding="utf-8")
    browser.driver.get("about:blank")
    browser.driver.get(host.as_uri())
    browser.driver.switch_to.frame(browser.driver.find_element(By.TAG_NAME, "iframe"))
    try:
        browser.wait_for("return typeof window.adjoint === 'object'")
        browser.js("window.adjoint.go(4)")
        assert browser.js("return window.adjoint.grads()")[str(used_twice.id("v1"))] == (
            used_twice.nodes["v1"].grad
        )
        # the edge labels were centred on a laid-out drawing (not piled up at x = 0)
        xs = browser.js(
            "return [...document.querySelectorAll('text.f-local')].map(t => t.getAttribute('x'))"
        )
        assert len(set(xs)) > 1
    finally:
        browser.driver.switch_to.default_content()
    browser.screenshot("notebook-iframe")


def test_a_graph_of_constants_has_no_step_and_no_input(browser: Browser, folder: Path) -> None:
    c = Value(2.0, requires_grad=False) * 3
    path = viz.stepper(c).save(folder / "constants.html")
    browser.open(path)
    assert browser.js("return window.adjoint.steps") == 0
    browser.press(Keys.ARROW_RIGHT)
    assert browser.step() == 0
    assert browser.js("return document.getElementById('mode-forward').disabled") is True
    assert browser.js("return window.adjoint.grads()") == {
        str(c.id): None,
        str(c.inputs[0].id): None,
        str(c.inputs[1].id): None,
    }
