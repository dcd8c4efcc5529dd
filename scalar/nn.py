"""micrograd's neural-network API on `Value`: `Module`, `Neuron`, `Layer`, `MLP`.

Code written for `micrograd.nn` runs after changing its import. Two differences, both fixes: a
neuron accepts a bare `Value` (or number) as a one-element input, so a one-neuron hidden layer
(whose output is a bare Value) can feed the next layer; and an input of the wrong length raises
instead of being silently truncated by `zip`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, cast

from scalar.operators import as_number
from scalar.value import Value


class Module:
    """Something with parameters: a neuron, a layer, a network."""

    def zero_grad(self) -> None:
        """Set the grad of every parameter to 0.0 (micrograd's training loops call this)."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order."""
        return []


class Neuron(Module):
    """act(w·x + b) with `nin` weights drawn from U(−1, 1) by Python's `random`, and b = 0."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        # Labels name the parameters in viz's pictures and pages: weights w1…wn, the bias b.
        self.w = [Value(random.uniform(-1, 1), label=f"w{i + 1}") for i in range(nin)]
        self.b = Value(0.0, label="b")
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Any] | Value | float) -> Value:
        # the bare output of a one-neuron layer is a one-element input vector
        one = isinstance(x, Value) or as_number(x) is not None
        xs = (x,) if one else cast(Sequence[Any], x)
        if len(xs) != len(self.w):
            raise ValueError(f"{self!r}: expected {len(self.w)} inputs, got {len(xs)}")
        # Same summation order as micrograd (bias first), so both engines give the same floats.
        act = self.b
        for wi, xi in zip(self.w, xs, strict=True):
            act = act + wi * xi
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons reading the same input; returns a bare Value when `nout` is 1."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Any] | Value | float) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(repr(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes `nouts` on `nin` inputs: ReLU everywhere except the last, linear, layer."""

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != last) for i in range(len(nouts))]

    def __call__(self, x: Sequence[Any] | Value | float) -> Value | list[Value]:
        out: Sequence[Any] | Value | float = x
        for layer in self.layers:
            out = layer(out)
        return out  # type: ignore[return-value]  # a Layer's output (there is at least one)

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(repr(layer) for layer in self.layers)}]"
