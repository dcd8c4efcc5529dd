"""Optimisers with needle's API and update rules: SGD with damped momentum, and Adam.

Both read each parameter's gradient as a numpy array, keep their state as numpy arrays (so no
graph grows from step to step), and give the parameter a new array of its own dtype through
`p.data = ...`. They never write into a gradient or a parameter's old array: gradients are read
lazily, and a gradient not read yet may still need the old values.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from vector.autograd import Tensor

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """Holds the parameters to update; subclasses define `step()`."""

    def __init__(self, params: Iterable[Tensor]) -> None:
        self.params = list(params)

    def step(self) -> None:
        raise NotImplementedError

    def reset_grad(self) -> None:
        """Forget every parameter's gradient (set it to None), releasing its graph."""
        for p in self.params:
            p.grad = None

    zero_grad = reset_grad  # PyTorch's name

    def _gradients(self) -> list[tuple[Tensor, np.ndarray, np.ndarray]]:
        """(parameter, its values, its gradient) for every parameter that has a gradient.

        All gradients are computed before any parameter changes: a lazy gradient may depend on
        another parameter's current values.
        """
        out = []
        for p in self.params:
            grad = p.grad
            if grad is not None:
                out.append((p, p.realize_cached_data(), grad.realize_cached_data()))
        return out


class SGD(Optimizer):
    """Stochastic gradient descent with needle's damped momentum and L2 weight decay:

        u ← m·u + (1 − m)·(g + wd·θ)     (u starts at 0)
        θ ← θ − lr·u

    With m = 0 this is θ ← θ − lr·(g + wd·θ). Parameters whose grad is None are skipped.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.01,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.u: dict[Tensor, np.ndarray] = {}

    def step(self) -> None:
        lr, m, wd = self.lr, self.momentum, self.weight_decay
        for p, theta, g in self._gradients():
            if wd:
                g = g + wd * theta
            if m:
                before = self.u.get(p)
                u = (1 - m) * g if before is None else m * before + (1 - m) * g
                self.u[p] = u
            else:
                u = g
            p.data = (theta - lr * u).astype(theta.dtype, copy=False)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction and L2 weight decay added to the gradient:

        g ← g + wd·θ
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²      (m, v start at 0)
        m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)
        θ ← θ − lr·m̂/(√v̂ + eps)

    t counts calls to `step()`. Parameters whose grad is None are skipped.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.01,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = float(lr)
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)
        self.t = 0
        self.m: dict[Tensor, np.ndarray] = {}
        self.v: dict[Tensor, np.ndarray] = {}

    def step(self) -> None:
        self.t += 1
        b1, b2, wd = self.beta1, self.beta2, self.weight_decay
        correct1 = 1 - b1**self.t
        correct2 = 1 - b2**self.t
        step = self.lr / correct1
        root2 = correct2**0.5
        for p, theta, g in self._gradients():
            if wd:
                g = g + wd * theta
            m = self.m.get(p)
            if m is None:
                m = self.m[p] = np.zeros_like(theta)
                self.v[p] = np.zeros_like(theta)
            v = self.v[p]
            # The state arrays belong to the optimiser alone, so they are updated in place, and
            # `work` is scratch: each line below is one pass over the parameter, no temporary.
            work = np.multiply(g, 1 - b1)
            m *= b1
            m += work  # m = β₁m + (1 − β₁)g
            np.multiply(g, g, out=work)
            work *= 1 - b2
            v *= b2
            v += work  # v = β₂v + (1 − β₂)g²
            # lr·m̂/(√v̂ + eps) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), written as
            # (lr/(1 − β₁ᵗ))·√(1 − β₂ᵗ)·m/(√v + eps·√(1 − β₂ᵗ)) to save a pass
            np.sqrt(v, out=work)
            work += self.eps * root2
            np.divide(m, work, out=work)
            work *= step * root2
            p.data = np.subtract(theta, work, out=work)
