"""MNIST and Fashion-MNIST: find, download, verify and parse the four IDX files.

Where the files are looked for, in order (the first folder holding all four wins):

1. ``root`` (if given): ``root/<kind>/`` and then ``root`` itself;
2. ``$TINYGRAD_VN_DATA/<kind>/`` (e.g. ``$TINYGRAD_VN_DATA/mnist/`` and ``$TINYGRAD_VN_DATA/fashion-mnist/``);
3. the per-user cache, ``$XDG_CACHE_HOME/tinygrad_vn/<kind>/`` (default ``~/.cache/tinygrad_vn/<kind>/``).

Each file may be gzipped (``NAME.gz``, as published) or not (``NAME``). When none of these folders
holds the files they are downloaded from the public mirrors into ``root/<kind>/`` (or the cache when
no ``root`` is given), with a progress bar, and their MD5 sums are checked before they are kept.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .._files import atomic_write

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "DownloadError",
    "IDXFormatError",
    "load_mnist",
    "read_idx",
]

# IDX type byte -> NumPy dtype (big-endian, as the format stores every value).
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_IMAGE_MAGIC = 0x00000803
_LABEL_MAGIC = 0x00000801
_DOWNLOAD_CHUNK = 1 << 16
_READ_CHUNK = 1 << 20
# Deflate never inflates one byte to more than 1032 (a 258-byte match coded in two bits), so a gzip
# file of n bytes holds at most 1032 * n bytes of data: a header that declares more is a lie.
_MAX_DEFLATE_RATIO = 1032


@dataclass(frozen=True)
class DatasetInfo:
    """Where one dataset is published and the MD5 of each of its gzipped files."""

    mirrors: tuple[str, ...]
    md5: dict[str, str]
    num_classes: int = 10


SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FILE_NAMES = tuple(name for pair in SPLIT_FILES.values() for name in pair)

DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        md5={
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    ),
    "fashion-mnist": DatasetInfo(
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        md5={
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    ),
}


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (corrupt, truncated, wrong magic or wrong contents)."""


class DatasetNotFoundError(FileNotFoundError):
    """The dataset files are not on disk and could not be downloaded."""


class DownloadError(OSError):
    """A download failed or its MD5 sum did not match the published one."""


def cache_dir() -> Path:
    """The per-user folder where downloaded datasets are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tinygrad_vn"


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes of ``stream``: fewer only where it ends."""
    parts, remaining = [], size
    while remaining:
        part = stream.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _read_into(stream: BinaryIO, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``stream`` chunk by chunk; returns how many bytes arrived before it ended."""
    filled = 0
    while filled < len(buffer):
        got = stream.readinto(buffer[filled : filled + _READ_CHUNK])
        if not got:
            break
        filled += got
    return filled


def _parse_idx(stream: BinaryIO, path: Path, expected_magic: int | None, file_size: int, gz: bool) -> np.ndarray:
    """Parse an IDX stream; the data size comes from the header and is checked before any is read.

    A raw file must be exactly as long as its header says. A gzip file is inflated only up to that
    length (plus one byte to see whether more follows), and a header declaring more than the file
    could inflate to at deflate's best ratio is refused at once.
    """
    head = _read_exactly(stream, 4)
    if len(head) < 4:
        raise IDXFormatError(f"{path}: {len(head)} bytes is too short for an IDX header")
    magic = int.from_bytes(head, "big")
    if head[0] != 0 or head[1] != 0:
        raise IDXFormatError(
            f"{path}: not an IDX file (magic number {magic:#010x} does not start with 0x0000)"
        )
    if expected_magic is not None and magic != expected_magic:
        raise IDXFormatError(f"{path}: magic number {magic:#010x}, expected {expected_magic:#010x}")
    type_code, ndim = head[2], head[3]
    if type_code not in _IDX_DTYPES:
        raise IDXFormatError(f"{path}: unknown IDX data type byte {type_code:#04x}")
    header_size = 4 + 4 * ndim
    dims = _read_exactly(stream, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise IDXFormatError(f"{path}: truncated header (needs {header_size} bytes, file has {4 + len(dims)})")
    shape = tuple(int.from_bytes(dims[i : i + 4], "big") for i in range(0, len(dims), 4))
    dtype = _IDX_DTYPES[type_code]
    count = math.prod(shape)
    data_size = count * dtype.itemsize
    declared = f"header declares shape {shape} of {dtype.name} ({header_size + data_size} bytes in all)"
    if not gz and file_size != header_size + data_size:
        problem = "truncated" if file_size < header_size + data_size else "has trailing bytes"
        raise IDXFormatError(f"{path}: {problem}: {declared}, file has {file_size} bytes")
    if gz and header_size + data_size > file_size * _MAX_DEFLATE_RATIO:
        raise IDXFormatError(f"{path}: truncated: {declared}, more than a gzip file of {file_size} bytes can hold")
    try:
        flat = np.empty(count, dtype=dtype)
        array = flat.reshape(shape)
    except ValueError as err:
        raise IDXFormatError(f"{path}: {declared}, which NumPy can not hold: {err}") from err
    got = _read_into(stream, memoryview(flat.view(np.uint8)))
    if got < data_size:
        raise IDXFormatError(f"{path}: truncated: {declared}, file has {header_size + got} bytes")
    if stream.read(1):
        raise IDXFormatError(f"{path}: has trailing bytes: {declared}, the file holds more")
    if not dtype.isnative:
        array = array.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return array


def read_idx(path: str | os.PathLike[str], expected_magic: int | None = None) -> np.ndarray:
    """Parse one IDX file (gzipped or raw) into an array of its declared type and shape.

    ``expected_magic`` (e.g. 0x00000803 for uint8 images of 3 dimensions) is checked when given.
    Raises :class:`IDXFormatError` naming the file when the header is wrong, the data is short or
    long, or the gzip data is corrupt. The size is checked from the header before any data is read,
    so memory is never spent beyond what the header declares (and the file can hold).
    """
    path = Path(path)
    with open(path, "rb") as raw:
        file_size = os.fstat(raw.fileno()).st_size
        gz = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not gz:
            return _parse_idx(raw, path, expected_magic, file_size, gz=False)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _parse_idx(stream, path, expected_magic, file_size, gz=True)  # type: ignore[arg-type]
        except (OSError, EOFError, zlib.error) as err:
            raise IDXFormatError(f"{path}: corrupt or truncated gzip data ({err})") from err


def _read_split(image_path: Path, label_path: Path, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W) uint8 and labels (N,) int64 of one split, checked against each other."""
    images = read_idx(image_path, _IMAGE_MAGIC)
    labels = read_idx(label_path, _LABEL_MAGIC)
    if len(images) != len(labels):
        raise IDXFormatError(
            f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} labels"
        )
    if labels.size and labels.max() >= num_classes:
        raise IDXFormatError(f"{label_path}: label {labels.max()} is out of range 0..{num_classes - 1}")
    return images, labels.astype(np.int64)


