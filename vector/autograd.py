"""The vector engine's core, in needle's names: `TensorOp`, `Tensor` and `make_from_op`.

A `Tensor` is a node of a graph: `op` applied to `inputs` gave `cached_data`. An op is one
`TensorOp` object with `compute` (numpy in, numpy out) and `gradient(out_grad, node)` (Tensor ops,
so a gradient is a graph too and can be differentiated again). `backward()` walks the graph in
reverse topological order with the reverse pass the scalar engine shares (`autodiff.backward`).

Three things needle does not have are kept out of this file, each in a module of its own that
says what it buys and what it costs; here they are one line each:
- `vector/deferred.py`: gradients built by `backward()` are computed when first read.
- `vector/stand_ins.py`: gradient graphs refer to copies of the forward nodes, not to the nodes.
- `vector/tangents.py`: forward mode pushes tangents through every op (`vector.jvp`).
"""

from __future__ import annotations

import gc
import numbers
from typing import Any

import numpy as np

import autodiff
from autodiff import next_id
from vector import deferred, stand_ins, tangents
from vector.device import Device, all_devices, cpu, default_device
from vector.modes import Mode, is_grad_enabled, no_grad, switch
from vector.program import program  # noqa: F401  (also vector.program: the adjoint program)

__all__ = [
    "Device",
    "Tensor",
    "TensorOp",
    "all_devices",
    "compute_gradient_of_variables",
    "cpu",
    "default_device",
    "find_topo_sort",
    "is_grad_enabled",
    "no_grad",
]


class TensorOp:
    """One primitive of the vector engine, defined in one place.

    Subclasses give `compute(*arrays)` (numpy), `gradient(out_grad, node)` and `jvp(primals,
    tangents, out)` (numpy; forward mode). Calling the op on Tensors makes the result node.
    """

    name = "op"

    def __call__(self, *args: Tensor) -> Tensor:
        return Tensor.make_from_op(self, args)

    def compute(self, *args: np.ndarray) -> np.ndarray:
        """The op's value, from its inputs' values."""
        raise NotImplementedError

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor | tuple[Tensor, ...]:
        """The partial adjoint of each input, given the adjoint `out_grad` of the result.

        `node` is the result whose inputs these are: the node itself, or, while `backward()`
        runs, its stand-in (`vector/stand_ins.py`), a copy with the same id, op and values whose
        inputs are stand-ins too. Either way read `node.inputs` and use `node` as the result's
        value; build the answer with Tensor ops.
        """
        raise NotImplementedError

    def gradient_as_tuple(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, ...]:
        grads = self.gradient(out_grad, node)
        if isinstance(grads, tuple):
            return grads
        return tuple(grads) if isinstance(grads, list) else (grads,)

    def jvp(self, primals: tuple[np.ndarray, ...], tangents: tuple, out: np.ndarray) -> Any:
        """The tangent of the result, J·(tangents), in numpy (forward mode)."""
        raise NotImplementedError

    def check(self, *arrays: np.ndarray) -> None:
        """Raise a clear error for inputs this op cannot take; called before `compute`."""

    def out_dtype(self, *dtypes: np.dtype) -> np.dtype:
        """The dtype `compute` returns, known before computing (deferred results need it)."""
        found = _PROMOTIONS.get(dtypes)  # numpy's promotion, remembered (see _PROMOTIONS)
        return found if found is not None else _promote(dtypes)

    def params(self) -> str:
        """The op's parameters as text, for labels: `add_scalar(3)`."""
        return ""

    def __str__(self) -> str:
        p = self.params()
        return f"{self.name}({p})" if p else self.name

    def __repr__(self) -> str:
        return f"<op {self}>"


