"""tg.save / tg.load: exact round trip, no pickle, clear errors for damaged files and wrong shapes."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import nn
from tinygrad_vn.serialization import CheckpointError, load_metadata


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
    with pytest.raises(CheckpointError, match="allow_pickle"):
        tg.load(path)
    assert not marker.exists()


def test_saving_refuses_objects_and_the_reserved_key(tmp_path):
    with pytest.raises(TypeError, match="object array"):
        tg.save({"w": np.array([object()])}, tmp_path / "x.npz")
    with pytest.raises(ValueError, match="__metadata__"):
        tg.save({"__metadata__": np.zeros(1)}, tmp_path / "x.npz")
    assert not list(tmp_path.iterdir())


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "state.npz"
    tg.save({"w": np.ones(3)}, path)

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        tg.save({"w": np.zeros(3)}, path)
    assert np.array_equal(tg.load(path)["w"], np.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["state.npz"]
