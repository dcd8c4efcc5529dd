#!/bin/sh
# Run needle's public test suites (CMU 10-714 hw1 and hw2) against adjoint's vector engine.
#
#   sh scripts/needle-suites.sh HW1_CHECKOUT HW2_CHECKOUT
#
# HW1_CHECKOUT and HW2_CHECKOUT are clones of github.com/dlsyscourse/hw1 and .../hw2 (their data/
# folders may lack train-images-idx3-ubyte.gz, which is not in the repositories' history we read).
# Everything happens in a fresh temporary folder; nothing of needle's own code is used: the
# folder holds needle's tests/ and data/, and shims written here. `import needle` gives adjoint's
# `vector` package; the homework's apps/simple_ml.py and apps/mlp_resnet.py are stood in for by
# thin shims over adjoint's own models and training loop; `mugrade` (which only submits answers
# to the course server, in functions the tests never call) is a stub. A virtual environment in
# that folder gets adjoint's dependencies (numpy, threadpoolctl), pytest and numdifftools (hw1's
# tests import it).
#
# Deselected: the tests that read MNIST's training images (train-images-idx3-ubyte.gz), and
# hw2's test_optim_adam_z_memory_check_1, which asserts that at least 132 tensors are still alive
# at that point (1132 ± 1000); adjoint frees every graph by reference counting, so it counts 0
# (see "needle's own tests" in docs/measured.md).
set -eu
[ $# -eq 2 ] || { echo "usage: sh scripts/needle-suites.sh HW1_CHECKOUT HW2_CHECKOUT" >&2; exit 2; }
ADJOINT=$(cd "$(dirname "$0")/.." && pwd)
HW1=$(cd "$1" && pwd)
HW2=$(cd "$2" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet numpy threadpoolctl pytest numdifftools

for hw in hw1 hw2; do
    src=$HW1
    [ $hw = hw2 ] && src=$HW2
    mkdir -p "$WORK/$hw/python/needle" "$WORK/$hw/apps" "$WORK/$hw/tests"
    cp -r "$src/tests/$hw" "$WORK/$hw/tests/"
    ln -s "$src/data" "$WORK/$hw/data"
    cat > "$WORK/$hw/python/needle/__init__.py" <<'EOF'
"""`import needle` gives adjoint's vector package (and its submodules under needle's names)."""
import sys

import vector

sys.modules["needle"] = vector
for name in ("autograd", "data", "init", "nn", "ops", "optim"):
    sys.modules[f"needle.{name}"] = getattr(vector, name)
EOF
    cat > "$WORK/$hw/python/mugrade.py" <<'EOF'
"""Stub: mugrade submits answers to the course server; the public tests never call it."""


def submit(*args, **kwargs):
    raise RuntimeError("mugrade.submit is not available here")
EOF
done

cat > "$WORK/hw1/apps/simple_ml.py" <<'EOF'
"""hw1's apps/simple_ml.py, stood in for by adjoint's own code."""
import sys

import numpy as np

sys.path.append("python/")
import needle as ndl  # noqa: E402  (adjoint's vector, through the needle shim)
from examples.nn_epoch import nn_epoch  # noqa: E402,F401  (the seed loop)
from vector.data import parse_mnist  # noqa: E402,F401  (adjoint's IDX reader)


def softmax_loss(Z, y_one_hot):
    return ndl.softmax_loss(Z, y_one_hot)


def loss_err(h, y):
    y_one_hot = np.zeros((y.shape[0], h.shape[-1]))
    y_one_hot[np.arange(y.size), y] = 1
    return softmax_loss(h, ndl.Tensor(y_one_hot)).numpy(), np.mean(h.numpy().argmax(axis=1) != y)
EOF

cat > "$WORK/hw2/apps/mlp_resnet.py" <<'EOF'
"""hw2's apps/mlp_resnet.py, stood in for by adjoint's own models and training loop."""
import os

import numpy as np

import needle as ndl
import vector.models
import vector.train


def ResidualBlock(dim, hidden_dim, norm=ndl.nn.BatchNorm1d, drop_prob=0.1):
    return vector.models.ResidualBlock(dim, hidden_dim, norm=norm, drop_prob=drop_prob)


def MLPResNet(dim, hidden_dim=100, num_blocks=3, num_classes=10, norm=ndl.nn.BatchNorm1d,
              drop_prob=0.1):
    return vector.models.MLPResNet(dim, hidden_dim, num_blocks, num_classes, norm, drop_prob)


def epoch(dataloader, model, opt=None):
    np.random.seed(4)  # the homework's skeleton seeds here
    return vector.train.epoch(dataloader, model, opt)


def train_mnist(batch_size=100, epochs=10, optimizer=ndl.optim.Adam, lr=0.001,
                weight_decay=0.001, hidden_dim=100, data_dir="data"):
    np.random.seed(4)
    path = lambda name: os.path.join(data_dir, name)  # noqa: E731
    train = ndl.data.MNISTDataset(path("train-images-idx3-ubyte.gz"),
                                  path("train-labels-idx1-ubyte.gz"))
    test = ndl.data.MNISTDataset(path("t10k-images-idx3-ubyte.gz"),
                                 path("t10k-labels-idx1-ubyte.gz"))
    model = MLPResNet(784, hidden_dim)
    opt = optimizer(model.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(epochs):
        train_err, train_loss = epoch(ndl.data.DataLoader(train, batch_size, shuffle=True),
                                      model, opt)
    test_err, test_loss = epoch(ndl.data.DataLoader(test, batch_size), model)
    return train_err, train_loss, test_err, test_loss
EOF

export PYTHONPATH="$ADJOINT" OPENBLAS_NUM_THREADS=1
status=0
cd "$WORK/hw1"
"$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider tests/hw1 \
    --deselect tests/hw1/test_autograd_hw.py::test_softmax_loss_ndl \
    --deselect tests/hw1/test_autograd_hw.py::test_nn_epoch_ndl || status=1
cd "$WORK/hw2"
"$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider \
    tests/hw2/test_nn_and_optim.py tests/hw2/test_data.py \
    --deselect tests/hw2/test_nn_and_optim.py::test_mlp_train_epoch_1 \
    --deselect tests/hw2/test_nn_and_optim.py::test_mlp_train_mnist_1 \
    --deselect tests/hw2/test_nn_and_optim.py::test_optim_adam_z_memory_check_1 \
    --deselect tests/hw2/test_data.py::test_mnist_dataset \
    --deselect tests/hw2/test_data.py::test_dataloader_mnist || status=1
exit $status