class Tensor:
    """A numpy array that remembers how it was made, with needle's public API.

    Leaves have `op = None` and no inputs. `requires_grad` says whether gradients flow to the
    node; a result requires grad when any input does (and the graph is being recorded).
    """

    __slots__ = (
        "__weakref__",
        "_cached_data",
        "_dtype",
        "_grad",
        "id",
        "inputs",
        "label",
        "op",
        "requires_grad",
    )

    # numpy must hand `ndarray * tensor` to Tensor.__rmul__ instead of broadcasting over it.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(
        self,
        array: Any,
        *,
        device: Device | None = None,
        dtype: Any = None,
        requires_grad: bool = True,
        label: str = "",
    ) -> None:
        if device is not None and not isinstance(device, Device):
            raise ValueError(f"Tensor: unknown device {device!r}; the only device is vector.cpu()")
        self._init(None, (), _as_array(array, dtype), bool(requires_grad))
        self.label = label

    def _init(
        self, op: TensorOp | None, inputs: tuple, data: np.ndarray | None, requires_grad: bool
    ) -> None:
        self.op = op
        self.inputs = inputs
        self._cached_data = data
        self._dtype = None if data is None else data.dtype
        self.requires_grad = requires_grad
        self._grad = None
        self.id = next_id()
        self.label = ""

    # ------------------------------------------------------------------------- graph building
    @staticmethod
    def make_from_op(op: TensorOp, inputs: tuple[Tensor, ...]) -> Tensor:
        """The result of `op(*inputs)`, a new node of the graph."""
        requires_grad = False
        for x in inputs:
            if not isinstance(x, Tensor):
                raise TypeError(f"{op}: expected Tensor inputs, got {type(x).__name__}: {x!r}")
            if x.requires_grad:
                requires_grad = True
        tensor = Tensor.__new__(Tensor)
        tensor._init(op, tuple(inputs), None, requires_grad and Mode.grad)
        if Mode.deferred:  # inside backward(): computed when first read (vector/deferred.py)
            tensor._dtype = op.out_dtype(*[x._dtype for x in inputs])
            return tensor
        arrays = [x.realize_cached_data() for x in inputs]
        data = _compute(op, arrays)
        tensor._cached_data = data
        tensor._dtype = data.dtype
        if Mode.tangents is not None:  # forward mode (vector/tangents.py)
            tangents.push(Mode.tangents, tensor, arrays)
        if not tensor.requires_grad:  # as in needle: a result needing no gradient is a constant
            tensor.op = None
            tensor.inputs = ()
        return tensor

    @staticmethod
    def make_const(data: Any, requires_grad: bool = False) -> Tensor:
        """A leaf around `data` (a Tensor's values or an array), no graph behind it."""
        if isinstance(data, Tensor):
            data = data.realize_cached_data()
        tensor = Tensor.__new__(Tensor)
        tensor._init(None, (), _as_array(data, None), requires_grad)
        return tensor

    def realize_cached_data(self) -> np.ndarray:
        data = self._cached_data
        return data if data is not None else deferred.realize(self)

    @property
    def cached_data(self) -> np.ndarray:
        """The node's values (a numpy array), computed first if they were deferred."""
        data = self._cached_data
        return data if data is not None else deferred.realize(self)

    @cached_data.setter
    def cached_data(self, array: np.ndarray) -> None:
        self._cached_data = array
        self._dtype = array.dtype

    @property
    def realized(self) -> bool:
        """False while the values are deferred (a gradient no one has read yet)."""
        return self._cached_data is not None

    # ------------------------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.realize_cached_data().shape

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def device(self) -> Device:
        return cpu()

    @property
    def ndim(self) -> int:
        return self.realize_cached_data().ndim

    @property
    def size(self) -> int:
        return self.realize_cached_data().size

    def numpy(self) -> np.ndarray:
        return self.realize_cached_data()

    def is_leaf(self) -> bool:
        return self.op is None

    def detach(self) -> Tensor:
        """The same values as a new constant leaf: no graph behind it, no gradient."""
        return Tensor.make_const(self.realize_cached_data())

    @property
    def data(self) -> Tensor:
        return self.detach()

    @data.setter
    def data(self, value: Tensor | np.ndarray) -> None:
        """Replace the values, as needle does: any shape, kept in this tensor's dtype."""
        array = value.realize_cached_data() if isinstance(value, Tensor) else np.asarray(value)
        if array.dtype != self._dtype:
            array = array.astype(self._dtype)
        self._cached_data = array

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if type(value) is Tensor and value._dtype is self._dtype:
            self._grad = value  # what the reverse pass sets, in this dtype already (see vjp)
            return
        if value is not None and not isinstance(value, Tensor):
            value = Tensor(value, dtype=self._dtype, requires_grad=False)
        elif value is not None:
            value = _in_dtype_of(self, value)
        self._grad = value

    # ----------------------------------------------------------------------------- reverse mode
    def backward(
        self, out_grad: Tensor | None = None, create_graph: bool = True, trace: bool = False
    ) -> list[autodiff.Step] | None:
        """Set `.grad` of every node of this graph that requires grad to d(self)/d(node).

        As in needle, the gradient computation is itself recorded as a graph (so
        `x.grad.backward()` differentiates again) unless `create_graph=False` or grad recording is
        off. `out_grad` defaults to ones (d(sum of self)/d(node) for a non-scalar self). With
        `trace`, return the steps of the reverse pass (`autodiff.Step`).
        """
        shape = self.shape
        if out_grad is None:
            out_grad = Tensor.make_const(np.ones(shape, dtype=self._dtype))
        else:
            if not isinstance(out_grad, Tensor):
                out_grad = Tensor(out_grad, dtype=self._dtype, requires_grad=False)
            if out_grad.shape != shape:
                raise ValueError(
                    f"backward: out_grad has shape {out_grad.shape} but the tensor has shape "
                    f"{shape}; they must match"
                )
            out_grad = _in_dtype_of(self, out_grad)
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (it was built from constants or "
                "under no_grad), so there is nothing to differentiate"
            )
        return compute_gradient_of_variables(self, out_grad, create_graph, trace)

    def vjp(self, adjoint: Tensor) -> tuple[Tensor | None, ...]:
        """The node protocol's step: one partial adjoint per input (None where none is needed).

        Each is cast to its input's dtype when that is a floating dtype (as PyTorch does), so
        float32 parameters get float32 gradients whatever the loss was computed in.
        """
        node = stand_ins.copy_of(self)
        if node is None:  # asked outside a backward pass (viz does): plain values, no graph
            order = autodiff.topological_order((self,), requiring_grad=True)
            with stand_ins.pass_over(order, False, _stand_in), switch(grad=False, deferred=False):
                return self.vjp(adjoint)
        partial_adjoints = self.op.gradient_as_tuple(adjoint, node)
        sent = []
        for x, partial_adjoint in zip(self.inputs, partial_adjoints, strict=True):
            if not x.requires_grad:
                partial_adjoint = None
            elif partial_adjoint._dtype is not x._dtype:  # (the same dtype object: nothing to do)
                partial_adjoint = _in_dtype_of(x, partial_adjoint)
            sent.append(partial_adjoint)
        return tuple(sent)

    @property
    def local_derivatives(self) -> None:
        return None  # a tensor's local derivative is a Jacobian, shown only through its VJP

    # ------------------------------------------------------------------------------- operators
    # vector.ops defines its ops by subclassing TensorOp from this module, so this module cannot
    # import vector.ops at its top; the operators import it when they are called.
    def __add__(self, other: Any) -> Tensor:
        import vector.ops as ops

        if isinstance(other, Tensor):
            return ops.add(self, other)
        return ops.add_scalar(self, _operand("add", other))

    def __radd__(self, other: Any) -> Tensor:
        import vector.ops as ops

        return ops.add_scalar(self, _operand("add", other))

    def __sub__(self, other: Any) -> Tensor:
        import vector.ops as ops

        if isinstance(other, Tensor):
            return ops.add(self, ops.negate(other))
        return ops.add_scalar(self, -_operand("subtract", other))

    def __rsub__(self, other: Any) -> Tensor:
        import vector.ops as ops

        return ops.add_scalar(ops.negate(self), _operand("subtract", other))

    def __mul__(self, other: Any) -> Tensor:
        import vector.ops as ops

        if isinstance(other, Tensor):
            return ops.multiply(self, other)
        return ops.mul_scalar(self, _operand("multiply", other))

    def __rmul__(self, other: Any) -> Tensor:
        import vector.ops as ops

        return ops.mul_scalar(self, _operand("multiply", other))

    def __truediv__(self, other: Any) -> Tensor:
        import vector.ops as ops

        if isinstance(other, Tensor):
            return ops.divide(self, other)
        return ops.divide_scalar(self, _operand("divide", other))

    def __rtruediv__(self, other: Any) -> Tensor:
        import vector.ops as ops

        other = _operand("divide", other)
        dtype = np.result_type(self._dtype, other, np.float16)  # true division gives floats
        return ops.divide(Tensor(np.asarray(other, dtype=dtype), requires_grad=False), self)

    def __pow__(self, other: Any) -> Tensor:
        import vector.ops as ops

        if isinstance(other, Tensor):
            return ops.power(self, other)
        return ops.power_scalar(self, _operand("power", other))

    def __rpow__(self, other: Any) -> Tensor:
        import vector.ops as ops

        other = _operand("power", other)
        base = np.asarray(other, dtype=np.result_type(self._dtype, other))
        return ops.power(Tensor(base, requires_grad=False), self)

    def __neg__(self) -> Tensor:
        import vector.ops as ops

        return ops.negate(self)

    def __matmul__(self, other: Tensor) -> Tensor:
        import vector.ops as ops

        return ops.matmul(self, other)

    def matmul(self, other: Tensor) -> Tensor:
        import vector.ops as ops

        return ops.matmul(self, other)

    def sum(self, axes: Any = None) -> Tensor:
        import vector.ops as ops

        return ops.summation(self, axes)

    def reshape(self, shape: Any) -> Tensor:
        import vector.ops as ops

        return ops.reshape(self, shape)

    def transpose(self, axes: Any = None) -> Tensor:
        import vector.ops as ops

        return ops.transpose(self, axes)

    def broadcast_to(self, shape: Any) -> Tensor:
        import vector.ops as ops

        return ops.broadcast_to(self, shape)

    # ------------------------------------------------------------------------ printing, copying
    def __repr__(self) -> str:
        shown = str(self._cached_data) if self.realized else "<deferred: not computed yet>"
        return f"Tensor({shown}, dtype={self._dtype})"

    def __str__(self) -> str:
        return str(self.realize_cached_data())

    def __reduce__(self) -> tuple:
        # Copies and pickles are new leaves holding the values, as with `detach()`.
        return _rebuild, (type(self), self.realize_cached_data(), self.requires_grad, self.label)

    class _LiveCount:
        """`Tensor.live`: how many Tensors exist now (needle's TENSOR_COUNTER), for leak tests.

        Counted on demand from the garbage collector's list of objects rather than by a counter
        in every constructor and destructor, so training pays nothing for it. Tensors caught in
        a reference cycle count until the cyclic collector frees them: what a leak test wants.
        """

        def __get__(self, instance: object, owner: type) -> int:
            return sum(1 for o in gc.get_objects() if isinstance(o, Tensor))

    live = _LiveCount()


