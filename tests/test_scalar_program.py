"""scalar.program: the adjoint program of a scalar graph.

- every row's Python source form computes what its callables compute, bit for bit, at many points;
- a program returns what `backward()` computes, bit for bit, on random graphs of every primitive
  (reused nodes, constants, number and Value exponents), at the recorded point and at new ones;
- Baydin's example prints as Table 3; `line_steps` follows `backward(trace=True)`;
- `save()` runs where adjoint cannot be imported; a traceback shows a program line; the errors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import struct
import subprocess
import sys
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scalar.primitives
from autodiff import topological_order
from examples import adjoint_program, moons
from scalar import PRIMITIVES, Value, program
from scalar.primitives import PythonSource

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DOMAIN_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def same(a: Any, b: Any) -> bool:
    """Bit for bit: the same float (-0.0 is not 0.0), or both NaN (whose bits `==` cannot see)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return struct.pack("<d", a) == struct.pack("<d", b)
    return False


# --- the source forms of the table's rows ---------------------------------------------------------

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, 1e-300, -1e-300, 1e300, -1e300, 710.0, -745.0]
POINTS = st.one_of(
    st.sampled_from(EDGES),
    st.floats(-50, 50),
    st.floats(-1e300, 1e300),
    st.floats(min_value=-1e-5, max_value=1e-5),
)
EXPONENTS = st.one_of(
    st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5, 2.0, 3.7, -2.5]),
    st.floats(-5, 5),
)


def _eval(expr: str, names: dict[str, float]) -> Any:
    return eval(expr, {"math": math, "__builtins__": {}}, dict(names))


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
@SETTINGS
@given(data=st.data())
def test_every_source_form_computes_what_the_callables_compute(name: str, data: Any) -> None:
    prim = PRIMITIVES[name]
    assert prim.source is not None, f"{name} has no Python source form"
    assert len(prim.source.local_derivatives) == prim.arity
    args = [data.draw(POINTS, label=a) for a in prim.args[: prim.arity]]
    if len(prim.args) > prim.arity:
        args.append(data.draw(EXPONENTS, label="n"))
    try:
        if prim.check is not None:
            prim.check(*args)
        out = prim.value(*args)
        local = prim.local_derivatives(*args, out)
    except DOMAIN_ERRORS:
        return  # outside the domain: the engine refuses the point, so no program has it
    names = dict(zip(prim.args, args, strict=True))
    assert same(float(_eval(prim.source.value, names)), out)
    for expr, expected in zip(prim.source.local_derivatives, local, strict=True):
        assert same(float(_eval(expr, names | {"out": out})), float(expected)), expr


# --- random graphs --------------------------------------------------------------------------------

UNARY = ["exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt", "neg"]
BINARY = ["+", "-", "*", "/", "**"]
NUMBERS = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e-3]), st.floats(-10, 10))

# An op of a recipe: ("unary", name, i) or ("binary", symbol, i, j) over the pool of nodes made so
# far (indices taken modulo its size, so nodes get reused), ("left", symbol, number, i) and
# ("right", symbol, i, number) with a number on one side, ("power", i, n) for x ** n.
Op = tuple[Any, ...]
OPS = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(UNARY), st.integers(0, 99)),
    st.tuples(st.just("binary"), st.sampled_from(BINARY), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("left"), st.sampled_from(BINARY), NUMBERS, st.integers(0, 99)),
    st.tuples(st.just("right"), st.sampled_from(BINARY[:4]), st.integers(0, 99), NUMBERS),
    st.tuples(st.just("power"), st.integers(0, 99), EXPONENTS),
)
BINARY_FN: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def apply_op(pool: list[Value], op: Op) -> Value:
    kind = op[0]
    if kind == "unary":
        x = pool[op[2] % len(pool)]
        return -x if op[1] == "neg" else getattr(x, op[1])()
    if kind == "binary":
        return BINARY_FN[op[1]](pool[op[2] % len(pool)], pool[op[3] % len(pool)])
    if kind == "left":
        return BINARY_FN[op[1]](op[2], pool[op[3] % len(pool)])
    if kind == "right":
        return BINARY_FN[op[1]](pool[op[2] % len(pool)], op[3])
    return pool[op[1] % len(pool)] ** op[2]


