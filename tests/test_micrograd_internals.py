"""micrograd's internals on adjoint's `Value`: `_prev`, `_op`, `_backward()` and attributes set by
user code, and the lecture-style code of `examples/micrograd_lecture.py` that relies on them.

Where micrograd is installed, the same example code also runs on micrograd's own `Value` (with the
label, tanh and exp that the lecture adds to it) and must give the same numbers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autodiff import topological_order
from examples import micrograd_lecture as lecture
from scalar import PRIMITIVES, Value
from scalar.nn import MLP

# The lecture's neuron, worked out independently of any engine: n = artanh(1/√2), so
# o = tanh n = 1/√2 and do/dn = 1 − o² = 1/2; then x1.grad = w1·½, w1.grad = x1·½, and so on.
O = 1 / math.sqrt(2)
DO_DN = 1 - O * O
EXPECTED_GRADS = {"x1": -3.0 * DO_DN, "w1": 2.0 * DO_DN, "x2": 1.0 * DO_DN, "w2": 0.0 * DO_DN}


# --- _prev ----------------------------------------------------------------------------------------


def test_prev_is_the_set_of_input_nodes() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert isinstance(c._prev, set)
    assert c._prev == {a, b}
    assert a._prev == set()  # a leaf


def test_prev_of_a_node_using_one_input_twice_holds_it_once() -> None:
    a = Value(2.0)
    b = a + a
    assert b._prev == {a}
    assert b.inputs == (a, a)  # the edges are still two


def test_prev_includes_the_constant_node_a_number_becomes() -> None:
    # As in micrograd, `a + 1` makes a node for the 1; adjoint marks it as needing no gradient.
    a = Value(2.0)
    made = [(a + 1, 1), (1 + a, 1), (a * 3, 3), (3 * a, 3), (a - 1, 1), (1 - a, 1), (a / 4, 4)]
    made += [(4 / a, 4), (5**a, 5)]
    for node, number in made:
        (constant,) = node._prev - {a}
        assert (constant.data, constant.requires_grad, constant._op) == (number, False, "")


def test_prev_of_a_number_power_has_no_node_for_the_exponent() -> None:
    # The exponent of `x ** 2` is part of the op, in micrograd as here, not an input node.
    a = Value(3.0)
    assert (a**2)._prev == {a}
    b = Value(2.0)
    assert (a**b)._prev == {a, b}


# --- _op ------------------------------------------------------------------------------------------

OPS: list[tuple[str, str, Callable[[Value, Value], Value]]] = [
    ("add", "+", lambda a, b: a + b),
    ("subtract", "-", lambda a, b: a - b),
    ("multiply", "*", lambda a, b: a * b),
    ("divide", "/", lambda a, b: a / b),
    ("power_scalar", "**", lambda a, b: a**2),
    ("power", "**", lambda a, b: a**b),
    ("negate", "-", lambda a, b: -a),
    ("exp", "exp", lambda a, b: a.exp()),
    ("log", "log", lambda a, b: a.log()),
    ("sin", "sin", lambda a, b: a.sin()),
    ("cos", "cos", lambda a, b: a.cos()),
    ("tanh", "tanh", lambda a, b: a.tanh()),
    ("sigmoid", "sigmoid", lambda a, b: a.sigmoid()),
    ("relu", "relu", lambda a, b: a.relu()),
    ("sqrt", "sqrt", lambda a, b: a.sqrt()),
]


@pytest.mark.parametrize(("name", "symbol", "f"), OPS, ids=[row[0] for row in OPS])
def test_op_is_the_symbol_of_the_primitive(name: str, symbol: str, f: Callable) -> None:
    node = f(Value(2.0), Value(3.0))
    assert node._op == symbol == PRIMITIVES[name].symbol
    assert node._op == node.op


def test_every_primitive_has_a_row_in_the_op_test() -> None:
    assert sorted(name for name, _, _ in OPS) == sorted(PRIMITIVES)


def test_op_of_a_leaf_is_empty() -> None:
    assert Value(1.0, label="x")._op == ""
    assert Value(1.0, requires_grad=False)._op == ""


# --- _backward() ----------------------------------------------------------------------------------


def test_backward_step_of_a_leaf_changes_nothing() -> None:
    a = Value(2.0)
    a.grad = 3.0
    assert a._backward() is None
    assert (a.data, a.grad) == (2.0, 3.0)


def test_backward_step_sends_grad_times_local_derivative_to_each_input() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    c.grad = 10.0
    c._backward()
    assert (a.grad, b.grad) == (10.0 * 3.0, 10.0 * 2.0)
    assert c.grad == 10.0  # its own grad is left alone


def test_backward_step_accumulates() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    c.grad = 1.0
    c._backward()
    c._backward()
    assert (a.grad, b.grad) == (2 * 3.0, 2 * 2.0)


def test_backward_step_sends_one_contribution_per_edge() -> None:
    a = Value(5.0)
    b = a * a  # two edges into a, each with local derivative 5
    b.grad = 1.0
    b._backward()
    assert a.grad == 10.0


def test_backward_step_skips_constants() -> None:
    a = Value(2.0)
    c = a * 3
    (constant,) = c._prev - {a}
    c.grad = 1.0
    c._backward()
    assert (a.grad, constant.grad) == (3.0, 0.0)


def _by_hand(root: Value, order: list[Any]) -> None:
    """Seed the root and call `_backward()` on every node of `order`, last to first."""
    root.grad = 1.0
    for node in reversed(order):
        node._backward()


def _grads(root: Value) -> list[float]:
    """Every node's grad, in the (deterministic) topological order of the graph."""
    return [node.grad for node in topological_order((root,))]


