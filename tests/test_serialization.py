"""tg.save / tg.load: exact round trip, no pickle, clear errors for damaged files and wrong shapes."""

from __future__ import annotations

import io
import json
import os
import stat
import warnings
import zipfile

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import nn
from tinygrad_vn.serialization import ARCHIVE_COMMENT, CheckpointError, load_metadata


def sample_state() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "0.weight": rng.standard_normal((5, 3)).astype(np.float32),
        "0.bias": np.array([np.nan, np.inf, -0.0], dtype=np.float32),
        "counts": np.arange(4, dtype=np.int64),
        "scalar": np.array(2.5),
        "empty": np.zeros((0, 3), dtype=np.float64),
    }


def test_round_trip_is_exact_and_keeps_order(tmp_path):
    state = sample_state()
    tg.save(state, tmp_path / "state.npz", metadata={"layers": [5, 3], "note": "ünïcode"})
    loaded = tg.load(tmp_path / "state.npz")
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        assert np.array_equal(loaded[name], array, equal_nan=True)
        assert np.signbit(loaded[name]).tolist() == np.signbit(array).tolist()
    assert load_metadata(tmp_path / "state.npz") == {"layers": [5, 3], "note": "ünïcode"}


def test_module_round_trip_through_tensors(tmp_path):
    tg.manual_seed(1)
    model = nn.mlp([4, 8, 3])
    tg.save({name: t for name, t in model.named_parameters()}, tmp_path / "m.npz")
    tg.manual_seed(2)
    other = nn.mlp([4, 8, 3])
    other.load_state_dict(tg.load(tmp_path / "m.npz"))
    for a, b in zip(model.parameters(), other.parameters()):
        assert np.array_equal(a.data, b.data)
    assert load_metadata(tmp_path / "m.npz") == {}


def test_wrong_shapes_and_names_are_refused_naming_the_key(tmp_path):
    tg.save(nn.mlp([4, 8, 3]).state_dict(), tmp_path / "m.npz")
    with pytest.raises(ValueError, match=r"'0\.weight' has shape \(4, 8\) in the state dict but \(4, 9\)"):
        nn.mlp([4, 9, 3]).load_state_dict(tg.load(tmp_path / "m.npz"))
    with pytest.raises(KeyError, match=r"unexpected keys: 2\.weight, 2\.bias"):
        nn.mlp([4, 8]).load_state_dict(tg.load(tmp_path / "m.npz"))


@pytest.mark.parametrize("damage", ["truncate-half", "truncate-end", "flip-data", "flip-end", "not-zip"])
def test_damaged_files_give_a_clear_error(tmp_path, damage):
    path = tmp_path / "state.npz"
    tg.save(sample_state(), path, metadata={"k": 1})
    raw = bytearray(path.read_bytes())
    if damage == "truncate-half":
        raw = raw[: len(raw) // 2]
    elif damage == "truncate-end":
        raw = raw[:-10]
    elif damage == "flip-data":
        raw[200] ^= 0xFF
    elif damage == "flip-end":
        raw[-40] ^= 0xFF
    else:
        raw = bytearray(b"just some text, not a checkpoint")
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=r"state\.npz: not a readable checkpoint"):
        tg.load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "nowhere.npz")


