"""python -m vector.train and vector.train.epoch, on small generated IDX files (and a
2 000-image Fashion-MNIST subset when Debian's package is installed)."""

import csv
import io
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits
from vector_helpers import REPO, noisy_prototypes

import vector as ndl
from vector import models, nn, optim, train
from vector.data import FASHION_MNIST_DIR, MNIST_FILENAMES, DataLoader, NDArrayDataset
from vector.train import cli
from vector.train.cli import TerminalProgress


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = train.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _options(folder: Path, *extra: str) -> list[str]:
    return [
        "--data-dir",
        str(folder),
        "--model",
        "mlp-resnet",
        "--hidden",
        "16",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--batch-size",
        "50",
        *extra,
    ]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_cli_prints_rows_and_writes_the_csv(mnist_dir: Path, tmp_path: Path, capsys) -> None:
    log = tmp_path / "log.csv"
    code, out, err = _cli(capsys, *_options(mnist_dir, "--epochs", "3", "--log", str(log)))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == [
        *("epoch", "train", "loss", "train", "err"),
        *("test", "loss", "test", "err", "seconds"),
    ]
    assert len(lines) == 4 and [line.split()[0] for line in lines[1:]] == ["1", "2", "3"]
    assert "\r" not in out and "\r" not in err  # stderr is no terminal here: no progress line
    assert (
        log.read_text().splitlines()[0]
        == "epoch,train_loss,train_error,test_loss,test_error,seconds"
    )
    rows = _rows(log)
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    for row, line in zip(rows, lines[1:], strict=True):
        _, train_loss, train_error, test_loss, test_error, seconds = line.split()
        assert float(train_loss) == pytest.approx(float(row["train_loss"]), abs=1e-4)
        assert float(train_error[:-1]) == pytest.approx(100 * float(row["train_error"]), abs=0.01)
        assert float(test_loss) == pytest.approx(float(row["test_loss"]), abs=1e-4)
        assert float(test_error[:-1]) == pytest.approx(100 * float(row["test_error"]), abs=0.01)
        assert float(seconds) == pytest.approx(float(row["seconds"]), abs=0.06)
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    assert sorted(os.listdir(tmp_path)) == ["log.csv"], "temporary files are renamed into place"


def test_same_seed_same_numbers(mnist_dir: Path, tmp_path: Path, capsys) -> None:
    runs = {}
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        log = tmp_path / f"{name}.csv"
        code, _, err = _cli(
            capsys, *_options(mnist_dir, "--epochs", "2", "--seed", seed, "--log", str(log))
        )
        assert code == 0, err
        runs[name] = [{k: v for k, v in r.items() if k != "seconds"} for r in _rows(log)]
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]


def test_save_then_load_gives_the_same_test_loss(mnist_dir: Path, tmp_path: Path, capsys) -> None:
    saved, log1, log2 = tmp_path / "model.npz", tmp_path / "1.csv", tmp_path / "2.csv"
    code, _, err = _cli(
        capsys, *_options(mnist_dir, "--epochs", "2", "--save", str(saved), "--log", str(log1))
    )
    assert code == 0, err
    with np.load(saved) as archive:
        assert "modules.0.weight" in archive.files
        assert any(name.endswith("running_var") for name in archive.files)
    code, out, err = _cli(
        capsys,
        *_options(
            mnist_dir, "--epochs", "0", "--load", str(saved), "--seed", "9", "--log", str(log2)
        ),
    )
    assert code == 0, err
    assert out.splitlines()[1].split()[0] == "0"
    assert _rows(log2)[0]["test_loss"] == _rows(log1)[-1]["test_loss"]
    assert _rows(log2)[0]["test_error"] == _rows(log1)[-1]["test_error"]


