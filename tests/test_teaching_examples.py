"""Issue 13's remaining pieces: the seed 001 and seed 004 examples in every teaching command, softmax +
cross-entropy collapsing to ``o − y`` in the per-parameter chains, and the commands' help in one language."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import Tensor, phrases
from tinygrad_vn import functional as F
from tinygrad_vn.cli import main
from tinygrad_vn.cli.arguments import help_language
from tinygrad_vn.cli.examples import SEED001_PARAMETERS, SEED001_X, SEED001_Y, build_example, seed004_batch

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")
TEACHING_COMMANDS = ("explain", "graph", "animate", "exercise", "check")


def chain_values(text: str) -> dict[str, float]:
    """Each chain's left side (``∂L/∂w11(3)``) and the number it ends on."""
    values = {}
    for block in re.split(r"\n(?=∂)", text.split("Chain rule", 1)[1])[1:]:
        left, _, rest = block.partition(" = ")
        values[left.strip()] = float(rest.strip().rsplit("= ", 1)[-1].split()[0]) if "= " in rest else \
            float(rest.split()[0])
    return values


# ---------------------------------------------------------------------- the examples in every command


@pytest.mark.parametrize("name", ["seed001", "seed004"])
def test_explain_and_graph_run_for_the_example(name, tmp_path, capsys):
    assert main(["explain", "--example", name]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Backpropagation of L") and "Chain rule for each parameter element" in text
    assert main(["graph", "--example", name, "--format", "dot", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / f"{name}_{mode}.dot") for mode in ("forward", "backward")]
    assert "digraph" in (tmp_path / f"{name}_backward.dot").read_text(encoding="utf-8")


@needs_dot
@pytest.mark.parametrize("name", ["seed001", "seed004"])
def test_animate_exercise_and_check_run_for_the_example(name, tmp_path, capsys):
    assert main(["animate", "--example", name, "--out", str(tmp_path)]) == 0
    assert "<svg" in (tmp_path / f"{name}_backprop.html").read_text(encoding="utf-8")
    capsys.readouterr()
    sheet = tmp_path / "sheet"
    assert main(["exercise", "--example", name, "--out", str(sheet)]) == 0
    key = json.loads((sheet / "answer_key.json").read_text(encoding="utf-8"))
    assert key["example"] == name and key["blanks"]
    answers = tmp_path / "answers.txt"
    right = {n: entry["value"] for n, entry in key["blanks"].items()}
    answers.write_text("".join(f"{n} = {json.dumps(v)}\n" for n, v in right.items()), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "--example", name, "--answers", str(answers)]) == 0
    first = next(iter(right))
    answers.write_text("".join(f"{n} = {json.dumps(v) if n != first else '12345'}\n" for n, v in right.items()),
                       encoding="utf-8")
    assert main(["check", "--example", name, "--answers", str(answers)]) == 1