class Payload:
    """Pickling this would create a file when unpickled: loading must never get that far."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickled_object_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "evil.npz"
    np.savez(path, weights=np.array([Payload(str(marker))], dtype=object))
    with pytest.raises(CheckpointError, match=r"evil\.npz: .*'weights\.npy' holds dtype \|O.*never unpickled"):
        tg.load(path)
    assert not marker.exists()


# --- keys: any string, nothing lost or renamed -----------------------------------------------------

SPECIAL_KEYS = [
    "allow_pickle", "file", "args", "kwds", "kwargs", "compress", "a\x00b", "\x00", "", "a/b", "/etc/passwd",
    "..", "../up", "__metadata__", "__metadata__.npy", "w.npy", "%41", "%5F_metadata__", "a~1", "~0",
    "é 中 🙂", "\ud800 lone surrogate", "k" * 1000, "é" * 300, "%" * 300, "spaces and\nnew lines",
]


def test_every_kind_of_string_key_round_trips(tmp_path):
    state = {key: np.full(2, index, dtype=np.int32) for index, key in enumerate(SPECIAL_KEYS)}
    state["w"] = np.arange(3.0)
    tg.save(state, tmp_path / "keys.npz", metadata={"allow_pickle": True})
    loaded = tg.load(tmp_path / "keys.npz")
    assert list(loaded) == list(state)
    for key, array in state.items():
        assert np.array_equal(loaded[key], array) and loaded[key].dtype == array.dtype, key
    assert load_metadata(tmp_path / "keys.npz") == {"allow_pickle": True}


def test_plain_names_stay_readable_in_the_archive(tmp_path):
    tg.save({"0.weight": np.ones(1), "layer norm/β": np.ones(1), "k" * 300: np.ones(1)}, tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        names = archive.namelist()
    assert names[:2] == ["0.weight.npy", "layer%20norm%2F%CE%B2.npy"]
    assert names[2] == "k" * 100 + "~2.npy" and names[3] == "__metadata__.npy"


def test_numpy_can_read_a_checkpoint_without_pickle(tmp_path):
    tg.save({"w": np.arange(3.0)}, tmp_path / "m.npz", metadata={"a": 1})
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert np.array_equal(archive["w"], np.arange(3.0))
        assert json.loads(archive["__metadata__"].tobytes())["metadata"] == {"a": 1}


def legacy_save(state: dict[str, np.ndarray], path, metadata=None) -> None:
    """What tg.save wrote before the manifest: np.savez with raw names and the metadata JSON as bytes."""
    arrays = dict(state)
    if metadata is not None:
        arrays["__metadata__"] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def test_files_written_by_the_previous_version_still_load(tmp_path):
    state = sample_state()
    state["a%20b"] = np.ones(2, dtype=np.float32)
    legacy_save(state, tmp_path / "old.npz", metadata={"format": "tinygrad_vn.mlp/1", "layers": [5, 3]})
    loaded = tg.load(tmp_path / "old.npz")
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert np.array_equal(loaded[name], array, equal_nan=True) and loaded[name].dtype == array.dtype
    assert load_metadata(tmp_path / "old.npz") == {"format": "tinygrad_vn.mlp/1", "layers": [5, 3]}
    legacy_save({"w": np.ones(1)}, tmp_path / "bare.npz")
    assert load_metadata(tmp_path / "bare.npz") == {}


# --- damaged and hand-made files -------------------------------------------------------------------


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def manifest_bytes(entries: list[tuple[str, np.ndarray]], metadata: dict | None = None) -> bytes:
    document = {
        "tinygrad_vn_checkpoint": 2,
        "arrays": [{"name": key, "dtype": a.dtype.str, "shape": list(a.shape)} for key, a in entries],
        "metadata": metadata or {},
    }
    return npy_bytes(np.frombuffer(json.dumps(document).encode(), dtype=np.uint8))


def write_archive(path, members: list[tuple[str, bytes]], current: bool = True, compress: int = zipfile.ZIP_STORED):
    """A zip of ``members`` as given (duplicates too), marked as this version's format when ``current``."""
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", compression=compress) as archive:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about duplicate names
        for name, data in members:
            archive.writestr(name, data)
        if current:
            archive.comment = ARCHIVE_COMMENT


W = np.arange(4, dtype=np.float32)


