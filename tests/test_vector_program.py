"""vector.program: the adjoint program of a tensor graph.

It must return exactly what `backward()` returns (`np.array_equal`, same dtypes) at the point it
was recorded and at new inputs, for every op (the catalogue of tests/vector_helpers.py) and for
random graphs of them with broadcasting and reused nodes; read like backprop written by hand; run
saved, where adjoint is not installed; show its lines in tracebacks; and refuse bad calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vector_helpers import CASES, case_id, case_inputs, one_hot

import vector
from vector import Tensor, ops
from vector.program import Operand


def _backward_grads(root: Tensor, xs: list[Tensor]) -> list[np.ndarray | None]:
    root.backward()
    return [x.grad.numpy() if x.requires_grad else None for x in xs]


def assert_same(got: object, want: object, what: str) -> None:
    if want is None:
        assert got is None, f"{what}: expected None, got {got!r}"
        return
    assert isinstance(got, np.ndarray), f"{what}: expected an array, got {type(got).__name__}"
    assert isinstance(want, np.ndarray)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, backward() gives {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, backward() gives {want.shape}"
    assert np.array_equal(got, want, equal_nan=True), f"{what}: values differ from backward()"


def check_program(
    build: Callable[[list[Tensor]], Tensor],
    arrays: list[np.ndarray],
    new_arrays: list[np.ndarray],
    wants_grad: list[bool] | None = None,
) -> vector.program:
    """The program of build(inputs) equals backward() at `arrays` and at `new_arrays`."""
    flags = wants_grad or [True] * len(arrays)

    def leaves(values: list[np.ndarray]) -> list[Tensor]:
        return [
            Tensor(a, requires_grad=f, label=f"x{k}")
            for k, (a, f) in enumerate(zip(values, flags, strict=True))
        ]

    xs = leaves(arrays)
    root = build(xs)
    prog = vector.program(root, xs)
    for point in (arrays, new_arrays):
        ys = leaves(point)
        again = build(ys)
        want = _backward_grads(again, ys)
        value, grads = prog(*point)
        assert_same(value, again.numpy(), "value")
        assert len(grads) == len(xs)
        for k, (g, w) in enumerate(zip(grads, want, strict=True)):
            assert_same(g, w, f"grad of x{k}")
    return prog


# ------------------------------------------------------------------------------ every op
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_op_equals_backward(case, dtype) -> None:
    rng = np.random.default_rng(7)
    arrays = [np.asarray(a, dtype=dtype) for a in case_inputs(case, rng)]
    new = [np.asarray(a, dtype=dtype) for a in case_inputs(case, rng)]
    out_shape = case.fn(*[Tensor(a) for a in arrays]).shape
    weights = [rng.standard_normal(out_shape).astype(dtype) for _ in range(2)]

    def build(xs: list[Tensor]) -> Tensor:
        # <w, f(x)> with w an input too: a one-element root whose adjoint seeds every output
        return (case.fn(*xs[:-1]) * xs[-1]).sum()

    check_program(
        build,
        [*arrays, weights[0]],
        [*new, weights[1]],
        wants_grad=[True] * len(arrays) + [False],
    )


def test_every_op_has_a_source_equal_to_its_compute() -> None:
    """Each op's `source`, run on the values of a node's inputs, gives the node's values."""
    seen = set()
    rng = np.random.default_rng(3)
    for case in CASES:
        xs = [Tensor(a) for a in case_inputs(case, rng)]
        out = case.fn(*xs)
        for node in vector.find_topo_sort([out]):
            if node.op is None:
                continue
            seen.add(type(node.op).__name__)
            values = [x.numpy() for x in node.inputs]
            names = [f"a{k}" for k in range(len(values))]
            operands = [Operand(n, v.shape, v.dtype) for n, v in zip(names, values, strict=True)]
            scope = {"np": np, **dict(zip(names, values, strict=True))}
            for helper in getattr(node.op, "helpers", ()):
                scope[helper.__name__] = helper
            got = np.asarray(eval(node.op.source(*operands), scope))
            want = node.numpy()
            assert np.array_equal(got, want), f"{case.label}: {node.op} source differs"
    op_classes = {name for name in ops.__all__ if name[0].isupper()}
    assert op_classes - seen == set(), "ops the catalogue never runs"
    for name in op_classes:
        assert callable(getattr(getattr(ops, name), "source", None)), f"{name} has no source"


