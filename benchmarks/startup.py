"""Start-up costs, each measured in fresh Python processes.

- import: wall time of ``python -c "import X"`` minus that of ``python -c "pass"``.
- first compiled step: from process start to the end of the first replayed call of a ``tg.compile``d
  784-128-10 batch-64 training step (import, model, the recording call, the generated kernels compiled or
  loaded, one replay), with a cold cache (``NUMBA_CACHE_DIR`` and ``XDG_CACHE_HOME`` pointing at an empty
  folder, so neither Numba's kernels nor any generated source are cached) and a warm one (the same folder,
  after a first process filled it). Issue 14's targets: warm within 1 s, cold within 6 s.
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
x = np.random.default_rng(0).random((64, 784), dtype=np.float32)
y = np.random.default_rng(1).integers(0, 10, 64)

@tg.compile
def step(x, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss

step(x, y)  # records
step(x, y)  # the first replay
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


def _first_step(env: dict[str, str]) -> tuple[float, str]:
    """Seconds to the end of the first replayed step, and what the process wrote on stderr."""
    out = subprocess.run([sys.executable, "-c", FIRST_STEP], check=True, env=env, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]), out.stderr


def first_step(settings: Settings) -> list[Row]:
    """First compiled training step of a fresh process, cold and warm cache (tinygrad_vn only)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="tinygrad_vn-bench-cache-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "XDG_CACHE_HOME": cache}
        cold, cold_stderr = _first_step(env)
        warm = sorted(_first_step(env)[0] for _ in range(1 if settings.quick else 3))
        said = "said on stderr that it was compiling" if "compil" in cold_stderr.lower() else \
            "said nothing on stderr about compiling"
        for state, value, limit, note in (("cold", cold, 6.0, said), ("warm", warm[len(warm) // 2], 1.0, "")):
            row = Row("start-up", f"first compiled step, {state} cache (s from process start)", 1,
                      {"tinygrad_vn": value, "numpy": None, "torch": None}, note=note)
            row.targets = [{"limit_s": limit, "met": value <= limit}]
            rows.append(row)
    return rows
