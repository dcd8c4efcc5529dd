"""SoftmaxLoss: softmax cross-entropy from integer labels."""

from __future__ import annotations

from typing import Any

import numpy as np

from vector import init, ops
from vector.autograd import Tensor
from vector.nn.module import Module

__all__ = ["SoftmaxLoss"]


class SoftmaxLoss(Module):
    """loss(Z, y) = (1/n) Σᵢ [log Σⱼ exp Zᵢⱼ − Zᵢ,yᵢ]: the mean softmax cross-entropy of n rows of
    logits Z (n, k) against integer labels y (n,) in 0..k−1 (a Tensor, array or list).

    The labels become one-hot rows in Z's dtype and go to the fused `ops.softmax_loss`.
    """

    def forward(self, logits: Tensor, y: Any) -> Tensor:
        shape = logits.shape
        if len(shape) != 2:
            raise ValueError(f"SoftmaxLoss: logits must be (batch, classes), got shape {shape}")
        labels = y.realize_cached_data() if isinstance(y, Tensor) else np.asarray(y)
        if labels.shape != (shape[0],):
            raise ValueError(
                f"SoftmaxLoss: expected {shape[0]} integer labels, one per row of the logits "
                f"{shape}, got labels of shape {labels.shape}"
            )
        return ops.softmax_loss(logits, init.one_hot(shape[1], labels, dtype=logits.dtype))