# --------------------------------------------------------------------------- random graphs
SHAPES = [(3, 4), (4,), (3, 1), (1, 4), ()]

UNARY: list[tuple[str, Callable[[Tensor], Tensor]]] = [
    ("tanh", ops.tanh),
    ("sigmoid", ops.sigmoid),
    ("relu", ops.relu),
    ("negate", ops.negate),
    ("exp∘tanh", lambda a: ops.exp(ops.tanh(a))),
    ("log∘(1+exp)", lambda a: ops.log(ops.add_scalar(ops.exp(ops.tanh(a)), 1.0))),
    ("add_scalar", lambda a: ops.add_scalar(a, 0.5)),
    ("mul_scalar", lambda a: ops.mul_scalar(a, -1.5)),
    ("divide_scalar", lambda a: ops.divide_scalar(a, 3.0)),
    ("power_scalar", lambda a: ops.power_scalar(a, 2)),
    ("logsoftmax", ops.logsoftmax),
    ("transpose twice", lambda a: ops.transpose(ops.transpose(a))),
    ("reshape", lambda a: ops.reshape(ops.reshape(a, (4, 3)), (3, 4))),
    ("sum rows", lambda a: ops.broadcast_to(ops.reshape(ops.summation(a, 1), (3, 1)), (3, 4))),
    ("sum cols", lambda a: ops.broadcast_to(ops.summation(a, (0,)), (3, 4))),
    ("logsumexp", lambda a: ops.broadcast_to(ops.reshape(ops.logsumexp(a, 1), (3, 1)), (3, 4))),
    ("a·aᵀ·a", lambda a: ops.matmul(ops.matmul(a, ops.transpose(a)), a) / 10),
]

BINARY: list[tuple[str, Callable[[Tensor, Tensor], Tensor]]] = [
    ("add", ops.add),
    ("multiply", ops.multiply),
    ("subtract", lambda a, b: a - b),
    ("divide", lambda a, b: ops.divide(a, ops.add_scalar(ops.exp(ops.tanh(b)), 1.0))),
    ("power", lambda a, b: ops.power(ops.add_scalar(ops.sigmoid(a), 0.5), ops.tanh(b))),
]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[tuple[int, ...]], list[tuple], str]:
    """Input shapes (broadcasting against (3, 4)), a list of op applications over earlier nodes
    (any node may be used again), and how the graph ends."""
    n_inputs = draw(st.integers(1, 3))
    shapes = [(3, 4)] + [draw(st.sampled_from(SHAPES)) for _ in range(n_inputs - 1)]
    steps = []
    for _ in range(draw(st.integers(1, 7))):
        size = n_inputs + len(steps)
        if draw(st.booleans()):
            steps.append(
                ("u", draw(st.integers(0, len(UNARY) - 1)), draw(st.integers(0, size - 1)))
            )
        else:
            steps.append(
                (
                    "b",
                    draw(st.integers(0, len(BINARY) - 1)),
                    draw(st.integers(0, size - 1)),
                    draw(st.integers(0, size - 1)),
                )
            )
    end = draw(st.sampled_from(["weighted sum", "softmax_loss", "sum of two"]))
    return shapes, steps, end


