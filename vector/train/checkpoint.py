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
import zlib
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from vector import nn
from vector.files import atomic_output

__all__ = ["CheckpointError", "load_model", "save_model"]

_META_KEY = "_meta"
_META_LIMIT = 2**16  # bytes: the options record is a few dozen
_NUMERIC_KINDS = "biuf"  # booleans, integers, floats: what a tensor of this engine can hold


class CheckpointError(ValueError):
    """`path` is no checkpoint for this model; `reason` says why in one line.

    `differences` maps each option recorded in the file that differs from the loading model's
    to `(saved, current)`, a likely cause of a shape mismatch.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        reason: str,
        differences: dict[str, tuple[Any, Any]] | None = None,
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
        # (numpy's stub types **kwds as its own keyword arguments; these are array names)
        np.savez(out, **arrays)  # type: ignore[arg-type]


def load_model(
    path: str | os.PathLike[str], model: nn.Module, meta: dict[str, Any] | None = None
) -> None:
    """Load the tensors saved by `save_model` into `model`, all of them or none.

    Every entry is checked by name, dtype and the shape its header declares before any is read
    (so a small file declaring a huge entry costs nothing), and every array is converted to its
    tensor's dtype before the first is assigned: on any error the model is as it was.

    Raises FileNotFoundError when `path` does not exist, and CheckpointError when it is no saved
    model (not an `.npz` archive, an entry that is no numeric `.npy` array) or its names or shapes
    differ from `model`'s (naming every mismatch and, when the file records them, the options in
    `meta` it was saved with differently).
    """
    own = dict(model.named_tensors())
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise CheckpointError(path, "not a saved model (.npz): it is a folder") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise CheckpointError(path, f"not a saved model (.npz archive): {error}") from None
    with archive:
        try:
            headers = {name: _header(archive, info) for name, info in _entries(archive).items()}
            saved_meta = _saved_meta(archive, headers.pop(_META_KEY, None))
            _check_entries(headers, own, meta or {}, saved_meta, path)
            state = {name: _read(archive, name, own[name]) for name in own}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            if isinstance(error, CheckpointError):
                raise
            raise CheckpointError(path, f"not a saved model (.npz): {error}") from None
    model.load_state_dict(state)


class _Header(NamedTuple):
    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype


def _entries(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    entries = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy") or info.filename in entries:
            raise ValueError(f"entry {info.filename!r} is no array saved by numpy")
        entries[info.filename.removesuffix(".npy")] = info
    if not entries:
        raise ValueError("the archive holds no arrays")
    return entries


def _header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Header:
    """The shape and dtype an entry's `.npy` header declares, reading nothing after it."""
    name = info.filename.removesuffix(".npy")
    with archive.open(info) as stream:
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f".npy format version {version}")
        except ValueError as error:
            raise ValueError(f"entry {name} is no .npy array ({error})") from None
    return _Header(info, tuple(shape), dtype)


def _saved_meta(archive: zipfile.ZipFile, header: _Header | None) -> dict[str, Any]:
    """The options recorded by `save_model` ({} when absent or unreadable: they only explain)."""
    if header is None or header.dtype.kind != "U" or header.shape != ():
        return {}
    if header.dtype.itemsize > _META_LIMIT:
        raise ValueError(f"entry {_META_KEY} declares {header.dtype.itemsize} bytes of options")
    with archive.open(header.info) as stream:
        text = str(np.lib.format.read_array(stream, allow_pickle=False))
    with contextlib.suppress(ValueError):
        saved = json.loads(text)
        if isinstance(saved, dict):
            return saved
    return {}


def _check_entries(
    headers: dict[str, _Header],
    own: dict[str, Any],
    meta: dict[str, Any],
    saved_meta: dict[str, Any],
    path: str | os.PathLike[str],
) -> None:
    """Refuse entries of the wrong kind, then names and shapes that differ from the model's."""
    for name, header in headers.items():
        if header.dtype.kind not in _NUMERIC_KINDS or header.dtype.fields is not None:
            raise ValueError(f"entry {name} holds {header.dtype} values, not numbers")
    missing = [name for name in own if name not in headers]
    unexpected = [name for name in headers if name not in own]
    shapes = [
        f"{name} is {headers[name].shape} but the model has {own[name].shape}"
        for name in own
        if name in headers and headers[name].shape != tuple(own[name].shape)
    ]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected " + ", ".join(_abridged(unexpected)))
    if shapes:
        problems.append("; ".join(_abridged(shapes)))
    if problems:
        differ = sorted(k for k in meta if k in saved_meta and saved_meta[k] != meta[k])
        raise CheckpointError(
            path,
            "state does not match the model: " + "; ".join(problems),
            {k: (saved_meta[k], meta[k]) for k in differ},
        )


def _abridged(items: list[str], limit: int = 5) -> list[str]:
    # A hostile or foreign archive may have thousands of entries; one line names a few.
    return items if len(items) <= limit else [*items[:limit], f"and {len(items) - limit} more"]


def _read(archive: zipfile.ZipFile, name: str, tensor: Any) -> np.ndarray:
    """Entry `name`, whose header was checked, converted to `tensor`'s dtype."""
    with archive.open(f"{name}.npy") as stream:
        array = np.lib.format.read_array(stream, allow_pickle=False)
    if not np.isfinite(array).all():
        raise ValueError(f"entry {name} holds values that are not finite (nan or inf)")
    return np.asarray(array, dtype=tensor.dtype)
