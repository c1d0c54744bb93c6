"""Training recipes in ``train``: optimizers, weight decay, dropout, batch norm and schedules, their
compiled steps, their checkpoints and their model files."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import functional as F
from tinygrad_vn import nn, optim
from tinygrad_vn.cli import main
from tinygrad_vn.data.loader import DataLoader
from tinygrad_vn.factories import generator
from tinygrad_vn.serialization import CheckpointError, load_metadata
from tinygrad_vn.train import (
    CHECKPOINT_FORMAT_1,
    CHECKPOINT_NAME,
    LEGACY_CONFIG,
    TrainConfig,
    build_model,
    check_model_metadata,
    evaluate,
    fit,
    initial_state,
    load_model,
    make_optimizer,
    make_schedule,
    read_checkpoint,
    resume,
    run_title,
    train_epoch,
)

# a small network with every new part switched on, for the synthetic data (640 training, 160 test images)
RECIPE = TrainConfig(layers=(784, 24, 10), epochs=3, batch_size=64, seed=4, optimizer="adamw", lr=3e-3,
                     weight_decay=0.05, dropout=0.2, batchnorm=True, schedule="onecycle", standardize=True)


def quiet(fn, *args, **kwargs):
    return fn(*args, progress=False, log=lambda line: None, **kwargs)


def numbers(history) -> list[tuple[float, float, float]]:
    return [(m.train_loss, m.test_loss, m.test_accuracy) for m in history]


def weights_equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_the_model_has_batch_norm_before_and_dropout_after_each_hidden_activation():
    model = build_model([6, 5, 4, 3], "tanh", dropout=0.25, batchnorm=True)
    kinds = [type(layer).__name__ for layer in model.modules() if layer is not model]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear"]
    assert {m.p for m in model.modules() if isinstance(m, nn.Dropout)} == {0.25}
    plain = build_model([6, 5, 3])
    assert list(plain.state_dict()) == list(nn.mlp([6, 5, 3]).state_dict())


def eager_epoch(model, loader, optimizer, schedule) -> list[float]:
    model.train()
    losses = []
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(tg.Tensor(x)), y)
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    return losses


def test_the_compiled_step_gives_the_eager_numbers_with_dropout_batch_norm_and_a_per_batch_schedule():
    config = dataclasses.replace(RECIPE, layers=(20, 16, 16, 10), epochs=2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 20)).astype(np.float32)  # batches of 32 and a last one of 8: two recordings
    y = rng.integers(0, 10, 200)

    def trained(compiled: bool):
        model, shuffle = initial_state(config)
        optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, weight_decay=config.weight_decay)
        loader = DataLoader(x, y, 32, shuffle=True, seed=shuffle)
        schedule, per_batch = make_schedule(config, optimizer, len(loader))
        assert per_batch
        losses = []
        for _ in range(config.epochs):
            if compiled:
                losses.append(train_epoch(model, loader, optimizer, lambda n, loss: losses.append(loss),
                                          schedule=schedule))
            else:
                losses.extend(eager_epoch(model, loader, optimizer, schedule))
        return model, optimizer, losses, generator().bit_generator.state

    compiled_model, compiled_optimizer, compiled_losses, compiled_random = trained(True)
    eager_model, eager_optimizer, eager_losses, eager_random = trained(False)
    per_batch_losses = [loss for i, loss in enumerate(compiled_losses) if (i + 1) % 8 != 0]  # drop the epoch means
    assert per_batch_losses == eager_losses
    assert weights_equal(compiled_model.state_dict(), eager_model.state_dict())  # running statistics too
    assert compiled_random == eager_random  # the same dropout masks were drawn
    assert compiled_optimizer.param_groups[0]["lr"] == eager_optimizer.param_groups[0]["lr"]
    norm = next(m for m in compiled_model.modules() if isinstance(m, nn.BatchNorm1d))
    assert int(norm.num_batches_tracked.item()) == 2 * 7 and not np.allclose(norm.running_mean.data, 0)


def test_evaluate_runs_without_dropout_and_with_the_running_statistics():
    tg.manual_seed(0)
    model = build_model([12, 16, 4], dropout=0.5, batchnorm=True)
    x = np.random.default_rng(1).standard_normal((64, 12)).astype(np.float32)
    y = np.arange(64) % 4
    model.train()
    model(tg.Tensor(x))  # moves the running statistics away from 0 and 1
    first, again = evaluate(model, x, y), evaluate(model, x, y)
    assert not model.training
    assert first.loss == again.loss and np.array_equal(first.predictions, again.predictions)
    one_at_a_time = evaluate(model, x, y, batch_size=1)  # batch statistics of one sample would be degenerate
    assert np.array_equal(one_at_a_time.predictions, first.predictions)
    assert one_at_a_time.loss == pytest.approx(first.loss, rel=1e-5)


def test_weight_decay_is_decoupled_for_adamw_and_an_l2_term_for_the_others():
    params = build_model([3, 2]).parameters()
    adamw = make_optimizer("adamw", params, 1e-3)
    assert isinstance(adamw, optim.AdamW) and adamw.param_groups[0]["weight_decay"] == 0.01
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
    adam = make_optimizer("adam", params, 1e-3, weight_decay=0.1)
    assert adam.param_groups[0]["weight_decay"] == 0.1 and adam.param_groups[0]["decoupled_weight_decay"] is False
    rmsprop = make_optimizer("rmsprop", params, 1e-3, weight_decay=0.2)
    assert isinstance(rmsprop, optim.RMSprop) and rmsprop.param_groups[0]["weight_decay"] == 0.2
    assert (rmsprop.param_groups[0]["alpha"], rmsprop.param_groups[0]["eps"]) == (0.99, 1e-8)
    sgd = make_optimizer("sgd", params, 0.1, momentum=0.5)
    assert (sgd.param_groups[0]["momentum"], sgd.param_groups[0]["weight_decay"]) == (0.5, 0.0)
    assert "adamw lr 0.003 weight decay 0.05" in run_title(RECIPE)
    assert "weight decay" not in run_title(dataclasses.replace(RECIPE, optimizer="adam", weight_decay=None))


def torch_lrs(schedule: str, lr: float, epochs: int, steps_per_epoch: int) -> list[float]:
    """The learning rate after each epoch under torch's scheduler of the same name, stepped as train steps it."""
    torch = pytest.importorskip("torch", reason="the schedules are compared with PyTorch's")
    optimizer = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=lr)
    if schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    elif schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    else:
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.1)
    lrs = []
    for _ in range(epochs):
        for _ in range(steps_per_epoch if schedule == "onecycle" else 1):
            optimizer.step()
            scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


