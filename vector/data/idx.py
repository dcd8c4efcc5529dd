"""Reading and writing IDX files, the format MNIST and Fashion-MNIST ship in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
big-endian 32-bit size per dimension, then the values in C order, big-endian. The files are
usually distributed gzip-compressed; `read_idx` accepts either form and tells them apart by the
gzip magic bytes, not by the file name, because renamed or hand-decompressed copies are common.

Every defect raises `IDXError` (a `ValueError`) whose message starts with the file's path and then
says what is wrong, so that a bad download is diagnosed from the message alone.
"""

from __future__ import annotations

import contextlib
import gzip as gziplib
import math
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

import numpy as np

from vector.files import atomic_output

__all__ = ["IDX_TYPES", "IDXError", "read_idx", "read_idx_header", "write_idx"]

#: Type code -> numpy dtype of the values (as stored: big-endian).
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES: dict[str, int] = {dtype.name: code for code, dtype in IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 2**20  # bytes read (decompressed) at a time


class IDXError(ValueError):
    """A file that is not a well-formed IDX file; the message names the file and the defect."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        super().__init__(f"{os.fspath(path)}: {problem}")
        self.path = os.fspath(path)
        self.problem = problem


def _describe_codes() -> str:
    return ", ".join(f"0x{code:02X} {dtype.name}" for code, dtype in IDX_TYPES.items())


def _shape_text(dims: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in dims)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a native-endian numpy array.

    The array has the dimensions the header gives and the dtype its type code names (uint8 for
    MNIST images and labels). It is a fresh, writable array that owns its data.

    The file is read as a stream checked against its header: at most the declared number of
    bytes is read (decompressed), so a small file that claims, or expands to, gigabytes costs no
    more memory than its header's size and the data it really holds.

    Raises:
        FileNotFoundError / OSError: the file cannot be read.
        IDXError: the content is not a valid IDX file — corrupt gzip data, a wrong magic number,
            an unknown type code, zero dimensions, or a length that disagrees with the header.
    """
    with _open(path) as (stream, what, size):
        dims, dtype, header = _read_header(path, stream, what)
        expected = math.prod(dims) * dtype.itemsize
        if size is not None and size - header != expected:
            # A raw file's length is known before reading a byte of it.
            raise _length_error(path, dims, dtype, size - header, what)
        data = _read_at_most(stream, expected)
        if len(data) < expected:
            raise _length_error(path, dims, dtype, len(data), what)
        if stream.read(1):
            raise _length_error(path, dims, dtype, None, what)
    # astype copies into native byte order, so callers get a writable array of their own.
    values = np.frombuffer(data, dtype=dtype, count=math.prod(dims))
    return values.reshape(dims).astype(dtype.newbyteorder("="))


def read_idx_header(path: str | os.PathLike[str]) -> tuple[tuple[int, ...], np.dtype]:
    """The dimensions and dtype an IDX file's header declares, reading nothing after it
    (for sizing a job before loading its data). Raises IDXError as `read_idx` does."""
    with _open(path) as (stream, what, _):
        dims, dtype, _ = _read_header(path, stream, what)
    return dims, dtype.newbyteorder("=")


@contextlib.contextmanager
def _open(path: str | os.PathLike[str]) -> Iterator[tuple[BinaryIO, str, int | None]]:
    """The file's content as a stream (decompressed if it is gzip data, told by the magic
    bytes), what to call it in messages, and its length when known without reading it."""
    with open(path, "rb") as file:
        compressed = file.read(2) == _GZIP_MAGIC
        file.seek(0)
        if not compressed:
            yield file, "file", os.fstat(file.fileno()).st_size
            return
        try:
            with gziplib.GzipFile(fileobj=file, mode="rb") as stream:
                yield cast(BinaryIO, stream), "decompressed file", None
        except (OSError, EOFError, zlib.error) as exc:
            raise IDXError(path, f"truncated or corrupt gzip data ({exc})") from exc


def _read_at_most(stream: BinaryIO, size: int) -> bytearray:
    """Up to `size` bytes of `stream`, fewer at its end. Read in chunks, so memory follows the
    data that is there, not the size a header claims."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(min(_CHUNK, size - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def _read_header(
    path: str | os.PathLike[str], stream: BinaryIO, what: str
) -> tuple[tuple[int, ...], np.dtype, int]:
    """The header's dimensions and (big-endian) dtype, and its length in bytes."""
    magic = stream.read(4)
    if len(magic) < 4:
        raise IDXError(path, f"too short for an IDX header: the {what} has {len(magic)} bytes")
    zero0, zero1, code, ndim = magic
    if zero0 or zero1:
        raise IDXError(
            path,
            f"not an IDX file: magic number 0x{magic.hex().upper()} "
            "should start with two zero bytes",
        )
    if code not in IDX_TYPES:
        raise IDXError(path, f"unknown IDX type code 0x{code:02X} (known: {_describe_codes()})")
    if ndim == 0:
        raise IDXError(path, "the IDX header says the data has 0 dimensions (at least 1 needed)")
    header = 4 + 4 * ndim
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise IDXError(
            path,
            f"truncated header: {ndim} dimensions need {header} header bytes "
            f"but the {what} has {4 + len(sizes)}",
        )
    dims = tuple(int(d) for d in np.frombuffer(sizes, dtype=">u4"))
    return dims, IDX_TYPES[code], header


def _length_error(
    path: str | os.PathLike[str],
    dims: tuple[int, ...],
    dtype: np.dtype,
    actual: int | None,
    what: str,
) -> IDXError:
    """The data does not have the header's length; `actual` is None when it is longer by an
    amount not worth decompressing to count."""
    expected = math.prod(dims) * dtype.itemsize
    declared = f"header says {_shape_text(dims)} {dtype.name} ({expected} bytes of data)"
    if actual is None:
        return IDXError(path, f"trailing data: {declared} but the {what} has more")
    problem = "truncated" if actual < expected else "trailing data"
    return IDXError(path, f"{problem}: {declared} but the {what} has {actual}")


def write_idx(path: str | os.PathLike[str], array: np.ndarray, *, gzip: bool | None = None) -> Path:
    """Write `array` as an IDX file and return its path.

    `gzip=None` compresses when the name ends in ``.gz``; True or False force it. The dtype must be
    one IDX can hold (uint8, int8, int16, int32, float32, float64) and the array needs at least one
    dimension. The file is written under a temporary name in the same folder and renamed into
    place, so a reader never sees a half-written file, even if writing fails midway.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype.name)
    if code is None:
        raise ValueError(
            f"{path}: IDX cannot store {array.dtype.name} values "
            f"(it holds {', '.join(_CODES)}); cast the array first"
        )
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"{path}: IDX needs 1 to 255 dimensions, the array has {array.ndim}")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"{path}: IDX dimensions must be below 2**32, got {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    body = np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()
    compress = path.name.endswith(".gz") if gzip is None else gzip
    with atomic_output(path) as out:
        if compress:
            # mtime=0 keeps the output byte-identical for identical arrays.
            with gziplib.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as zipped:
                zipped.write(header)
                zipped.write(body)
        else:
            out.write(header)
            out.write(body)
    return path
