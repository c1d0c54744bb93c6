"""The README's example runs as written, and its quick start is what CI runs."""

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_example_runs_and_learns() -> None:
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["loss"].item() < 0.5
    assert namespace["model"][0].weight.grad.shape == (2, 3)


def test_readme_seeing_backprop_runs(tmp_path, monkeypatch, capsys) -> None:
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot program is not installed")
    code = re.search(r"## Seeing backprop.*?```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert "= 0.0451" in capsys.readouterr().out
    assert (tmp_path / "seed000.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_ci_runs_the_readme_test_command() -> None:
    quick_start = re.search(r"## Quick start.*?```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(quick_start) == 2
    test_command = quick_start[1].split("#")[0].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
