"""The program pane end to end: the page of a graph shows the adjoint program the engines write
(`scalar.program`, `vector.program`), its lines lit step by step, and on a tensor page the
vector-Jacobian product of a clicked edge with its shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import Browser

import viz
from examples import graphs
from viz.passes import arrivals, step_numbers


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("program-pages")


def lines_with(browser: Browser, text: str) -> list[dict[str, str]]:
    return browser.js(
        "return [...document.querySelectorAll('#adjoint-program .line')]"
        ".filter(l => l.textContent.includes(arguments[0]))"
        ".map(l => ({step: l.dataset.step, current: l.classList.contains('current')}))",
        text,
    )


def test_baydins_page_lights_the_line_that_adds_x1s_second_partial_adjoint(
    browser: Browser, folder: Path
) -> None:
    b = graphs.baydin()
    page = viz.stepper(b["v5"])
    assert not isinstance(page.program, str), page.program
    steps = b["v5"].backward(trace=True)
    # x1 receives from v2, then from v1: the second is added (`x1_bar +=`) at v1's step
    second = arrivals(steps)[b["x1"].id][1].step
    assert second == step_numbers(steps)[b["v1"].id]
    browser.open(page.save(folder / "baydin.html"))
    n = browser.js("return window.adjoint.steps")
    all_steps = browser.js(
        "return [...document.querySelectorAll('#adjoint-program .line')].map(l => +l.dataset.step)"
    )
    assert set(all_steps) <= set(range(n + 1)) and 0 in all_steps
    added = lines_with(browser, "x1_bar +=")
    assert added and {line["step"] for line in added} == {str(second)}
    browser.js(f"window.adjoint.go({second - 1})")
    assert not any(line["current"] for line in lines_with(browser, "x1_bar +="))
    browser.js(f"window.adjoint.go({second})")
    assert all(line["current"] for line in lines_with(browser, "x1_bar +="))
    browser.screenshot("program-pane-baydin")


def test_a_tensor_page_shows_the_vjp_of_a_clicked_edge_with_shapes(
    browser: Browser, folder: Path
) -> None:
    t = graphs.two_layer()
    page = viz.stepper(t.loss)
    assert not isinstance(page.program, str), page.program
    browser.open(page.save(folder / "two-layer.html"), "#step=3")
    z = t.loss.inputs[0]
    edge = f"edge-{t.net.W2.id}-{z.id}-1"
    browser.js(
        "document.getElementById(arguments[0]).querySelector('path')"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}))",
        edge,
    )
    code = browser.js("return document.querySelector('#info pre').textContent")
    assert code.lstrip().startswith("W2_bar") and "@" in code
    assert "(100, 10)" in code and "(4, 10)" in code  # the shapes of the product
    browser.screenshot("program-pane-two-layer")