class Graph:
    """A graph recorded from a recipe at a point: the inputs of the program (some not requiring
    grad), a leaf that is not an input (a constant of the program), a constant node, the root."""

    def __init__(self, point: list[float], grads: list[bool], ops: list[Op], strict: bool) -> None:
        self.inputs = [
            Value(x, label=f"x{k}", requires_grad=g)
            for k, (x, g) in enumerate(zip(point, grads, strict=True), start=1)
        ]
        self.hidden = Value(0.75, label="w")  # requires grad, but is no argument of the program
        pool = [*self.inputs, self.hidden, Value(-1.5, requires_grad=False)]
        self.ops: list[Op] = []
        for op in ops:
            try:
                node = apply_op(pool, op)
            except DOMAIN_ERRORS:
                if strict:
                    raise
                continue  # outside an op's domain at this point: leave the op out of the recipe
            pool.append(node)
            self.ops.append(op)
        # The last node, plus every node no later op used, so that no op is left out of the graph
        # (the same recipe always adds the same nodes).
        self.root = pool[-1]
        used = {x.id for node in pool for x in node.inputs}
        for node in pool[len(self.inputs) + 2 : -1]:
            if node.id not in used:
                self.root = self.root + node


def check_program_equals_backward(prog: Any, graph: Graph) -> None:
    value, grads = prog(*[x.data for x in graph.inputs])
    graph.root.backward()
    assert same(value, graph.root.data)
    in_graph = {n.id for n in topological_order((graph.root,))}
    assert len(grads) == len(graph.inputs)
    for x, grad in zip(graph.inputs, grads, strict=True):
        if x.requires_grad and x.id in in_graph:
            assert same(grad, x.grad), (x.label, grad, x.grad, prog.source)
        else:
            assert grad is None


@SETTINGS
@given(
    point=st.lists(POINTS.filter(lambda x: abs(x) < 1e6), min_size=1, max_size=3),
    new_point=st.lists(st.floats(-20, 20), min_size=3, max_size=3),
    grads=st.lists(st.booleans(), min_size=3, max_size=3),
    ops=st.lists(OPS, min_size=1, max_size=12),
)
def test_a_program_returns_what_backward_computes_bit_for_bit(
    point: list[float], new_point: list[float], grads: list[bool], ops: list[Op]
) -> None:
    grads = [True, *grads[1:]]  # at least one input requires grad
    graph = Graph(point, grads[: len(point)], ops, strict=False)
    prog = program(graph.root, graph.inputs)
    check_program_equals_backward(prog, graph)

    # At a new point the same recipe records the same graph, unless a domain check refuses it.
    try:
        again = Graph(new_point[: len(point)], grads[: len(point)], graph.ops, strict=True)
    except DOMAIN_ERRORS:
        return
    check_program_equals_backward(prog, again)


@SETTINGS
@given(ops=st.lists(OPS, min_size=1, max_size=10))
def test_line_steps_follow_the_steps_of_backward(ops: list[Op]) -> None:
    graph = Graph([1.25, -0.5], [True, True], ops, strict=False)
    prog = program(graph.root, graph.inputs)
    lines, line_steps = prog.source.splitlines(), prog.line_steps
    assert len(lines) == len(line_steps) and list(line_steps) == sorted(line_steps)
    steps = graph.root.backward(trace=True)
    assert steps is not None
    assert line_steps[0] == 0 and line_steps[-1] == (len(steps) if graph.root.requires_grad else 0)
    forward = {
        line.split(" = ")[0].strip() for line, k in zip(lines, line_steps, strict=True) if k == 0
    }
    for k, step in enumerate(steps, start=1):
        mine = [line.strip() for line, s in zip(lines, line_steps, strict=True) if s == k]
        mine = [line for line in mine if not line.startswith(("return", "# reverse"))]
        if k == 1 and mine:
            assert mine[0].endswith("_bar = 1.0")  # the seed is the root's step
            mine = mine[1:]
        if not mine:
            continue
        # The lines of a step differentiate that step's node: a comment quoting its forward line,
        # then one line per input.
        assert mine[0].startswith("# ") and mine[0][2:].split(" = ")[0] in forward
        assert step.node.inputs and 1 <= len(mine) - 1 <= len(step.node.inputs)


def every_primitive(x: Value, y: Value) -> Value:
    """One graph with every primitive, numbers on either side, and nodes used several times."""
    a = x * y
    b = a + x
    d = b - y
    e = -d / (y + 2.0)
    powers = x**3 + y**x + 2.0**x + y**0.5 + a**-1
    unary = x.exp() + y.log() + x.sin() * y.cos() + a.tanh() - b.sigmoid() + d.relu() + y.sqrt()
    return (e + powers - x) * unary - (a - x) / (1.0 - y * 0.25) + e


