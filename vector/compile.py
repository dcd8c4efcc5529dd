"""`vector.compile(fn)`: trace a loss function once per input signature, then replay its program.

    step = vector.compile(loss_of)          # loss_of(X, W1, W2, Y) -> a one-element Tensor
    value, grads = step(X, W1, W2, Y)       # arrays in, numpy out: value and one grad per argument

The first call with arguments of given shapes, dtypes and requires_grad flags calls `fn` on
Tensors made from them, writes the adjoint program of the result (`vector.program`) and keeps it;
every later call with that signature runs the program alone: no graph, no Tensors, the numpy
lines a person would write by hand, and the very numbers `backward()` gives. `step.programs`
lists the programs kept (a training epoch whose last batch is smaller has two).

Arguments: a numpy array becomes a Tensor that requires grad; a Tensor keeps its own flag, so
`Tensor(X, requires_grad=False)` passes data whose gradient is never computed (its grad is None).

Tensors `fn` reads from outside (a model's parameters) are inputs of the program too: each call
passes their current values, so optimiser updates between calls are seen, and gives their
gradients to their `.grad`, as `backward()` does. An optimiser's `step()` works unchanged.

With `has_aux=True`, `fn` returns `(loss, aux)` with aux a Tensor (or tuple of Tensors) of the
loss's graph, such as the logits, and the step returns `(value, grads, aux_values)`.

What a replay cannot do is refused while tracing, with the reason and what to do instead:
`fn` drawing random numbers (Dropout in training mode, `init.rand`, `randn`, `randb`), since a
replay would repeat the traced call's draws; `fn` changing state outside its graph (a `.data`
assignment, BatchNorm1d's running statistics in training mode), since a replay would skip it; a
Tensor `fn` makes from numbers computed outside the graph (`Tensor(f(y))`), since a replay would
reuse its values; and a result that is not a one-element Tensor.

How it watches: numpy's global random state is compared before and after the traced call; and
while it runs, a profile hook (`sys.setprofile`, removed afterwards, only during tracing) notes
calls of the `data` and `cached_data` setters on Tensors made before the call.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, cast

import numpy as np

from autodiff import next_id, topological_order
from autodiff.program import Program
from vector.autograd import Tensor
from vector.program import program

__all__ = ["CompileError", "Compiled", "compile"]

# What a trace is kept under, per argument: its shape, its dtype, whether it wants a gradient.
_ArgumentKey = tuple[tuple[int, ...], np.dtype[Any], bool]


class CompileError(ValueError):
    """`fn` does something a replayed program cannot repeat; the message says what to do."""


def compile(fn: Callable[..., Any], *, has_aux: bool = False) -> Compiled:
    """A step function that runs `fn`'s adjoint program, traced once per input signature."""
    if not callable(fn):
        raise TypeError(f"vector.compile: expected a function, got {type(fn).__name__}")
    return Compiled(fn, has_aux)


class _Trace:
    """One kept program and what a call must pass it besides the arguments."""

    def __init__(self, prog: Program, captured: list[Tensor], n_args: int, n_aux: int) -> None:
        self.program = prog
        self.captured = captured
        self.signature = [(t.realize_cached_data().shape, t.dtype) for t in captured]
        self.n_args = n_args
        self.n_aux = n_aux


