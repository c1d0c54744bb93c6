"""``tinygrad-vn train`` and ``tinygrad-vn eval`` end to end on slices of the real data."""

from __future__ import annotations

import csv
import json
import re

import pytest

from tinygrad_vn.cli import main


def test_train_then_eval_on_a_slice(mnist, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--epochs", "2", "--limit-train", "2000", "--limit-test", "500", "--batch-size", "64",
                 "--optimizer", "sgd", "--lr", "0.1", "--seed", "3", "--out", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "epoch 2/2  train loss" in printed and "test accuracy" in printed
    assert {p.name for p in out.iterdir()} == {"model.npz", "metrics.json", "metrics.csv", "curves.png",
                                               "checkpoint.npz"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "finished" and metrics["epochs_completed"] == 2
    assert metrics["config"]["seed"] == 3 and metrics["config"]["layers"] == [784, 128, 10]
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2]
    rows = list(csv.DictReader((out / "metrics.csv").read_text().splitlines()))
    assert [float(r["test_accuracy"]) for r in rows] == [e["test_accuracy"] for e in metrics["epochs"]]
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"

    assert main(["eval", "--model", str(out / "model.npz"), "--limit-test", "500"]) == 0
    report = capsys.readouterr().out
    accuracy = float(re.search(r"accuracy (\d+\.\d+)%", report).group(1))
    assert accuracy == pytest.approx(100 * metrics["epochs"][-1]["test_accuracy"], abs=0.005)
    matrix_rows = [line.split() for line in report.splitlines() if re.fullmatch(r"\d( +\d+){10}", line)]
    assert len(matrix_rows) == 10 and sum(int(v) for row in matrix_rows for v in row[1:]) == 500


def test_eval_standardises_as_a_standardised_run_was_trained(mnist, tmp_path, capsys):
    out = tmp_path / "standardised"
    assert main(["train", "--epochs", "1", "--limit-train", "2000", "--limit-test", "400", "--standardize",
                 "--out", str(out), "--no-progress"]) == 0
    trained = json.loads((out / "metrics.json").read_text())
    assert trained["config"]["standardize"] is True
    assert "seed 0, standardised inputs: 2000 training" in capsys.readouterr().out
    assert main(["eval", "--model", str(out / "model.npz"), "--limit-test", "400"]) == 0
    accuracy = float(re.search(r"accuracy (\d+\.\d+)%", capsys.readouterr().out).group(1))
    assert accuracy == pytest.approx(100 * trained["epochs"][-1]["test_accuracy"], abs=0.005)


def test_fashion_mnist_trains_through_the_same_command(fashion_mnist, tmp_path, capsys):
    out = tmp_path / "fashion"
    assert main(["train", "--dataset", "fashion-mnist", "--epochs", "1", "--limit-train", "2000",
                 "--limit-test", "300", "--out", str(out), "--no-progress"]) == 0
    assert main(["eval", "--model", str(out / "model.npz"), "--limit-test", "300"]) == 0
    report = capsys.readouterr().out
    assert "fashion-mnist test set, 300 images" in report and "Ankle boot" in report


@pytest.mark.parametrize("layers", ["784", "784,x,10", "784,0,10"])
def test_bad_layer_sizes_are_refused_by_the_parser(layers, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--layers", layers])
    assert info.value.code == 2
    assert "--layers" in capsys.readouterr().err


def test_user_errors_are_one_line_not_a_traceback(tmp_path, capsys):
    assert main(["eval", "--model", str(tmp_path / "missing.npz")]) == 1
    assert capsys.readouterr().err.startswith("tinygrad-vn eval: error: [Errno 2] No such file")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 cut short")
    assert main(["eval", "--model", str(tmp_path / "broken.npz")]) == 1
    err = capsys.readouterr().err
    assert "broken.npz: not a readable checkpoint" in err and "Traceback" not in err


def test_unknown_activation_is_reported(mnist, tmp_path, capsys):
    code = main(["train", "--activation", "nope", "--limit-train", "10", "--limit-test", "10", "--out",
                 str(tmp_path / "x"), "--no-progress"])
    assert code == 1
    assert "tinygrad-vn train: error: unknown activation 'nope'" in capsys.readouterr().err
