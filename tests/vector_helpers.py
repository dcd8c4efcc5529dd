"""Shared checks for the vector engine's tests: gradients by central differences, the JVP/VJP
dot-product test, input generators, small MNIST-format datasets, and the seed loop's 2-layer
network done by hand in numpy. (Shared fixtures are in `conftest.py`.)
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import vector
from autodiff import check_grad
from vector import Tensor, ops
from vector.data import write_idx

REPO = Path(__file__).resolve().parents[1]
"""The repository root (this file lives in `tests/`)."""


def load_seed_module() -> ModuleType:
    """`examples/nn_epoch.py`, the seed loop, loaded by path."""
    path = REPO / "examples" / "nn_epoch.py"
    spec = importlib.util.spec_from_file_location("adjoint_seed_nn_epoch", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def labelled(rows: Sequence[tuple]) -> list:
    """pytest params named by the strings in each row (its label, op name, message fragment)."""
    return [pytest.param(*row, id=" ".join(x for x in row if isinstance(x, str))) for row in rows]


# ------------------------------------------------------------------------ MNIST-format files
def noisy_prototypes(rng: np.random.Generator, n: int, side: int) -> tuple[np.ndarray, np.ndarray]:
    """n uint8 images (n, side, side) of ten fixed class prototypes plus noise, and their labels:
    learnable, but not instantly."""
    prototypes = np.random.default_rng(99).integers(0, 256, (10, side, side))
    labels = rng.integers(0, 10, n).astype(np.uint8)
    noisy = prototypes[labels] + rng.normal(0, 60, (n, side, side))
    return np.clip(noisy, 0, 255).astype(np.uint8), labels


def write_mnist(
    folder: Path,
    sizes: dict[str, int] | None = None,
    *,
    seed: int = 0,
    side: int = 28,
    learnable: bool = False,
) -> dict[str, np.ndarray]:
    """Write an MNIST-format dataset into `folder` (created if needed): for each `prefix: n` of
    `sizes` (default train 12, t10k 5), `{prefix}-images-idx3-ubyte.gz` with n uint8 images of
    side × side and `{prefix}-labels-idx1-ubyte.gz` with n labels in 0..9. Pixels are uniformly
    random, or `noisy_prototypes` when `learnable`. Returns the arrays by file name."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for prefix, n in (sizes or {"train": 12, "t10k": 5}).items():
        if learnable:
            images, labels = noisy_prototypes(rng, n, side)
        else:
            images = rng.integers(0, 256, size=(n, side, side), dtype=np.uint8)
            labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        arrays[f"{prefix}-images-idx3-ubyte.gz"] = images
        arrays[f"{prefix}-labels-idx1-ubyte.gz"] = labels
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(folder / name, array)
    return arrays


# ------------------------------------------------------------------------------------- inputs
def draw(rng: np.random.Generator, shape: tuple[int, ...], domain: str = "any") -> np.ndarray:
    """A float64 array of `shape` from `domain`.

    any: standard normal; pos: uniform in [0.5, 2] (log, powers, bases); away0: |x| in [0.2, 2]
    with a random sign (relu away from its kink, denominators away from 0); onehot: one 1 per row.
    """
    if domain == "any":
        return rng.standard_normal(shape)
    if domain == "pos":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "away0":
        return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "onehot":
        out = np.zeros(shape)
        out[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] = 1.0
        return out
    raise ValueError(f"unknown domain {domain!r}")


def tensors(arrays: Sequence[np.ndarray], dtype: type = np.float64) -> list[Tensor]:
    return [Tensor(np.array(a, dtype=dtype)) for a in arrays]


# ------------------------------------------------------------------------------- derivatives
def vjp_grads(
    f: Callable[..., Tensor], arrays: Sequence[np.ndarray], out_grad: np.ndarray
) -> list[np.ndarray]:
    """Jᵀ·out_grad for each input of f at `arrays`, by the engine's reverse pass."""
    xs = tensors(arrays)
    out = f(*xs)
    out.backward(Tensor(np.asarray(out_grad, dtype=np.float64), requires_grad=False))
    grads = []
    for k, x in enumerate(xs):
        assert x.grad is not None, f"input {k} got no gradient"
        grads.append(x.grad.numpy())
    return grads


