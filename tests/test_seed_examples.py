"""The per-seed example scripts run and print what the course notes print by hand."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str) -> str:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_seed000_prints_the_notes_numbers() -> None:
    out = run_example("seed000_by_hand.py")
    for expected in ("0.250", "0.562", "0.622", "1.873", "0.867", "0.3669", "0.2062", "0.2284", "0.0903",
                     "0.0431", "0.0451", "0.0216", "0.49549", "0.99784", "-0.00903", "0.97938", "0.96331"):
        assert expected in out, expected


def test_seed001_engine_gradient_is_o_minus_y() -> None:
    out = run_example("seed001_softmax_gradient.py")
    assert "equal: True" in out
    assert "dL/dw_ok = (o_k - y_k)·a2: True" in out


def test_seed003_table_and_symmetry() -> None:
    out = run_example("seed003_activations_and_init.py")
    rows = {fields[0]: fields[1:] for fields in map(str.split, out.splitlines()[1:4])}
    assert rows["0"] == ["0.5000", "0.2500", "0.0000", "1.0000", "0", "0.01"]
    assert rows["10"] == ["1.0000", "0.0000", "1.0000", "0.0000", "1", "1"]
    assert rows["-10"] == ["0.0000", "0.0000", "-1.0000", "0.0000", "0", "0.01"]
    assert "W = 0 init:" in out and "units identical: True" in out.split("W = 0 init:")[1].splitlines()[0]
    assert "units identical: False" in out.split("W = randn·0.01 init:")[1].splitlines()[0]


@pytest.mark.parametrize("name", ["seed004_matrix_backprop.py"])
def test_seed004_engine_matches_matrix_formulas(name: str) -> None:
    out = run_example(name)
    checks = [line for line in out.splitlines() if line.strip().startswith(("W(", "b(")) and line.split()[-1] in
              ("True", "False")]
    assert len(checks) == 6 and all(line.endswith("True") for line in checks)
    assert "W(1)  2 x 3" in out and "Z(2)  8 x 4" in out and "W(3)  4 x 1" in out
