"""Where the real data comes from: Fashion-MNIST from the Debian package, MNIST from a mirror.

Both datasets ship as the same four gzip-compressed IDX files (`MNIST_FILENAMES`). The loaders
return either arrays (`load_fashion_mnist`, `load_mnist`: X float32 (N, 784) in [0, 1], y uint8)
or a (train, test) pair of `MNISTDataset`s (`load_datasets`, what `python -m vector.train` uses).

A data folder may hold each file compressed (`train-images-idx3-ubyte.gz`) or already decompressed
(`train-images-idx3-ubyte`); the reader tells them apart by content.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

from vector.data.datasets import MNISTDataset, Transforms, parse_mnist
from vector.files import atomic_output

__all__ = [
    "DATASETS",
    "FASHION_MNIST_DIR",
    "MNIST_BASE_URL",
    "MNIST_FILENAMES",
    "MNIST_SHA256",
    "ChecksumError",
    "DownloadError",
    "MNISTFiles",
    "fashion_mnist_files",
    "load_datasets",
    "load_fashion_mnist",
    "load_mnist",
    "mnist_files",
]

#: Where Debian's `dataset-fashion-mnist` package installs the four files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: The public MNIST mirror (Google Cloud Storage, CVDF) that TensorFlow Datasets downloads from.
MNIST_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

#: SHA-256 of the four MNIST archives, as recorded by TensorFlow Datasets in
#: tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt (for the URLs under
#: MNIST_BASE_URL; sizes 9912422, 28881, 1648877 and 4542 bytes). The same digests appear in many
#: independent projects that pin these files.
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

#: Names of the datasets `load_datasets` knows, as `python -m vector.train --dataset` spells them.
DATASETS = ("fashion-mnist", "mnist")

# A download larger than this is no MNIST file; stop instead of filling the disk.
_MAX_DOWNLOAD_BYTES = 64 * 2**20
_CHUNK = 2**16


class MNISTFiles(NamedTuple):
    """Paths of the four IDX files of an MNIST-format dataset."""

    train_images: Path
    train_labels: Path
    test_images: Path
    test_labels: Path


#: The file names, in `MNISTFiles` field order; Fashion-MNIST uses the same names.
MNIST_FILENAMES: tuple[str, str, str, str] = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


class DownloadError(OSError):
    """A file could not be fetched: the message names the URL and the reason."""


class ChecksumError(DownloadError):
    """A downloaded file's SHA-256 differs from the expected one; nothing was saved."""


