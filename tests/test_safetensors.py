"""tg.save / tg.load with a ``.safetensors`` path: the standard format, the manifest, and the .npz's refusals."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import nn
from tinygrad_vn.serialization import CheckpointError, ForeignStateDict, load_metadata

STATE = {
    "0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "0.bias": np.array([0.5, -1.0], np.float64),
    "__metadata__": np.array([1, 2], np.int64), "": np.array(True), "é / key.with dots": np.zeros((0, 3), np.int8),
    "scalar": np.array(3.5, np.float16), "count": np.array(7, np.uint32),
}


def assert_same_state(loaded, expected):
    assert list(loaded) == list(expected)
    for key, array in expected.items():
        assert loaded[key].dtype == array.dtype and loaded[key].shape == array.shape, key
        np.testing.assert_array_equal(loaded[key], array)


def header_of(path):
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + size]), 8 + size


def test_round_trip_keeps_every_key_dtype_shape_order_and_metadata(tmp_path):
    path = tmp_path / "state.safetensors"
    tg.save(STATE, path, metadata={"epochs": 3, "layers": [2, 3]})
    assert_same_state(tg.load(path), STATE)
    assert type(tg.load(path)) is dict
    assert load_metadata(path) == {"epochs": 3, "layers": [2, 3]}


def test_a_model_state_dict_round_trips_and_loads(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    tg.save(model.state_dict(), tmp_path / "model.safetensors")
    tg.manual_seed(1)
    other = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    other.load_state_dict(tg.load(tmp_path / "model.safetensors"))
    x = tg.randn(4, 3)
    np.testing.assert_array_equal(other.eval()(x).data, model.eval()(x).data)


def test_the_safetensors_package_reads_what_save_wrote(tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="the safetensors package is not installed")
    path = tmp_path / "state.safetensors"
    tg.save(STATE, path)
    theirs = st.load_file(str(path))
    renamed = {("__metadata__~2" if k == "__metadata__" else k): v for k, v in STATE.items()}
    assert set(theirs) == set(renamed)
    for key, array in renamed.items():
        assert theirs[key].dtype == array.dtype and theirs[key].shape == array.shape
        np.testing.assert_array_equal(theirs[key], array)


def test_a_file_the_safetensors_package_wrote_loads_as_a_foreign_state_dict(tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="the safetensors package is not installed")
    path = tmp_path / "torch_made.safetensors"
    weight, bias = np.arange(9, dtype=np.float32).reshape(3, 3), np.array([1.0, 2.0, 3.0], np.float32)
    st.save_file({"0.weight": weight, "0.bias": bias, "1.scale": np.array(2.0)}, str(path), metadata={"format": "pt"})
    loaded = tg.load(path)
    assert isinstance(loaded, ForeignStateDict) and loaded.metadata == {"format": "pt"}
    np.testing.assert_array_equal(loaded["0.weight"], weight)
    assert loaded["1.scale"].shape == ()
    assert load_metadata(path) == {"format": "pt"}
    model = nn.Sequential(nn.Linear(3, 3))
    before = model[0].weight.data.copy()
    with pytest.raises(ValueError, match=r"was not written by tinygrad_vn.*tg\.interop\.from_torch"):
        model.load_state_dict(loaded)
    np.testing.assert_array_equal(model[0].weight.data, before)
    state = {k: v for k, v in loaded.items() if k.startswith("0.")}
    tg.interop.from_torch(state, into=model)
    np.testing.assert_array_equal(model[0].weight.data, weight.T)


def test_save_is_atomic_and_checks_before_writing(tmp_path):
    path = tmp_path / "state.safetensors"
    tg.save({"a": np.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="dtype complex128"):
        tg.save({"a": np.ones(2), "b": np.ones(2, complex)}, path)
    with pytest.raises(TypeError, match="JSON-serializable"):
        tg.save({"a": np.ones(2)}, path, metadata={"x": object()})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.safetensors"]


def tampered(tmp_path, change):
    path = tmp_path / "state.safetensors"
    tg.save(STATE, path, metadata={"run": "a"})
    raw = bytearray(path.read_bytes())
    change(raw, path)
    return path


def rewrite_header(raw, path, edit):
    document, start = header_of(path)
    edit(document)
    encoded = json.dumps(document).encode()
    encoded += b" " * (-len(encoded) % 8)
    raw[:] = struct.pack("<Q", len(encoded)) + encoded + raw[start:]
    path.write_bytes(bytes(raw))


def flip_last_data_byte(raw, path):
    raw[-1] ^= 0x01
    path.write_bytes(bytes(raw))


def truncate(raw, path):
    path.write_bytes(bytes(raw[:-3]))


def append(raw, path):
    path.write_bytes(bytes(raw) + b"\0")


def huge_header_length(raw, path):
    path.write_bytes(struct.pack("<Q", 1 << 40) + bytes(raw[8:]))


def change_manifest_shape(raw, path):
    def edit(document):
        manifest = json.loads(document["__metadata__"]["tinygrad_vn_checkpoint"])
        manifest["arrays"][0]["shape"] = [3, 2]
        document["__metadata__"]["tinygrad_vn_checkpoint"] = json.dumps(manifest)
    rewrite_header(raw, path, edit)


def add_unlisted_tensor(raw, path):
    def edit(document):
        document["extra"] = {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}
    rewrite_header(raw, path, edit)


def overlap_ranges(raw, path):
    def edit(document):
        document["0.bias"]["data_offsets"] = [0, 16]
    rewrite_header(raw, path, edit)


def unknown_dtype(raw, path):
    def edit(document):
        document["0.weight"]["dtype"] = "BF16"
    rewrite_header(raw, path, edit)


@pytest.mark.parametrize(("change", "message"), [
    (flip_last_data_byte, "fails its CRC-32 check"),
    (truncate, "truncated"),
    (append, "bytes appended"),
    (huge_header_length, "more than the file holds"),
    (change_manifest_shape, "its manifest says"),
    (add_unlisted_tensor, "tensors not listed in its manifest: 'extra'"),
    (overlap_ranges, "overlap or leave a gap"),
    (unknown_dtype, "BF16"),
])
def test_a_tampered_file_is_refused(tmp_path, change, message):
    path = tampered(tmp_path, change)
    with pytest.raises(CheckpointError, match=message):
        tg.load(path)
    with pytest.raises(CheckpointError):
        load_metadata(path)


def test_a_file_that_is_not_safetensors_is_refused(tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_bytes(b"abc")
    with pytest.raises(CheckpointError, match="fewer than the 8"):
        tg.load(path)
    path.write_bytes(struct.pack("<Q", 2) + b"[]")
    with pytest.raises(CheckpointError, match="not a JSON object"):
        tg.load(path)
    path.write_bytes(struct.pack("<Q", 17) + b'{"a":1, "a":2}   ')
    with pytest.raises(CheckpointError, match="more than once"):
        tg.load(path)


def test_a_pytorch_pt_file_is_refused_naming_from_torch(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.eye(2)}, path)
    with pytest.raises(CheckpointError, match=r"PyTorch file \(torch.save\).*tg.interop.from_torch"):
        tg.load(path)
