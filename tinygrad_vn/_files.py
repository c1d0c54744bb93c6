"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a hidden file beside ``path`` for writing; rename it to ``path`` only if the block succeeds.

    An interrupted or failed write leaves whatever was at ``path`` before (or nothing), never a
    truncated file. The file gets the usual permissions (umask applies).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        with open(tmp, "xb") as f:
            yield f
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
