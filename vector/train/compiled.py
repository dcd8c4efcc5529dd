"""Training through `vector.compile`: `epoch` with each step replayed from an adjoint program.

    train_error, train_loss = compiled_epoch(train_loader, model, opt)

The same pass as `vector.train.loop.epoch` in training mode, and the same numbers: the step
function (the model's softmax loss of a batch, against one-hot labels made as `nn.SoftmaxLoss`
makes them) is traced once per batch shape, and every later batch runs its program. The
parameters are read afresh each step and receive their gradients in `.grad`, so the optimiser is
the usual one. Models whose steps cannot be replayed (Dropout, BatchNorm1d) are refused by
`vector.compile` when traced; `python -m vector.train --compile` refuses them up front.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Sized

import numpy as np

import vector
from vector import Tensor, init, nn, ops, optim
from vector.compile import Compiled
from vector.train.loop import NUM_CLASSES, Diverged, Progress

__all__ = ["NOT_COMPILABLE", "compiled_epoch"]

NOT_COMPILABLE = {
    "mlp-resnet": "its Dropout draws new random numbers and its BatchNorm1d updates running "
    "statistics at every training step, which a replayed program would repeat or skip",
}
"""The models `--compile` refuses, and why."""


_steps: weakref.WeakKeyDictionary[nn.Module, Compiled] = weakref.WeakKeyDictionary()
"""Each model's compiled step, kept from one epoch to the next (its programs with it)."""


def compiled_epoch(
    loader: Iterable[tuple[Tensor, ...]],
    model: nn.Module,
    opt: optim.Optimizer,
    *,
    progress: Progress | None = None,
    num_classes: int = NUM_CLASSES,
) -> tuple[float, float]:
    """One training pass over `loader` with compiled steps: (error rate, mean softmax loss)."""
    model.train()
    step = _steps.get(model)
    if step is None:

        def loss_of(X: Tensor, Y: Tensor) -> tuple[Tensor, Tensor]:
            logits = model(X)
            return ops.softmax_loss(logits, Y), logits

        step = _steps[model] = vector.compile(loss_of, has_aux=True)
    total = len(loader) if isinstance(loader, Sized) else 0
    errors = 0
    loss_sum = 0.0
    count = 0
    for done, (X, y) in enumerate(loader, start=1):
        images = X.numpy() if isinstance(X, Tensor) else np.asarray(X)
        images = images.reshape(images.shape[0], -1)
        labels = y.numpy() if isinstance(y, Tensor) else np.asarray(y)
        # the one-hot rows nn.SoftmaxLoss makes: in the logits' dtype
        dtype = np.result_type(images.dtype, *[p.dtype for p in model.parameters()])
        Y = init.one_hot(num_classes, labels, dtype=dtype)
        opt.reset_grad()
        value, _, (logits,) = step(
            Tensor(images, requires_grad=False), Tensor(Y.numpy(), requires_grad=False)
        )
        loss_value = float(value)
        if not math.isfinite(loss_value):
            opt.reset_grad()
            raise Diverged(done, total, loss_value)
        opt.step()
        n = labels.shape[0]
        errors += int(np.count_nonzero(logits.argmax(axis=1) != labels))
        loss_sum += loss_value * n
        count += n
        if progress is not None:
            progress(done, total)
    opt.reset_grad()
    if count == 0:
        raise ValueError("compiled_epoch: the loader produced no examples")
    return errors / count, loss_sum / count
