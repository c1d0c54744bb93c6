"""The benchmark harness runs and writes a valid report (no timing is asserted anywhere)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tinygrad_vn.benchmarks import mnist, report, training
from tinygrad_vn.benchmarks.runner import import_jax
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
    assert "1-2-1 batch 1" in cases and any("first compiled step, warm cache" in case for case in cases)
    compiled = next(row for row in report["rows"] if row["group"] == "training step, tg.compile")
    assert compiled["seconds"]["blas floor"] > 0 and compiled["seconds"]["tg eager"] > 0
    startup = [row for row in report["rows"] if row["case"].startswith("first compiled step")]
    assert [row["targets"][0]["limit_s"] for row in startup] == [6.0, 1.0]
    out = capsys.readouterr().out
    assert "results written to" in out and "| step | threads | tg eager | tg.compile |" in out


def test_each_thread_count_runs_in_its_own_process(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only", "overhead", "--threads", "1,2",
                          "--no-torch", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = _check_report(tmp_path, {"per-op overhead"})["rows"]
    assert sorted(row["threads"] for row in rows) == [1, 1, 2, 2]


def _jax():
    jax = import_jax(1)
    if jax is None:
        pytest.skip("JAX is not installed (pip install 'tinygrad-vn[jax]'): no JAX column to check")
    return jax


def _tinygrad_losses(net: training.Net, x: np.ndarray, y: np.ndarray, steps: int) -> list[float]:
    """The eager step's losses, from the initial weights the benchmark gives every framework."""
    import tinygrad_vn as tg
    import tinygrad_vn.functional as F
    from tinygrad_vn import nn, optim

    tg.manual_seed(0)
    if net.seed000:
        model = nn.mlp(list(net.sizes), "sigmoid", output_activation="sigmoid")
        opt, loss_fn, target = optim.SGD(model.parameters(), lr=training.LR), F.binary_cross_entropy, tg.Tensor(y)
    else:
        model = nn.mlp(list(net.sizes), "relu")
        opt = optim.SGD(model.parameters(), lr=training.LR, momentum=training.MOMENTUM)
        loss_fn, target = F.cross_entropy, y
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(tg.Tensor(x)), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("net", training.QUICK_NETS, ids=lambda net: net.name)
def test_jax_step_trains_the_same_net_as_ours(net: training.Net) -> None:
    """The JAX rival takes the same step: its losses follow the eager tinygrad_vn step's."""
    jax = _jax()
    x, y = training._data(net)
    params = training._tinygrad_step(net, x, y)[1]
    step = training.jax_step(jax, net, x, y, params)
    assert [step() for _ in range(4)] == pytest.approx(_tinygrad_losses(net, x, y, 4), rel=1e-4)


def test_blas_floor_makes_only_the_steps_matrix_products(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = np.matmul

    def counting(a, b, out):
        calls.append((a.shape, b.shape))
        return real(a, b, out=out)

    monkeypatch.setattr(np, "matmul", counting)
    net = training.Net((784, 512, 512, 10), 4)
    training.floor_step(net, training._data(net)[0])()
    assert calls == [((4, 784), (784, 512)), ((4, 512), (512, 512)), ((4, 512), (512, 10)),
                     ((512, 4), (4, 10)), ((4, 10), (10, 512)), ((512, 4), (4, 512)), ((4, 512), (512, 512)),
                     ((784, 4), (4, 512))]


def test_targets_hold_at_one_thread_only() -> None:
    net = training.NETS[2]
    assert training._targets(net, 1, compiled=True) == [{"vs": "jax", "min": 1.5}, {"vs": "numpy", "min": 1.05},
                                                        {"vs": "blas floor", "min": 0.90}]
    assert training._targets(net, 1, compiled=False) == [{"vs": "torch", "min": 2.0}]
    assert training._targets(net, 2, compiled=True) == []
    assert training._targets(training.QUICK_NETS[1], 1, compiled=True) == []


def test_side_by_side_table_puts_each_ratio_beside_its_verdict() -> None:
    seconds = {"jax": 3.0, "numpy": 2.0, "blas floor": 1.8, "torch": 5.0, "torch.compile": None}
    compiled = Row("training step, tg.compile", "784-128-10 batch 64", 1, {"tinygrad_vn": 2.0, "tg eager": 2.5,
                                                                          **seconds},
                   targets=[{"vs": "jax", "min": 1.5}, {"vs": "blas floor", "min": 0.95}])
    eager = Row("training step", "784-128-10 batch 64", 1, {"tinygrad_vn": 2.5, "tg.compile": 2.0, **seconds},
                targets=[{"vs": "torch", "min": 2.0}])
    line = report.training_table([eager, compiled]).splitlines()[2]
    assert line == ("| 784-128-10 batch 64 | 1 | 2.50 s | 2.00 s | 5.00 s | - | 3.00 s | 2.00 s | 1.80 s "
                    "| 1.50× (≥ 1.5: met) | 1.00× | 0.90× (≥ 0.95: **NOT met**) | 2.00× (≥ 2: met) |")
    assert "vs" not in report.markdown_table([eager, compiled]).splitlines()[-1]


def test_jax_trainer_follows_the_numpy_trainer_on_mnist_shaped_data() -> None:
    _jax()
    x, y, x_test, y_test = mnist.synthetic_data(0)
    data = (x[:512], y[:512], x_test[:64], y_test[:64])
    jax_trainer, numpy_trainer = mnist.JaxTrainer(data, "sgd", 0), mnist.NumpyTrainer(data, "sgd", 0)
    jax_trainer.train_epoch()
    numpy_trainer.train_epoch()
    for theirs, expected in zip(jax_trainer.params, numpy_trainer.params):
        np.testing.assert_allclose(np.asarray(theirs), expected, rtol=1e-3, atol=1e-5)
    assert 0 <= jax_trainer.test_accuracy() <= 1


def test_unknown_group_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="unknown group"):
        cli_main(["bench", "--only", "nonsense", "--out", str(tmp_path)])


def test_chart_labels_tell_compiled_rows_from_eager_ones() -> None:
    seconds = {"tinygrad_vn": 1.0, "numpy": 2.0, "torch": 3.0}
    eager = Row("training step", "784-10-10 batch 64", 1, dict(seconds))
    compiled = Row("training step, tg.compile", "784-10-10 batch 64", 2, dict(seconds))
    assert report._chart_label(eager) == "784-10-10 batch 64 [1t]"
    assert report._chart_label(compiled) == "784-10-10 batch 64 (tg.compile) [2t]"
