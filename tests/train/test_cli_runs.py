"""The command line as a user meets it: ``python -m tinygrad_vn`` in a subprocess, Ctrl-C included.

A user error is one ``tinygrad-vn COMMAND: error: ...`` line on stderr and a non-zero exit, never a
traceback; Ctrl-C during ``train`` keeps the last completed epoch and exits 130.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn.train import CHECKPOINT_NAME, TrainConfig, build_model, fit, save_model

# with the default dropout and standardised inputs, and no schedule, so that --epochs may be raised on resuming
QUICK = ["--layers", "784,24,10", "--batch-size", "64", "--optimizer", "sgd", "--lr", "0.05", "--seed", "2",
         "--schedule", "none", "--no-progress"]
QUICK_CONFIG = TrainConfig(layers=(784, 24, 10), batch_size=64, optimizer="sgd", lr=0.05, seed=2, schedule="none")


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinygrad_vn", *args], capture_output=True, text=True,
                          timeout=timeout)


def assert_user_error(done: subprocess.CompletedProcess, command: str, code: int, text: str) -> None:
    """Exit ``code``, no traceback, and exactly one ``error:`` line on stderr, which contains ``text``."""
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.startswith(f"tinygrad-vn {command}: error: ")]
    assert len(lines) == 1, done.stderr
    assert text in lines[0], lines[0]


def epochs_of(folder: Path) -> list[tuple[float, float, float]]:
    record = json.loads((folder / "metrics.json").read_text())
    return [(e["train_loss"], e["test_loss"], e["test_accuracy"]) for e in record["epochs"]]


def restore_default_sigint() -> None:
    """A child started from a shell that ignores SIGINT would ignore it too; Python's handler needs SIG_DFL."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_keeps_the_completed_epochs_exits_130_and_resume_matches_a_run_never_stopped(
        synthetic_data, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "tinygrad_vn", "train", *QUICK, "--epochs", "100000", "--data",
               str(synthetic_data), "--out", str(out)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=restore_default_sigint)
    try:
        deadline = time.monotonic() + 240
        while not (out / CHECKPOINT_NAME).exists():
            assert child.poll() is None, child.communicate()[1]
            assert time.monotonic() < deadline, "no checkpoint appeared within 240 s"
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygrad-vn train: interrupted ")
    record = json.loads((out / "metrics.json").read_text())
    completed = record["epochs_completed"]
    assert record["status"] == "interrupted" and completed >= 1 and len(record["epochs"]) == completed
    assert f"kept epoch {completed} in {out}" in lines[0] and f"--resume {out}" in lines[0]
    assert {"model.npz", "metrics.json", "metrics.csv", CHECKPOINT_NAME} <= {p.name for p in out.iterdir()}

    total = completed + 2
    done = cli("train", "--resume", str(out), "--epochs", str(total), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert f"resuming after epoch {completed} of {total}" in done.stdout
    model, history = fit(dataclasses.replace(QUICK_CONFIG, epochs=total), data_root=str(synthetic_data),
                         progress=False, log=lambda line: None)
    assert epochs_of(out) == [(m.train_loss, m.test_loss, m.test_accuracy) for m in history]
    saved = tg.load(out / "model.npz")
    assert all(np.array_equal(saved[name], value) for name, value in model.state_dict().items())
    assert json.loads((out / "metrics.json").read_text())["status"] == "finished"


def test_an_out_that_is_a_file_is_refused_before_the_data_is_looked_for(tmp_path):
    (tmp_path / "taken").write_text("")
    missing = str(tmp_path / "no-data-here")
    assert_user_error(cli("train", "--out", str(tmp_path / "taken"), "--data", missing), "train", 1,
                      f"--out {tmp_path / 'taken'} is a file, not a folder")
    assert_user_error(cli("train", "--out", str(tmp_path / "taken" / "run"), "--data", missing), "train", 1,
                      "cannot be created")


@pytest.mark.parametrize(("option", "value"), [
    ("--lr", "nan"), ("--lr", "inf"), ("--lr", "-1"), ("--lr", "0"), ("--momentum", "nan"), ("--momentum", "1"),
    ("--epochs", "0"), ("--batch-size", "-3"), ("--limit-test", "0"), ("--limit-train", "-5"), ("--seed", "-1"),
    ("--layers", "784,abc"), ("--layers", "784,1000000000000,10"), ("--threads", "0"),
    ("--dropout", "1"), ("--dropout", "nan"), ("--dropout", "-0.1"), ("--weight-decay", "-0.01"),
    ("--weight-decay", "inf"), ("--weight-decay", "x"), ("--schedule", "linear"), ("--optimizer", "lbfgs"),
])
def test_bad_settings_are_refused_by_train(option, value, tmp_path):
    done = cli("train", option, value, "--out", str(tmp_path / "run"))
    assert_user_error(done, "train", 2, f"argument {option}:")
    assert not (tmp_path / "run").exists()


def test_settings_refused_after_parsing_are_one_line_too(tmp_path):
    done = cli("train", "--layers", "784,16,5", "--out", str(tmp_path / "run"))
    assert_user_error(done, "train", 1, "the last layer size must be 10")
    done = cli("train", "--activation", "nope", "--out", str(tmp_path / "run"))
    assert_user_error(done, "train", 1, "unknown activation 'nope'")


def test_a_diverging_run_stops_with_one_line_naming_the_epoch(synthetic_data, tmp_path):
    done = cli("train", "--layers", "784,24,10", "--optimizer", "sgd", "--lr", "1e20", "--epochs", "3",
               "--no-progress", "--data", str(synthetic_data), "--out", str(tmp_path / "run"))
    assert_user_error(done, "train", 1, "epoch 1")
    assert "nothing was kept" in done.stderr and not (tmp_path / "run" / CHECKPOINT_NAME).exists()


def test_resume_errors_are_one_line(synthetic_data, tmp_path):
    assert_user_error(cli("train", "--resume", str(tmp_path / "none")), "train", 1, "no checkpoint.npz there")
    out = tmp_path / "run"
    done = cli("train", *QUICK, "--epochs", "1", "--data", str(synthetic_data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert_user_error(cli("train", "--resume", str(out), "--lr", "0.1"), "train", 1,
                      "--lr 0.1 (the run has 0.05)")
    assert_user_error(cli("train", "--resume", str(out), "--out", str(tmp_path / "other")), "train", 1,
                      "writes into its own folder")
    (out / CHECKPOINT_NAME).write_bytes(b"PK\x03\x04 not a checkpoint")
    assert_user_error(cli("train", "--resume", str(out), "--epochs", "2"), "train", 1, "not a readable checkpoint")


def model_file(path: Path, metadata) -> Path:
    tg.manual_seed(0)
    arrays = build_model([784, 8, 10]).state_dict()
    arrays["__metadata__"] = np.frombuffer(json.dumps(metadata).encode(), np.uint8)
    np.savez(path, **arrays)
    return path


GOOD = {"format": "tinygrad_vn.mlp/1", "layers": [784, 8, 10], "activation": "relu", "dataset": "mnist"}


@pytest.mark.parametrize(("metadata", "message"), [
    ([784, 10**12, 10], "JSON list, not an object"),
    ({**GOOD, "layers": [784, 10**12, 10]}, "the limit is 100,000,000"),
    ({**GOOD, "layers": ["784", "x", "10"]}, "must be positive integers"),
    ({**GOOD, "activation": "nope"}, "unknown activation"),
    ({**GOOD, "input_std": "wide"}, "input_std"),
])
def test_eval_refuses_tampered_metadata_in_one_line(metadata, message, tmp_path):
    path = model_file(tmp_path / "model.npz", metadata)
    assert_user_error(cli("eval", "--model", str(path)), "eval", 1, message)


def test_eval_refuses_a_flipped_byte_and_bad_limits(synthetic_data, tmp_path):
    path = tmp_path / "model.npz"
    save_model(build_model([784, 8, 10]), path, TrainConfig(layers=(784, 8, 10), dropout=0.0))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    (tmp_path / "flipped.npz").write_bytes(bytes(raw))
    assert_user_error(cli("eval", "--model", str(tmp_path / "flipped.npz")), "eval", 1, "flipped.npz")
    for limit in ("0", "-5"):
        assert_user_error(cli("eval", "--model", str(path), "--limit-test", limit), "eval", 2, "--limit-test")
    done = cli("eval", "--model", str(path), "--data", str(synthetic_data), "--limit-test", "7")
    assert done.returncode == 0 and "mnist test set, 7 images: accuracy" in done.stdout


@pytest.mark.parametrize("command", [["graph", "--format", "dot"], ["explain"]])
def test_graph_and_explain_refuse_bad_layer_sizes(command):
    assert_user_error(cli(*command, "--example", "mlp", "--layers", "784,abc"), command[0], 2, "--layers")
    assert_user_error(cli(*command, "--example", "mlp", "--layers", "784,0,10"), command[0], 2, "positive")


@pytest.mark.parametrize("command", [["graph", "--format", "dot"], ["demo", "--epochs", "1"], ["bench", "--quick"]])
def test_an_unusable_out_folder_is_one_line(command, tmp_path):
    (tmp_path / "taken").write_text("")
    assert_user_error(cli(*command, "--out", str(tmp_path / "taken")), command[0], 1, "is a file, not a folder")
    assert_user_error(cli(*command, "--out", str(tmp_path / "taken" / "sub")), command[0], 1, "cannot be created")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write into any folder")
def test_an_unwritable_out_folder_is_one_line(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert_user_error(cli("graph", "--format", "dot", "--out", str(locked)), "graph", 1, "is not writable")
        assert_user_error(cli("train", "--out", str(locked)), "train", 1, "is not writable")
    finally:
        locked.chmod(0o700)


def test_the_command_line_defaults_are_the_library_defaults():
    from tinygrad_vn.cli.train import RUN_DEFAULTS

    library = {field.name: field.default for field in dataclasses.fields(TrainConfig)}
    assert library == RUN_DEFAULTS