# ------------------------------------------------------------------------------ the reverse pass
def compute_gradient_of_variables(
    output_tensor: Tensor, out_grad: Tensor, create_graph: bool = True, trace: bool = False
) -> list[autodiff.Step] | None:
    """needle's name for the reverse pass: set `.grad` of every node `output_tensor` depends on.

    The pass is `autodiff.backward`, shared with the scalar engine. What this adds is how the
    gradient graph is built: recorded or not (`create_graph`), deferred until read
    (`vector/deferred.py`), over stand-ins of the forward nodes (`vector/stand_ins.py`).
    """
    record = create_graph and Mode.grad
    order = autodiff.topological_order((output_tensor,), requiring_grad=True)
    copies = stand_ins.pass_over(order, record, _stand_in)
    with copies, switch(grad=record, deferred=True, tangents=None):
        steps = autodiff.backward(output_tensor, out_grad, trace=trace, order=order)
    copies.deliver()  # gradients that reached stand-ins go on to the nodes they copy
    return steps


def find_topo_sort(node_list: list[Tensor]) -> list[Tensor]:
    """needle's name for the shared topological order (post-order DFS, inputs left to right)."""
    return autodiff.topological_order(node_list)


def __getattr__(name: str) -> Any:
    # needle's tests read `ndl.autograd.TENSOR_COUNTER`; ours is counted on demand.
    if name == "TENSOR_COUNTER":
        return Tensor.live
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------------------------ helpers
def _compute(op: TensorOp, arrays: list[np.ndarray]) -> np.ndarray:
    op.check(*arrays)
    try:
        data = op.compute(*arrays)
    except (ValueError, TypeError, IndexError) as error:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{op}: {error} (input shapes {shapes})") from None
    # numpy reductions hand back numpy scalars; the engine only ever holds arrays
    return data if type(data) is np.ndarray else np.asarray(data)


