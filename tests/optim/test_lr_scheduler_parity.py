"""Every lr_scheduler's learning rates against torch's over 100 steps, state dicts that resume, bad arguments."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tinygrad_vn import Tensor, optim
from tinygrad_vn.optim import lr_scheduler

torch = pytest.importorskip("torch", reason="the schedules are compared with PyTorch's")

STEPS = 100
METRICS = [*np.linspace(1.0, 0.5, 20), *[0.5] * 40, *np.random.default_rng(0).random(40)]


class Warmup:
    """A callable object (its attributes are saved by LambdaLR.state_dict, as torch does)."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.epochs)


SCHEDULES = {
    "StepLR": lambda o, m: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda o, m: m.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3),
    "ExponentialLR": lambda o, m: m.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda o, m: m.CosineAnnealingLR(o, T_max=20, eta_min=0.001),
    "LambdaLR": lambda o, m: m.LambdaLR(o, lr_lambda=[lambda e: 1 / (1 + e), Warmup(10)]),
    "LinearLR": lambda o, m: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=30),
    "OneCycleLR": lambda o, m: m.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS),
    "OneCycleLR-three-phase-linear": lambda o, m: m.OneCycleLR(o, max_lr=0.5, epochs=10, steps_per_epoch=10,
                                                               three_phase=True, anneal_strategy="linear",
                                                               pct_start=0.25, div_factor=10.0),
    "SequentialLR": lambda o, m: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=10),
                                                    m.ExponentialLR(o, gamma=0.9),
                                                    m.CosineAnnealingLR(o, T_max=30)], milestones=[10, 40]),
    "ReduceLROnPlateau": lambda o, m: m.ReduceLROnPlateau(o, patience=3, cooldown=2, factor=0.5,
                                                          min_lr=[0.001, 0.01]),
    "ReduceLROnPlateau-max-abs": lambda o, m: m.ReduceLROnPlateau(o, mode="max", threshold_mode="abs",
                                                                  threshold=0.01, patience=2),
}


def grouped(lib, name: str = "SGD"):
    """An optimizer with two groups of different learning rates, from ``lib`` (optim or torch.optim)."""
    tensor = (lambda: Tensor(np.zeros(2), requires_grad=True)) if lib is optim else (
        lambda: torch.zeros(2, requires_grad=True))
    extra = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    return getattr(lib, name)([{"params": [tensor()]}, {"params": [tensor()], "lr": 0.05}], lr=0.1, **extra)


def sequence(schedule, opt, steps: int, first: int = 0, metric_key: str = "lr") -> list[list[float]]:
    values = []
    for i in range(first, first + steps):
        opt.step()
        if isinstance(schedule, (lr_scheduler.ReduceLROnPlateau, torch.optim.lr_scheduler.ReduceLROnPlateau)):
            schedule.step(METRICS[i])
        else:
            schedule.step()
        values.append(schedule.get_last_lr() + [g.get("momentum", g.get("betas", (0,))[0]) for g in opt.param_groups])
    return values


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_learning_rates_equal_torchs_for_100_steps(name: str, optimizer: str) -> None:
    ours_opt, theirs_opt = grouped(optim, optimizer), grouped(torch.optim, optimizer)
    ours, theirs = SCHEDULES[name](ours_opt, lr_scheduler), SCHEDULES[name](theirs_opt, torch.optim.lr_scheduler)
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), abs=1e-12)
    mine, reference = sequence(ours, ours_opt, STEPS), sequence(theirs, theirs_opt, STEPS)
    np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-9)  # lrs and the momenta OneCycleLR cycles
    assert ours.last_epoch == theirs.last_epoch
    assert [g["lr"] for g in ours_opt.param_groups] == ours.get_last_lr()
    assert len({tuple(row[:2]) for row in mine}) > 1, "the schedule never changed the learning rate"


@pytest.mark.parametrize("name", SCHEDULES)
def test_state_dict_resumes_the_schedule_exactly(name: str) -> None:
    straight_opt = grouped(optim)
    straight = sequence(SCHEDULES[name](straight_opt, lr_scheduler), straight_opt, 60)

    first_opt = grouped(optim)
    first = SCHEDULES[name](first_opt, lr_scheduler)
    sequence(first, first_opt, 30)
    saved_optimizer, saved_schedule = first_opt.state_dict(), first.state_dict()
    sequence(first, first_opt, 1)  # the saved dict is a copy

    resumed_opt = grouped(optim)
    resumed = SCHEDULES[name](resumed_opt, lr_scheduler)
    resumed_opt.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_schedule)
    assert sequence(resumed, resumed_opt, 30, first=30) == straight[30:]


