"""``tinygrad-vn warmup`` compiles every kernel into the on-disk cache, wherever that is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from tinygrad_vn.kernels import precompile

from benchmarks import startup


def test_warmup_fills_the_cache_named_by_numba_cache_dir(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run([sys.executable, "-m", "tinygrad_vn", "warmup"], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert "float32: kernels ready" in out.stdout and "float64: kernels ready" in out.stdout
    indexes = list(tmp_path.rglob("*.nbi"))
    assert any("_loops.cross_entropy" in f.name for f in indexes)
    assert any("_loops.bias_activation" in f.name for f in indexes)
    assert str(tmp_path) in out.stdout


def test_precompile_runs_every_dtype_it_is_asked_for() -> None:
    assert set(precompile.precompile((np.float64,))) == {"float64"}


def test_a_cold_first_compiled_step_says_it_compiles_and_a_warm_one_does_not(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "TINYGRAD_VN_STEP_CACHE": str(tmp_path / "steps"),
           "TINYGRAD_VN_BACKEND": "numba"}
    env.pop("NUMBA_DISABLE_JIT", None)
    runs = [subprocess.run([sys.executable, "-c", startup.FIRST_STEP], env=env, capture_output=True, text=True,
                           timeout=600) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert "compiling Numba kernels" in runs[0].stderr and str(tmp_path / "numba") in runs[0].stderr
    assert "compiling" not in runs[1].stderr