def _find(folder: Path, name: str) -> Path | None:
    """`folder/name`, else its decompressed twin (no `.gz`), else None."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _complete(found: dict[str, Path | None]) -> MNISTFiles:
    return MNISTFiles(*(found[name] for name in MNIST_FILENAMES))


def fashion_mnist_files(data_dir: str | os.PathLike[str] | None = None) -> MNISTFiles:
    """Locate the four Fashion-MNIST files in `data_dir` (default: `FASHION_MNIST_DIR`).

    Raises FileNotFoundError with one line naming the folder, the missing files, and how to get
    them (`sudo apt-get install dataset-fashion-mnist`, or `--data-dir` pointing at a copy).
    """
    folder = FASHION_MNIST_DIR if data_dir is None else Path(data_dir)
    found = {name: _find(folder, name) for name in MNIST_FILENAMES}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST not found: {folder} lacks {', '.join(missing)}; install it with "
            f"`sudo apt-get install dataset-fashion-mnist` (files go to {FASHION_MNIST_DIR}) "
            "or pass --data-dir DIR with those files"
        )
    return _complete(found)


def mnist_files(
    data_dir: str | os.PathLike[str],
    *,
    download: bool = True,
    base_url: str = MNIST_BASE_URL,
    checksums: Mapping[str, str] = MNIST_SHA256,
    timeout: float = 30.0,
    verbose: bool = True,
) -> MNISTFiles:
    """Locate the four MNIST files in `data_dir`, downloading the missing ones if `download`.

    A file already present (compressed or not) is used as it is and never fetched again. A missing
    one is fetched once from `base_url + name` (no retries; `timeout` seconds per network
    operation), its SHA-256 checked against `checksums[name]` while it streams into a temporary
    file in `data_dir`, and only then renamed into place. On any failure that temporary file is
    removed, so `data_dir` holds only complete, verified files (those fetched before the failure
    stay, and are not fetched again next time); `data_dir` itself is created when needed and
    removed again if a failed download leaves it empty. With `verbose`, each download is announced
    on stderr.

    Raises:
        FileNotFoundError: files are missing and `download` is False.
        DownloadError: the server could not be reached or answered with an error (names the URL).
        ChecksumError: a download's digest differs (names the URL, expected and actual digests).
    """
    folder = Path(data_dir)
    found = {name: _find(folder, name) for name in MNIST_FILENAMES}
    missing = [name for name, path in found.items() if path is None]
    if missing and not download:
        raise FileNotFoundError(
            f"MNIST not found: {folder} lacks {', '.join(missing)}; "
            "allow downloading or put those files there"
        )
    if missing:
        _check_url(base_url)
        unknown = [name for name in missing if name not in checksums]
        if unknown:
            raise ValueError(f"no SHA-256 digest given for {', '.join(unknown)}")
        created = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        try:
            for name in missing:
                url = urllib.parse.urljoin(base_url.rstrip("/") + "/", name)
                if verbose:
                    print(f"downloading {url} to {folder}", file=sys.stderr)
                found[name] = _download(url, folder / name, checksums[name], timeout)
        except BaseException:
            if created and not any(folder.iterdir()):
                folder.rmdir()
            raise
    return _complete(found)


def _check_url(base_url: str) -> None:
    scheme = urllib.parse.urlsplit(base_url).scheme
    if scheme not in ("https", "http"):
        raise ValueError(f"MNIST base URL must be https:// (or http://), got {base_url!r}")


def _download(url: str, destination: Path, sha256: str, timeout: float) -> Path:
    """Fetch `url` into `destination` if its SHA-256 is `sha256`; see `mnist_files`."""
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"could not download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DownloadError(f"could not download {url}: {reason}") from exc
    # The temporary file is only created once the server has answered, so a refused connection
    # or an HTTP error never touches the folder.
    with response, atomic_output(destination) as out:
        digest = hashlib.sha256()
        size = 0
        while True:
            try:
                chunk = response.read(_CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise DownloadError(
                    f"could not download {url}: connection failed after {size} bytes ({exc!r})"
                ) from exc
            if not chunk:
                break
            size += len(chunk)
            if size > _MAX_DOWNLOAD_BYTES:
                raise DownloadError(
                    f"could not download {url}: more than {_MAX_DOWNLOAD_BYTES} bytes, "
                    "which is no MNIST file"
                )
            digest.update(chunk)
            out.write(chunk)
        announced = response.headers.get("Content-Length", "")
        if announced.isdigit() and size != int(announced):
            # http.client returns a short body without complaint when the connection drops.
            raise DownloadError(
                f"could not download {url}: connection closed after {size} of {announced} bytes"
            )
        actual = digest.hexdigest()
        if actual != sha256.lower():
            raise ChecksumError(
                f"checksum mismatch for {url} ({size} bytes): expected SHA-256 {sha256.lower()}, "
                f"got {actual}; {destination.name} was not saved"
            )
    return destination


def _arrays(files: MNISTFiles) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X_train, y_train = parse_mnist(files.train_images, files.train_labels)
    X_test, y_test = parse_mnist(files.test_images, files.test_labels)
    return X_train, y_train, X_test, y_test


def load_fashion_mnist(
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST as `(X_train, y_train, X_test, y_test)`.

    X is float32 (N, 784) in [0, 1], y uint8 (N,) in 0..9; N is 60000 and 10000. Reads from
    `data_dir`, default `FASHION_MNIST_DIR`; a missing file raises FileNotFoundError saying how to
    install it (see `fashion_mnist_files`), a malformed one IDXError naming it.
    """
    return _arrays(fashion_mnist_files(data_dir))


def load_mnist(
    data_dir: str | os.PathLike[str],
    *,
    download: bool = True,
    base_url: str = MNIST_BASE_URL,
    checksums: Mapping[str, str] = MNIST_SHA256,
    timeout: float = 30.0,
    verbose: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST as `(X_train, y_train, X_test, y_test)`, downloading missing files into `data_dir`.

    Arrays as in `load_fashion_mnist`. The download, its verification and its errors are those of
    `mnist_files`.
    """
    files = mnist_files(
        data_dir,
        download=download,
        base_url=base_url,
        checksums=checksums,
        timeout=timeout,
        verbose=verbose,
    )
    return _arrays(files)


def load_datasets(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    train_transforms: Transforms | None = None,
    base_url: str = MNIST_BASE_URL,
    checksums: Mapping[str, str] = MNIST_SHA256,
    timeout: float = 30.0,
    verbose: bool = True,
) -> tuple[MNISTDataset, MNISTDataset]:
    """`(train, test)` MNISTDatasets of `name` (one of `DATASETS`: "fashion-mnist" or "mnist").

    Fashion-MNIST reads `data_dir`, default `FASHION_MNIST_DIR`. MNIST needs a `data_dir` and
    downloads what is missing there (see `mnist_files`; the remaining keyword arguments go to it).
    `train_transforms` augment the training set only.
    """
    if name == "fashion-mnist":
        files = fashion_mnist_files(data_dir)
    elif name == "mnist":
        if data_dir is None:
            raise ValueError(
                "MNIST needs a data directory (--data-dir DIR); missing files are downloaded there"
            )
        files = mnist_files(
            data_dir,
            download=download,
            base_url=base_url,
            checksums=checksums,
            timeout=timeout,
            verbose=verbose,
        )
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    train = MNISTDataset(files.train_images, files.train_labels, transforms=train_transforms)
    test = MNISTDataset(files.test_images, files.test_labels)
    return train, test