def test_the_schedule_drives_the_optimizers_steps() -> None:
    w = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    schedule = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    moved = []
    for _ in range(5):
        w.grad = Tensor(np.ones(1))
        before = w.item()
        opt.step()
        schedule.step()
        moved.append(before - w.item())
    assert moved == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_step_with_an_epoch_uses_the_closed_form_with_a_warning() -> None:
    opt, theirs_opt = grouped(optim), grouped(torch.optim)
    ours, theirs = lr_scheduler.StepLR(opt, 3), torch.optim.lr_scheduler.StepLR(theirs_opt, 3)
    opt.step()
    theirs_opt.step()
    with pytest.warns(UserWarning, match="deprecated"):
        ours.step(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.step(7)
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), abs=1e-15) and ours.last_epoch == 7


def test_scheduler_step_before_optimizer_step_warns() -> None:
    opt = grouped(optim)
    schedule = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match=r"before optimizer\.step\(\)"):
        schedule.step()


def test_one_cycle_refuses_to_go_past_total_steps() -> None:
    opt = grouped(optim)
    schedule = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    opt.step()
    for _ in range(3):
        schedule.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        schedule.step()


def test_a_negative_lr_from_a_schedule_is_refused_by_the_step_that_would_use_it() -> None:
    w = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    schedule = lr_scheduler.LambdaLR(opt, lambda epoch: 1.0 - epoch)
    opt.step()
    schedule.step()
    schedule.step()
    assert schedule.get_last_lr() == [-0.1]
    w.grad = Tensor(np.ones(1))
    with pytest.raises(ValueError, match="learning rate"):
        opt.step()


def test_plateau_refuses_a_nan_metric() -> None:
    schedule = lr_scheduler.ReduceLROnPlateau(grouped(optim))
    with pytest.raises(ValueError, match="NaN metric"):
        schedule.step(float("nan"))
    with pytest.raises(ValueError, match="metric as a number"):
        schedule.step("low")


BAD = [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=float("nan")), "gamma"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[3, -1]), r"milestones\[1\]"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=-0.5), "gamma"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=float("inf")), "eta_min"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), "expected 2 lr_lambdas"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), "end_factor"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1), "total_steps"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), "pct_start"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=[0.1], total_steps=10), "max_lr has 1 values"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"), "anneal_strategy"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), "factor"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="lowest"), "mode"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), "patience"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)], milestones=[3]), "need 0 milestones"),
    (lambda o: lr_scheduler.StepLR(o, 2, last_epoch=3), "initial_lr"),
]


@pytest.mark.parametrize(("make", "message"), BAD, ids=[message for _, message in BAD])
def test_bad_arguments_are_refused_with_their_name(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(grouped(optim))


def test_a_scheduler_needs_our_optimizer_and_a_plateau_cannot_be_sequenced() -> None:
    with pytest.raises(TypeError, match="needs a tinygrad_vn optimizer"):
        lr_scheduler.StepLR(object(), 2)
    opt = grouped(optim)
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.ReduceLROnPlateau(opt), lr_scheduler.StepLR(opt, 2)], [3])
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        lr_scheduler.OneCycleLR(optim.Adagrad([Tensor([1.0], requires_grad=True)]), max_lr=0.1, total_steps=5)


def test_load_state_dict_refuses_another_schedulers_state() -> None:
    opt = grouped(optim)
    step_state = lr_scheduler.StepLR(opt, 2).state_dict()
    with pytest.raises(ValueError, match=r"wants the dict that CosineAnnealingLR\.state_dict"):
        lr_scheduler.CosineAnnealingLR(grouped(optim), T_max=5).load_state_dict(step_state)
    broken = {**step_state, "base_lrs": [0.1]}
    with pytest.raises(ValueError, match="one learning rate per param group"):
        lr_scheduler.StepLR(grouped(optim), 2).load_state_dict(broken)
