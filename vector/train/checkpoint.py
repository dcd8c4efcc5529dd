"""Saving and loading a model's tensors (`.npz`), with the options it was built with.

    save_model("model.npz", model, {"model": "mlp-resnet", "hidden": 100})
    load_model("model.npz", build_model("mlp-resnet", 784, 100), {"model": "mlp-resnet", ...})

The file holds `Module.state_dict()` (parameters and BatchNorm running statistics) and the `meta`
options as JSON, so that a mismatch can say which option differs. It is written to a temporary
name and renamed, so a failed save leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from vector import nn
from vector.files import atomic_output

__all__ = ["CheckpointError", "load_model", "save_model"]

_META_KEY = "_meta"


class CheckpointError(ValueError):
    """`path` is no checkpoint for this model; `reason` says why in one line.

    `differences` maps each option recorded in the file that differs from the loading model's
    to `(saved, current)`, a likely cause of a shape mismatch.
    """

    def __init__(
        self, path: str | os.PathLike[str], reason: str, differences: dict[str, tuple] | None = None
    ) -> None:
        self.path = path
        self.reason = reason
        self.differences = differences or {}
        hint = ""
        if self.differences:
            saved = ", ".join(f"{k}={old!r}" for k, (old, _) in self.differences.items())
            current = ", ".join(f"{k}={new!r}" for k, (_, new) in self.differences.items())
            hint = f" (saved with {saved}; this model has {current})"
        super().__init__(f"{path}: {reason}{hint}")


def save_model(path: str | os.PathLike[str], model: nn.Module, meta: dict[str, Any]) -> None:
    """Save every tensor of `model` (`Module.state_dict`) and `meta` to the `.npz` file `path`."""
    arrays = dict(model.state_dict())
    arrays[_META_KEY] = np.array(json.dumps(meta, sort_keys=True))
    with atomic_output(Path(path)) as out:
        np.savez(out, **arrays)


def load_model(
    path: str | os.PathLike[str], model: nn.Module, meta: dict[str, Any] | None = None
) -> None:
    """Load the tensors saved by `save_model` into `model`.

    Raises FileNotFoundError when `path` does not exist, and CheckpointError when it is no saved
    model or its names or shapes differ from `model`'s (naming every mismatch and, when the file
    records them, the options in `meta` it was saved with differently).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            state = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise CheckpointError(path, f"not a saved model (.npz): {error}") from None
    saved_meta: dict[str, Any] = {}
    if _META_KEY in state:
        with contextlib.suppress(ValueError, TypeError):
            saved_meta = json.loads(str(state.pop(_META_KEY)))
    try:
        model.load_state_dict(state)
    except ValueError as error:
        meta = meta or {}
        differ = sorted(k for k in meta if k in saved_meta and saved_meta[k] != meta[k])
        raise CheckpointError(
            path, str(error), {k: (saved_meta[k], meta[k]) for k in differ}
        ) from None
