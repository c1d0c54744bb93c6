"""Save and load state dicts as ``.npz`` files, never with pickle, so loading a file can not run code.

A file holds one array per state-dict entry plus, under the reserved key ``__metadata__``, a JSON
object (stored as bytes) for whatever describes the model, e.g. its architecture. The zip container
checks a CRC-32 of every entry, so a truncated or altered file is refused with a clear error.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._files import atomic_write

__all__ = ["CheckpointError", "load", "load_metadata", "save"]

METADATA_KEY = "__metadata__"


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated, altered or not one that :func:`save` wrote."""


def _as_array(value: Any) -> np.ndarray:
    """The NumPy array behind a Tensor (its ``.data``) or anything ``np.asarray`` accepts."""
    data = getattr(value, "data", value)
    array = np.asarray(data)
    if array.dtype == object:
        raise TypeError(f"cannot save an object array (type {type(value).__name__}); only numeric data")
    return array


def save(
    state_dict: Mapping[str, Any], path: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None
) -> None:
    """Write ``state_dict`` (name -> Tensor or array) and optional JSON ``metadata`` to ``path``.

    The file is written beside ``path`` and renamed into place, so a crash never leaves half a
    checkpoint where a good one was.
    """
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str) or name == METADATA_KEY:
            raise ValueError(f"state dict keys must be strings other than {METADATA_KEY!r}, got {name!r}")
        arrays[name] = _as_array(value)
    if metadata is not None:
        arrays[METADATA_KEY] = np.frombuffer(json.dumps(dict(metadata)).encode(), dtype=np.uint8)
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def _read_all(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every entry of the file, each read in full so that its CRC-32 is checked."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError) as err:
        raise CheckpointError(
            f"{path}: not a readable checkpoint (truncated, altered or not written by tinygrad_vn.save): {err}"
        ) from err


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read the state dict that :func:`save` wrote: name -> NumPy array, in the saved order."""
    entries = _read_all(path)
    entries.pop(METADATA_KEY, None)
    return entries


def load_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON metadata that :func:`save` stored with the state dict (empty when none was)."""
    raw = _read_all(path).get(METADATA_KEY)
    if raw is None:
        return {}
    try:
        return json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path}: its metadata is not valid JSON: {err}") from err
