"""`python -m vector.train`: options, the printed rows, the CSV log, and BLAS threads.

    python -m vector.train --dataset fashion-mnist --model two-layer --hidden 100 \\
        --optimizer sgd --lr 0.1 --batch-size 100 --epochs 10

prints a header and one row per epoch on stdout (train loss and error, test loss and error,
seconds); a progress line goes to stderr when it is a terminal. `--log PATH` keeps the rows as
CSV, `--save PATH`/`--load PATH` keep the model's tensors (parameters and BatchNorm running
statistics) in an `.npz` file. With `--epochs 0` the (loaded) model is only evaluated, in one row
numbered 0. `--seed` seeds numpy's global generator before the model is built, so initial
weights, shuffling and dropout — and therefore every number printed — repeat exactly.

BLAS runs on `--threads` threads (default 1, set through threadpoolctl for this run only): these
matrices are small, and BLAS threads competing for a busy machine's cores cost far more than they
give. A loss that stops being finite ends the run with one line naming the epoch and the batch,
exit status 1, and `--save` left as the last good epoch wrote it.

The loop itself is `vector.train.loop`; saving and loading are `vector.train.checkpoint`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

import numpy as np
from threadpoolctl import threadpool_limits

from vector.files import atomic_output, destination, output_problem
from vector.train.checkpoint import CheckpointError, load_model, save_model
from vector.train.compiled import NOT_COMPILABLE, compiled_epoch
from vector.train.loop import (
    MODELS,
    NUM_CLASSES,
    OPTIMIZERS,
    Diverged,
    build_model,
    build_optimizer,
    epoch,
    tensor_count,
)

__all__ = [
    "CSV_HEADER",
    "HEADER",
    "CSVLog",
    "TerminalProgress",
    "format_row",
    "main",
    "parse_args",
    "run",
]

CSV_HEADER = "epoch,train_loss,train_error,test_loss,test_error,seconds"


class UsageError(Exception):
    """A problem the user can fix (missing data, a mismatched checkpoint): one line, exit 2."""


class DivergedRun(Exception):
    """The loss stopped being finite: one line saying where and what to try, exit 1."""


# ------------------------------------------------------------------------------------ output
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


_COLUMNS: tuple[tuple[str, int], ...] = (
    *(("epoch", 5), ("train loss", 10), ("train err", 9)),
    *(("test loss", 9), ("test err", 8), ("seconds", 7)),
)
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


# ----------------------------------------------------------------------------------- options
# Each option is checked as it is parsed, so that a typo ends the command at once, in one line.
def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):  # inf and nan would only end the run as "diverged" later
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _learning_rate(text: str) -> float:
    value = _finite(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _momentum(text: str) -> float:
    value = _finite(text)
    if not 0 <= value < 1:  # at 1 the damped update u = m·u + (1-m)·g never sees a gradient
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = _finite(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _path(text: str) -> str:
    if text == "":
        raise argparse.ArgumentTypeError("the path is empty (an unset shell variable?)")
    return text


class _Parser(argparse.ArgumentParser):
    """argparse, with each error in one line: what is wrong and where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (--help lists the options)\n")


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults in --help, except the absent ones ("default: None" says nothing)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m vector.train",
        description="Train a network of adjoint's vector engine on Fashion-MNIST or MNIST.",
        formatter_class=_Help,
    )
    add = parser.add_argument
    add("--dataset", choices=("fashion-mnist", "mnist"), default="fashion-mnist", help="data")
    add(
        "--data-dir",
        metavar="DIR",
        type=_path,
        help="folder with the four IDX files (fashion-mnist default: "
        "/usr/share/datasets/fashion-mnist; mnist downloads missing files into it)",
    )
    add("--model", choices=MODELS, default="two-layer", help="network")
    add("--hidden", type=_positive_int, default=100, help="hidden width")
    add("--optimizer", choices=OPTIMIZERS, default="sgd", help="update rule")
    add("--lr", type=_learning_rate, default=0.1, help="learning rate")
    add("--momentum", type=_momentum, default=0.0, help="SGD momentum, in [0, 1)")
    add("--weight-decay", type=_non_negative_float, default=0.0, help="L2 weight decay")
    add("--batch-size", type=_positive_int, default=100, help="examples per step")
    add("--epochs", type=_non_negative_int, default=10, help="0: only evaluate")
    add("--seed", type=_integer, default=0, help="numpy seed (weights, shuffling, dropout)")
    add(
        "--no-shuffle",
        dest="shuffle",
        action="store_false",
        help="train on the batches in file order, as the seed loop does",
    )
    add("--threads", type=_positive_int, default=1, help="BLAS threads for the matrix products")
    add("--save", metavar="PATH", type=_path, help="save the model (.npz) after each epoch")
    add("--load", metavar="PATH", type=_path, help="start from a model saved by --save")
    add("--log", metavar="PATH", type=_path, help="write the rows as CSV")
    add("--compile", action="store_true", help="train through vector.compile's programs")
    args = parser.parse_args(argv)
    if args.model == "mlp-resnet" and args.hidden < 2:
        parser.error("--model mlp-resnet needs --hidden 2 or more (its blocks use hidden // 2)")
    if not 0 <= args.seed < 2**32:
        parser.error(f"--seed must be in 0..2**32-1, got {args.seed}")
    if args.optimizer == "adam" and args.momentum:
        parser.error("--momentum applies to --optimizer sgd only (Adam has beta1 = 0.9)")
    return args


