"""Start-up costs, each measured in fresh Python processes.

- import: wall time of ``python -c "import X"`` minus that of ``python -c "pass"``.
- first step: from process start to the end of the first 784-128-10 batch-64 training step
  (import, model, kernels compiled or loaded, one step) with a cold kernel cache (an empty
  ``NUMBA_CACHE_DIR``) and a warm one (the same directory, after a first process filled it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from .cases import Settings
from .timing import Row

FIRST_STEP = """
import time
start = time.perf_counter()
import numpy as np
import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim
model = nn.mlp([784, 128, 10], "relu")
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x = tg.Tensor(np.random.default_rng(0).random((64, 784), dtype=np.float32))
y = np.random.default_rng(1).integers(0, 10, 64)
opt.zero_grad()
F.cross_entropy(model(x), y).backward()
opt.step()
print(time.perf_counter() - start)
"""


def _wall(code: str, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def _median_wall(code: str, repeats: int) -> float:
    return sorted(_wall(code) for _ in range(repeats))[repeats // 2]


def import_time(settings: Settings, torch_available: bool) -> Row:
    """Seconds that importing each library adds to a bare interpreter's start."""
    repeats = 3 if settings.quick else 7
    bare = _median_wall("pass", repeats)
    seconds = {
        "tinygrad_vn": _median_wall("import tinygrad_vn", repeats) - bare,
        "numpy": _median_wall("import numpy", repeats) - bare,
        "torch": _median_wall("import torch", repeats) - bare if torch_available else None,
    }
    row = Row("start-up", "import (seconds above bare python)", 1, seconds,
              note=f"bare python start: {bare:.3f} s; targets are absolute, see 'limit_s'")
    row.targets = [{"limit_s": 0.3, "met": seconds["tinygrad_vn"] <= 0.3}]
    return row


def _first_step(env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", FIRST_STEP], check=True, env=env, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def first_step(settings: Settings) -> list[Row]:
    """First training step of a fresh process, cold and warm kernel cache (tinygrad_vn only)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="tinygrad_vn-bench-cache-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = _first_step(env)
        warm = sorted(_first_step(env) for _ in range(1 if settings.quick else 3))
        for state, value, limit in (("cold", cold, None), ("warm", warm[len(warm) // 2], 1.0)):
            row = Row("start-up", f"first training step, {state} kernel cache (s from process start)", 1,
                      {"tinygrad_vn": value, "numpy": None, "torch": None})
            if limit is not None:
                row.targets = [{"limit_s": limit, "met": value <= limit}]
            rows.append(row)
    return rows
