"""Worksheets that mark themselves: ``tg.exercise`` / ``tinygrad-vn exercise`` and ``tg.check_answers`` /
``tinygrad-vn check``."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import dag, nn, seeds
from tinygrad_vn.cli import build_parser, main
from tinygrad_vn.exercise import MAX_ELEMENTS, parse_answers, value_chain
from tinygrad_vn.explain import describe_step
from tinygrad_vn.phrases import english_left_in, phrase

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")


def key_lines(key, change=None):
    """The key's right values as ``k = value`` lines, with ``change`` (number → text) put in."""
    change = change or {}
    return "".join(f"{n} = {change.get(int(n), json.dumps(entry['value']))}\n" for n, entry in key["blanks"].items())


def blank_numbered(sheet, quantity, tensor):
    return next(b for b in sheet.blanks if b.quantity == quantity and b.tensor == tensor)


def step_using(sheet, tensor):
    """(1-based number, step) of the backward step that sends ``tensor`` its gradient (one consumer)."""
    return next((n, s) for n, s in enumerate(sheet.steps, 1) if any(p is tensor for p in s.op.ctx.parents))


def test_the_keys_answers_are_all_right_and_one_wrong_gradient_is_marked_with_its_step(tmp_path, capsys):
    sheet = tg.exercise("seed000", "both")
    answers = tmp_path / "answers.txt"
    answers.write_text(key_lines(sheet.key()), encoding="utf-8")
    assert main(["check", "--example", "seed000", "--blank", "both", "--answers", str(answers)]) == 0
    report = capsys.readouterr().out
    assert report.count(": right") == len(sheet.blanks) == 19
    assert phrase("worksheet.score", right=19, total=19, wrong=0, unanswered=0, unreadable=0) in report

    wrong = blank_numbered(sheet, "gradient", "W(2)")
    answers.write_text(key_lines(sheet.key(), {wrong.number: "[0.2, 0.3]"}), encoding="utf-8")
    assert main(["check", "--example", "seed000", "--blank", "both", "--answers", str(answers)]) == 1
    report = capsys.readouterr().out
    marking = tg.check_answers("seed000", answers, "both")
    assert [m.blank.number for m in marking.marks if m.status != "right"] == [wrong.number]
    assert f"{wrong.label} {phrase('worksheet.gradient_of', tensor='W(2)', loss='L')}: wrong" in report
    assert "the right value is [[0.206], [0.228]]" in report
    number, step = step_using(sheet, sheet.targets[wrong.number])
    for line in describe_step(sheet.graph, step, number):
        assert f"    {line}\n" in report
    assert "dW(2) = A(1)ᵀ · " in report
    assert report.count(": right") == 18


def test_one_wrong_value_shows_the_ops_formula_with_the_numbers():
    sheet = tg.exercise("seed000", "values")
    right = {int(n): b["value"] for n, b in sheet.key()["blanks"].items()}
    a1 = blank_numbered(sheet, "value", "A(1)")
    marking = tg.check_answers("seed000", {**right, a1.number: [0.56, 0.7]}, "values")
    assert [m.status for m in marking.marks].count("wrong") == 1 and marking.status(a1.number) == "wrong"
    chain = marking.marks[a1.number - 1].lines
    assert chain == tuple(value_chain(sheet.graph, sheet.graph.producer[id(sheet.targets[a1.number])]))
    assert chain == ("A(1) = σ(Z(1))", "with Z(1) = [[0.25, 0.5]]", "A(1) = σ([[0.25, 0.5]])",
                     "A(1) = [[0.562, 0.622]]")
    assert "you wrote [[0.56, 0.7]], the right value is [[0.562, 0.622]]" in str(marking)


def test_json_and_k_equals_value_answers_mark_alike(tmp_path):
    sheet = tg.exercise("seed000", seed=4)
    key = sheet.key()
    as_json = {f"[{n}]": entry["value"] for n, entry in key["blanks"].items()}
    del as_json["[2]"]
    as_json["2"] = 99.0
    (tmp_path / "a.json").write_text(json.dumps(as_json), encoding="utf-8")
    (tmp_path / "a.txt").write_text("# my answers\n" + key_lines(key, {2: "99"}), encoding="utf-8")
    marks = [[m.status for m in tg.check_answers("seed000", tmp_path / name, seed=4).marks]
             for name in ("a.json", "a.txt")]
    assert marks[0] == marks[1] == ["right", "wrong"] + ["right"] * (len(sheet.blanks) - 2)


