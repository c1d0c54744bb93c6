"""``tinygrad-vn graph`` and ``tinygrad-vn explain``."""

from __future__ import annotations

import shutil

import pytest
from dotparse import parse_dot

from tinygrad_vn.cli import main


def test_graph_writes_forward_and_backward_dot_files(tmp_path, capsys):
    assert main(["graph", "--example", "seed000", "--format", "dot", "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out.split()
    assert written == [str(tmp_path / "seed000_forward.dot"), str(tmp_path / "seed000_backward.dot")]
    forward = parse_dot((tmp_path / "seed000_forward.dot").read_text(encoding="utf-8"))
    backward = parse_dot((tmp_path / "seed000_backward.dot").read_text(encoding="utf-8"))
    assert forward.find("0.weight (W(1))") and forward.find("ŷ")
    assert backward.find("dW(1) (0.weight)") in backward.reachable(backward.find("dL"))


def test_graph_of_an_mlp_given_by_its_layers_collapsed(tmp_path):
    assert main(["graph", "--example", "mlp", "--layers", "6,5,4,3", "--format", "dot", "--collapse",
                 "--out", str(tmp_path)]) == 0
    forward = parse_dot((tmp_path / "mlp_forward.dot").read_text(encoding="utf-8"))
    boxes = sorted(forward.label(n).split("\n")[0] for n, a in forward.nodes.items() if a.get("shape") == "box3d")
    assert boxes == ["0: Linear", "1: ReLU", "2: Linear", "3: ReLU", "4: Linear"]
    assert "0.weight 6×5" in forward.label(forward.find("0: Linear"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")
def test_graph_renders_png(tmp_path):
    assert main(["graph", "--format", "png", "--out", str(tmp_path)]) == 0
    for mode in ("forward", "backward"):
        assert (tmp_path / f"seed000_{mode}.png").read_bytes().startswith(b"\x89PNG")


def test_graph_without_dot_exits_1_with_install_advice(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["graph", "--format", "svg", "--out", str(tmp_path)]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("lang", "heading"), [("en", "Backpropagation of L"), ("vi", "Lan truyền ngược")])
def test_explain_prints_the_equations_and_chains(capsys, lang, heading):
    assert main(["explain", "--example", "seed000", "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert out.startswith(heading)
    assert "∂L/∂w11(1) = ∂L/∂ŷ · ∂ŷ/∂z(2) · ∂z(2)/∂a1(1) · ∂a1(1)/∂z1(1) · ∂z1(1)/∂w11(1)" in out
    assert "= 0.367 · 1 · 0.246 · 0.5 = 0.0451" in out


def test_explain_an_mlp(capsys):
    assert main(["explain", "--example", "mlp", "--layers", "3,2,2"]) == 0
    out = capsys.readouterr().out
    assert "softmax and cross-entropy collapse to o − y" in out
    assert "dW(1) = xᵀ · d(x·W(1))    → 3×2 [[" in out
