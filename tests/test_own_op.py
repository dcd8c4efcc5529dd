"""A learner's own op, both ways: micrograd's (`Value(data, _children, _op)` and a `_backward`
closure) and adjoint's (`scalar.primitive`, a row of the table added at run time).

Every op is checked against central differences in float64, and against the built-in op where
one exists. Pages are opened in the session's headless browser (the `browser` fixture)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import Browser
from selenium.common.exceptions import JavascriptException

import scalar
import viz
from autodiff import topological_order
from scalar import PRIMITIVES, Dual, JavaScript, PythonSource, Value, jvp, numeric_grad, program
from scalar.operators import Arithmetic

# --- the ops, written as a reader of micrograd's lecture writes them -----------------------------


def micrograd_exp(self: Value) -> Value:
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward() -> None:
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def micrograd_tanh(self: Value) -> Value:
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def micrograd_hypot(self: Value, other: Value) -> Value:
    """√(a² + b²): ∂/∂a = a/out, ∂/∂b = b/out."""
    out = Value(math.hypot(self.data, other.data), (self, other), "hypot")

    def _backward() -> None:
        self.grad += self.data / out.data * out.grad
        other.grad += other.data / out.data * out.grad

    out._backward = _backward
    return out


def micrograd_mul(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "mul")

    def _backward() -> None:
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.fixture
def table() -> Iterator[None]:
    """Undo, after the test, every row and method a test adds to the table, Value and Dual."""
    rows = dict(PRIMITIVES)
    before = {cls: dict(vars(cls)) for cls in (Arithmetic, Value, Dual)}
    yield
    PRIMITIVES.clear()
    PRIMITIVES.update(rows)
    for cls, attributes in before.items():
        for name in set(vars(cls)) - set(attributes):
            delattr(cls, name)
        for name, attribute in attributes.items():
            if vars(cls).get(name) is not attribute:
                setattr(cls, name, attribute)


@pytest.fixture
def micrograd_ops(table: None) -> None:
    """Value with the lecture's exp and tanh (replacing the built-in ones) and two new ops."""
    Value.exp = micrograd_exp  # type: ignore[method-assign]
    Value.tanh = micrograd_tanh  # type: ignore[method-assign]
    Value.hypot = micrograd_hypot  # type: ignore[attr-defined]
    Value.mul = micrograd_mul  # type: ignore[attr-defined]


def grads(f: Callable[..., Value], point: list[float]) -> tuple[float, list[float]]:
    """f's value and d(f)/d(input) at `point` by `backward()`."""
    xs = [Value(p, label=f"x{k}") for k, p in enumerate(point)]
    out = f(*xs)
    out.backward()
    return out.data, [x.grad for x in xs]


# A graph that mixes the closure ops with built-in ones and reuses nodes: x is used by five ops,
# e = x.exp() by three, and the closure `mul` takes one node twice.
def mixed(x: Value, y: Value) -> Value:
    e = x.exp()
    h = x.hypot(y * e)
    return e * x + (x * y).tanh() + h.mul(h) + e.mul(e).tanh() - x.mul(x) / (1 + e)


def mixed_numbers(x: float, y: float) -> float:
    e = math.exp(x)
    h = math.hypot(x, y * e)
    return e * x + math.tanh(x * y) + h * h + math.tanh(e * e) - x * x / (1 + e)


POINTS = [[0.3, -0.7], [-1.2, 0.4], [0.9, 1.1]]


# --- micrograd's way ------------------------------------------------------------------------------


