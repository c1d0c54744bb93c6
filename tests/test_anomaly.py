"""Anomaly mode names the op and the user's line where a loss turns NaN; tg.lint finds the same compositions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import phrases
from tinygrad_vn.anomaly import enable_from_environment
from tinygrad_vn.autograd import Function
from tinygrad_vn.cli.examples import build_example

SOURCE = Path(__file__).read_text().splitlines()


def line_of(marker: str) -> int:
    """The line of this file that ends with the comment ``# <marker>`` (exactly one does)."""
    lines = [number for number, text in enumerate(SOURCE, start=1) if text.rstrip().endswith(f"# {marker}")]
    assert len(lines) == 1, marker
    return lines[0]


def here(marker: str) -> str:
    """How an error names that line: ``test_anomaly.py:LINE`` (after the folder, when the path has one)."""
    return f"test_anomaly.py:{line_of(marker)}"


def says_at(message: str, before: str, marker: str) -> bool:
    """Whether ``message`` holds ``before``, then this file's path and the marked line."""
    return re.search(re.escape(before) + r"\S*" + re.escape(here(marker)) + r"\b", message) is not None


@pytest.fixture(autouse=True)
def anomaly_mode_off_around_each_test():
    assert not tg.is_anomaly_enabled()
    yield
    assert not tg.is_anomaly_enabled(), "a test left anomaly mode on"


def extreme_logits() -> tg.Tensor:
    return tg.tensor([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], requires_grad=True)


# ----------------------------------------------------------------------------- forward


def test_log_of_a_softmax_that_underflows_names_this_line_log_and_log_softmax():
    z = extreme_logits()
    with tg.detect_anomaly(), pytest.raises(tg.AnomalyError) as caught:
        z.softmax(-1).log().sum()  # softmax-log
    error = caught.value
    assert (error.op, error.phase, error.rule) == ("Log", "forward", "log_softmax")
    assert error.where.line == line_of("softmax-log") and error.where.filename == __file__
    message = str(error)
    assert here("softmax-log") in message and "z.softmax(-1).log().sum()" in message
    assert "Log produced −Inf in the forward pass (2 of 6 values)" in message
    assert "input 0 (2×3): min 0, max 1" in message
    assert "log_softmax(x, dim)" in error.fix and "log_softmax" in message


def test_lint_flags_the_same_graph_at_the_same_line_and_the_fused_op_is_clean():
    z = extreme_logits()
    with tg.detect_anomaly(check_nan=False), np.errstate(divide="ignore"):  # check_nan=False: lines only
        loss = z.softmax(-1).log().sum()  # lint-softmax-log
    report = tg.lint(loss)
    assert [(f.op, f.rule) for f in report] == [("Log", "log_softmax")]
    assert report[0].where.line == line_of("lint-softmax-log")
    assert here("lint-softmax-log") in str(report) and "log_softmax(x, dim)" in str(report)
    assert tg.lint(z.log_softmax(-1).sum()) == []


def test_lint_without_anomaly_mode_names_the_tensors_and_says_how_to_see_the_line():
    z = tg.tensor([[1.0, 0.0]], requires_grad=True)
    report = tg.lint(z.softmax(-1).log().sum())
    assert report[0].where is None and report[0].formula == "ℓ = ln t2"
    text = str(report)
    assert text.startswith("tg.lint: 1 known unstable composition(s) in this graph\n1. Log: ℓ = ln t2")
    assert "tg.detect_anomaly(check_nan=False)" in text


def test_sigmoid_then_bce_by_hand_names_the_log_and_binary_cross_entropy_with_logits():
    z = tg.tensor([[40.0], [-2.0]], requires_grad=True)
    y = tg.tensor([[0.0], [1.0]])
    p = z.sigmoid()
    with tg.detect_anomaly(), pytest.raises(tg.AnomalyError) as caught:
        -(y * p.log() + (1 - y) * (1 - p).log()).mean()  # bce-by-hand
    assert (caught.value.op, caught.value.rule) == ("Log", "log_sigmoid")
    assert here("bce-by-hand") in str(caught.value)
    assert "binary_cross_entropy_with_logits(z, y)" in caught.value.fix
    with np.errstate(divide="ignore"):
        hand = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    assert [f.rule for f in tg.lint(hand)] == ["log_sigmoid", "log_sigmoid"]


