"""One training epoch of needle hw2's MLPResNet on Fashion-MNIST: adjoint against PyTorch.

Both sides train `MLPResNet(784, 100)` (three residual blocks with BatchNorm1d and Dropout 0.1)
with Adam (lr 0.001) and the softmax cross-entropy loss, on batches of 100 from
`vector.data.MNISTDataset` + `DataLoader(batch_size=100, shuffle=True)`: the same loader feeds
both, PyTorch through `torch.from_numpy`, so reading and shuffling cost the same on each side.
PyTorch runs on the CPU with one thread (`torch.set_num_threads(1)`), numpy's BLAS with one
thread (`make bench` sets OPENBLAS_NUM_THREADS=1). The two take turns in this process; we print
the medians and their ratio.

PyTorch is optional: without it this prints how to install it and times adjoint alone.

Run: `make bench` (or `OPENBLAS_NUM_THREADS=1 python -m bench.mlp_resnet [--repeats N]`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from vector import data, models, optim
from vector.train import epoch

HIDDEN = 100
BATCH = 100
INSTALL = "pip install torch==2.13.0 (or `make bench`, which installs the bench extra)"


def adjoint_epoch(loader: data.DataLoader) -> float:
    """Seconds for one training epoch of a fresh model (weights drawn with seed 0)."""
    np.random.seed(0)
    model = models.MLPResNet(784, HIDDEN)
    opt = optim.Adam(model.parameters(), lr=0.001)
    start = time.perf_counter()
    epoch(loader, model, opt)
    return time.perf_counter() - start


def torch_model(torch: Any) -> Any:
    nn = torch.nn

    def block(dim: int, hidden: int) -> Any:
        inner = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(hidden, dim),
            nn.BatchNorm1d(dim),
        )
        return _Residual(torch, inner)

    return nn.Sequential(
        nn.Linear(784, HIDDEN),
        nn.ReLU(),
        *[nn.Sequential(block(HIDDEN, HIDDEN // 2), nn.ReLU()) for _ in range(3)],
        nn.Linear(HIDDEN, 10),
    )


def _Residual(torch: Any, fn: Any) -> Any:
    class Residual(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fn = fn

        def forward(self, x: Any) -> Any:
            return self.fn(x) + x

    return Residual()


def torch_epoch(torch: Any, loader: data.DataLoader) -> float:
    """Seconds for one training epoch of the same network in PyTorch, fed by the same loader."""
    torch.manual_seed(0)
    np.random.seed(0)
    model = torch_model(torch)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for X, y in loader:
        inputs = torch.from_numpy(X.numpy().reshape(X.shape[0], -1))
        labels = torch.from_numpy(y.numpy().astype(np.int64))
        opt.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="epochs timed per side")
    args = parser.parse_args()

    train, _ = data.load_datasets("fashion-mnist", None)
    loader = data.DataLoader(train, batch_size=BATCH, shuffle=True)
    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.set_num_threads(1)

    times: dict[str, list[float]] = {"adjoint": [], "pytorch": []}
    for _ in range(args.repeats):
        times["adjoint"].append(adjoint_epoch(loader))
        if torch is not None:
            times["pytorch"].append(torch_epoch(torch, loader))

    ours = statistics.median(times["adjoint"])
    print(
        f"MLPResNet(784, {HIDDEN}), Adam lr 0.001, one epoch of Fashion-MNIST "
        f"(60 000 images, batch {BATCH}, float32), medians of {args.repeats}"
    )
    print(f"{'':28}{'median s':>10}{'min s':>9}{'ratio':>8}")
    if torch is None:
        print(f"{'adjoint':28}{ours:10.3f}{min(times['adjoint']):9.3f}{'':>8}")
        print(f"PyTorch is not installed, so there is nothing to compare with: {INSTALL}")
        return
    base = statistics.median(times["pytorch"])
    name = f"PyTorch {torch.__version__}, 1 thread"
    print(f"{name:28}{base:10.3f}{min(times['pytorch']):9.3f}{1:8.2f}")
    print(f"{'adjoint':28}{ours:10.3f}{min(times['adjoint']):9.3f}{ours / base:8.2f}")


if __name__ == "__main__":
    main()