def test_seeded_variants_differ_stay_hand_sized_and_check_against_their_own_seed(tmp_path):
    notes = tg.exercise("seed000")
    assert notes.key() == tg.exercise("seed000", seed=None).key()
    dw1 = blank_numbered(notes, "gradient", "W(1)")
    assert dw1.value.ravel() == pytest.approx([0.0451, 0.0216], abs=5e-5)
    assert dw1.value[0, 0] == pytest.approx(seeds.SEED000_PRINTED["∂L/∂w11(1)"], abs=5e-4)
    keys = {seed: tg.exercise("seed000", seed=seed).key() for seed in (1, 2, 5)}
    assert keys[5] == tg.exercise("seed000", seed=5).key()
    values = {seed: [b["value"] for b in key["blanks"].values()] for seed, key in keys.items()}
    assert values[1] != values[2] != values[5] != [b["value"] for b in notes.key()["blanks"].values()]
    for seed in (1, 2, 5):
        sheet = tg.exercise("seed000", seed=seed)
        for tensor in sheet.graph.tensors:
            if tensor._ctx is None:  # inputs, weights, targets: one decimal
                assert np.allclose(tensor.data * 10, np.round(tensor.data * 10)), sheet.graph.name(tensor)
    answers = tmp_path / "answers.txt"
    answers.write_text(key_lines(keys[5]), encoding="utf-8")
    assert main(["check", "--example", "seed000", "--seed", "5", "--answers", str(answers)]) == 0
    assert main(["check", "--example", "seed000", "--seed", "2", "--answers", str(answers)]) == 1
    assert not tg.check_answers("seed000", answers, seed=0).all_right


def test_a_seeded_variant_leaves_the_users_model_alone_and_avoids_relu_kinks():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3, dtype="float64"), nn.ReLU(), nn.Linear(3, 1, dtype="float64"))
    model.fuse = False
    before = {n: p.data.copy() for n, p in model.named_parameters()}
    x = tg.tensor([[0.5, -1.0], [1.5, 0.2]], dtype="float64", name="x")
    y = tg.tensor([[1.0], [0.0]], dtype="float64", name="y")
    loss = F.mse_loss(model(x), y)
    for seed in (1, 2, 27, 73, 74, 93):  # 27, 73, 74, 93 first draw a ReLU input of exactly 0
        sheet = tg.exercise(loss, "both", model=model, seed=seed)
        relu = next(op for op in sheet.graph.ops if op.name == "ReLU")
        assert np.all(relu.ctx.parents[0].data != 0)
        assert sheet.check_command().startswith("tg.check_answers(loss")
    assert all(np.array_equal(before[n], p.data) for n, p in model.named_parameters())
    right = {int(n): b["value"] for n, b in tg.exercise(loss, model=model, seed=3).key()["blanks"].items()}
    assert tg.check_answers(loss, right, model=model, seed=3).all_right


def test_a_tensor_used_twice_gets_both_steps_and_their_sum():
    w = tg.tensor([[0.5, -1.0]], dtype="float64", requires_grad=True, name="w")
    loss = ((w * w) + w).sum()
    sheet = tg.exercise(loss)
    dw = blank_numbered(sheet, "gradient", "w")
    assert dw.value.tolist() == [[2.0, -1.0]]
    chain = sheet.chain(dw.number)
    assert chain[-1] == phrase("worksheet.sum_of_steps", gradient="dw", count=2, total="[[2, -1]]")
    assert sum(line.startswith("this step starts from") for line in chain) == 2


def test_tolerance_is_relative_plus_absolute():
    sheet = tg.exercise("seed000")
    right = {int(n): b["value"] for n, b in sheet.key()["blanks"].items()}
    dz2 = blank_numbered(sheet, "gradient", "Z(2)")  # 0.36685
    near_zero = blank_numbered(sheet, "gradient", "W(1)")  # [0.0451, 0.0216]
    close = {**right, dz2.number: 0.3668 * 1.008, near_zero.number: [0.045, 0.022]}
    assert tg.check_answers("seed000", close).all_right
    off = {**right, dz2.number: 0.3668 * 1.03}
    assert tg.check_answers("seed000", off).status(dz2.number) == "wrong"
    assert tg.check_answers("seed000", off, tolerance=0.05).all_right
    assert tg.check_answers("seed000", close, tolerance=0, absolute=0).status(dz2.number) == "wrong"
    assert tg.check_answers("seed000", {**right, near_zero.number: [0.05, 0.022]}).status(near_zero.number) == "wrong"