@pytest.mark.parametrize(
    ("members", "current", "message"),
    [
        ([("w.npy", npy_bytes(W)), ("x.npy", npy_bytes(W)), ("__metadata__.npy", manifest_bytes([("w", W)]))],
         True, r"members not listed in its manifest: 'x\.npy'"),
        ([("__metadata__.npy", manifest_bytes([("w", W), ("v", W)])), ("w.npy", npy_bytes(W))],
         True, r"members listed in its manifest are missing: 'v\.npy'"),
        ([("w.npy", npy_bytes(W)), ("__metadata__.npy", manifest_bytes([("w", W[:3])]))],
         True, r"entry 'w' is <f4 of shape \(4,\) but its manifest says <f4 of shape \(3,\)"),
        ([("w.npy", npy_bytes(W)), ("__metadata__.npy", manifest_bytes([("w", W.astype(np.float64))]))],
         True, r"entry 'w' is <f4 of shape \(4,\) but its manifest says <f8"),
        ([("w.npy", npy_bytes(W))], True, r"its manifest \(__metadata__\.npy\) is missing"),
        ([("w.npy", npy_bytes(W)), ("w.npy", npy_bytes(2 * W))],
         False, r"member names appear more than once: 'w\.npy'"),
        ([("w.npy", npy_bytes(np.array(["ab", "c"])))], False, r"'w\.npy' holds dtype <U2, not a bool"),
        ([("w.npy", npy_bytes(np.ones(2, dtype=np.complex64)))], False, r"'w\.npy' holds dtype <c8, not a bool"),
        ([("w.npy", npy_bytes(np.zeros(1, dtype=[("a", "<f4")])))],
         False, r"'w\.npy' holds dtype \[\('a', '<f4'\)\], not a bool"),
        ([("w", b"raw bytes, not an array")], False, r"member 'w' is not a \.npy array"),
        ([("w.npy", b"raw bytes, not an array")], False, r"'w\.npy' is not a \.npy array \(no \.npy magic\)"),
        ([("w.npy", npy_bytes(W)), ("__metadata__.npy", npy_bytes(np.frombuffer(b"[1, 2]", np.uint8)))],
         False, r"its metadata is a JSON list, not an object"),
        ([("w.npy", npy_bytes(W)), ("__metadata__.npy", npy_bytes(np.frombuffer(b"{nope", np.uint8)))],
         False, r"its metadata is not valid JSON"),
        ([("w.npy", npy_bytes(W)), ("__metadata__.npy", manifest_bytes([("w", W)]))],
         False, r"it holds a manifest but its zip comment, which marks the format, is missing"),
    ],
    ids=["extra-member", "missing-member", "shape-mismatch", "dtype-mismatch", "no-manifest", "duplicate-names",
         "strings", "complex", "structured", "not-npy-name", "not-npy-data", "metadata-list", "metadata-not-json",
         "comment-missing"],
)
def test_files_that_do_not_match_what_save_writes_are_refused(tmp_path, members, current, message):
    path = tmp_path / "made.npz"
    write_archive(path, members, current)
    for reader in (tg.load, load_metadata):
        with pytest.raises(CheckpointError, match=r"made\.npz: not a readable checkpoint: .*" + message):
            reader(path)


def header_claiming(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """A .npy member whose header declares ``shape`` but that holds only 200 bytes of data."""
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(200)


@pytest.mark.parametrize(
    "shape", [(10**12,), (2**62, 2**62), (0, 2**63), (1,) * 80, (24, -1)], ids=["1e12", "overflow", "huge-zero",
                                                                             "too-many-dims", "negative"]
)
def test_declared_shapes_are_checked_against_the_bytes_before_allocating(tmp_path, shape):
    path = tmp_path / "big.npz"
    write_archive(path, [("w.npy", header_claiming(shape))], current=False)
    with pytest.raises(CheckpointError, match=r"big\.npz: not a readable checkpoint: member 'w\.npy' declares"):
        tg.load(path)


def test_a_zero_size_shape_numpy_can_not_hold_is_refused(tmp_path):
    member = header_claiming((0, 2**62, 2**62))[:-200]
    write_archive(tmp_path / "z.npz", [("w.npy", member)], current=False)
    with pytest.raises(CheckpointError, match=r"member 'w\.npy' declares shape \(0, 4611686018427387904"):
        tg.load(tmp_path / "z.npz")


def test_compressed_or_corrupt_compressed_members_are_refused(tmp_path):
    write_archive(tmp_path / "c.npz", [("w.npy", npy_bytes(np.zeros(1000)))], current=False,
                  compress=zipfile.ZIP_DEFLATED)
    raw = bytearray((tmp_path / "c.npz").read_bytes())
    raw[60] ^= 0xFF  # inside the deflate stream
    (tmp_path / "c.npz").write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=r"member 'w\.npy' is compressed \(method 8\)"):
        tg.load(tmp_path / "c.npz")


