"""``tinygrad-vn demo`` / ``python -m tinygrad_vn demo``: seed 000 beside the note, seed 004 learning."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_vn import cli, seeds


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinygrad_vn", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "error"})


def test_python_m_tinygrad_vn_demo_prints_the_seed_numbers() -> None:
    done = run_module("demo")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    rows = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0] in seeds.SEED000_PRINTED:
            rows[fields[0]] = (float(fields[1]), float(fields[2]), fields[3])
    assert set(rows) == set(seeds.SEED000_PRINTED)
    for name, (engine, note, agree) in rows.items():
        assert note == seeds.SEED000_PRINTED[name] and agree == "yes"
        assert abs(engine - note) <= 5e-4, name
    assert "0.86685" in out and "0.36685" in out
    losses = [float(v) for v in re.findall(r"epoch\s+\d+: loss (\d+\.\d+)", out)]
    assert len(losses) >= 3 and losses[-1] < losses[0]
    accuracy = float(re.search(r"training accuracy: ([\d.]+)%", out).group(1))
    assert accuracy >= 90


@pytest.mark.parametrize("epochs", ["1", "2", "20", "150"])
def test_demo_in_process_for_any_number_of_epochs(epochs: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--epochs", epochs]) == 0
    out = capsys.readouterr().out
    assert "Seed 000" in out and f"epoch {int(epochs):>5}: loss" in out


def test_demo_refuses_a_non_positive_number_of_epochs() -> None:
    done = run_module("demo", "--epochs", "0")
    assert done.returncode == 2 and "--epochs" in done.stderr


def test_help_and_unknown_commands() -> None:
    done = run_module("--help")
    assert done.returncode == 0 and "demo" in done.stdout
    assert run_module("no-such-command").returncode != 0
    assert run_module().returncode != 0


def test_console_script_is_installed() -> None:
    script = shutil.which("tinygrad-vn", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the console script is not installed next to this interpreter")
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "demo" in done.stdout
