"""The stepper page as a learner meets it, in a real browser (headless Chromium, offline): one
name per node, arithmetic right at the digits shown, a graph that fits the window, the current
rows in view, `#forward=<name>`, the program pane, large graphs, and the one number formatter
(its JavaScript against its Python spec).

Pages are saved to disk and opened from file://. Tests that change the window put it back.
"""

from __future__ import annotations

import html
import math
import random
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import Browser, arithmetic_lines, right_at_the_digits_shown
from selenium.webdriver.common.by import By

import viz
from autodiff.program import Program
from examples import graphs
from scalar import Value
from vector import Tensor, ops
from viz import numbers
from viz.scene import Scene
from viz.stepper import build, input_fields

WINDOW = (1500, 1000)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pages")


@pytest.fixture
def window(browser: Browser) -> Iterator[Browser]:
    """The browser, its window put back to 1500×1000 after the test."""
    yield browser
    browser.driver.set_window_size(*WINDOW)


def saturating() -> Value:
    """f = tanh(a·b + c)²: tanh saturates, so the adjoints are small (0.005427 …), where
    numbers to a fixed count of digits make `a × b = c` wrong at the digits shown."""
    a, b, c = Value(1.5, label="a"), Value(2.0, label="b"), Value(0.3, label="c")
    f = (a * b + c).tanh() ** 2
    f.label = "f"
    return f


def unlabelled() -> Value:
    x, y = Value(3.0), Value(-2.0)
    return (x * y + x).exp() * y


@pytest.fixture(scope="module")
def pages(folder: Path) -> dict[str, tuple[Path, Any]]:
    """name -> (saved page, its root)."""
    b = graphs.baydin()
    n = graphs.neuron()
    m = graphs.mlp()
    u = graphs.used_twice()
    roots: dict[str, tuple[Any, dict[str, Any]]] = {
        "baydin": (b["v5"], {"title": "y = ln(x1) + x1·x2 − sin(x2)"}),
        "neuron": (n["o"], {"params": [n["w1"], n["w2"], n["b"]]}),
        "mlp": (m["loss"], {"params": m["model"].parameters()}),
        "used-twice": (u["v4"], {}),
        "saturating": (saturating(), {}),
        "unlabelled": (unlabelled(), {}),
    }
    return {
        name: (viz.stepper(root, **kwargs).save(folder / f"{name}.html"), root)
        for name, (root, kwargs) in roots.items()
    }


def page_text(browser: Browser) -> str:
    """Every text a learner reads: the drawing, the status line, the info panel, the table."""
    return browser.js(
        "return [...document.querySelectorAll('#graph text')].map(t => t.textContent)"
        ".concat([document.getElementById('status').textContent,"
        " ...[...document.querySelectorAll('#info h2, #info p, #trace td')]"
        ".map(e => e.textContent)]).join('\\n')"
    )


def click(browser: Browser, element_id: str) -> None:
    browser.js(
        "document.getElementById(arguments[0]).querySelector('text, path')"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}))",
        element_id,
    )


# --- one name per node ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["neuron", "unlabelled", "baydin"])
def test_graph_table_and_info_panel_name_each_node_alike(
    browser: Browser, pages: dict[str, tuple[Path, Any]], name: str
) -> None:
    path, root = pages[name]
    browser.open(path)
    expected = viz.scene.Scene.build(root, max_nodes=500).names
    drawn = browser.js(
        "return Object.fromEntries([...document.querySelectorAll('g.value')]"
        ".map(g => [g.id.slice(5), g.querySelector('text.f-name').textContent]))"
    )
    assert {int(k): v.split(" = ")[0] for k, v in drawn.items()} == expected
    rows = browser.js(
        "return [...document.querySelectorAll('#trace tbody[data-node]')]"
        ".map(tb => [tb.dataset.node, tb.querySelector('td.primal').textContent])"
    )
    assert rows, "the table has rows"
    for node_id, primal in rows:
        row_name = primal.split(" = ")[0]
        assert row_name.split(" (v")[0] == expected[int(node_id)], primal
    # the info panel of every node starts with the node's name
    for node_id, node_name in expected.items():
        click(browser, f"node-{node_id}")
        head = browser.js("return document.querySelector('#info h2').textContent")
        assert head.split(" =")[0].split(":")[0] == node_name, head
    if name == "neuron":
        assert any(primal.startswith("n (v₄) = ") for _, primal in rows)  # Baydin's index beside


