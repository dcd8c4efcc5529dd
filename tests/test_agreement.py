"""The two engines agree: one catalogue of expressions, each written once, runs element by element
through `scalar.Value` (a numpy object array of Values, so broadcasting, sums and matmul happen
one number at a time) and whole through `vector.Tensor`, in float64. Values and every input's
gradient must match to 1e-10. Hypothesis draws the inputs and random expression DAGs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from vector_helpers import draw, one_hot

from scalar import Value
from vector import Tensor, ops

TOL = 1e-10


# ------------------------------------------------------------------------- the scalar engine
def _box(value: Any) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def _raw(x: Any) -> Any:
    return x.arr if isinstance(x, Elements) else x


class Elements:
    """An array of `Value`s with Tensor's operators: every arithmetic step is scalar.Value's."""

    __slots__ = ("arr",)

    def __init__(self, arr: Any) -> None:
        self.arr = arr if isinstance(arr, np.ndarray) else _box(arr)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.arr.shape

    def __add__(self, o: Any) -> Elements:
        return Elements(self.arr + _raw(o))

    def __radd__(self, o: Any) -> Elements:
        return Elements(_raw(o) + self.arr)

    def __sub__(self, o: Any) -> Elements:
        return Elements(self.arr - _raw(o))

    def __rsub__(self, o: Any) -> Elements:
        return Elements(_raw(o) - self.arr)

    def __mul__(self, o: Any) -> Elements:
        return Elements(self.arr * _raw(o))

    def __rmul__(self, o: Any) -> Elements:
        return Elements(_raw(o) * self.arr)

    def __truediv__(self, o: Any) -> Elements:
        return Elements(self.arr / _raw(o))

    def __rtruediv__(self, o: Any) -> Elements:
        return Elements(_raw(o) / self.arr)

    def __pow__(self, o: Any) -> Elements:
        return Elements(self.arr ** _raw(o))

    def __rpow__(self, o: Any) -> Elements:
        return Elements(_raw(o) ** self.arr)

    def __neg__(self) -> Elements:
        return Elements(-self.arr)

    def __matmul__(self, o: Elements) -> Elements:
        return Elements(self.arr @ o.arr)


def _method(name: str) -> Callable[[Elements], Elements]:
    apply = np.frompyfunc(lambda v: getattr(v, name)(), 1, 1)
    return lambda x: Elements(apply(x.arr))


class ScalarEngine:
    """The primitives as scalar.Value has them, one Value per number."""

    exp = staticmethod(_method("exp"))
    log = staticmethod(_method("log"))
    tanh = staticmethod(_method("tanh"))
    sigmoid = staticmethod(_method("sigmoid"))
    relu = staticmethod(_method("relu"))
    sqrt = staticmethod(_method("sqrt"))

    @staticmethod
    def sum(x: Elements, axes: Any = None) -> Elements:
        return Elements(np.sum(x.arr, axis=axes))

    @staticmethod
    def logsumexp(x: Elements, axes: Any = None) -> Elements:
        return ScalarEngine.log(ScalarEngine.sum(ScalarEngine.exp(x), axes))

    @staticmethod
    def softmax_loss(z: Elements, y_one_hot: np.ndarray) -> Elements:
        per_row = ScalarEngine.logsumexp(z, 1) - ScalarEngine.sum(z * y_one_hot, 1)
        return ScalarEngine.sum(per_row) / z.shape[0]

    @staticmethod
    def constant(a: np.ndarray) -> np.ndarray:
        return a

    @staticmethod
    def inputs(values: list[np.ndarray]) -> list[Elements]:
        make = np.frompyfunc(Value, 1, 1)
        return [Elements(make(np.asarray(v, dtype=np.float64))) for v in values]

    @staticmethod
    def run(out: Elements, xs: list[Elements]) -> tuple[np.ndarray, list[np.ndarray]]:
        value = np.asarray(np.frompyfunc(lambda v: v.data, 1, 1)(out.arr), dtype=np.float64)
        total = ScalarEngine.sum(out).arr[()]
        total.backward()
        grad = np.frompyfunc(lambda v: v.grad, 1, 1)
        return value, [np.asarray(grad(x.arr), dtype=np.float64) for x in xs]


class VectorEngine:
    """The same primitives as vector's ops on whole arrays."""

    exp = staticmethod(ops.exp)
    log = staticmethod(ops.log)
    tanh = staticmethod(ops.tanh)
    sigmoid = staticmethod(ops.sigmoid)
    relu = staticmethod(ops.relu)

    @staticmethod
    def sqrt(x: Tensor) -> Tensor:
        return x**0.5

    @staticmethod
    def sum(x: Tensor, axes: Any = None) -> Tensor:
        return ops.summation(x, axes)

    @staticmethod
    def logsumexp(x: Tensor, axes: Any = None) -> Tensor:
        return ops.logsumexp(x, axes)

    @staticmethod
    def softmax_loss(z: Tensor, y_one_hot: Tensor) -> Tensor:
        return ops.softmax_loss(z, y_one_hot)

    @staticmethod
    def constant(a: np.ndarray) -> Tensor:
        return Tensor(a, requires_grad=False)

    @staticmethod
    def inputs(values: list[np.ndarray]) -> list[Tensor]:
        return [Tensor(np.asarray(v, dtype=np.float64)) for v in values]

    @staticmethod
    def run(out: Tensor, xs: list[Tensor]) -> tuple[np.ndarray, list[np.ndarray]]:
        assert out.dtype == np.float64
        value = out.numpy()
        ops.summation(out).backward()
        return value, [
            np.zeros(x.shape) if x.grad is None else x.grad.numpy().astype(np.float64) for x in xs
        ]


