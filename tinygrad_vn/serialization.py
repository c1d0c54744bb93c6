"""Save and load state dicts as ``.npz`` files, never with pickle, so loading a file can not run code.

A checkpoint is a zip archive (stored, not compressed) that NumPy's ``np.load`` can also read: one
``.npy`` member per state-dict entry and a manifest member ``__metadata__.npy`` holding JSON bytes,
``{"tinygrad_vn_checkpoint": 2, "arrays": [{"name", "dtype", "shape"}, ...], "metadata": {...}}``.
The archive comment marks the format. Member names are the keys with every byte other than ASCII
letters, digits, ``-``, ``_`` and ``.`` written as ``%XX`` (UTF-8), so plain names stay readable and any
string is a valid key; very long names are cut and numbered, and the manifest keeps the real names.

Loading checks everything before it trusts anything: the zip's end record sits at the end of the
file, the central directory and every local header agree, members neither overlap nor repeat, each
member is stored uncompressed and passes its CRC-32, each ``.npy`` header declares a plain bool,
integer or floating dtype and a shape whose size is exactly the bytes the member holds (checked before
any array is allocated), and the members are exactly those the manifest lists, with its dtypes and
shapes. Anything else is a :class:`CheckpointError` naming the file and the problem.

Files written by earlier versions (``np.savez`` archives: raw key names, the metadata JSON itself in
``__metadata__.npy``, no manifest and no comment) still load, with every check but the manifest's.

A path ending in ``.safetensors`` is read and written in the safetensors format instead (an 8-byte header
length, a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian
bytes), so the file opens with the ``safetensors`` package, Hugging Face tools and ``safetensors.torch``.
tinygrad_vn's manifest rides in the header's ``__metadata__`` (its only field, ``tinygrad_vn_checkpoint``,
holds the manifest's JSON, now with each tensor's CRC-32, since the format has no checksum of its own), so
a saved file is checked as strictly as an ``.npz``: header, byte ranges, dtypes, shapes and every CRC.
A safetensors file that some other tool wrote has no manifest: it loads with every structural check but
the CRCs, as a :class:`ForeignStateDict`, which ``Module.load_state_dict`` refuses (its Linear weights may
be in PyTorch's (out, in) layout); ``tg.interop.from_torch(state, into=model)`` loads it knowingly.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import os
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from ._files import atomic_write

__all__ = ["CheckpointError", "ForeignStateDict", "load", "load_metadata", "save"]

METADATA_KEY = "__metadata__"
METADATA_MEMBER = METADATA_KEY + ".npy"
FORMAT_KEY = "tinygrad_vn_checkpoint"
FORMAT_VERSION = 2
ARCHIVE_COMMENT = b"tinygrad_vn checkpoint 2"
SAVED_KINDS = "biuf"  # bool, signed and unsigned integers, floating point

_PLAIN_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
_LONG_NAME = 200  # encoded names longer than this are cut to _LONG_NAME_PREFIX and numbered
_LONG_NAME_PREFIX = 100
_MAX_NPY_HEADER = 10_000  # bytes; NumPy's own default limit for a .npy header
_NPY_MAGIC = b"\x93NUMPY"
_PLAIN_DESCR = re.compile(r"[<>|][biuf][0-9]{1,2}")  # the .npy descr (dtype.str) of a bool, integer or float
_NPY_PREAMBLE = struct.Struct("<6s2BL")  # magic, version, header length (the longest form, 2.0)
_CHUNK = 1 << 22
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same state dict always gives the same bytes

_END_RECORD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_END_SIGNATURE, _ZIP64_LOCATOR_SIGNATURE = b"PK\x05\x06", b"PK\x06\x07"
_ZIP64_END_SIGNATURE, _LOCAL_SIGNATURE = b"PK\x06\x06", b"PK\x03\x04"

# What zipfile raises for malformed input (FileNotFoundError and other
# failures to open the file are let through before any of this runs).
_PARSE_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, TypeError, KeyError,
    IndexError, struct.error, OverflowError, NotImplementedError, UnicodeError,
)


class CheckpointError(ValueError):
    """A checkpoint file is truncated, altered or not one that :func:`save` wrote."""


class ForeignStateDict(dict):
    """A state dict read from a safetensors file that tinygrad_vn did not write (``source`` is its path).

    Its 2-D weights are as that tool stored them, PyTorch's (out, in) for a Linear layer if PyTorch wrote
    it, so ``Module.load_state_dict`` refuses it rather than load a square weight silently transposed:
    load it with ``tg.interop.from_torch(state, into=model)``, or ``model.load_state_dict(dict(state))``
    when it is known to be in tinygrad_vn's layout. ``metadata`` is the file's own ``__metadata__``.
    """

    def __init__(self, arrays: Mapping[str, np.ndarray], source: str, metadata: Mapping[str, str]) -> None:
        super().__init__(arrays)
        self.source, self.metadata = source, dict(metadata)


def _member_name(key: str, index: int) -> str:
    """The zip member name of state-dict entry number ``index``: ``key`` escaped, plus ``.npy``.

    Different keys always get different names, none of them ``__metadata__.npy`` (a ``%5F`` escape
    is never produced otherwise since ``_`` is plain; ``~`` only appears in cut long names).
    """
    raw = key.encode("utf-8", "surrogatepass")
    stem = "".join(chr(byte) if byte in _PLAIN_BYTES else f"%{byte:02X}" for byte in raw)
    if stem == METADATA_KEY:
        stem = "%5F" + stem[1:]
    if len(stem) > _LONG_NAME:
        cut = stem[:_LONG_NAME_PREFIX]
        escape = cut.rfind("%", len(cut) - 2)
        stem = f"{cut[:escape] if escape >= 0 else cut}~{index}"
    return stem + ".npy"


def _as_array(key: str, value: Any) -> np.ndarray:
    """The NumPy array behind a Tensor (its ``.data``) or anything ``np.asarray`` accepts."""
    is_numpy = isinstance(value, (np.ndarray, np.generic))  # their own .data is a raw buffer, not an array
    array = np.asarray(value if is_numpy else getattr(value, "data", value))
    if array.dtype.kind not in SAVED_KINDS or array.dtype.fields is not None:
        raise TypeError(
            f"cannot save {key!r}: dtype {array.dtype} (from {type(value).__name__}) is not a bool, integer "
            "or floating-point type"
        )
    return array


def _manifest_bytes(arrays: list[tuple[str, np.ndarray]], metadata: Mapping[str, Any] | None) -> bytes:
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping (a dict), got {type(metadata).__name__}")
    manifest = {
        FORMAT_KEY: FORMAT_VERSION,
        "arrays": [{"name": key, "dtype": a.dtype.str, "shape": list(a.shape)} for key, a in arrays],
        "metadata": dict(metadata or {}),
    }
    try:
        return json.dumps(manifest, ensure_ascii=True).encode("ascii")
    except (TypeError, ValueError) as err:
        raise TypeError(f"metadata must be JSON-serializable: {err}") from err


def _write_member(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.external_attr = 0o644 << 16
    with archive.open(info, "w", force_zip64=True) as member:
        np.lib.format.write_array(member, array, allow_pickle=False)


def save(
    state_dict: Mapping[str, Any], path: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None
) -> None:
    """Write ``state_dict`` (str -> Tensor or array) and optional JSON ``metadata`` to ``path``.

    A path ending in ``.safetensors`` is written in that format (see the module docstring), any other as
    an ``.npz`` archive. Any string is a valid key. Values must hold bool, integer or floating-point
    numbers. Everything is checked before the file is opened; the file is written beside ``path``,
    fsync'ed and renamed into place, so a failure or a crash never leaves half a checkpoint where a good
    one was.
    """
    arrays = []
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"state dict keys must be strings, got {key!r} ({type(key).__name__})")
        arrays.append((key, _as_array(key, value)))
    if _is_safetensors(path):
        _save_safetensors(arrays, path, metadata)
        return
    manifest = _manifest_bytes(arrays, metadata)
    with atomic_write(path) as f, zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, (key, array) in enumerate(arrays):
            _write_member(archive, _member_name(key, index), array)
        _write_member(archive, METADATA_MEMBER, np.frombuffer(manifest, dtype=np.uint8))
        archive.comment = ARCHIVE_COMMENT


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    """One zip member, located and checked against its local header."""

    name: str
    data_start: int
    size: int
    crc: int


@dataclass(frozen=True)
class _Npy:
    """A member's .npy header, checked against the member's size."""

    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    header_size: int


class _Reader:
    """Checks and reads one checkpoint file; every problem becomes a :class:`CheckpointError`."""

    def __init__(self, f: BinaryIO, path: str | os.PathLike[str]) -> None:
        self.f, self.path = f, path
        self.file_size = os.fstat(f.fileno()).st_size

    def fail(self, problem: str) -> CheckpointError:
        return CheckpointError(f"{self.path}: not a readable checkpoint: {problem}")

    def read_at(self, offset: int, size: int) -> bytes:
        self.f.seek(offset)
        data = self.f.read(size)
        if len(data) != size:
            raise self.fail(f"the file ends inside a zip record at byte {offset}")
        return data

    # The zip structure.

    def end_record(self) -> tuple[bool, int, int, int]:
        """(written by this version, number of members, start and end of the central directory)."""
        found = None
        for comment in (ARCHIVE_COMMENT, b""):
            position = self.file_size - _END_RECORD.size - len(comment)
            if position < 0:
                continue
            record = self.read_at(position, _END_RECORD.size + len(comment))
            fields = _END_RECORD.unpack(record[: _END_RECORD.size])
            if fields[0] == _END_SIGNATURE and fields[7] == len(comment) and record[_END_RECORD.size :] == comment:
                found = comment == ARCHIVE_COMMENT, position, fields
                break
        if found is None:
            raise self.fail(
                "the file does not end with a zip end record (it is truncated, altered, has bytes appended, or "
                "is not a checkpoint)"
            )
        current, position, fields = found
        _, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, _ = fields
        cd_end = position
        # As zipfile does: a zip64 end record, where its locator is present, overrides the classic one.
        locator = self.read_at(position - _ZIP64_LOCATOR.size, 4) if position >= _ZIP64_LOCATOR.size else b""
        if locator == _ZIP64_LOCATOR_SIGNATURE:
            disk, cd_disk, disk_entries, entries, cd_size, cd_offset, cd_end = self.zip64_end_record(position)
        elif 0xFFFF in (disk_entries, entries) or 0xFFFFFFFF in (cd_size, cd_offset):
            raise self.fail("the zip end record points to a zip64 end record that is missing")
        if disk != 0 or cd_disk != 0 or disk_entries != entries:
            raise self.fail("the zip end record describes a multi-disk archive")
        if cd_offset + cd_size != cd_end:
            raise self.fail(
                f"the central directory (bytes {cd_offset}..{cd_offset + cd_size}) does not end where the end "
                f"record starts (byte {cd_end})"
            )
        return current, entries, cd_offset, cd_end

    def zip64_end_record(self, end_position: int) -> tuple[int, ...]:
        locator_position = end_position - _ZIP64_LOCATOR.size
        _, _, record_offset, _ = _ZIP64_LOCATOR.unpack(self.read_at(locator_position, _ZIP64_LOCATOR.size))
        if record_offset + _ZIP64_END_RECORD.size != locator_position:
            raise self.fail("the zip64 end record locator is damaged")
        fields = _ZIP64_END_RECORD.unpack(self.read_at(record_offset, _ZIP64_END_RECORD.size))
        signature, _, _, _, disk, cd_disk, disk_entries, entries, cd_size, cd_offset = fields
        if signature != _ZIP64_END_SIGNATURE:
            raise self.fail("the zip64 end record is damaged")
        return disk, cd_disk, disk_entries, entries, cd_size, cd_offset, record_offset

    def members(self, entries: int, cd_offset: int, cd_end: int) -> list[_Member]:
        """Every member of the central directory, in its order, located and checked."""
        self.f.seek(0)
        with zipfile.ZipFile(self.f) as archive:
            infos = archive.infolist()
            if getattr(archive, "start_dir", cd_offset) != cd_offset:
                raise self.fail("zip offsets do not start at the beginning of the file")
        if len(infos) != entries:
            raise self.fail(f"the zip end record counts {entries} members but the central directory lists {len(infos)}")
        duplicates = sorted(name for name, count in Counter(info.orig_filename for info in infos).items() if count > 1)
        if duplicates:
            raise self.fail(f"member names appear more than once: {', '.join(map(repr, duplicates))}")
        members = [self.member(info, cd_offset) for info in infos]
        spans = sorted((info.header_offset, m.data_start + m.size, m.name) for info, m in zip(infos, members))
        for (_, end, name), (start, _, next_name) in itertools.pairwise(spans):
            if start < end:
                raise self.fail(f"members {name!r} and {next_name!r} overlap")
        return members

    def member(self, info: zipfile.ZipInfo, cd_offset: int) -> _Member:
        name = info.orig_filename
        if info.flag_bits & 0x1:
            raise self.fail(f"member {name!r} is encrypted")
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise self.fail(f"member {name!r} is compressed (method {info.compress_type}); save stores members")
        if info.header_offset + _LOCAL_HEADER.size > cd_offset:
            raise self.fail(f"member {name!r} starts outside the data area")
        fields = _LOCAL_HEADER.unpack(self.read_at(info.header_offset, _LOCAL_HEADER.size))
        signature, name_size, extra_size = fields[0], fields[9], fields[10]
        if signature != _LOCAL_SIGNATURE:
            raise self.fail(f"member {name!r} has no local header where the central directory says")
        stored_name = self.read_at(info.header_offset + _LOCAL_HEADER.size, name_size)
        if stored_name != name.encode("utf-8" if info.flag_bits & 0x800 else "cp437"):
            raise self.fail(f"member {name!r} is named {stored_name!r} in its local header")
        data_start = info.header_offset + _LOCAL_HEADER.size + name_size + extra_size
        if data_start + info.file_size > cd_offset:
            raise self.fail(f"member {name!r} declares {info.file_size} bytes, more than the file holds")
        return _Member(name, data_start, info.file_size, info.CRC)

    # One member's .npy contents.

    def npy_header(self, member: _Member) -> _Npy:
        """Parse the member's .npy header (format 1.0 or 2.0) with nothing but literal evaluation."""
        prefix = self.read_at(member.data_start, min(member.size, _NPY_PREAMBLE.size))
        if len(prefix) < _NPY_PREAMBLE.size or prefix[:6] != _NPY_MAGIC:
            raise self.fail(f"member {member.name!r} is not a .npy array (no .npy magic)")
        if prefix[6:8] == b"\x01\x00":
            header_size = 10 + int.from_bytes(prefix[8:10], "little")
        elif prefix[6:8] == b"\x02\x00":
            header_size = 12 + int.from_bytes(prefix[8:12], "little")
        else:
            raise self.fail(f"member {member.name!r} has .npy format version {tuple(prefix[6:8])}, not 1.0 or 2.0")
        if header_size > min(member.size, _MAX_NPY_HEADER):
            raise self.fail(f"member {member.name!r} declares a .npy header of {header_size} bytes")
        text = self.read_at(member.data_start, header_size)[10 if prefix[6] == 1 else 12 :].decode("latin-1")
        try:
            header = ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as err:
            raise self.fail(f"member {member.name!r} has an unreadable .npy header: {err}") from err
        if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
            raise self.fail(f"member {member.name!r} has a .npy header other than {{descr, fortran_order, shape}}")
        descr, fortran_order, shape = header["descr"], header["fortran_order"], header["shape"]
        if not isinstance(fortran_order, bool) or not isinstance(shape, tuple):
            raise self.fail(f"member {member.name!r} has a malformed .npy header: {text.strip()!r:.200}")
        if not isinstance(descr, str) or not _PLAIN_DESCR.fullmatch(descr):
            raise self.fail(
                f"member {member.name!r} holds dtype {descr!s:.100}, not a bool, integer or floating-point type "
                "(objects are never unpickled)"
            )
        try:
            dtype = np.dtype(descr)
        except TypeError as err:
            raise self.fail(f"member {member.name!r} holds dtype {descr}, which this machine has not") from err
        if any(type(d) is not int or d < 0 for d in shape):
            raise self.fail(f"member {member.name!r} declares an invalid shape {shape}")
        declared = math.prod(shape) * dtype.itemsize
        if header_size + declared != member.size:
            raise self.fail(
                f"member {member.name!r} declares shape {shape} of {dtype} ({declared} bytes) but holds "
                f"{member.size - header_size} bytes of data"
            )
        return _Npy(dtype, tuple(shape), bool(fortran_order), header_size)

    def array(self, member: _Member, npy: _Npy, keep: bool) -> np.ndarray | None:
        """The member's array (``None`` when ``keep`` is false), read after its CRC-32 was checked."""
        count = math.prod(npy.shape)
        flat = np.empty(count if keep else min(count, _CHUNK // npy.dtype.itemsize + 1), dtype=npy.dtype)
        buffer = memoryview(flat.view(np.uint8).reshape(-1))
        self.f.seek(member.data_start)
        crc = zlib.crc32(self.f.read(npy.header_size))
        remaining, position = member.size - npy.header_size, 0
        while remaining:
            window = buffer[position : position + min(remaining, _CHUNK)] if keep else buffer[: min(remaining, _CHUNK)]
            got = self.f.readinto(window)
            if not got:
                raise self.fail(f"the file ends inside member {member.name!r}")
            crc = zlib.crc32(window[:got], crc)
            remaining -= got
            position += got
        if crc != member.crc:
            raise self.fail(f"member {member.name!r} fails its CRC-32 check (the file was altered or damaged)")
        if not keep:
            return None
        try:
            if npy.fortran_order:
                return flat.reshape(npy.shape[::-1]).transpose()
            return flat.reshape(npy.shape)
        except ValueError as err:
            raise self.fail(f"member {member.name!r} declares shape {npy.shape}: {err}") from err

    # The whole file.

    def metadata_json(self, member: _Member) -> Any:
        npy = self.npy_header(member)
        if npy.dtype != np.uint8 or len(npy.shape) != 1:
            raise self.fail(f"{METADATA_MEMBER} holds {npy.dtype} of shape {npy.shape}, not JSON bytes")
        raw = self.array(member, npy, keep=True)
        try:
            return json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            raise self.fail(f"its metadata is not valid JSON: {err}") from err

    def read(self, keep_arrays: bool) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        current, entries, cd_offset, cd_end = self.end_record()
        members = {m.name: m for m in self.members(entries, cd_offset, cd_end)}
        if any(name == "data.pkl" or name.endswith("/data.pkl") for name in members):
            raise self.fail(
                "it is a PyTorch file (torch.save), whose tensors are pickled; tinygrad_vn never unpickles. Read it "
                "with torch.load(path, weights_only=True) and convert it with tg.interop.from_torch(state, "
                "into=model), which also transposes PyTorch's (out, in) Linear weights")
        meta_member = members.pop(METADATA_MEMBER, None)
        document = {} if meta_member is None else self.metadata_json(meta_member)
        if not isinstance(document, dict):
            raise self.fail(f"its metadata is a JSON {type(document).__name__}, not an object")
        if current:
            expected, metadata = self.manifest(document, meta_member is not None, members)
        else:
            if FORMAT_KEY in document:
                raise self.fail("it holds a manifest but its zip comment, which marks the format, is missing")
            expected, metadata = self.legacy_entries(members), document
        unexpected = sorted(set(members) - {member for member, _, _, _ in expected})
        if unexpected:
            raise self.fail(f"members not listed in its manifest: {', '.join(map(repr, unexpected))}")
        arrays = {}
        for member_name, key, dtype, shape in expected:
            member = members[member_name]
            npy = self.npy_header(member)
            if dtype is not None and (npy.dtype.str != dtype or npy.shape != shape):
                raise self.fail(
                    f"entry {key!r} is {npy.dtype.str} of shape {npy.shape} but its manifest says {dtype} of "
                    f"shape {shape}"
                )
            array = self.array(member, npy, keep_arrays)
            if keep_arrays:
                arrays[key] = array
        return arrays, metadata

    def manifest(
        self, document: dict[str, Any], present: bool, members: dict[str, _Member]
    ) -> tuple[list[tuple[str, str, str | None, tuple[int, ...] | None]], dict[str, Any]]:
        """(member, key, dtype, shape) of every entry the manifest lists, and the user's metadata."""
        if not present:
            raise self.fail(f"its manifest ({METADATA_MEMBER}) is missing")
        if set(document) != {FORMAT_KEY, "arrays", "metadata"} or document[FORMAT_KEY] != FORMAT_VERSION:
            raise self.fail("its manifest is not one that tinygrad_vn.save writes")
        entries, metadata = document["arrays"], document["metadata"]
        if not isinstance(entries, list) or not isinstance(metadata, dict):
            raise self.fail("its manifest's 'arrays' is not a list or its 'metadata' is not an object")
        expected, keys = [], set()
        for index, entry in enumerate(entries):
            valid = (
                isinstance(entry, dict) and set(entry) == {"name", "dtype", "shape"}
                and isinstance(entry["name"], str) and isinstance(entry["dtype"], str)
                and isinstance(entry["shape"], list)
                and all(type(d) is int and d >= 0 for d in entry["shape"])
            )
            if not valid:
                raise self.fail(f"its manifest's entry {index} is malformed: {entry!r:.200}")
            if entry["name"] in keys:
                raise self.fail(f"its manifest lists {entry['name']!r} twice")
            keys.add(entry["name"])
            member = _member_name(entry["name"], index)
            expected.append((member, entry["name"], entry["dtype"], tuple(entry["shape"])))
        missing = [member for member, _, _, _ in expected if member not in members]
        if missing:
            raise self.fail(f"members listed in its manifest are missing: {', '.join(map(repr, missing))}")
        return expected, metadata

    def legacy_entries(self, members: dict[str, _Member]) -> list[tuple[str, str, None, None]]:
        """The entries of a file written by ``np.savez`` (earlier versions): key = member name - ``.npy``."""
        for name in members:
            if not name.endswith(".npy"):
                raise self.fail(f"member {name!r} is not a .npy array")
        return [(name, name[: -len(".npy")], None, None) for name in members]


def _read(path: str | os.PathLike[str], keep_arrays: bool) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Open ``path`` (failing to open it raises the usual OSError) and read it with every check."""
    with open(path, "rb") as f:
        reader = _SafetensorsReader(f, path) if _is_safetensors(path) else _Reader(f, path)
        try:
            return reader.read(keep_arrays)
        except CheckpointError:
            raise
        except _PARSE_ERRORS as err:
            raise reader.fail(f"{type(err).__name__}: {err}") from err


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read the state dict that :func:`save` wrote: name -> NumPy array, in the saved order.

    A ``.safetensors`` path is read in that format; one that another tool wrote comes back as a
    :class:`ForeignStateDict` (in its byte order), since its weights' layout is that tool's.

    Raises :class:`CheckpointError` naming the file and the problem when it is damaged or not a
    checkpoint (see the module docstring for what is checked), FileNotFoundError when it is missing.
    """
    return _read(path, keep_arrays=True)[0]


def load_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON metadata that :func:`save` stored with the state dict (empty when none was).

    The whole file is checked as :func:`load` checks it (every CRC included), but the arrays are
    streamed through in chunks rather than kept, so this needs little memory.
    """
    return _read(path, keep_arrays=False)[1]


# --- safetensors -----------------------------------------------------------------------------------

SAFETENSORS_SUFFIX = ".safetensors"
_SAFETENSORS_DTYPES = {
    "BOOL": "|b1", "U8": "|u1", "I8": "|i1", "U16": "<u2", "I16": "<i2", "U32": "<u4", "I32": "<i4",
    "U64": "<u8", "I64": "<i8", "F16": "<f2", "F32": "<f4", "F64": "<f8",
}
_SAFETENSORS_CODES = {np.dtype(descr): code for code, descr in _SAFETENSORS_DTYPES.items()}
_SAFETENSORS_MAX_HEADER = 100_000_000  # bytes, the safetensors package's own limit
_SAFETENSORS_ALIGNMENT = 8  # the header is padded with spaces so that the data starts 8-byte aligned
_SAFETENSORS_METADATA = "__metadata__"


def _is_safetensors(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path).lower().endswith(SAFETENSORS_SUFFIX)


def _stored_names(keys: list[str]) -> list[str]:
    """The header name of each key: the key itself, except that ``__metadata__`` (reserved) is renamed."""
    taken, names = set(keys), []
    for index, key in enumerate(keys):
        name = key
        if key == _SAFETENSORS_METADATA:
            name = f"{key}~{index}"
            while name in taken:
                name += "~"
            taken.add(name)
        names.append(name)
    return names


def _save_safetensors(arrays: list[tuple[str, np.ndarray]], path: str | os.PathLike[str],
                      metadata: Mapping[str, Any] | None) -> None:
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping (a dict), got {type(metadata).__name__}")
    little = []
    for key, array in arrays:
        standard = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        if standard not in _SAFETENSORS_CODES:
            raise TypeError(f"cannot save {key!r} as safetensors: dtype {array.dtype} has no safetensors code")
        little.append(np.array(array, dtype=standard, order="C"))
    names = _stored_names([key for key, _ in arrays])
    entries, header, offset = [], {}, 0
    for (key, _), name, array in zip(arrays, names, little):
        size = array.nbytes
        header[name] = {"dtype": _SAFETENSORS_CODES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + size]}
        entries.append({"name": key, "stored": name, "dtype": array.dtype.str, "shape": list(array.shape),
                        "crc32": zlib.crc32(memoryview(array).cast("B")) if size else 0})
        offset += size
    manifest = {FORMAT_KEY: FORMAT_VERSION, "arrays": entries, "metadata": dict(metadata or {})}
    try:
        manifest_text = json.dumps(manifest, ensure_ascii=True)
    except (TypeError, ValueError) as err:
        raise TypeError(f"metadata must be JSON-serializable: {err}") from err
    document = {_SAFETENSORS_METADATA: {FORMAT_KEY: manifest_text}, **header}
    encoded = json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    encoded += b" " * (-len(encoded) % _SAFETENSORS_ALIGNMENT)
    with atomic_write(path) as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for array in little:
            f.write(memoryview(array).cast("B") if array.nbytes else b"")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        repeated = sorted(key for key, count in Counter(keys).items() if count > 1)
        raise ValueError(f"names appear more than once in the header: {', '.join(map(repr, repeated))}")
    return dict(pairs)


@dataclass(frozen=True)
class _Tensor:
    """One tensor of a safetensors header, checked: its stored name, dtype, shape and byte range."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    start: int
    end: int


class _SafetensorsReader:
    """Checks and reads one safetensors file; every problem becomes a :class:`CheckpointError`."""

    def __init__(self, f: BinaryIO, path: str | os.PathLike[str]) -> None:
        self.f, self.path = f, path
        self.file_size = os.fstat(f.fileno()).st_size

    def fail(self, problem: str) -> CheckpointError:
        return CheckpointError(f"{self.path}: not a readable safetensors file: {problem}")

    def header(self) -> tuple[dict[str, Any], int]:
        """The header's JSON object and the offset where the data starts."""
        self.f.seek(0)
        prefix = self.f.read(8)
        if len(prefix) < 8:
            raise self.fail(f"it holds {len(prefix)} bytes, fewer than the 8 of the header length")
        (size,) = struct.unpack("<Q", prefix)
        if size > min(self.file_size - 8, _SAFETENSORS_MAX_HEADER):
            raise self.fail(f"its header declares {size} bytes, more than the file holds (or the 100 MB limit)")
        raw = self.f.read(size)
        if not raw.startswith(b"{"):
            raise self.fail("its header is not a JSON object")
        try:
            document = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_object)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as err:
            raise self.fail(f"its header is not valid JSON: {err}") from err
        if not isinstance(document, dict):
            raise self.fail("its header is not a JSON object")
        return document, 8 + size

    def tensors(self, document: dict[str, Any], data_start: int) -> list[_Tensor]:
        """Every tensor of the header, checked, in the order of their bytes (which must tile the data)."""
        tensors = []
        for name, entry in document.items():
            if name == _SAFETENSORS_METADATA:
                continue
            valid = (isinstance(entry, dict) and set(entry) == {"dtype", "shape", "data_offsets"}
                     and isinstance(entry["shape"], list) and all(type(d) is int and d >= 0 for d in entry["shape"])
                     and isinstance(entry["data_offsets"], list) and len(entry["data_offsets"]) == 2
                     and all(type(o) is int and o >= 0 for o in entry["data_offsets"]))
            if not valid:
                raise self.fail(f"tensor {name!r} has a malformed header entry: {entry!r:.200}")
            code = entry["dtype"]
            if code not in _SAFETENSORS_DTYPES:
                raise self.fail(f"tensor {name!r} holds dtype {code!s:.20}, which NumPy cannot hold (known: "
                                f"{', '.join(_SAFETENSORS_DTYPES)})")
            dtype, shape = np.dtype(_SAFETENSORS_DTYPES[code]), tuple(entry["shape"])
            start, end = entry["data_offsets"]
            if end - start != math.prod(shape) * dtype.itemsize:
                raise self.fail(f"tensor {name!r} declares shape {shape} of {code} "
                                f"({math.prod(shape) * dtype.itemsize} bytes) but the byte range {start}..{end}")
            tensors.append(_Tensor(name, dtype, shape, start, end))
        tensors.sort(key=lambda t: (t.start, t.end))
        position = 0
        for tensor in tensors:
            if tensor.start != position:
                raise self.fail(f"tensor {tensor.name!r} starts at data byte {tensor.start}, not {position}: the byte "
                                "ranges overlap or leave a gap")
            position = tensor.end
        if data_start + position != self.file_size:
            raise self.fail(f"its tensors hold {position} bytes of data but the file has {self.file_size - data_start} "
                            "after the header (it is truncated or has bytes appended)")
        return tensors

    def array(self, tensor: _Tensor, data_start: int, keep: bool) -> tuple[np.ndarray | None, int]:
        """The tensor's array (``None`` unless ``keep``) and the CRC-32 of its bytes."""
        self.f.seek(data_start + tensor.start)
        size = tensor.end - tensor.start
        flat = np.empty(size if keep else min(size, _CHUNK), dtype=np.uint8)
        crc, remaining, position = 0, size, 0
        while remaining:
            window = memoryview(flat)[position : position + min(remaining, _CHUNK)] if keep \
                else memoryview(flat)[: min(remaining, _CHUNK)]
            got = self.f.readinto(window)
            if not got:
                raise self.fail(f"the file ends inside tensor {tensor.name!r}")
            crc = zlib.crc32(window[:got], crc)
            remaining -= got
            position += got
        if not keep:
            return None, crc
        return flat.view(tensor.dtype).reshape(tensor.shape).astype(tensor.dtype.newbyteorder("="), copy=False), crc

    def read(self, keep_arrays: bool) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        document, data_start = self.header()
        own = document.get(_SAFETENSORS_METADATA, {})
        if not isinstance(own, dict) or not all(isinstance(v, str) for v in own.values()):
            raise self.fail("its __metadata__ is not an object of strings")
        tensors = {t.name: t for t in self.tensors(document, data_start)}
        if FORMAT_KEY not in own:
            arrays = {name: self.array(t, data_start, keep_arrays)[0] for name, t in tensors.items()}
            return ForeignStateDict(arrays if keep_arrays else {}, os.fspath(self.path), own), own
        if set(own) != {FORMAT_KEY}:
            raise self.fail(f"its __metadata__ holds fields besides {FORMAT_KEY!r}: "
                            f"{', '.join(map(repr, sorted(set(own) - {FORMAT_KEY})))}")
        listed, metadata = self.manifest(own[FORMAT_KEY], tensors)
        arrays = {}
        for key, tensor, crc in listed:
            array, actual = self.array(tensor, data_start, keep_arrays)
            if actual != crc:
                raise self.fail(f"tensor {key!r} fails its CRC-32 check (the file was altered or damaged)")
            if keep_arrays:
                arrays[key] = array
        return arrays, metadata

    def manifest(self, text: str,
                 tensors: dict[str, _Tensor]) -> tuple[list[tuple[str, _Tensor, int]], dict[str, Any]]:
        """(key, tensor, CRC-32) of every entry of the manifest, each checked against the header, and the
        user's metadata."""
        try:
            document = json.loads(text, object_pairs_hook=_unique_object)
        except (json.JSONDecodeError, RecursionError, ValueError) as err:
            raise self.fail(f"its manifest is not valid JSON: {err}") from err
        if (not isinstance(document, dict) or set(document) != {FORMAT_KEY, "arrays", "metadata"}
                or document[FORMAT_KEY] != FORMAT_VERSION or not isinstance(document["arrays"], list)
                or not isinstance(document["metadata"], dict)):
            raise self.fail("its manifest is not one that tinygrad_vn.save writes")
        listed, keys = [], set()
        for index, entry in enumerate(document["arrays"]):
            valid = (isinstance(entry, dict) and set(entry) == {"name", "stored", "dtype", "shape", "crc32"}
                     and isinstance(entry["name"], str) and isinstance(entry["stored"], str)
                     and isinstance(entry["dtype"], str) and isinstance(entry["shape"], list)
                     and type(entry["crc32"]) is int)
            if not valid:
                raise self.fail(f"its manifest's entry {index} is malformed: {entry!r:.200}")
            key, tensor = entry["name"], tensors.get(entry["stored"])
            if key in keys:
                raise self.fail(f"its manifest lists {key!r} twice")
            keys.add(key)
            if tensor is None:
                raise self.fail(f"tensor {entry['stored']!r}, listed in its manifest, is missing from the header")
            if tensor.dtype.str != entry["dtype"] or list(tensor.shape) != entry["shape"]:
                raise self.fail(f"entry {key!r} is {tensor.dtype.str} of shape {tensor.shape} in the header but its "
                                f"manifest says {entry['dtype']} of shape {tuple(entry['shape'])}")
            listed.append((key, tensor, entry["crc32"]))
        unlisted = sorted(set(tensors) - {tensor.name for _, tensor, _ in listed})
        if unlisted:
            raise self.fail(f"tensors not listed in its manifest: {', '.join(map(repr, unlisted))}")
        return listed, document["metadata"]