def test_lint_flags_bce_of_a_sigmoid_and_the_logits_loss_is_clean():
    z = tg.tensor([[0.5], [-2.0]], requires_grad=True)
    y = tg.tensor([[0.0], [1.0]])
    report = tg.lint(F.binary_cross_entropy(z.sigmoid(), y))
    assert [(f.op, f.rule) for f in report] == [("BinaryCrossEntropy", "bce_sigmoid")]
    assert "binary_cross_entropy_with_logits" in report[0].fix
    assert tg.lint(F.binary_cross_entropy_with_logits(z, y)) == []


def test_the_seed_examples_lint_as_they_are_written():
    # the fused MLP example is clean; seed 000 is the note's sigmoid then BCE, which lint rightly names
    assert tg.lint(build_example("mlp", "6,5,3").loss) == []
    assert [f.rule for f in tg.lint(build_example("seed000").loss)] == ["bce_sigmoid"]


def test_exp_of_a_large_input_says_subtract_the_max_and_lint_finds_a_softmax_by_hand():
    x = tg.tensor([[100.0, 1.0]], requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(tg.AnomalyError) as caught:
        x.exp()  # exp-overflow
    error = caught.value
    assert (error.op, error.rule) == ("Exp", "exp_overflow") and here("exp-overflow") in str(error)
    assert "its largest input was 100" in str(error) and "x − x.amax(dim, keepdim=True)" in error.fix
    mild = tg.tensor([[3.0, 1.0]], requires_grad=True)
    e = mild.exp()
    assert [f.rule for f in tg.lint((e / e.sum(-1, keepdim=True)).sum())] == ["exp_unshifted"]
    shifted = (mild - mild.amax(-1, keepdim=True)).exp()
    assert tg.lint((shifted / shifted.sum(-1, keepdim=True)).sum()) == []
    assert tg.lint(mild.exp().sum()) != [] and tg.lint((mild.exp() * 2).relu().mean()) == []


def test_division_by_a_sum_of_relus_that_reached_zero_names_where_the_divisor_came_from():
    h = tg.tensor([-1.0, -2.0], requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(tg.AnomalyError) as caught:
        total = h.relu().sum()  # divisor
        h / total  # division
    error = caught.value
    assert (error.op, error.rule) == ("Div", "division_by_zero") and here("division") in str(error)
    assert says_at(str(error), "ReLU → Sum, applied at ", "divisor")
    assert "d + 1e-8" in error.fix
    g = tg.tensor([1.0, -2.0], requires_grad=True)  # lint reads the graph, not these values
    report = tg.lint((g / g.relu().sum()).sum())
    assert [(f.op, f.rule) for f in report] == [("Div", "division_by_zero")]
    assert "ReLU → Sum" in report[0].why
    assert tg.lint((g / (g.relu().sum() + 1e-8)).sum()) == []


def test_an_input_that_already_held_nan_is_said_to_come_from_outside():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    data = tg.tensor([np.nan, 1.0])
    with tg.detect_anomaly(), pytest.raises(tg.AnomalyError) as caught:
        w * data  # nan-data
    assert caught.value.rule == "from_outside" and here("nan-data") in str(caught.value)
    assert "input 1 (2): min 1, max 1, already held NaN at 1 position(s)" in str(caught.value)


def test_an_infinity_passed_on_from_an_input_is_not_an_anomaly():
    scores = tg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    mask = tg.tensor([[False, False, True]])
    with tg.detect_anomaly():
        attention = scores.masked_fill(mask, float("-inf")).softmax(-1)
        (attention * tg.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert np.isfinite(scores.grad.data).all() and attention.data[0, 2] == 0


def test_numpy_runtime_warnings_are_not_what_the_user_sees_in_anomaly_mode():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tg.detect_anomaly(), pytest.raises(tg.AnomalyError, match="Log produced −Inf"):
            x.log()


# ----------------------------------------------------------------------------- backward


def test_a_nan_made_in_backward_by_sqrt_at_zero_names_the_forward_line_and_the_rule():
    x = tg.tensor([0.0, 0.0], requires_grad=True)
    with tg.detect_anomaly():
        length = (x * x).sum().sqrt()  # norm-by-hand
        with pytest.raises(tg.AnomalyError) as caught:
            length.backward()
    error = caught.value
    assert (error.op, error.phase, error.rule) == ("Sqrt", "backward", "sqrt_at_zero")
    message = str(error)
    assert "the backward of Sqrt produced +Inf in the gradient of its input 0" in message
    assert says_at(message, "that Sqrt was applied at ", "norm-by-hand")
    assert "its gradient rule: dA = dB / (2 B)" in message and "Mul → Sum" in message
    assert "x.norm()" in error.fix
    assert [(f.op, f.rule) for f in tg.lint((x * x).sum().sqrt())] == [("Sqrt", "sqrt_at_zero")]


class HalfBroken(Function):
    """B = 2 A; dA = 2 dB (but this one returns NaN for the first element)."""

    @staticmethod
    def forward(ctx, a):
        return 2 * a

    @staticmethod
    def backward(ctx, grad):
        out = 2 * grad
        out[0] = np.nan
        return out


def test_a_custom_function_whose_backward_returns_nan_is_named_with_its_apply_line():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.detect_anomaly():
        loss = HalfBroken.apply(x).sum()  # custom-apply
        with pytest.raises(tg.AnomalyError) as caught:
            loss.backward()
    error = caught.value
    assert (error.op, error.phase, error.rule, error.fix) == ("HalfBroken", "backward", None, None)
    assert here("custom-apply") in str(error) and "NaN in the gradient of its input 0 (1 of 2 values)" in str(error)
    assert "no stable alternative is known" in str(error)


def test_backward_in_the_mode_of_a_graph_recorded_outside_it_says_the_line_is_unknown():
    x = tg.tensor([0.0], requires_grad=True)
    loss = x.sqrt().sum()
    with tg.detect_anomaly(), pytest.raises(tg.AnomalyError, match="an unknown line"):
        loss.backward()


# ----------------------------------------------------------------------------- mode off, switching, language


def test_mode_off_captures_nothing_raises_nothing_and_nan_propagates_as_before():
    x = tg.tensor([0.0, 0.0], requires_grad=True)
    with pytest.warns(RuntimeWarning):
        length = (x * x).sum().sqrt()
        length.backward()
    assert length._ctx.anomaly_where is None
    assert np.isnan(x.grad.data).all()  # 0 · ∞, exactly as without anomaly mode
    with pytest.warns(RuntimeWarning):
        assert np.isneginf(extreme_logits().softmax(-1).log().data).any()


def test_the_switches_nest_restore_and_refuse_bad_arguments():
    assert tg.autograd.detect_anomaly is tg.detect_anomaly
    assert tg.autograd.set_detect_anomaly is tg.set_detect_anomaly
    with tg.detect_anomaly():
        with tg.set_detect_anomaly(False), np.errstate(divide="ignore"):
            assert not tg.is_anomaly_enabled()
            assert np.isneginf(tg.tensor([0.0]).log().data).all()
        assert tg.is_anomaly_enabled()
    tg.set_detect_anomaly(True)
    try:
        assert tg.is_anomaly_enabled()
    finally:
        tg.set_detect_anomaly(False)

    @tg.detect_anomaly()
    def log_of(values):
        return tg.tensor(values).log()

    with pytest.raises(tg.AnomalyError):
        log_of([0.0])
    with pytest.raises(TypeError, match="check_nan"):
        tg.detect_anomaly(check_nan="yes")
    with pytest.raises(ValueError, match="lang must be one of"):
        tg.detect_anomaly(lang="fr")
    with pytest.raises(TypeError, match=r"tg\.lint needs a Tensor"):
        tg.lint(np.zeros(2))
    assert issubclass(tg.AnomalyError, FloatingPointError) and issubclass(tg.AnomalyError, RuntimeError)


def test_vietnamese_messages_leave_no_english_phrase():
    z = extreme_logits()
    with tg.detect_anomaly(lang="vi"), pytest.raises(tg.AnomalyError) as caught:
        z.softmax(-1).log()
    message = str(caught.value)
    assert message.startswith("bất thường: Log tạo ra −Inf ở lượt truyền xuôi") and "log_softmax(x, dim)" in message
    assert phrases.english_left_in(message, "vi") == []
    x = tg.tensor([0.0], requires_grad=True)
    with tg.detect_anomaly(lang="vi"):
        loss = x.sqrt().sum()
        with pytest.raises(tg.AnomalyError) as caught:
            loss.backward()
    assert phrases.english_left_in(str(caught.value), "vi") == []
    report = str(tg.lint(F.binary_cross_entropy(z.sigmoid(), tg.tensor(np.ones((2, 3)))), lang="vi"))
    assert report.startswith("tg.lint: 1 tổ hợp kém ổn định") and phrases.english_left_in(report, "vi") == []
    assert str(tg.lint(z.log_softmax(-1).sum(), lang="vi")).startswith("tg.lint: không có tổ hợp")


def test_a_compiled_step_runs_eagerly_in_anomaly_mode_and_replays_outside_it():
    w = tg.tensor([1.0, 2.0], requires_grad=True)

    @tg.compile
    def step(x):
        w.grad = None
        loss = (w * x).log().sum()  # compiled-step
        loss.backward()
        return loss

    assert step(np.array([1.0, 1.0])).item() == pytest.approx(np.log(2.0))
    with tg.detect_anomaly(), pytest.raises(tg.AnomalyError) as caught:
        step(np.array([0.0, 1.0]))
    assert caught.value.op == "Log" and here("compiled-step") in str(caught.value)
    assert step.recordings == 1
    assert step(np.array([2.0, 2.0])).item() == pytest.approx(np.log(2.0) + np.log(4.0))


def test_the_environment_switches_the_mode_on_and_chooses_the_language(tmp_path):
    script = tmp_path / "user_script.py"
    script.write_text("import tinygrad_vn as tg\n"
                      "z = tg.tensor([[1000.0, 0.0]], requires_grad=True)\n"
                      "loss = z.softmax(-1).log().sum()\n"
                      "print('not reached')\n")
    environment = {**os.environ, "TINYGRAD_VN_ANOMALY": "1"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=environment,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 1 and "not reached" not in done.stdout
    assert "AnomalyError: anomaly: Log produced −Inf" in done.stderr
    assert "user_script.py:3 in <module>: loss = z.softmax(-1).log().sum()" in done.stderr
    assert "RuntimeWarning" not in done.stderr
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                          env={**environment, "TINYGRAD_VN_LANG": "vi"}, timeout=120)
    assert "bất thường: Log tạo ra −Inf" in done.stderr and "user_script.py:3, trong <module>" in done.stderr
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "TINYGRAD_VN_ANOMALY": "0"}, timeout=120)
    assert done.returncode == 0 and "not reached" in done.stdout
    with pytest.raises(ValueError, match="TINYGRAD_VN_ANOMALY='maybe'"):
        enable_from_environment({"TINYGRAD_VN_ANOMALY": "maybe"})


def test_the_readme_example_prints_what_the_readme_shows(tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = re.search(r"### When a loss turns NaN\n\n```python\n(.*?)```\n\n```text\n(.*?)```", readme, re.S)
    code, shown = section.groups()
    (tmp_path / "nan_example.py").write_text(code)
    done = subprocess.run([sys.executable, "nan_example.py"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert f"tinygrad_vn.anomaly.AnomalyError: {shown.strip()}" in done.stderr