def assert_engines_agree(fn: Callable[..., Any], values: list[np.ndarray], label: str) -> None:
    results = []
    for engine in (ScalarEngine, VectorEngine):
        xs = engine.inputs(values)
        results.append(engine.run(fn(engine, *xs), xs))
    (s_value, s_grads), (v_value, v_grads) = results
    assert s_value.shape == v_value.shape, f"{label}: shapes {s_value.shape} vs {v_value.shape}"
    assert np.all(np.isfinite(s_value)), f"{label}: the catalogue must stay finite"
    np.testing.assert_allclose(v_value, s_value, rtol=TOL, atol=TOL, err_msg=f"{label}: value")
    for k, (s, v) in enumerate(zip(s_grads, v_grads, strict=True)):
        assert s.shape == v.shape, f"{label}: grad {k} shapes {s.shape} vs {v.shape}"
        np.testing.assert_allclose(v, s, rtol=TOL, atol=TOL, err_msg=f"{label}: grad of input {k}")


# --------------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class Expr:
    label: str
    fn: Callable[..., Any]
    inputs: tuple[tuple[tuple[int, ...], str], ...]


def _mlp(E, x, w1, b1, w2):
    labels = one_hot(np.array([0, 2, 1, 2]), 3)
    hidden = E.tanh(x @ w1 + b1)
    return E.softmax_loss(hidden @ w2, E.constant(labels))


def _shared(E, x, y):
    t = x * y
    u = E.tanh(t)
    return u * u + E.exp(u) / (1 + t * t) - u * x


def _diamond(E, x, y):
    a = x + y
    b = a * x
    c = b / a
    return c * b - E.sigmoid(a) + c**2


V = ((4,), "any")
P = ((4,), "pos")
Z = ((4,), "away0")

CATALOGUE: list[Expr] = [
    Expr("x + y", lambda E, x, y: x + y, (V, V)),
    Expr("x - y", lambda E, x, y: x - y, (V, V)),
    Expr("x * y", lambda E, x, y: x * y, (V, V)),
    Expr("x / y", lambda E, x, y: x / y, (V, Z)),
    Expr("-x", lambda E, x: -x, (V,)),
    Expr("x ** 3", lambda E, x: x**3, (V,)),
    Expr("x ** 2.5", lambda E, x: x**2.5, (P,)),
    Expr("x ** -1", lambda E, x: x**-1, (Z,)),
    Expr("x ** 0", lambda E, x: x**0, (V,)),
    Expr("x ** y", lambda E, x, y: x**y, (P, V)),
    Expr("x ** x", lambda E, x: x**x, (P,)),
    Expr("3 + x", lambda E, x: 3 + x, (V,)),
    Expr("x + 3", lambda E, x: x + 3, (V,)),
    Expr("1 - x", lambda E, x: 1 - x, (V,)),
    Expr("x - 1", lambda E, x: x - 1, (V,)),
    Expr("2.5 * x", lambda E, x: 2.5 * x, (V,)),
    Expr("x * 2.5", lambda E, x: x * 2.5, (V,)),
    Expr("2 / x", lambda E, x: 2 / x, (Z,)),
    Expr("x / 4", lambda E, x: x / 4, (V,)),
    Expr("2 ** x", lambda E, x: 2**x, (V,)),
    Expr("exp", lambda E, x: E.exp(x), (V,)),
    Expr("log", lambda E, x: E.log(x), (P,)),
    Expr("tanh", lambda E, x: E.tanh(x), (V,)),
    Expr("sigmoid", lambda E, x: E.sigmoid(x), (V,)),
    Expr("sigmoid far out", lambda E, x: E.sigmoid(x * 30), (Z,)),
    Expr("relu", lambda E, x: E.relu(x), (Z,)),
    Expr("sqrt", lambda E, x: E.sqrt(x), (P,)),
    Expr("x + x", lambda E, x: x + x, (V,)),
    Expr("x * x", lambda E, x: x * x, (V,)),
    Expr("x / x", lambda E, x: x / x, (Z,)),
    Expr("x - x", lambda E, x: x - x, (V,)),
    Expr("shared tanh(x*y)", _shared, (V, V)),
    Expr("diamond", _diamond, (P, P)),
    Expr("log(exp(x) + exp(y))", lambda E, x, y: E.log(E.exp(x) + E.exp(y)), (V, V)),
    Expr("sqrt(x*x + y*y)", lambda E, x, y: E.sqrt(x * x + y * y), (Z, V)),
    Expr("broadcast (4,) with ()", lambda E, x, s: x * s + s / (1 + x * x), (V, ((), "any"))),
    Expr(
        "broadcast (3,1) with (1,4)",
        lambda E, a, b: E.tanh(a - b) * a,
        (((3, 1), "any"), ((1, 4), "any")),
    ),
    Expr("sum(x*y) * sum(x)", lambda E, x, y: E.sum(x * y) * E.sum(x), (V, V)),
    Expr("sum over an axis", lambda E, a: E.exp(E.sum(a * a, 0)) * E.sum(a, 0), (((2, 3), "any"),)),
    Expr("sum then broadcast", lambda E, x: x - E.sum(x) / 4, (V,)),
    Expr("logsumexp", lambda E, a: E.logsumexp(a, 1), (((3, 4), "any"),)),
    Expr("matmul", lambda E, a, b: E.tanh(a @ b), (((2, 3), "any"), ((3, 4), "any"))),
    Expr(
        "tiny MLP + softmax loss",
        _mlp,
        (((4, 3), "any"), ((3, 5), "any"), ((5,), "any"), ((5, 3), "any")),
    ),
]