@pytest.mark.parametrize("point", [(0.5, 1.5), (2.0, 0.5), (1e-3, 50.0), (3.0, 1.0), (0.7, 3.0)])
def test_a_graph_of_every_primitive_at_several_points(point: tuple[float, float]) -> None:
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    prog = program(every_primitive(x, y), [x, y])
    symbols = {(n.op, len(n.inputs)) for n in topological_order((every_primitive(x, y),))}
    assert {(p.symbol, p.arity) for p in PRIMITIVES.values()} <= symbols
    assert "+=" in prog.source and "-=" in prog.source
    u, v = Value(point[0]), Value(point[1])
    root = every_primitive(u, v)
    root.backward()
    value, (gx, gy) = prog(*point)
    assert same(value, root.data) and same(gx, u.grad) and same(gy, v.grad)


# --- Baydin's example -----------------------------------------------------------------------------


def baydin() -> tuple[Value, Value, Value]:
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    return x1, x2, x1.log() + x1 * x2 - x2.sin()


TABLE_3 = """\
def y_grad(x1, x2):
    # forward sweep
    v1 = math.log(x1)
    v2 = x1 * x2
    v3 = v1 + v2
    v4 = math.sin(x2)
    v5 = v3 - v4
    # reverse sweep: v_bar = dv5/dv, from v5 back to the inputs
    v5_bar = 1.0
    # v5 = v3 - v4
    v3_bar = v5_bar
    v4_bar = -v5_bar
    # v4 = math.sin(x2)
    x2_bar = v4_bar * math.cos(x2)
    # v3 = v1 + v2
    v1_bar = v3_bar
    v2_bar = v3_bar
    # v2 = x1 * x2
    x1_bar = v2_bar * x2
    x2_bar += v2_bar * x1
    # v1 = math.log(x1)
    x1_bar += v1_bar * (1.0 / x1)
    return v5, (x1_bar, x2_bar)
"""


def test_baydins_example_prints_as_table_3() -> None:
    x1, x2, y = baydin()
    prog = program(y, inputs=[x1, x2])
    assert str(prog) == prog.source == TABLE_3
    steps = y.backward(trace=True)
    assert steps is not None
    # Step 1 is v5 (the seed and its two partials), 2 is v4, 3 is v3, 4 is v2, 5 is x2 (no
    # lines), 6 is v1, 7 is x1 (no lines, but the return).
    v3, v4 = y.inputs
    v1, v2 = v3.inputs
    assert [s.node for s in steps] == [y, v4, v3, v2, x2, v1, x1]
    assert prog.line_steps == (0,) * 7 + (1,) * 5 + (2,) * 2 + (3,) * 3 + (4,) * 3 + (6,) * 2 + (7,)
    value, grads = prog(2.0, 5.0)
    assert value == y.data and grads == (x1.grad, x2.grad) == (5.5, 1.7163378145367738)


def test_a_program_at_new_inputs_is_backward_at_new_inputs() -> None:
    x1, x2, y = baydin()
    prog = program(y, inputs=[x1, x2])
    for a, b in [(0.5, -3.0), (7.25, 1e-3), (1e-300, 1e300)]:
        u1, u2 = Value(a), Value(b)
        z = u1.log() + u1 * u2 - u2.sin()
        z.backward()
        value, (g1, g2) = prog(a, b)
        assert same(value, z.data) and same(g1, u1.grad) and same(g2, u2.grad)


def test_constants_are_written_as_exact_numbers() -> None:
    x = Value(3.0, label="x")
    c = Value(0.1, requires_grad=False)
    y = (x * c - 1e-310) * -0.0 + (x * math.inf).relu() + x / 3.0
    prog = program(y, [x])
    assert "0.1" in prog.source and "1e-310" in prog.source and "(-0.0)" in prog.source
    assert "math.inf" in prog.source
    y.backward()
    value, (grad,) = prog(3.0)
    assert same(value, y.data) and same(grad, x.grad)
    nan = x * math.nan
    nan_prog = program(nan, [x])
    assert "math.nan" in nan_prog.source and math.isnan(nan_prog(3.0)[0])


def test_number_exponents_are_written_in_and_their_tests_decided() -> None:
    x = Value(0.0, label="x")
    prog = program(x**2 + x**0.5 + x**1, [x])
    assert "x ** 2" in prog.source and "x ** 0.5" in prog.source
    assert "n ==" not in prog.source and "2 == 0" not in prog.source
    assert "0.0 if x == 0 else 2 * v1 / x" in prog.source
    for point in [0.0, 2.0, 1e-300]:
        u = Value(point)
        y = u**2 + u**0.5 + u**1
        y.backward()
        value, (grad,) = prog(point)
        assert same(value, y.data) and same(grad, u.grad)