def _reused() -> Value:
    a = Value(-1.5, label="a")
    b = a + a
    return b * b


def _neuron() -> Value:
    return lecture.build_neuron().o


def _neuron_via_exp() -> Value:
    return lecture.build_neuron(tanh_via_exp=True).o


def _every_primitive() -> Value:
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    u = (x * y + x.exp() - y.log()) / (x.sin() + 2) - x.cos() * y.tanh()
    v = -(u**2) + x.sigmoid() * y.sqrt() + (y**x).relu() + 2**x - 1 / y
    return u * v + v


GRAPHS = {
    "neuron": _neuron,
    "neuron_via_exp": _neuron_via_exp,
    "reused": _reused,
    "every_primitive": _every_primitive,
}


def _most_edges_out(root: Value) -> int:
    """The largest number of edges leaving one node: how many terms its grad is a sum of."""
    uses: dict[int, int] = {}
    for node in topological_order((root,)):
        for x in node.inputs:
            uses[x.id] = uses.get(x.id, 0) + 1
    return max(uses.values())


@pytest.mark.parametrize("build", GRAPHS.values(), ids=GRAPHS.keys())
def test_backward_steps_in_reverse_topological_order_give_backwards_grads(build: Callable) -> None:
    engine = build()
    engine.backward()
    hand = build()
    _by_hand(hand, topological_order((hand,)))
    assert _grads(hand) == _grads(engine)  # exactly: the same sums in the same order


@pytest.mark.parametrize("build", GRAPHS.values(), ids=GRAPHS.keys())
def test_the_lectures_sort_gives_backwards_grads(build: Callable) -> None:
    engine = build()
    engine.backward()
    lectures = build()
    lecture.backward_by_topo(lectures)
    # The lecture's sort walks `_prev`, a set, so it may visit the edges leaving a node in another
    # order than backward() does. A sum of two floats does not depend on the order of its terms,
    # so where no node has more than two edges out the grads are the same floats; a sum of three
    # or more can differ in its last bit.
    if _most_edges_out(engine) <= 2:
        assert _grads(lectures) == _grads(engine)
    else:
        assert _grads(lectures) == pytest.approx(_grads(engine), rel=1e-14, abs=1e-15)


def test_the_graphs_include_nodes_with_more_than_two_edges_out() -> None:
    # So that both branches above run: in `_every_primitive`, x feeds seven ops.
    most = {name: _most_edges_out(build()) for name, build in GRAPHS.items()}
    assert most == {"neuron": 1, "neuron_via_exp": 2, "reused": 2, "every_primitive": 7}


def test_the_reused_graph_by_hand() -> None:
    # c = b², b = 2a: dc/db = 2b, and a receives it along both edges of a + a.
    c = _reused()
    lecture.backward_by_topo(c)
    (b,) = c._prev
    (a,) = b._prev
    assert b.grad == 2 * b.data == -6.0
    assert a.grad == 2 * b.grad == -12.0


def test_calling_backward_after_the_steps_gives_the_same_grads() -> None:
    # backward() overwrites, so it agrees with the steps whatever they left behind.
    root = _every_primitive()
    _by_hand(root, topological_order((root,)))
    stepped = _grads(root)
    root.backward()
    assert _grads(root) == stepped


