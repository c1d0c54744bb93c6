"""Training on real MNIST: accuracy of a short run, bit-for-bit reproducibility, model round trip, plot."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn.serialization import save
from tinygrad_vn.train import (
    InputScaling,
    TrainConfig,
    build_model,
    confusion_matrix,
    evaluate,
    fit,
    flatten_images,
    format_confusion_matrix,
    input_scaling,
    load_model,
    plot_history,
    save_model,
    write_run,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def quiet_fit(config: TrainConfig, **kwargs):
    return fit(config, progress=False, log=lambda line: None, **kwargs)


def test_one_epoch_on_10000_images_passes_90_percent(mnist):
    config = TrainConfig(optimizer="adam", lr=3e-3, batch_size=32, epochs=1, seed=0, limit_train=10_000)
    _, history = quiet_fit(config)
    assert history[0].test_accuracy > 0.90
    assert history[0].test_loss < history[0].train_loss


def test_same_seed_same_metrics_bit_for_bit(mnist):
    config = TrainConfig(optimizer="sgd", lr=0.1, epochs=2, batch_size=64, seed=7, limit_train=3000,
                         limit_test=1000)

    def numbers(config):
        model, history = quiet_fit(config)
        metrics = [(m.train_loss, m.test_loss, m.test_accuracy) for m in history]
        return metrics, [p.data.copy() for p in model.parameters()]

    first_metrics, first_weights = numbers(config)
    again_metrics, again_weights = numbers(config)
    assert first_metrics == again_metrics
    for a, b in zip(first_weights, again_weights):
        assert np.array_equal(a, b)
    other_metrics, _ = numbers(dataclasses.replace(config, seed=8))
    assert other_metrics != first_metrics


def test_saved_model_predicts_exactly_as_before(mnist, tmp_path):
    _, _, x_test, y_test = mnist
    x = flatten_images(x_test[:500])
    config = TrainConfig(layers=(784, 32, 16, 10), activation="tanh", epochs=1, limit_train=2000, limit_test=100)
    model, _ = quiet_fit(config)
    save_model(model, tmp_path / "model.npz", config)
    loaded, metadata = load_model(tmp_path / "model.npz")
    assert metadata["layers"] == [784, 32, 16, 10] and metadata["activation"] == "tanh"
    for (name, a), (other, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert name == other and a.dtype == b.dtype and np.array_equal(a, b)
    before, after = evaluate(model, x, y_test[:500]), evaluate(loaded, x, y_test[:500])
    assert np.array_equal(before.predictions, after.predictions) and before.loss == after.loss


def test_load_model_refuses_a_file_without_an_architecture(tmp_path):
    save(build_model([4, 2]).state_dict(), tmp_path / "weights.npz")
    with pytest.raises(ValueError, match="not a model saved by tinygrad-vn train"):
        load_model(tmp_path / "weights.npz")


def test_first_layer_must_match_the_image_size(mnist):
    with pytest.raises(ValueError, match="first layer size must be 784"):
        quiet_fit(TrainConfig(layers=(100, 10), limit_train=10, limit_test=10))


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    matrix = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    text = format_confusion_matrix(matrix, ["zero", "one", "two"])
    assert text.splitlines()[-1].split() == ["two", "1", "0", "2"]


def test_evaluate_on_a_known_model():
    model = build_model([2, 2])
    model.load_state_dict({"0.weight": np.eye(2, dtype=np.float32), "0.bias": np.zeros(2, dtype=np.float32)})
    x = np.array([[3.0, 0.0], [0.0, 3.0], [3.0, 0.0]], dtype=np.float32)
    result = evaluate(model, x, np.array([0, 1, 1]), batch_size=2)
    assert result.predictions.tolist() == [0, 1, 0]
    assert result.accuracy == pytest.approx(2 / 3)
    loss_small, loss_big = np.log1p(np.exp(-3.0)), 3 + np.log1p(np.exp(-3.0))
    assert result.loss == pytest.approx((2 * loss_small + loss_big) / 3, rel=1e-5)


def history_of(n: int):
    from tinygrad_vn.train import EpochMetrics

    return [EpochMetrics(e, 1 / e, 1.2 / e, 0.9 + e / 100, 1.0, 60000.0) for e in range(1, n + 1)]


def test_plot_is_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    assert plot_history(history_of(3), tmp_path / "curves.png", "title")
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG_MAGIC


def test_without_matplotlib_the_run_says_so_and_skips_the_plot(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    lines = []
    config = TrainConfig(layers=(4, 3))
    tg.manual_seed(0)
    write_run(build_model(config.layers), history_of(2), config, tmp_path, lines.append)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv", "metrics.json", "model.npz"]
    assert any("matplotlib is not installed" in line for line in lines)


def test_blas_threads_caps_inside_and_restores_after():
    from threadpoolctl import threadpool_info

    from tinygrad_vn.train import blas_threads

    def counts():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    before = counts()
    with blas_threads(1):
        assert set(counts()) <= {1}
    assert counts() == before
    with pytest.raises(ValueError, match="at least 1"), blas_threads(0):
        pass


def test_input_scaling_standardises_with_one_mean_and_std():
    x = np.array([[0.0, 0.5], [1.0, 0.5]], dtype=np.float32)
    scaling = InputScaling.fit(x)
    assert (scaling.mean, scaling.std) == (0.5, pytest.approx(np.sqrt(0.125)))
    scaled = scaling(x)
    assert scaled.dtype == np.float32 and scaled.mean() == pytest.approx(0) and scaled.std() == pytest.approx(1)
    assert InputScaling()(x) is x
    with pytest.raises(ValueError, match="all equal"):
        InputScaling.fit(np.zeros((3, 4), np.float32))


def test_a_saved_model_remembers_its_input_scaling(tmp_path):
    config = TrainConfig(layers=(4, 3))
    save_model(build_model([4, 3]), tmp_path / "scaled.npz", config, InputScaling(0.13, 0.31))
    save_model(build_model([4, 3]), tmp_path / "plain.npz", config)
    assert input_scaling(load_model(tmp_path / "scaled.npz")[1]) == InputScaling(0.13, 0.31)
    assert input_scaling(load_model(tmp_path / "plain.npz")[1]) == InputScaling()
    assert input_scaling({"format": "from an older release, with no scaling recorded"}) == InputScaling()


def test_standardising_is_recorded_in_the_model(mnist, tmp_path):
    config = TrainConfig(optimizer="sgd", lr=0.05, epochs=1, limit_train=1000, limit_test=200, standardize=False)
    quiet_fit(dataclasses.replace(config, standardize=True), out=tmp_path / "std")
    quiet_fit(config, out=tmp_path / "unit")
    scaling = input_scaling(load_model(tmp_path / "std" / "model.npz")[1])
    x_train = flatten_images(mnist[0][:1000])
    assert scaling.mean == pytest.approx(float(x_train.mean(dtype=np.float64)))
    assert scaling.std == pytest.approx(float(x_train.std(dtype=np.float64)))
    assert input_scaling(load_model(tmp_path / "unit" / "model.npz")[1]) == InputScaling()