def _in_dtype_of(node: Tensor, grad: Tensor) -> Tensor:
    """`grad` in `node`'s dtype when that is floating (as PyTorch); integer nodes take their
    gradient in whatever dtype the computation gave (as needle)."""
    dtype = node._dtype
    if grad._dtype is dtype or grad._dtype == dtype or dtype.kind != "f":
        return grad
    import vector.ops as ops  # see the note above the operators

    return ops.cast(grad, dtype)


def _stand_in(original: Tensor, inputs: tuple[Tensor, ...], requires_grad: bool) -> Tensor:
    """For vector/stand_ins.py: a node with `original`'s id, op and values over `inputs`."""
    copy = Tensor.__new__(Tensor)
    copy.op = original.op
    copy.inputs = inputs
    copy._cached_data = original._cached_data
    copy._dtype = original._dtype
    copy.requires_grad = requires_grad
    copy._grad = None
    copy.id = original.id
    copy.label = original.label
    return copy


_PROMOTIONS: dict[tuple[np.dtype, ...], np.dtype] = {}
"""numpy's promotion of dtype tuples, remembered: `np.result_type` costs more than a lookup, and a
backward pass asks the same few questions (float32 with bool, float32 with float64) every step."""


def _promote(dtypes: tuple[np.dtype, ...]) -> np.dtype:
    found = _PROMOTIONS[dtypes] = np.result_type(*dtypes)
    return found