@pytest.mark.parametrize("point", POINTS)
def test_micrograd_style_ops_match_central_differences(
    micrograd_ops: None, point: list[float]
) -> None:
    value, got = grads(mixed, point)
    assert value == pytest.approx(mixed_numbers(*point), rel=1e-12)
    assert got == pytest.approx(numeric_grad(mixed_numbers, point), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("point", POINTS)
def test_micrograd_style_ops_match_the_built_in_ones(table: None, point: list[float]) -> None:
    def f(x: Value, y: Value) -> Value:
        e = x.exp()
        return e * x + (x * y).tanh() + e.mul(e) * x.hypot(y)

    Value.hypot = lambda a, b: (a * a + b * b).sqrt()  # type: ignore[attr-defined]
    Value.mul = lambda a, b: a * b  # type: ignore[attr-defined]
    built_in = grads(f, point)
    Value.exp, Value.tanh = micrograd_exp, micrograd_tanh  # type: ignore[method-assign]
    Value.hypot, Value.mul = micrograd_hypot, micrograd_mul  # type: ignore[attr-defined]
    closures = grads(f, point)
    assert closures[0] == pytest.approx(built_in[0], rel=1e-14)
    assert closures[1] == pytest.approx(built_in[1], rel=1e-12)


def test_micrograd_constructor_takes_micrograd_positional_arguments() -> None:
    a = Value(2.0, (), "", "a")
    b = Value(3.0, label="b")
    c = Value(a.data * b.data, (a, b), "*", "c")
    assert (a.label, c.label, c.op, c._op, c.inputs, c._prev) == (
        "a",
        "c",
        "*",
        "*",
        (a, b),
        {a, b},
    )
    assert c.primitive is None and b.primitive is None  # a closure node, and an input
    assert (a * b).primitive is PRIMITIVES["multiply"]


def test_a_label_given_as_micrographs_second_argument_is_refused_clearly() -> None:
    with pytest.raises(TypeError, match=r"_children must be the input Values.*label="):
        Value(2.0, "x1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"_children must be Values, got 3"):
        Value(2.0, (3,))  # type: ignore[arg-type]


def test_a_node_without_a_closure_sends_nothing_as_in_micrograd() -> None:
    x = Value(2.0)
    y = Value(5.0, (x,), "f")
    z = y * x
    z.backward()
    assert (y.grad, x.grad) == (2.0, 5.0)  # only through the `*` edge


def test_backward_twice_gives_the_same_grads(micrograd_ops: None) -> None:
    x, y = Value(0.3), Value(-0.7)
    out = mixed(x, y)
    out.backward()
    first = [n.grad for n in topological_order((out,))]
    out.backward()
    assert [n.grad for n in topological_order((out,))] == first


def test_closure_partial_adjoints_leave_the_inputs_grads_alone(micrograd_ops: None) -> None:
    x, y = Value(0.5), Value(2.0)
    h = x.hypot(y)
    x.grad, y.grad, h.grad = 7.0, -1.0, 3.0
    assert h.vjp(2.0) == pytest.approx((2.0 * 0.5 / h.data, 2.0 * 2.0 / h.data))
    assert h.partial_adjoints == pytest.approx((3.0 * 0.5 / h.data, 3.0 * 2.0 / h.data))
    assert (x.grad, y.grad, h.grad) == (7.0, -1.0, 3.0)
    assert h.local_derivatives == (None, None)


def test_a_closure_that_fails_leaves_every_grad_as_it_was() -> None:
    x = Value(1.0)
    out = Value(2.0, (x,), "broken")

    def _backward() -> None:
        x.grad += 1.0
        raise RuntimeError("the closure's own bug")

    out._backward = _backward
    x.grad, out.grad = 4.0, 5.0
    with pytest.raises(RuntimeError, match="own bug"):
        out.vjp(1.0)
    assert (x.grad, out.grad) == (4.0, 5.0)


def test_an_input_given_twice_is_one_input_as_in_micrograd(micrograd_ops: None) -> None:
    x = Value(3.0)
    sq = x.mul(x)
    assert sq.inputs == (x,) and sq._prev == {x}
    sq.backward()
    assert x.grad == 6.0 and sq.partial_adjoints == (6.0,)


def test_the_lectures_node_by_node_loop_runs_the_closures(micrograd_ops: None) -> None:
    x, y = Value(0.3), Value(-0.7)
    out = mixed(x, y)
    out.backward()
    want = (x.grad, y.grad)
    for node in topological_order((out,)):
        node.grad = 0.0
    out.grad = 1.0
    for node in reversed(topological_order((out,))):
        node._backward()
    assert (x.grad, y.grad) == pytest.approx(want, rel=1e-14)


def test_assigning_a_closure_to_a_leaf_is_refused() -> None:
    with pytest.raises(TypeError, match="no inputs"):
        Value(1.0)._backward = lambda: None


def test_the_trace_shows_the_closures_partial_adjoints(micrograd_ops: None) -> None:
    x = Value(0.5, label="x")
    e = x.exp()
    out = e * x
    steps = out.backward(trace=True)
    step = next(s for s in steps if s.node is e)
    (edge,) = step.edges
    assert edge.input is x and edge.local_derivative is None
    assert edge.partial_adjoint == step.adjoint * e.data == 0.5 * math.exp(0.5)
    table = viz.reverse_table(out)
    assert "from the _backward closure of exp" in table and "unknown" in table


def test_the_picture_says_a_closures_local_derivative_is_unknown(micrograd_ops: None) -> None:
    x = Value(0.5, label="x")
    out = x.exp() * x
    out.backward()
    source = viz.draw(out).source
    assert "∂v1/∂x unknown (a _backward closure)" in source
    assert f"sends {viz.labels.number(0.5 * math.exp(0.5))}" in source
    assert "∂v2/∂x = 1.649" in source  # the built-in edge keeps its number


def test_frames_draw_a_closure_graph(micrograd_ops: None, tmp_path: Path) -> None:
    x = Value(0.5, label="x")
    out = x.exp() * x
    paths = viz.backward_frames(out, tmp_path)
    assert len(paths) == len(out.backward(trace=True)) and all(p.stat().st_size for p in paths)


def test_forward_mode_refuses_a_closure_op_naming_it(micrograd_ops: None) -> None:
    with pytest.raises(AttributeError, match=r"'hypot'.*scalar\.primitive"):
        jvp(lambda x, y: x.hypot(y), [1.0, 2.0], [1.0, 0.0])
    with pytest.raises(AttributeError, match=r"'data'.*scalar\.primitive"):
        jvp(micrograd_exp, [1.0], [1.0])  # the op's body, run on a Dual
    x = Value(0.5, label="x")
    out = x.hypot(x * 2)
    with pytest.raises(TypeError, match=r"op 'hypot' is a micrograd-style.*scalar\.primitive"):
        viz.forward_table(out, {x: 1.0})
    with pytest.raises(TypeError, match=r"op 'hypot'"):
        viz.draw(out, tangents={x: 1.0})


def test_the_program_refuses_a_closure_graph_naming_the_op(micrograd_ops: None) -> None:
    x = Value(0.5, label="x")
    out = x.hypot(x) * x
    with pytest.raises((TypeError, ValueError), match="hypot"):
        program(out, inputs=[x])


def test_the_lectures_neuron_with_the_lectures_own_closures_gives_micrographs_numbers(
    micrograd_ops: None,
) -> None:
    """The lecture's neuron, its tanh and exp written as the lecture writes them (the closures
    above): on adjoint, node by node and by `backward()`, the numbers micrograd's lecture gives,
    worked out by hand: o = tanh(n) = 1/√2 at n = artanh(1/√2), so do/dn = 1/2."""
    from examples import micrograd_lecture as lecture

    by_hand = {"x1": -3.0 * 0.5, "w1": 2.0 * 0.5, "x2": 1.0 * 0.5, "w2": 0.0 * 0.5}
    nodes = lecture.backward_node_by_node()
    assert nodes.o.primitive is None and nodes.o.op == "tanh"  # the closure ran, not the row
    assert lecture.input_grads(nodes) == pytest.approx(by_hand, abs=1e-15)
    for tanh_via_exp in (False, True):
        built = lecture.build_neuron(tanh_via_exp=tanh_via_exp)
        built.o.backward()
        assert lecture.input_grads(built) == pytest.approx(by_hand, abs=1e-12)


# --- adjoint's way: scalar.primitive ------------------------------------------------------------


def add_softplus(**kwargs: Any) -> scalar.Primitive:
    return scalar.primitive(
        "softplus",
        "softplus",
        value=lambda x: math.log1p(math.exp(x)),
        local_derivatives=lambda x, out: (1.0 / (1.0 + math.exp(-x)),),
        doc="f(x) = ln(1 + eˣ);  f′(x) = 1/(1 + e⁻ˣ) = σ(x)",
        **kwargs,
    )


def add_hypot(**kwargs: Any) -> scalar.Primitive:
    return scalar.primitive(
        "hypot",
        "hypot",
        value=lambda a, b: math.hypot(a, b),  # (math.hypot itself takes *coordinates)
        local_derivatives=lambda a, b, out: (a / out, b / out),
        check=lambda a, b: None,
        doc="f(a, b) = √(a² + b²);  ∂f/∂a = a/f, ∂f/∂b = b/f",
        **kwargs,
    )


SOFTPLUS_JS = JavaScript("Math.log1p(Math.exp(x))", "[1 / (1 + Math.exp(-x))]")
SOFTPLUS_SOURCE = PythonSource("math.log1p(math.exp(x))", ("1.0 / (1.0 + math.exp(-x))",))


def test_a_registered_primitive_is_a_row_and_a_method_of_value_and_dual(table: None) -> None:
    row = add_softplus(js=SOFTPLUS_JS, source=SOFTPLUS_SOURCE)
    assert PRIMITIVES["softplus"] is row
    assert (row.args, row.arity, row.js, row.source) == (("x",), 1, SOFTPLUS_JS, SOFTPLUS_SOURCE)
    assert Value.softplus.__doc__ == row.doc  # type: ignore[attr-defined]
    node = Value(0.5).softplus()  # type: ignore[attr-defined]
    assert node.primitive is row and node.op == "softplus" and node.data == softplus(0.5)
    assert Dual(0.5, 1.0).softplus().primal == softplus(0.5)  # type: ignore[attr-defined]


@pytest.mark.parametrize("point", POINTS)
def test_a_registered_primitive_in_reverse_and_forward_mode(
    table: None, point: list[float]
) -> None:
    add_softplus()
    add_hypot()

    def f(x: Any, y: Any) -> Any:
        s = x.softplus()
        return s * y + x.hypot(s) + s.softplus() * x

    def numbers(x: float, y: float) -> float:
        s = softplus(x)
        return s * y + math.hypot(x, s) + softplus(s) * x

    value, reverse = grads(f, point)
    assert value == numbers(*point)
    assert reverse == pytest.approx(numeric_grad(numbers, point), rel=1e-6, abs=1e-8)
    for k in range(2):
        direction = [1.0 if j == k else 0.0 for j in range(2)]
        forward_value, tangent = jvp(f, point, direction)
        assert forward_value == value and tangent == pytest.approx(reverse[k], rel=1e-13)
    x = Value(point[0])
    assert x.softplus().local_derivatives == (sigmoid(point[0]),)  # type: ignore[attr-defined]


def test_a_registered_primitive_in_the_pictures(table: None) -> None:
    add_softplus()
    x = Value(0.5, label="x")
    out = x.softplus() * x  # type: ignore[attr-defined]
    out.backward()
    source = viz.draw(out).source
    assert "softplus" in source and f"∂v1/∂x = {viz.labels.number(sigmoid(0.5))}" in source
    table = viz.forward_table(out, {x: 1.0})
    assert "v1 = softplus x = softplus 0.5" in table
    assert f"v̇1 = ∂v1/∂x ẋ = {viz.labels.number(sigmoid(0.5))} × 1" in table


def test_registering_a_name_twice_is_an_error_unless_replaced(table: None) -> None:
    add_softplus()
    with pytest.raises(ValueError, match=r"'softplus' is already a primitive.*replace=True"):
        add_softplus()
    row = add_softplus(replace=True, js=SOFTPLUS_JS)
    assert PRIMITIVES["softplus"] is row and Value(0.0).softplus().primitive is row  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"'exp' is already a primitive"):
        scalar.primitive("exp", "e", value=math.exp, local_derivatives=lambda x, out: (out,))
    with pytest.raises(ValueError, match=r"'add' is the row of an operator"):
        scalar.primitive(
            "add",
            "+",
            value=lambda a, b: a + b,
            local_derivatives=lambda a, b, o: (1, 1),
            replace=True,
        )


def test_a_method_given_to_value_by_hand_is_replaced_only_on_request(table: None) -> None:
    Value.softplus = lambda self: self  # type: ignore[attr-defined]
    with pytest.raises(
        ValueError, match=r"'softplus' is already a method that your code gave Value"
    ):
        add_softplus()
    add_softplus(replace=True)
    assert Value(0.5).softplus().data == softplus(0.5)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "backward"}, ValueError, "already an attribute of Value or Dual"),
        ({"name": "_hidden"}, ValueError, "may not start with '_'"),
        ({"name": "two words"}, TypeError, "must be a Python identifier"),
        ({"symbol": "*"}, None, None),  # one input: * is taken by two-input multiply only
        ({"value": lambda a, b, c: a}, ValueError, "takes 3 inputs; a primitive takes one or two"),
        ({"value": lambda x=1.0: x}, TypeError, "plain parameters"),
        (
            {"local_derivatives": lambda x: (1.0,)},
            TypeError,
            r"must take the inputs and out.*\(x, out\)",
        ),
        ({"js": "Math.exp(x)"}, TypeError, "js must be"),
        ({"source": ("x", ("1", "2"))}, TypeError, "with 1 local derivative"),
    ],
)
def test_bad_registrations_are_refused_before_anything_changes(
    table: None, kwargs: dict[str, Any], error: type[Exception] | None, message: str | None
) -> None:
    arguments: dict[str, Any] = {
        "name": "double",
        "symbol": "dbl",
        "value": lambda x: 2 * x,
        "local_derivatives": lambda x, out: (2.0,),
        **kwargs,
    }
    if error is None:
        scalar.primitive(**arguments)
        return
    rows = dict(PRIMITIVES)
    with pytest.raises(error, match=message):
        scalar.primitive(**arguments)
    assert rows == PRIMITIVES
    if arguments["name"] != "backward":  # (Value's own method, untouched)
        assert not hasattr(Value, arguments["name"]) and not hasattr(Dual, arguments["name"])


