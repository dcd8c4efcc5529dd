"""python -m vector.train under bad input: every case ends in one line on stderr and exit status
2 before any epoch runs, and no file is lost — not the checkpoint, not the data, not the log."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from vector_helpers import REPO

from vector import train
from vector.data import write_idx
from vector.files import OutputPathError, atomic_output
from vector.train import cli

UP = os.pardir  # the parent folder, spelled as a user would type it

MODEL = ["--model", "mlp-resnet", "--hidden", "16", "--optimizer", "adam", "--lr", "0.01"]


@pytest.fixture
def epochs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every call of the training loop's `epoch` made by the command (none, when refused)."""
    calls: list[object] = []

    def counting_epoch(loader, model, opt=None, **kwargs):
        calls.append(opt)
        return train.epoch(loader, model, opt, **kwargs)

    monkeypatch.setattr(cli, "epoch", counting_epoch)
    return calls


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = train.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys: pytest.CaptureFixture[str], epochs: list[object], *argv: str) -> str:
    """Run the command expecting a refusal; return its one line (without the program name)."""
    code, out, err = _run(capsys, *argv)
    assert code == 2, err
    assert out == ""  # not even the header of the rows
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("python -m vector.train: "), lines
    assert epochs == []
    return lines[0].removeprefix("python -m vector.train: ")


def _data(mnist_dir: Path, folder: Path) -> Path:
    shutil.copytree(mnist_dir, folder)
    return folder


# --- outputs that would destroy a file -----------------------------------------------------------