# --- honest digits ------------------------------------------------------------------------------


def test_every_product_and_sum_on_the_page_is_right_at_the_digits_shown(
    browser: Browser, pages: dict[str, tuple[Path, Any]]
) -> None:
    # fixed digits would not do: on the saturating graph, a product to 4 digits is wrong
    steps = saturating().backward(trace=True)
    naive = [
        f"{s.adjoint:.4g} × {e.local_derivative:.4g} = {e.partial_adjoint:.4g}".replace("-", "−")
        for s in steps
        for e in s.edges
        if e.partial_adjoint is not None
    ]
    assert not all(right_at_the_digits_shown(line) for line in naive)
    checked = 0
    for name in ("saturating", "neuron", "used-twice", "baydin"):
        path, _ = pages[name]
        browser.open(path)
        n = browser.js("return window.adjoint.steps")
        edges = browser.js(
            "return [...document.querySelectorAll('g.edge[id^=edge-]')].map(g => g.id)"
        )
        for k in range(n + 1):
            browser.js(f"window.adjoint.go({k})")
            lines = arithmetic_lines(page_text(browser))
            for edge in edges[:6]:
                click(browser, edge)
                lines += arithmetic_lines(page_text(browser))
            browser.js("document.getElementById('zoom-fit').click()")
            for line in lines:
                assert right_at_the_digits_shown(line), (name, k, line)
            checked += len(lines)
        # the forward sweep, and a recomputed pass at other inputs
        browser.js("window.adjoint.setMode('forward'); window.adjoint.go(window.adjoint.steps)")
        browser.js("window.adjoint.go(999)")
        lines = arithmetic_lines(page_text(browser))
        assert all(right_at_the_digits_shown(line) for line in lines), lines
        checked += len(lines)
    assert checked > 500


# --- a page that fits -------------------------------------------------------------------------


def graph_in_view(browser: Browser) -> bool:
    """Whether the whole drawing is inside its pane and inside the window."""
    return browser.js(
        "const g = document.querySelector('#graph svg g.graph').getBoundingClientRect();"
        "const p = document.getElementById('graph').getBoundingClientRect();"
        "return g.left >= p.left - 1 && g.right <= p.right + 1 && g.top >= p.top - 1 &&"
        " g.bottom <= p.bottom + 1 && p.bottom <= window.innerHeight + 1 && g.width > 0"
    )