def test_a_symbol_taken_by_another_row_with_as_many_inputs_is_refused(table: None) -> None:
    with pytest.raises(ValueError, match=r"symbol 'exp' with 1 input\(s\) is already exp's"):
        scalar.primitive("myexp", "exp", value=math.exp, local_derivatives=lambda x, out: (out,))


def test_a_registered_ops_mistakes_name_it(table: None) -> None:
    scalar.primitive("half", "half", value=lambda x: x / 2, local_derivatives=lambda x, out: 0.5)
    with pytest.raises(
        TypeError, match=r"half: local_derivatives must return a tuple of 1.*\(d,\); got 0.5"
    ):
        Value(1.0).half()  # type: ignore[attr-defined]
    scalar.primitive(
        "ln2", "ln2", value=lambda x: math.log(x), local_derivatives=lambda x, out: (1 / x,)
    )
    with pytest.raises(ValueError, match=r"ln2: ln2\(-1.0\) failed: math domain error"):
        Value(-1.0).ln2()  # type: ignore[attr-defined]
    scalar.primitive("word", "word", value=lambda x: "x", local_derivatives=lambda x, out: (1.0,))
    with pytest.raises(TypeError, match=r"word: value\(1.0\) returned 'x'; expected a number"):
        Value(1.0).word()  # type: ignore[attr-defined]


