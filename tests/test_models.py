"""vector.models: needle's architectures, the seed loop's net, and a flat live-tensor count."""

import gc

import numpy as np
import pytest

import vector as ndl
from vector import init, models, nn, optim


def _types(module: nn.Module) -> list[str]:
    return [type(m).__name__ for m in module.modules]


def test_residual_block_structure() -> None:
    block = models.ResidualBlock(8, 4, norm=nn.LayerNorm1d, drop_prob=0.3)
    assert _types(block) == ["Residual", "ReLU"]
    inner = block.modules[0].fn
    assert _types(inner) == ["Linear", "LayerNorm1d", "ReLU", "Dropout", "Linear", "LayerNorm1d"]
    assert inner.modules[0].weight.shape == (8, 4) and inner.modules[4].weight.shape == (4, 8)
    assert inner.modules[3].p == 0.3
    x = ndl.Tensor(np.random.randn(5, 8).astype(np.float32), requires_grad=False)
    block.eval()
    out = block(x).numpy()
    want = np.maximum(inner(x).numpy() + x.numpy(), 0)
    np.testing.assert_allclose(out, want, rtol=1e-6)


def test_mlp_resnet_structure_and_parameter_count() -> None:
    np.random.seed(0)
    model = models.MLPResNet(784, 100)
    assert _types(model) == ["Linear", "ReLU"] + ["Sequential"] * 3 + ["Linear"]
    assert sum(p.size for p in model.parameters()) == 110860  # needle's count for (784, 100)
    block_inner = model.modules[2].modules[0].fn
    assert isinstance(block_inner.modules[1], nn.BatchNorm1d)
    assert block_inner.modules[0].weight.shape == (100, 50)
    assert block_inner.modules[3].p == 0.1
    small = models.MLPResNet(6, hidden_dim=8, num_blocks=2, num_classes=4, drop_prob=0.0)
    assert len(small.modules) == 5
    x = ndl.Tensor(np.random.randn(3, 6).astype(np.float32), requires_grad=False)
    assert small(x).shape == (3, 4) and small(x).dtype == np.float32


def test_mlp_resnet_draws_in_needles_order() -> None:
    """The first Linear's weight, then its bias, then the first block's: as needle builds it."""
    np.random.seed(4)
    model = models.MLPResNet(5, hidden_dim=6, num_blocks=1, num_classes=3)
    np.random.seed(4)
    w0 = init.kaiming_uniform(5, 6).numpy()
    b0 = init.kaiming_uniform(6, 1).numpy().reshape(1, 6)
    w1 = init.kaiming_uniform(6, 3).numpy()
    np.testing.assert_array_equal(model.modules[0].weight.numpy(), w0)
    np.testing.assert_array_equal(model.modules[0].bias.numpy(), b0)
    np.testing.assert_array_equal(model.modules[2].modules[0].fn.modules[0].weight.numpy(), w1)


def test_two_layer_net_is_the_seed_loops_net() -> None:
    np.random.seed(2)
    net = models.TwoLayerNet(7, 5, 3)
    np.random.seed(2)
    W1 = (np.random.randn(7, 5) / np.sqrt(5)).astype(np.float32)
    W2 = (np.random.randn(5, 3) / np.sqrt(3)).astype(np.float32)
    assert net.parameters() == [net.W1, net.W2]
    assert all(isinstance(p, nn.Parameter) and p.dtype == np.float32 for p in net.parameters())
    np.testing.assert_array_equal(net.W1.numpy(), W1)
    np.testing.assert_array_equal(net.W2.numpy(), W2)
    x = np.random.rand(4, 7).astype(np.float32)
    want = np.maximum(x @ W1, 0) @ W2
    np.testing.assert_allclose(net(ndl.Tensor(x)).numpy(), want, rtol=1e-6)


def test_mlp() -> None:
    model = models.MLP(6, 5, 4)
    assert _types(model) == ["Linear", "ReLU", "Linear"]
    assert [p.shape for p in model.parameters()] == [(6, 5), (1, 5), (5, 4), (1, 4)]


@pytest.mark.parametrize("norm", [nn.BatchNorm1d, nn.LayerNorm1d])
def test_live_tensor_count_stays_flat_while_training(norm) -> None:
    """200 Adam steps of a small MLPResNet, cyclic collector off: no step leaves Tensors behind."""
    np.random.seed(0)
    model = models.MLPResNet(12, hidden_dim=8, num_blocks=2, num_classes=3, norm=norm)
    opt = optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.SoftmaxLoss()
    X = np.random.randn(200, 12).astype(np.float32)
    y = np.random.randint(0, 3, 200)
    counts = []
    losses = []
    gc.collect()
    gc.disable()
    try:
        for step in range(200):
            rows = slice(10 * (step % 20), 10 * (step % 20) + 10)
            opt.reset_grad()
            loss = loss_fn(model(ndl.Tensor(X[rows], requires_grad=False)), y[rows])
            loss.backward()
            opt.step()
            losses.append(float(loss.numpy()))
            del loss
            counts.append(ndl.Tensor.live)
    finally:
        gc.enable()
    assert len(set(counts[5:])) == 1, f"live tensors grew: {counts[5]} → {max(counts)}"
    assert np.mean(losses[-20:]) < np.mean(losses[:20])
