"""Data for the vector engine, with needle's API: datasets, a batching loader, augmentation,
and the IDX files that MNIST and Fashion-MNIST come in.

    from vector.data import DataLoader, load_datasets
    train, test = load_datasets("fashion-mnist")  # Debian's dataset-fashion-mnist package
    for X, y in DataLoader(train, batch_size=100, shuffle=True):
        ...  # X: Tensor (100, 784) float32 in [0, 1]; y: Tensor (100,) uint8
"""

from vector.data.datasets import Dataset, MNISTDataset, NDArrayDataset, parse_mnist
from vector.data.idx import IDXError, read_idx, write_idx
from vector.data.loader import DataLoader
from vector.data.mnist_download import MNIST_BASE_URL, MNIST_SHA256, ChecksumError, DownloadError
from vector.data.sources import (
    DATASETS,
    FASHION_MNIST_DIR,
    MNIST_FILENAMES,
    MNISTFiles,
    fashion_mnist_files,
    load_datasets,
    load_fashion_mnist,
    load_mnist,
    mnist_files,
)
from vector.data.transforms import RandomCrop, RandomFlipHorizontal, Transform

__all__ = [
    "DATASETS",
    "FASHION_MNIST_DIR",
    "MNIST_BASE_URL",
    "MNIST_FILENAMES",
    "MNIST_SHA256",
    "ChecksumError",
    "DataLoader",
    "Dataset",
    "DownloadError",
    "IDXError",
    "MNISTDataset",
    "MNISTFiles",
    "NDArrayDataset",
    "RandomCrop",
    "RandomFlipHorizontal",
    "Transform",
    "fashion_mnist_files",
    "load_datasets",
    "load_fashion_mnist",
    "load_mnist",
    "mnist_files",
    "parse_mnist",
    "read_idx",
    "write_idx",
]
