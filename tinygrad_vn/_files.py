"""Writing files so that a reader never sees half of one, and a crash never loses the old one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# How many characters of the target's name the temporary file's name repeats (so a stray one can be
# recognised). Kept short so that the temporary name stays within NAME_MAX (255 bytes) whatever the
# target's name: 32 characters are at most 128 bytes in UTF-8, plus 20 for the dot, random part and suffix.
_NAME_HINT_CHARS = 32


def temporary_name(path: Path) -> Path:
    """A fresh hidden name beside ``path``, short enough for any file system that can hold ``path``."""
    return path.with_name(f".{path.name[:_NAME_HINT_CHARS]}.{uuid.uuid4().hex[:12]}.part")


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for a renamed file to disk, where the system allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a hidden file beside ``path`` for writing; move it to ``path`` only if the block succeeds.

    The data is flushed and fsync'ed before the rename, and the folder is fsync'ed after it, so that
    after a crash ``path`` holds either the old file or the complete new one, never a truncated one.
    A failed block (any exception, Ctrl-C included) removes the temporary file and leaves ``path`` as
    it was. Missing parent folders are created. The file gets the usual permissions (umask applies).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        with open(tmp, "xb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _sync_folder(path.parent)