def assert_grad_matches_numeric(
    f: Callable[..., Tensor],
    arrays: Sequence[np.ndarray],
    rng: np.random.Generator,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    name: str = "f",
) -> None:
    """The reverse-mode gradient of ⟨w, f(x)⟩ (random w) equals its central differences."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out_shape = f(*tensors(arrays)).shape
    w = rng.standard_normal(out_shape)

    def scalar(*points: np.ndarray) -> float:
        return float(np.sum(f(*tensors(points)).numpy() * w))

    analytic = vjp_grads(f, arrays, w)
    for a, g in zip(arrays, analytic, strict=True):
        assert g.shape == a.shape, f"{name}: gradient shape {g.shape} for input shape {a.shape}"
    check_grad(scalar, arrays, analytic, eps=eps, rtol=rtol, atol=atol, name=name)


def assert_jvp_matches_vjp(
    f: Callable[..., Tensor],
    arrays: Sequence[np.ndarray],
    rng: np.random.Generator,
    *,
    rtol: float = 1e-10,
    name: str = "f",
) -> None:
    """The dot-product test ⟨u, J v⟩ = ⟨Jᵀu, v⟩ with random u and v; also jvp's value is f(x)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    expected = f(*tensors(arrays)).numpy()
    vs = [rng.standard_normal(a.shape) for a in arrays]
    out, jv = vector.jvp(f, arrays, vs)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, err_msg=f"{name}: jvp value")
    assert jv.shape == expected.shape, f"{name}: tangent shape {jv.shape} vs {expected.shape}"
    u = rng.standard_normal(expected.shape)
    jtu = vjp_grads(f, arrays, u)
    left = float(np.sum(u * jv.numpy()))
    right = sum(float(np.sum(g * v)) for g, v in zip(jtu, vs, strict=True))
    scale = max(1.0, abs(left), abs(right))
    assert abs(left - right) <= rtol * scale, f"{name}: ⟨u, Jv⟩ = {left!r} but ⟨Jᵀu, v⟩ = {right!r}"


def assert_hvp_matches_numeric(
    f: Callable[..., Tensor],
    arrays: Sequence[np.ndarray],
    rng: np.random.Generator,
    *,
    eps: float = 1e-5,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    name: str = "f",
) -> None:
    """Reverse over reverse: with g(x) = ∇⟨w, f(x)⟩ recorded as a graph by `backward()`,
    differentiating ⟨g(x), v⟩ again gives the Hessian-vector product H v, which must equal the
    central difference (g(x + εv) − g(x − εv)) / 2ε of gradients computed without a graph."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out_shape = f(*tensors(arrays)).shape
    w = rng.standard_normal(out_shape)
    vs = [rng.standard_normal(a.shape) for a in arrays]

    def plain_grads(points: Sequence[np.ndarray]) -> list[np.ndarray]:
        xs = tensors(points)
        f(*xs).backward(Tensor(w, requires_grad=False))
        return [x.grad.numpy() for x in xs]

    xs = tensors(arrays)
    f(*xs).backward(Tensor(w, requires_grad=False))
    grads = [x.grad for x in xs]
    for x in xs:
        x.grad = None  # inputs the second pass does not reach have a zero Hessian block
    total = None
    for g, v in zip(grads, vs, strict=True):
        term = (g * Tensor(v, requires_grad=False)).sum()
        total = term if total is None else total + term
    if total is not None and total.requires_grad:
        total.backward()
    hv = [
        np.zeros_like(a) if x.grad is None else x.grad.numpy()
        for a, x in zip(arrays, xs, strict=True)
    ]
    up = plain_grads([a + eps * v for a, v in zip(arrays, vs, strict=True)])
    down = plain_grads([a - eps * v for a, v in zip(arrays, vs, strict=True)])
    for k, (got, u, d) in enumerate(zip(hv, up, down, strict=True)):
        np.testing.assert_allclose(
            got, (u - d) / (2 * eps), rtol=rtol, atol=atol, err_msg=f"{name}: H v, input {k}"
        )


def assert_double_vjp_gives_jvp(
    f: Callable[..., Tensor],
    arrays: Sequence[np.ndarray],
    rng: np.random.Generator,
    *,
    rtol: float = 1e-10,
    name: str = "f",
) -> None:
    """The gradient graph is linear in the seed u (g(u) = Jᵀu), so differentiating ⟨g(u), v⟩
    with respect to u gives J v: forward mode from two reverse passes. Every op's gradient must
    therefore be a differentiable function of its out_grad, which this checks against `jvp`."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    xs = tensors(arrays)
    out = f(*xs)
    u = Tensor(rng.standard_normal(out.shape))
    vs = [rng.standard_normal(a.shape) for a in arrays]
    out.backward(u)
    total = Tensor(0.0, requires_grad=False)
    for x, v in zip(xs, vs, strict=True):
        total = total + (x.grad * Tensor(v, requires_grad=False)).sum()
    assert total.requires_grad, f"{name}: the gradient does not depend on the seed"
    total.backward()
    _, jv = vector.jvp(f, arrays, vs)
    np.testing.assert_allclose(
        u.grad.numpy(), jv.numpy(), rtol=rtol, atol=rtol, err_msg=f"{name}: d⟨Jᵀu, v⟩/du vs J v"
    )