@pytest.mark.parametrize("where", ["prepended", "appended"])
def test_bytes_added_around_a_checkpoint_are_refused(tmp_path, where):
    path = tmp_path / "state.npz"
    tg.save(sample_state(), path)
    raw = path.read_bytes()
    path.write_bytes(b"junk" + raw if where == "prepended" else raw + b"junk")
    with pytest.raises(CheckpointError, match=r"state\.npz: not a readable checkpoint"):
        tg.load(path)


# --- writing safely --------------------------------------------------------------------------------


def test_saving_refuses_values_that_are_not_plain_numbers_and_writes_nothing(tmp_path):
    good = np.zeros(2)
    with pytest.raises(TypeError, match=r"cannot save 'w': dtype object"):
        tg.save({"ok": good, "w": np.array([object()])}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"cannot save 'z': dtype complex128"):
        tg.save({"ok": good, "z": np.ones(2) * 1j}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"cannot save 's': dtype <U2"):
        tg.save({"s": np.array(["ab"])}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"state dict keys must be strings, got 3"):
        tg.save({3: good}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="metadata must be JSON-serializable"):
        tg.save({"ok": good}, tmp_path / "x.npz", metadata={"f": open})
    with pytest.raises(TypeError, match="metadata must be a mapping"):
        tg.save({"ok": good}, tmp_path / "x.npz", metadata=[1, 2])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()], ids=["oserror", "ctrl-c"])
def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch, failure):
    path = tmp_path / "state.npz"
    tg.save({"w": np.ones(3)}, path)
    calls = []

    def write_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise failure

    monkeypatch.setattr(np.lib.format, "write_array", write_then_fail)
    with pytest.raises(type(failure)):
        tg.save({"w": np.zeros(3), "v": np.zeros(3)}, path)
    monkeypatch.undo()
    assert np.array_equal(tg.load(path)["w"], np.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["state.npz"]


def test_a_long_but_valid_file_name_can_be_saved(tmp_path):
    for name in ("a" * 251 + ".npz", "é" * 125 + ".npz"):  # 255 and 254 bytes: NAME_MAX is 255
        tg.save({"w": np.ones(2)}, tmp_path / name)
        assert np.array_equal(tg.load(tmp_path / name)["w"], np.ones(2))
    assert len(list(tmp_path.iterdir())) == 2


def test_the_data_and_the_folder_are_fsynced_around_the_rename(tmp_path, monkeypatch):
    path = tmp_path / "state.npz"
    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        mode = os.fstat(fd).st_mode
        synced.append(("file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "?", path.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    tg.save({"w": np.ones(2)}, path)
    assert synced == [("file", False), ("dir", True)]


def test_zip64_records_of_large_archives_are_read(tmp_path, monkeypatch):
    """zipfile writes zip64 records past 65535 members or 4 GiB; lowering its limits makes it write them here."""
    state = {f"w{i}": np.arange(20.0) + i for i in range(3)}
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 100)
    tg.save(state, tmp_path / "z.npz", metadata={"a": 1})
    monkeypatch.undo()
    raw = (tmp_path / "z.npz").read_bytes()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw
    loaded = tg.load(tmp_path / "z.npz")
    assert list(loaded) == list(state) and all(np.array_equal(loaded[k], v) for k, v in state.items())
    assert load_metadata(tmp_path / "z.npz") == {"a": 1}
    locator = raw.rindex(b"PK\x06\x07")
    (tmp_path / "z.npz").write_bytes(raw[:locator + 8] + bytes([raw[locator + 8] ^ 1]) + raw[locator + 9 :])
    with pytest.raises(CheckpointError, match="zip64 end record locator is damaged"):
        tg.load(tmp_path / "z.npz")


def test_views_scalars_and_tensors_are_saved_by_value(tmp_path):
    base = np.arange(12.0).reshape(3, 4)
    state = {"view": base[::2, 1::2], "reversed": base[::-1], "fortran": np.asfortranarray(base),
             "scalar": np.float32(2.5), "big-endian": base.astype(">i4"), "tensor": tg.Tensor([1.0, 2.0])}
    tg.save(state, tmp_path / "v.npz")
    loaded = tg.load(tmp_path / "v.npz")
    for key, value in state.items():
        expected = np.asarray(getattr(value, "data", value) if isinstance(value, tg.Tensor) else value)
        assert loaded[key].dtype == expected.dtype and np.array_equal(loaded[key], expected), key
