"""The small graphs the demo prints and draws, built fresh on every call.

Each builder labels its nodes with the names the text uses, because `viz` otherwise names
unlabelled nodes in topological order, which is not always the order the text counts in (in
Baydin's example it would call the sum v3 and the sine v4; the paper has them the other way round).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from scalar import Value
from vector import Tensor, softmax_loss
from vector.models import TwoLayerNet


def baydin(x1: float = 2.0, x2: float = 5.0) -> dict[str, Value]:
    """y = ln(x₁) + x₁x₂ − sin(x₂), Baydin et al. (2018)'s example, in the paper's numbering.

    The nodes are created in the paper's order so that the trace tables, which number by creation,
    agree with it; the labels make the pictures agree too.
    """
    v = {"x1": Value(x1, label="x1"), "x2": Value(x2, label="x2")}
    v["v1"] = v["x1"].log()
    v["v2"] = v["x1"] * v["x2"]
    v["v3"] = v["x2"].sin()
    v["v4"] = v["v1"] + v["v2"]
    v["v5"] = v["v4"] - v["v3"]
    for name in ("v1", "v2", "v3", "v4", "v5"):
        v[name].label = name
    return v


def used_twice(x: float = 1.0) -> dict[str, Value]:
    """v₁ = x, v₂ = exp(v₁), v₃ = v₂ + 1, v₄ = v₂·v₃: v₂ feeds two nodes, so its adjoint is the sum
    of two partial adjoints (the same example as `examples.partial_adjoint`)."""
    v = {"v1": Value(x, label="v1")}
    v["v2"] = v["v1"].exp()
    v["v3"] = v["v2"] + 1
    v["v4"] = v["v2"] * v["v3"]
    for name in ("v2", "v3", "v4"):
        v[name].label = name
    return v


def neuron() -> dict[str, Value]:
    """micrograd's neuron o = tanh(x1·w1 + x2·w2 + b), with the numbers of Karpathy's lecture.

    b is chosen so that n = 0.8814 and o = tanh(n) = 1/√2, which makes the local derivative of
    tanh a round 1 − o² = 0.5.
    """
    v = {
        "x1": Value(2.0, label="x1"),
        "x2": Value(0.0, label="x2"),
        "w1": Value(-3.0, label="w1"),
        "w2": Value(1.0, label="w2"),
        "b": Value(6.8813735870195432, label="b"),
    }
    v["n"] = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    v["n"].label = "n"
    v["o"] = v["n"].tanh()
    v["o"].label = "o"
    return v


@dataclass(frozen=True)
class TwoLayer:
    """The seed loop's network on one small batch: loss = softmax_loss(relu(X @ W1) @ W2, Y)."""

    loss: Tensor
    net: TwoLayerNet
    X: Tensor
    y_one_hot: Tensor


def two_layer(batch: int = 4, dim: int = 784, hidden: int = 100, classes: int = 10) -> TwoLayer:
    """The seed loop's net on `batch` random images (seeded): shapes matter here, not numbers.

    The data are constants (no gradient, grey in the pictures); W1 and W2 are parameters.
    """
    rng = np.random.default_rng(0)
    np.random.seed(0)  # TwoLayerNet draws from numpy's global RNG, as the study note's setup does
    net = TwoLayerNet(dim, hidden, classes)
    net.W1.label, net.W2.label = "W1", "W2"
    X = Tensor(rng.random((batch, dim), dtype=np.float32), requires_grad=False, label="X")
    labels = rng.integers(0, classes, batch)
    one_hot = np.zeros((batch, classes), dtype=np.float32)
    one_hot[np.arange(batch), labels] = 1
    y_one_hot = Tensor(one_hot, requires_grad=False, label="y_one_hot")
    Z = net(X)
    Z.label = "Z"
    loss = softmax_loss(Z, y_one_hot)
    loss.label = "loss"
    return TwoLayer(loss, net, X, y_one_hot)


def mlp(hidden: int = 4, seed: int = 0) -> dict[str, Any]:
    """micrograd's MLP(2, [hidden, 1]) on one point, with a squared-error loss: 50 nodes for
    hidden = 4, the graph of one training example of `examples.moons`."""
    from scalar.nn import MLP

    random.seed(seed)
    model = MLP(2, [hidden, 1])
    x = [Value(0.5, label="x1"), Value(-1.5, label="x2")]
    out = model(x)
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    return {"loss": loss, "model": model, "x1": x[0], "x2": x[1]}
