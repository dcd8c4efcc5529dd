"""vector.nn: module plumbing, each layer against numpy, and every gradient against central
differences in float64."""

import math

import numpy as np
import pytest

import vector as ndl
from autodiff import check_grad
from vector import init, nn

F64 = "float64"


def _t(a, requires_grad: bool = False) -> ndl.Tensor:
    return ndl.Tensor(np.asarray(a), requires_grad=requires_grad)


# ------------------------------------------------------------------------------ module plumbing
class _Holder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(np.ones(1, dtype=np.float32))
        self.layers = [nn.Linear(2, 3), (nn.ReLU(), nn.Parameter(np.zeros(2, dtype=np.float32)))]
        self.table = {"x": nn.Parameter(np.zeros(3, dtype=np.float32)), "m": nn.Linear(3, 1)}
        self.not_a_param = init.ones(4)  # plain Tensor state: not trained
        self.shared = self.a  # the same Parameter twice is still one parameter
        self.number = 3


def test_parameter_is_a_slotted_tensor() -> None:
    p = nn.Parameter(np.ones((2, 2), dtype=np.float32))
    assert isinstance(p, ndl.Tensor) and p.requires_grad and p.dtype == np.float32
    assert not hasattr(p, "__dict__")
    assert type(p * 2) is ndl.Tensor


def test_parameters_found_in_attributes_lists_tuples_dicts() -> None:
    holder = _Holder()
    params = holder.parameters()
    expected = [
        holder.a,
        holder.layers[0].weight,
        holder.layers[0].bias,
        holder.layers[1][1],
        holder.table["x"],
        holder.table["m"].weight,
        holder.table["m"].bias,
    ]
    assert [id(p) for p in params] == [id(p) for p in expected]
    assert all(isinstance(p, nn.Parameter) for p in params)


def test_named_tensors_and_nested_modules() -> None:
    outer = nn.Sequential(nn.Linear(2, 2), nn.Residual(nn.Sequential(nn.BatchNorm1d(2))))
    names = [name for name, _ in outer.named_tensors()]
    assert names == [
        "modules.0.weight",
        "modules.0.bias",
        "modules.1.fn.modules.0.weight",
        "modules.1.fn.modules.0.bias",
        "modules.1.fn.modules.0.running_mean",
        "modules.1.fn.modules.0.running_var",
    ]
    assert len(outer.parameters()) == 4  # running statistics are not trained


def test_train_and_eval_reach_every_submodule() -> None:
    holder = _Holder()
    deep = nn.Sequential(nn.Residual(nn.Sequential(nn.Dropout(), {"d": nn.BatchNorm1d(3)})))
    holder.layers.append(deep)
    children = holder._children()
    assert len(children) == 8  # 3 in layers/table, 5 in `deep`
    assert holder.eval() is holder
    assert not holder.training and not any(c.training for c in children)
    holder.train()
    assert holder.training and all(c.training for c in children)


def test_subclass_without_super_init_and_call_forwards_arguments() -> None:
    class Scale(nn.Module):
        def __init__(self, k: float) -> None:  # forgets super().__init__()
            self.k = k

        def forward(self, x, shift=0.0):
            return x * self.k + shift

    layer = Scale(2.0)
    assert layer.training and layer.parameters() == []
    assert layer(_t(np.ones(2)), shift=1.0).numpy().tolist() == [3.0, 3.0]
    assert not layer.eval().training
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        nn.Module()(_t(np.ones(1)))