def sideways_scroll(browser: Browser) -> int:
    return browser.js("return document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("name", ["baydin", "neuron", "mlp"])
def test_the_whole_graph_fits_and_nothing_scrolls_sideways(
    window: Browser, pages: dict[str, tuple[Path, Any]], name: str
) -> None:
    path, _ = pages[name]
    window.driver.set_window_size(1500, 1000)
    window.open(path)
    assert graph_in_view(window), "the whole graph is visible at step 0"
    assert sideways_scroll(window) <= 0
    window.screenshot(f"fit-{name}-1500x1000")
    window.driver.set_window_size(1000, 700)
    window.open(path, "#step=3")
    assert sideways_scroll(window) <= 0
    assert graph_in_view(window)
    window.screenshot(f"fit-{name}-1000x700")
    window.driver.set_window_size(390, 844)
    window.open(path, "#step=3")
    assert sideways_scroll(window) <= 0
    stacked = window.js(
        "const g = document.getElementById('graph').getBoundingClientRect();"
        "const a = document.querySelector('aside').getBoundingClientRect();"
        "return [g.width, a.top >= g.bottom - 1]"
    )
    assert stacked[0] > 300 and stacked[1], "a phone stacks the table under the graph"
    window.screenshot(f"fit-{name}-390x844")


def test_zoom_and_pan_change_the_view_and_fit_brings_the_graph_back(
    browser: Browser, pages: dict[str, tuple[Path, Any]]
) -> None:
    browser.open(pages["mlp"][0])
    view = "return document.querySelector('#graph svg').getAttribute('viewBox')"
    whole = browser.js(view)
    browser.driver.find_element(By.ID, "zoom-in").click()
    zoomed = browser.js(view)
    assert float(zoomed.split()[2]) < float(whole.split()[2])
    assert not graph_in_view(browser)
    browser.js("window.adjoint.go(20)")  # the node being processed is panned into view
    inside = browser.js(
        "const g = document.querySelector('#graph g.node.current').getBoundingClientRect();"
        "const p = document.getElementById('graph').getBoundingClientRect();"
        "return g.left >= p.left && g.right <= p.right && g.top >= p.top && g.bottom <= p.bottom"
    )
    assert inside
    browser.driver.find_element(By.ID, "zoom-fit").click()
    assert browser.js(view) == whole and graph_in_view(browser)
    # two fingers moving apart zoom in, as on a phone
    browser.js(
        "const p = document.getElementById('graph');"
        "const r = p.getBoundingClientRect(), y = r.top + r.height / 2, x = r.left + r.width / 2;"
        "const at = (type, id, dx) => (type === 'pointerdown' ? p : window).dispatchEvent("
        "  new PointerEvent(type, {pointerId: id, clientX: x + dx, clientY: y, button: 0,"
        "  bubbles: true}));"
        "at('pointerdown', 1, -20); at('pointerdown', 2, 20);"
        "at('pointermove', 2, 60); at('pointerup', 1, -20); at('pointerup', 2, 60);"
    )
    pinched = browser.js(view)
    assert float(pinched.split()[2]) == pytest.approx(float(whole.split()[2]) / 2)


def test_the_current_rows_are_scrolled_into_view_on_a_50_node_page(
    browser: Browser, pages: dict[str, tuple[Path, Any]]
) -> None:
    path, _ = pages["mlp"]
    browser.open(path)
    n = browser.js("return window.adjoint.steps")
    assert n == 49  # 50 nodes, one constant
    in_view = (
        "const r = document.querySelector('#trace tbody.current').getBoundingClientRect();"
        "const b = document.getElementById('trace-box').getBoundingClientRect();"
        "return r.top >= b.top - 1 && r.top < b.bottom && r.bottom <= window.innerHeight"
    )
    for k in (1, 10, 25, 30, 40, 49, 2):
        browser.js(f"window.adjoint.go({k})")
        assert browser.js(in_view), k
    browser.screenshot("mlp-step-2")


def test_input_fields_for_the_learners_inputs_in_graph_order(
    browser: Browser, pages: dict[str, tuple[Path, Any]], folder: Path
) -> None:
    path, _ = pages["mlp"]
    browser.open(path)
    labels = browser.js(
        "return [...document.querySelectorAll('#inputs label')].map(l => l.textContent.trim())"
    )
    assert labels == ["x1 =", "x2 ="]  # not the weights, not the biases (b, in every neuron)
    names = browser.js("return window.adjoint.names()")
    assert "b" in names.values() and "w1" in names.values()
    # inputs= chooses them; the fields follow the drawing's order
    m = graphs.mlp()
    weights = m["model"].parameters()[:3]
    chosen = viz.stepper(m["loss"], inputs=[m["x2"], *weights]).save(folder / "chosen.html")
    browser.open(chosen)
    fields = browser.js(
        "return [...document.querySelectorAll('#inputs input')].map(i => +i.dataset.node)"
    )
    order = [node.id for node in Scene.build(m["loss"], max_nodes=500).order]
    assert sorted(fields, key=order.index) == fields and len(fields) == 4
    with pytest.raises(ValueError, match="inputs= takes leaves"):
        viz.stepper(m["loss"], inputs=[m["loss"]])


def test_the_notebook_frame_fits_its_page(
    browser: Browser, pages: dict[str, tuple[Path, Any]], folder: Path
) -> None:
    page = viz.stepper(graphs.baydin()["v5"])
    host = folder / "notebook.html"
    cell = '<div style="width: 950px">' + page._repr_html_() + "</div>"
    host.write_text(f"<!DOCTYPE html><p>a notebook cell</p>{cell}", encoding="utf-8")
    browser.driver.get("about:blank")
    browser.driver.get(host.as_uri())
    height = browser.js("return document.querySelector('iframe').getBoundingClientRect().height")
    assert height == page.frame_height() + 2  # and its border
    browser.driver.switch_to.frame(browser.driver.find_element(By.TAG_NAME, "iframe"))
    try:
        browser.wait_for("return typeof window.adjoint === 'object'")
        assert graph_in_view(browser)
        assert sideways_scroll(browser) <= 0
    finally:
        browser.driver.switch_to.default_content()
    browser.screenshot("notebook-frame")


# --- #forward=<name>, the order note --------------------------------------------------------------


def test_a_forward_sweep_opens_by_name_and_an_unknown_name_says_so(
    browser: Browser, pages: dict[str, tuple[Path, Any]]
) -> None:
    path, _ = pages["baydin"]
    browser.open(path, "#forward=x2&step=3")
    assert browser.js("return [window.adjoint.mode(), window.adjoint.step()]") == ["forward", 3]
    seed = browser.js("return document.getElementById('seed').selectedOptions[0].textContent")
    assert seed == "ẋ2 = 1"
    assert browser.js("return document.getElementById('message').hidden") is True
    browser.open(path, "#forward=x9&step=2")
    assert browser.js("return window.adjoint.mode()") == "reverse"
    message = browser.js(
        "const m = document.getElementById('message'); return m.hidden ? '' : m.textContent"
    )
    assert "x9" in message and "x1, x2" in message
    assert (
        browser.js("return document.getElementById('message').getBoundingClientRect().height") > 0
    )
    browser.js("window.adjoint.setMode('forward', 'x1')")
    assert browser.js("return location.hash") == "#forward=x1&step=0"


def test_the_page_says_why_the_pass_may_take_another_order(
    browser: Browser, pages: dict[str, tuple[Path, Any]], folder: Path
) -> None:
    browser.open(pages["baydin"][0])
    note = browser.js("return document.getElementById('order-note').textContent")
    assert "v5, v3, v4" in note and "any reverse topological order gives the same adjoints" in note
    x = Value(2.0, label="x")
    chain = ((x * 3).exp() + 1).log()  # one path: the pass goes in reverse creation order
    browser.open(viz.stepper(chain).save(folder / "chain.html"))
    assert browser.js("return document.getElementById('order-note').textContent") == ""


# --- the program pane ---------------------------------------------------------------------------

BAYDIN_PROGRAM = [
    (0, "def y_grad(x1, x2):"),
    (0, "    # forward sweep"),
    (0, "    v1 = math.log(x1)"),
    (0, "    v2 = x1 * x2"),
    (0, "    v3 = math.sin(x2)"),
    (0, "    v4 = v1 + v2"),
    (0, "    v5 = v4 - v3"),
    (0, "    # reverse sweep"),
    (1, "    v5_bar = 1.0"),
    (1, "    v4_bar = v5_bar"),
    (1, "    v3_bar = -v5_bar"),
    (2, "    x2_bar = v3_bar * math.cos(x2)"),
    (3, "    v1_bar = v4_bar"),
    (3, "    v2_bar = v4_bar"),
    (4, "    x1_bar = v2_bar * x2"),
    (4, "    x2_bar += v2_bar * x1"),
    (6, "    x1_bar += v1_bar / x1"),
    (0, "    return v5, (x1_bar, x2_bar)"),
]


def hand_program() -> Program:
    """Baydin's adjoint program, written by hand in the shape the engines write it."""
    source = "\n".join(line for _, line in BAYDIN_PROGRAM)
    steps = [step for step, _ in BAYDIN_PROGRAM]
    return Program("y_grad", ["x1", "x2"], source, steps, imports=["import math"])


def test_the_program_pane_lights_the_lines_of_the_current_step(
    browser: Browser, folder: Path
) -> None:
    b = graphs.baydin()
    root = b["v5"]
    program = hand_program()
    assert program(2.0, 5.0)[1] == pytest.approx((5.5, 2 - math.cos(5.0)))
    scene = Scene.build(root, max_nodes=500)
    steps = root.backward(trace=True)
    page = build(
        scene,
        steps,
        title="Baydin's example",
        rankdir="TB",
        fields=input_fields(scene, None),
        program=program,
        fallback=viz.draw(root),
    )
    path = page.save(folder / "program.html")
    browser.open(path)
    lines = browser.js(
        "return [...document.querySelectorAll('#adjoint-program > .line')]"
        ".map(l => [+l.dataset.step, l.textContent])"
    )
    assert lines == [list(pair) for pair in BAYDIN_PROGRAM]
    current = (
        "return [...document.querySelectorAll('#adjoint-program .current')].map(l => l.textContent)"
    )
    assert browser.js(current) == []  # step 0: nothing processed yet
    for k in range(1, len(steps) + 1):
        browser.js(f"window.adjoint.go({k})")
        assert browser.js(current) == [line for step, line in BAYDIN_PROGRAM if step == k], k
    browser.js("window.adjoint.go(6)")
    assert browser.js(current) == ["    x1_bar += v1_bar / x1"]
    browser.screenshot("program-pane-step-6")
    # an edge shows the program's line that sends its partial adjoint
    click(browser, f"edge-{b['x2'].id}-{b['v2'].id}-1")
    info = browser.js("return document.getElementById('info').textContent")
    assert "x2_bar += v2_bar * x1" in info and "x1_bar = v2_bar * x2" not in info


def test_without_a_program_the_pane_says_so_in_one_line(
    browser: Browser, pages: dict[str, tuple[Path, Any]]
) -> None:
    page = viz.stepper(graphs.baydin()["v5"])
    if isinstance(page.program, Program):  # the engines write programs: nothing to check here
        assert page.program.source.startswith("def ")
        return
    browser.open(pages["baydin"][0])
    note = browser.js("return document.getElementById('adjoint-program').textContent")
    assert note.startswith("No adjoint program for this graph") and "\n" not in note
    assert browser.js("return document.querySelectorAll('#adjoint-program .line').length") == 0


# --- large graphs -----------------------------------------------------------------------------


def test_max_nodes_is_honoured_everywhere_the_stepper_draws(browser: Browser, folder: Path) -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(260):
        y = y * 1.0001  # 521 nodes
    with pytest.raises(ValueError, match=r"raise the limit \(max_nodes=521\)"):
        viz.stepper(y)
    page = viz.stepper(y, max_nodes=521)  # the error's own advice works
    assert "grad" in page._repr_svg_()  # the picture for viewers without JavaScript too
    browser.open(page.save(folder / "large.html"), "#step=130")
    assert browser.js("return window.adjoint.steps") == 261
    assert browser.step() == 130
    assert graph_in_view(browser)  # fit to view shows all of a tall chain


# --- small tensors keep their shape -------------------------------------------------------------


def test_a_small_tensor_gradient_keeps_its_matrix_shape(browser: Browser, folder: Path) -> None:
    a = Tensor([[1.0, 2.0], [3.0, 4.0]], label="A")
    y = ops.summation(a * a)
    path = viz.stepper(y).save(folder / "small-tensor.html")
    browser.open(path, "#step=3")
    text = browser.js(f"return document.querySelector('#node-{a.id} text.f-grad').textContent")
    assert text == "grad [[2, 4], [6, 8]]"


# --- the one number formatter ---------------------------------------------------------------------


def sample_numbers() -> list[float]:
    rng = random.Random(0)
    xs = [0.0, -0.0, 1.0, -1.0, 5.0, 1234.5, 1235.5, 0.125, 0.0625, 2.5, 3.5, -7.25, 1 / 3]
    xs += [1e21, 1e-300, 5e-324, 1.7976931348623157e308, 1e-5, -2.5e-5, 9.9995, 9.99949]
    xs += [0.00012345, 123456789.0, 1e16, 12345.6, -9.9996e9, 2.0625, -0.0005, 100.0, 1e4]
    xs += [math.inf, -math.inf, math.nan]
    for _ in range(400):
        xs.append(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0])  # any double
        xs.append(rng.choice([-1, 1]) * 10 ** rng.uniform(-12, 12))
        xs.append(round(rng.uniform(-100, 100), rng.randint(0, 4)))
        xs.append(float(rng.randint(-(10**6), 10**6)))
    return xs


