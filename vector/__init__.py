"""adjoint's vector engine: numpy Tensors with needle's public API.

`import vector as ndl` and code written for CMU 10-714's needle runs: Tensor, the ops, and
(in their modules) init, nn, optim and data. Start reading at `vector/autograd.py`.
"""

from vector import autograd, data, init, models, nn, ops, optim
from vector.autograd import Tensor, TensorOp, find_topo_sort
from vector.compile import compile  # noqa: F401  (not in __all__: `import *` keeps the builtin)
from vector.device import Device, cpu, default_device
from vector.forward import jacobian_fwd, jacobian_rev, jvp
from vector.init import ones, ones_like, zeros, zeros_like
from vector.modes import no_grad
from vector.ops import *  # noqa: F403  (needle exposes every op at the top level)
from vector.ops import __all__ as _op_names
from vector.program import program

__all__ = [
    "Device",
    "Tensor",
    "TensorOp",
    "autograd",
    "cpu",
    "data",
    "default_device",
    "find_topo_sort",
    "init",
    "jacobian_fwd",
    "jacobian_rev",
    "jvp",
    "models",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "optim",
    "program",
    "zeros",
    "zeros_like",
    *_op_names,
]