class Compiled:
    """`step(*args) -> (value, grads)`: `fn`'s adjoint program, one per input signature."""

    def __init__(self, fn: Callable[..., Any], has_aux: bool) -> None:
        self.fn = fn
        self.has_aux = has_aux
        self._traces: dict[tuple[_ArgumentKey, ...], _Trace] = {}

    @property
    def programs(self) -> list[Program]:
        """The programs traced so far, in the order they were first needed."""
        return [t.program for t in self._traces.values()]

    def __call__(self, *args: Any) -> Any:
        arrays: list[np.ndarray] = []
        key: list[_ArgumentKey] = []
        for k, arg in enumerate(args):
            if type(arg) is np.ndarray:
                array, wanted = arg, True
            elif isinstance(arg, Tensor):
                array, wanted = arg.realize_cached_data(), arg.requires_grad
            elif isinstance(arg, np.generic):
                array, wanted = np.asarray(arg), True
            else:
                raise TypeError(
                    f"vector.compile: argument {k} of {_name(self.fn)} must be a numpy array or "
                    f"a Tensor, got {type(arg).__name__}"
                )
            arrays.append(array)
            key.append((array.shape, array.dtype, wanted))
        found = self._traces.get(tuple(key))
        if found is None or any(
            (t.realize_cached_data().shape, t.dtype) != s
            for t, s in zip(found.captured, found.signature, strict=True)
        ):
            found = self._trace(args, arrays, tuple(key))
        return self._replay(found, arrays)

    # -------------------------------------------------------------------------------- replay
    @staticmethod
    def _replay(trace: _Trace, arrays: list[np.ndarray]) -> Any:
        captured = trace.captured
        result = trace.program(*arrays, *[t.realize_cached_data() for t in captured])
        value, grads = result[0], result[1]
        for t, g in zip(captured, grads[trace.n_args :], strict=True):
            if g is not None:
                t.grad = g
        own = grads[: trace.n_args]
        if trace.n_aux:
            return value, own, result[2]
        return value, own

    # ------------------------------------------------------------------------------- tracing
    def _trace(
        self, args: tuple[Any, ...], arrays: list[np.ndarray], key: tuple[_ArgumentKey, ...]
    ) -> _Trace:
        name = _name(self.fn)
        labels = _parameter_names(self.fn, len(arrays))
        tensors = [
            Tensor(a, requires_grad=wanted, label=label)
            for a, (_, _, wanted), label in zip(arrays, key, labels, strict=True)
        ]
        for t, arg in zip(tensors, args, strict=True):
            if isinstance(arg, Tensor) and arg.label:
                t.label = arg.label
        start = next_id()  # every Tensor made from here on has a larger id
        random_before = _random_state()
        watch = _StateWatch(start)
        previous = sys.getprofile()
        sys.setprofile(watch)
        try:
            out = self.fn(*tensors)
        finally:
            sys.setprofile(previous)
        random_after = _random_state()
        if not (
            np.array_equal(random_before[1], random_after[1])
            and random_before[2:] == random_after[2:]
        ):
            raise CompileError(
                f"vector.compile: {name} drew random numbers from numpy's generator while it "
                "was traced (Dropout in training mode, init.rand, randn or randb); a replay would "
                "repeat this call's draws. Put such layers in eval mode (model.eval()), or draw "
                "outside the function and pass the result as an argument."
            )
        if watch.assigned:
            raise CompileError(
                f"vector.compile: {name} changes tensors made outside it ({watch.assigned}; "
                "a .data assignment, or BatchNorm1d's running statistics in training mode); a "
                "replay would skip the change. Make the change outside the function; models "
                "with BatchNorm1d train without vector.compile."
            )
        aux: tuple[Any, ...] = ()
        if self.has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise CompileError(
                    f"vector.compile: {name} was compiled with has_aux=True, so it must return "
                    f"(loss, aux); it returned {type(out).__name__}"
                )
            out, aux_out = out
            aux = aux_out if isinstance(aux_out, tuple) else (aux_out,)
        if not isinstance(out, Tensor) or out.realize_cached_data().size != 1:
            what = (
                f"a Tensor of shape {out.shape}" if isinstance(out, Tensor) else type(out).__name__
            )
            raise CompileError(
                f"vector.compile: {name} must return a one-element Tensor (a loss) to be "
                f"differentiated, but returned {what}; sum it, or return the loss itself."
            )
        own = {t.id for t in tensors}
        captured: list[Tensor] = []
        for node in topological_order((out,)):
            if node.op is not None or node.id in own:
                continue
            if node.id < start:  # made before the call: a parameter, or data read from outside
                captured.append(node)
                continue
            data = node.realize_cached_data()
            if data.ndim == 0 and not node.requires_grad and not node.label:
                continue  # a Python number made a Tensor (the 2 of `2 / x`): a literal
            raise CompileError(
                f"vector.compile: {name} makes a Tensor of shape {data.shape} whose values "
                "were computed outside the graph (Tensor(...) or init.one_hot of an argument's "
                "values, or ops on tensors that need no gradient, such as BatchNorm1d's running "
                "statistics); a replay would reuse this call's values. Pass it as an argument, "
                "or compute it from the arguments with Tensor ops."
            )
        for node in aux:
            if not isinstance(node, Tensor):
                raise CompileError(
                    f"vector.compile: the aux results of {name} must be Tensors, got "
                    f"{type(node).__name__}"
                )
        prog = program(out, [*tensors, *captured], name=f"{name}_grad", outputs=aux)
        trace = _Trace(prog, captured, len(tensors), len(aux))
        self._traces[key] = trace
        return trace

    def __repr__(self) -> str:
        return f"<vector.compile of {_name(self.fn)}: {len(self._traces)} program(s)>"


class _StateWatch:
    """A profile hook noting calls of Tensor's `data` and `cached_data` setters on Tensors made
    before the traced call (ids below `start`)."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.codes = {
            Tensor.data.fset.__code__,  # type: ignore[attr-defined]
            Tensor.cached_data.fset.__code__,  # type: ignore[attr-defined]
        }
        self.assigned = ""

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in self.codes:
            target = frame.f_locals.get("self")
            if isinstance(target, Tensor) and target.id < self.start and not self.assigned:
                label = f" {target.label}" if target.label else ""
                self.assigned = f"the tensor{label} of shape {target.shape}"


def _random_state() -> tuple[Any, ...]:
    """numpy's global generator's state: (name, key array, position, has_gauss, cached)."""
    return cast(tuple[Any, ...], np.random.get_state(legacy=True))


def _parameter_names(fn: Callable[..., Any], n: int) -> list[str]:
    """The names of fn's first n positional parameters (x0, x1, … where it has none)."""
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [params[k] if k < len(params) else f"x{k}" for k in range(n)]


def _name(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__name__", "") or "fn"
    return name if name.isidentifier() and name != "<lambda>" else "fn"