def test_state_dict_round_trip_and_mismatch_messages() -> None:
    np.random.seed(0)
    a = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    b = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    a.modules[1].running_mean.data = np.arange(4, dtype=np.float32)
    b.load_state_dict(a.state_dict())
    for (na, ta), (nb, tb) in zip(a.named_tensors(), b.named_tensors(), strict=True):
        assert na == nb and ta.dtype == tb.dtype
        np.testing.assert_array_equal(ta.numpy(), tb.numpy())
    state = a.state_dict()
    state["modules.0.weight"] = np.zeros((4, 3))
    del state["modules.1.bias"]
    state["extra"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing modules\.1\.bias") as info:
        b.load_state_dict(state)
    assert "unexpected extra" in str(info.value)
    assert "modules.0.weight is (4, 3) but the model has (3, 4)" in str(info.value)


# --------------------------------------------------------------------------- layers vs numpy
def test_linear_shapes_rng_order_and_forward() -> None:
    np.random.seed(3)
    layer = nn.Linear(4, 6)
    np.random.seed(3)
    weight = init.kaiming_uniform(4, 6).numpy()
    bias = init.kaiming_uniform(6, 1).numpy().reshape(1, 6)
    assert layer.weight.shape == (4, 6) and layer.bias.shape == (1, 6)
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.bias, nn.Parameter)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.numpy(), weight)
    np.testing.assert_array_equal(layer.bias.numpy(), bias)
    x = np.random.randn(5, 4).astype(np.float32)
    np.testing.assert_allclose(layer(_t(x)).numpy(), x @ weight + bias, rtol=1e-6)
    batched = np.random.randn(2, 5, 4).astype(np.float32)
    np.testing.assert_allclose(layer(_t(batched)).numpy(), batched @ weight + bias, rtol=1e-5)
    no_bias = nn.Linear(4, 2, bias=False)
    assert no_bias.bias is None and len(no_bias.parameters()) == 1


def test_flatten_identity_activations() -> None:
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 12
    assert nn.Flatten()(_t(x)).numpy().tolist() == x.reshape(2, 12).tolist()
    assert nn.Flatten()(_t(x.reshape(2, 2, 3, 2))).shape == (2, 12)
    assert nn.Identity()(_t(x)).numpy().tolist() == x.tolist()
    np.testing.assert_array_equal(nn.ReLU()(_t(x)).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(nn.Tanh()(_t(x)).numpy(), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(_t(x)).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-6)


def test_sequential_and_residual() -> None:
    np.random.seed(0)
    inner = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    x = np.random.randn(4, 3).astype(np.float32)
    w, b = inner.modules[0].weight.numpy(), inner.modules[0].bias.numpy()
    np.testing.assert_allclose(inner(_t(x)).numpy(), np.maximum(x @ w + b, 0), rtol=1e-6)
    np.testing.assert_allclose(
        nn.Residual(inner)(_t(x)).numpy(), np.maximum(x @ w + b, 0) + x, rtol=1e-6
    )


def test_dropout_scales_in_training_and_is_identity_in_eval() -> None:
    x = np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32)
    layer = nn.Dropout(p=0.3)
    np.random.seed(5)
    out = layer(_t(x)).numpy()
    np.random.seed(5)
    mask = np.random.rand(50, 40) <= 0.7
    np.testing.assert_allclose(out, x * mask / 0.7, rtol=1e-6)
    assert out.dtype == np.float32
    kept = out != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(out[kept], x[kept] / 0.7, rtol=1e-6)
    layer.eval()
    before = np.random.get_state()
    np.testing.assert_array_equal(layer(_t(x)).numpy(), x)
    assert np.array_equal(before[1], np.random.get_state()[1]), "eval mode draws nothing"
    layer.train()
    assert not nn.Dropout(p=1.0)(_t(x)).numpy().any()
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(p=1.5)


def _batchnorm_reference(x: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)  # biased
    return (x - mean) / np.sqrt(var + eps), mean, var


def test_batchnorm_training_running_statistics_and_eval() -> None:
    rng = np.random.default_rng(1)
    layer = nn.BatchNorm1d(5, eps=1e-5, momentum=0.2)
    assert [p.shape for p in layer.parameters()] == [(5,), (5,)]
    layer.weight.data = rng.uniform(0.5, 2, 5).astype(np.float32)
    layer.bias.data = rng.standard_normal(5).astype(np.float32)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    running_mean, running_var = np.zeros(5), np.ones(5)
    for _ in range(3):
        x = rng.standard_normal((8, 5)).astype(np.float32) * 3 + 1
        normed, mean, var = _batchnorm_reference(x.astype(np.float64), 1e-5)
        np.testing.assert_allclose(layer(_t(x)).numpy(), w * normed + b, rtol=1e-4, atol=1e-5)
        running_mean = 0.8 * running_mean + 0.2 * mean
        running_var = 0.8 * running_var + 0.2 * var
        np.testing.assert_allclose(layer.running_mean.numpy(), running_mean, rtol=1e-5)
        np.testing.assert_allclose(layer.running_var.numpy(), running_var, rtol=1e-5)
    assert layer.running_mean.dtype == np.float32 and not layer.running_mean.requires_grad
    assert layer.running_mean.op is None, "the running statistics carry no graph"
    layer.eval()
    x = rng.standard_normal((4, 5)).astype(np.float32)
    want = w * (x - running_mean) / np.sqrt(running_var + 1e-5) + b
    np.testing.assert_allclose(layer(_t(x)).numpy(), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.running_var.numpy(), running_var, rtol=1e-5)  # unchanged
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 5\)"):
        layer(_t(np.zeros((4, 3), dtype=np.float32)))


