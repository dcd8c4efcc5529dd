"""`Tensor`: a numpy array that remembers how it was made, with needle's public API."""

from __future__ import annotations

import gc
import numbers
import weakref
from typing import Any

import numpy as np

import autodiff
from autodiff import next_id
from vector.autograd import Device, Mode, TensorOp, _modes, cpu


class Tensor:
    """A node of the vector engine's graph: `op` applied to `inputs` gave `cached_data`.

    Leaves have `op = None` and no inputs. Nodes built while a backward pass runs are lazy: their
    `cached_data` stays None until `realize_cached_data()` (or any op using them) asks for it.
    """

    __slots__ = (
        "__weakref__",
        "_dtype",
        "_grad",
        "_origin",
        "_tangent",
        "cached_data",
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
        data = _as_array(array, dtype)
        _init_node(self, None, (), data, data.dtype)
        # Only real floating-point values have derivatives; needle code routinely wraps integer
        # labels in Tensor(...) with the default requires_grad=True, so quietly say no there.
        self.requires_grad = bool(requires_grad) and data.dtype.kind == "f"
        self.label = label

    def __reduce__(self) -> tuple:
        # Copies and pickles are new leaves holding the values (counted in `live` like any
        # Tensor); the graph and gradient stay behind, as with `detach()`.
        return _rebuild, (type(self), self.realize_cached_data(), self.requires_grad, self.label)

    # ----------------------------------------------------------------------------- graph building
    @staticmethod
    def make_from_op(op: TensorOp, inputs: tuple[Tensor, ...]) -> Tensor:
        """The result of `op(*inputs)`: computed now, or recorded for later in lazy mode."""
        for i in inputs:
            if not isinstance(i, Tensor):
                raise TypeError(f"{op}: expected Tensor inputs, got {type(i).__name__}: {i!r}")
        return _make(op, tuple(inputs))

    @staticmethod
    def make_const(data: Any, requires_grad: bool = False) -> Tensor:
        return Tensor(data, requires_grad=requires_grad)

    def realize_cached_data(self) -> np.ndarray:
        data = self.cached_data
        return data if data is not None else _realize(self)

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
        return Tensor(self.realize_cached_data(), requires_grad=False)

    @property
    def data(self) -> Tensor:
        return self.detach()

    @data.setter
    def data(self, value: Tensor | np.ndarray) -> None:
        array = value.realize_cached_data() if isinstance(value, Tensor) else np.asarray(value)
        old = self.realize_cached_data()
        if array.shape != old.shape:
            raise ValueError(
                f"Tensor.data: new values have shape {array.shape} but the tensor has shape "
                f"{old.shape}; make a new Tensor to change the shape"
            )
        if array.dtype != self._dtype:
            array = array.astype(self._dtype)
        self.cached_data = array

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                value = Tensor(value, dtype=self._dtype, requires_grad=False)
            elif value._dtype != self._dtype:
                value = _cast(value, self._dtype)
        # A stand-in made by a backward pass (see `_stand_in`) passes the gradient to the node it
        # stands for, so `x.grad.backward()` lands on `x` itself.
        origin = self._origin() if self._origin is not None else None
        (origin if origin is not None else self)._grad = value

    # -------------------------------------------------------------------------- reverse mode
    def backward(
        self, out_grad: Tensor | None = None, create_graph: bool = True, trace: bool = False
    ) -> list[autodiff.Step] | None:
        """Set `.grad` of every node of this graph that requires grad to d(self)/d(node).

        As in needle, the gradient computation is itself recorded as a graph (so
        `x.grad.backward()` differentiates again) unless `create_graph=False` or grad recording is
        off. `out_grad` defaults to ones (d(sum of self)/d(node) for a non-scalar self).
        """
        data = self.realize_cached_data()
        if out_grad is None:
            seed = _constant(np.ones(data.shape, dtype=self._dtype))
        else:
            seed = out_grad if isinstance(out_grad, Tensor) else Tensor(out_grad, dtype=self._dtype)
            if seed.shape != data.shape:
                raise ValueError(
                    f"backward: out_grad has shape {seed.shape} but the tensor has shape "
                    f"{data.shape}; they must match"
                )
            if seed._dtype != self._dtype:
                seed = Tensor(seed.realize_cached_data().astype(self._dtype), requires_grad=False)
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (it was built from constants or "
                "under no_grad), so there is nothing to differentiate"
            )
        record = create_graph and Mode.grad
        order = autodiff.topological_order((self,), requiring_grad=True)
        saved = (_Pass.stand_ins, Mode.grad, Mode.lazy, Mode.tangents)
        _Pass.stand_ins = _stand_ins(order, record)
        Mode.grad, Mode.lazy, Mode.tangents = record, True, False
        try:
            return autodiff.backward(self, seed, trace=trace, order=order)
        finally:
            _Pass.stand_ins, Mode.grad, Mode.lazy, Mode.tangents = saved

    def vjp(self, adjoint: Tensor) -> tuple[Tensor | None, ...]:
        """The partial adjoints for the inputs, each cast to its input's dtype (None: no grad)."""
        stand_ins = _Pass.stand_ins
        if stand_ins is not None:
            return self._partials(adjoint, stand_ins[self.id])
        # Asked directly (viz does), not by a running backward pass: compute plain values.
        order = autodiff.topological_order((self,), requiring_grad=True)
        with _modes(grad=False, lazy=False, tangents=False):
            return self._partials(adjoint, _stand_ins(order, record=False)[self.id])

    def _partials(self, adjoint: Tensor, stand_in: Tensor) -> tuple[Tensor | None, ...]:
        partials = self.op.gradient_as_tuple(adjoint, stand_in)
        out: list[Tensor | None] = []
        for inp, partial in zip(self.inputs, partials, strict=True):
            if not inp.requires_grad:
                out.append(None)
            elif partial._dtype != inp._dtype:
                out.append(_cast(partial, inp._dtype))
            else:
                out.append(partial)
        return tuple(out)

    def local_derivatives(self) -> None:
        return None  # a tensor's local derivative is a Jacobian, shown only through its VJP

    # ------------------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return _make(ops.elementwise._EWISEADD, (self, other))
        return ops.add_scalar(self, _scalar("add", other))

    def __radd__(self, other: Any) -> Tensor:
        return ops.add_scalar(self, _scalar("add", other))

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            negated = _make(ops.elementwise._NEGATE, (other,))
            return _make(ops.elementwise._EWISEADD, (self, negated))
        return ops.add_scalar(self, -_scalar("subtract", other))

    def __rsub__(self, other: Any) -> Tensor:
        return ops.add_scalar(ops.negate(self), _scalar("subtract", other))

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return _make(ops.elementwise._EWISEMUL, (self, other))
        return ops.mul_scalar(self, _scalar("multiply", other))

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul_scalar(self, _scalar("multiply", other))

    def __truediv__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return _make(ops.elementwise._EWISEDIV, (self, other))
        return ops.divide_scalar(self, _scalar("divide", other))

    def __rtruediv__(self, other: Any) -> Tensor:
        other = _scalar("divide", other)
        numerator = Tensor(np.asarray(other, dtype=np.result_type(self._dtype, other, np.float16)))
        numerator.requires_grad = False
        return ops.divide(numerator, self)

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return ops.power(self, other)
        return ops.power_scalar(self, _scalar("power", other))

    def __rpow__(self, other: Any) -> Tensor:
        other = _scalar("power", other)
        base = Tensor(
            np.asarray(other, dtype=np.result_type(self._dtype, other)), requires_grad=False
        )
        return ops.power(base, self)

    def __neg__(self) -> Tensor:
        return _make(ops.elementwise._NEGATE, (self,))

    def __matmul__(self, other: Tensor) -> Tensor:
        return ops.matmul(self, other)

    def matmul(self, other: Tensor) -> Tensor:
        return ops.matmul(self, other)

    def sum(self, axes: Any = None) -> Tensor:
        return ops.summation(self, axes)

    def reshape(self, shape: Any) -> Tensor:
        return ops.reshape(self, shape)

    def transpose(self, axes: Any = None) -> Tensor:
        return ops.transpose(self, axes)

    def broadcast_to(self, shape: Any) -> Tensor:
        return ops.broadcast_to(self, shape)

    def __repr__(self) -> str:
        data = self.cached_data
        shown = "<not computed yet>" if data is None else str(data)
        return f"Tensor({shown}, dtype={self._dtype})"

    def __str__(self) -> str:
        return str(self.realize_cached_data())


class _LiveCount:
    """`Tensor.live`: how many Tensors exist now (needle's TENSOR_COUNTER), for leak tests.

    Counted on demand from the garbage collector's list of objects rather than by a counter in
    every constructor and destructor, so training pays nothing for it. Tensors caught in a
    reference cycle count as alive until the cyclic collector frees them, which is what a leak
    test wants to see.
    """

    def __get__(self, instance: object, owner: type) -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, Tensor))