def test_save_and_log_onto_the_same_file_are_refused(
    mnist_dir: Path, tmp_path: Path, capsys, epochs, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link.npz").symlink_to(tmp_path / "out.npz")
    for save, log in (("out.npz", "out.npz"), ("out.npz", "./out.npz"), ("link.npz", "out.npz")):
        line = _refused(capsys, epochs, "--data-dir", str(mnist_dir), "--save", save, "--log", log)
        assert line == (
            f"--save {save} and --log {log} are the same file; the log would overwrite the model"
        )
    assert sorted(os.listdir(tmp_path)) == ["link.npz"]


def _checkpoint(mnist_dir: Path, path: Path, capsys) -> bytes:
    code, _, err = _run(capsys, "--data-dir", str(mnist_dir), *MODEL, "--epochs", "1",
                        "--save", str(path))  # fmt: skip
    assert code == 0, err
    return path.read_bytes()


def test_log_onto_the_loaded_checkpoint_is_refused_however_spelled(
    mnist_dir: Path, tmp_path: Path, capsys, epochs, monkeypatch
) -> None:
    saved = tmp_path / "m.npz"
    before = _checkpoint(mnist_dir, saved, capsys)
    epochs.clear()
    (tmp_path / "sub").mkdir()
    (tmp_path / "alias.npz").symlink_to(saved)
    os.link(saved, tmp_path / "hard.npz")
    monkeypatch.chdir(tmp_path / "sub")
    for load, log in (
        (str(saved), str(saved)),
        (f"{UP}/m.npz", f"./{UP}/m.npz"),
        (str(saved), f"{UP}/alias.npz"),
        (f"{UP}/alias.npz", str(saved)),
        (str(saved), f"{UP}/hard.npz"),
    ):
        argv = ["--data-dir", str(mnist_dir), *MODEL, "--load", load, "--log", log]
        line = _refused(capsys, epochs, *argv)
        assert line.startswith(f"--log {log} is the file --load reads ({load})"), line
    assert saved.read_bytes() == before
    assert (tmp_path / "alias.npz").is_symlink()


def test_outputs_onto_a_data_file_are_refused_however_spelled(
    mnist_dir: Path, tmp_path: Path, capsys, epochs, monkeypatch
) -> None:
    data = _data(mnist_dir, tmp_path / "data")
    labels = data / "train-labels-idx1-ubyte.gz"
    before = labels.read_bytes()
    (tmp_path / "labels.gz").symlink_to(labels)
    monkeypatch.chdir(tmp_path)
    for option, path in (
        ("--log", "data/train-labels-idx1-ubyte.gz"),
        ("--log", "./data/../data/train-labels-idx1-ubyte.gz"),
        ("--save", "labels.gz"),
        ("--save", "data/t10k-images-idx3-ubyte"),  # the decompressed twin would be read too
    ):
        line = _refused(capsys, epochs, "--data-dir", "data", option, path)
        assert line.startswith(f"{option} {path} is the data file data/"), line
    assert labels.read_bytes() == before


def test_resuming_into_the_loaded_checkpoint_still_works(
    mnist_dir: Path, tmp_path: Path, capsys, epochs
) -> None:
    saved = tmp_path / "m.npz"
    before = _checkpoint(mnist_dir, saved, capsys)
    argv = ["--data-dir", str(mnist_dir), *MODEL, "--epochs", "1"]
    code, out, err = _run(capsys, *argv, "--load", str(saved), "--save", str(saved))
    assert code == 0, err
    assert len(out.splitlines()) == 2
    assert saved.read_bytes() != before
    assert _run(capsys, *argv, "--load", str(saved), "--epochs", "0")[0] == 0


def test_outputs_are_written_through_symlinks(mnist_dir: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "real").mkdir()
    model, log = tmp_path / "real" / "model.npz", tmp_path / "real" / "log.csv"
    model.write_bytes(b"an older model")
    (tmp_path / "model.npz").symlink_to(model)
    (tmp_path / "log.csv").symlink_to("real/log.csv")  # relative and dangling until written
    argv = ["--data-dir", str(mnist_dir), *MODEL, "--epochs", "1"]
    argv += ["--save", str(tmp_path / "model.npz"), "--log", str(tmp_path / "log.csv")]
    code, _, err = _run(capsys, *argv)
    assert code == 0, err
    assert (tmp_path / "model.npz").is_symlink() and (tmp_path / "log.csv").is_symlink()
    assert log.read_text().startswith("epoch,train_loss")
    with np.load(model) as archive:
        assert "modules.0.weight" in archive.files
    assert sorted(os.listdir(tmp_path / "real")) == ["log.csv", "model.npz"]


def test_folders_devices_and_pipes_are_never_replaced(
    mnist_dir: Path, tmp_path: Path, capsys, epochs, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "dirlink").symlink_to(tmp_path)
    cases = [
        (".", "is a folder"),
        (str(tmp_path), "is a folder"),
        ("dirlink", "is a folder"),
        ("pipe", "is no regular file"),
        (os.devnull, "is no regular file"),
    ]
    for option in ("--save", "--log"):
        for path, why in cases:
            line = _refused(capsys, epochs, "--data-dir", str(mnist_dir), option, path)
            assert line.startswith(f"{option} {path}: {why}"), line
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)
    for path, why in cases:
        with pytest.raises(OutputPathError, match=why), atomic_output(path) as out:
            out.write(b"never")
    assert sorted(os.listdir(tmp_path)) == ["dirlink", "pipe"]


@pytest.mark.parametrize("option", ["--save", "--load", "--log", "--data-dir"])
def test_an_empty_path_is_refused(mnist_dir: Path, capsys, epochs, option: str) -> None:
    argv = ["--data-dir", str(mnist_dir), option, ""]
    line = _refused(capsys, epochs, *argv)
    assert line.startswith(f"argument {option}: the path is empty (an unset shell variable?)")


