"""Compile every Numba kernel ahead of time, so that no training step waits for the JIT.

With ``cache=True`` each compiled kernel is written to Numba's on-disk cache: next to the package
(``kernels/__pycache__``) when that folder is writable, else in a per-user cache folder that Numba
picks itself, or wherever ``NUMBA_CACHE_DIR`` points (CI, read-only installs). A later process then
loads kernels instead of compiling them (about 0.45 s for the first, milliseconds for the others).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DTYPES = (np.float32, np.float64)


def cache_dir() -> Path:
    """The folder that holds (or will hold) the compiled kernels of this process."""
    from . import _loops

    return Path(_loops.sigmoid._cache.cache_path)


_ANNOUNCED: list[bool] = []


def announce_if_cold(stream: Any = None) -> bool:
    """Say once per process, on stderr, that the kernels are being compiled, when Numba's cache holds none.

    ``tg.compile`` calls this when it records a step, so that a cold first step (a few seconds) says why
    it waits; with a warm cache, with the JIT off or on the NumPy backend it says nothing. Returns
    whether it printed.

    >>> import io
    >>> _ = announce_if_cold(stream=io.StringIO())
    >>> announce_if_cold(stream=io.StringIO())  # once per process at most
    False
    """
    if _ANNOUNCED or os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"):
        return False
    _ANNOUNCED.append(True)
    from . import _loops

    prefix = f"{_loops.__name__.rsplit('.', 1)[-1]}."
    if any(cache_dir().glob(f"{prefix}*.nbi")):
        return False
    print(f"tinygrad_vn: compiling Numba kernels (a few seconds, once; cached in {cache_dir()}; "
          f"'tinygrad-vn warmup' does it ahead of time)", file=stream or sys.stderr)
    return True


def clear_cache() -> int:
    """Delete this package's cached kernels (needed after editing ``_fastmath.py``, which Numba's
    cache does not watch); returns how many files went."""
    from . import _loops

    prefix = f"{_loops.__name__.rsplit('.', 1)[-1]}."
    files = [f for f in cache_dir().glob(f"{prefix}*") if f.suffix in (".nbi", ".nbc")]
    for f in files:
        f.unlink()
    return len(files)


def precompile(dtypes: tuple[type, ...] = DTYPES) -> dict[str, float]:
    """Run every kernel once on tiny arrays of each dtype; returns seconds taken per dtype."""
    from . import jit

    timings = {}
    for dtype in dtypes:
        start = time.perf_counter()
        x = np.linspace(-2, 2, 6, dtype=dtype).reshape(2, 3)
        g = np.ones_like(x)
        target = np.array([0, 2])
        for name in ("sigmoid", "tanh", "relu", "swish"):
            getattr(jit, name)(x)
        for name in ("sigmoid_backward", "tanh_backward", "relu_backward", "swish_backward"):
            getattr(jit, name)(x, g)
        jit.leaky_relu(x, 0.01)
        jit.leaky_relu_backward(x, g, 0.01)
        jit.elu(x, 1.0)
        jit.elu_backward(x, x, g, 1.0)
        for name in ("softmax", "log_softmax"):
            getattr(jit, name)(x, -1)
            getattr(jit, f"{name}_backward")(x, g, -1)
        _, probs = jit.cross_entropy(x, target)
        jit.cross_entropy_backward(probs, target, np.ones(2, dtype))
        prob = np.full_like(x, 0.25)
        jit.binary_cross_entropy(prob, g)
        jit.binary_cross_entropy_backward(prob, g, g)
        for rows in (x.shape[0], 64):  # a small layer (one loop) and a large one (BLAS and epilogues)
            a = np.ones((rows, 3), dtype)
            w, b = np.ones((3, 3 if rows < 64 else 64), dtype), np.ones(3 if rows < 64 else 64, dtype)
            for activation in jit.FUSABLE_ACTIVATIONS:
                y = jit.linear_activation(a, w, b, activation)
                jit.linear_activation_backward(a, w, y, np.ones_like(y), activation)
        state = np.zeros_like(x)
        jit.sgd_momentum_step(x.copy(), g, state, 0.1, 0.9)
        jit.adam_step(x.copy(), g, state, np.zeros_like(x), 1e-3, 0.9, 0.999, 1e-8, 1)
        timings[np.dtype(dtype).name] = time.perf_counter() - start
    return timings