Tensor.live = _LiveCount()  # type: ignore[assignment]


# --------------------------------------------------------------------------------- internals
def _rebuild(cls: type, data: np.ndarray, requires_grad: bool, label: str) -> Tensor:
    t = cls.__new__(cls)
    Tensor.__init__(t, data, requires_grad=requires_grad, label=label)
    return t


class _Pass:
    """State of the backward pass now running: the stand-ins made so far, by node id."""

    stand_ins: dict[int, Tensor] | None = None


def _init_node(
    t: Tensor, op: TensorOp | None, inputs: tuple, data: np.ndarray | None, dtype: np.dtype
) -> None:
    t.op = op
    t.inputs = inputs
    t.cached_data = data
    t._dtype = dtype
    t.id = next_id()
    t._grad = None
    t._origin = None
    t._tangent = None
    t.label = ""


def _make(op: TensorOp, inputs: tuple[Tensor, ...]) -> Tensor:
    """Every op result is born here; kept lean because a training step makes dozens."""
    t = _new(Tensor)
    t.inputs = inputs
    t._grad = t._origin = t._tangent = None
    t.label = ""
    t.id = next_id()
    needs_grad = False
    if Mode.grad:
        for i in inputs:
            if i.requires_grad:
                needs_grad = True
                break
    t.requires_grad = needs_grad
    if Mode.lazy:
        t.op = op
        t.cached_data = None
        first = inputs[0]._dtype
        if (
            op.keeps_dtype
            and first.kind == "f"
            and (len(inputs) == 1 or (len(inputs) == 2 and inputs[1]._dtype == first))
        ):
            t._dtype = first
        else:
            t._dtype = op.out_dtype(*[i._dtype for i in inputs])
        return t
    arrays = [i.cached_data if i.cached_data is not None else _realize(i) for i in inputs]
    data = _compute(op, arrays)
    t.cached_data = data
    t._dtype = data.dtype
    if needs_grad:
        t.op = op
    else:  # as needle does: a result that needs no gradient is a detached constant
        t.op = None
        t.inputs = ()
    if Mode.tangents:
        t._tangent = _push_tangent(op, inputs, arrays, data)
    return t