def test_mnist_without_a_data_folder_is_refused(capsys, epochs) -> None:
    line = _refused(capsys, epochs, "--dataset", "mnist")
    assert line == "MNIST needs --data-dir DIR; missing files are downloaded there"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_unwritable_output_folder_is_refused_naming_the_path(
    mnist_dir: Path, capsys, epochs
) -> None:
    # /proc takes no new files, even from root (for whom permission bits do not count)
    line = _refused(capsys, epochs, "--data-dir", str(mnist_dir), "--log", "/proc/log.csv")
    assert line.startswith("--log /proc/log.csv: cannot write in /proc ("), line
    refused = pytest.raises(OutputPathError, match=r"^/proc/m\.npz: cannot write in /proc \(")
    with refused, atomic_output("/proc/m.npz") as out:
        out.write(b"never")


def test_a_missing_output_folder_is_refused(mnist_dir: Path, tmp_path: Path, capsys, epochs):
    path = tmp_path / "no" / "m.npz"
    line = _refused(capsys, epochs, "--data-dir", str(mnist_dir), "--save", str(path))
    assert line == f"--save {path}: folder {tmp_path / 'no'} does not exist"


# --- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--lr", "inf", "must be a finite number, got inf"),
        ("--lr", "nan", "must be a finite number, got nan"),
        ("--lr", "0", "must be above 0, got 0"),
        ("--lr", "-0.1", "must be above 0, got -0.1"),
        ("--lr", "fast", "expected a number, got 'fast'"),
        ("--momentum", "inf", "must be a finite number, got inf"),
        ("--momentum", "1", "must be in [0, 1), got 1"),
        ("--momentum", "-0.5", "must be in [0, 1), got -0.5"),
        ("--weight-decay", "inf", "must be a finite number, got inf"),
        ("--weight-decay", "-0.001", "must be 0 or more, got -0.001"),
        ("--hidden", "1e3", "expected a whole number, got '1e3'"),
        ("--epochs", "-1", "must be 0 or more, got -1"),
    ],
)
def test_bad_option_values_are_one_line(
    mnist_dir: Path, capsys, epochs, option: str, value: str, expected: str
) -> None:
    line = _refused(capsys, epochs, "--data-dir", str(mnist_dir), option, value)
    assert line == f"argument {option}: {expected} (--help lists the options)"


def test_a_model_too_large_for_memory_is_refused_with_the_estimate(
    mnist_dir: Path, capsys, epochs
) -> None:
    line = _refused(capsys, epochs, "--data-dir", str(mnist_dir), "--hidden", "100000000")
    have = f"{cli.physical_memory() / 2**30:.1f} GiB"
    match = re.match(r"this run needs at least ([0-9.]+) GiB of memory \(", line)
    assert match, line
    # two-layer: 36·h + 10·h numbers, 16 bytes each at least (values, gradients, Adam's two)
    assert float(match[1]) * 2**30 >= 16 * 46 * 10**8
    assert "(4600000000 model numbers, 400 images of 6×6, batches of 100)" in line
    assert line.endswith(f"more than this machine's {have}; try a smaller --hidden or --batch-size")


def test_the_memory_estimate_counts_the_model_exactly() -> None:
    for name in train.MODELS:
        for dim, hidden in ((7, 5), (36, 16)):
            model = train.build_model(name, dim, hidden)
            held = sum(t.realize_cached_data().size for _, t in model.named_tensors())
            assert train.loop.tensor_count(name, dim, hidden) == held


# --- checkpoints ---------------------------------------------------------------------------------