# --- inputs, names, what becomes None -------------------------------------------------------------


def test_inputs_without_grad_or_outside_the_graph_get_none() -> None:
    x = Value(2.0, label="x")
    data = Value(3.0, label="data", requires_grad=False)
    unused = Value(4.0, label="unused")
    w = Value(5.0, label="w")  # requires grad but is no input: a constant of the program
    y = (x * data + w).tanh()
    prog = program(y, [x, data, unused])
    assert "def y_grad(x, data, unused):" in prog.source and "5.0" in prog.source
    assert "data_bar" not in prog.source and "w_bar" not in prog.source
    y.backward()
    value, grads = prog(2.0, 3.0, 4.0)
    assert value == y.data and grads == (x.grad, None, None)
    assert unused.grad == 0.0  # backward() never reached it either


def test_a_root_with_a_label_names_the_function_and_labels_never_collide() -> None:
    x = Value(1.5, label="x")
    x_bar = Value(2.0, label="x_bar")
    m = Value(0.5, label="math")
    loss = (x * x_bar + m.exp()).sigmoid()
    loss.label = "loss"
    prog = program(loss, [x, x_bar, m])
    assert prog.source.startswith("def loss_grad(x, x_bar, math_2):")
    loss.backward()
    assert prog(1.5, 2.0, 0.5) == (loss.data, (x.grad, x_bar.grad, m.grad))
    assert program(loss, [x, x_bar, m], name="step").name == "step"


def test_a_leaf_root_and_a_root_without_grad() -> None:
    x = Value(2.0, label="x")
    assert program(x, [x])(7.0) == (7.0, (1.0,))
    c = Value(2.0, label="c", requires_grad=False)
    prog = program(c * 3.0, [c])
    assert "reverse sweep" not in prog.source and prog(4.0) == (12.0, (None,))


def test_ints_and_other_real_numbers_are_taken_as_floats() -> None:
    x1, x2, y = baydin()
    assert program(y, [x1, x2])(2, True) == program(y, [x1, x2])(2.0, 1.0)


# --- save, tracebacks -----------------------------------------------------------------------------

RUN_SAVED = """\
import importlib.util, sys
for name in ("scalar", "autodiff"):
    assert importlib.util.find_spec(name) is None, name + " is importable"
spec = importlib.util.spec_from_file_location("y_grad_module", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert "scalar" not in sys.modules and "autodiff" not in sys.modules
print(repr(module.y_grad(float(sys.argv[2]), float(sys.argv[3]))))
"""


def test_a_saved_program_runs_where_adjoint_cannot_be_imported(tmp_path: Any) -> None:
    x1, x2, y = baydin()
    prog = program(y, inputs=[x1, x2])
    path = prog.save(tmp_path / "y_grad.py")
    text = path.read_text()
    imports = [line for line in text.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import math"]
    script = tmp_path / "run.py"
    script.write_text(RUN_SAVED)
    # -I: no PYTHON* variables, no user site, no script folder on sys.path; -S: no site-packages,
    # where the editable install of adjoint lives; run from an empty folder with no environment.
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(path), "0.5", "-3.0"],
        cwd=tmp_path,
        env={},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr(prog(0.5, -3.0))


def test_a_traceback_shows_the_program_line() -> None:
    x1, x2, y = baydin()
    prog = program(y, inputs=[x1, x2])
    with pytest.raises(ValueError, match="math domain error") as caught:
        prog(-1.0, 5.0)
    shown = "".join(traceback.format_exception(caught.value))
    assert prog.filename in shown and "v1 = math.log(x1)" in shown
    assert inspect.getsource(prog.function) == prog.source


# --- errors ---------------------------------------------------------------------------------------


def test_calls_with_the_wrong_arguments_name_the_input() -> None:
    x1, x2, y = baydin()
    prog = program(y, inputs=[x1, x2])
    with pytest.raises(TypeError, match=r"y_grad\(\) takes 2 argument\(s\) \(x1, x2\), got 1"):
        prog(2.0)
    with pytest.raises(TypeError, match=r"argument x2 must be a number .*x2 = 5\.0.*got '5' \(str"):
        prog(2.0, "5")
    with pytest.raises(TypeError, match=r"argument x1 must be a number .*got None"):
        prog(None, 5.0)
    with pytest.raises(ValueError, match=r"argument x1 = 10{400} is too large for a float"):
        prog(10**400, 5.0)


