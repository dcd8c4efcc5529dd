"""Numeric differentiation by central differences, and a gradient check built on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def numeric_grad(f: Callable[..., Any], primals: Sequence[Any], eps: float = 1e-6) -> list[Any]:
    """The gradient of scalar-valued `f(*primals)` by central differences.

    df/dxᵢ ≈ (f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε, with truncation error O(ε²). Each primal is a number
    or a numpy array; the result has one entry per primal of the same kind and shape, in float64.
    Costs two evaluations of `f` per input coordinate, which is why nobody trains this way.
    """
    if eps <= 0:
        raise ValueError(f"numeric_grad: eps must be positive, got {eps!r}")
    points = [_as_float64(p) for p in primals]
    grads: list[Any] = []
    for i, point in enumerate(points):
        if isinstance(point, float):
            up, down = list(points), list(points)
            up[i], down[i] = point + eps, point - eps
            grads.append((float(f(*up)) - float(f(*down))) / (2 * eps))
            continue
        grad = np.empty_like(point)
        flat = point.reshape(-1)
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            f_up = float(f(*points))
            flat[j] = original - eps
            f_down = float(f(*points))
            flat[j] = original
            grad.reshape(-1)[j] = (f_up - f_down) / (2 * eps)
        grads.append(grad)
    return grads


def check_grad(
    f: Callable[..., Any],
    primals: Sequence[Any],
    grads: Sequence[Any],
    *,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    name: str = "f",
) -> float:
    """Compare analytic `grads` of `f` at `primals` with central differences.

    Raises AssertionError naming the function, the input, the worst element and both values when
    |analytic − numeric| > atol + rtol·|numeric| anywhere; returns the largest absolute error.
    """
    numeric = numeric_grad(f, primals, eps)
    if len(grads) != len(numeric):
        raise ValueError(f"check_grad({name}): {len(grads)} gradients for {len(numeric)} inputs")
    worst = 0.0
    for i, (analytic, expected) in enumerate(zip(grads, numeric, strict=True)):
        got = np.asarray(analytic, dtype=np.float64)
        want = np.asarray(expected, dtype=np.float64)
        if got.shape != want.shape:
            raise AssertionError(
                f"check_grad({name}): gradient {i} has shape {got.shape}, input has {want.shape}"
            )
        error = np.abs(got - want)
        worst = max(worst, float(error.max(initial=0.0)))
        bad = error > atol + rtol * np.abs(want)
        if bad.any():
            at = np.unravel_index(int(np.argmax(np.where(bad, error, -1.0))), bad.shape)
            raise AssertionError(
                f"check_grad({name}): input {i} element {tuple(int(k) for k in at)}: analytic "
                f"{float(got[at])!r} vs central difference {float(want[at])!r} "
                f"(eps={eps}, rtol={rtol}, atol={atol})"
            )
    return worst


def _as_float64(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return np.array(value, dtype=np.float64)  # a private copy: we perturb it in place
