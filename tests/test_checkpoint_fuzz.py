"""Damaged checkpoints are refused with CheckpointError or load exactly; any string key round-trips.

Every single-byte corruption, every truncation and a seeded sample of random mutations of a small
file (one written by tg.save and one written the way earlier versions did) must either raise
CheckpointError naming the file or give back exactly the saved arrays and metadata. Any other
exception (MemoryError, zlib.error, NotImplementedError, ...) fails the test.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_vn as tg
from tinygrad_vn.serialization import CheckpointError, load_metadata

STATE = {
    "w": np.arange(3, dtype=np.float32),
    "flag": np.array(True),
    "empty": np.zeros((0, 2), dtype=np.int16),
}
METADATA = {"layers": [3, 2], "name": "ü"}


def write_legacy(path: Path) -> None:
    """The file earlier versions of tg.save wrote: np.savez, with the metadata JSON as a uint8 member."""
    arrays = dict(STATE)
    arrays["__metadata__"] = np.frombuffer(json.dumps(METADATA).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


@pytest.fixture(scope="module", params=["current", "legacy"])
def original(request, tmp_path_factory) -> bytes:
    """A small checkpoint holding STATE and METADATA (about 1 KB, so that every byte can be tried)."""
    path = tmp_path_factory.mktemp("fuzz") / "original.npz"
    if request.param == "current":
        tg.save(STATE, path, metadata=METADATA)
    else:
        write_legacy(path)
    return path.read_bytes()


def outcome(path: Path, data: bytes) -> str:
    """'refused' or 'exact' for the file holding ``data``; anything else fails the test."""
    path.unlink(missing_ok=True)  # a fresh file: rewriting one in place can force a flush on some file systems
    path.write_bytes(data)
    try:
        arrays, metadata = tg.load(path), load_metadata(path)
    except CheckpointError as err:
        assert str(path) in str(err)
        return "refused"
    assert list(arrays) == list(STATE)
    for key, array in STATE.items():
        assert arrays[key].dtype == array.dtype and arrays[key].shape == array.shape, key
        assert arrays[key].tobytes() == array.tobytes(), key
    assert metadata == METADATA
    return "exact"


def test_the_untouched_file_loads_exactly(tmp_path, original):
    assert outcome(tmp_path / "f.npz", original) == "exact"


def test_every_flipped_byte_is_refused_or_harmless(tmp_path, original):
    results = []
    for position in range(len(original)):
        damaged = bytearray(original)
        damaged[position] ^= 0xFF
        results.append(outcome(tmp_path / "f.npz", bytes(damaged)))
    assert results.count("refused") > len(original) // 2  # every data and CRC byte, at least


def test_every_truncation_is_refused(tmp_path, original):
    for length in range(len(original)):
        assert outcome(tmp_path / "f.npz", original[:length]) == "refused", length


def test_random_mutations_are_refused_or_harmless(tmp_path, original):
    rng = random.Random(11)
    for _ in range(300):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.2:
            start = rng.randrange(len(damaged))
            del damaged[start : start + rng.randint(1, 40)]
        outcome(tmp_path / "f.npz", bytes(damaged))


# --- any dict of string keys round-trips exactly ---------------------------------------------------

ANY_CHARACTER = st.characters(min_codepoint=0, exclude_categories=())  # NUL and lone surrogates too
NAMES = st.one_of(
    st.text(ANY_CHARACTER, max_size=12),
    st.sampled_from(["allow_pickle", "file", "args", "kwds", "__metadata__", "..", "/", "a/../b", "%2F", "~1"]),
    st.text(ANY_CHARACTER, min_size=150, max_size=400),
)
DTYPES = st.sampled_from(
    ["<f2", "<f4", "<f8", ">f8", "|i1", "<i2", "<i4", "<i8", ">i4", "|u1", "<u2", "<u4", "<u8", "|b1"]
)


@st.composite
def saved_arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = np.dtype(draw(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    array = draw(hnp.arrays(dtype, shape))
    return np.asfortranarray(array) if draw(st.booleans()) else array


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(ANY_CHARACTER, max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(ANY_CHARACTER, max_size=8), inner, max_size=3),
    max_leaves=8,
)


@given(
    state=st.dictionaries(NAMES, saved_arrays(), max_size=6),
    metadata=st.none() | st.dictionaries(st.text(ANY_CHARACTER, max_size=8), JSON_VALUES, max_size=4),
)
def test_any_string_keys_and_arrays_round_trip_exactly(tmp_path_factory, state, metadata):
    path = tmp_path_factory.mktemp("roundtrip") / "state.npz"
    tg.save(state, path, metadata=metadata)
    loaded = tg.load(path)
    assert list(loaded) == list(state)
    for key, array in state.items():
        assert loaded[key].dtype == array.dtype and loaded[key].shape == array.shape
        assert loaded[key].tobytes() == array.tobytes()
    assert load_metadata(path) == (metadata or {})
