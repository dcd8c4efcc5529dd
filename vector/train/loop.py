"""The training loop: one pass over the data, and the models and optimisers it trains.

    model = build_model("mlp-resnet", dim=784, hidden=100)
    opt = build_optimizer("adam", model.parameters(), lr=0.001, momentum=0, weight_decay=0)
    train_error, train_loss = epoch(train_loader, model, opt)  # trains
    test_error, test_loss = epoch(test_loader, model)  # evaluates

`epoch` is needle's hw2 `epoch`: softmax loss, one optimiser step per batch, error rate and mean
loss over the examples. It stops at the first batch whose training loss is not finite (raising
`Diverged`) instead of carrying on with `nan` weights.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Sized

import numpy as np

from vector import Tensor, models, nn, no_grad, optim

__all__ = [
    "MODELS",
    "NUM_CLASSES",
    "OPTIMIZERS",
    "Diverged",
    "build_model",
    "build_optimizer",
    "epoch",
    "tensor_count",
]

MODELS = ("two-layer", "mlp", "mlp-resnet")
OPTIMIZERS = ("sgd", "adam")
NUM_CLASSES = 10  # MNIST and Fashion-MNIST

Progress = Callable[[int, int], None]


class Diverged(FloatingPointError):
    """The training loss of batch `batch` (counted from 1, of `batches`; 0 when the loader has no
    length) is `loss`, which is not finite; that batch took no optimiser step."""

    def __init__(self, batch: int, batches: int, loss: float) -> None:
        self.batch = batch
        self.batches = batches
        self.loss = loss
        of = f" of {batches}" if batches else ""
        super().__init__(f"the training loss is {loss} at batch {batch}{of}")


def epoch(
    loader: Iterable[tuple[Tensor, ...]],
    model: nn.Module,
    opt: optim.Optimizer | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[float, float]:
    """One pass over `loader`: (error rate, mean softmax loss), both averaged over examples.

    With `opt`, the model is in training mode and takes one optimiser step per batch; without
    it, the model is evaluated (eval mode, no graph recorded). Batches are `(X, y)`; X with more
    than two axes is flattened to one row per example. `progress(done, total)` is called after
    each batch (total is 0 when the loader has no length).

    Raises Diverged when training meets a loss that is nan or infinite, before that batch's step:
    every later step would only spread the nan through the weights.
    """
    loss_fn = nn.SoftmaxLoss()
    training = opt is not None
    if training:
        model.train()
    else:
        model.eval()
    total = len(loader) if isinstance(loader, Sized) else 0
    errors = 0
    loss_sum = 0.0
    count = 0
    with contextlib.nullcontext() if training else no_grad():
        for done, (X, y) in enumerate(loader, start=1):
            if not isinstance(X, Tensor):
                X = Tensor(X, requires_grad=False)
            if X.ndim > 2:
                X = X.reshape((X.shape[0], -1))
            logits = model(X)
            loss = loss_fn(logits, y)
            loss_value = float(loss.numpy())  # a scalar: checking it costs nothing
            if opt is not None:
                if not math.isfinite(loss_value):
                    raise Diverged(done, total, loss_value)
                opt.reset_grad()
                # The gradient's own graph is only needed for higher-order derivatives.
                loss.backward(create_graph=False)
                opt.step()
            labels = y.numpy() if isinstance(y, Tensor) else np.asarray(y)
            n = labels.shape[0]
            errors += int(np.count_nonzero(logits.numpy().argmax(axis=1) != labels))
            loss_sum += loss_value * n
            count += n
            if progress is not None:
                progress(done, total)
    if opt is not None:
        opt.reset_grad()  # don't keep the last batch's gradients alive between epochs
    if count == 0:
        raise ValueError("epoch: the loader produced no examples")
    return errors / count, loss_sum / count


def build_model(name: str, dim: int, hidden: int, num_classes: int = NUM_CLASSES) -> nn.Module:
    """`two-layer` (the seed loop's relu(X·W₁)·W₂), `mlp` (Linear-ReLU-Linear) or
    `mlp-resnet` (needle's MLPResNet with hidden_dim=hidden), for inputs of `dim` features."""
    if name == "two-layer":
        return models.TwoLayerNet(dim, hidden, num_classes)
    if name == "mlp":
        return models.MLP(dim, hidden, num_classes)
    if name == "mlp-resnet":
        return models.MLPResNet(dim, hidden, num_classes=num_classes)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


def tensor_count(name: str, dim: int, hidden: int, num_classes: int = NUM_CLASSES) -> int:
    """How many numbers `build_model(name, dim, hidden, num_classes)` holds (parameters and
    BatchNorm running statistics), computed without building it: for sizing a run up front."""
    if name == "two-layer":
        return dim * hidden + hidden * num_classes
    if name == "mlp":
        return dim * hidden + hidden + hidden * num_classes + num_classes
    if name == "mlp-resnet":
        inner = hidden // 2
        # Each block: Linear(h, h/2), BatchNorm(h/2), Linear(h/2, h), BatchNorm(h); a BatchNorm
        # holds weight, bias, running mean and running variance.
        block = (hidden * inner + inner) + 4 * inner + (inner * hidden + hidden) + 4 * hidden
        ends = dim * hidden + hidden + hidden * num_classes + num_classes
        return ends + 3 * block
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


def build_optimizer(
    name: str, params: Iterable[Tensor], lr: float, momentum: float, weight_decay: float
) -> optim.Optimizer:
    """SGD (with needle's damped momentum) or Adam (default betas), with L2 weight decay."""
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        if momentum:
            raise ValueError(
                f"momentum {momentum} applies to SGD only; Adam's beta1 (0.9) plays that part"
            )
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
