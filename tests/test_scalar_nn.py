"""scalar.nn: micrograd's Module, Neuron, Layer and MLP, and micrograd's demo on two moons."""

from __future__ import annotations

import random

import numpy as np
import pytest

from examples import moons
from scalar import Value
from scalar.nn import MLP, Layer, Module, Neuron


def test_neuron() -> None:
    random.seed(0)
    n = Neuron(3)
    assert len(n.w) == 3 and all(-1 <= w.data <= 1 for w in n.w)
    assert n.b.data == 0.0
    assert n.parameters() == [*n.w, n.b]
    x = [0.5, -1.0, 2.0]
    out = n(x)
    expected = sum(w.data * xi for w, xi in zip(n.w, x, strict=True))
    assert out.data == pytest.approx(max(0.0, expected))
    assert out.op == "relu"
    linear = Neuron(3, nonlin=False)
    assert linear(x).op == "+"
    assert (repr(n), repr(linear)) == ("ReLUNeuron(3)", "LinearNeuron(3)")


def test_weights_come_from_pythons_random() -> None:
    random.seed(42)
    expected = [random.uniform(-1, 1) for _ in range(4)]
    random.seed(42)
    assert [w.data for w in Neuron(4).w] == expected


def test_parameter_counts_match_micrograd() -> None:
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    assert len(MLP(3, [4, 4, 1]).parameters()) == 41
    assert len(Layer(3, 5).parameters()) == 20


def test_one_output_is_a_bare_value() -> None:
    model = MLP(3, [4, 4, 1])
    out = model([1.0, -2.0, 0.5])
    assert isinstance(out, Value)
    several = MLP(3, [4, 2])([1.0, -2.0, 0.5])
    assert isinstance(several, list) and len(several) == 2
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)


def test_a_one_neuron_hidden_layer_works() -> None:
    # micrograd fails here: the hidden layer returns a bare Value, which its next layer cannot zip.
    random.seed(1)
    model = MLP(2, [1, 3, 1])
    out = model([0.5, -1.5])
    out.backward()
    assert isinstance(out, Value)
    assert len(model.parameters()) == (2 + 1) + 3 * (1 + 1) + (3 + 1)
    assert any(p.grad != 0.0 for p in model.parameters())
    assert Neuron(1)(Value(2.0)).inputs  # a bare Value or number is a one-element input
    assert isinstance(Neuron(1)(2.0), Value)


def test_wrong_input_length() -> None:
    with pytest.raises(ValueError, match=r"ReLUNeuron\(3\): expected 3 inputs, got 2"):
        Neuron(3)([1.0, 2.0])


def test_zero_grad_and_repr() -> None:
    model = MLP(2, [2, 1])
    out = model([1.0, 1.0])
    (out * out + sum(p * p for p in model.parameters())).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert Module().parameters() == []
    assert repr(model) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    )


def test_same_numbers_as_micrograd() -> None:
    engine = pytest.importorskip("micrograd.engine")
    micro_nn = pytest.importorskip("micrograd.nn")
    X, y = moons.make_moons(20, seed=0)
    Xs, ys = X.tolist(), y.tolist()
    random.seed(7)
    ours = MLP(2, [8, 8, 1])
    random.seed(7)
    theirs = micro_nn.MLP(2, [8, 8, 1])
    loss, accuracy = moons.svm_loss(ours, Xs, ys)
    their_loss, their_accuracy = moons.svm_loss(theirs, Xs, ys, engine.Value)
    assert loss.data == their_loss.data and accuracy == their_accuracy
    loss.backward()
    their_loss.backward()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert p.grad == pytest.approx(q.grad, rel=1e-9, abs=1e-15)


def test_make_moons() -> None:
    X, y = moons.make_moons(100, noise=0.1, seed=moons.SEED)
    assert X.shape == (100, 2) and y.shape == (100,)
    assert sorted(set(y.tolist())) == [-1.0, 1.0] and y.sum() == 0
    again, _ = moons.make_moons(100, noise=0.1, seed=moons.SEED)
    np.testing.assert_array_equal(X, again)
    clean, labels = moons.make_moons(10, noise=0.0, seed=0)
    upper = clean[labels < 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)  # the unit half circle
    assert (upper[:, 1] >= -1e-12).all()


def test_the_demo_reaches_100_percent() -> None:
    # The demo's run exactly: 100 points, MLP(2, [16, 16, 1]), 100 SGD steps (about 10 s).
    lines: list[str] = []
    history = moons.train(log=lines.append)
    assert history.accuracies[-1] == 1.0
    assert history.losses[-1] < history.losses[0] / 50
    assert lines[0].startswith("step   0") and lines[-1].startswith("step  99")
    assert "accuracy 100.0%" in lines[-1]
