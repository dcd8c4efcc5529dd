"""DataLoader: needle's batch boundaries and shuffling order, Tensors out, the fast path."""

from pathlib import Path

import numpy as np
import pytest
from vector_helpers import write_mnist

from vector.data import (
    DataLoader,
    Dataset,
    MNISTDataset,
    NDArrayDataset,
    RandomFlipHorizontal,
)


def _numpy(batch) -> list[np.ndarray]:
    return [field.numpy() for field in batch]


def _first_field(loader: DataLoader) -> list[list[int]]:
    return [batch[0].numpy().tolist() for batch in loader]


def _mnist_files(folder: Path) -> tuple[Path, Path]:
    """Ten random 28×28 images and their labels."""
    write_mnist(folder, {"train": 10}, seed=1)
    return folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"


@pytest.mark.parametrize(
    ("n", "batch_size", "sizes"),
    [
        (10, 3, [3, 3, 3, 1]),
        (10, 5, [5, 5]),
        (10, 1, [1] * 10),
        (10, 10, [10]),
        (10, 64, [10]),
        (1, 4, [1]),
    ],
)
def test_batch_boundaries(n, batch_size, sizes):
    loader = DataLoader(NDArrayDataset(np.arange(n)), batch_size=batch_size)
    batches = _first_field(loader)
    assert [len(b) for b in batches] == sizes
    assert np.concatenate(batches).tolist() == list(range(n))
    assert len(loader) == len(sizes)
    expected = np.array_split(np.arange(n), range(batch_size, n, batch_size))
    assert [b.tolist() for b in loader.ordering] == [e.tolist() for e in expected]


def test_unshuffled_order_is_stable_across_epochs():
    loader = DataLoader(NDArrayDataset(np.arange(7)), batch_size=2)
    assert _first_field(loader) == _first_field(loader) == [[0, 1], [2, 3], [4, 5], [6]]


def test_batches_are_tensors_of_each_field():
    X = np.arange(24, dtype=np.float32).reshape(8, 3)
    y = np.arange(8, dtype=np.uint8)
    batches = list(DataLoader(NDArrayDataset(X, y), batch_size=3))
    assert len(batches) == 3
    last_x, last_y = batches[-1]
    assert last_x.requires_grad is False
    assert last_y.requires_grad is False
    assert last_x.shape == (2, 3)
    assert last_x.dtype == np.float32
    assert last_y.dtype == np.uint8
    np.testing.assert_array_equal(last_x.numpy(), X[6:])
    np.testing.assert_array_equal(last_y.numpy(), y[6:])


def test_needles_own_loader_test():
    # CMU 10-714 hw2's test_dataloader_ndarray, shuffled part: the first ten single-example
    # batches after np.random.seed(0).
    np.random.seed(0)
    loader = iter(DataLoader(NDArrayDataset(np.arange(100)), batch_size=1, shuffle=True))
    elements = [next(loader)[0].numpy().item() for _ in range(10)]
    assert elements == [26, 86, 2, 55, 75, 93, 16, 73, 54, 95]


def test_shuffle_follows_np_random_permutation():
    n, batch_size = 23, 5
    loader = DataLoader(NDArrayDataset(np.arange(n)), batch_size=batch_size, shuffle=True)
    np.random.seed(7)
    got = _first_field(loader)
    np.random.seed(7)
    permutation = np.random.permutation(n)
    expected = np.array_split(permutation, range(batch_size, n, batch_size))
    assert got == [e.tolist() for e in expected]
    assert [len(b) for b in got] == [5, 5, 5, 5, 3]


def test_reshuffles_every_epoch():
    n = 50
    loader = DataLoader(NDArrayDataset(np.arange(n)), batch_size=8, shuffle=True)
    np.random.seed(3)
    first = np.concatenate(_first_field(loader)).tolist()
    second = np.concatenate(_first_field(loader)).tolist()
    np.random.seed(3)
    assert first == np.random.permutation(n).tolist()
    assert second == np.random.permutation(n).tolist()
    assert first != second
    assert sorted(first) == sorted(second) == list(range(n))


def test_permutation_is_drawn_when_the_epoch_starts():
    loader = DataLoader(NDArrayDataset(np.arange(20)), batch_size=6, shuffle=True)
    np.random.seed(11)
    epoch = iter(loader)
    np.random.seed(999)  # draws after iter() must not change this epoch's order
    got = np.concatenate([b[0].numpy() for b in epoch]).tolist()
    np.random.seed(11)
    assert got == np.random.permutation(20).tolist()


