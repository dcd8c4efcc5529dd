"""The networks of the seed loop and of needle's hw2, built from `vector.nn`.

`ResidualBlock`, `MLPResNet` and `MLP` are functions returning `nn.Sequential` (capitalised like
classes, as in needle), so their parameters, and the order they are drawn in, are needle's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vector import nn, ops
from vector.autograd import Tensor

__all__ = ["MLP", "MLPResNet", "ResidualBlock", "TwoLayerNet"]


def ResidualBlock(
    dim: int,
    hidden_dim: int,
    norm: Callable[[int], nn.Module] = nn.BatchNorm1d,
    drop_prob: float = 0.1,
) -> nn.Sequential:
    """x ↦ relu(x + norm(W₂·dropout(relu(norm(W₁x + b₁))) + b₂)), mapping (batch, dim) to itself."""
    return nn.Sequential(
        nn.Residual(
            nn.Sequential(
                nn.Linear(dim, hidden_dim),
                norm(hidden_dim),
                nn.ReLU(),
                nn.Dropout(drop_prob),
                nn.Linear(hidden_dim, dim),
                norm(dim),
            )
        ),
        nn.ReLU(),
    )


def MLPResNet(
    dim: int,
    hidden_dim: int = 100,
    num_blocks: int = 3,
    num_classes: int = 10,
    norm: Callable[[int], nn.Module] = nn.BatchNorm1d,
    drop_prob: float = 0.1,
) -> nn.Sequential:
    """Linear(dim → hidden_dim), ReLU, `num_blocks` ResidualBlocks of width hidden_dim with
    inner width hidden_dim // 2, then Linear(hidden_dim → num_classes): logits from (batch, dim).
    """
    return nn.Sequential(
        nn.Linear(dim, hidden_dim),
        nn.ReLU(),
        *[
            ResidualBlock(hidden_dim, hidden_dim // 2, norm=norm, drop_prob=drop_prob)
            for _ in range(num_blocks)
        ],
        nn.Linear(hidden_dim, num_classes),
    )


def MLP(dim: int, hidden: int, num_classes: int) -> nn.Sequential:
    """Linear(dim → hidden), ReLU, Linear(hidden → num_classes): one hidden layer, with biases."""
    return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))


def _scaled_normal(fan_in: int, fan_out: int) -> nn.Parameter:
    # Literally the note's formula (divide, then float32), so its numbers are reproduced exactly.
    return nn.Parameter(np.random.randn(fan_in, fan_out) / np.sqrt(fan_out), dtype="float32")


class TwoLayerNet(nn.Module):
    """The seed loop's network: logits = relu(X·W₁)·W₂, no biases.

    W₁ (dim, hidden) and W₂ (hidden, num_classes) are float32 Parameters drawn as in the note's
    setup, `np.random.randn(fan_in, fan_out) / √fan_out`, W₁ first.
    """

    def __init__(self, dim: int, hidden: int, num_classes: int) -> None:
        super().__init__()
        self.W1 = _scaled_normal(dim, hidden)
        self.W2 = _scaled_normal(hidden, num_classes)

    def forward(self, X: Tensor) -> Tensor:
        return ops.relu(X @ self.W1) @ self.W2
