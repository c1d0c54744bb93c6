"""``tinygrad-vn train --detect-anomaly``: a diverging run stops at the first op that makes NaN or Inf."""

from __future__ import annotations

import re
import subprocess
import sys


def test_a_diverging_run_with_detect_anomaly_stops_with_one_error_line_naming_the_op(synthetic_data, tmp_path):
    done = subprocess.run([sys.executable, "-m", "tinygrad_vn", "train", "--layers", "784,24,10", "--optimizer",
                           "sgd", "--lr", "1e20", "--epochs", "3", "--no-progress", "--data", str(synthetic_data),
                           "--out", str(tmp_path / "run"), "--detect-anomaly"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "RuntimeWarning" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("tinygrad-vn train: error: ")]
    assert len(errors) == 1, done.stderr
    line = errors[0]
    assert "anomaly: Linear produced" in line and "in the forward pass" in line, line
    assert re.search(r"applied at \S*tinygrad_vn[/\\]train\.py:\d+ in step: ", line), line  # the step's own line
    assert "lower the learning rate" in line, line
