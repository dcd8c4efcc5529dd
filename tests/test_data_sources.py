"""Fashion-MNIST and MNIST sources; the MNIST download against a local HTTP server.

The server runs on 127.0.0.1 (an OS-chosen port) in a thread of the test process and serves
small generated IDX files; every request has a short timeout and none is retried.
"""

import hashlib
import http.server
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from vector_helpers import write_mnist

from vector.data import (
    DATASETS,
    FASHION_MNIST_DIR,
    MNIST_FILENAMES,
    MNIST_SHA256,
    ChecksumError,
    DownloadError,
    MNISTDataset,
    fashion_mnist_files,
    load_datasets,
    load_fashion_mnist,
    load_mnist,
    mnist_files,
    write_idx,
)
from vector.data.mnist_download import download

TIMEOUT = 5.0


def _contents(folder: Path) -> list[str]:
    """Everything in `folder`, hidden temporaries included; [] when it does not exist."""
    return sorted(os.listdir(folder)) if folder.exists() else []


class Mirror:
    """A local HTTP server for `files` (name -> bytes) that records the paths asked for."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []
        self.truncate: set[str] = set()  # names whose body is cut short mid-transfer
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                mirror.requests.append(self.path)
                body = mirror.files.get(name)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in mirror.truncate:
                    self.wfile.write(body[: len(body) // 3])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep the test output clean

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.base_url = f"http://{host}:{port}/mnist/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> "Mirror":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=TIMEOUT)


@pytest.fixture
def published(tmp_path) -> tuple[dict[str, np.ndarray], dict[str, bytes], dict[str, str]]:
    """A generated 'published' MNIST: arrays, file bytes and SHA-256 digests by file name."""
    arrays = write_mnist(tmp_path / "published")
    files = {name: (tmp_path / "published" / name).read_bytes() for name in arrays}
    digests = {name: hashlib.sha256(body).hexdigest() for name, body in files.items()}
    return arrays, files, digests


@pytest.fixture
def mirror(published) -> Iterator[Mirror]:
    _, files, _ = published
    with Mirror(dict(files)) as server:
        yield server


def _load(data_dir: Path, mirror: Mirror, digests: dict[str, str], **kwargs):
    options = {"base_url": mirror.base_url, "checksums": digests, "timeout": TIMEOUT}
    options["verbose"] = False
    options.update(kwargs)
    return load_mnist(data_dir, **options)


# --- MNIST download ------------------------------------------------------------------------------


def test_download_then_load(tmp_path, published, mirror):
    arrays, files, digests = published
    data_dir = tmp_path / "data" / "mnist"
    X_train, y_train, X_test, y_test = _load(data_dir, mirror, digests)
    assert sorted(mirror.requests) == sorted(f"/mnist/{name}" for name in MNIST_FILENAMES)
    assert _contents(data_dir) == sorted(MNIST_FILENAMES)
    for name in MNIST_FILENAMES:
        assert (data_dir / name).read_bytes() == files[name]
    assert X_train.shape == (12, 784)
    assert X_test.shape == (5, 784)
    assert X_train.dtype == X_test.dtype == np.float32
    assert X_train.min() >= 0.0 and X_train.max() <= 1.0
    np.testing.assert_allclose(
        X_train, arrays["train-images-idx3-ubyte.gz"].reshape(12, -1) / 255.0, rtol=1e-7
    )
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte.gz"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert y_train.dtype == np.uint8


def test_present_files_are_not_downloaded_again(tmp_path, published, mirror):
    _, _, digests = published
    data_dir = tmp_path / "mnist"
    first = _load(data_dir, mirror, digests)
    assert len(mirror.requests) == 4
    second = _load(data_dir, mirror, digests)
    assert len(mirror.requests) == 4
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_only_missing_files_are_downloaded(tmp_path, published, mirror):
    arrays, files, digests = published
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    (data_dir / "train-images-idx3-ubyte.gz").write_bytes(files["train-images-idx3-ubyte.gz"])
    # A decompressed copy counts as present too.
    write_idx(data_dir / "t10k-labels-idx1-ubyte", arrays["t10k-labels-idx1-ubyte.gz"])
    _load(data_dir, mirror, digests)
    assert sorted(mirror.requests) == [
        "/mnist/t10k-images-idx3-ubyte.gz",
        "/mnist/train-labels-idx1-ubyte.gz",
    ]


def test_download_is_announced_on_stderr(tmp_path, published, mirror, capsys):
    _, _, digests = published
    _load(tmp_path / "mnist", mirror, digests, verbose=True)
    err = capsys.readouterr().err
    assert f"downloading {mirror.base_url}train-images-idx3-ubyte.gz to " in err
    assert len(err.splitlines()) == 4


def test_checksum_mismatch_leaves_nothing(tmp_path, published, mirror):
    _, _, digests = published
    wrong = dict(digests)
    wrong["train-images-idx3-ubyte.gz"] = "0" * 64
    data_dir = tmp_path / "mnist"
    with pytest.raises(ChecksumError) as info:
        _load(data_dir, mirror, wrong)
    message = str(info.value)
    assert f"{mirror.base_url}train-images-idx3-ubyte.gz" in message
    assert f"expected SHA-256 {'0' * 64}" in message
    assert f"got {digests['train-images-idx3-ubyte.gz']}" in message
    assert _contents(data_dir) == []
    assert not data_dir.exists()  # the folder this call created is gone again
    assert isinstance(info.value, DownloadError)


def test_late_checksum_mismatch_keeps_only_verified_files(tmp_path, published, mirror):
    _, _, digests = published
    wrong = dict(digests)
    wrong["t10k-labels-idx1-ubyte.gz"] = "f" * 64
    data_dir = tmp_path / "mnist"
    with pytest.raises(ChecksumError, match=r"t10k-labels-idx1-ubyte\.gz"):
        _load(data_dir, mirror, wrong)
    assert _contents(data_dir) == sorted(MNIST_FILENAMES[:3])
    # The next attempt (with the right digest) fetches only the missing file.
    _load(data_dir, mirror, digests)
    assert mirror.requests[-1] == "/mnist/t10k-labels-idx1-ubyte.gz"
    assert len(mirror.requests) == 5


def test_http_404_leaves_nothing(tmp_path, published, mirror):
    _, _, digests = published
    del mirror.files["train-labels-idx1-ubyte.gz"]
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    with pytest.raises(DownloadError) as info:
        _load(data_dir, mirror, digests)
    assert str(info.value) == (
        f"could not download {mirror.base_url}train-labels-idx1-ubyte.gz: HTTP 404 Not Found"
    )
    assert not isinstance(info.value, ChecksumError)
    assert _contents(data_dir) == ["train-images-idx3-ubyte.gz"]  # fetched before the 404


def test_connection_refused_leaves_nothing(tmp_path, published):
    _, _, digests = published
    with socket.socket() as probe:  # a port that nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/mnist/"
    data_dir = tmp_path / "mnist"
    with pytest.raises(DownloadError) as info:
        load_mnist(data_dir, base_url=base_url, checksums=digests, timeout=TIMEOUT, verbose=False)
    assert str(info.value).startswith(f"could not download {base_url}train-images-idx3-ubyte.gz:")
    assert "refused" in str(info.value).lower()
    assert _contents(data_dir) == []


def test_connection_cut_mid_file_leaves_nothing(tmp_path, published, mirror):
    _, _, digests = published
    mirror.truncate.add("train-images-idx3-ubyte.gz")
    data_dir = tmp_path / "mnist"
    with pytest.raises(DownloadError) as info:
        _load(data_dir, mirror, digests)
    length = len(mirror.files["train-images-idx3-ubyte.gz"])
    assert str(info.value) == (
        f"could not download {mirror.base_url}train-images-idx3-ubyte.gz: "
        f"connection closed after {length // 3} of {length} bytes"
    )
    assert _contents(data_dir) == []


def test_no_download_when_not_allowed(tmp_path, published, mirror):
    _, _, digests = published
    with pytest.raises(FileNotFoundError, match=r"lacks train-images-idx3-ubyte\.gz"):
        _load(tmp_path / "mnist", mirror, digests, download=False)
    assert mirror.requests == []


def test_download_needs_a_digest_and_http(tmp_path, published, mirror):
    _, _, digests = published
    partial = {k: v for k, v in digests.items() if not k.startswith("t10k-images")}
    with pytest.raises(ValueError, match=r"no SHA-256 digest given for t10k-images-idx3-ubyte\.gz"):
        _load(tmp_path / "a", mirror, partial)
    with pytest.raises(ValueError, match="must be https://"):
        _load(tmp_path / "b", mirror, digests, base_url="file:///etc/")
    assert mirror.requests == []
    assert _contents(tmp_path / "a") == _contents(tmp_path / "b") == []


def test_real_mnist_digests_are_well_formed():
    assert sorted(MNIST_SHA256) == sorted(MNIST_FILENAMES)
    for digest in MNIST_SHA256.values():
        assert len(digest) == 64
        assert set(digest) <= set("0123456789abcdef")


def test_mnist_files_returns_paths(tmp_path, published, mirror):
    _, _, digests = published
    files = mnist_files(
        tmp_path, base_url=mirror.base_url, checksums=digests, timeout=TIMEOUT, verbose=False
    )
    assert files.train_images == tmp_path / "train-images-idx3-ubyte.gz"
    assert files.test_labels == tmp_path / "t10k-labels-idx1-ubyte.gz"


# --- Fashion-MNIST and load_datasets -------------------------------------------------------------


def test_fashion_mnist_missing_is_one_clear_line(tmp_path):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError) as info:
        fashion_mnist_files(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"Fashion-MNIST not found: {tmp_path} lacks train-labels-idx1")
    assert "train-images-idx3-ubyte.gz," not in message  # that one is there
    assert "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz" in message
    assert "sudo apt-get install dataset-fashion-mnist" in message
    assert "--data-dir" in message


def test_fashion_mnist_from_a_data_dir(tmp_path):
    arrays = write_mnist(tmp_path)
    X_train, y_train, X_test, y_test = load_fashion_mnist(tmp_path)
    assert X_train.shape == (12, 784)
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte.gz"])
    assert X_test.shape == (5, 784)
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])


def test_load_datasets(tmp_path, published, mirror):
    _, _, digests = published
    write_mnist(tmp_path / "fashion", seed=1)
    train, test = load_datasets("fashion-mnist", tmp_path / "fashion", train_transforms=[abs])
    assert isinstance(train, MNISTDataset)
    assert (len(train), len(test)) == (12, 5)
    assert train.transforms == [abs]
    assert test.transforms is None
    train, test = load_datasets(
        "mnist",
        tmp_path / "mnist",
        base_url=mirror.base_url,
        checksums=digests,
        timeout=TIMEOUT,
        verbose=False,
    )
    assert (len(train), len(test)) == (12, 5)
    assert DATASETS == ("fashion-mnist", "mnist")


def test_load_datasets_errors():
    with pytest.raises(ValueError, match="MNIST needs a data directory"):
        load_datasets("mnist")
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'; choose one of fashion-mnist"):
        load_datasets("cifar10")


@pytest.mark.skipif(
    not FASHION_MNIST_DIR.is_dir(),
    reason=f"{FASHION_MNIST_DIR} is absent (sudo apt-get install dataset-fashion-mnist)",
)
def test_real_fashion_mnist():
    X_train, y_train, X_test, y_test = load_fashion_mnist()
    assert X_train.shape == (60000, 784)
    assert X_test.shape == (10000, 784)
    assert X_train.dtype == X_test.dtype == np.float32
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert y_train.dtype == np.uint8
    # Fashion-MNIST is balanced: every one of the ten classes has 6000 / 1000 examples.
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_a_failed_download_leaves_the_destination_as_it_was(tmp_path, published, mirror):
    """`download` on its own: a wrong digest keeps the old file and leaves no temporary."""
    _, files, digests = published
    name = "t10k-labels-idx1-ubyte.gz"
    folder = tmp_path / "mnist"
    folder.mkdir()
    destination = folder / name
    destination.write_bytes(b"the old file")
    with pytest.raises(ChecksumError, match=f"{name} was not saved"):
        download(f"{mirror.base_url}{name}", destination, "0" * 64, TIMEOUT)
    assert destination.read_bytes() == b"the old file"
    assert _contents(folder) == [name]
    assert download(f"{mirror.base_url}{name}", destination, digests[name], TIMEOUT) == destination
    assert destination.read_bytes() == files[name]
    assert _contents(folder) == [name]