def test_missing_unknown_and_unreadable_answers_are_marked_not_crashed(tmp_path, capsys):
    answers = tmp_path / "answers.txt"
    answers.write_text("1 = 1\n2 =\n3 = zero point three\n[4] = −0,367\n40 = 1\n5 = [1, true]\n", encoding="utf-8")
    assert main(["check", "--answers", str(answers)]) == 1
    report = capsys.readouterr().out
    marking = tg.check_answers("seed000", answers)
    assert [m.status for m in marking.marks[:6]] == ["right", "unanswered", "unreadable", "wrong", "unreadable",
                                                     "unanswered"]
    assert marking.ignored == [40]
    assert "the answer to [40] was left aside: this sheet has blanks [1] to [11]" in report
    assert "zero point three is not a number or a list of numbers" in report
    assert "you wrote -0.367, the right value is [[0.367]]" in report
    assert phrase("worksheet.score", right=1, total=11, wrong=1, unanswered=7, unreadable=2) in report


def test_answer_parsing_reads_decimal_commas_and_refuses_bad_lines():
    answers = parse_answers('1 = 0,25\n2 = [[0,5; 1]; [2; 3]]\n3 = [0.5, -1]\n4 = NaN\n')
    assert answers[1].numbers.tolist() == [0.25] and answers[2].numbers.tolist() == [0.5, 1, 2, 3]
    assert answers[3].numbers.tolist() == [0.5, -1] and answers[4].problem[0] == "worksheet.not_finite"
    with pytest.raises(ValueError, match="line 2: expected 'number = value'"):
        parse_answers("1 = 2\nthree\n")
    with pytest.raises(ValueError, match=r"blank \[1\] is answered twice"):
        parse_answers("1 = 2\n[1] = 3\n")
    with pytest.raises(ValueError, match="'x' is not a blank number"):
        parse_answers("x = 3\n")
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_answers('{"1": 0.5,}')


