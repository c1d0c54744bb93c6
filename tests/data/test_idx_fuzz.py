"""The IDX reader: sizes checked from the header first, gzip inflated only as far as declared, fuzzed.

Every single-byte corruption, every truncation and a seeded sample of random mutations of a small
IDX file must either raise IDXFormatError naming the file or decode: a gzip file exactly as written
(its CRC-32 guards the data), a raw file exactly as an independent reading of its bytes says.
"""

from __future__ import annotations

import gzip
import random
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from tinygrad_vn.data.mnist import IDXFormatError, read_idx

TYPE_BYTES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
ORIGINAL = np.arange(-6, 6, dtype=">i2").reshape(3, 4)


def idx_bytes(array: np.ndarray, type_byte: int) -> bytes:
    header = bytes([0, 0, type_byte, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


RAW = idx_bytes(ORIGINAL, 0x0B)
GZ = gzip.compress(RAW, mtime=0)


def decoded_independently(data: bytes) -> np.ndarray | None:
    """What a well-formed raw IDX file ``data`` holds, or None when it is not one."""
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in TYPE_BYTES:
        return None
    ndim, dtype = data[3], np.dtype(TYPE_BYTES[data[2]])
    if len(data) < 4 + 4 * ndim:
        return None
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    size = dtype.itemsize
    for side in shape:
        size *= side
    if len(data) != 4 + 4 * ndim + size:
        return None
    try:
        return np.frombuffer(data, dtype=dtype, offset=4 + 4 * ndim).reshape(shape)
    except ValueError:  # more dimensions than NumPy holds
        return None


def outcome(path: Path, data: bytes, gz: bool) -> str:
    """'refused', 'exact' or (raw files only) 'decoded'; any other exception or wrong array fails the test."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)
    try:
        array = read_idx(path)
    except IDXFormatError as err:
        assert str(path) in str(err)
        assert gz or decoded_independently(data) is None, "a well-formed raw file was refused"
        return "refused"
    assert array.dtype.isnative
    if gz:
        assert array.dtype == ORIGINAL.dtype.newbyteorder("=") and np.array_equal(array, ORIGINAL)
        return "exact"
    expected = decoded_independently(data)
    assert expected is not None, "a malformed raw file was accepted"
    assert array.dtype == expected.dtype.newbyteorder("=") and array.shape == expected.shape
    assert np.array_equal(array, expected, equal_nan=True)
    return "exact" if data == RAW else "decoded"


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_every_flipped_byte_is_refused_or_read_correctly(tmp_path, gz):
    original = GZ if gz else RAW
    results = []
    for position in range(len(original)):
        damaged = bytearray(original)
        damaged[position] ^= 0xFF
        results.append(outcome(tmp_path / "f.idx", bytes(damaged), gz))
    assert "refused" in results


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_every_truncation_is_refused(tmp_path, gz):
    original = GZ if gz else RAW
    for length in range(len(original)):
        assert outcome(tmp_path / "f.idx", original[:length], gz) == "refused", length


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_random_mutations_are_refused_or_read_correctly(tmp_path, gz):
    original = GZ if gz else RAW
    rng = random.Random(7)
    for _ in range(300):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.2:
            damaged += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        outcome(tmp_path / "f.idx", bytes(damaged), gz)


# --- sizes from the header, checked first ----------------------------------------------------------


def gzip_of_zeros_after(header: bytes, zeros: int) -> bytes:
    """A gzip file of ``header`` followed by ``zeros`` zero bytes, made without holding them all."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts, block = [packer.compress(header)], bytes(1 << 20)
    for _ in range(zeros >> 20):
        parts.append(packer.compress(block))
    return b"".join([*parts, packer.flush()])


def test_a_gzip_bomb_is_refused_without_inflating_it(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip_of_zeros_after(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + bytes(10), 256 << 20))
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(IDXFormatError, match=r"labels\.gz: has trailing bytes: header declares shape \(10,\)"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB used to read a file that declares 18 bytes"


def test_a_header_larger_than_the_gzip_file_can_hold_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (60000, 28, 28))))

    def no_reading(*args, **kwargs):
        raise AssertionError("data was read although the header can not be right")

    monkeypatch.setattr(np, "empty", no_reading)
    with pytest.raises(IDXFormatError, match=r"images\.gz: truncated: .* more than a gzip file of \d+ bytes can hold"):
        read_idx(path)


@pytest.mark.parametrize(
    ("dims", "data", "message"),
    [
        ((2**32 - 1,) * 3, b"", r"truncated: header declares shape \(4294967295, 4294967295, 4294967295\)"),
        ((2**32 - 1,) * 8, b"\0" * 8, r"truncated: header declares shape"),
        ((0, 2**32 - 1, 2**32 - 1, 2**32 - 1), b"", "which NumPy can not hold"),
        ((1,) * 70, b"\0", "which NumPy can not hold"),
    ],
    ids=["int64-overflow", "huge-product", "zero-times-huge", "too-many-dims"],
)
@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_dimensions_beyond_int64_or_numpy_are_refused(tmp_path, dims, data, message, gz):
    payload = bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims) + data
    path = tmp_path / "dims.idx"
    path.write_bytes(gzip.compress(payload) if gz else payload)
    with pytest.raises(IDXFormatError, match=r"dims\.idx: .*" + message):
        read_idx(path)
