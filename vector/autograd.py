"""The vector engine's core, in needle's names: `TensorOp`, `Tensor` and `make_from_op`.

A `Tensor` is a node of a graph: `op` applied to `inputs` gave `cached_data`. An op is one
`TensorOp` object with `compute` (numpy in, numpy out) and `gradient(out_grad, node)` (Tensor ops,
so a gradient is a graph too and can be differentiated again).

One call of `loss.backward()`, in order:

1. Order. `autodiff.topological_order` (autodiff/topo.py) lists the nodes of the graph that
   require grad, each after its inputs.
2. Copies. `vector/stand_ins.py` copies each node of that order: same id, op and values, and its
   inputs are copies too. The gradients refer to the copies, never to the nodes, so `x.grad`
   never leads back to `x` and every graph is freed by reference counting.
3. Reverse pass. `autodiff.backward` (autodiff/reverse.py, shared with the scalar engine) walks
   the order backwards: a node's adjoint, the sum of what its consumers sent it, becomes
   `node.grad`, and the node is asked for its `vjp`.
4. vjp. `Tensor.vjp` (below) hands the node's copy and its adjoint to `op.gradient`, and casts
   each partial adjoint to its input's dtype.
5. gradient. `op.gradient(out_grad, node)` (vector/ops/) builds the partial adjoints with Tensor
   ops (or a faster rule giving the same in fewer nodes: vector/ops/fused.py). While the pass
   runs, `make_from_op` records these nodes without computing them (`Mode.deferred`):
   `vector/deferred.py` computes one when its value is first read, so a gradient nobody reads
   (the input batch's, in a training loop) costs nothing.
6. Delivery. Gradients that reached copies (a pass over a gradient graph: `x.grad.backward()`)
   go on to the nodes they copy (`stand_ins.deliver`).

`make_from_op` reads `Mode` (vector/modes.py): recording, deferring, the pass's copies, and
forward mode, which pushes tangents through each op as it is computed (vector/tangents.py).
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import numpy as np

import autodiff
from autodiff import next_id
from vector import deferred, stand_ins, tangents
from vector.device import Device, all_devices, cpu, default_device  # noqa: F401 (as needle's)
from vector.inputs import as_array
from vector.modes import Mode, is_grad_enabled, no_grad, switch  # noqa: F401 (as needle's)
from vector.operators import Operators, ops
from vector.program import program  # noqa: F401 (also vector.program: the adjoint program)


class TensorOp:
    """One primitive of the vector engine, defined in one place.

    Subclasses give `compute(*arrays)` (numpy), `gradient(out_grad, node)` and `jvp(primals,
    tangents, out)` (numpy; forward mode). Calling the op on Tensors makes the result node.
    """

    name = "op"

    def __call__(self, *args: Tensor) -> Tensor:
        return Tensor.make_from_op(self, args)

    # (`*args: Any, **kwargs: Any`: the type checker lets each op name its arguments, `a, b`)
    def compute(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """The op's value, from its inputs' values."""
        raise NotImplementedError

    def gradient(self, out_grad: Tensor, node: Tensor) -> Tensor | tuple[Tensor, ...]:
        """The partial adjoint of each input, given the adjoint `out_grad` of the result.

        `node` is the result's copy made for this pass (step 2 above): read `node.inputs` and
        use `node` as the result's value; build the answer with Tensor ops. `out_grad` is
        deferred (step 5): reading its shape or values computes it and every deferred node it
        depends on, now, even if nobody needs that gradient; shapes are on `node` and its inputs.
        """
        raise NotImplementedError

    def gradient_as_tuple(self, out_grad: Tensor, node: Tensor) -> tuple[Tensor, ...]:
        grads = self.gradient(out_grad, node)
        return tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)

    def jvp(self, primals: tuple[np.ndarray, ...], tangents: tuple, out: np.ndarray) -> Any:
        """The tangent of the result, J·(tangents), in numpy (forward mode)."""
        raise NotImplementedError

    def check(self, *args: Any, **kwargs: Any) -> None:
        """Raise a clear error for inputs this op cannot take; called before `compute`."""

    def out_dtype(self, *args: Any, **kwargs: Any) -> np.dtype:
        """The dtype `compute` returns, known before computing (a deferred node needs it)."""
        found = _PROMOTIONS.get(args)
        if found is None:  # np.result_type costs more than a lookup; a pass asks the same few
            found = _PROMOTIONS[args] = np.result_type(*args)
        return found

    def params(self) -> str:
        """The op's parameters as text, for labels: `add_scalar(3)`."""
        return ""

    def __str__(self) -> str:
        p = self.params()
        return f"{self.name}({p})" if p else self.name

    def __repr__(self) -> str:
        return f"<op {self}>"