def test_seed001_chains_equal_the_notes_formulas():
    """The note derives ∂L/∂w_ok,l = (o_k − y_k)·a2_l, ∂L/∂w_h2 = Σ_k (o_k − y_k) w_ok · a2 (1 − a2) · a1, and
    for hidden 1 the same times the ReLU's 1 (z_h1 > 0) or 0; here with the example's own numbers."""
    example = build_example("seed001")
    values = chain_values(tg.explain(example.loss, example.model, precision=6))
    w1, b1, w2, b2, w3, b3 = (np.array(SEED001_PARAMETERS[k]) for k in
                              ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"))
    x, y = np.array(SEED001_X), np.array(SEED001_Y)
    z_h1 = x @ w1 + b1
    a1 = np.maximum(z_h1, 0)
    a2 = 1 / (1 + np.exp(-(a1 @ w2 + b2)))
    o = np.exp(a2 @ w3 + b3) / np.exp(a2 @ w3 + b3).sum()
    delta_out = o - y                                   # ∂L/∂z_k = o_k − y_k
    delta_h2 = (delta_out @ w3.T) * a2 * (1 - a2)       # Σ (o_k − y_k) w_ok,l · a2 (1 − a2)
    delta_h1 = (delta_h2 @ w2.T) * (z_h1 > 0)           # the ReLU: 1 where z_h1 > 0, else 0
    assert (z_h1 <= 0).any() and (z_h1 > 0).any()       # both of the note's cases occur
    expected = {}
    for layer, (inputs, delta) in enumerate([(x, delta_h1), (a1, delta_h2), (a2, delta_out)], 1):
        for i in range(inputs.shape[1]):
            for j in range(delta.shape[1]):
                expected[f"∂L/∂w{i + 1}{j + 1}({layer})"] = inputs[0, i] * delta[0, j]
        for j in range(delta.shape[1]):
            expected[f"∂L/∂b{j + 1}({layer})"] = delta[0, j]
    assert set(values) == set(expected)
    for left, value in expected.items():
        assert values[left] == pytest.approx(value, rel=1e-5, abs=1e-9), left


def test_seed004_chains_equal_the_notes_matrix_backprop():
    """Note 004: δ(3) = A(3) − Y, δ(2) = (δ(3) W(3)ᵀ) ⊙ σ'(Z(2)), δ(1) = (δ(2) W(2)ᵀ) ⊙ σ'(Z(1)), and the
    updates dW(l) = A(l−1)ᵀ δ(l), db(l) = Σ δ(l) with no 1/n: binary cross-entropy summed over the batch."""
    example = build_example("seed004")
    text = tg.explain(example.loss, example.model, precision=6)
    assert "Parameters: W(1) = 0.weight (2×3), b(1) = 0.bias (3), W(2) = 2.weight (3×4)" in text
    assert "dZ(3) = (ŷ − y) ⊙ dℓ" in text and "    (ŷ1 − y1) · ∂z1(3)/∂b1(3) = " in text
    state = example.model.state_dict()
    w = [np.asarray(state[f"{n}.weight"]) for n in (0, 2, 4)]
    b = [np.asarray(state[f"{n}.bias"]) for n in (0, 2, 4)]
    x, y = seed004_batch()
    activations = [x]
    for weight, bias in zip(w, b):
        activations.append(1 / (1 + np.exp(-(activations[-1] @ weight + bias))))
    deltas = [activations[3] - y]
    for layer in (2, 1):
        a = activations[layer]
        deltas.insert(0, (deltas[0] @ w[layer].T) * a * (1 - a))
    values = chain_values(text)
    for layer in range(3):
        gradient_w, gradient_b = activations[layer].T @ deltas[layer], deltas[layer].sum(axis=0)
        for (i, j), value in np.ndenumerate(gradient_w):
            assert values[f"∂L/∂w{i + 1}{j + 1}({layer + 1})"] == pytest.approx(value, rel=1e-5, abs=1e-9)
        for j, value in enumerate(gradient_b):
            assert values[f"∂L/∂b{j + 1}({layer + 1})"] == pytest.approx(value, rel=1e-5, abs=1e-9)


# ---------------------------------------------------------------------- o − y in the chains


def seed001_by_hand():
    """The seed 001 example written with @, + and the methods, fresh leaves, no names, no model."""
    leaves = [Tensor(np.array(SEED001_PARAMETERS[k]), requires_grad=True)
              for k in ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")]
    w1, b1, w2, b2, w3, b3 = leaves
    z = ((Tensor(np.array(SEED001_X)) @ w1 + b1).relu() @ w2 + b2).sigmoid() @ w3 + b3
    return z, leaves


def test_hand_written_seed001_chain_reads_o_minus_y_and_equals_grad():
    z, leaves = seed001_by_hand()
    o = z.softmax()
    loss = -(Tensor(np.array(SEED001_Y)) * o.log()).sum()
    text = tg.explain(loss)
    block = text.split("\n∂L/∂w12(3) = ", 1)[1].split("\n∂", 1)[0]
    rows = [row.strip().removeprefix("= ") for row in block.splitlines()]
    assert rows[0] == "∂L/∂z2(3) · ∂z2(3)/∂w12(3)"      # one factor for the softmax and the log, not a sum
    assert rows[1] == "(o2 − y2) · a1(2)"
    o_2, a1_2 = o.data[0, 1], 1 / (1 + np.exp(-(np.maximum(np.array(SEED001_X) @ leaves[0].data + leaves[1].data, 0)
                                                 @ leaves[2].data + leaves[3].data)))[0, 0]
    assert rows[2] == f"({tg.dag.format_number(o_2)} − 0) · {tg.dag.format_number(a1_2)}"
    loss.backward()
    assert float(rows[-1].rsplit("= ", 1)[1]) == pytest.approx(leaves[4].grad.data[0, 1], rel=2e-3)
    hidden = text.split("\n∂L/∂b1(2) = ", 1)[1].split("\n∂", 1)[0]
    assert "sum over 3 paths" in hidden and "(o1 − y1) · ∂z1(3)/∂a1(2)" in hidden


@pytest.mark.parametrize("form", ["fused", "log_softmax", "probabilities"])
def test_the_fused_and_library_cross_entropies_read_o_minus_y_too(form):
    z, leaves = seed001_by_hand()
    y = np.array(SEED001_Y)
    if form == "fused":
        loss = F.cross_entropy(z, np.array([2]))
    elif form == "log_softmax":
        loss = F.nll_loss(z.log_softmax(), np.array([2]))
    else:
        loss = F.cross_entropy(z, y)
    text = tg.explain(loss)
    block = text.split("\n∂L/∂w13(3) = ", 1)[1].split("\n∂", 1)[0]
    assert "(o3 − y3) · a1(2)" in block
    loss.backward()
    assert float(block.rsplit("= ", 1)[1]) == pytest.approx(leaves[4].grad.data[0, 2], rel=2e-3)


def test_no_collapse_where_the_targets_do_not_sum_to_one():
    z, leaves = seed001_by_hand()
    loss = -(Tensor(np.array([[0.0, 0.5, 1.0]])) * z.softmax().log()).sum()
    text = tg.explain(loss)
    assert "(o" not in text.split("Chain rule", 1)[1]
    loss.backward()
    assert chain_values(text)["∂L/∂w13(3)"] == pytest.approx(leaves[4].grad.data[0, 2], rel=2e-3)


def test_label_smoothing_is_not_written_as_o_minus_y():
    z, _ = seed001_by_hand()
    text = tg.explain(F.cross_entropy(z, np.array([2]), label_smoothing=0.1))
    assert "(o3 − y3)" not in text


# ---------------------------------------------------------------------- the help, in one language

COMMON_ENGLISH = {"the", "of", "and", "to", "a", "an", "in", "on", "for", "with", "is", "are", "or", "by", "from",
                  "as", "at", "its", "it", "each", "this", "that", "be", "when", "into", "over", "per", "not",
                  "default", "show", "help", "exit", "write", "writes", "draw", "print", "folder", "file",
                  "network", "example", "layer", "sizes", "language", "format", "text", "every", "one", "all"}


def english_runs(text: str) -> list[str]:
    """Runs of three or more common English words in a row."""
    words = re.findall(r"[A-Za-z]+", text)
    runs, current = [], []
    for word in [*words, ""]:
        if word.lower() in COMMON_ENGLISH:
            current.append(word)
            continue
        if len(current) >= 3:
            runs.append(" ".join(current))
        current = []
    return runs


def help_of(command: str, argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        main([command, *argv])
    assert stop.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", TEACHING_COMMANDS)
def test_vietnamese_help_leaves_no_english(command, capsys, monkeypatch):
    monkeypatch.delenv("TINYGRAD_VN_LANG", raising=False)
    out = help_of(command, ["--lang", "vi", "--help"], capsys)
    assert out.startswith(f"cách dùng: tinygrad-vn {command}")
    assert phrases.phrase("commands.options", "vi") + ":" in out and phrases.phrase("commands.help", "vi") in out
    assert phrases.phrase("commands.layers", "vi", default="784,128,10").split(",")[0] in " ".join(out.split())
    assert phrases.english_left_in(out, "vi") == []
    assert english_runs(out) == []
    assert help_of(command, ["--help", "--lang=vi"], capsys) == out       # the order does not matter
    monkeypatch.setenv("TINYGRAD_VN_LANG", "vi")
    assert help_of(command, ["--help"], capsys) == out                    # nor how the language is chosen


@pytest.mark.parametrize("command", TEACHING_COMMANDS)
def test_english_help_by_default_and_from_the_same_table(command, capsys, monkeypatch):
    monkeypatch.delenv("TINYGRAD_VN_LANG", raising=False)
    out = help_of(command, ["--help"], capsys)
    assert out.startswith(f"usage: tinygrad-vn {command}") and "options:" in out
    assert phrases.phrase("commands.help", "en") in out
    assert " ".join(phrases.phrase("commands.example", "en", default="seed000").split()[:6]) in " ".join(out.split())
    monkeypatch.setenv("TINYGRAD_VN_LANG", "vi")
    assert help_of(command, ["--lang", "en", "--help"], capsys) == out   # --lang wins over the variable


def test_the_checker_finds_a_run_of_english_words():
    assert english_runs("show this help and exit") == ["show this help and exit"]
    assert english_runs("hiện phần trợ giúp này rồi thoát") == []


def test_help_language_reads_the_command_line_then_the_variable(monkeypatch):
    monkeypatch.setenv("TINYGRAD_VN_LANG", "vi")
    assert help_language(["explain"]) == "vi"
    assert help_language(["explain", "--lang", "en"]) == "en"
    assert help_language(["explain", "--", "--lang", "en"]) == "vi"
    monkeypatch.setenv("TINYGRAD_VN_LANG", "klingon")
    assert help_language(["explain"]) == "en"
