"""Where the real data comes from: Fashion-MNIST from the Debian package, MNIST from a mirror.

Both datasets ship as the same four gzip-compressed IDX files (`MNIST_FILENAMES`). The loaders
return either arrays (`load_fashion_mnist`, `load_mnist`: X float32 (N, 784) in [0, 1], y uint8)
or a (train, test) pair of `MNISTDataset`s (`load_datasets`, what `python -m vector.train` uses).
Missing MNIST files are fetched by `vector.data.mnist_download`.

A data folder may hold each file compressed (`train-images-idx3-ubyte.gz`) or already decompressed
(`train-images-idx3-ubyte`); the reader tells them apart by content.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

from vector.data.datasets import MNISTDataset, Transforms, parse_mnist
from vector.data.idx import IDXError
from vector.data.mnist_download import MNIST_BASE_URL, MNIST_SHA256, download_missing

__all__ = [
    "DATASETS",
    "FASHION_MNIST_DIR",
    "MNIST_FILENAMES",
    "MNISTFiles",
    "fashion_mnist_files",
    "load_datasets",
    "load_fashion_mnist",
    "load_mnist",
    "mnist_files",
]

#: Where Debian's `dataset-fashion-mnist` package installs the four files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Classes of MNIST and Fashion-MNIST: labels are 0..9.
NUM_CLASSES = 10

#: Names of the datasets `load_datasets` knows, as `python -m vector.train --dataset` spells them.
DATASETS = ("fashion-mnist", "mnist")


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


def _find(folder: Path, name: str) -> Path | None:
    """`folder/name`, else its decompressed twin (no `.gz`), else None."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _complete(found: dict[str, Path | None]) -> MNISTFiles:
    paths = [found[name] for name in MNIST_FILENAMES]
    if None in paths:
        raise FileNotFoundError(f"missing: {', '.join(n for n in MNIST_FILENAMES if not found[n])}")
    return MNISTFiles(*(path for path in paths if path is not None))


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

    A file already present (compressed or not) is used as it is and never fetched again. The
    missing ones are fetched by `vector.data.mnist_download.download_missing` (the keyword
    arguments go to it): each checked against its SHA-256 and renamed into place only when
    complete, so `data_dir` holds only verified files whatever fails.

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
        found.update(
            download_missing(
                folder,
                missing,
                base_url=base_url,
                checksums=checksums,
                timeout=timeout,
                verbose=verbose,
            )
        )
    return _complete(found)


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

    Raises IDXError naming the file when a file is malformed, a set has no example, a label is
    outside 0..9, or the test images' size differs from the training images'.
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
    _check_pair(files, train, test)
    return train, test


def _check_pair(files: MNISTFiles, train: MNISTDataset, test: MNISTDataset) -> None:
    """What a network trained on `train` and tested on `test` needs: examples in both, labels
    within the classes, and test images of the training images' size. Raises IDXError naming
    the file at fault."""
    for images, labels, data in (
        (files.train_images, files.train_labels, train),
        (files.test_images, files.test_labels, test),
    ):
        if len(data) == 0:
            raise IDXError(images, "holds 0 images; at least one example is needed")
        outside = np.flatnonzero((data.labels < 0) | (data.labels >= NUM_CLASSES))
        if outside.size:
            first = int(outside[0])
            raise IDXError(
                labels,
                f"{outside.size} label(s) outside 0..{NUM_CLASSES - 1} (the first is "
                f"{data.labels[first]}, at index {first}); this dataset has {NUM_CLASSES} classes",
            )
    if train.image_shape != test.image_shape:
        (rows, columns, _), (test_rows, test_columns, _) = train.image_shape, test.image_shape
        raise IDXError(
            files.test_images,
            f"images are {test_rows}×{test_columns} but the training images "
            f"({files.train_images}) are {rows}×{columns}",
        )