_PROMOTIONS: dict[tuple[np.dtype, ...], np.dtype] = {}


class Tensor(Operators):
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
        "stands_for",
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
        if isinstance(array, Tensor):
            array = array.realize_cached_data()
        data = as_array(array, dtype)
        self._init(None, (), data, data.dtype, bool(requires_grad), label=label)

    def _init(
        self,
        op: TensorOp | None,
        inputs: tuple[Tensor, ...],
        data: np.ndarray | None,
        dtype: np.dtype,
        requires_grad: bool,
        id: int = 0,
        label: str = "",
        stands_for: weakref.ref[Tensor] | None = None,
    ) -> None:
        """Every field of a node, set in this one place."""
        self.op = op
        self.inputs = inputs
        self._cached_data = data  # None while deferred (vector/deferred.py)
        self._dtype = dtype  # known before the values are, so a deferred node has it
        self.requires_grad = requires_grad
        self._grad = None
        self.id = id or next_id()  # a stand-in keeps the id of the node it copies
        self.label = label
        self.stands_for = stands_for  # a stand-in's node (vector/stand_ins.py); else None

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
        requires_grad = requires_grad and Mode.grad
        tensor = Tensor.__new__(Tensor)
        if Mode.deferred:  # inside backward(): computed when first read (vector/deferred.py)
            dtype = op.out_dtype(*[x._dtype for x in inputs])
            tensor._init(op, tuple(inputs), None, dtype, requires_grad)
            return tensor
        arrays = [x.realize_cached_data() for x in inputs]
        data = _compute(op, arrays)
        if requires_grad:
            tensor._init(op, tuple(inputs), data, data.dtype, True)
        else:  # as in needle: a result needing no gradient is a constant
            tensor._init(None, (), data, data.dtype, False)
        if Mode.tangents is not None:  # forward mode (vector/tangents.py)
            tangents.push(Mode.tangents, tensor, op, inputs, arrays)
        return tensor

    @staticmethod
    def make_const(data: Any, requires_grad: bool = False) -> Tensor:
        """A leaf around `data` (a Tensor's values or an array), no graph behind it."""
        tensor = Tensor.__new__(Tensor)
        data = as_array(data.realize_cached_data() if isinstance(data, Tensor) else data, None)
        tensor._init(None, (), data, data.dtype, requires_grad)
        return tensor

    def realize_cached_data(self) -> np.ndarray:
        """The node's values (a numpy array), computed first if they were deferred."""
        data = self._cached_data
        return data if data is not None else deferred.realize(self)

    @property
    def cached_data(self) -> np.ndarray:
        return self.realize_cached_data()  # needle code reads this attribute directly

    @cached_data.setter
    def cached_data(self, array: np.ndarray) -> None:
        self._cached_data = array
        self._dtype = array.dtype

    @property
    def realized(self) -> bool:  # False while deferred (a gradient no one has read yet)
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
        if value is not None and not isinstance(value, Tensor):
            value = Tensor(value, dtype=self._dtype, requires_grad=False)
        elif value is not None and value._dtype is not self._dtype:  # (vjp has cast it already)
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
        elif not isinstance(out_grad, Tensor):
            out_grad = Tensor(out_grad, dtype=self._dtype, requires_grad=False)
        if out_grad.shape != shape:
            raise ValueError(
                f"backward: out_grad has shape {out_grad.shape} but the tensor has shape {shape}; "
                "they must match"
            )
        out_grad = _in_dtype_of(self, out_grad)
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (it was built from constants or "
                "under no_grad), so there is nothing to differentiate"
            )
        return compute_gradient_of_variables(self, out_grad, create_graph, trace)

    def vjp(self, adjoint: Tensor) -> tuple[Tensor | None, ...]:
        """Step 4, the node protocol's `vjp`: a partial adjoint per input (None where none is due).

        Each is cast to its input's dtype when that is a floating dtype (as PyTorch does), so
        float32 parameters get float32 gradients whatever the loss was computed in.
        """
        op, copies = self.op, Mode.stand_ins
        if op is None or copies is None:
            raise RuntimeError("vjp: outside backward(), use autograd.partial_adjoints")
        rule = Mode.fused.get(type(op), op.gradient_as_tuple)  # or faster: vector/ops/fused.py
        partial_adjoints = rule(adjoint, copies[self.id])
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
        """`Tensor.live`: Tensors alive now (needle's TENSOR_COUNTER), counted on demand."""

        def __get__(self, instance: object, owner: type) -> int:
            return sum(1 for o in gc.get_objects() if isinstance(o, Tensor))

    live = _LiveCount()