@pytest.mark.parametrize("expr", CATALOGUE, ids=lambda e: e.label)
def test_catalogue(expr: Expr):
    rng = np.random.default_rng(0)
    values = [draw(rng, shape, domain) for shape, domain in expr.inputs]
    assert_engines_agree(expr.fn, values, expr.label)


def _domain_arrays(shape: tuple[int, ...], domain: str) -> st.SearchStrategy[np.ndarray]:
    if domain == "pos":
        elements = st.floats(0.5, 2.0)
    elif domain == "away0":
        elements = st.floats(0.2, 2.0) | st.floats(-2.0, -0.2)
    else:
        elements = st.floats(-3.0, 3.0, allow_subnormal=False)
    return arrays(np.float64, shape, elements=elements)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), expr=st.sampled_from(CATALOGUE))
def test_catalogue_on_drawn_inputs(data: st.DataObject, expr: Expr):
    values = [data.draw(_domain_arrays(shape, domain)) for shape, domain in expr.inputs]
    assert_engines_agree(expr.fn, values, expr.label)


def test_the_catalogue_has_every_shared_primitive():
    """Every unary method scalar.Value and vector have in common appears in the catalogue."""
    import scalar.primitives

    labels = " ".join(e.label for e in CATALOGUE)
    vector_has = {"exp", "log", "tanh", "sigmoid", "relu", "sqrt"}  # sqrt is power_scalar(½)
    common = set(scalar.operators.UNARY_METHODS) & vector_has
    assert common == vector_has
    for name in common:
        assert name in labels, name
    for symbol in ("+", "-", "*", "/", "**"):
        assert symbol in labels


# ------------------------------------------------------------------------- random expressions
NUMPY_UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "relu": lambda a: np.maximum(a, 0),
    "sqrt": np.sqrt,
    "negate": np.negative,
    "sum": np.sum,
    "**2": lambda a: a**2,
    "**3": lambda a: a**3,
    "**-1": lambda a: a**-1.0,
    "**0.5": lambda a: a**0.5,
    "c+": lambda a: 1.5 + a,
    "-c": lambda a: a - 0.5,
    "c-": lambda a: 2.0 - a,
    "*c": lambda a: a * -1.5,
    "c/": lambda a: 2.0 / a,
    "/c": lambda a: a / 3.0,
    "c**": lambda a: 2.0**a,
}
UNARY_DOMAIN: dict[str, Callable[[np.ndarray], bool]] = {
    "exp": lambda a: bool(np.all(a < 4)),
    "log": lambda a: bool(np.all(a > 0.1)),
    "sqrt": lambda a: bool(np.all(a > 0.1)),
    "**0.5": lambda a: bool(np.all(a > 0.1)),
    "relu": lambda a: bool(np.all(np.abs(a) > 1e-3)),
    "**-1": lambda a: bool(np.all(np.abs(a) > 0.1)),
    "c/": lambda a: bool(np.all(np.abs(a) > 0.1)),
}
NUMPY_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "**": np.power,
}
BINARY_DOMAIN: dict[str, Callable[[np.ndarray, np.ndarray], bool]] = {
    "/": lambda a, b: bool(np.all(np.abs(b) > 0.1)),
    "**": lambda a, b: bool(np.all(a > 0.1) and np.all(np.abs(b) < 3)),
}