@pytest.mark.parametrize("schedule", ["step", "cosine", "onecycle"])
def test_each_schedule_sets_the_learning_rates_torchs_would(schedule, synthetic_data, tmp_path):
    config = dataclasses.replace(RECIPE, schedule=schedule, epochs=6, batchnorm=False, layers=(784, 8, 10))
    seen = []

    def log(line: str) -> None:
        if line.startswith("epoch "):
            seen.append(read_checkpoint(tmp_path / CHECKPOINT_NAME).optimizer_state["param_groups"][0]["lr"])

    fit(config, out=tmp_path, data_root=str(synthetic_data), progress=False, log=log)
    expected = torch_lrs(schedule, config.lr, config.epochs, 640 // config.batch_size)
    assert seen == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert len(set(seen)) > 1


def test_a_resumed_run_to_more_epochs_continues_a_step_schedule(synthetic_data, tmp_path):
    config = dataclasses.replace(RECIPE, optimizer="rmsprop", lr=1e-3, weight_decay=None, schedule="step", epochs=6)
    straight_model, straight = quiet(fit, config, out=tmp_path / "straight", data_root=str(synthetic_data))
    quiet(fit, dataclasses.replace(config, epochs=2), out=tmp_path / "resumed", data_root=str(synthetic_data))
    resumed_model, resumed = quiet(resume, tmp_path / "resumed", epochs=6)
    assert numbers(resumed) == numbers(straight)
    assert weights_equal(resumed_model.state_dict(), straight_model.state_dict())


@pytest.mark.parametrize("schedule", ["cosine", "onecycle"])
def test_a_schedule_laid_out_over_the_run_refuses_other_epochs_on_resuming(schedule, synthetic_data, tmp_path):
    quiet(fit, dataclasses.replace(RECIPE, schedule=schedule, epochs=1), out=tmp_path, data_root=str(synthetic_data))
    with pytest.raises(ValueError, match=f"its {schedule} schedule is laid out over the run's 1 epochs, so it "
                                         "cannot be resumed to 2"):
        quiet(resume, tmp_path, epochs=2)
    _, history = quiet(resume, tmp_path)  # all epochs trained: rewrites the run's files
    assert len(history) == 1


def test_a_batch_of_one_is_refused_with_batch_norm(synthetic_data, tmp_path):
    config = dataclasses.replace(RECIPE, batch_size=639)  # 640 images: a last batch of 1
    with pytest.raises(ValueError, match="batch norm needs at least 2 samples in every training batch"):
        quiet(fit, config, out=tmp_path / "run", data_root=str(synthetic_data))
    assert not (tmp_path / "run" / CHECKPOINT_NAME).exists()


def test_the_model_file_records_the_architecture_and_eval_rebuilds_it(synthetic_data, tmp_path, capsys):
    model, history = quiet(fit, RECIPE, out=tmp_path, data_root=str(synthetic_data))
    loaded, metadata = load_model(tmp_path / "model.npz")
    assert (metadata["dropout"], metadata["batchnorm"]) == (0.2, True)
    assert weights_equal(loaded.state_dict(), model.state_dict())
    assert "0.running_mean" not in metadata and "1.running_mean" in loaded.state_dict()
    assert not loaded.training
    from tinygrad_vn.train import input_scaling, load_dataset

    _, _, x_test, y_test = load_dataset("mnist", str(synthetic_data))
    result = evaluate(loaded, input_scaling(metadata)(x_test), y_test)
    assert (result.loss, result.accuracy) == (history[-1].test_loss, history[-1].test_accuracy)
    assert main(["eval", "--model", str(tmp_path / "model.npz"), "--data", str(synthetic_data)]) == 0
    assert f"accuracy {history[-1].test_accuracy:.2%}" in capsys.readouterr().out


GOOD_METADATA = {"format": "tinygrad_vn.mlp/1", "layers": [784, 8, 10], "activation": "relu", "dataset": "mnist"}


@pytest.mark.parametrize(("change", "message"), [
    ({"dropout": 1.0}, "dropout must be a number in"), ({"dropout": "0.2"}, "dropout must be a number in"),
    ({"dropout": -0.1}, "dropout must be a number in"), ({"batchnorm": "yes"}, "batchnorm must be true or false"),
    ({"batchnorm": 1}, "batchnorm must be true or false"), ({"layers_extra": [1]}, "unknown keys layers_extra"),
])
def test_model_metadata_accepts_exactly_the_architecture_keys(change, message):
    assert check_model_metadata({**GOOD_METADATA, "dropout": 0.5, "batchnorm": True}, "m.npz")["dropout"] == 0.5
    with pytest.raises(CheckpointError, match=message):
        check_model_metadata({**GOOD_METADATA, **change}, "m.npz")


def test_a_checkpoint_of_format_1_still_resumes_to_the_same_numbers(synthetic_data, tmp_path):
    config = dataclasses.replace(RECIPE, optimizer="sgd", lr=0.05, epochs=3, **LEGACY_CONFIG)
    _, straight = quiet(fit, config, data_root=str(synthetic_data))
    quiet(fit, dataclasses.replace(config, epochs=1), out=tmp_path, data_root=str(synthetic_data))
    path = tmp_path / CHECKPOINT_NAME
    state, metadata = tg.load(path), load_metadata(path)
    group = metadata["optimizer"]["param_groups"][0]
    old_config = {k: v for k, v in metadata["config"].items() if k not in LEGACY_CONFIG}
    old = {"format": CHECKPOINT_FORMAT_1, "config": old_config,
           "optimizer": {"optimizer": "SGD", "counts": metadata["optimizer"]["counts"],
                         "hyperparameters": {name: group[name] for name in ("lr", "momentum", "weight_decay")}},
           **{k: metadata[k] for k in ("history", "shuffle", "input_mean", "input_std", "data_digest", "data_root")}}
    tg.save(state, path, metadata=old)
    checkpoint = read_checkpoint(path)
    assert checkpoint.random_state is None and checkpoint.schedule_state is None
    _, resumed = quiet(resume, tmp_path, epochs=3)
    assert numbers(resumed) == numbers(straight)


def test_the_command_line_names_the_librarys_choices():
    from tinygrad_vn import train
    from tinygrad_vn.cli import train as command

    assert command.OPTIMIZER_NAMES == train.OPTIMIZERS and command.SCHEDULE_NAMES == train.SCHEDULES
    assert (command.STEP_SIZE, command.STEP_GAMMA) == (train.STEP_SIZE, train.STEP_GAMMA)


def test_a_resumed_run_compares_the_weight_decay_it_actually_uses(synthetic_data, tmp_path, capsys):
    out = str(tmp_path / "run")
    base = ["train", "--layers", "784,8,10", "--optimizer", "adamw", "--epochs", "1", "--no-progress"]
    assert main([*base, "--data", str(synthetic_data), "--out", out]) == 0
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["config"]["weight_decay"] is None
    capsys.readouterr()
    assert main(["train", "--resume", out, "--weight-decay", "0.01", "--no-progress"]) == 0  # AdamW's default
    assert main(["train", "--resume", out, "--weight-decay", "0.02", "--no-progress"]) == 1
    assert "--weight-decay 0.02 (the run has 0.01)" in capsys.readouterr().err
    assert math.isclose(read_checkpoint(tmp_path / "run" / CHECKPOINT_NAME).saved_settings()["weight_decay"], 0.01)
