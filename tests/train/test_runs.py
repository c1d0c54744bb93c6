"""Runs that cannot be lost: checked settings and folders, a checkpoint per epoch, Ctrl-C and NaN
keep the last completed epoch, and a resumed run gives the numbers of one never stopped, bit for bit."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import train as train_module
from tinygrad_vn.data.loader import ArrayPairLoader
from tinygrad_vn.serialization import CheckpointError, load_metadata
from tinygrad_vn.train import (
    CHECKPOINT_NAME,
    MAX_PARAMETERS,
    TrainConfig,
    TrainingDivergedError,
    TrainingInterrupted,
    build_model,
    evaluate,
    fit,
    load_dataset,
    load_model,
    read_checkpoint,
    resume,
    save_model,
    validate_config,
)

# plain runs, without the default recipe's dropout, schedule and standardised inputs
SGD = TrainConfig(optimizer="sgd", lr=0.05, momentum=0.9, epochs=4, batch_size=64, seed=5, layers=(784, 24, 10),
                  standardize=False, dropout=0.0, schedule="none")
ADAM = dataclasses.replace(SGD, optimizer="adam", lr=3e-3, standardize=True)


def quiet(fn, *args, **kwargs):
    return fn(*args, progress=False, log=lambda line: None, **kwargs)


def numbers(history) -> list[tuple[float, float, float]]:
    return [(m.train_loss, m.test_loss, m.test_accuracy) for m in history]


def weights_equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("config", [SGD, ADAM], ids=["sgd-momentum", "adam-standardised"])
def test_a_resumed_run_gives_the_numbers_of_one_never_stopped(config, synthetic_data, tmp_path):
    straight_model, straight = quiet(fit, config, out=tmp_path / "straight", data_root=str(synthetic_data))
    quiet(fit, dataclasses.replace(config, epochs=2), out=tmp_path / "resumed", data_root=str(synthetic_data))
    resumed_model, resumed = quiet(resume, tmp_path / "resumed", epochs=config.epochs)
    assert numbers(resumed) == numbers(straight)
    assert weights_equal(resumed_model.state_dict(), straight_model.state_dict())
    assert weights_equal(tg.load(tmp_path / "resumed" / "model.npz"), tg.load(tmp_path / "straight" / "model.npz"))
    kept = json.loads((tmp_path / "resumed" / "metrics.json").read_text())
    assert kept["status"] == "finished" and kept["config"]["epochs"] == config.epochs
    assert [e["test_accuracy"] for e in kept["epochs"]] == [m.test_accuracy for m in straight]
    assert 0.3 < straight[-1].test_accuracy < 1  # the data is learnable, but not trivially


def test_a_checkpoint_is_written_after_every_epoch(synthetic_data, tmp_path):
    seen = []

    def log(line: str) -> None:
        if line.startswith("epoch "):
            checkpoint = read_checkpoint(tmp_path / CHECKPOINT_NAME)
            seen.append((len(checkpoint.history), checkpoint.optimizer_state["state"][0]["step"]))

    config = dataclasses.replace(ADAM, epochs=3)
    fit(config, out=tmp_path, data_root=str(synthetic_data), progress=False, log=log)
    steps_per_epoch = -(-640 // config.batch_size)
    assert seen == [(epoch, epoch * steps_per_epoch) for epoch in (1, 2, 3)]
    checkpoint = read_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert checkpoint.config == config and checkpoint.data_root == str(synthetic_data)
    assert not list(tmp_path.glob(".*.part"))


class StopIn(ArrayPairLoader):
    """A loader that, in epoch ``epoch`` at step ``step``, raises ``error`` or poisons the batch with NaN."""

    def __init__(self, *args, epoch: int, step: int, error: type[BaseException] | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.epoch, self.step, self.error, self.passes = epoch, step, error, 0

    def __iter__(self):
        self.passes += 1
        for number, (x, y) in enumerate(super().__iter__(), start=1):
            if self.passes == self.epoch and number == self.step:
                if self.error is not None:
                    raise self.error
                x[0, 0] = np.nan
            yield x, y


def stopping_loader(monkeypatch, **where):
    monkeypatch.setattr(train_module, "DataLoader", lambda *args, **kwargs: StopIn(*args, **where, **kwargs))


def test_ctrl_c_keeps_the_last_completed_epoch_and_resume_finishes_the_run(synthetic_data, tmp_path, monkeypatch):
    _, straight = quiet(fit, SGD, data_root=str(synthetic_data))
    stopping_loader(monkeypatch, epoch=3, step=4, error=KeyboardInterrupt)
    with pytest.raises(TrainingInterrupted) as info:
        quiet(fit, SGD, out=tmp_path, data_root=str(synthetic_data))
    stop = info.value
    assert isinstance(stop, KeyboardInterrupt) and (stop.epoch, stop.completed, stop.folder) == (3, 2, tmp_path)
    assert "interrupted in epoch 3 of 4; kept epoch 2" in str(stop)
    assert {"model.npz", "metrics.json", "metrics.csv", CHECKPOINT_NAME} <= set(stop.kept)
    kept = json.loads((tmp_path / "metrics.json").read_text())
    assert kept["status"] == "interrupted" and kept["epochs_completed"] == 2
    assert [(e["train_loss"], e["test_loss"], e["test_accuracy"]) for e in kept["epochs"]] == numbers(straight)[:2]
    checkpoint = read_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert weights_equal(tg.load(tmp_path / "model.npz"), checkpoint.model_state)  # not the half-trained epoch 3

    monkeypatch.undo()
    _, resumed = quiet(resume, tmp_path)
    assert numbers(resumed) == numbers(straight)


@pytest.mark.parametrize("schedule", ["step", "cosine", "onecycle"])
def test_a_run_with_dropout_batch_norm_a_schedule_and_adamw_resumes_bit_for_bit(
        schedule, synthetic_data, tmp_path, monkeypatch):
    config = dataclasses.replace(SGD, optimizer="adamw", lr=3e-3, weight_decay=0.05, dropout=0.2, batchnorm=True,
                                 schedule=schedule, standardize=True, epochs=6 if schedule == "step" else 4)
    straight_model, straight = quiet(fit, config, out=tmp_path / "straight", data_root=str(synthetic_data))
    stopping_loader(monkeypatch, epoch=3, step=4, error=KeyboardInterrupt)
    with pytest.raises(TrainingInterrupted):
        quiet(fit, config, out=tmp_path / "resumed", data_root=str(synthetic_data))
    monkeypatch.undo()
    checkpoint = read_checkpoint(tmp_path / "resumed" / CHECKPOINT_NAME)
    assert len(checkpoint.history) == 2 and checkpoint.schedule_state["last_epoch"] > 0
    assert checkpoint.model_state["1.num_batches_tracked"] == 2 * 10
    resumed_model, resumed = quiet(resume, tmp_path / "resumed")
    assert numbers(resumed) == numbers(straight)
    assert weights_equal(resumed_model.state_dict(), straight_model.state_dict())  # batch-norm buffers too
    assert weights_equal(tg.load(tmp_path / "resumed" / "model.npz"), tg.load(tmp_path / "straight" / "model.npz"))
    assert weights_equal(tg.load(tmp_path / "resumed" / CHECKPOINT_NAME),
                         tg.load(tmp_path / "straight" / CHECKPOINT_NAME))


def test_ctrl_c_in_the_first_epoch_keeps_nothing(synthetic_data, tmp_path, monkeypatch):
    stopping_loader(monkeypatch, epoch=1, step=2, error=KeyboardInterrupt)
    with pytest.raises(TrainingInterrupted, match="no epoch had completed, so nothing was kept") as info:
        quiet(fit, SGD, out=tmp_path, data_root=str(synthetic_data))
    assert info.value.completed == 0 and list(tmp_path.iterdir()) == []


def test_a_loss_that_turns_nan_stops_naming_epoch_and_step_and_the_good_checkpoint_stays(
        synthetic_data, tmp_path, monkeypatch):
    stopping_loader(monkeypatch, epoch=2, step=3, error=None)
    config = dataclasses.replace(SGD, activation="tanh")  # the loss turns NaN at once (ReLU may hide it for a step)
    with pytest.raises(TrainingDivergedError, match=r"became nan at epoch 2, step 3 of 10.*kept epoch 1"):
        quiet(fit, config, out=tmp_path, data_root=str(synthetic_data))
    checkpoint = read_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert len(checkpoint.history) == 1
    assert all(np.isfinite(a).all() for a in checkpoint.model_state.values())
    assert weights_equal(tg.load(tmp_path / "model.npz"), checkpoint.model_state)
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "diverged"


def test_weights_that_turn_nan_while_the_loss_stays_finite_stop_training_at_the_epoch_end(
        synthetic_data, tmp_path, monkeypatch):
    real_train_epoch = train_module.train_epoch

    def poisoning_train_epoch(model, loader, optimizer, on_batch=None, epoch=None, **options):
        loss = real_train_epoch(model, loader, optimizer, on_batch, epoch=epoch, **options)
        if epoch == 2:  # as a last step whose own loss was finite could leave them (ReLU on numba hides NaN)
            model.parameters()[0].data[0, 0] = np.nan
        return loss

    monkeypatch.setattr(train_module, "train_epoch", poisoning_train_epoch)
    with pytest.raises(TrainingDivergedError, match=r"weight '0\.weight' became NaN or infinite in epoch 2"):
        quiet(fit, SGD, out=tmp_path, data_root=str(synthetic_data))
    assert len(read_checkpoint(tmp_path / CHECKPOINT_NAME).history) == 1


def test_weights_that_overflow_stop_training_too(synthetic_data, tmp_path):
    config = dataclasses.replace(SGD, lr=1e20, epochs=2)
    with np.errstate(all="ignore"), pytest.raises(TrainingDivergedError, match="epoch 1"):
        quiet(fit, config, out=tmp_path, data_root=str(synthetic_data))
    assert not (tmp_path / CHECKPOINT_NAME).exists()


def no_data(*args, **kwargs):
    raise AssertionError("the data was loaded before the settings and the folder were checked")


@pytest.mark.parametrize(("change", "message"), [
    (dict(lr=float("nan")), "learning rate"), (dict(lr=float("inf")), "learning rate"), (dict(lr=0.0), "learning rate"),
    (dict(lr=-0.1), "learning rate"), (dict(momentum=float("nan")), "momentum"), (dict(momentum=1.0), "momentum"),
    (dict(epochs=0), "epochs"), (dict(batch_size=0), "batch_size"), (dict(limit_train=0), "limit_train"),
    (dict(limit_test=-5), "limit_test"), (dict(seed=-1), "seed"), (dict(layers=(784,)), "2 to"),
    (dict(layers=(784, 0, 10)), "positive integers"), (dict(layers=(784, 10**7, 10)), "parameters"),
    (dict(layers=(784, 10, 7)), "last layer size must be 10"), (dict(activation="nope"), "unknown activation"),
    (dict(optimizer="lbfgs"), "unknown optimizer"), (dict(dataset="cifar"), "unknown dataset"),
])
def test_bad_settings_are_refused_before_any_data_is_loaded(change, message, tmp_path, monkeypatch):
    monkeypatch.setattr(train_module, "load_dataset", no_data)
    config = dataclasses.replace(SGD, **change)
    with pytest.raises(ValueError, match=message):
        validate_config(config)
    with pytest.raises(ValueError, match=message):
        quiet(fit, config, out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_the_output_folder_is_checked_before_any_data_is_loaded(tmp_path, monkeypatch):
    monkeypatch.setattr(train_module, "load_dataset", no_data)
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ValueError, match="a-file is a file, not a folder"):
        quiet(fit, SGD, out=tmp_path / "a-file")
    with pytest.raises(OSError, match="cannot be created"):
        quiet(fit, SGD, out=tmp_path / "a-file" / "run")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write into any folder")
def test_an_unwritable_output_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(train_module, "load_dataset", no_data)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OSError, match="is not writable"):
            quiet(fit, SGD, out=locked)
    finally:
        locked.chmod(0o700)


def test_a_new_run_does_not_overwrite_a_checkpoint_that_could_be_resumed(synthetic_data, tmp_path, monkeypatch):
    stopping_loader(monkeypatch, epoch=2, step=1, error=KeyboardInterrupt)
    with pytest.raises(TrainingInterrupted):
        quiet(fit, SGD, out=tmp_path, data_root=str(synthetic_data))
    monkeypatch.undo()
    before = (tmp_path / CHECKPOINT_NAME).read_bytes()
    with pytest.raises(ValueError, match=r"unfinished run \(epoch 1 of 4\); resume it"):
        quiet(fit, SGD, out=tmp_path, data_root=str(synthetic_data))
    assert (tmp_path / CHECKPOINT_NAME).read_bytes() == before


def test_resume_refuses_other_data_and_too_few_epochs(synthetic_data, tmp_path):
    quiet(fit, dataclasses.replace(SGD, epochs=2), out=tmp_path, data_root=str(synthetic_data))
    with pytest.raises(ValueError, match="already holds 2 epochs; cannot resume it to 1"):
        quiet(resume, tmp_path, epochs=1)
    checkpoint = tmp_path / CHECKPOINT_NAME
    state, metadata = tg.load(checkpoint), load_metadata(checkpoint)
    tg.save(state, checkpoint, metadata={**metadata, "config": {**metadata["config"], "limit_train": 600}})
    with pytest.raises(ValueError, match="data differs from the data this run was trained on"):
        quiet(resume, tmp_path, epochs=3)
    with pytest.raises(ValueError, match=r"no checkpoint\.npz to resume from"):
        quiet(resume, tmp_path / "elsewhere")


def damaged(metadata: dict) -> list[tuple[str, dict, str]]:
    history = metadata["history"]
    return [
        ("a list", [1, 2], "JSON list, not an object"),
        ("lr nan", {**metadata, "config": {**metadata["config"], "lr": float("nan")}}, "learning rate"),
        ("unknown field", {**metadata, "config": {**metadata["config"], "extra": 1}}, "exactly the fields"),
        ("huge layers", {**metadata, "config": {**metadata["config"], "layers": [784, 10**12, 10]}}, "parameters"),
        ("epoch skipped", {**metadata, "history": [{**history[0], "epoch": 2}]}, "metrics for epoch 1"),
        ("string loss", {**metadata, "history": [{**history[0], "train_loss": "0.1"}]}, "metrics for epoch 1"),
        ("no shuffle", {**metadata, "shuffle": None}, "batch-order"),
        ("bad shuffle", {**metadata, "shuffle": {**metadata["shuffle"], "state": "x"}}, "batch-order"),
        ("lr differs", {**metadata, "optimizer": {**metadata["optimizer"], "param_groups": [
            {**metadata["optimizer"]["param_groups"][0], "lr": 1.0}]}}, "do not match"),
        ("no groups", {**metadata, "optimizer": {**metadata["optimizer"], "param_groups": []}}, "optimizer settings"),
        ("other optimizer", {**metadata, "optimizer": {**metadata["optimizer"], "optimizer": "Adam"}},
         "state of a Adam optimizer"),
        ("no random state", {**metadata, "random": None}, "global random-generator state"),
        ("stray schedule", {**metadata, "schedule": {"last_epoch": 1}}, "schedule state"),
        ("bad counts", {**metadata, "optimizer": {**metadata["optimizer"], "counts": {"x": {}}}}, "step counts"),
    ]


def test_a_damaged_checkpoint_is_refused_by_resume(synthetic_data, tmp_path):
    quiet(fit, dataclasses.replace(SGD, epochs=1), out=tmp_path / "good", data_root=str(synthetic_data))
    good = tmp_path / "good" / CHECKPOINT_NAME
    state, metadata = tg.load(good), load_metadata(good)
    for name, spoiled, message in damaged(metadata):
        folder = tmp_path / name.replace(" ", "-")
        folder.mkdir()
        if isinstance(spoiled, dict):
            tg.save(state, folder / CHECKPOINT_NAME, metadata=spoiled)
        else:
            arrays = {**state, "__metadata__": np.frombuffer(json.dumps(spoiled).encode(), np.uint8)}
            np.savez(folder / CHECKPOINT_NAME, **arrays)
        with pytest.raises(CheckpointError, match=message):
            quiet(resume, folder, epochs=2)
    shapes = {**state, "model.0.weight": np.zeros((3, 3), np.float32)}
    tg.save(shapes, tmp_path / "good" / CHECKPOINT_NAME, metadata=metadata)
    with pytest.raises(CheckpointError, match="do not fit"):
        quiet(resume, tmp_path / "good", epochs=2)


MODEL_METADATA = {"format": "tinygrad_vn.mlp/1", "layers": [784, 8, 10], "activation": "relu", "dataset": "mnist"}


@pytest.mark.parametrize(("metadata", "message"), [
    ([784, 8, 10], "JSON list, not an object"),
    ("text", "JSON str, not an object"),
    ({**MODEL_METADATA, "layers": [784, 10**12, 10]}, f"the limit is {MAX_PARAMETERS:,}"),
    ({**MODEL_METADATA, "layers": ["784", "8", "10"]}, "positive integers"),
    ({**MODEL_METADATA, "layers": [784, True, 10]}, "positive integers"),
    ({**MODEL_METADATA, "layers": "784,8,10"}, "list of layer sizes"),
    ({**MODEL_METADATA, "layers": [1] * 100}, "2 to 64"),
    ({**MODEL_METADATA, "activation": ["relu"]}, "unknown activation"),
    ({**MODEL_METADATA, "dataset": 3}, "unknown dataset"),
    ({**MODEL_METADATA, "input_mean": "0.1"}, "input_mean must be a finite number"),
    ({**MODEL_METADATA, "input_std": 0}, "input_std must be a finite number above 0"),
    ({**MODEL_METADATA, "layers": [784, 9, 10]}, "do not fit the architecture"),
])
def test_load_model_checks_the_metadata_before_building_anything(metadata, message, tmp_path):
    tg.manual_seed(0)
    state = build_model([784, 8, 10]).state_dict()
    arrays = {**state, "__metadata__": np.frombuffer(json.dumps(metadata).encode(), np.uint8)}
    np.savez(tmp_path / "model.npz", **arrays)
    with pytest.raises(CheckpointError, match=message):
        load_model(tmp_path / "model.npz")


def test_load_model_refuses_weights_that_are_not_finite_numbers(tmp_path):
    model = build_model([784, 8, 10])
    save_model(model, tmp_path / "ok.npz", TrainConfig(layers=(784, 8, 10), dropout=0.0))
    state = {**model.state_dict(), "0.bias": np.full(8, np.nan, np.float32)}
    tg.save(state, tmp_path / "nan.npz", metadata=load_metadata(tmp_path / "ok.npz"))
    with pytest.raises(CheckpointError, match=r"'0\.bias' holds NaN or infinite values"):
        load_model(tmp_path / "nan.npz")


def test_negative_limits_and_empty_test_sets_are_refused():
    with pytest.raises(ValueError, match="limit_test must be a count"):
        load_dataset("mnist", limit_test=-5)
    with pytest.raises(ValueError, match="0 samples"):
        evaluate(build_model([4, 2]), np.zeros((0, 4), np.float32), np.zeros(0, np.int64))

