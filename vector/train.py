"""Train and evaluate the vector engine's networks on Fashion-MNIST or MNIST.

    python -m vector.train --dataset fashion-mnist --model two-layer --hidden 100 \\
        --optimizer sgd --lr 0.1 --batch-size 100 --epochs 10

prints a header and one row per epoch on stdout (train loss and error, test loss and error,
seconds); a progress line goes to stderr when it is a terminal. `--log PATH` keeps the rows as
CSV, `--save PATH`/`--load PATH` keep the model's tensors (parameters and BatchNorm running
statistics) in an `.npz` file. With `--epochs 0` the (loaded) model is only evaluated, in one row
numbered 0. `--seed` seeds numpy's global generator before the model is built, so initial
weights, shuffling and dropout — and therefore every number printed — repeat exactly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from vector import models, nn, optim
from vector.autograd import Tensor, no_grad
from vector.files import atomic_output

__all__ = ["build_model", "build_optimizer", "epoch", "load_model", "main", "save_model"]

MODELS = ("two-layer", "mlp", "mlp-resnet")
OPTIMIZERS = ("sgd", "adam")
NUM_CLASSES = 10  # MNIST and Fashion-MNIST
CSV_HEADER = "epoch,train_loss,train_error,test_loss,test_error,seconds"
_META_KEY = "_meta"

Progress = Callable[[int, int], None]


class UsageError(Exception):
    """A problem the user can fix (missing data, a mismatched checkpoint): one line, exit 2."""


# ------------------------------------------------------------------------------------ training
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
    """
    loss_fn = nn.SoftmaxLoss()
    training = opt is not None
    if training:
        model.train()
    else:
        model.eval()
    total = len(loader) if hasattr(loader, "__len__") else 0
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
            if training:
                opt.reset_grad()
                # The gradient's own graph is only needed for higher-order derivatives.
                loss.backward(create_graph=False)
                opt.step()
            labels = y.numpy() if isinstance(y, Tensor) else np.asarray(y)
            n = labels.shape[0]
            errors += int(np.count_nonzero(logits.numpy().argmax(axis=1) != labels))
            loss_sum += float(loss.numpy()) * n
            count += n
            if progress is not None:
                progress(done, total)
    if training:
        opt.reset_grad()  # don't keep the last batch's gradients alive between epochs
    if count == 0:
        raise ValueError("epoch: the loader produced no examples")
    return errors / count, loss_sum / count


def build_model(name: str, dim: int, hidden: int, num_classes: int = NUM_CLASSES) -> nn.Module:
    """`two-layer` (the founding note's relu(X·W₁)·W₂), `mlp` (Linear-ReLU-Linear) or
    `mlp-resnet` (needle's MLPResNet with hidden_dim=hidden), for inputs of `dim` features."""
    if name == "two-layer":
        return models.TwoLayerNet(dim, hidden, num_classes)
    if name == "mlp":
        return models.MLP(dim, hidden, num_classes)
    if name == "mlp-resnet":
        return models.MLPResNet(dim, hidden, num_classes=num_classes)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


def build_optimizer(
    name: str, params: Iterable[Tensor], lr: float, momentum: float, weight_decay: float
) -> optim.Optimizer:
    """SGD (with needle's damped momentum) or Adam (default betas), with L2 weight decay."""
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        if momentum:
            raise UsageError("--momentum applies to --optimizer sgd only (Adam has beta1 = 0.9)")
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


# ------------------------------------------------------------------------------------- files
def save_model(path: str | os.PathLike[str], model: nn.Module, meta: dict[str, Any]) -> None:
    """Save every tensor of `model` (`Module.state_dict`) and `meta` to the `.npz` file `path`."""
    arrays = dict(model.state_dict())
    arrays[_META_KEY] = np.array(json.dumps(meta, sort_keys=True))
    with atomic_output(Path(path)) as out:
        np.savez(out, **arrays)


