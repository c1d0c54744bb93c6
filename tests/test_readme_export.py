"""The README's "Outgrowing tinygrad_vn" examples run as written: serving with ONNX Runtime, training on in PyTorch."""

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SECTION = re.search(r"## Outgrowing tinygrad_vn\n(.*?)\n## ", README, re.S).group(1)
SERVING, TORCH = re.findall(r"```python\n(.*?)```", SECTION, re.S)


def test_the_serving_example_matches_onnx_runtime(tmp_path, monkeypatch, capsys):
    pytest.importorskip("onnx", reason="the onnx package is not installed (pip install 'tinygrad-vn[onnx]')")
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'tinygrad-vn[onnx]')")
    monkeypatch.chdir(tmp_path)
    exec(compile(SERVING, "README.md", "exec"), {})
    assert capsys.readouterr().out.split() == ["True"]
    assert (tmp_path / "model.onnx").stat().st_size > 0


def test_the_distributed_data_parallel_example_trains_and_comes_back(tmp_path, monkeypatch, capsys):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        pytest.skip("this PyTorch build has no gloo backend for torch.distributed")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(TORCH, "README.md", "exec"), namespace)
    assert capsys.readouterr().out.split() == ["True", "(4,", "16)"]
    assert namespace["loss"].item() < 0.3