def _build_graph(shapes: list, steps: list, end: str) -> Callable[[list[Tensor]], Tensor]:
    def build(xs: list[Tensor]) -> Tensor:
        nodes = list(xs[: len(shapes)])
        full = [ops.broadcast_to(x, (3, 4)) if x.shape != (3, 4) else x for x in nodes]
        for step in steps:
            if step[0] == "u":
                nodes.append(UNARY[step[1]][1](full[step[2]]))
            else:
                nodes.append(BINARY[step[1]][1](full[step[2]], nodes[step[3]]))
            full.append(
                nodes[-1] if nodes[-1].shape == (3, 4) else ops.broadcast_to(nodes[-1], (3, 4))
            )
        last = full[-1]
        for k in range(len(shapes)):  # every input takes part (broadcast against (3, 4))
            last = last + full[k]
        if end == "softmax_loss":
            return ops.softmax_loss(last, xs[-1])
        if end == "sum of two":
            return (last * xs[-1] * full[0]).sum() + ops.summation(full[len(full) // 2], (0, 1))
        return (last * xs[-1]).sum()

    return build


@settings(max_examples=60, deadline=None)
@given(graphs(), st.sampled_from([np.float64, np.float32]), st.integers(0, 2**32 - 1))
def test_random_graphs_equal_backward(graph, dtype, seed) -> None:
    shapes, steps, end = graph
    rng = np.random.default_rng(seed)

    def point() -> list[np.ndarray]:
        arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
        last = one_hot(rng.integers(0, 4, 3), 4) if end == "softmax_loss" else None
        extra = last if last is not None else rng.standard_normal((3, 4))
        return [*arrays, np.asarray(extra, dtype=dtype)]

    check_program(
        _build_graph(shapes, steps, end),
        point(),
        point(),
        wants_grad=[True] * len(shapes) + [False],
    )


def test_mixed_dtypes_give_each_input_its_own_dtype() -> None:
    """float32 parameters get float32 gradients from a float64 loss, as backward() gives."""
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal((5, 3)).astype(np.float32),
        rng.standard_normal((3, 2)).astype(np.float64),
        one_hot(rng.integers(0, 2, 5), 2),
    ]

    def build(xs: list[Tensor]) -> Tensor:
        return ops.softmax_loss(ops.relu(xs[0] @ xs[1]), xs[2])

    new = [a + 0.5 for a in arrays[:2]] + [arrays[2]]
    prog = check_program(build, arrays, new, wants_grad=[True, True, False])
    _, (g0, g1, g2) = prog(*arrays)
    assert (g0.dtype, g1.dtype, g2) == (np.float32, np.float64, None)


# ------------------------------------------------------------------------ the seed step
def seed_step(batch: int = 100) -> tuple[Tensor, list[Tensor], list[np.ndarray]]:
    """examples/nn_epoch.py's network on one batch, labelled as a student names it."""
    rng = np.random.default_rng(0)
    X = rng.random((batch, 784)).astype(np.float32)
    W1 = (rng.standard_normal((784, 100)) / np.sqrt(100)).astype(np.float32)
    W2 = (rng.standard_normal((100, 10)) / np.sqrt(10)).astype(np.float32)
    Y = one_hot(rng.integers(0, 10, batch), 10)
    xs = [
        Tensor(X, requires_grad=False, label="X"),
        Tensor(W1, label="W1"),
        Tensor(W2, label="W2"),
        Tensor(Y, requires_grad=False, label="Y"),
    ]
    Z = ops.relu(xs[0] @ xs[1]) @ xs[2]
    Z.label = "Z"
    loss = ops.softmax_loss(Z, xs[3])
    loss.label = "loss"
    return loss, xs, [X, W1, W2, Y]


def test_seed_step_reads_like_hand_written_backprop() -> None:
    loss, xs, _ = seed_step()
    prog = vector.program(loss, xs)
    body = str(prog).split("\n\n\n")[0].splitlines()
    assert body == [
        "def loss_grad(X, W1, W2, Y):",
        "    # forward sweep",
        "    v1 = X @ W1  # (100, 784) @ (784, 100) -> (100, 100) float32",
        "    v2 = np.maximum(v1, 0)  # (100, 100) float32",
        "    Z = v2 @ W2  # (100, 100) @ (100, 10) -> (100, 10) float32",
        "    loss = softmax_loss(Z, Y)  # () float64",
        "    # reverse sweep",
        "    loss_bar = np.ones((), dtype=np.float64)  # () float64",
        "    # loss = softmax_loss(Z, Y)",
        "    Z_bar = ((softmax(Z) - Y) * (loss_bar / 100)).astype(np.float32)  # (100, 10) float32",
        "    # Z = v2 @ W2",
        "    v2_bar = Z_bar @ W2.T  # (100, 10) @ (10, 100) -> (100, 100) float32",
        "    W2_bar = v2.T @ Z_bar  # (100, 100) @ (100, 10) -> (100, 10) float32",
        "    # v2 = np.maximum(v1, 0)",
        "    v1_bar = v2_bar * (v1 > 0)  # (100, 100) float32",
        "    # v1 = X @ W1",
        "    W1_bar = X.T @ v1_bar  # (784, 100) @ (100, 100) -> (784, 100) float32",
        "    return loss, (None, W1_bar, W2_bar, None)",
    ]
    # The helpers the program calls are defined in it, after the function.
    assert "\ndef softmax_loss(" in str(prog) and "\ndef softmax(" in str(prog)


def test_seed_step_line_steps_follow_backward_trace() -> None:
    loss, xs, _ = seed_step()
    prog = vector.program(loss, xs)
    steps = loss.backward(trace=True)
    lines = prog.source.splitlines()
    step_of = dict(zip(lines, prog.line_steps, strict=True))
    names = [s.node.label or "" for s in steps]
    assert step_of["    v1 = X @ W1  # (100, 784) @ (784, 100) -> (100, 100) float32"] == 0
    assert step_of["    # reverse sweep"] == 1
    assert step_of["    # loss = softmax_loss(Z, Y)"] == names.index("loss") + 1
    assert (
        step_of["    W2_bar = v2.T @ Z_bar  # (100, 100) @ (100, 10) -> (100, 10) float32"]
        == names.index("Z") + 1
    )
    assert step_of["    return loss, (None, W1_bar, W2_bar, None)"] == len(steps)
    # every line of step k differentiates step k's node: its comment quotes that node's line
    for k, step in enumerate(steps, start=1):
        if step.node.op is not None:
            mine = [ln for ln, s in zip(lines, prog.line_steps, strict=True) if s == k]
            quoted = [ln for ln in mine if ln.startswith("    # ") and " = " in ln]
            assert len(quoted) == 1, mine
            forward = quoted[0].replace("    # ", "    ", 1)
            assert any(ln.startswith(forward + "  # ") for ln in lines), forward


def test_seed_step_equals_backward_and_new_batches() -> None:
    loss, xs, arrays = seed_step()
    prog = vector.program(loss, xs)
    loss.backward()
    value, (gX, gW1, gW2, gY) = prog(*arrays)
    assert gX is None and gY is None
    assert_same(value, loss.numpy(), "loss")
    assert_same(gW1, xs[1].grad.numpy(), "W1")
    assert_same(gW2, xs[2].grad.numpy(), "W2")


def test_second_partial_adjoint_is_added_with_plus_equals() -> None:
    a = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), label="a")
    b = Tensor(np.array([0.5, -1.0]), label="b")
    c = ops.exp(a) * a + b  # a used twice; b broadcast over the rows
    c.label = "c"
    y = c.sum()
    y.label = "y"
    text = str(vector.program(y, [a, b]))
    assert "    # c = v2 + b  # (2, 2) float64" not in text  # comments quote the line, no shape
    assert "    # c = v2 + b\n" in text
    assert "    a_bar += " in text
    assert "b_bar = np.sum(c_bar, axis=0)  # (2,) float64" in text


