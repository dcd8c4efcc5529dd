"""vector.compile: one adjoint program per input signature, replayed; the refusals."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from vector_helpers import one_hot

import vector
from vector import Tensor, init, nn, ops
from vector.compile import CompileError
from vector.models import MLP, TwoLayerNet


def batch(rng: np.random.Generator, n: int, dim: int = 12, classes: int = 4) -> tuple:
    X = rng.standard_normal((n, dim)).astype(np.float32)
    return X, one_hot(rng.integers(0, classes, n), classes).astype(np.float32)


def eager(model: nn.Module, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, list]:
    for p in model.parameters():
        p.grad = None
    loss = ops.softmax_loss(model(Tensor(X, requires_grad=False)), Tensor(Y, requires_grad=False))
    loss.backward()
    return loss.numpy(), [p.grad.numpy() for p in model.parameters()]


@pytest.mark.parametrize("make", [TwoLayerNet, MLP], ids=["two-layer", "mlp"])
def test_results_equal_eager_and_retrace_per_shape(make) -> None:
    np.random.seed(0)
    model = make(12, 6, 4)
    rng = np.random.default_rng(1)

    def loss_of(X: Tensor, Y: Tensor) -> Tensor:
        return ops.softmax_loss(model(X), Y)

    step = vector.compile(loss_of)
    for n, programs in [(5, 1), (5, 1), (5, 1), (3, 2), (5, 2), (3, 2)]:
        X, Y = batch(rng, n)
        value, grads = step(Tensor(X, requires_grad=False), Tensor(Y, requires_grad=False))
        mine = [p.grad.numpy() for p in model.parameters()]
        want_value, want = eager(model, X, Y)
        assert grads == (None, None)
        assert value.dtype == want_value.dtype and np.array_equal(value, want_value)
        for g, w in zip(mine, want, strict=True):
            assert g.dtype == w.dtype and np.array_equal(g, w)
        assert len(step.programs) == programs
        # the parameters change between calls, as an optimiser would change them
        for p in model.parameters():
            p.data = p.numpy() - 0.1 * p.grad.numpy()
    assert "def loss_of_grad(X, Y, " in str(step.programs[0])


def test_arrays_get_gradients_and_aux_values() -> None:
    rng = np.random.default_rng(2)
    X, Y = batch(rng, 6)
    W = rng.standard_normal((12, 4)).astype(np.float32)

    def loss_of(X: Tensor, W: Tensor, Y: Tensor) -> tuple[Tensor, Tensor]:
        logits = ops.tanh(X @ W)
        return ops.softmax_loss(logits, Y), logits

    step = vector.compile(loss_of, has_aux=True)
    value, (gX, gW, gY), (logits,) = step(X, W, Tensor(Y, requires_grad=False))
    Xt, Wt, Yt = Tensor(X), Tensor(W), Tensor(Y, requires_grad=False)
    out = ops.tanh(Xt @ Wt)
    loss = ops.softmax_loss(out, Yt)
    loss.backward()
    assert np.array_equal(value, loss.numpy()) and np.array_equal(logits, out.numpy())
    assert np.array_equal(gX, Xt.grad.numpy()) and np.array_equal(gW, Wt.grad.numpy())
    assert gY is None
    # a new dtype is a new signature
    step(X.astype(np.float64), W.astype(np.float64), Tensor(Y, requires_grad=False))
    assert len(step.programs) == 2


def test_random_draws_are_refused() -> None:
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(12, 4), nn.Dropout(0.5))
    rng = np.random.default_rng(3)
    X, Y = batch(rng, 5)

    def loss_of(X: Tensor, Y: Tensor) -> Tensor:
        return ops.softmax_loss(model(X), Y)

    data = (Tensor(X, requires_grad=False), Tensor(Y, requires_grad=False))
    with pytest.raises(CompileError, match=r"drew random numbers.*Dropout.*model\.eval\(\)"):
        vector.compile(loss_of)(*data)
    model.eval()  # Dropout is the identity in eval mode: nothing to refuse
    value, _ = vector.compile(loss_of)(*data)
    assert np.isfinite(value)

    def noisy(X: Tensor) -> Tensor:
        return (X * init.rand(*X.shape)).sum()

    with pytest.raises(CompileError, match=r"init\.rand"):
        vector.compile(noisy)(X)


def test_state_changes_are_refused() -> None:
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(12, 4), nn.BatchNorm1d(4))
    rng = np.random.default_rng(4)
    X, Y = batch(rng, 5)
    data = (Tensor(X, requires_grad=False), Tensor(Y, requires_grad=False))

    def loss_of(X: Tensor, Y: Tensor) -> Tensor:
        return ops.softmax_loss(model(X), Y)

    with pytest.raises(CompileError, match=r"changes tensors made outside.*BatchNorm1d"):
        vector.compile(loss_of)(*data)
    model.eval()  # (running_var + eps) is computed without a graph: a replay would keep it
    with pytest.raises(CompileError, match=r"shape \(4,\).*BatchNorm1d's running statistics"):
        vector.compile(loss_of)(*data)

    counter = Tensor(np.zeros(1), requires_grad=False, label="counter")

    def counts(X: Tensor) -> Tensor:
        counter.data = counter.numpy() + 1
        return X.sum()

    with pytest.raises(CompileError, match=r"counter of shape \(1,\).*\.data assignment"):
        vector.compile(counts)(X)


def test_values_made_outside_the_graph_are_refused() -> None:
    rng = np.random.default_rng(5)
    X, Y = batch(rng, 5)
    labels = Y.argmax(axis=1)
    loss_fn = nn.SoftmaxLoss()  # builds a one-hot Tensor from the integer labels

    def loss_of(X: Tensor, W: Tensor) -> Tensor:
        return loss_fn(X @ W, labels)

    W = rng.standard_normal((12, 4)).astype(np.float32)
    with pytest.raises(CompileError, match=r"makes a Tensor of shape \(5, 4\).*argument"):
        vector.compile(loss_of)(Tensor(X, requires_grad=False), W)


def test_results_that_are_not_a_loss_are_refused() -> None:
    X = np.ones((3, 2))
    with pytest.raises(CompileError, match=r"one-element Tensor.*shape \(3, 2\)"):
        vector.compile(lambda X: ops.exp(X))(X)
    with pytest.raises(CompileError, match=r"one-element Tensor.*float"):
        vector.compile(lambda X: 1.0)(X)
    with pytest.raises(CompileError, match=r"has_aux=True.*\(loss, aux\)"):
        vector.compile(lambda X: X.sum(), has_aux=True)(X)
    with pytest.raises(TypeError, match="argument 0 of fn must be a numpy array or a Tensor"):
        vector.compile(lambda X: X.sum())([1.0, 2.0])


# ------------------------------------------------------------------- python -m vector.train
def _train(capsys, folder: Path, log: Path, *extra: str) -> tuple[int, str]:
    from vector import train

    code = train.main(
        [
            *("--data-dir", str(folder), "--hidden", "16", "--batch-size", "70"),
            *("--epochs", "2", "--log", str(log), *extra),
        ]
    )
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "options",
    [
        ("--model", "two-layer", "--optimizer", "sgd", "--lr", "0.1"),
        ("--model", "mlp", "--optimizer", "adam", "--lr", "0.01"),
        ("--model", "mlp", "--optimizer", "sgd", "--momentum", "0.9", "--weight-decay", "0.01"),
    ],
    ids=["two-layer-sgd", "mlp-adam", "mlp-momentum"],
)
def test_train_compile_gives_the_eager_rows(mnist_dir: Path, tmp_path: Path, capsys, options):
    """300 images in batches of 70: the last batch (20) gets a program of its own."""
    rows = {}
    for mode in ("eager", "compile"):
        log = tmp_path / f"{mode}.csv"
        flag = ("--compile",) if mode == "compile" else ()
        code, err = _train(capsys, mnist_dir, log, *options, *flag)
        assert code == 0, err
        with open(log, newline="") as f:
            rows[mode] = [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(f)]
    assert len(rows["eager"]) == 2
    assert rows["compile"] == rows["eager"]


def test_train_compile_refuses_mlp_resnet(mnist_dir: Path, tmp_path: Path, capsys) -> None:
    log = tmp_path / "log.csv"
    code, err = _train(capsys, mnist_dir, log, "--model", "mlp-resnet", "--compile")
    assert code == 2
    assert err.count("\n") == 1
    assert "--compile cannot train mlp-resnet" in err and "Dropout" in err and "BatchNorm1d" in err
    assert not log.exists()