# A random expression: leaves, then ops over earlier nodes (so nodes get reused), then the sum of
# every node as the root, which gives many nodes three or more edges out. Ops with a restricted
# domain get an argument that is inside it (x² + c with c > 0), built from ops of the table too.


def _positive(x: Value, c: float) -> Value:
    return x * x + c


UNARY: dict[str, Callable[[Value, float], Value]] = {
    "neg": lambda x, c: -x,
    "exp": lambda x, c: x.exp(),
    "log": lambda x, c: _positive(x, c).log(),
    "sin": lambda x, c: x.sin(),
    "cos": lambda x, c: x.cos(),
    "tanh": lambda x, c: x.tanh(),
    "sigmoid": lambda x, c: x.sigmoid(),
    "relu": lambda x, c: x.relu(),
    "sqrt": lambda x, c: _positive(x, c).sqrt(),
    "square": lambda x, c: x**2,
    "cube": lambda x, c: x**3,
    "add_number": lambda x, c: x + c,
    "number_minus": lambda x, c: c - x,
    "number_times": lambda x, c: c * x,
    "number_over": lambda x, c: c / _positive(x, c),
    "number_power": lambda x, c: c**x,
}
BINARY: dict[str, Callable[[Value, Value, float], Value]] = {
    "add": lambda x, y, c: x + y,
    "subtract": lambda x, y, c: x - y,
    "multiply": lambda x, y, c: x * y,
    "divide": lambda x, y, c: x / _positive(y, c),
    "power": lambda x, y, c: _positive(x, c) ** y,
}

step = st.tuples(
    st.sampled_from(sorted(UNARY) + sorted(BINARY)),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.floats(0.25, 2.0),
)
programs = st.tuples(
    st.lists(st.floats(-2.0, 2.0, allow_subnormal=False), min_size=1, max_size=4),
    st.lists(step, min_size=1, max_size=12),
)


def _run(program: tuple[list[float], list[tuple[str, int, int, float]]]) -> Value:
    """A fresh graph of `program`; the same program always builds the same graph."""
    leaves, steps = program
    nodes = [Value(x, label=f"x{k}") for k, x in enumerate(leaves)]
    for name, i, j, c in steps:
        x, y = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(UNARY[name](x, c) if name in UNARY else BINARY[name](x, y, c))
    root = nodes[0]
    for node in nodes[1:]:
        root = root + node
    return root


@settings(max_examples=150, deadline=None)
@given(programs)
def test_backward_steps_match_backward_on_random_graphs(program: Any) -> None:
    try:
        engine = _run(program)
    except OverflowError:
        assume(False)  # exp or ** of a number too large for a float
    engine.backward()
    expected = _grads(engine)
    assume(all(math.isfinite(g) for g in expected) and math.isfinite(engine.data))
    hand = _run(program)
    _by_hand(hand, topological_order((hand,)))
    assert _grads(hand) == expected
    # The lecture's sort walks `_prev`, a set, so a node's edges out may be visited in another
    # order than backward() visits them; a sum of three or more floats can then differ in its
    # last bits. Same grads up to rounding.
    lectures = _run(program)
    lecture.backward_by_topo(lectures)
    assert _grads(lectures) == pytest.approx(expected, rel=1e-12, abs=1e-12)


# --- attributes set by user code ------------------------------------------------------------------


def test_user_attributes_are_kept_per_node() -> None:
    p, q = Value(1.0), Value(2.0)
    p.m = 0.0
    p.m += 0.5
    q.m = -1.0
    q.notes = ["first"]
    assert (p.m, q.m, q.notes) == (0.5, -1.0, ["first"])
    assert vars(p) == {"m": 0.5}  # the engine's own fields are slots, not in __dict__
    del p.m
    assert not hasattr(p, "m")
    node = p * q
    node.seen = True  # a node made by an op takes them too
    assert node.seen is True


def test_user_attributes_leave_the_engine_alone() -> None:
    p = Value(1.5)
    p.velocity = 100.0
    out = p * p
    out.backward()
    assert (out.data, p.grad, p.velocity) == (2.25, 3.0, 100.0)


def test_core_attributes_set_as_before() -> None:
    v = Value(2.0)
    v.data = 5.0
    v.grad = 7.0
    v.label = "v"
    assert vars(v) == {}  # still in their slots
    assert (v.data, v.grad, v.label) == (5.0, 7.0, "v")
    assert (v * 2).data == 10.0