def test_load_mismatch_is_one_clear_line(mnist_dir: Path, tmp_path: Path, capsys) -> None:
    saved = tmp_path / "model.npz"
    assert _cli(capsys, *_options(mnist_dir, "--epochs", "1", "--save", str(saved)))[0] == 0
    argv = _options(mnist_dir, "--epochs", "1", "--load", str(saved))
    argv[argv.index("16")] = "12"
    code, out, err = _cli(capsys, *argv)
    assert code == 2
    assert "epoch" not in out
    message = err.strip().splitlines()[-1]
    assert message.startswith("python -m vector.train: --load")
    assert "modules.0.weight is (36, 16) but the model has (36, 12)" in message
    assert message.endswith("(it was saved with --hidden 16; this run has --hidden 12)")
    code, _, err = _cli(capsys, *_options(mnist_dir, "--load", str(tmp_path / "none.npz")))
    assert code == 2 and "no such file" in err
    (tmp_path / "junk.npz").write_text("not a zip")
    code, _, err = _cli(capsys, *_options(mnist_dir, "--load", str(tmp_path / "junk.npz")))
    assert code == 2 and "not a saved model" in err


def test_missing_dataset_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vector.train", "--data-dir", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "sudo apt-get install dataset-fashion-mnist" in lines[0] and "--data-dir" in lines[0]


def test_bad_options_exit_2(mnist_dir: Path, capsys) -> None:
    code, _, err = _cli(capsys, *_options(mnist_dir, "--momentum", "0.9"))
    assert code == 2 and "--momentum applies to --optimizer sgd only" in err
    code, _, err = _cli(capsys, "--data-dir", str(mnist_dir), "--save", "/no/such/dir/m.npz")
    assert code == 2 and "does not exist" in err
    code, _, err = _cli(capsys, "--model", "cnn")
    assert code == 2 and len(err.splitlines()) == 1 and "invalid choice: 'cnn'" in err
    code, _, err = _cli(capsys, "--threads", "0")
    assert code == 2 and len(err.splitlines()) == 1
    assert "--threads: must be at least 1, got 0" in err


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.mark.parametrize(("extra", "threads"), [((), 1), (("--threads", "2"), 2)])
def test_threads_option_sets_the_blas_threads_during_the_run(
    mnist_dir: Path, capsys, monkeypatch, extra: tuple[str, ...], threads: int
) -> None:
    seen: list[list[int]] = []

    def recording_epoch(*args, **kwargs):
        seen.append(_blas_threads())
        return train.epoch(*args, **kwargs)

    before = _blas_threads()
    assert before, "numpy's BLAS is not visible to threadpoolctl"
    with threadpool_limits(limits=3, user_api="blas"):  # neither the default nor the option
        monkeypatch.setattr(cli, "epoch", recording_epoch)
        code, _, err = _cli(capsys, *_options(mnist_dir, "--epochs", "1", *extra))
        assert code == 0, err
        assert f"; {threads} BLAS thread" in err
        assert seen and all(pools == [threads] * len(before) for pools in seen), seen
        assert _blas_threads() == [3] * len(before)  # restored when the run ends
    assert _blas_threads() == before


DIVERGED = re.compile(
    r"python -m vector\.train: training diverged in epoch 1 at batch [1-6] of 6: "
    r"the loss is (nan|inf|-inf); try a lower --lr than 1e\+09; "
    r"--save (?P<save>\S+) was not written"
)