def test_mnist_batches(tmp_path):
    ds = MNISTDataset(*_mnist_files(tmp_path))
    batches = [_numpy(b) for b in DataLoader(ds, batch_size=4)]
    assert [b[0].shape for b in batches] == [(4, 784), (4, 784), (2, 784)]
    assert batches[0][0].dtype == np.float32
    assert batches[0][1].dtype == np.uint8
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), ds.images)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), ds.labels)


class _Spy:
    """Counts calls to MNISTDataset.__getitem__ while delegating to the real one."""

    def __init__(self, real) -> None:
        self.real = real
        self.calls = 0

    def install(self, monkeypatch) -> None:
        spy = self

        def __getitem__(dataset, index):
            spy.calls += 1
            return spy.real(dataset, index)

        monkeypatch.setattr(MNISTDataset, "__getitem__", __getitem__)


def test_fast_path_skips_getitem_without_transforms(tmp_path, monkeypatch):
    ds = MNISTDataset(*_mnist_files(tmp_path))
    spy = _Spy(MNISTDataset.__getitem__)
    spy.install(monkeypatch)
    assert len(list(DataLoader(ds, batch_size=3))) == 4
    assert spy.calls == 0


def test_transforms_go_through_getitem_per_example(tmp_path, monkeypatch):
    ds = MNISTDataset(*_mnist_files(tmp_path), transforms=[RandomFlipHorizontal(p=1.0)])
    spy = _Spy(MNISTDataset.__getitem__)
    spy.install(monkeypatch)
    batches = [_numpy(b) for b in DataLoader(ds, batch_size=3)]
    assert spy.calls == 10
    flipped = ds.images.reshape(-1, 28, 28)[:, :, ::-1].reshape(10, 784)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), flipped)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), ds.labels)


def test_shuffled_augmentation_matches_a_manual_replay(tmp_path):
    ds = MNISTDataset(*_mnist_files(tmp_path), transforms=[RandomFlipHorizontal(p=0.5)])
    np.random.seed(5)
    got = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=4, shuffle=True)])
    np.random.seed(5)
    order = np.random.permutation(len(ds))
    expected = np.stack([ds[int(i)][0] for i in order])
    np.testing.assert_array_equal(got, expected)


def test_overridden_getitem_is_respected():
    class Doubled(NDArrayDataset):
        def __getitem__(self, index):
            (x,) = super().__getitem__(index)
            return (x * 2,)

    batches = _first_field(DataLoader(Doubled(np.arange(5)), batch_size=2))
    assert batches == [[0, 2], [4, 6], [8]]


def test_any_dataset_is_stacked_field_by_field():
    class Squares(Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, index):
            return np.full(3, index, dtype=np.float32), index * index

    (batch,) = list(DataLoader(Squares(), batch_size=5))
    x, y = _numpy(batch)
    assert x.shape == (5, 3)
    assert x.dtype == np.float32
    assert y.tolist() == [0, 1, 4, 9, 16]


def test_single_field_examples_give_one_tensor():
    class Bare(Dataset):
        def __len__(self) -> int:
            return 3

        def __getitem__(self, index):
            return np.array([index, -index])

    (batch,) = list(DataLoader(Bare(), batch_size=3))
    assert len(batch) == 1
    np.testing.assert_array_equal(batch[0].numpy(), [[0, 0], [1, -1], [2, -2]])


def test_empty_dataset_gives_no_batches():
    loader = DataLoader(NDArrayDataset(np.zeros((0, 3))), batch_size=4, shuffle=True)
    assert list(loader) == []
    assert len(loader) == 0


@pytest.mark.parametrize(("batch_size", "error"), [(0, ValueError), (-2, ValueError)])
def test_batch_size_must_be_positive(batch_size, error):
    with pytest.raises(error, match="batch_size"):
        DataLoader(NDArrayDataset(np.arange(3)), batch_size=batch_size)


@pytest.mark.parametrize("batch_size", [2.5, "4", True])
def test_batch_size_must_be_an_int(batch_size):
    with pytest.raises(TypeError, match="batch_size"):
        DataLoader(NDArrayDataset(np.arange(3)), batch_size=batch_size)
