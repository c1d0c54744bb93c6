"""Installed, the reference kernels live under tinygrad_vn.kernels and there is no top-level ``kernels``."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import importlib.util, json
import tinygrad_vn, tinygrad_vn.kernels.reference as reference
spec = importlib.util.find_spec("kernels")
print(json.dumps({"kernels_spec": None if spec is None else str(spec.origin),
                  "reference": reference.__file__, "package": tinygrad_vn.__file__}))
"""


def test_installed_package_has_tinygrad_vn_kernels_and_no_top_level_kernels(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["reference"]).name == "reference.py"
    spec = found["kernels_spec"]
    assert spec is None or not Path(spec).resolve().is_relative_to(ROOT), f"a top-level 'kernels' is ours: {spec}"


def test_the_wheel_puts_kernels_under_tinygrad_vn(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip(f"cannot build a wheel offline here: {done.stderr[-300:]}")
    (wheel,) = tmp_path.glob("tinygrad_vn-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tinygrad_vn/kernels/reference.py" in names and "tinygrad_vn/kernels/__init__.py" in names
    assert not any(name.startswith("kernels/") for name in names)
    assert "tinygrad_vn/nn/module.py" in names and "tinygrad_vn/cli/demo.py" in names
    assert not any(name.startswith("tests/") for name in names)
