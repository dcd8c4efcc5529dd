"""`Parameter`, `Module` and the modules that only arrange other modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from vector.autograd import Tensor

__all__ = ["Identity", "Module", "Parameter", "Residual", "Sequential"]


class Parameter(Tensor):
    """A Tensor that a Module trains: `Module.parameters()` collects every Parameter it holds.

    It is a plain Tensor in every other way (no new slots). Results of ops on it are Tensors.
    """

    __slots__ = ()


def _walk(value: Any, prefix: str, seen: set[int]) -> Iterator[tuple[str, Any]]:
    """(dotted name, item) for every Tensor and Module reachable from `value`, each once, in
    attribute order, entering sub-modules, lists, tuples and dicts (a module before its contents).

    Recursive: module trees are shallow, and plain recursion keeps needle's attribute order.
    """
    if isinstance(value, Tensor | Module):
        if id(value) in seen:
            return
        seen.add(id(value))
        yield prefix, value
        if isinstance(value, Module):
            for key, item in vars(value).items():
                yield from _walk(item, f"{prefix}.{key}" if prefix else key, seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{prefix}.{key}" if prefix else str(key), seen)
    elif isinstance(value, list | tuple):
        for k, item in enumerate(value):
            yield from _walk(item, f"{prefix}.{k}" if prefix else str(k), seen)


class Module:
    """Base class of layers and models: subclasses set attributes in `__init__` and define
    `forward`; calling the module calls `forward`.

    Parameters and sub-modules are found in attributes and, recursively, in the lists, tuples and
    dicts they hold. `training` is True until `eval()`; `train()`/`eval()` set it on every
    sub-module too.
    """

    # A class default, so a subclass that forgets `super().__init__()` still works.
    training: bool = True

    def __init__(self) -> None:
        self.training = True

    def named_tensors(self) -> Iterator[tuple[str, Tensor]]:
        """Every Tensor the module tree holds, by dotted name (`modules.0.weight`), in attribute
        order, each once: the parameters and other state such as BatchNorm's running statistics."""
        for name, item in _walk(self, "", set()):
            if isinstance(item, Tensor):
                yield name, item

    def parameters(self) -> list[Parameter]:
        """Every Parameter of this module and its sub-modules, in attribute order, each once."""
        return [t for _, t in self.named_tensors() if isinstance(t, Parameter)]

    def _children(self) -> list[Module]:
        """Every sub-module at any depth, in attribute order, each once (not this module)."""
        found = _walk(self, "", set())
        next(found)  # the module itself
        return [item for _, item in found if isinstance(item, Module)]

    def train(self) -> Module:
        """Training mode here and in every sub-module (Dropout drops, BatchNorm uses the batch)."""
        self.training = True
        for child in self._children():
            child.training = True
        return self

    def eval(self) -> Module:
        """Evaluation mode here and in every sub-module (Dropout off, BatchNorm running stats)."""
        self.training = False
        for child in self._children():
            child.training = False
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """The values of every Tensor in the tree (`named_tensors`), by name (what --save keeps)."""
        return {name: t.realize_cached_data() for name, t in self.named_tensors()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Replace the values of the module's Tensors by `state[name]`, keeping their dtypes.

        Raises ValueError listing every missing name, unexpected name and shape mismatch; nothing
        is changed unless all names and shapes agree.
        """
        own = dict(self.named_tensors())
        missing = [name for name in own if name not in state]
        unexpected = [name for name in state if name not in own]
        shapes = [
            f"{name} is {tuple(np.shape(state[name]))} but the model has {own[name].shape}"
            for name in own
            if name in state and tuple(np.shape(state[name])) != own[name].shape
        ]
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if unexpected:
            problems.append("unexpected " + ", ".join(unexpected))
        if shapes:
            problems.append("; ".join(shapes))
        if problems:
            raise ValueError("state does not match the model: " + "; ".join(problems))
        for name, tensor in own.items():
            tensor.data = np.asarray(state[name])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")


class Identity(Module):
    """f(x) = x."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Sequential(Module):
    """f(x) = mₙ(…m₂(m₁(x))): the modules applied in order."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        self.modules = modules

    def forward(self, x: Tensor) -> Tensor:
        for module in self.modules:
            x = module(x)
        return x


class Residual(Module):
    """f(x) = fn(x) + x: a skip connection around `fn` (whose output must have x's shape)."""

    def __init__(self, fn: Module) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x) + x