# ---------------------------------------------------------------------- the seed loop, by hand
def one_hot(y: np.ndarray, classes: int) -> np.ndarray:
    out = np.zeros((y.shape[0], classes))
    out[np.arange(y.shape[0]), y] = 1
    return out


def two_layer_grads(
    x: np.ndarray, w1: np.ndarray, w2: np.ndarray, y_one_hot: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of mean softmax cross-entropy of relu(x W1) W2, derived by hand.

    With H = relu(x W1), Z = H W2, S = softmax(Z) row-wise and n rows:
    ∂ℓ/∂Z = (S − Y)/n;  ∂ℓ/∂W2 = Hᵀ ∂ℓ/∂Z;  ∂ℓ/∂H = ∂ℓ/∂Z W2ᵀ;  ∂ℓ/∂(xW1) = ∂ℓ/∂H ⊙ [xW1 > 0];
    ∂ℓ/∂W1 = xᵀ ∂ℓ/∂(xW1);  ∂ℓ/∂x = ∂ℓ/∂(xW1) W1ᵀ. Returns (∂ℓ/∂W1, ∂ℓ/∂W2, ∂ℓ/∂x).
    """
    pre = x @ w1
    h = np.maximum(pre, 0)
    z = h @ w2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    s = e / e.sum(axis=1, keepdims=True)
    dz = ((s - y_one_hot) / x.shape[0]).astype(z.dtype)
    dh = dz @ w2.T
    dpre = dh * (pre > 0)
    return x.T @ dpre, h.T @ dz, dpre @ w1.T


# ------------------------------------------------------------ the op catalogue
def lse(a: np.ndarray, axes: int | tuple[int, ...] | None) -> np.ndarray:
    top = np.max(a, axis=axes, keepdims=True)
    out = np.log(np.sum(np.exp(a - top), axis=axes, keepdims=True)) + top
    return np.squeeze(out, axis=axes) if axes is not None else out.reshape(())


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def _batch_normalize_vjp(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The VJP of (a − mean)/√(var + 0.1) column by column, from its Jacobian built entry by entry:
    ∂x̂ᵢ/∂aⱼ = s·(δᵢⱼ − 1/n) − s·x̂ᵢ·x̂ⱼ/n with s = 1/√(var + 0.1)."""
    n = a.shape[0]
    out = np.empty_like(v)
    for col in range(a.shape[1]):
        s = 1 / np.sqrt(a[:, col].var() + 0.1)
        xhat = (a[:, col] - a[:, col].mean()) * s
        jacobian = s * (np.eye(n) - 1 / n) - s * np.outer(xhat, xhat) / n
        out[:, col] = jacobian.T @ v[:, col]
    return out


def _softmax_loss(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.mean(lse(z, 1) - np.sum(z * y, axis=1))


@dataclass(frozen=True)
class Case:
    """One op applied to inputs of given shapes and domains, and numpy's answer for it."""

    op: str  # the name in vector.ops.__all__
    label: str
    fn: Callable[..., Tensor]
    ref: Callable[..., np.ndarray]
    inputs: tuple[tuple[tuple[int, ...], str], ...]

    def arrays(self, rng: np.random.Generator) -> list[np.ndarray]:
        return [draw(rng, shape, domain) for shape, domain in self.inputs]


def _binary(op: str, fn: Callable, ref: Callable, b_domain: str = "any", a_domain: str = "any"):
    pairs = [
        ((3, 4), (3, 4)),
        ((2, 3, 4), (4,)),
        ((3, 1), (1, 3)),
        ((), (2, 3)),
        ((2, 1, 4), (3, 1)),
    ]
    return [
        Case(op, f"{op}{sa}{sb}", fn, ref, ((sa, a_domain), (sb, b_domain))) for sa, sb in pairs
    ]


def _unary(op: str, fn: Callable, ref: Callable, domain: str = "any", label: str = ""):
    shapes = [(), (5,), (3, 4), (2, 3, 4)]
    return [Case(op, f"{label or op}{s}", fn, ref, ((s, domain),)) for s in shapes]


CASES: list[Case] = [
    *_binary("add", ops.add, np.add),
    *_binary("multiply", ops.multiply, np.multiply),
    *_binary("divide", ops.divide, np.divide, b_domain="away0"),
    *_binary("power", ops.power, np.power, a_domain="pos"),
    *_unary("add_scalar", lambda a: ops.add_scalar(a, 2.5), lambda a: a + 2.5),
    *_unary("mul_scalar", lambda a: ops.mul_scalar(a, -1.5), lambda a: a * -1.5),
    *_unary("divide_scalar", lambda a: ops.divide_scalar(a, 4.0), lambda a: a / 4.0),
    *_unary("negate", ops.negate, np.negative),
    *_unary("log", ops.log, np.log, "pos"),
    *_unary("exp", ops.exp, np.exp),
    *_unary("relu", ops.relu, lambda a: np.maximum(a, 0), "away0"),
    *_unary("tanh", ops.tanh, np.tanh),
    *_unary("sigmoid", ops.sigmoid, _sigmoid),
    *[
        case
        for c in (2, 3, 1, 0, -1, 0.5, -2.5, 1.7)
        for case in _unary(
            "power_scalar",
            lambda a, c=c: ops.power_scalar(a, c),
            lambda a, c=c: a**c,
            "pos" if c != int(c) or c < 0 else "any",
            label=f"power_scalar({c})",
        )
    ],
    Case("sigmoid", "sigmoid(large)", ops.sigmoid, _sigmoid, (((4,), "any"),)),
    Case(
        "transpose", "transpose()", ops.transpose, lambda a: a.swapaxes(-1, -2), (((3, 4), "any"),)
    ),
    Case(
        "transpose",
        "transpose(3d)",
        ops.transpose,
        lambda a: a.swapaxes(-1, -2),
        (((2, 3, 4), "any"),),
    ),
    Case(
        "transpose",
        "transpose(0,2)",
        lambda a: ops.transpose(a, (0, 2)),
        lambda a: a.swapaxes(0, 2),
        (((2, 3, 4), "any"),),
    ),
    Case(
        "transpose",
        "transpose(-1,-3)",
        lambda a: ops.transpose(a, (-1, -3)),
        lambda a: a.swapaxes(-1, -3),
        (((2, 3, 4), "any"),),
    ),
    *[
        Case(
            "reshape",
            f"reshape{s}->{t}",
            lambda a, t=t: ops.reshape(a, t),
            lambda a, t=t: a.reshape(t),
            ((s, "any"),),
        )
        for s, t in [((3, 4), (4, 3)), ((2, 3, 4), (6, -1)), ((12,), (2, 2, 3)), ((), (1, 1))]
    ],
    *[
        Case(
            "broadcast_to",
            f"broadcast_to{s}->{t}",
            lambda a, t=t: ops.broadcast_to(a, t),
            lambda a, t=t: np.broadcast_to(a, t),
            ((s, "any"),),
        )
        for s, t in [
            ((3, 1), (3, 3)),
            ((1, 3), (3, 3)),
            ((1,), (3, 3, 3)),
            ((), (3, 3, 3)),
            ((5, 4, 1), (5, 4, 3)),
            ((3,), (2, 3)),
            ((2, 3), (2, 3)),
        ]
    ],
    *[
        Case(
            "summation",
            f"summation{s}axes={axes}",
            lambda a, axes=axes: ops.summation(a, axes),
            lambda a, axes=axes: np.sum(a, axis=axes),
            ((s, "any"),),
        )
        for s, axes in [
            ((3, 4), None),
            ((3, 4), 0),
            ((3, 4), 1),
            ((2, 3, 4), (0, 2)),
            ((2, 3, 4), -1),
            ((2, 3, 4), (1,)),
            ((5,), None),
            ((), None),
        ]
    ],
    *[
        Case("matmul", f"matmul{sa}@{sb}", ops.matmul, np.matmul, ((sa, "any"), (sb, "any")))
        for sa, sb in [
            ((3, 4), (4, 5)),
            ((1, 3), (3, 1)),
            ((6, 6, 5, 4), (6, 6, 4, 3)),
            ((6, 6, 5, 4), (4, 3)),
            ((5, 4), (6, 6, 4, 3)),
            ((3, 2), (3, 2, 3)),
            ((2, 1, 3, 4), (5, 4, 2)),
        ]
    ],
    # The transposed forms gradients build (Ȳ·Bᵀ, Aᵀ·Ȳ): checked like any op.
    *[
        Case(
            "matmul_transposed",
            f"matmul{'ᵀ' if ta else ''}{sa}@{sb}{'ᵀ' if tb else ''}",
            lambda a, b, ta=ta, tb=tb: ops.matmul_transposed(a, b, ta, tb),
            lambda a, b, ta=ta, tb=tb: (
                (np.swapaxes(a, -1, -2) if ta else a) @ (np.swapaxes(b, -1, -2) if tb else b)
            ),
            ((sa, "any"), (sb, "any")),
        )
        for ta, tb, sa, sb in [
            (False, True, (3, 4), (5, 4)),
            (True, False, (4, 3), (4, 5)),
            (True, True, (4, 3), (5, 4)),
            (True, False, (6, 4, 3), (4, 5)),
            (False, True, (2, 3, 4), (6, 2, 5, 4)),
            (False, False, (3, 4), (4, 2)),
        ]
    ],
    # BatchNorm1d's normalisation and its VJP (vector/ops/fused.py), at two batch sizes.
    *[
        Case(
            "batch_normalize",
            f"batch_normalize{s}",
            lambda a: ops.batch_normalize(a, 0.1),
            lambda a: (a - a.mean(0)) / np.sqrt(a.var(0) + 0.1),
            ((s, "any"),),
        )
        for s in [(5, 3), (2, 4)]
    ],
    *[
        Case(
            "batch_normalize_grad",
            f"batch_normalize_grad{s}",
            lambda a, v: ops.batch_normalize_grad(a, v, 0.1),
            _batch_normalize_vjp,
            ((s, "any"), (s, "any")),
        )
        for s in [(5, 3), (3, 2)]
    ],
    *[
        Case(
            "logsumexp",
            f"logsumexp{s}axes={axes}",
            lambda a, axes=axes: ops.logsumexp(a, axes),
            lambda a, axes=axes: lse(a, axes),
            ((s, "any"),),
        )
        for s, axes in [
            ((3, 4), None),
            ((3, 4), 1),
            ((3, 4), 0),
            ((2, 3, 4), (0, 2)),
            ((2, 3, 4), -2),
            ((5,), 0),
        ]
    ],
    *[
        Case(
            "logsoftmax",
            f"logsoftmax{s}",
            ops.logsoftmax,
            lambda a: a - lse(a, -1)[..., None],
            ((s, "any"),),
        )
        for s in [(5,), (3, 4), (2, 3, 4)]
    ],
    *[
        Case(
            "softmax_loss",
            f"softmax_loss{s}",
            ops.softmax_loss,
            _softmax_loss,
            ((s, "any"), (s, "onehot")),
        )
        for s in [(4, 5), (1, 3), (7, 2)]
    ],
    *[
        Case(
            "softmax_loss_grad",
            f"softmax_loss_grad{s}",
            ops.softmax_loss_grad,
            lambda z, y, g: (np.exp(z - lse(z, 1)[:, None]) - y) * g / z.shape[0],
            ((s, "any"), (s, "onehot"), ((), "any")),
        )
        for s in [(4, 5), (1, 3)]
    ],
    *[
        Case(
            "cast",
            f"cast{s}",
            lambda a: ops.cast(a, np.float64),
            lambda a: a,
            ((s, "any"),),
        )
        for s in [(), (3, 4)]
    ],
]

# sigmoid far from 0 on both sides: the stable formula must not overflow or lose the tails.
_LARGE = np.array([-40.0, -8.0, 8.0, 40.0])


def case_id(case: Case) -> str:
    return case.label.replace(" ", "")


def case_inputs(case: Case, rng: np.random.Generator) -> list[np.ndarray]:
    if case.label == "sigmoid(large)":
        return [_LARGE.copy()]
    return case.arrays(rng)