def _entry(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _declared(shape: tuple[int, ...], dtype: str = "<f4", data: bytes = b"") -> bytes:
    """A .npy entry whose header declares `shape` but that holds only `data`."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def _archive(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(f"{name}.npy", content)
    return path


def _state() -> dict[str, bytes]:
    """The entries of a checkpoint of MODEL on the 6×6 images of `mnist_dir`."""
    np.random.seed(0)
    model = train.build_model("mlp-resnet", 36, 16)
    return {name: _entry(array) for name, array in model.state_dict().items()}


def _plain_npy(path: Path) -> Path:
    with open(path, "wb") as file:  # np.save(path) would add ".npy" to the name
        np.save(file, np.zeros((36, 16), np.float32))
    return path


STRUCTURED = np.zeros((36, 16), dtype=[("a", "<f4"), ("b", "<i2")])

CHECKPOINTS = {
    "empty": lambda path: path.write_bytes(b"") or path,
    "plain-npy": _plain_npy,
    "folder": lambda path: path.mkdir() or path,
    "zip-of-text": lambda path: zipfile.ZipFile(path, "w").writestr("a.txt", "hello") or path,
    "declares-1e12-values": lambda path: _archive(
        path, {**_state(), "modules.0.weight": _declared((10**6, 10**6))}
    ),
    "structured-dtype": lambda path: _archive(
        path, {**_state(), "modules.0.weight": _entry(STRUCTURED)}
    ),
    "object-dtype": lambda path: _archive(
        path, {**_state(), "modules.0.bias": _entry(np.array([[None] * 16], dtype=object))}
    ),
    "huge-extra-entry": lambda path: _archive(
        path, {**_state(), "extra": _declared((2**40,), "<f8", bytes(1000))}
    ),
    "huge-options": lambda path: _archive(
        path, {**_state(), "_meta": _declared((), "<U100000000")}
    ),
    "not-finite": lambda path: _archive(
        path, {**_state(), "modules.0.bias": _entry(np.full((1, 16), np.nan, np.float32))}
    ),
    "truncated-entry": lambda path: _archive(
        path, {**_state(), "modules.0.weight": _declared((36, 16), data=bytes(100))}
    ),
}

REASONS = {
    "empty": "not a saved model (.npz archive): File is not a zip file",
    "plain-npy": "not a saved model (.npz archive): File is not a zip file",
    "folder": "not a saved model (it is no regular file)",
    "zip-of-text": "not a saved model (.npz): entry 'a.txt' is no array saved by numpy",
    "declares-1e12-values": "state does not match the model: "
    "modules.0.weight is (1000000, 1000000) but the model has (36, 16)",
    "structured-dtype": "not a saved model (.npz): entry modules.0.weight holds "
    "[('a', '<f4'), ('b', '<i2')] values, not numbers",
    "object-dtype": "not a saved model (.npz): entry modules.0.bias holds object values, "
    "not numbers",
    "huge-extra-entry": "state does not match the model: unexpected extra",
    "huge-options": "not a saved model (.npz): entry _meta declares 400000000 bytes of options",
    "not-finite": "not a saved model (.npz): entry modules.0.bias holds values that are not "
    "finite (nan or inf)",
    "truncated-entry": "not a saved model (.npz): ",
}


@pytest.mark.parametrize("kind", CHECKPOINTS)
def test_a_malformed_checkpoint_is_one_line(
    mnist_dir: Path, tmp_path: Path, capsys, epochs, kind: str
) -> None:
    path = CHECKPOINTS[kind](tmp_path / "bad.npz")
    argv = ["--data-dir", str(mnist_dir), *MODEL, "--load", str(path), "--save", str(path)]
    line = _refused(capsys, epochs, *argv)
    assert line.startswith(f"--load {path}: {REASONS[kind]}"), line
    assert len(line) < 300


def test_load_model_changes_nothing_unless_every_array_is_good(tmp_path: Path) -> None:
    np.random.seed(0)
    model = train.build_model("mlp", 5, 4, 3)
    before = {name: array.copy() for name, array in model.state_dict().items()}
    names = list(before)
    np.random.seed(1)
    other = train.build_model("mlp", 5, 4, 3).state_dict()
    for bad in (
        np.full((1, 4), np.inf, np.float32),
        np.zeros((1, 4), np.complex64),
        np.zeros((1, 4), dtype=[("x", "<f4")]),
        np.array([["a"] * 4]),
    ):
        # the first entry is fine (and different), the second is not
        entries = {names[0]: _entry(other[names[0]]), names[1]: _entry(bad)}
        entries |= {name: _entry(other[name]) for name in names[2:]}
        path = _archive(tmp_path / "half.npz", entries)
        with pytest.raises(train.CheckpointError, match=names[1]):
            train.load_model(path, model)
        for name, array in model.state_dict().items():
            np.testing.assert_array_equal(array, before[name])
    # and the same file made whole loads, converted to the model's dtype
    path = _archive(tmp_path / "whole.npz", {n: _entry(other[n].astype(np.float64)) for n in names})
    train.load_model(path, model)
    for name, array in model.state_dict().items():
        assert array.dtype == np.float32
        np.testing.assert_array_equal(array, other[name])


# --- data files ----------------------------------------------------------------------------------


def _dataset(folder: Path, **arrays: np.ndarray) -> Path:
    """A data folder of small valid files, with `arrays` replacing some (by prefix_kind)."""
    rng = np.random.default_rng(0)
    files = {
        "train_images": rng.integers(0, 256, (20, 6, 6), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, 20, dtype=np.uint8),
        "t10k_images": rng.integers(0, 256, (8, 6, 6), dtype=np.uint8),
        "t10k_labels": rng.integers(0, 10, 8, dtype=np.uint8),
    } | arrays
    folder.mkdir()
    for key, array in files.items():
        prefix, kind = key.split("_")
        suffix = "idx3-ubyte.gz" if kind == "images" else "idx1-ubyte.gz"
        write_idx(folder / f"{prefix}-{kind}-{suffix}", array)
    return folder


DATASETS = {
    "train-label-12": (
        {"train_labels": np.array([3] * 19 + [12], np.uint8)},
        "train-labels-idx1-ubyte.gz: 1 label(s) outside 0..9 (the first is 12, at index 19); "
        "this dataset has 10 classes",
    ),
    "test-label-negative": (
        {"t10k_labels": np.array([-1, 2, 3, 4, 5, 6, 7, -3], np.int8)},
        "t10k-labels-idx1-ubyte.gz: 2 label(s) outside 0..9 (the first is -1, at index 0)",
    ),
    "test-images-14x14": (
        {"t10k_images": np.zeros((8, 14, 14), np.uint8)},
        "t10k-images-idx3-ubyte.gz: images are 14×14 but the training images ",
    ),
    "no-train-examples": (
        {"train_images": np.zeros((0, 6, 6), np.uint8), "train_labels": np.zeros(0, np.uint8)},
        "train-images-idx3-ubyte.gz: holds 0 images; at least one example is needed",
    ),
    "images-0x0": (
        {"train_images": np.zeros((20, 0, 0), np.uint8)},
        "train-images-idx3-ubyte.gz: images of 0×0 pixels hold nothing",
    ),
    "images-1d": (
        {"train_images": np.zeros(20, np.uint8)},
        "train-images-idx3-ubyte.gz: expected images of shape (N, rows, columns) but the header "
        "declares 1 dimension(s): 20",
    ),
    "images-float": (
        {"train_images": np.zeros((20, 6, 6), np.float32)},
        "train-images-idx3-ubyte.gz: expected uint8 pixels",
    ),
}


@pytest.mark.parametrize("kind", DATASETS)
def test_a_malformed_data_set_is_one_line_naming_the_file(
    tmp_path: Path, capsys, epochs, kind: str
) -> None:
    arrays, reason = DATASETS[kind]
    folder = _dataset(tmp_path / "data", **arrays)
    line = _refused(capsys, epochs, "--data-dir", str(folder), "--epochs", "1")
    assert line.startswith(f"{folder}/{reason}"), line


def test_a_refusal_is_one_line_in_a_real_process_too(tmp_path: Path) -> None:
    """No traceback, no warning, nothing on stdout: what a shell user sees."""
    bad = _plain_npy(tmp_path / "model.npz")
    result = subprocess.run(
        [sys.executable, "-m", "vector.train", "--load", str(bad), "--log", str(bad)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"python -m vector.train: --log {bad} is the file --load reads ({bad}); "
        "writing the log there would destroy the model\n"
    )
