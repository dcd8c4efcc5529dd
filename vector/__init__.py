"""adjoint's vector engine: numpy Tensors with needle's public API.

`import vector as ndl` and code written for CMU 10-714's needle runs: Tensor, the ops, and
(in their modules) init, nn, optim and data.
"""

from vector import autograd, data, ops
from vector.autograd import Device, TensorOp, cpu, default_device, find_topo_sort, no_grad
from vector.forward import jacobian_fwd, jacobian_rev, jvp
from vector.ops import *  # noqa: F403  (needle exposes every op at the top level)
from vector.ops import __all__ as _op_names
from vector.tensor import Tensor

__all__ = [
    "Device",
    "Tensor",
    "TensorOp",
    "autograd",
    "cpu",
    "data",
    "default_device",
    "find_topo_sort",
    "jacobian_fwd",
    "jacobian_rev",
    "jvp",
    "no_grad",
    "ops",
    *_op_names,
]

from vector import init, models, nn, optim  # noqa: F401  (needle: ndl.init, ndl.nn, ndl.optim)