def test_a_misspelt_attribute_is_a_new_attribute() -> None:
    # The price of allowing user attributes, the same as in micrograd: a typo makes a new one.
    v = Value(2.0)
    v.gard = 1.0
    assert v.grad == 0.0 and vars(v) == {"gard": 1.0}


# --- the lecture's example ------------------------------------------------------------------------


def test_the_neuron_node_by_node() -> None:
    nodes = lecture.backward_node_by_node()
    assert nodes.o.data == pytest.approx(O, abs=1e-12)
    assert nodes.n.grad == pytest.approx(DO_DN, abs=1e-12)
    assert lecture.input_grads(nodes) == pytest.approx(EXPECTED_GRADS, abs=1e-12)
    assert nodes.b.grad == nodes.x1w1x2w2.grad == nodes.x1w1.grad == nodes.x2w2.grad == nodes.n.grad
    assert nodes.w2.grad == 0.0


def test_the_neuron_node_by_node_gives_backwards_grads() -> None:
    by_hand = lecture.backward_node_by_node()
    engine = lecture.build_neuron()
    engine.o.backward()
    assert [v.grad for v in by_hand] == [v.grad for v in engine]


@pytest.mark.parametrize("tanh_via_exp", [False, True])
def test_the_neuron_by_topological_sort(tanh_via_exp: bool) -> None:
    nodes = lecture.build_neuron(tanh_via_exp=tanh_via_exp)
    lecture.backward_by_topo(nodes.o)
    assert nodes.o.data == pytest.approx(O, abs=1e-12)
    assert lecture.input_grads(nodes) == pytest.approx(EXPECTED_GRADS, abs=1e-12)


def test_the_neuron_via_exp_is_a_longer_graph() -> None:
    ops = sorted(v._op for v in lecture.trace(lecture.build_neuron(tanh_via_exp=True).o)[0])
    assert [op for op in ops if op] == sorted(["*", "*", "+", "+", "*", "exp", "-", "+", "/"])
    assert sorted(v._op for v in lecture.trace(lecture.build_neuron().o)[0] if v._op) == sorted(
        ["*", "*", "+", "+", "tanh"]
    )


def test_build_topo_puts_each_node_after_its_inputs() -> None:
    root = _every_primitive()
    order = lecture.build_topo(root)
    assert order[-1] is root
    assert len(order) == len(set(order)) == len(topological_order((root,)))
    position = {node: k for k, node in enumerate(order)}
    assert all(position[x] < position[node] for node in order for x in node._prev)


def test_trace_collects_nodes_and_edges() -> None:
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o = lecture.build_neuron()
    nodes, edges = lecture.trace(o)
    assert nodes == {x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o}
    assert edges == {
        (x1, x1w1),
        (w1, x1w1),
        (x2, x2w2),
        (w2, x2w2),
        (x1w1, x1w1x2w2),
        (x2w2, x1w1x2w2),
        (x1w1x2w2, n),
        (b, n),
        (n, o),
    }


def test_draw_dot_shows_labels_data_grads_and_ops() -> None:
    pytest.importorskip("graphviz")
    nodes = lecture.backward_node_by_node()
    source = lecture.draw_dot(nodes.o).source
    for v in nodes:
        assert f"{{ {v.label} | data {v.data:.4f} | grad {v.grad:.4f} }}" in source
    assert "{ o | data 0.7071 | grad 1.0000 }" in source
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in source
    assert source.count("shape=record") == 10
    # One oval per op node, each wired into its node, and one edge per edge of the graph.
    for op in ("*", "+", "tanh"):
        assert f"label={op}" in source or f'label="{op}"' in source
    assert source.count("->") == 5 + 9