def _rebuild(cls: type, data: np.ndarray, requires_grad: bool, label: str) -> Tensor:
    t = cls.__new__(cls)
    Tensor.__init__(t, data, requires_grad=requires_grad, label=label)
    return t


def _as_array(array: Any, dtype: Any) -> np.ndarray:
    if type(array) is np.ndarray and dtype is None and array.dtype.kind in "biuf":
        return array  # the common case in a training loop: nothing to convert or check
    if isinstance(array, Tensor):
        data = array.realize_cached_data()
        return data if dtype is None else data.astype(dtype, copy=False)
    try:
        data = np.asarray(array, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise TypeError(
            f"Tensor: cannot make a numeric array from {short(array)} ({error}); expected "
            "numbers, a rectangular nested list of numbers, or a numpy array"
        ) from None
    if data.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor: data must be real numbers, got dtype {data.dtype} from {short(array)}"
        )
    return data


def short(value: Any) -> str:
    """`repr(value)`, cut to 60 characters, for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def real_number(value: Any) -> Any:
    """`value` as a number a `*_scalar` op can take, or None if it is not one.

    Python and numpy numbers pass as they are (numpy promotes with them as numpy does). A 0-d or
    one-element numeric array becomes the Python number it holds, so that, as in needle,
    `divide_scalar(x, scalar=np.random.randn(1))` works and keeps x's dtype.
    """
    if type(value) in (int, float) or isinstance(value, numbers.Real):
        return value
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf":
        return value.item()
    return None


def _operand(op: str, value: Any) -> Any:
    # An operator takes numbers and 0-d arrays; a one-element array of shape (1,) has a shape
    # that would broadcast, so it must be a Tensor there (only the *_scalar ops take it).
    if type(value) in (int, float):
        return value
    number = real_number(value) if np.ndim(value) == 0 else None
    if number is None:
        raise TypeError(
            f"{op}: cannot combine a Tensor with {short(value)} ({type(value).__name__}); "
            "expected a Tensor or a real number"
        )
    return number
