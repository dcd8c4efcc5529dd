"""Datasets with needle's interface: indexable, sized, and optionally augmenting each example."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vector.data.idx import IDXError, read_idx

__all__ = ["Dataset", "MNISTDataset", "NDArrayDataset", "parse_mnist"]

Transforms = Sequence[Callable[[np.ndarray], np.ndarray]]


class Dataset:
    """Base class: subclasses define `__getitem__` and `__len__`.

    `transforms` is a list of callables applied in order by `apply_transforms`; subclasses decide
    which part of an example they augment (MNISTDataset: the image).
    """

    def __init__(self, transforms: Transforms | None = None) -> None:
        self.transforms = transforms

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def apply_transforms(self, x: np.ndarray) -> np.ndarray:
        """Run `x` through every transform, in list order; no transforms return `x` itself."""
        if self.transforms is not None:
            for transform in self.transforms:
                x = transform(x)
        return x


class NDArrayDataset(Dataset):
    """Examples made of the rows of several arrays: item i is `tuple(a[i] for a in arrays)`.

    As in needle, it takes no transforms.
    """

    def __init__(self, *arrays: Any) -> None:
        super().__init__()
        if not arrays:
            raise ValueError("NDArrayDataset needs at least one array")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        lengths = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(
                f"NDArrayDataset arrays must have the same length along axis 0, got shapes {shapes}"
            )

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)


def parse_mnist(
    image_filename: str | os.PathLike[str], label_filename: str | os.PathLike[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Load an MNIST-format pair of IDX files (gzip or raw), as needle's `parse_mnist` does.

    Returns:
        X: float32 array of shape (N, rows·columns), pixels scaled from 0..255 to [0, 1].
        y: the labels, shape (N,), in the file's integer type (uint8 for MNIST).

    Raises IDXError (a ValueError) naming the file when either file is malformed, the images are
    not uint8 of shape (N, rows, columns) with rows, columns >= 1, the labels are not a 1-D
    integer array, or the counts differ.
    """
    X, y, _ = _load_pair(image_filename, label_filename)
    return X, y


def _load_pair(
    image_filename: str | os.PathLike[str], label_filename: str | os.PathLike[str]
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Scaled flat images, labels, and the (rows, columns) of one image."""
    images = _read_images(image_filename)
    labels = _read_labels(label_filename)
    if images.shape[0] != labels.shape[0]:
        raise IDXError(
            image_filename,
            f"holds {images.shape[0]} images but {os.fspath(label_filename)} "
            f"holds {labels.shape[0]} labels",
        )
    # Scaling in place avoids a second 60000×784 temporary.
    X = images.reshape(images.shape[0], images.shape[1] * images.shape[2]).astype(np.float32)
    X /= np.float32(255.0)
    return X, labels, (images.shape[1], images.shape[2])


def _read_images(path: str | os.PathLike[str]) -> np.ndarray:
    images = read_idx(path)
    if images.ndim != 3:
        raise IDXError(
            path,
            f"expected images of shape (N, rows, columns) but the file holds "
            f"{images.ndim} dimension(s): {'×'.join(map(str, images.shape))}",
        )
    if images.dtype != np.uint8:
        raise IDXError(path, f"expected uint8 pixels (IDX type 0x08), found {images.dtype.name}")
    if 0 in images.shape[1:]:
        raise IDXError(path, f"images of {images.shape[1]}×{images.shape[2]} pixels hold nothing")
    return images


def _read_labels(path: str | os.PathLike[str]) -> np.ndarray:
    labels = read_idx(path)
    if labels.ndim != 1:
        raise IDXError(
            path,
            f"expected one label per example (1 dimension) but the file holds "
            f"{labels.ndim}: {'×'.join(map(str, labels.shape))}",
        )
    if labels.dtype.kind not in "iu":
        raise IDXError(path, f"expected integer labels, found {labels.dtype.name}")
    return labels


class MNISTDataset(Dataset):
    """MNIST or Fashion-MNIST from a pair of IDX files, as needle's hw2 builds it.

    `images` is float32 (N, rows·columns) in [0, 1] and `labels` (N,) uint8. `dataset[i]` returns
    `(image, label)`. With transforms, the image is reshaped to (rows, columns, 1) — (28, 28, 1)
    for MNIST — run through them and flattened back to rows·columns values. A slice or an index
    array returns stacked images and labels; with transforms each image is augmented on its own
    (needle would transform the whole batch as one odd-shaped image).
    """

    def __init__(
        self,
        image_filename: str | os.PathLike[str],
        label_filename: str | os.PathLike[str],
        transforms: Transforms | None = None,
    ) -> None:
        super().__init__(transforms)
        self.images, self.labels, (rows, columns) = _load_pair(image_filename, label_filename)
        self.image_shape = (rows, columns, 1)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: Any) -> tuple[np.ndarray, Any]:
        if not self.transforms:
            return self.images[index], self.labels[index]
        if isinstance(index, int | np.integer):
            return self._augment(self.images[index]), self.labels[index]
        positions = np.arange(len(self))[index]
        if positions.size == 0:
            return self.images[positions], self.labels[positions]
        batch = np.stack([self._augment(self.images[i]) for i in positions])
        return batch, self.labels[positions]

    def _augment(self, image: np.ndarray) -> np.ndarray:
        return self.apply_transforms(image.reshape(self.image_shape)).reshape(-1)