@pytest.mark.needs_dot
def test_draw_dot_renders() -> None:
    pytest.importorskip("graphviz")
    svg = lecture.draw_dot(lecture.build_neuron(tanh_via_exp=True).o).pipe(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "x1*w1 + x2*w2" in svg and "exp" in svg


def test_momentum_sgd_keeps_its_velocity_on_each_parameter() -> None:
    p, q = Value(1.0), Value(-2.0)
    opt = lecture.MomentumSGD([p, q], lr=0.1, momentum=0.5)
    assert (p.velocity, q.velocity) == (0.0, 0.0)
    p.grad, q.grad = 2.0, -4.0
    opt.step()
    assert (p.velocity, q.velocity) == (2.0, -4.0)
    assert (p.data, q.data) == pytest.approx((1.0 - 0.1 * 2.0, -2.0 + 0.1 * 4.0))
    p.grad, q.grad = 1.0, 0.0
    opt.step()
    assert (p.velocity, q.velocity) == (0.5 * 2.0 + 1.0, 0.5 * -4.0)
    assert (p.data, q.data) == pytest.approx((0.8 - 0.1 * 2.0, -1.6 + 0.1 * 2.0))


def test_training_with_momentum_lowers_the_loss() -> None:
    losses = lecture.train_with_momentum()
    assert len(losses) == 30
    assert losses[-1] < losses[0] / 100
    # The velocity is what carries it: the same steps without momentum stay far behind.
    plain = lecture.train_with_momentum(momentum=0.0)
    assert plain[0] == losses[0]
    assert losses[-1] < plain[-1] / 10


def test_main_reports_the_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    lecture.main()
    out = capsys.readouterr().out
    assert "o = 0.7071" in out
    assert out.count("x1.grad = -1.5000  w1.grad = +1.0000  x2.grad = +0.5000") == 4
    losses = lecture.train_with_momentum()
    assert f"{losses[0]:.4f} → {losses[-1]:.4f} in 30 steps" in out


# --- the same code on micrograd's Value (an oracle, where micrograd is installed) -----------------


@pytest.fixture
def micrograd_value(monkeypatch: pytest.MonkeyPatch) -> type:
    """micrograd's `Value` with what the lecture adds to it (a label, tanh, exp), put in place of
    adjoint's `Value` in the example. micrograd's operators build their results by the module's
    name `Value`, so that name is pointed at the extended class too, for the length of a test."""
    engine = pytest.importorskip("micrograd.engine")

    class LectureValue(engine.Value):
        def __init__(self, data: float, _children: tuple = (), _op: str = "", label: str = ""):
            super().__init__(data, _children, _op)
            self.label = label

        def tanh(self) -> LectureValue:
            out = LectureValue(math.tanh(self.data), (self,), "tanh")

            def _backward() -> None:
                self.grad += (1 - out.data**2) * out.grad

            out._backward = _backward
            return out

        def exp(self) -> LectureValue:
            out = LectureValue(math.exp(self.data), (self,), "exp")

            def _backward() -> None:
                self.grad += out.data * out.grad

            out._backward = _backward
            return out

    monkeypatch.setattr(engine, "Value", LectureValue)
    monkeypatch.setattr(lecture, "Value", LectureValue)
    return LectureValue


def _numbers(nodes: Any) -> list[tuple[str, float, float]]:
    return [(v.label, v.data, v.grad) for v in nodes]


def test_the_neuron_matches_micrograd(micrograd_value: type) -> None:
    theirs = lecture.backward_node_by_node()
    their_topo = lecture.build_neuron()
    lecture.backward_by_topo(their_topo.o)
    their_exp = lecture.build_neuron(tanh_via_exp=True)
    lecture.backward_by_topo(their_exp.o)
    assert isinstance(theirs.o, micrograd_value) and isinstance(their_exp.o, micrograd_value)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lecture, "Value", Value)
        ours = lecture.backward_node_by_node()
        our_exp = lecture.build_neuron(tanh_via_exp=True)
        lecture.backward_by_topo(our_exp.o)
    assert isinstance(ours.o, Value)
    assert _numbers(theirs) == _numbers(ours)
    assert _numbers(their_topo) == _numbers(ours)
    # micrograd spells e − 1 as e + (−1) and a quotient as a product with a power −1: the same
    # function by other roundings.
    for (label, data, grad), (our_label, our_data, our_grad) in zip(
        _numbers(their_exp), _numbers(our_exp), strict=True
    ):
        assert label == our_label
        assert data == pytest.approx(our_data, abs=1e-12)
        assert grad == pytest.approx(our_grad, abs=1e-12)


def test_training_matches_micrograd(monkeypatch: pytest.MonkeyPatch) -> None:
    micro_nn = pytest.importorskip("micrograd.nn")
    ours = lecture.train_with_momentum()
    monkeypatch.setattr(lecture, "MLP", micro_nn.MLP)
    theirs = lecture.train_with_momentum()
    assert lecture.MLP is not MLP
    assert theirs == pytest.approx(ours, rel=1e-9)