# ------------------------------------------------------------------------------------- a run
def _check_paths(args: argparse.Namespace) -> None:
    """Refuse, before anything runs, an output that cannot be written or that would destroy a
    file: another output, the checkpoint being loaded, or a data file, however each is spelled
    (relative, `./`, through a symbolic link). Resuming into the loaded file (`--load X --save
    X`) is fine: the load comes first, and the save replaces the file whole."""
    outputs = [(option, path) for option, path in (("--save", args.save), ("--log", args.log))]
    outputs = [(option, path) for option, path in outputs if path is not None]
    if args.load is not None:
        if not Path(args.load).exists():
            raise UsageError(f"--load {args.load}: no such file")
        if not Path(args.load).is_file():
            raise UsageError(f"--load {args.load}: not a saved model (it is no regular file)")
    for option, path in outputs:
        problem = output_problem(path)
        if problem is not None:
            raise UsageError(f"{option} {path}: {problem}")
    if args.save is not None and args.log is not None and _same_file(args.save, args.log):
        raise UsageError(
            f"--save {args.save} and --log {args.log} are the same file; "
            "the log would overwrite the model"
        )
    for option, path in outputs:
        if option == "--log" and args.load is not None and _same_file(path, args.load):
            raise UsageError(
                f"--log {path} is the file --load reads ({args.load}); "
                "writing the log there would destroy the model"
            )
        for data_file in _data_file_names(args):
            if _same_file(path, data_file):
                raise UsageError(
                    f"{option} {path} is the data file {data_file}; writing there would destroy it"
                )


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether writing `a` would replace the file `b` (links followed; hard links too)."""
    if destination(a) == destination(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def _data_file_names(args: argparse.Namespace) -> list[Path]:
    """Every path the data may be read from (each file compressed or not), existing or not."""
    from vector.data import FASHION_MNIST_DIR, MNIST_FILENAMES

    if args.data_dir is None and args.dataset != "fashion-mnist":
        return []
    folder = Path(args.data_dir) if args.data_dir is not None else FASHION_MNIST_DIR
    return [folder / n for name in MNIST_FILENAMES for n in (name, name.removesuffix(".gz"))]


def _sizes(args: argparse.Namespace) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The (N, rows, columns) the training and test image files declare, read from their
    headers only (MNIST's missing files are downloaded first)."""
    from vector.data import fashion_mnist_files, mnist_files
    from vector.data.idx import read_idx_header

    if args.dataset == "mnist" and args.data_dir is None:
        raise UsageError("MNIST needs --data-dir DIR; missing files are downloaded there")
    try:
        if args.dataset == "fashion-mnist":
            files = fashion_mnist_files(args.data_dir)
        else:
            files = mnist_files(args.data_dir)
        train_dims, _ = read_idx_header(files.train_images)
        test_dims, _ = read_idx_header(files.test_images)
    except (OSError, ValueError) as error:  # missing, malformed or undownloadable files
        raise UsageError(str(error)) from None
    for path, dims in ((files.train_images, train_dims), (files.test_images, test_dims)):
        if len(dims) != 3:
            shape = "×".join(map(str, dims))
            raise UsageError(
                f"{path}: expected images of shape (N, rows, columns) but the header declares "
                f"{len(dims)} dimension(s): {shape}"
            )
    return train_dims, test_dims