_new = object.__new__


def _constant(data: np.ndarray) -> Tensor:
    """A constant leaf around an array the engine made itself (no checks needed)."""
    t = _new(Tensor)
    _init_node(t, None, (), data, data.dtype)
    t.requires_grad = False
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
            f"Tensor: cannot make a numeric array from {_short(array)} ({error}); expected "
            "numbers, a rectangular nested list of numbers, or a numpy array"
        ) from None
    if data.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor: data must be real numbers, got dtype {data.dtype} from {_short(array)}"
        )
    return data


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_real_number(value: Any) -> bool:
    """A Python or numpy real number, or a 0-d numeric array: what a `*_scalar` op can take."""
    if type(value) in (int, float) or isinstance(value, numbers.Real):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biuf"


def _scalar(op: str, value: Any) -> Any:
    if _is_real_number(value):
        return value
    raise TypeError(
        f"{op}: cannot combine a Tensor with {_short(value)} ({type(value).__name__}); expected "
        "a Tensor or a real number"
    )


def _compute(op: TensorOp, arrays: list[np.ndarray]) -> np.ndarray:
    op.check(*arrays)
    try:
        data = op.compute(*arrays)
    except (ValueError, TypeError, IndexError) as error:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{op}: {error} (input shapes {shapes})") from None
    # numpy reductions hand back numpy scalars; the engine only ever holds arrays
    return data if type(data) is np.ndarray else np.asarray(data)


def _realize(root: Tensor) -> np.ndarray:
    """Compute a lazy node and the lazy nodes it depends on, inputs first, without recursion."""
    order: list[Tensor] = []
    seen = {root.id}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if child.cached_data is None and child.id not in seen:
                seen.add(child.id)
                stack.append((child, iter(child.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    for node in order:
        data = node.op.compute(*[i.cached_data for i in node.inputs])
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        if data.dtype != node._dtype:
            data = data.astype(node._dtype)
        node.cached_data = data
        if not node.requires_grad:  # a gradient computed without recording: keep the value only
            node.op = None
            node.inputs = ()
    return root.cached_data


def _stand_ins(order: list[Tensor], record: bool) -> dict[int, Tensor]:
    """Copies of the nodes in `order` (inputs first) for gradient graphs to refer to, by id.

    A recorded gradient refers to the forward graph (d(exp x)/dx is exp x), and `x.grad` hangs on
    `x`; referring to `x` itself would make x → x.grad → ... → x a reference cycle, freed only by
    the cyclic garbage collector. A stand-in shares the node's id, op and values, its inputs are
    stand-ins too, and it reaches the node only through a weak reference, used to deliver
    higher-order gradients to it. Constants need no stand-in: no gradient ever hangs on them.
    """
    stand_ins: dict[int, Tensor] = {}
    for original in order:
        copy = _new(Tensor)
        copy.op = original.op
        copy.inputs = tuple([stand_ins[i.id] if i.requires_grad else i for i in original.inputs])
        copy.cached_data = original.cached_data
        copy._dtype = original._dtype
        copy.id = original.id
        copy.label = original.label
        copy.requires_grad = record
        # A stand-in of a stand-in (third derivatives) must still lead to the real node.
        copy._origin = (original._origin or weakref.ref(original)) if record else None
        copy._grad = copy._tangent = None
        stand_ins[original.id] = copy
    return stand_ins


def _push_tangent(
    op: TensorOp, inputs: tuple[Tensor, ...], arrays: list[np.ndarray], out: np.ndarray
) -> np.ndarray | None:
    tangents = [i._tangent for i in inputs]
    if all(t is None for t in tangents):
        return None
    filled = tuple(
        np.zeros_like(a) if t is None else t for a, t in zip(arrays, tangents, strict=True)
    )
    return np.asarray(op.jvp(tuple(arrays), filled, out))


def _cast(t: Tensor, dtype: np.dtype) -> Tensor:
    return ops.cast(t, dtype)


# Set by `vector.ops` when it loads (it imports this module, so it cannot be imported here).
ops: Any = None

# Ops build their results through this one function (see TensorOp.__call__).
import vector.autograd as _autograd  # noqa: E402

_autograd._make_from_op = Tensor.make_from_op