def test_program_leaves_grads_as_they_were() -> None:
    loss, xs, _ = seed_step(batch=4)
    assert xs[1].grad is None
    vector.program(loss, xs)
    assert xs[1].grad is None and loss.grad is None


# --------------------------------------------------------------------------- saved, traced
def test_saved_program_runs_without_adjoint(tmp_path: Path) -> None:
    loss, xs, arrays = seed_step(batch=8)
    prog = vector.program(loss, xs)
    path = prog.save(tmp_path / "seed_step.py")
    data = tmp_path / "arrays.npz"
    np.savez(data, *arrays)
    value, grads = prog(*arrays)
    work = tmp_path / "clean"
    work.mkdir()
    # A folder holding numpy alone (and the libraries its wheel bundles): the only thing on the
    # subprocess's path, so adjoint cannot be imported however it is installed here.
    only_numpy = tmp_path / "only_numpy"
    only_numpy.mkdir()
    home = Path(np.__file__).resolve().parents[1]
    for name in ("numpy", "numpy.libs"):
        if (home / name).exists():
            (only_numpy / name).symlink_to(home / name)
    script = f"""
import importlib.util, sys
sys.path[:] = [p for p in sys.path if p] + [{str(only_numpy)!r}]
for name in ("vector", "autodiff", "scalar"):
    assert importlib.util.find_spec(name) is None, name + " is importable"
import numpy as np
spec = importlib.util.spec_from_file_location("seed_step", {str(path)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
loaded = np.load({str(data)!r})
value, grads = module.loss_grad(*[loaded[f"arr_{{k}}"] for k in range(4)])
np.savez({str(tmp_path / "out.npz")!r}, value, grads[1], grads[2])
print("imports:", sorted(m for m in sys.modules if m.split(".")[0] in ("vector", "autodiff")))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "imports: []" in done.stdout
    out = np.load(tmp_path / "out.npz")
    assert_same(out["arr_0"], value, "saved value")
    assert_same(out["arr_1"], grads[1], "saved W1 grad")
    assert_same(out["arr_2"], grads[2], "saved W2 grad")
    text = path.read_text()
    assert "import numpy as np" in text and "adjoint" not in text.split('"""')[2]


