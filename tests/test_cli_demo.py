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


def test_python_m_tinygrad_vn_demo_prints_the_seed_numbers(tmp_path: Path) -> None:
    done = run_module("demo", "--out", str(tmp_path))
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
    assert "∂L/∂w11(1) = ∂L/∂ŷ · ∂ŷ/∂z(2) · ∂z(2)/∂a1(1) · ∂a1(1)/∂z1(1) · ∂z1(1)/∂w11(1)" in out
    assert "= 0.0451" in out and "dZ(2) = (ŷ − y)" in out


def test_demo_draws_both_seed000_graphs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--epochs", "1", "--out", str(tmp_path), "--format", "svg"]) == 0
    out = capsys.readouterr().out
    pictures = sorted(p.name for p in tmp_path.iterdir())
    if shutil.which("dot") is None:
        assert pictures == ["seed000_backward.dot", "seed000_forward.dot"] and "DOT text only" in out
    else:
        assert pictures == ["seed000_backward.svg", "seed000_forward.svg"]
        assert all((tmp_path / name).read_text().lstrip().startswith(("<?xml", "<svg")) for name in pictures)
    for name in pictures:
        assert str(tmp_path / name) in out


def test_demo_explains_in_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--epochs", "1", "--out", str(tmp_path), "--lang", "vi"]) == 0
    assert "Lan truyền ngược" in capsys.readouterr().out


@pytest.mark.parametrize("epochs", ["1", "2", "20", "150"])
def test_demo_in_process_for_any_number_of_epochs(epochs: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--epochs", epochs, "--out", str(tmp_path)]) == 0
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
