"""Dataset, NDArrayDataset and MNISTDataset on small generated IDX files."""

from pathlib import Path

import numpy as np
import pytest

from vector.data import (
    Dataset,
    IDXError,
    MNISTDataset,
    NDArrayDataset,
    RandomCrop,
    RandomFlipHorizontal,
    parse_mnist,
    write_idx,
)


def _mnist_pair(
    folder: Path, n: int = 12, rows: int = 28, columns: int = 28, seed: int = 0
) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, rows, columns), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255  # make both ends of the range appear
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    image_file = write_idx(folder / "images-idx3-ubyte.gz", images)
    label_file = write_idx(folder / "labels-idx1-ubyte", labels)
    return image_file, label_file, images, labels


class Record:
    """A transform that remembers the shapes it saw and marks its output."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, img: np.ndarray) -> np.ndarray:
        self.shapes.append(img.shape)
        return img[::-1] + 1.0


def test_mnist_dataset_arrays(tmp_path):
    image_file, label_file, images, labels = _mnist_pair(tmp_path)
    ds = MNISTDataset(image_file, label_file)
    assert len(ds) == 12
    assert ds.images.shape == (12, 784)
    assert ds.images.dtype == np.float32
    assert ds.images.min() == 0.0
    assert ds.images.max() == 1.0
    np.testing.assert_allclose(ds.images, images.reshape(12, -1) / 255.0, rtol=1e-7)
    assert ds.labels.dtype == np.uint8
    np.testing.assert_array_equal(ds.labels, labels)


def test_mnist_dataset_items(tmp_path):
    image_file, label_file, _, labels = _mnist_pair(tmp_path)
    ds = MNISTDataset(str(image_file), str(label_file))
    image, label = ds[3]
    assert image.shape == (784,)
    assert image.dtype == np.float32
    assert label == labels[3]
    batch_images, batch_labels = ds[2:7]
    assert batch_images.shape == (5, 784)
    np.testing.assert_array_equal(batch_labels, labels[2:7])
    picked, picked_labels = ds[np.array([5, 0, 5])]
    np.testing.assert_array_equal(picked, ds.images[[5, 0, 5]])
    np.testing.assert_array_equal(picked_labels, labels[[5, 0, 5]])


def test_parse_mnist_matches_dataset(tmp_path):
    image_file, label_file, _, _ = _mnist_pair(tmp_path)
    X, y = parse_mnist(image_file, label_file)
    ds = MNISTDataset(image_file, label_file)
    np.testing.assert_array_equal(X, ds.images)
    np.testing.assert_array_equal(y, ds.labels)
    assert X.dtype == np.float32


def test_transforms_see_28_28_1_and_output_is_flat(tmp_path):
    image_file, label_file, images, _ = _mnist_pair(tmp_path)
    record = Record()
    ds = MNISTDataset(image_file, label_file, transforms=[record])
    image, _ = ds[4]
    assert record.shapes == [(28, 28, 1)]
    assert image.shape == (784,)
    expected = (images[4] / np.float32(255.0))[::-1].reshape(-1) + 1.0
    np.testing.assert_allclose(image, expected, rtol=1e-6)
    np.testing.assert_allclose(ds.images[4], images[4].reshape(-1) / 255.0, rtol=1e-7)


def test_transforms_apply_in_order(tmp_path):
    image_file, label_file, _, _ = _mnist_pair(tmp_path)
    calls = []
    ds = MNISTDataset(
        image_file,
        label_file,
        transforms=[lambda x: calls.append("a") or x, lambda x: calls.append("b") or x],
    )
    ds[0]
    assert calls == ["a", "b"]


def test_transforms_on_a_slice_augment_each_image(tmp_path):
    image_file, label_file, _, labels = _mnist_pair(tmp_path)
    record = Record()
    ds = MNISTDataset(image_file, label_file, transforms=[record])
    batch, batch_labels = ds[1:4]
    assert record.shapes == [(28, 28, 1)] * 3
    assert batch.shape == (3, 784)
    np.testing.assert_array_equal(batch_labels, labels[1:4])
    for row, index in zip(batch, range(1, 4), strict=True):
        np.testing.assert_array_equal(row, ds[index][0])


def test_needle_style_augmentation_is_reproducible(tmp_path):
    image_file, label_file, _, _ = _mnist_pair(tmp_path)
    transforms = [RandomCrop(12), RandomFlipHorizontal(0.4)]
    ds = MNISTDataset(image_file, label_file, transforms=transforms)
    np.random.seed(0)
    got = [ds[i][0] for i in range(5)]
    np.random.seed(0)
    plain = MNISTDataset(image_file, label_file)
    for i in range(5):
        expected = plain[i][0].reshape(28, 28, 1)
        for transform in transforms:
            expected = transform(expected)
        np.testing.assert_array_equal(got[i], expected.reshape(-1))
    assert any(not np.array_equal(got[i], plain[i][0]) for i in range(5))


def test_images_of_other_sizes(tmp_path):
    image_file, label_file, _, _ = _mnist_pair(tmp_path, n=4, rows=5, columns=7)
    record = Record()
    ds = MNISTDataset(image_file, label_file, transforms=[record])
    assert ds.images.shape == (4, 35)
    assert ds.image_shape == (5, 7, 1)
    assert ds[0][0].shape == (35,)
    assert record.shapes == [(5, 7, 1)]


def test_count_mismatch_names_both_files(tmp_path):
    image_file, _, _, _ = _mnist_pair(tmp_path)
    label_file = write_idx(tmp_path / "few-labels", np.zeros(11, dtype=np.uint8))
    with pytest.raises(IDXError) as info:
        MNISTDataset(image_file, label_file)
    message = str(info.value)
    assert message.startswith(str(image_file))
    assert "holds 12 images" in message
    assert f"{label_file} holds 11 labels" in message


def test_images_must_be_three_dimensional(tmp_path):
    flat = write_idx(tmp_path / "flat-images", np.zeros((4, 784), dtype=np.uint8))
    labels = write_idx(tmp_path / "labels", np.zeros(4, dtype=np.uint8))
    with pytest.raises(IDXError, match=r"flat-images: expected images of shape \(N, rows, col"):
        MNISTDataset(flat, labels)


def test_images_must_be_uint8(tmp_path):
    floats = write_idx(tmp_path / "float-images", np.zeros((4, 2, 2), dtype=np.float32))
    labels = write_idx(tmp_path / "labels", np.zeros(4, dtype=np.uint8))
    with pytest.raises(IDXError, match=r"float-images: expected uint8 pixels .* found float32"):
        MNISTDataset(floats, labels)


def test_labels_must_be_one_dimensional_integers(tmp_path):
    image_file, _, _, _ = _mnist_pair(tmp_path)
    grid = write_idx(tmp_path / "grid-labels", np.zeros((12, 2), dtype=np.uint8))
    with pytest.raises(IDXError, match="grid-labels: expected one label per example"):
        MNISTDataset(image_file, grid)
    real = write_idx(tmp_path / "real-labels", np.zeros(12, dtype=np.float64))
    with pytest.raises(IDXError, match="real-labels: expected integer labels"):
        MNISTDataset(image_file, real)


def test_damaged_file_error_reaches_the_user(tmp_path):
    image_file, label_file, _, _ = _mnist_pair(tmp_path)
    image_file.write_bytes(image_file.read_bytes()[:-20])  # cut the gzip stream
    with pytest.raises(IDXError, match=str(image_file)):
        MNISTDataset(image_file, label_file)


def test_ndarray_dataset():
    X = np.arange(20).reshape(10, 2)
    y = np.arange(10) * 3
    ds = NDArrayDataset(X, y)
    assert len(ds) == 10
    x3, y3 = ds[3]
    np.testing.assert_array_equal(x3, [6, 7])
    assert y3 == 9
    xs, ys = ds[2:5]
    np.testing.assert_array_equal(xs, X[2:5])
    np.testing.assert_array_equal(ys, y[2:5])
    assert ds.transforms is None
    (single,) = NDArrayDataset([1.0, 2.0])[1:]
    np.testing.assert_array_equal(single, [2.0])


def test_ndarray_dataset_validates_lengths():
    with pytest.raises(ValueError, match=r"same length along axis 0, got shapes \(3,\), \(4, 2\)"):
        NDArrayDataset(np.zeros(3), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="at least one array"):
        NDArrayDataset()
    with pytest.raises(ValueError, match="same length"):
        NDArrayDataset(np.float64(1.0))


def test_dataset_base():
    ds = Dataset(transforms=[lambda x: x * 2, lambda x: x + 1])
    assert ds.apply_transforms(np.array([1.0, 2.0])).tolist() == [3.0, 5.0]
    plain = Dataset()
    x = np.zeros(3)
    assert plain.apply_transforms(x) is x
    with pytest.raises(NotImplementedError):
        plain[0]
    with pytest.raises(NotImplementedError):
        len(plain)