@pytest.mark.parametrize(("argv", "message"), [
    (["check", "--answers", "missing.txt"], "answers file missing.txt does not exist"),
    (["check", "--answers", "{answers}", "--key", "{answers}"], "is not a JSON answer key"),
    (["check", "--answers", "{bad}"], "line 1: expected 'number = value'"),
    (["exercise", "--example", "mlp", "--out", "{out}"], f"at most {MAX_ELEMENTS}"),
])
def test_bad_input_is_one_error_line(tmp_path, capsys, argv, message):
    (tmp_path / "answers.txt").write_text("1 = 1\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_text("one\n", encoding="utf-8")
    paths = {"answers": tmp_path / "answers.txt", "bad": tmp_path / "bad.txt", "out": tmp_path / "sheet"}
    assert main([a.format(**paths) for a in argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"tinygrad-vn {argv[0]}: error: ") and message in err[0]


@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_the_files_are_written(tmp_path, capsys, fmt):
    out = tmp_path / "sheet"
    assert main(["exercise", "--example", "seed000", "--blank", "both", "--seed", "7", "--format", fmt,
                 "--out", str(out)]) == 0
    assert capsys.readouterr().out.split() == [str(out / f"worksheet.{fmt}"), str(out / "worksheet.html"),
                                               str(out / "answer_key.json")]
    picture = (out / f"worksheet.{fmt}").read_bytes()
    if fmt == "svg":
        texts = {text.strip() for text in ET.fromstring(picture).itertext()}
        assert {f"[{n}]" for n in range(1, 20)} <= texts
    else:
        assert picture.startswith(b"%PDF" if fmt == "pdf" else b"\x89PNG")
    page = (out / "worksheet.html").read_text(encoding="utf-8")
    key = json.loads((out / "answer_key.json").read_text(encoding="utf-8"))
    assert key["example"] == "seed000" and key["seed"] == 7 and key["blank"] == "both" and len(key["blanks"]) == 19
    for n in key["blanks"]:
        assert f'<td class="number">[{n}]</td>' in page
    assert "@media print" in page and "<svg" in page and "http" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "").replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    sheet = tg.exercise("seed000", "both", seed=7)
    for tensor in sheet.graph.tensors:
        if tensor._ctx is None and tensor.name in ("x", "y"):
            assert f"<pre>{dag.format_array(tensor.data)}</pre>" in page
    assert "tinygrad-vn check --example seed000 --blank both --seed 7 --answers answers.txt" in page
    answers = tmp_path / "answers.txt"
    answers.write_text(key_lines(key, {3: "0"}), encoding="utf-8")
    assert main(["check", "--key", str(out / "answer_key.json"), "--answers", str(answers)]) == 1
    assert main(["check", "--key", str(out / "answer_key.json"), "--seed", "8", "--answers", str(answers)]) == 1
    assert "the answer key is for seed 7, not 8" in capsys.readouterr().err


@needs_dot
def test_vietnamese_sheets_and_marking_have_no_english(tmp_path):
    sheet = tg.exercise("mlp", "both", tmp_path, seed=2, lang="vi", layers="2,3,2")
    page = (tmp_path / "worksheet.html").read_text(encoding="utf-8")
    assert english_left_in(page, "vi") == []
    assert phrase("worksheet.title.both", "vi", example="mlp", variant=phrase("worksheet.variant", "vi", seed=2)) \
        in page
    everything_wrong = {b.number: 12345 for b in sheet.blanks}
    marking = tg.check_answers("mlp", everything_wrong, "both", seed=2, lang="vi", layers="2,3,2")
    assert all(m.status == "wrong" for m in marking.marks)
    assert english_left_in(str(marking), "vi") == []
    assert "sai (em ghi 12345" in str(marking) and "Cách tính ra giá trị đúng:" in str(marking)


def test_help_comes_from_the_phrase_table_in_the_chosen_language(monkeypatch):
    for lang in ("en", "vi"):
        monkeypatch.setenv("TINYGRAD_VN_LANG", lang)
        parser = build_parser()
        commands = parser._subparsers._group_actions[0].choices
        text = commands["exercise"].format_help() + commands["check"].format_help()
        for key in ("blank", "seed", "check_description", "tolerance"):
            assert " ".join(phrase(f"worksheet.help.{key}", lang).split()[:4]) in " ".join(text.split())


def test_refuses_big_graphs_and_bad_settings():
    with pytest.raises(ValueError, match=f"at most {MAX_ELEMENTS}"):
        tg.exercise("mlp")
    x = tg.tensor([[0.5]], requires_grad=True)
    long_chain = x
    for _ in range(40):
        long_chain = long_chain * 1.0
    with pytest.raises(ValueError, match="41 ops; a worksheet stays readable up to 40"):
        tg.exercise(long_chain.sum())
    with pytest.raises(ValueError, match="blank must be one of"):
        tg.exercise("seed000", "weights")
    with pytest.raises(ValueError, match="seed must be a whole number"):
        tg.exercise("seed000", seed=-1)
    with pytest.raises(ValueError, match="unknown example"):
        tg.exercise("seed999")
    with pytest.raises(ValueError, match="tolerance must be a finite number"):
        tg.check_answers("seed000", {}, tolerance=float("nan"))


@needs_dot
def test_the_readmes_worksheet_example_runs(tmp_path, monkeypatch, capsys):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = re.search(r"### Worksheets\n(.*?)\n## ", readme, re.S).group(1)
    commands = re.search(r"```bash\n(.*?)```", section, re.S).group(1).strip().splitlines()
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    assert main(commands[0].split()[1:]) == 0
    key = json.loads((tmp_path / "sheets" / "student7" / "answer_key.json").read_text(encoding="utf-8"))
    (tmp_path / "answers.txt").write_text(key_lines(key), encoding="utf-8")
    assert main(commands[1].split()[1:]) == 0
    model = seeds.seed000_network()
    loss = F.binary_cross_entropy(model(tg.tensor([[0.5]], dtype="float64", name="x")),
                                  tg.tensor([[0.5]], dtype="float64", name="y"))
    (tmp_path / "answers.txt").write_text(key_lines(tg.exercise(loss, model=model, seed=3).key()), encoding="utf-8")
    capsys.readouterr()
    exec(compile(code, "README.md", "exec"), {"tg": tg, "loss": loss, "model": model})
    assert phrase("worksheet.all_right") in capsys.readouterr().out
    assert (tmp_path / "sheet" / "worksheet.html").is_file()
