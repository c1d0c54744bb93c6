"""The benchmark harness runs and writes a valid report (no timing is asserted anywhere)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tinygrad_vn.benchmarks import report
from tinygrad_vn.benchmarks.timing import Row

from tinygrad_vn.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]


def _check_report(folder: Path, groups: set[str]) -> dict:
    report = json.loads((folder / "bench.json").read_text())
    manifest = report["manifest"]
    for key in ("versions", "cpu", "threads_measured", "blas", "kernel_cache", "load_average_start", "backend"):
        assert key in manifest
    assert {row["group"] for row in report["rows"]} == groups
    for row in report["rows"]:
        ours = row["seconds"]["tinygrad_vn"]
        assert ours is not None and ours > 0
        for name, ratio in row["ratios"].items():
            other = row["seconds"][name]
            assert (ratio is None) == (other is None)
            if ratio is not None:
                assert ratio == pytest.approx(other / ours)
        for target in row["targets"]:
            assert target["met"] in (True, False, None)
    return report


def test_quick_run_through_python_m_benchmarks_writes_json(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only", "softmax-ce,overhead",
                          "--no-torch", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "| group | case |" in out.stdout
    report = _check_report(tmp_path, {"softmax-CE fwd+bwd", "per-op overhead"})
    assert all(row["seconds"]["torch"] is None for row in report["rows"])


def test_quick_run_through_cli_covers_training_and_startup(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli_main(["bench", "--quick", "--only", "training,startup", "--threads", "1",
                     "--out", str(tmp_path)]) == 0
    report = _check_report(tmp_path, {"training step", "training step, tg.compile", "start-up"})
    cases = [row["case"] for row in report["rows"]]
    assert "1-2-1 batch 1" in cases and any("warm kernel cache" in case for case in cases)
    assert "results written to" in capsys.readouterr().out


def test_unknown_group_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="unknown group"):
        cli_main(["bench", "--only", "nonsense", "--out", str(tmp_path)])


def test_chart_labels_tell_compiled_rows_from_eager_ones() -> None:
    seconds = {"tinygrad_vn": 1.0, "numpy": 2.0, "torch": 3.0}
    eager = Row("training step", "784-10-10 batch 64", 1, dict(seconds))
    compiled = Row("training step, tg.compile", "784-10-10 batch 64", 2, dict(seconds))
    assert report._chart_label(eager) == "784-10-10 batch 64 [1t]"
    assert report._chart_label(compiled) == "784-10-10 batch 64 (tg.compile) [2t]"
