"""Small files that claim, or expand to, a lot: reading them is refused at the cost of their
header, not of what they expand to. Peak memory is measured in a child process (its own
ru_maxrss before and after), so the test process's history does not blur it."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from vector_helpers import REPO

EXPANDED = 128 * 2**20  # bytes each file expands to; reading it whole would show at once
ALLOWED = 32 * 2**20  # bytes of peak growth allowed for reading and refusing it

CHILD = """
import resource, sys
import numpy as np
from vector import train
from vector.data import read_idx

kind, path = sys.argv[1], sys.argv[2]
np.random.seed(0)
model = train.build_model("mlp", 36, 16)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    if kind == "idx":
        read_idx(path)
    else:
        train.load_model(path, model)
except ValueError as error:
    print(error)
else:
    print("accepted")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) * 1024)  # ru_maxrss is in KiB on Linux
"""


def _peak(kind: str, path: Path) -> tuple[str, int]:
    """The message reading `path` ends with, and the growth of the reader's peak memory."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    message, growth = result.stdout.splitlines()
    return message, int(growth)


def _zeros(chunks: int) -> bytes:
    return bytes(2**20) * chunks


def _gzip_of(header: bytes, size: int) -> bytes:
    """gzip data of `header` then `size` zero bytes, compressed a MiB at a time (a few hundred
    kilobytes for EXPANDED)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    parts = [compressor.compress(header)]
    chunk = _zeros(1)
    for _ in range(size // len(chunk)):
        parts.append(compressor.compress(chunk))
    parts.append(compressor.flush())
    return b"".join(parts)


def _idx_header(dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 0x08, len(dims)]) + np.asarray(dims, dtype=">u4").tobytes()


def test_a_gzip_idx_expanding_far_beyond_its_header_is_read_only_as_far_as_the_header(
    tmp_path: Path,
) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(_gzip_of(_idx_header((10, 28, 28)), EXPANDED))
    assert path.stat().st_size < EXPANDED // 100
    message, growth = _peak("idx", path)
    assert message == (
        f"{path}: trailing data: header says 10×28×28 uint8 (7840 bytes of data) "
        "but the decompressed file has more"
    )
    assert growth < ALLOWED, f"peak grew by {growth / 2**20:.0f} MiB"


@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gzip"])
def test_an_idx_header_declaring_a_terabyte_costs_only_the_data_present(
    tmp_path: Path, compressed: bool
) -> None:
    content = _idx_header((1_000_000, 1000, 1000)) + bytes(4096)
    path = tmp_path / "huge.idx"
    path.write_bytes(gzip.compress(content) if compressed else content)
    message, growth = _peak("idx", path)
    what = "decompressed file" if compressed else "file"
    assert message == (
        f"{path}: truncated: header says 1000000×1000×1000 uint8 (1000000000000 bytes of data) "
        f"but the {what} has 4096"
    )
    assert growth < ALLOWED, f"peak grew by {growth / 2**20:.0f} MiB"


def test_an_npz_with_a_huge_extra_entry_is_refused_before_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    header = _npy_header((EXPANDED // 8,), "<f8")
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("extra.npy", "w") as entry,
    ):
        entry.write(header)
        chunk = _zeros(1)
        for _ in range(EXPANDED // len(chunk)):
            entry.write(chunk)
    assert path.stat().st_size < EXPANDED // 100
    message, growth = _peak("npz", path)
    assert message == (
        f"{path}: state does not match the model: missing modules.0.weight, modules.0.bias, "
        "modules.2.weight, modules.2.bias; unexpected extra"
    )
    assert growth < ALLOWED, f"peak grew by {growth / 2**20:.0f} MiB"


def _npy_header(shape: tuple[int, ...], dtype: str) -> bytes:

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()
