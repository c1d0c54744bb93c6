"""Whole-step kernels: the generated Numba source of one training step, cached on disk by its hash.

``tinygrad_vn.fused`` writes a small training step (forward, backward and update) as the source of
one ``@njit`` function over a few flat arrays. :func:`load` writes that source to a file named by its
hash, in :func:`source_folder`, and imports it, so that Numba's ``cache=True`` finds the compiled
machine code of an earlier process: the file, and so its stamp, never changes once written. When no
compiled code is cached yet, it says on stderr that it is compiling (the first call then takes a few
seconds); a warm cache loads in milliseconds.

``TINYGRAD_VN_STEP_CACHE`` names another folder for the sources (Numba then keeps their compiled
code in its ``__pycache__``, or under ``NUMBA_CACHE_DIR`` when that is set).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

_LOADED: dict[str, Callable[..., Any]] = {}


def source_folder() -> Path:
    """Where whole-step sources are written: ``TINYGRAD_VN_STEP_CACHE``, else ``whole_step`` beside the
    package's cached kernels.

    >>> source_folder().name in ("whole_step", os.environ.get("TINYGRAD_VN_STEP_CACHE", "whole_step"))
    True
    """
    chosen = os.environ.get("TINYGRAD_VN_STEP_CACHE")
    if chosen:
        return Path(chosen)
    from .precompile import cache_dir

    return cache_dir() / "whole_step"


def _cached(kernel: Any) -> bool:
    """Whether Numba holds compiled code of ``kernel`` on disk (one source has one signature: its dtype is in it)."""
    cache = getattr(kernel, "_cache", None)
    cache_file = getattr(cache, "_cache_file", None)
    if cache_file is None:
        return False
    return Path(cache_file._cache_path, cache_file._index_name).exists()


def load(source: str, name: str, title: str) -> Callable[..., Any]:
    """The function ``name`` defined by ``source``, written to (or found in) the source folder and imported.

    ``title`` says which step it is in the one line printed on stderr when it must be compiled.

    >>> kernel = load("def double(x):\\n    return 2 * x\\n", "double", "an example")
    >>> kernel(21)
    42
    """
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    known = _LOADED.get(digest)
    if known is not None:
        return known
    folder = source_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"step_{digest}.py"
    if not path.exists() or path.read_text() != source:
        partial = folder / f".step_{digest}.{os.getpid()}.tmp"
        partial.write_text(source)
        os.replace(partial, path)
    spec = importlib.util.spec_from_file_location(f"tinygrad_vn_whole_step_{digest}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Numba's cache imports the module by name when it loads the compiled code
    spec.loader.exec_module(module)
    kernel = getattr(module, name)
    if hasattr(kernel, "_cache") and not _cached(kernel):
        print(f"tinygrad_vn: compiling a whole-step kernel for {title} (a few seconds, once; cached in {folder})",
              file=sys.stderr)
    _LOADED[digest] = kernel
    return kernel