def load_model(
    path: str | os.PathLike[str], model: nn.Module, meta: dict[str, Any] | None = None
) -> None:
    """Load the tensors saved by `save_model` into `model`.

    Raises UsageError with one line naming the file and every mismatched name or shape (and,
    when the file records them, the options it was saved with next to this run's `meta`).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            state = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise UsageError(f"--load {path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise UsageError(f"--load {path}: not a saved model (.npz): {error}") from None
    saved_meta: dict[str, Any] = {}
    if _META_KEY in state:
        with contextlib.suppress(ValueError, TypeError):
            saved_meta = json.loads(str(state.pop(_META_KEY)))
    try:
        model.load_state_dict(state)
    except ValueError as error:
        hint = ""
        differ = sorted(k for k in (meta or {}) if k in saved_meta and saved_meta[k] != meta[k])
        if differ:
            saved = " ".join(f"--{k} {saved_meta[k]}" for k in differ)
            this = " ".join(f"--{k} {meta[k]}" for k in differ)
            hint = f" (it was saved with {saved}; this run has {this})"
        raise UsageError(f"--load {path}: {error}{hint}") from None


class CSVLog:
    """The rows so far as CSV at `path`, rewritten (temporary file, rename) after each epoch."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lines = [CSV_HEADER]

    def add(self, row: Sequence[float]) -> None:
        epoch_number, train_loss, train_error, test_loss, test_error, seconds = row
        self.lines.append(
            f"{int(epoch_number)},{train_loss:.6f},{train_error:.6f},{test_loss:.6f},"
            f"{test_error:.6f},{seconds:.3f}"
        )
        text = "\n".join(self.lines) + "\n"
        with atomic_output(self.path) as out:
            out.write(text.encode())


# ------------------------------------------------------------------------------------ output
_COLUMNS = (("epoch", 5), ("train loss", 10), ("train err", 9), ("test loss", 9))
_COLUMNS += (("test err", 8), ("seconds", 7))
HEADER = "  ".join(f"{title:>{width}}" for title, width in _COLUMNS)


def format_row(row: Sequence[float]) -> str:
    epoch_number, train_loss, train_error, test_loss, test_error, seconds = row
    return (
        f"{int(epoch_number):>5}  {train_loss:>10.4f}  {100 * train_error:>8.2f}%  "
        f"{test_loss:>9.4f}  {100 * test_error:>7.2f}%  {seconds:>7.1f}"
    )


