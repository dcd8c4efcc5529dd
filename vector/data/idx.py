"""Reading and writing IDX files, the format MNIST and Fashion-MNIST ship in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
big-endian 32-bit size per dimension, then the values in C order, big-endian. The files are
usually distributed gzip-compressed; `read_idx` accepts either form and tells them apart by the
gzip magic bytes, not by the file name, because renamed or hand-decompressed copies are common.

Every defect raises `IDXError` (a `ValueError`) whose message starts with the file's path and then
says what is wrong, so that a bad download is diagnosed from the message alone.
"""

from __future__ import annotations

import gzip as gziplib
import math
import os
import zlib
from pathlib import Path

import numpy as np

from vector.files import atomic_output

__all__ = ["IDX_TYPES", "IDXError", "read_idx", "write_idx"]

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

    Raises:
        FileNotFoundError / OSError: the file cannot be read.
        IDXError: the content is not a valid IDX file — corrupt gzip data, a wrong magic number,
            an unknown type code, zero dimensions, or a length that disagrees with the header.
    """
    raw = Path(path).read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gziplib.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise IDXError(path, f"truncated or corrupt gzip data ({exc})") from exc
        what = "decompressed file"
    else:
        what = "file"
    return _parse(path, raw, what)


def _parse(path: str | os.PathLike[str], raw: bytes, what: str) -> np.ndarray:
    if len(raw) < 4:
        raise IDXError(path, f"too short for an IDX header: the {what} has {len(raw)} bytes")
    zero0, zero1, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero0 or zero1:
        raise IDXError(
            path,
            f"not an IDX file: magic number 0x{raw[:4].hex().upper()} "
            "should start with two zero bytes",
        )
    if code not in IDX_TYPES:
        raise IDXError(path, f"unknown IDX type code 0x{code:02X} (known: {_describe_codes()})")
    if ndim == 0:
        raise IDXError(path, "the IDX header says the data has 0 dimensions (at least 1 needed)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(
            path,
            f"truncated header: {ndim} dimensions need {header} header bytes "
            f"but the {what} has {len(raw)}",
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    actual = len(raw) - header
    if actual != expected:
        problem = "truncated" if actual < expected else "trailing data"
        raise IDXError(
            path,
            f"{problem}: header says {_shape_text(dims)} {dtype.name} ({expected} bytes of data) "
            f"but the {what} has {actual}",
        )
    # astype copies into native byte order, so callers get a writable array of their own.
    data = np.frombuffer(raw, dtype=dtype, count=math.prod(dims), offset=header)
    return data.reshape(dims).astype(dtype.newbyteorder("="))


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
