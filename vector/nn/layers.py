"""Linear, Flatten, the activations and Dropout."""

from __future__ import annotations

from typing import Any

from vector import init, ops
from vector.autograd import Tensor
from vector.device import Device
from vector.nn.module import Module, Parameter

__all__ = ["Dropout", "Flatten", "Linear", "ReLU", "Sigmoid", "Tanh"]


class Linear(Module):
    """f(X) = X·W + b, with W of shape (in_features, out_features) and b of shape (1, out_features)
    broadcast over the rows.

    As in needle, W is drawn first by `init.kaiming_uniform(in_features, out_features)`, then b by
    `init.kaiming_uniform(out_features, 1)` reshaped to (1, out_features), so the same seed gives
    needle's numbers. X may have leading batch axes: (..., in_features) → (..., out_features).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Device | None = None,
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(
            init.kaiming_uniform(in_features, out_features, device=device, dtype=dtype)
        )
        self.bias: Parameter | None = None
        if bias:
            b = init.kaiming_uniform(out_features, 1, device=device, dtype=dtype)
            self.bias = Parameter(b.numpy().reshape(1, out_features))

    def forward(self, X: Tensor) -> Tensor:
        out = X @ self.weight
        if self.bias is not None:
            # The (1, out_features) bias broadcasts over the rows, as numpy does (needle's
            # elementwise add does not broadcast, so needle writes broadcast_to here).
            out = out + self.bias
        return out


class Flatten(Module):
    """f(X) = X reshaped to (X.shape[0], product of the other axes): one row per example."""

    def forward(self, X: Tensor) -> Tensor:
        shape = X.shape
        size = 1
        for n in shape[1:]:
            size *= n
        return X.reshape((shape[0], size))


class ReLU(Module):
    """f(x) = max(x, 0), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(x)


class Tanh(Module):
    """f(x) = tanh x, elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh(x)


class Sigmoid(Module):
    """f(x) = 1 / (1 + e⁻ˣ), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.sigmoid(x)


class Dropout(Module):
    """Training: f(x) = x·mask / (1 − p) with mask ~ Bernoulli(1 − p) drawn per element by
    `init.randb` (one `np.random.rand` call per forward), so each element is zeroed with
    probability p and the expected output is x. Evaluation: f(x) = x.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)  # a numpy float64 p would promote float32 activations to float64

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        mask = init.randb(*x.shape, p=1.0 - self.p, dtype=x.dtype).numpy()
        if self.p < 1.0:  # with everything dropped, 1/(1 − p) would turn the zeros into NaN
            mask = mask / (1.0 - self.p)
        # mask/(1 − p) is one constant array, so the layer records one node
        return x * Tensor.make_const(mask)