class TerminalProgress:
    """`[train 1/10] batch 120/600` on stderr, redrawn in place with `\\r` at most ten times a
    second; silent when stderr is not a terminal, so logs and pipes stay clean."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.label = ""
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.last < 0.1 and done != total):
            return
        self.last = now
        of = f"/{total}" if total else ""
        self.stream.write(f"\r[{self.label}] batch {done}{of}")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()


# --------------------------------------------------------------------------------------- CLI
def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also rejects NaN
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults in --help, except the absent ones ("default: None" says nothing)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m vector.train",
        description="Train a network of adjoint's vector engine on Fashion-MNIST or MNIST.",
        formatter_class=_Help,
    )
    add = parser.add_argument
    add("--dataset", choices=("fashion-mnist", "mnist"), default="fashion-mnist", help="data")
    add(
        "--data-dir",
        metavar="DIR",
        help="folder with the four IDX files (fashion-mnist default: "
        "/usr/share/datasets/fashion-mnist; mnist downloads missing files into it)",
    )
    add("--model", choices=MODELS, default="two-layer", help="network")
    add("--hidden", type=_positive_int, default=100, help="hidden width")
    add("--optimizer", choices=OPTIMIZERS, default="sgd", help="update rule")
    add("--lr", type=_non_negative_float, default=0.1, help="learning rate")
    add("--momentum", type=_non_negative_float, default=0.0, help="SGD momentum")
    add("--weight-decay", type=_non_negative_float, default=0.0, help="L2 weight decay")
    add("--batch-size", type=_positive_int, default=100, help="examples per step")
    add("--epochs", type=_non_negative_int, default=10, help="0: only evaluate")
    add("--seed", type=int, default=0, help="numpy seed (weights, shuffling, dropout)")
    add(
        "--no-shuffle",
        dest="shuffle",
        action="store_false",
        help="train on the batches in file order, as the founding note's loop does",
    )
    add("--save", metavar="PATH", help="save the model (.npz) after each epoch")
    add("--load", metavar="PATH", help="start from a model saved by --save")
    add("--log", metavar="PATH", help="write the rows as CSV")
    args = parser.parse_args(argv)
    if args.model == "mlp-resnet" and args.hidden < 2:
        parser.error("--model mlp-resnet needs --hidden 2 or more (its blocks use hidden // 2)")
    if not 0 <= args.seed < 2**32:
        parser.error(f"--seed must be in 0..2**32-1, got {args.seed}")
    return args


def _check_writable(option: str, path: str | None) -> None:
    # Fail before a long run rather than after its first epoch.
    if path is not None and not Path(path).resolve().parent.is_dir():
        raise UsageError(f"{option} {path}: folder {Path(path).resolve().parent} does not exist")


def _load_data(args: argparse.Namespace) -> tuple[Any, Any]:
    from vector import data  # imported here: only the CLI needs the data sources

    try:
        return data.load_datasets(args.dataset, args.data_dir)
    except (OSError, ValueError) as error:  # missing, malformed or undownloadable files
        raise UsageError(str(error)) from None


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> None:
    """Train and evaluate as `args` say, writing rows to `out` and notes to `err`."""
    from vector.data import DataLoader

    _check_writable("--save", args.save)
    _check_writable("--log", args.log)
    train_set, test_set = _load_data(args)
    dim = train_set.images.shape[1]
    meta = {"dataset": args.dataset, "model": args.model, "hidden": args.hidden}

    np.random.seed(args.seed)
    model = build_model(args.model, dim, args.hidden)
    if args.load:
        load_model(args.load, model, meta)
    opt = build_optimizer(
        args.optimizer, model.parameters(), args.lr, args.momentum, args.weight_decay
    )
    n_params = sum(p.size for p in model.parameters())
    print(
        f"{args.dataset}: {len(train_set)} train / {len(test_set)} test; {args.model} "
        f"({n_params} parameters); {args.optimizer} lr {args.lr}, batch {args.batch_size}",
        file=err,
    )

    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=args.shuffle)
    test_loader = DataLoader(test_set, batch_size=args.batch_size, shuffle=False)
    log = CSVLog(args.log) if args.log else None
    progress = TerminalProgress(err)
    print(HEADER, file=out, flush=True)

    def report(row: tuple[float, ...]) -> None:
        progress.clear()
        print(format_row(row), file=out, flush=True)
        if log is not None:
            log.add(row)
        if args.save:
            save_model(args.save, model, meta)

    if args.epochs == 0:
        start = time.perf_counter()
        progress.label = "evaluate train"
        train_error, train_loss = epoch(train_loader, model, progress=progress)
        progress.label = "evaluate test"
        test_error, test_loss = epoch(test_loader, model, progress=progress)
        report((0, train_loss, train_error, test_loss, test_error, time.perf_counter() - start))
        return
    for number in range(1, args.epochs + 1):
        start = time.perf_counter()
        progress.label = f"train {number}/{args.epochs}"
        train_error, train_loss = epoch(train_loader, model, opt, progress=progress)
        progress.label = f"test {number}/{args.epochs}"
        test_error, test_loss = epoch(test_loader, model, progress=progress)
        seconds = time.perf_counter() - start
        report((number, train_loss, train_error, test_loss, test_error, seconds))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run(args, sys.stdout, sys.stderr)
    except UsageError as error:
        print(f"python -m vector.train: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # writing --save or --log failed part-way
        print(f"python -m vector.train: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