def _find_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def _candidate_folders(root: str | os.PathLike[str] | None, kind: str) -> list[Path]:
    folders = []
    if root is not None:
        folders += [Path(root) / kind, Path(root)]
    env = os.environ.get("TINYGRAD_VN_DATA")
    if env:
        folders.append(Path(env) / kind)
    folders.append(cache_dir() / kind)
    return folders


def _locate(folders: Sequence[Path]) -> dict[str, Path] | None:
    for folder in folders:
        found = {name: _find_file(folder, name) for name in FILE_NAMES}
        if all(found.values()):
            return found  # type: ignore[return-value]
    return None


def download_file(url: str, dest: Path, md5: str, progress: bool = True, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest`` with a progress bar, keeping it only when its MD5 is ``md5``.

    The bytes go to a hidden file beside ``dest`` that is renamed only once complete and verified, so
    an interrupted download never leaves a half file where the loader would find it.
    """
    import urllib.request

    from tqdm.auto import tqdm

    digest, received = hashlib.md5(usedforsecurity=False), 0
    with urllib.request.urlopen(url, timeout=timeout) as response, atomic_write(dest) as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=None if progress else True,
                  leave=False) as bar:
            for chunk in iter(lambda: response.read(_DOWNLOAD_CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        if total is not None and received != total:
            raise DownloadError(f"{url}: download cut short, {received} of {total} bytes arrived")
        if digest.hexdigest() != md5:
            raise DownloadError(
                f"{url}: MD5 {digest.hexdigest()} does not match the published {md5}; the file was discarded"
            )
    return dest


def _download_all(info: DatasetInfo, folder: Path, mirrors: Sequence[str], progress: bool) -> dict[str, Path]:
    import http.client

    paths = {}
    for name in FILE_NAMES:
        existing = _find_file(folder, name)
        if existing is not None:
            paths[name] = existing
            continue
        gz_name = f"{name}.gz"
        errors = []
        for mirror in mirrors:
            try:
                paths[name] = download_file(mirror + gz_name, folder / gz_name, info.md5[gz_name], progress)
                break
            except DownloadError as err:
                errors.append(str(err))
            except (OSError, http.client.HTTPException) as err:
                errors.append(f"{mirror}{gz_name}: {err}")
        else:
            raise DownloadError("\n    ".join(["download failed:", *errors]))
    return paths


def _not_found_message(kind: str, folders: Sequence[Path], reason: str) -> str:
    files = "\n".join(f"  {name}.gz" for name in FILE_NAMES)
    searched = "\n".join(f"  {folder}" for folder in folders)
    return (
        f"{kind} files not found; {reason}\n"
        f"Put these four files (gzipped or not):\n{files}\n"
        f"into one of these folders (the first one that holds all four is used):\n{searched}\n"
        f"or set TINYGRAD_VN_DATA to a folder holding a '{kind}' subfolder with them."
    )


def load_mnist(
    root: str | os.PathLike[str] | None = None,
    kind: str = "mnist",
    *,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST or Fashion-MNIST as ``(x_train, y_train, x_test, y_test)``.

    Images are uint8 of shape (N, 28, 28) (0 = background, 255 = ink); labels are int64 in 0..9.
    ``kind`` is "mnist" or "fashion-mnist". See the module docstring for where files are looked for.
    ``mirrors`` replaces the published download locations (base URLs ending in "/").
    """
    if kind not in DATASETS:
        raise ValueError(f"unknown dataset kind {kind!r}; choose one of {', '.join(DATASETS)}")
    info = DATASETS[kind]
    folders = _candidate_folders(root, kind)
    paths = _locate(folders)
    if paths is None:
        target = Path(root) / kind if root is not None else cache_dir() / kind
        if not download:
            raise DatasetNotFoundError(_not_found_message(kind, folders, "downloading is off (download=False)"))
        try:
            paths = _download_all(info, target, tuple(mirrors or info.mirrors), progress)
        except (DownloadError, OSError) as err:
            raise DatasetNotFoundError(_not_found_message(kind, folders, str(err))) from err
    train_images, test_images = (paths[SPLIT_FILES[s][0]] for s in ("train", "test"))
    train_labels, test_labels = (paths[SPLIT_FILES[s][1]] for s in ("train", "test"))
    x_train, y_train = _read_split(train_images, train_labels, info.num_classes)
    x_test, y_test = _read_split(test_images, test_labels, info.num_classes)
    return x_train, y_train, x_test, y_test
