"""Neural-network modules with needle's API: `Module`, `Parameter` and the layers of hw2.

import vector as ndl
model = ndl.nn.Sequential(ndl.nn.Linear(784, 100), ndl.nn.ReLU(), ndl.nn.Linear(100, 10))
loss = ndl.nn.SoftmaxLoss()(model(X), y)
"""

from vector.nn.layers import Dropout, Flatten, Linear, ReLU, Sigmoid, Tanh
from vector.nn.loss import SoftmaxLoss
from vector.nn.module import Identity, Module, Parameter, Residual, Sequential
from vector.nn.norm import BatchNorm1d, LayerNorm1d

__all__ = [
    "BatchNorm1d",
    "Dropout",
    "Flatten",
    "Identity",
    "LayerNorm1d",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "SoftmaxLoss",
    "Tanh",
]