def _unary(E: Any, name: str, x: Any) -> Any:
    if name in ("exp", "log", "tanh", "sigmoid", "relu", "sqrt"):
        return getattr(E, name)(x)
    if name == "sum":
        return E.sum(x)
    if name == "negate":
        return -x
    table = {
        "**2": lambda: x**2,
        "**3": lambda: x**3,
        "**-1": lambda: x**-1,
        "**0.5": lambda: x**0.5,
        "c+": lambda: 1.5 + x,
        "-c": lambda: x - 0.5,
        "c-": lambda: 2.0 - x,
        "*c": lambda: x * -1.5,
        "c/": lambda: 2.0 / x,
        "/c": lambda: x / 3.0,
        "c**": lambda: 2.0**x,
    }
    return table[name]()


def _binary(name: str, a: Any, b: Any) -> Any:
    if name == "+":
        return a + b
    if name == "-":
        return a - b
    if name == "*":
        return a * b
    if name == "/":
        return a / b
    return a**b


def _acceptable(value: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(value)) and np.all(np.abs(value) < 1e3))


@st.composite
def programs(draw_: st.DrawFn) -> tuple[list[np.ndarray], list[tuple]]:
    """Inputs and a straight-line program over them: each step applies one primitive to earlier
    nodes (any of them, so nodes are shared), keeping every value finite and in its domain."""
    size = draw_(st.integers(1, 3))
    count = draw_(st.integers(1, 3))
    shapes = [draw_(st.sampled_from([(size,), (size,), ()])) for _ in range(count)]
    values = [
        draw_(arrays(np.float64, shape, elements=st.floats(-2, 2, allow_subnormal=False)))
        for shape in shapes
    ]
    nodes = list(values)
    program: list[tuple] = []
    with np.errstate(all="ignore"):
        for _ in range(draw_(st.integers(2, 10))):
            if draw_(st.booleans()) or len(nodes) == 1:
                i = draw_(st.integers(0, len(nodes) - 1))
                a = nodes[i]
                allowed = [
                    name
                    for name, f in NUMPY_UNARY.items()
                    if UNARY_DOMAIN.get(name, lambda _: True)(a) and _acceptable(f(a))
                ]
                name = draw_(st.sampled_from(allowed))
                nodes.append(np.asarray(NUMPY_UNARY[name](a)))
                program.append(("unary", name, i))
            else:
                i = draw_(st.integers(0, len(nodes) - 1))
                j = draw_(st.integers(0, len(nodes) - 1))
                a, b = nodes[i], nodes[j]
                allowed = [
                    name
                    for name, f in NUMPY_BINARY.items()
                    if BINARY_DOMAIN.get(name, lambda *_: True)(a, b) and _acceptable(f(a, b))
                ]
                if not allowed:
                    continue
                name = draw_(st.sampled_from(allowed))
                nodes.append(np.asarray(NUMPY_BINARY[name](a, b)))
                program.append(("binary", name, i, j))
    return values, program


def _run_program(program: list[tuple]) -> Callable[..., Any]:
    def fn(E: Any, *xs: Any) -> Any:
        nodes = list(xs)
        for step in program:
            if step[0] == "unary":
                nodes.append(_unary(E, step[1], nodes[step[2]]))
            else:
                nodes.append(_binary(step[1], nodes[step[2]], nodes[step[3]]))
        return nodes[-1]

    return fn


@settings(max_examples=80, deadline=None)
@given(programs())
def test_random_expression_dags(drawn):
    values, program = drawn
    assert_engines_agree(_run_program(program), values, f"program {program}")


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(0, 2**16),
)
def test_random_tiny_mlps(batch, hidden, seed):
    rng = np.random.default_rng(seed)
    labels = one_hot(rng.integers(0, 3, batch), 3)

    def mlp(E, x, w1, b1, w2):
        return E.softmax_loss(E.tanh(x @ w1 + b1) @ w2, E.constant(labels))

    values = [
        rng.standard_normal((batch, 2)),
        rng.standard_normal((2, hidden)),
        rng.standard_normal((hidden,)),
        rng.standard_normal((hidden, 3)),
    ]
    assert_engines_agree(mlp, values, f"mlp batch={batch} hidden={hidden}")