def test_the_program_uses_a_registered_primitives_source(table: None) -> None:
    add_softplus(source=SOFTPLUS_SOURCE)
    x, y = Value(0.5, label="x"), Value(2.0, label="y")
    out = x.softplus() * y  # type: ignore[attr-defined]
    out.backward()
    value, got = program(out, inputs=[x, y])(0.5, 2.0)
    assert value == out.data and tuple(got) == (x.grad, y.grad)


def test_the_program_refuses_a_registered_primitive_without_source(table: None) -> None:
    add_softplus()
    x = Value(0.5, label="x")
    with pytest.raises((TypeError, ValueError), match="softplus"):
        program(x.softplus() * x, inputs=[x])  # type: ignore[attr-defined]


# --- the page -------------------------------------------------------------------------------------


def open_page(browser: Browser, root: Value, path: Path) -> None:
    viz.stepper(root).save(path)
    browser.open(path)
    browser.wait_for("return window.adjoint !== undefined")


def input_fields(browser: Browser) -> list[dict[str, Any]]:
    return browser.js(
        "return [...document.querySelectorAll('#inputs input')]"
        ".map((f) => ({node: Number(f.dataset.node), disabled: f.disabled}))"
    )


def test_the_page_recomputes_a_registered_primitive_with_js(
    table: None, browser: Browser, tmp_path: Path
) -> None:
    add_softplus(js=SOFTPLUS_JS)
    x = Value(0.5, label="x")
    out = x.softplus() * x  # type: ignore[attr-defined]
    open_page(browser, out, tmp_path / "softplus.html")
    assert input_fields(browser) == [{"node": x.id, "disabled": False}]
    browser.js(f"window.adjoint.setInput({x.id}, -1.25)")
    browser.js(f"window.adjoint.go({browser.js('return window.adjoint.steps')})")
    x2 = Value(-1.25, label="x")
    out2 = x2.softplus() * x2  # type: ignore[attr-defined]
    out2.backward()
    values, got = browser.js("return [window.adjoint.values(), window.adjoint.grads()]")
    assert values[str(out.id)] == pytest.approx(out2.data, rel=1e-15)
    assert got[str(x.id)] == pytest.approx(x2.grad, rel=1e-15)