def as_json(x: float) -> float | str:
    return (
        x if math.isfinite(x) else ("NaN" if math.isnan(x) else str(x).replace("inf", "Infinity"))
    )


def test_the_page_formats_numbers_as_the_python_spec(
    browser: Browser, pages: dict[str, tuple[Path, Any]]
) -> None:
    browser.open(pages["baydin"][0])
    xs = sample_numbers()
    digits = [1, 2, 3, 4, 5, 6, 17]
    shown = browser.js(
        "return arguments[0].map(x => arguments[1].map(d => NUMBERS.number(Number(x), d)))",
        [as_json(x) for x in xs],
        digits,
    )
    for x, row in zip(xs, shown, strict=True):
        assert row == [numbers.number(x, d) for d in digits], x
    # and the digits arithmetic gets, on products and sums of such numbers
    rng = random.Random(1)
    pairs = [(rng.choice(xs[40:]), rng.choice(xs[40:])) for _ in range(300)]
    pairs = [(a, b) for a, b in pairs if math.isfinite(a * b) and math.isfinite(a + b)]
    got = browser.js(
        "return arguments[0].map(([a, b]) =>"
        " [NUMBERS.product(a, b, a * b), NUMBERS.total([a, b], a + b)])",
        pairs,
    )
    for (a, b), (prod, tot) in zip(pairs, got, strict=True):
        assert tuple(prod) == numbers.product(a, b, a * b), (a, b)
        assert tuple(tot) == numbers.total([a, b], a + b), (a, b)


