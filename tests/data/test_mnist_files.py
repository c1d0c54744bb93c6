"""MNIST loading: IDX parsing (real and hand-made files), bad files, the search path and downloading."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from tinygrad_vn.data import mnist as mnist_module
from tinygrad_vn.data.mnist import (
    FILE_NAMES,
    DatasetInfo,
    DatasetNotFoundError,
    IDXFormatError,
    load_mnist,
    read_idx,
)

IDX_TYPE_BYTES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(">i2"): 0x0B,
    np.dtype(">i4"): 0x0C,
    np.dtype(">f4"): 0x0D,
    np.dtype(">f8"): 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array`` (big-endian header and data)."""
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    header = bytes([0, 0, IDX_TYPE_BYTES[big.dtype], array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + big.tobytes()


def write(path: Path, payload: bytes, gz: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def tiny_dataset(n_train: int = 12, n_test: int = 5, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_dataset(folder: Path, arrays: dict[str, np.ndarray], gz: bool = True) -> None:
    for name, array in arrays.items():
        write(folder / (f"{name}.gz" if gz else name), idx_bytes(array), gz)


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TINYGRAD_VN_DATA and an empty cache, so only what a test writes can be found."""
    monkeypatch.delenv("TINYGRAD_VN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


# --- the real files -------------------------------------------------------------------------------


def test_real_mnist_matches_its_published_description(mnist):
    x_train, y_train, x_test, y_test = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    assert y_train[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert x_train.max() == 255 and x_train.min() == 0


def test_real_fashion_mnist_has_6000_and_1000_per_class(fashion_mnist):
    x_train, y_train, x_test, y_test = fashion_mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


# --- hand-made files ------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_load_reads_hand_made_files_exactly(isolated, gz):
    arrays = tiny_dataset()
    write_dataset(isolated / "data" / "mnist", arrays, gz=gz)
    x_train, y_train, x_test, y_test = load_mnist(isolated / "data", download=False)
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(x_test, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])
    assert y_train.dtype == np.int64 and x_train.flags.writeable


def test_root_may_hold_the_files_directly_and_mixed_compression(isolated):
    arrays = tiny_dataset()
    for i, (name, array) in enumerate(arrays.items()):
        gz = i % 2 == 0
        write(isolated / (f"{name}.gz" if gz else name), idx_bytes(array), gz)
    x_train, *_ = load_mnist(isolated, download=False)
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte"])


def test_search_order_root_then_env_then_cache(isolated, monkeypatch):
    write_dataset(isolated / "root" / "mnist", tiny_dataset(n_train=3))
    write_dataset(isolated / "env" / "mnist", tiny_dataset(n_train=4))
    write_dataset(isolated / "cache" / "tinygrad_vn" / "mnist", tiny_dataset(n_train=5))
    monkeypatch.setenv("TINYGRAD_VN_DATA", str(isolated / "env"))
    assert len(load_mnist(isolated / "root", download=False)[0]) == 3
    assert len(load_mnist(download=False)[0]) == 4
    monkeypatch.delenv("TINYGRAD_VN_DATA")
    assert len(load_mnist(download=False)[0]) == 5


def test_env_folder_is_looked_up_by_kind(isolated, monkeypatch):
    write_dataset(isolated / "env" / "mnist", tiny_dataset())
    monkeypatch.setenv("TINYGRAD_VN_DATA", str(isolated / "env"))
    with pytest.raises(DatasetNotFoundError, match="fashion-mnist"):
        load_mnist(kind="fashion-mnist", download=False)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_decodes_every_idx_type(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    path = write(tmp_path / "x.idx", idx_bytes(array.astype(np.dtype(dtype).newbyteorder(">"))), gz=False)
    decoded = read_idx(path)
    assert decoded.dtype == np.dtype(dtype) and decoded.dtype.isnative
    np.testing.assert_array_equal(decoded, array)


# --- bad files ------------------------------------------------------------------------------------

GOOD_LABELS = idx_bytes(np.arange(10, dtype=np.uint8))


@pytest.mark.parametrize(
    ("payload", "gz", "message"),
    [
        (b"\x1f\x8b\x08\x00garbage that is not deflate data", False, "corrupt or truncated gzip"),
        (gzip.compress(GOOD_LABELS)[:-12], False, "corrupt or truncated gzip"),
        (GOOD_LABELS[:-3], True, "truncated: header declares shape"),
        (GOOD_LABELS + b"\x00", False, "trailing bytes"),
        (GOOD_LABELS[:6], False, "truncated header"),
        (b"\x00\x00", False, "too short"),
        (b"PK\x03\x04" + GOOD_LABELS[4:], False, "not an IDX file"),
        (bytes([0, 0, 0x0A, 1]) + GOOD_LABELS[4:], True, "unknown IDX data type byte 0x0a"),
    ],
    ids=[
        "corrupt-gzip",
        "truncated-gzip",
        "truncated-data",
        "trailing",
        "short-header",
        "tiny",
        "zip-magic",
        "bad-type-byte",
    ],
)
def test_bad_files_raise_a_clear_error_naming_the_file(tmp_path, payload, gz, message):
    path = write(tmp_path / "bad-file", payload, gz)
    with pytest.raises(IDXFormatError, match=message) as info:
        read_idx(path)
    assert "bad-file" in str(info.value)


def test_labels_in_the_place_of_images_is_a_wrong_magic(isolated):
    arrays = tiny_dataset()
    arrays["train-images-idx3-ubyte"] = arrays["train-labels-idx1-ubyte"]
    write_dataset(isolated, arrays)
    with pytest.raises(IDXFormatError, match=r"train-images.*magic number 0x00000801, expected 0x00000803"):
        load_mnist(isolated, download=False)


def test_wrong_dtype_byte_for_mnist_is_refused(isolated):
    arrays = tiny_dataset()
    arrays["t10k-labels-idx1-ubyte"] = arrays["t10k-labels-idx1-ubyte"].astype(">i4")
    write_dataset(isolated, arrays)
    with pytest.raises(IDXFormatError, match=r"t10k-labels.*magic number 0x00000c01, expected 0x00000801"):
        load_mnist(isolated, download=False)


def test_count_mismatch_and_out_of_range_labels_are_refused(isolated):
    arrays = tiny_dataset()
    arrays["train-labels-idx1-ubyte"] = arrays["train-labels-idx1-ubyte"][:-1]
    write_dataset(isolated / "a", arrays)
    with pytest.raises(IDXFormatError, match=r"holds 12 images but .* holds 11 labels"):
        load_mnist(isolated / "a", download=False)
    arrays = tiny_dataset()
    arrays["t10k-labels-idx1-ubyte"][2] = 10
    write_dataset(isolated / "b", arrays)
    with pytest.raises(IDXFormatError, match=r"label 10 is out of range 0\.\.9"):
        load_mnist(isolated / "b", download=False)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown dataset kind 'kmnist'"):
        load_mnist(kind="kmnist")


# --- downloading ----------------------------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; a file named ``*.cut`` beside one makes its download stop halfway."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        cut = Path(self.translate_path(self.path) + ".cut")
        if not cut.exists():
            super().do_GET()
            return
        body = Path(self.translate_path(self.path)).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True


@pytest.fixture
def mirror(tmp_path: Path):
    """A local HTTP server on 127.0.0.1 serving ``tmp_path / "served"``; yields (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(served))
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def publish(monkeypatch: pytest.MonkeyPatch, served: Path, arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """Serve ``arrays`` as .gz files and make their MD5s the published ones; returns the MD5s."""
    write_dataset(served, arrays)
    md5 = {f"{name}.gz": hashlib.md5((served / f"{name}.gz").read_bytes()).hexdigest() for name in arrays}
    monkeypatch.setitem(
        mnist_module.DATASETS, "mnist", DatasetInfo(mirrors=("http://127.0.0.1:9/",), md5=md5)
    )
    return md5


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_fetches_verifies_and_caches(isolated, monkeypatch, mirror):
    served, url = mirror
    arrays = tiny_dataset()
    publish(monkeypatch, served, arrays)
    x_train, y_train, *_ = load_mnist(mirrors=[closed_port_url(), url], progress=False)
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte"])
    cached = isolated / "cache" / "tinygrad_vn" / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(f"{n}.gz" for n in FILE_NAMES)
    for path in served.iterdir():
        path.unlink()
    np.testing.assert_array_equal(load_mnist(download=False)[1], y_train)


def test_download_goes_into_root_when_given(isolated, monkeypatch, mirror):
    served, url = mirror
    publish(monkeypatch, served, tiny_dataset())
    load_mnist(isolated / "mine", mirrors=[url], progress=False)
    assert len(list((isolated / "mine" / "mnist").glob("*.gz"))) == 4


def test_md5_mismatch_is_refused_and_nothing_is_kept(isolated, monkeypatch, mirror):
    served, url = mirror
    publish(monkeypatch, served, tiny_dataset())
    write(
        served / "t10k-images-idx3-ubyte.gz", idx_bytes(tiny_dataset(seed=1)["t10k-images-idx3-ubyte"]), True
    )
    with pytest.raises(DatasetNotFoundError, match=r"t10k-images-idx3-ubyte\.gz: MD5 .* does not match"):
        load_mnist(mirrors=[url], progress=False)
    cached = isolated / "cache" / "tinygrad_vn" / "mnist"
    assert not (cached / "t10k-images-idx3-ubyte.gz").exists()
    assert not list(cached.glob(".*part"))


def test_a_download_cut_short_is_refused_and_nothing_is_kept(isolated, monkeypatch, mirror):
    served, url = mirror
    publish(monkeypatch, served, tiny_dataset(n_train=400))
    (served / "train-images-idx3-ubyte.gz.cut").touch()
    message = r"train-images-idx3-ubyte\.gz: download cut short, \d+ of \d+ bytes arrived"
    with pytest.raises(DatasetNotFoundError, match=message):
        load_mnist(mirrors=[url], progress=False)
    assert not list((isolated / "cache" / "tinygrad_vn" / "mnist").iterdir())


def test_no_network_names_the_four_files_and_where_to_put_them(isolated, monkeypatch):
    monkeypatch.setenv("TINYGRAD_VN_DATA", str(isolated / "env"))
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(isolated / "root", mirrors=[closed_port_url()], progress=False)
    message = str(info.value)
    for name in FILE_NAMES:
        assert f"{name}.gz" in message
    for folder in (
        isolated / "root" / "mnist",
        isolated / "root",
        isolated / "env" / "mnist",
        isolated / "cache" / "tinygrad_vn" / "mnist",
    ):
        assert f"  {folder}\n" in message
    assert "TINYGRAD_VN_DATA" in message


def test_download_false_never_touches_the_network(isolated, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(DatasetNotFoundError, match=r"downloading is off \(download=False\)"):
        load_mnist(download=False)