def physical_memory() -> int:
    """Bytes of memory this machine has (what `--hidden` and the data must fit in)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_estimate(
    args: argparse.Namespace, train_dims: tuple[int, ...], test_dims: tuple[int, ...]
) -> tuple[int, str]:
    """A rough lower bound of the bytes a run needs, and what it counts, in words.

    float32 throughout: the model's numbers four times (values, gradients, and Adam's two
    moment buffers), every image twice (the bytes read and the float32 copy trained on), and
    the activations of one batch (64 arrays of batch × the widest layer, forward and backward).
    """
    n_train, rows, columns = train_dims
    dim = rows * columns
    numbers = tensor_count(args.model, dim, args.hidden)
    model = 16 * numbers
    images = 5 * dim * (n_train + test_dims[0])
    batch = min(args.batch_size, max(n_train, 1))
    activations = 4 * 64 * batch * max(dim, args.hidden, NUM_CLASSES)
    what = (
        f"{numbers} model numbers, {n_train + test_dims[0]} images of {rows}×{columns}, "
        f"batches of {batch}"
    )
    return model + images + activations, what


def _gib(size: int) -> str:
    return f"{size / 2**30:.1f} GiB"


def _check_memory(args: argparse.Namespace, sizes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    needed, what = memory_estimate(args, *sizes)
    have = physical_memory()
    if needed > have:
        raise UsageError(
            f"this run needs at least {_gib(needed)} of memory ({what}), more than this "
            f"machine's {_gib(have)}; try a smaller --hidden or --batch-size"
        )


def _load_data(args: argparse.Namespace) -> tuple[Any, Any]:
    from vector import data  # imported here: only a run needs the data sources

    try:
        return data.load_datasets(args.dataset, args.data_dir)
    except (OSError, ValueError) as error:  # missing, malformed or undownloadable files
        raise UsageError(str(error)) from None


def _load(args: argparse.Namespace, model: Any, meta: dict[str, Any]) -> None:
    try:
        load_model(args.load, model, meta)
    except FileNotFoundError:
        raise UsageError(f"--load {args.load}: no such file") from None
    except OSError as error:
        raise UsageError(f"--load {args.load}: cannot be read ({error.strerror})") from None
    except CheckpointError as error:
        hint = ""
        if error.differences:
            saved = " ".join(f"--{k} {old}" for k, (old, _) in error.differences.items())
            this = " ".join(f"--{k} {new}" for k, (_, new) in error.differences.items())
            hint = f" (it was saved with {saved}; this run has {this})"
        raise UsageError(f"--load {args.load}: {error.reason}{hint}") from None


def _diverged(args: argparse.Namespace, number: int, where: str, what: str) -> DivergedRun:
    """The one line that ends a diverging run, naming where, what, and what to try."""
    if not args.save:
        kept = ""
    elif number == 1:
        kept = f"; --save {args.save} was not written"
    else:
        kept = f"; --save {args.save} still holds epoch {number - 1}'s model"
    return DivergedRun(
        f"training diverged in epoch {number} {where}: {what}; "
        f"try a lower --lr than {args.lr:g}{kept}"
    )


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> None:
    """Train and evaluate as `args` say, writing rows to `out` and notes to `err`."""
    with threadpool_limits(limits=args.threads, user_api="blas"):
        _run(args, out, err)


def _run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> None:
    from vector.data import DataLoader

    if args.compile and args.model in NOT_COMPILABLE:
        why = NOT_COMPILABLE[args.model]
        raise UsageError(f"--compile cannot train {args.model}: {why}; train it without --compile")
    # Everything that can be checked is checked before the data is read or a step is taken:
    # options (parse_args), then paths, then the sizes the data files declare, then --load.
    _check_paths(args)
    sizes = _sizes(args)
    _check_memory(args, sizes)
    meta = {"dataset": args.dataset, "model": args.model, "hidden": args.hidden}
    np.random.seed(args.seed)
    (_, rows, columns), _ = sizes
    model = build_model(args.model, rows * columns, args.hidden)
    if args.load:
        _load(args, model, meta)
    train_set, test_set = _load_data(args)
    opt = build_optimizer(
        args.optimizer, model.parameters(), args.lr, args.momentum, args.weight_decay
    )
    n_params = sum(p.size for p in model.parameters())
    threads = f"{args.threads} BLAS thread{'s' if args.threads > 1 else ''}"
    print(
        f"{args.dataset}: {len(train_set)} train / {len(test_set)} test; {args.model} "
        f"({n_params} parameters); {args.optimizer} lr {args.lr}, batch {args.batch_size}; "
        f"{threads}",
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

    # Every loss is checked (below and in `epoch`), so numpy's overflow warnings on the way to a
    # nan would only repeat, less precisely, the one line a diverging run ends with.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
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
            try:
                train = compiled_epoch if args.compile else epoch
                train_error, train_loss = train(train_loader, model, opt, progress=progress)
            except Diverged as stop:
                progress.clear()
                of = f" of {stop.batches}" if stop.batches else ""
                where = f"at batch {stop.batch}{of}"
                raise _diverged(args, number, where, f"the loss is {stop.loss}") from None
            progress.label = f"test {number}/{args.epochs}"
            test_error, test_loss = epoch(test_loader, model, progress=progress)
            if not math.isfinite(test_loss):
                # The epoch's last step turned finite weights into non-finite ones.
                progress.clear()
                where = "at its last batch"
                raise _diverged(args, number, where, f"the test loss is {test_loss}")
            seconds = time.perf_counter() - start
            report((number, train_loss, train_error, test_loss, test_error, seconds))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (default: the process's); return its exit status."""
    try:
        args = parse_args(argv)
    except SystemExit as stop:  # --help, or an option refused in one line (status 2)
        return stop.code if isinstance(stop.code, int) else 2
    try:
        run(args, sys.stdout, sys.stderr)
    except UsageError as error:
        print(f"python -m vector.train: {error}", file=sys.stderr)
        return 2
    except DivergedRun as error:
        print(f"python -m vector.train: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # writing --save or --log failed part-way
        print(f"python -m vector.train: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0