# --- the PNG frames and the page say the same things ----------------------------------------------


def frame_texts(source: str, order: list[Any]) -> tuple[dict[int, str], list[list[str]]]:
    """From a frame's DOT text: each record's last field (grad) by node id, and the lines of each
    argument edge in the order drawn."""
    grads = {}
    for index, fields in re.findall(r'^\tn(\d+) \[label="(.*?)"', source, flags=re.M):
        parts = fields.split(" | ")
        if len(parts) == 3:
            grads[order[int(index)].id] = parts[2]
    edges = []
    for label in re.findall(r"^\tn\d+ -> n\d+op \[label=<(<table.*?</table>)>", source, flags=re.M):
        (cell,) = re.findall(r"<td>(.*?)</td>", label)
        edges.append([html.unescape(re.sub(r"<[^>]+>", "", line)) for line in cell.split("<br/>")])
    return grads, edges


@pytest.mark.parametrize("name", ["baydin", "saturating"])
def test_the_png_frames_and_the_page_say_the_same_things(
    browser: Browser, pages: dict[str, tuple[Path, Any]], name: str
) -> None:
    path, root = pages[name]
    order = Scene.build(root, max_nodes=500).order
    frames = [frame.source for frame in viz.backward_frame_graphs(root)]
    browser.open(path)
    for k, source in enumerate(frames, start=1):
        browser.js(f"window.adjoint.go({k})")
        grads, edges = frame_texts(source, order)
        shown = browser.js(
            "return Object.fromEntries([...document.querySelectorAll('g.value')]"
            ".filter(g => g.querySelector('text.f-grad'))"
            ".map(g => [g.id.slice(5), g.querySelector('text.f-grad').textContent]))"
        )
        assert {int(i): text for i, text in shown.items()} == grads, k
        lines = browser.js(
            "return arguments[0].map(id => [...document.getElementById(id).querySelectorAll("
            "'text')].map(t => t.textContent).filter(t => t))",
            [f"edge-{i.id}-{n.id}-{m}" for n in order for m, i in enumerate(n.inputs)],
        )
        assert lines == edges, k