# ------------------------------------------------------------------------------ the reverse pass
def compute_gradient_of_variables(
    output_tensor: Tensor, out_grad: Tensor, create_graph: bool = True, trace: bool = False
) -> list[autodiff.Step] | None:
    """needle's name for the reverse pass: steps 1 to 6 of this module's docstring, in order."""
    record = create_graph and Mode.grad
    order = autodiff.topological_order((output_tensor,), requiring_grad=True)
    copies = stand_ins.copy_order(order, record, _stand_in)
    faster = ops().fused.FASTER_GRADIENTS
    with switch(grad=record, deferred=True, tangents=None, stand_ins=copies, fused=faster):
        steps = autodiff.backward(output_tensor, out_grad, trace=trace, order=order)
    stand_ins.deliver(order)
    return steps


def partial_adjoints(node: Tensor) -> tuple[Tensor | None, ...]:
    """What `node` sent each input in the last backward pass, computed again as plain values
    (viz draws one step at a time). Nothing is recorded, so the node is its own stand-in."""
    if node.grad is None:
        raise ValueError("partial_adjoints: the node has no grad; run backward() first")
    with switch(grad=False, deferred=False, tangents=None, stand_ins={node.id: node}):
        return node.vjp(node.grad)


def find_topo_sort(node_list: list[Tensor]) -> list[Tensor]:
    """needle's name for the shared topological order (post-order DFS, inputs left to right)."""
    return autodiff.topological_order(node_list)


def __getattr__(name: str) -> Any:
    # needle's tests read `ndl.autograd.TENSOR_COUNTER`; ours is counted on demand.
    if name == "TENSOR_COUNTER":
        return Tensor.live
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------------------------ helpers
def _stand_in(of: Tensor, inputs: tuple, record: bool, stands_for: Any) -> Tensor:
    """For vector/stand_ins.py: a copy of a node, with its id, op and values, over `inputs`."""
    copy = Tensor.__new__(Tensor)
    copy._init(of.op, inputs, of._cached_data, of._dtype, record, of.id, of.label, stands_for)
    return copy


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
    if grad._dtype == dtype or dtype.kind != "f":
        return grad
    return ops().cast(grad, dtype)


def _rebuild(cls: type[Tensor], data: np.ndarray, requires_grad: bool, label: str) -> Tensor:
    t = cls.__new__(cls)
    Tensor.__init__(t, data, requires_grad=requires_grad, label=label)
    return t