def test_traceback_shows_the_program_line() -> None:
    x = Tensor(np.array([1.0, 2.0]), label="x")
    y = ops.log(x).sum()
    prog = vector.program(y, [x])
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError) as caught:
        prog(np.array([0.0, 1.0]))
    shown = "".join(traceback.format_exception(caught.value))
    assert "v1 = np.log(x)  # (2,) float64" in shown
    assert prog.filename in shown


# -------------------------------------------------------------------------------- errors
def test_missing_leaf_is_named() -> None:
    loss, xs, _ = seed_step(batch=4)
    with pytest.raises(ValueError, match=r"leaf W2 \(shape \(100, 10\)\).*not among the inputs"):
        vector.program(loss, [xs[0], xs[1], xs[3]])


def test_bad_calls_name_the_input() -> None:
    loss, xs, arrays = seed_step(batch=4)
    prog = vector.program(loss, xs)
    with pytest.raises(TypeError, match=r"takes 4 argument\(s\) \(X, W1, W2, Y\), got 3"):
        prog(*arrays[:3])
    with pytest.raises(ValueError, match=r"input W1 must have shape \(784, 100\), got \(784, 99\)"):
        prog(arrays[0], arrays[1][:, :99], arrays[2], arrays[3])
    with pytest.raises(TypeError, match=r"input W2 must have dtype float32, got float64"):
        prog(arrays[0], arrays[1], arrays[2].astype(np.float64), arrays[3])
    with pytest.raises(TypeError, match=r"input X must be a numpy array .* got list"):
        prog(arrays[0].tolist(), *arrays[1:])


def test_bad_graphs_are_refused() -> None:
    x = Tensor(np.ones((2, 3)), label="x")
    with pytest.raises(ValueError, match=r"one element.*\(2, 3\)"):
        vector.program(ops.exp(x), [x])
    e = ops.exp(x)
    with pytest.raises(ValueError, match="not a leaf"):
        vector.program(e.sum(), [e, x])
    other = Tensor(np.ones(2), label="other")
    with pytest.raises(ValueError, match=r"other \(shape \(2,\)\), is not in root's graph"):
        vector.program(e.sum(), [x, other])
    with pytest.raises(ValueError, match="given twice"):
        vector.program(e.sum(), [x, x])
    c = Tensor(np.ones(3), requires_grad=False)
    with pytest.raises(ValueError, match="does not require grad"):
        vector.program(c.sum(), [c])


def test_python_numbers_stay_literals() -> None:
    prog = check_program(
        lambda xs: (2 / xs[0] + 3 * xs[0] ** 2).sum(),
        [np.array([1.0, 2.0, 4.0])],
        [np.array([0.5, -1.0, 3.0])],
    )
    text = str(prog)
    assert "v1 = np.asarray(2.0, dtype=np.float64) / x0  # (3,) float64" in text
    assert "x0 ** 2" in text and " * 3  # " in text


def test_seed_program_example_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    from examples import seed_program

    seed_program.main([])
    shown = capsys.readouterr().out
    assert "W2_bar = v2.T @ Z_bar" in shown and "∇W2 = Aᵀ·G" in shown
    assert shown.count("equal, bit for bit") == 2 and "DIFFERENT" not in shown


def test_program_is_exported_where_needle_code_looks() -> None:
    from vector.program import program

    assert vector.program is program and vector.autograd.program is program