def test_the_page_of_a_primitive_without_js_disables_its_inputs(
    table: None, browser: Browser, tmp_path: Path
) -> None:
    add_softplus()
    x = Value(0.5, label="x")
    out = x.softplus() * x  # type: ignore[attr-defined]
    open_page(browser, out, tmp_path / "no-js.html")
    assert input_fields(browser) == [{"node": x.id, "disabled": True}]
    note = browser.js("return document.getElementById('inputs-note').textContent")
    assert "'softplus'" in note and "js=" in note
    with pytest.raises(JavascriptException, match="softplus"):
        browser.js(f"window.adjoint.setInput({x.id}, 1)")
    browser.js(f"window.adjoint.setMode('forward', {x.id})")  # the recorded numbers suffice
    assert browser.js("return window.adjoint.tangents()")[str(out.id)] == pytest.approx(
        softplus(0.5) + 0.5 * sigmoid(0.5), rel=1e-15
    )


def test_the_page_of_a_closure_graph_shows_the_pass_and_refuses_the_rest(
    micrograd_ops: None, browser: Browser, tmp_path: Path
) -> None:
    x = Value(0.5, label="x")
    out = x.exp() * x
    open_page(browser, out, tmp_path / "closure.html")
    assert input_fields(browser) == [{"node": x.id, "disabled": True}]
    assert "op 'exp'" in browser.js("return document.getElementById('inputs-note').textContent")
    assert browser.js("return document.getElementById('mode-forward').disabled")
    n = browser.js("return window.adjoint.steps")
    browser.js(f"window.adjoint.go({n})")
    out.backward()
    assert browser.js("return window.adjoint.grads()")[str(x.id)] == x.grad
    edge = out.inputs[0]
    text = browser.js(f"return document.getElementById('edge-{x.id}-{edge.id}-0').textContent")
    assert "unknown" in text and viz.labels.number(0.5 * math.exp(0.5)) in text
    for call in (
        f"window.adjoint.setInput({x.id}, 1)",
        f"window.adjoint.setMode('forward', {x.id})",
    ):
        with pytest.raises(JavascriptException, match="op 'exp'"):
            browser.js(call)


# --- the guide ------------------------------------------------------------------------------------


def test_the_guides_code_runs_as_written(table: None, capsys: pytest.CaptureFixture[str]) -> None:
    guide = Path(__file__).resolve().parents[1] / "docs/adding-an-op.md"
    blocks = re.findall(r"```python\n(.*?)```", guide.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 3  # micrograd's way, adjoint's way, the test
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, str(guide), "exec"), namespace)
    printed = capsys.readouterr().out.split()
    assert len(printed) == 2  # x.grad, both ways: the same number
    want = softplus(0.5) + 0.5 * sigmoid(0.5)
    assert float(printed[0]) == float(printed[1]) == pytest.approx(want, rel=1e-15)