def test_program_refuses_bad_roots_and_inputs_before_any_work() -> None:
    x1, x2, y = baydin()
    with pytest.raises(TypeError, match="root must be a Value"):
        program(2.0, [x1])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inputs must be a list of Values"):
        program(y, x1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs must be a list of Values .*in that order"):
        program(y, {x1, x2})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got 5\.0"):
        program(y, [x1, 5.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"inputs\[0\] .* op 'log'\) is not a leaf"):
        program(y, [y.inputs[0].inputs[0]])
    with pytest.raises(ValueError, match=r"inputs\[1\] .* is inputs\[0\] again"):
        program(y, [x1, x1])
    with pytest.raises(ValueError, match="is not a Python identifier"):
        program(y, [x1, x2], name="not a name")


def test_ops_without_python_source_are_refused_in_one_line(monkeypatch: Any) -> None:
    x = Value(2.0, label="x")
    odd = x.exp()
    odd.op = "frobnicate"  # a node no primitive of the table made...
    with contextlib.suppress(AttributeError):
        del odd.primitive  # ...and, where nodes keep the row that made them, none kept
    with pytest.raises(ValueError, match=r"node v1 \(op 'frobnicate', 1 input") as caught:
        program(odd * 2.0, [x])
    assert "scalar.primitive(..., source=...)" in str(caught.value)
    assert "\n" not in str(caught.value)

    closure = x.exp()
    closure.primitive = None  # what a node made by a micrograd-style _backward closure keeps
    with pytest.raises(ValueError, match=r"node v1 \(op 'exp', 1 input.*_backward closure"):
        program(closure * 2.0, [x])

    sourceless = dataclasses.replace(PRIMITIVES["sin"], source=None)
    monkeypatch.setitem(scalar.primitives.PRIMITIVES, "sin", sourceless)
    node = x.sin()
    if hasattr(node, "primitive"):  # where nodes keep the row that made them
        node.primitive = sourceless
    with pytest.raises(ValueError, match=r"primitive 'sin' has no Python source form") as caught:
        program(node + x, [x])
    assert "scalar.primitive(..., source=...)" in str(caught.value)


# --- micrograd's demo through a program -----------------------------------------------------------


def test_the_moons_demo_through_a_program_gives_the_eager_losses_to_the_bit() -> None:
    eager = moons.train(steps=3, n=12, log=None)
    through_program, built = moons.train_program(steps=3, n=12)
    assert through_program.losses == eager.losses and built > 0
    assert len(set(eager.losses)) == 3  # the weights moved: the steps are not all the first one
    lines: list[str] = []
    moons.compare(steps=3, n=12, log=lines.append)
    rows = [line.split() for line in lines if line.lstrip()[:1].isdigit()]
    assert [int(row[0]) for row in rows] == [0, 2]  # every 10th step and the last
    for row in rows:
        assert row[1] == row[2] == repr(eager.losses[int(row[0])]) and row[3] == "=="
    assert "equal to the last bit at every step" in lines[-1]


def test_the_example_prints_baydins_program_and_the_same_numbers() -> None:
    text = adjoint_program.report()
    assert TABLE_3 in text
    assert "The same numbers, bit for bit: True." in text and "Equal: True." in text


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (PythonSource("np.sin(x)", ("math.cos(x)",)), r"'np\.sin\(x\)', which uses np; .*x, out"),
        (PythonSource("math.sin(out)", ("math.cos(x)",)), r"'math\.sin\(out\)', which uses out"),
        (PythonSource("math.sin(x", ("math.cos(x)",)), r"'math\.sin\(x', which is not a Python"),
        (PythonSource("math.sin(x)", ()), r"0 local derivative\(s\) .* for 1 input"),
    ],
)
def test_sources_a_saved_module_could_not_run_are_refused(
    monkeypatch: Any, source: PythonSource, message: str
) -> None:
    x = Value(2.0, label="x")
    wrong = dataclasses.replace(PRIMITIVES["sin"], source=source)
    monkeypatch.setitem(scalar.primitives.PRIMITIVES, "sin", wrong)
    node = x.sin()
    if hasattr(node, "primitive"):  # where nodes keep the row that made them
        node.primitive = wrong
    with pytest.raises(ValueError, match=r"node v1 \(op 'sin', 1 input\(s\)\): primitive 'sin'"):
        program(node, [x])
    with pytest.raises(ValueError, match=message):
        program(node, [x])