def test_divergence_stops_with_one_line_and_keeps_the_saved_model(
    mnist_dir: Path, tmp_path: Path
) -> None:
    saved, log = tmp_path / "model.npz", tmp_path / "log.csv"
    saved.write_bytes(b"a model saved earlier")
    argv = ["--data-dir", str(mnist_dir), "--model", "two-layer", "--hidden", "16"]
    argv += ["--lr", "1e9", "--batch-size", "50", "--epochs", "3"]
    argv += ["--save", str(saved), "--log", str(log)]
    result = subprocess.run(
        [sys.executable, "-m", "vector.train", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [cli.HEADER]  # no row of nan
    described, stopped = result.stderr.splitlines()  # the run's description, then why it ended
    assert described.startswith("fashion-mnist: 300 train / 100 test; two-layer")
    match = DIVERGED.fullmatch(stopped)
    assert match and match["save"] == str(saved), stopped
    assert "Warning" not in result.stderr  # numpy's RuntimeWarnings are not printed
    assert saved.read_bytes() == b"a model saved earlier"
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no log rows, no temporary files


def test_a_diverging_resume_leaves_the_loaded_file_as_it_was(
    mnist_dir: Path, tmp_path: Path, capsys
) -> None:
    saved = tmp_path / "model.npz"
    argv = ["--data-dir", str(mnist_dir), "--model", "mlp-resnet", "--hidden", "16"]
    argv += ["--batch-size", "50", "--save", str(saved)]
    assert _cli(capsys, *argv, "--epochs", "1")[0] == 0
    before = saved.read_bytes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = _cli(capsys, *argv, "--load", str(saved), "--lr", "1e9", "--epochs", "2")
    assert code == 1
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert out.splitlines() == [cli.HEADER]
    assert err.splitlines()[-1].startswith("python -m vector.train: training diverged in epoch 1")
    assert saved.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_a_non_finite_test_loss_stops_the_run_too(
    mnist_dir: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """The last step of an epoch can make the weights non-finite with every training loss
    finite; the test loss shows it, and the run stops before saving that epoch."""
    evaluations = []

    def epoch_whose_second_test_is_nan(loader, model, opt=None, **kwargs):
        error, loss = train.epoch(loader, model, opt, **kwargs)
        if opt is None:
            evaluations.append(loss)
            if len(evaluations) == 2:
                return error, float("nan")
        return error, loss

    monkeypatch.setattr(cli, "epoch", epoch_whose_second_test_is_nan)
    saved, log = tmp_path / "model.npz", tmp_path / "log.csv"
    argv = _options(mnist_dir, "--epochs", "3", "--save", str(saved), "--log", str(log))
    code, out, err = _cli(capsys, *argv)
    assert code == 1
    assert len(out.splitlines()) == 2  # the header and epoch 1
    assert err.splitlines()[-1] == (
        "python -m vector.train: training diverged in epoch 2 at its last batch: the test loss "
        f"is nan; try a lower --lr than 0.01; --save {saved} still holds epoch 1's model"
    )
    assert [row["epoch"] for row in _rows(log)] == ["1"]
    with np.load(saved) as archive:
        assert all(np.isfinite(archive[name]).all() for name in archive.files if name != "_meta")


def test_epoch_raises_diverged_before_the_step_that_would_spread_the_nan() -> None:
    steps = []

    class CountingSGD(optim.SGD):
        def step(self) -> None:
            steps.append(len(steps) + 1)
            super().step()

    np.random.seed(0)
    model = models.TwoLayerNet(5, 8, 3)
    opt = CountingSGD(model.parameters(), lr=1e9)
    loader = DataLoader(_blobs(200, 2), batch_size=10)
    with np.errstate(all="ignore"):
        with pytest.raises(train.Diverged) as info:
            train.epoch(loader, model, opt)
        error, _ = train.epoch(loader, model)  # evaluating reports what it finds, raising nothing
    assert 0 <= error <= 1
    stop = info.value
    assert isinstance(stop, FloatingPointError)
    assert stop.batches == 20 and 1 < stop.batch <= 20
    assert not np.isfinite(stop.loss)
    assert steps == list(range(1, stop.batch))  # every batch before it stepped, it did not
    assert str(stop) == f"the training loss is {stop.loss} at batch {stop.batch} of 20"


def _blobs(n: int, seed: int) -> NDArrayDataset:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n).astype(np.uint8)
    X = rng.normal(0, 1, (n, 5)).astype(np.float32) + 2 * np.eye(3, 5, dtype=np.float32)[y]
    return NDArrayDataset(X, y)


def test_epoch_trains_and_evaluates() -> None:
    np.random.seed(0)
    model = models.MLPResNet(5, hidden_dim=8, num_blocks=1, num_classes=3)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(_blobs(90, 0), batch_size=20, shuffle=True)
    first_error, first_loss = train.epoch(loader, model, opt)
    assert model.training and all(m.training for m in model._children())
    for _ in range(5):
        error, loss = train.epoch(loader, model, opt)
    assert loss < first_loss and error <= first_error
    norm = model.modules[2].modules[0].fn.modules[1]
    before = norm.running_mean.numpy().copy()
    weights = [p.numpy().copy() for p in model.parameters()]
    live = ndl.Tensor.live
    eval_error, eval_loss = train.epoch(loader, model)
    assert not model.training and not any(m.training for m in model._children())
    np.testing.assert_array_equal(norm.running_mean.numpy(), before)
    for p, w in zip(model.parameters(), weights, strict=True):
        np.testing.assert_array_equal(p.numpy(), w)
        assert p.grad is None
    assert ndl.Tensor.live == live
    assert 0 <= eval_error <= 1 and np.isfinite(eval_loss)


def test_epoch_weights_the_mean_loss_by_batch_size() -> None:
    data = _blobs(25, 1)
    np.random.seed(1)
    model = models.MLP(5, 4, 3)
    error, loss = train.epoch(DataLoader(data, batch_size=10), model)  # batches 10, 10, 5
    X, y = (ndl.Tensor(a, requires_grad=False) for a in data.arrays)
    whole_loss = float(nn.SoftmaxLoss()(model(X), y).numpy())
    whole_error = float(np.mean(model(X).numpy().argmax(axis=1) != data.arrays[1]))
    assert loss == pytest.approx(whole_loss, rel=1e-5)
    assert error == pytest.approx(whole_error)
    X3d = data.arrays[0].reshape(25, 5, 1)
    numpy_batches = [(X3d[:10], data.arrays[1][:10]), (X3d[10:], data.arrays[1][10:])]
    assert train.epoch(numpy_batches, model) == pytest.approx((error, loss), rel=1e-5)


def test_progress_line_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    progress = TerminalProgress(tty)
    progress.label = "train 1/2"
    progress(1, 3)
    progress(3, 3)
    progress.clear()
    assert tty.getvalue().startswith("\r[train 1/2] batch 1/3")
    assert "batch 3/3" in tty.getvalue()
    plain = io.StringIO()
    quiet = TerminalProgress(plain)
    quiet(1, 3)
    quiet.clear()
    assert plain.getvalue() == ""


def _short_run(X: np.ndarray, y: np.ndarray) -> list[float]:
    np.random.seed(0)
    model = models.MLP(X.shape[1], 100, 10)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(NDArrayDataset(X, y), batch_size=100, shuffle=True)
    _, before = train.epoch(loader, model)
    losses = [before]
    for _ in range(3):
        train.epoch(loader, model, opt)
        losses.append(train.epoch(loader, model)[1])
    return losses


def test_short_training_on_fashion_mnist_lowers_the_loss() -> None:
    if not (FASHION_MNIST_DIR / MNIST_FILENAMES[0]).exists():
        pytest.skip(
            f"Fashion-MNIST is not installed in {FASHION_MNIST_DIR} "
            "(sudo apt-get install dataset-fashion-mnist); the generated-data test still runs"
        )
    from vector.data import load_fashion_mnist

    X, y, _, _ = load_fashion_mnist()
    losses = _short_run(X[:2000], y[:2000])
    assert losses[-1] < 0.75 * losses[0], losses
    assert losses[-1] < 1.0


def test_short_training_on_generated_images_lowers_the_loss() -> None:
    images, labels = noisy_prototypes(np.random.default_rng(5), 2000, 28)
    losses = _short_run(images.reshape(2000, -1).astype(np.float32) / 255, labels)
    assert losses[-1] < 0.5 * losses[0], losses


def test_checkpoint_errors_name_the_file_and_what_differs(tmp_path: Path) -> None:
    saved = tmp_path / "model.npz"
    np.random.seed(0)
    train.save_model(saved, train.build_model("mlp", 5, 4, 3), {"hidden": 4})
    other = train.build_model("mlp", 5, 6, 3)
    with pytest.raises(train.CheckpointError) as info:
        train.load_model(saved, other, {"hidden": 6})
    assert info.value.differences == {"hidden": (4, 6)}
    assert str(info.value).startswith(f"{saved}: ")
    assert str(info.value).endswith("(saved with hidden=4; this model has hidden=6)")
    with pytest.raises(FileNotFoundError):
        train.load_model(tmp_path / "none.npz", other)
    with pytest.raises(ValueError, match=r"momentum 0\.9 applies to SGD only"):
        train.build_optimizer("adam", other.parameters(), 0.1, 0.9, 0.0)
