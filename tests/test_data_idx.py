"""IDX files: round trips, the exact byte layout, and a clear error for every kind of damage."""

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from vector.data import IDXError, read_idx, write_idx
from vector.files import atomic_output

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]
SHAPES = [(7,), (3, 4), (2, 3, 5), (2, 1, 3, 2), (0, 4)]


def _sample(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


def _header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + np.asarray(dims, dtype=">u4").tobytes()


def _leftovers(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path, dtype, shape, compressed):
    array = _sample(dtype, shape)
    path = write_idx(tmp_path / "a.idx", array, gzip=compressed)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.dtype.isnative
    assert back.shape == shape
    np.testing.assert_array_equal(back, array)
    back[...] = 0  # a fresh array the caller owns
    assert _leftovers(tmp_path) == ["a.idx"]


def test_byte_layout_is_big_endian_idx(tmp_path):
    array = np.array([[1, -2, 258], [0, 32767, -32768]], dtype=np.int16)
    path = write_idx(tmp_path / "x", array)
    expected = _header(0x0B, (2, 3)) + array.astype(">i2").tobytes()
    assert path.read_bytes() == expected
    assert expected[:4] == b"\x00\x00\x0b\x02"


def test_gzip_is_detected_by_content_not_by_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    zipped_without_suffix = write_idx(tmp_path / "images", array, gzip=True)
    raw_with_suffix = write_idx(tmp_path / "images.gz", array, gzip=False)
    assert zipped_without_suffix.read_bytes()[:2] == b"\x1f\x8b"
    assert raw_with_suffix.read_bytes()[:2] == b"\x00\x00"
    np.testing.assert_array_equal(read_idx(zipped_without_suffix), array)
    np.testing.assert_array_equal(read_idx(raw_with_suffix), array)


def test_write_compresses_by_suffix_by_default(tmp_path):
    array = np.zeros(3, dtype=np.uint8)
    assert write_idx(tmp_path / "a.gz", array).read_bytes()[:2] == b"\x1f\x8b"
    assert write_idx(tmp_path / "a", array).read_bytes()[:2] == b"\x00\x00"


def test_gzip_output_is_deterministic(tmp_path):
    array = np.arange(100, dtype=np.float32)
    first = write_idx(tmp_path / "1.gz", array).read_bytes()
    second = write_idx(tmp_path / "2.gz", array).read_bytes()
    assert first == second


def test_write_replaces_an_existing_file(tmp_path):
    path = tmp_path / "a.idx"
    write_idx(path, np.zeros(5, dtype=np.uint8))
    write_idx(path, np.ones(2, dtype=np.int32))
    np.testing.assert_array_equal(read_idx(path), np.ones(2, dtype=np.int32))
    assert _leftovers(tmp_path) == ["a.idx"]


@pytest.mark.parametrize(
    ("array", "needle"),
    [
        (np.zeros(3, dtype=np.int64), "int64"),
        (np.zeros(3, dtype=bool), "bool"),
        (np.float32(1.0), "the array has 0"),
    ],
)
def test_write_rejects_what_idx_cannot_hold(tmp_path, array, needle):
    with pytest.raises(ValueError, match=needle) as info:
        write_idx(tmp_path / "bad.idx", array)
    assert "bad.idx" in str(info.value)
    assert _leftovers(tmp_path) == []


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == ["out.bin"]


# --- damaged files: each error names the file and says what is wrong ----------------------------


def _write(path: Path, data: bytes, compressed: bool) -> Path:
    path.write_bytes(gzip.compress(data) if compressed else data)
    return path


@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gzip"])
def test_truncated_data(tmp_path, compressed):
    data = _header(0x08, (60000, 28, 28)) + bytes(1234)
    path = _write(tmp_path / "train-images-idx3-ubyte.gz", data, compressed)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    message = str(info.value)
    assert message.startswith(f"{path}: truncated: header says 60000×28×28 uint8")
    assert "(47040000 bytes of data)" in message
    assert message.endswith("has 1234")
    assert isinstance(info.value, ValueError)


def test_truncated_float_data_counts_bytes(tmp_path):
    path = _write(tmp_path / "f.idx", _header(0x0D, (4, 2)) + bytes(31), False)
    with pytest.raises(IDXError, match=r"truncated: header says 4×2 float32 \(32 bytes of data\)"):
        read_idx(path)


def test_trailing_data(tmp_path):
    path = _write(tmp_path / "labels.idx", _header(0x08, (10,)) + bytes(11), False)
    with pytest.raises(IDXError, match=r"labels\.idx: trailing data: header says 10 uint8"):
        read_idx(path)


def test_wrong_dimensions_in_header(tmp_path):
    # A header claiming 3 images of 28×28 in front of the data of 2 images.
    data = _header(0x08, (3, 28, 28)) + bytes(2 * 28 * 28)
    path = _write(tmp_path / "t10k-images-idx3-ubyte", data, False)
    with pytest.raises(IDXError, match=r"t10k-images-idx3-ubyte: truncated: header says 3×28×28"):
        read_idx(path)


@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gzip"])
def test_wrong_magic(tmp_path, compressed):
    path = _write(tmp_path / "notidx.gz", b"PK\x03\x04" + bytes(100), compressed)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    assert str(info.value) == (
        f"{path}: not an IDX file: magic number 0x504B0304 should start with two zero bytes"
    )


def test_unknown_type_code(tmp_path):
    path = _write(tmp_path / "odd.idx", bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 0]), False)
    with pytest.raises(IDXError, match=r"odd.idx: unknown IDX type code 0x0A \(known: 0x08 uint8"):
        read_idx(path)


def test_zero_dimensions(tmp_path):
    path = _write(tmp_path / "scalar.idx", bytes([0, 0, 0x08, 0, 7]), False)
    with pytest.raises(IDXError, match=r"scalar\.idx: .* 0 dimensions"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = _write(tmp_path / "short.idx", bytes([0, 0, 0x08, 3, 0, 0, 0, 5]), False)
    with pytest.raises(
        IDXError, match=r"short\.idx: truncated header: 3 dimensions need 16 header"
    ):
        read_idx(path)


@pytest.mark.parametrize("content", [b"", b"\x00\x00"])
def test_too_short_for_a_header(tmp_path, content):
    path = _write(tmp_path / "tiny.idx", content, False)
    with pytest.raises(IDXError, match=f"tiny.idx: too short .* has {len(content)} bytes"):
        read_idx(path)


def test_cut_gzip_stream(tmp_path):
    whole = gzip.compress(_header(0x08, (1000,)) + bytes(range(256)) * 4)
    path = tmp_path / "cut.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(IDXError, match=r"cut\.gz: truncated or corrupt gzip data"):
        read_idx(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.idx")
