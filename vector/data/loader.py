"""`DataLoader`: mini-batches of a dataset as tuples of Tensors, in needle's order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from vector.autograd import Tensor
from vector.data.datasets import Dataset, MNISTDataset, NDArrayDataset

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over `dataset` in mini-batches of `batch_size` examples.

    The batches are needle's: the indices `0 .. len(dataset)-1` cut by
    `np.array_split(indices, range(batch_size, len(dataset), batch_size))`, so every batch is full
    except possibly the last. With `shuffle=True` each new iteration (each `iter(loader)`, i.e.
    each epoch) draws `np.random.permutation(len(dataset))` once, at that moment, and cuts it the
    same way; seeding numpy's global generator therefore fixes the order.

    Each batch is a tuple with one `Tensor(..., requires_grad=False)` per field of an example
    (for MNISTDataset: images (B, 784) float32, labels (B,) uint8). Stock NDArrayDataset and
    MNISTDataset without transforms are sliced with one fancy index per field; any other dataset
    is read one example at a time through `__getitem__` and the fields are stacked.

    `ordering` holds the index arrays of the current (or last started) epoch, as in needle.
    An empty dataset gives no batches.
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
            raise TypeError(f"batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.ordering: list[np.ndarray] = self._split(np.arange(len(dataset)))

    def __len__(self) -> int:
        """Number of batches in one epoch."""
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        # Drawn here rather than in the generator body, so the permutation is taken when the
        # epoch starts (as needle's __iter__ does), not lazily at the first batch.
        if self.shuffle:
            self.ordering = self._split(np.random.permutation(len(self.dataset)))
        return self._batches(self.ordering)

    def _split(self, indices: np.ndarray) -> list[np.ndarray]:
        n = len(indices)
        if n == 0:
            return []
        return np.array_split(indices, range(self.batch_size, n, self.batch_size))

    def _batches(self, ordering: list[np.ndarray]) -> Iterator[tuple[Tensor, ...]]:

        for indices in ordering:
            fields = self._fetch(indices)
            yield tuple(Tensor(field, requires_grad=False) for field in fields)

    def _fetch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        arrays = _sliceable_arrays(self.dataset)
        if arrays is not None:
            return tuple(a[indices] for a in arrays)
        examples = [self.dataset[int(i)] for i in indices]
        if not isinstance(examples[0], tuple):
            return (np.stack(examples),)
        return tuple(np.stack(field) for field in zip(*examples, strict=True))


def _sliceable_arrays(dataset: Any) -> tuple[np.ndarray, ...] | None:
    """The arrays whose rows are the examples, when a batch can be cut out of them directly.

    Only for the stock `__getitem__` of the two array-backed datasets: a subclass that overrides
    it, or an MNISTDataset with transforms, must go through `__getitem__` per example.
    """
    getitem = type(dataset).__getitem__
    if isinstance(dataset, MNISTDataset):
        if getitem is MNISTDataset.__getitem__ and not dataset.transforms:
            return (dataset.images, dataset.labels)
    elif isinstance(dataset, NDArrayDataset) and getitem is NDArrayDataset.__getitem__:
        return dataset.arrays
    return None
