"""Training the vector engine's networks on Fashion-MNIST or MNIST.

    from vector.train import build_model, build_optimizer, epoch
    error, loss = epoch(train_loader, model, opt)  # one training pass
    error, loss = epoch(test_loader, model)  # one evaluation pass

Four modules, each readable on its own:

- `vector.train.loop`: `epoch` (needle's hw2 loop), `build_model`, `build_optimizer`, `Diverged`;
- `vector.train.checkpoint`: `save_model` and `load_model` (`.npz` files);
- `vector.train.compiled`: `compiled_epoch`, the same epoch through `vector.compile` (`--compile`);
- `vector.train.cli`: the command `python -m vector.train` (options, rows, CSV log, threads).
"""

from vector.train.checkpoint import CheckpointError, load_model, save_model
from vector.train.cli import main
from vector.train.loop import (
    MODELS,
    NUM_CLASSES,
    OPTIMIZERS,
    Diverged,
    build_model,
    build_optimizer,
    epoch,
)

__all__ = [
    "MODELS",
    "NUM_CLASSES",
    "OPTIMIZERS",
    "CheckpointError",
    "Diverged",
    "build_model",
    "build_optimizer",
    "epoch",
    "load_model",
    "main",
    "save_model",
]