def test_layernorm() -> None:
    rng = np.random.default_rng(2)
    layer = nn.LayerNorm1d(6, eps=1e-5)
    layer.weight.data = rng.uniform(0.5, 2, 6).astype(np.float32)
    layer.bias.data = rng.standard_normal(6).astype(np.float32)
    x = rng.standard_normal((4, 6)).astype(np.float32) * 2 - 1
    mean = x.mean(axis=1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
    want = layer.weight.numpy() * (x - mean) / np.sqrt(var + 1e-5) + layer.bias.numpy()
    out = layer(_t(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-4, atol=1e-5)
    layer.eval()
    np.testing.assert_allclose(layer(_t(x)).numpy(), want, rtol=1e-4, atol=1e-5)


def test_softmax_loss_against_numpy() -> None:
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((7, 4)).astype(np.float32) * 3
    labels = rng.integers(0, 4, 7)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    want = -log_probs[np.arange(7), labels].mean()
    for y in (labels, _t(labels.astype(np.uint8)), labels.tolist()):
        loss = nn.SoftmaxLoss()(_t(logits), y)
        assert loss.shape == () and loss.dtype == np.float32
        assert float(loss.numpy()) == pytest.approx(float(want), rel=1e-5)
    with pytest.raises(ValueError, match="expected 7 integer labels"):
        nn.SoftmaxLoss()(_t(logits), labels[:5])
    with pytest.raises(ValueError, match="label 4 is out of range for 4 classes"):
        nn.SoftmaxLoss()(_t(logits), np.full(7, 4))


# ------------------------------------------------------------------- gradients by differences
def _check_module_grads(module: nn.Module, x: np.ndarray, name: str, seed: int = 7) -> None:
    """d/d(input and every parameter) of Σ out·w, analytic vs central differences (float64)."""
    params = module.parameters()
    start = [p.numpy().copy() for p in params]
    np.random.seed(seed)
    out_shape = module(_t(x)).shape
    w = np.random.default_rng(0).standard_normal(out_shape)

    def f(x_value, *param_values):
        for p, value in zip(params, param_values, strict=True):
            p.data = value
        np.random.seed(seed)  # the same dropout mask on every evaluation
        with ndl.no_grad():
            out = module(_t(x_value))
        return float((out.numpy() * w).sum())

    for p, value in zip(params, start, strict=True):
        p.data = value
    xt = _t(x, requires_grad=True)
    np.random.seed(seed)
    (module(xt) * _t(w)).sum().backward()
    grads = [xt.grad.numpy()] + [p.grad.numpy() for p in params]
    assert all(g.dtype == np.float64 for g in grads)
    check_grad(f, [x, *start], grads, name=name, rtol=1e-5, atol=1e-7)


def _x(*shape: int) -> np.ndarray:
    # Values kept away from 0 so that no ReLU kink sits inside a difference step.
    x = np.random.default_rng(4).uniform(0.1, 1.5, shape)
    return x * np.where(np.random.default_rng(5).random(shape) < 0.5, -1, 1)


GRAD_CASES = {
    "Identity": lambda: nn.Identity(),
    "Linear": lambda: nn.Linear(4, 3, dtype=F64),
    "Linear(bias=False)": lambda: nn.Linear(4, 3, bias=False, dtype=F64),
    "Flatten": lambda: nn.Sequential(nn.Flatten(), nn.Linear(4, 2, dtype=F64)),
    "ReLU": lambda: nn.ReLU(),
    "Tanh": lambda: nn.Tanh(),
    "Sigmoid": lambda: nn.Sigmoid(),
    "Sequential": lambda: nn.Sequential(
        nn.Linear(4, 5, dtype=F64), nn.Tanh(), nn.Linear(5, 2, dtype=F64)
    ),
    "Residual": lambda: nn.Residual(nn.Sequential(nn.Linear(4, 4, dtype=F64), nn.Sigmoid())),
    "BatchNorm1d": lambda: nn.BatchNorm1d(4, dtype=F64),
    "LayerNorm1d": lambda: nn.LayerNorm1d(4, dtype=F64),
    "Dropout": lambda: nn.Dropout(0.4),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_layer_gradients_match_central_differences(name: str) -> None:
    np.random.seed(11)
    module = GRAD_CASES[name]()
    for p in module.parameters():  # non-trivial scale and shift for the norm layers
        p.data = p.numpy() + np.random.default_rng(6).uniform(-0.5, 0.5, p.shape)
    x = _x(5, 2, 2) if name == "Flatten" else _x(5, 4)
    _check_module_grads(module, x, name)


def test_batchnorm_eval_gradients() -> None:
    layer = nn.BatchNorm1d(4, dtype=F64)
    layer(_t(_x(6, 4) * 2))  # move the running statistics away from 0 and 1
    layer.eval()
    _check_module_grads(layer, _x(5, 4), "BatchNorm1d(eval)")


def test_softmax_loss_gradient_matches_central_differences() -> None:
    logits = np.random.default_rng(8).standard_normal((6, 5))
    labels = np.array([0, 4, 2, 2, 1, 3])
    z = _t(logits, requires_grad=True)
    nn.SoftmaxLoss()(z, labels).backward()

    def f(value):
        return float(nn.SoftmaxLoss()(_t(value), labels).numpy())

    check_grad(f, [logits], [z.grad.numpy()], name="SoftmaxLoss")


@pytest.mark.parametrize("name", ["LayerNorm1d", "BatchNorm1d", "Sequential"])
def test_second_derivatives_through_layers(name: str) -> None:
    """Σ v·∂L/∂x is itself differentiable: its gradient matches differences of the first."""
    np.random.seed(12)
    module = GRAD_CASES[name]()
    x = _x(5, 4)
    w = _t(np.random.default_rng(9).standard_normal(module(_t(x)).shape))
    v = _t(np.random.default_rng(10).standard_normal(x.shape))

    def first(value):
        xt = _t(value, requires_grad=True)
        ((module(xt) * w).sum() ** 2).backward(create_graph=False)
        return xt.grad.numpy()

    def directional(value):
        return float((first(value) * v.numpy()).sum())

    xt = _t(x, requires_grad=True)
    ((module(xt) * w).sum() ** 2).backward()
    (xt.grad * v).sum().backward()
    check_grad(directional, [x], [xt.grad.numpy()], name=f"{name} second order", rtol=1e-4)


def test_layers_keep_float32() -> None:
    np.random.seed(0)
    model = nn.Sequential(
        nn.Linear(6, 4), nn.BatchNorm1d(4), nn.LayerNorm1d(4), nn.Dropout(0.2), nn.Tanh()
    )
    x = _t(np.random.randn(3, 6).astype(np.float32))
    out = model(x)
    assert out.dtype == np.float32
    nn.SoftmaxLoss()(out, [0, 1, 3]).backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert all(p.grad.numpy().dtype == np.float32 for p in model.parameters())
    assert math.isfinite(float(out.numpy().sum()))


def test_numpy_scalar_settings_do_not_promote_float32() -> None:
    np.random.seed(0)
    model = nn.Sequential(
        nn.Linear(3, 4),
        nn.BatchNorm1d(4, eps=np.float64(1e-5), momentum=np.float64(0.1)),
        nn.LayerNorm1d(4, eps=np.float64(1e-5)),
        nn.Dropout(np.float64(0.25)),
    )
    assert model(_t(np.random.randn(5, 3).astype(np.float32))).dtype == np.float32
