"""Every optimizer and option against torch.optim over 100 steps; groups, state dicts, bad settings, tg.compile."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn, optim

torch = pytest.importorskip("torch", reason="the optimizers are compared with PyTorch's")

SHAPES = [(4, 3), (3,), (2, 2)]
STEPS = 100

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.001, alpha=0.9, eps=1e-6, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.001, momentum=0.9)),
    ("RMSprop", dict(lr=0.001, momentum=0.5, centered=True, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1, eps=1e-8)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.01, maximize=True)),
]
IDS = [f"{name}-{kwargs}" for name, kwargs in CASES]


def starting_weights(dtype) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def gradient(w: np.ndarray, step: int, index: int, sign: float = 1.0) -> np.ndarray:
    """A gradient that depends on the weights (so trajectories feed back) and changes each step
    (``sign`` -1: of the negated loss, which ``maximize=True`` climbs to the same minimum)."""
    rng = np.random.default_rng(1000 * step + index)
    return sign * ((w - 0.5) ** 3 + 0.3 * w + 0.1 * rng.standard_normal(w.shape).astype(w.dtype))


def sign_for(kwargs: dict) -> float:
    return -1.0 if kwargs.get("maximize") else 1.0


def run_ours(name: str, kwargs: dict, dtype, steps: int = STEPS) -> list[np.ndarray]:
    params = [Tensor(w, requires_grad=True) for w in starting_weights(dtype)]
    optimizer = getattr(optim, name)(params, **kwargs)
    for step in range(steps):
        for i, p in enumerate(params):
            p.grad = Tensor(gradient(p.data, step, i, sign_for(kwargs)))
        optimizer.step()
    assert all(np.isfinite(p.data).all() for p in params)
    return [p.data for p in params]


def run_torch(name: str, kwargs: dict, dtype, steps: int = STEPS) -> list[np.ndarray]:
    params = [torch.tensor(w, requires_grad=True) for w in starting_weights(dtype)]
    optimizer = getattr(torch.optim, name)(params, **kwargs)
    for step in range(steps):
        for i, p in enumerate(params):
            p.grad = torch.from_numpy(gradient(p.detach().numpy().copy(), step, i, sign_for(kwargs)))
        optimizer.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_hundred_steps_equal_torch_in_float64(name: str, kwargs: dict) -> None:
    for ours, theirs in zip(run_ours(name, kwargs, np.float64), run_torch(name, kwargs, np.float64)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_hundred_steps_equal_torch_in_float32(name: str, kwargs: dict) -> None:
    ours, theirs = run_ours(name, kwargs, np.float32), run_torch(name, kwargs, np.float32)
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_defaults_are_torchs() -> None:
    w, tw = Tensor([1.0], requires_grad=True), torch.zeros(1, requires_grad=True)
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"):
        ours, theirs = getattr(optim, name)([w]).defaults, getattr(torch.optim, name)([tw]).defaults
        assert ours == {key: theirs[key] for key in ours}, name


def test_an_mlp_trained_with_real_gradients_matches_torch() -> None:
    """Our autograd and torch's drive Adam with weight decay and nesterov SGD in two groups, 100 steps."""
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((16, 5)), rng.integers(0, 3, 16)
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    reference = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), reference.parameters()):
            theirs.copy_(torch.from_numpy(ours.data.T.copy() if ours.ndim == 2 else ours.data))
    for make in (
        lambda m, lib: lib.Adam([{"params": list(m[0].parameters()), "weight_decay": 0.1},
                                 {"params": list(m[2].parameters()), "lr": 0.002}], lr=0.01, amsgrad=True),
        lambda m, lib: lib.SGD([{"params": list(m[0].parameters())},
                                {"params": list(m[2].parameters()), "momentum": 0.5}], lr=0.1, momentum=0.9,
                               nesterov=True),
    ):
        ours_opt, theirs_opt = make(model, optim), make(reference, torch.optim)
        for _ in range(STEPS):
            ours_opt.zero_grad()
            F.cross_entropy(model(Tensor(x)), y).backward()
            ours_opt.step()
            theirs_opt.zero_grad()
            torch.nn.functional.cross_entropy(reference(torch.from_numpy(x)), torch.from_numpy(y)).backward()
            theirs_opt.step()
        for ours, theirs in zip(model.parameters(), reference.parameters()):
            theirs = theirs.detach().numpy()
            np.testing.assert_allclose(ours.data, theirs.T if ours.ndim == 2 else theirs, rtol=1e-6, atol=1e-6)


# ---- param groups ----

def two_groups(lr0: float = 0.1) -> tuple[list[Tensor], list[Tensor]]:
    first = [Tensor(np.ones((2, 2)), requires_grad=True), Tensor(np.ones(2), requires_grad=True)]
    second = [Tensor(np.ones(3), requires_grad=True)]
    return first, second


def test_param_groups_carry_every_setting_and_their_own_overrides() -> None:
    first, second = two_groups()
    opt = optim.SGD([{"params": first}, {"params": second, "lr": 0.5, "momentum": 0.0}], lr=0.01, momentum=0.9)
    assert [len(g["params"]) for g in opt.param_groups] == [2, 1]
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["momentum"] == 0.9
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.0
    assert set(opt.param_groups[0]) == {"params", "lr", "momentum", "dampening", "weight_decay", "nesterov",
                                        "maximize"}
    assert opt.defaults["lr"] == 0.01 and opt.lr == 0.01
    for p in first + second:
        p.grad = Tensor(np.ones(p.shape))
    opt.step()
    np.testing.assert_allclose(first[0].data, 1 - 0.01)
    np.testing.assert_allclose(second[0].data, 1 - 0.5)
    assert first[0] in opt.state and "momentum_buffer" in opt.state[first[0]] and not opt.state[second[0]]


def test_changing_a_groups_lr_takes_effect_at_the_next_step() -> None:
    first, second = two_groups()
    opt = optim.SGD([{"params": first}, {"params": second}], lr=0.1)
    opt.param_groups[1]["lr"] = 0.25
    for p in first + second:
        p.grad = Tensor(np.ones(p.shape))
    opt.step()
    np.testing.assert_allclose(first[1].data, 0.9)
    np.testing.assert_allclose(second[0].data, 0.75)
    with pytest.raises(ValueError, match="single param group"):
        opt.lr = 0.3


def test_add_param_group_fills_defaults_and_refuses_overlap() -> None:
    first, second = two_groups()
    opt = optim.Adam(first, lr=0.01, betas=(0.5, 0.6))
    opt.add_param_group({"params": second[0], "lr": 0.2})
    assert opt.param_groups[1]["betas"] == (0.5, 0.6) and opt.param_groups[1]["lr"] == 0.2
    assert opt.param_groups[1]["params"] == [second[0]]
    with pytest.raises(ValueError, match="already in another param group"):
        opt.add_param_group({"params": [first[0]]})
    with pytest.raises(ValueError, match="appears twice"):
        opt.add_param_group({"params": [Tensor([1.0], requires_grad=True)] * 2})
    with pytest.raises(ValueError, match="no 'params'"):
        opt.add_param_group({"lr": 0.1})
    with pytest.raises(TypeError, match="not a set"):
        opt.add_param_group({"params": {Tensor([1.0], requires_grad=True)}})
    with pytest.raises(ValueError, match=r"param group 2: learning rate \(lr\) must be non-negative"):
        opt.add_param_group({"params": [Tensor([1.0], requires_grad=True)], "lr": -1.0})
    assert len(opt.param_groups) == 2


def test_a_bad_setting_written_into_a_group_is_refused_at_the_next_step() -> None:
    w = Tensor([1.0], requires_grad=True)
    opt = optim.Adam([w])
    w.grad = Tensor([1.0])
    opt.param_groups[0]["lr"] = float("nan")
    with pytest.raises(ValueError, match=r"param group 0: learning rate \(lr\) must be a finite number"):
        opt.step()
    assert w.item() == 1.0 and not opt.state[w]


def test_step_bumps_the_version_of_updated_parameters_only() -> None:
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    a.grad = Tensor([1.0])
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"):
        before_a, before_b = a._version, b._version
        getattr(optim, name)([a, b]).step()
        assert a._version == before_a + 1 and b._version == before_b, name


def test_zero_grad_sets_to_none_or_zeros() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = Tensor([3.0, 4.0])
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and np.array_equal(grad.data, [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


def test_step_with_a_closure_returns_its_loss() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 5.0
    np.testing.assert_allclose(w.data, [0.0, 0.0])


# ---- state dicts ----

def take_steps(params: list[Tensor], opt: optim.Optimizer, first: int, count: int) -> None:
    sign = -1.0 if opt.param_groups[0].get("maximize") else 1.0
    for step in range(first, first + count):
        for i, p in enumerate(params):
            p.grad = Tensor(gradient(p.data, step, i, sign))
        opt.step()


def grouped(name: str, kwargs: dict, params: list[Tensor]) -> optim.Optimizer:
    return getattr(optim, name)([{"params": params[:2]}, {"params": params[2:], "lr": 0.003}], **kwargs)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_state_dict_resumes_bit_for_bit(name: str, kwargs: dict) -> None:
    straight = [Tensor(w, requires_grad=True) for w in starting_weights(np.float32)]
    take_steps(straight, grouped(name, kwargs, straight), 0, 20)

    first = [Tensor(w, requires_grad=True) for w in starting_weights(np.float32)]
    first_opt = grouped(name, kwargs, first)
    take_steps(first, first_opt, 0, 10)
    saved_weights, saved_state = [p.data.copy() for p in first], first_opt.state_dict()
    take_steps(first, first_opt, 10, 1)  # the saved state is a copy, not the live buffers
    resumed = [Tensor(w, requires_grad=True) for w in saved_weights]
    fresh = getattr(optim, name)([{"params": resumed[:2]}, {"params": resumed[2:]}], lr=1.0)
    fresh.load_state_dict(saved_state)
    assert fresh.state_dict()["param_groups"] == saved_state["param_groups"]
    take_steps(resumed, fresh, 10, 10)
    for a, b in zip(resumed, straight):
        assert np.array_equal(a.data, b.data)


def test_state_dict_has_torchs_layout() -> None:
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    ta, tb = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0], requires_grad=True)
    ours = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.1}], amsgrad=True)
    theirs = torch.optim.Adam([{"params": [ta]}, {"params": [tb], "lr": 0.1}], amsgrad=True)
    a.grad, ta.grad = Tensor([1.0, 1.0]), torch.ones(2)
    ours.step()
    theirs.step()
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert set(mine) == set(reference) == {"state", "param_groups"}
    assert list(mine["state"]) == list(reference["state"]) == [0]
    assert set(mine["state"][0]) == set(reference["state"][0])
    assert mine["state"][0]["step"] == 1
    for group, their_group in zip(mine["param_groups"], reference["param_groups"]):
        assert group["params"] == their_group["params"]
        assert {key: their_group[key] for key in group} == group


def test_adagrad_state_exists_from_the_start_as_torchs() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    state = optim.Adagrad([w], initial_accumulator_value=0.5).state_dict()["state"]
    assert state[0]["step"] == 0 and np.array_equal(state[0]["sum"], [0.5, 0.5])


def test_the_layout_from_before_param_groups_still_loads() -> None:
    """train.py checkpoints hold {"optimizer", "hyperparameters", "state"}; settings added since take their defaults."""
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    old = {"optimizer": "SGD", "hyperparameters": {"lr": 0.2, "momentum": 0.5, "weight_decay": 0.0},
           "state": {0: {"momentum_buffer": np.array([0.1, 0.2])}}}
    opt = optim.SGD([w], lr=0.01)
    opt.load_state_dict(old)
    assert opt.param_groups[0]["lr"] == 0.2 and opt.param_groups[0]["nesterov"] is False
    np.testing.assert_array_equal(opt.state[w]["momentum_buffer"], [0.1, 0.2])
    with pytest.raises(ValueError, match="'SGD' optimizer into Adam"):
        optim.Adam([w]).load_state_dict(old)


def one_step(name: str, **kwargs) -> tuple[optim.Optimizer, dict]:
    params = [Tensor(w, requires_grad=True) for w in starting_weights(np.float64)]
    opt = getattr(optim, name)([{"params": params[:2]}, {"params": params[2:]}], **kwargs)
    take_steps(params, opt, 0, 1)
    return opt, opt.state_dict()


@pytest.mark.parametrize(("name", "spoil", "message"), [
    ("SGD", lambda s: s["state"][0].update(momentum_buffer=np.zeros(3)), "shape"),
    ("SGD", lambda s: s["state"][0].update(momentum_buffer=np.full(SHAPES[0], np.nan)), "finite"),
    ("SGD", lambda s: s["state"].update({5: s["state"][0]}), "index 5"),
    ("SGD", lambda s: s["state"][0].update(extra=1), "exactly the keys"),
    ("SGD", lambda s: s["param_groups"][1].update(lr=float("nan")), "param group 1 of the loaded state: learning"),
    ("SGD", lambda s: s["param_groups"][0].update(nesterov=True, dampening=0.5), "Nesterov"),
    ("SGD", lambda s: s["param_groups"].pop(), "1 param groups, this optimizer 2"),
    ("SGD", lambda s: s["param_groups"][1]["params"].append(7), "2 parameters, this optimizer's has 1"),
    ("SGD", lambda s: s["param_groups"][1].update(params=[0]), "integer used once"),
    ("SGD", lambda s: s["param_groups"][0].pop("momentum"), "lacks momentum"),
    ("Adam", lambda s: s["state"][0].update(step=0), "positive integer"),
    ("Adam", lambda s: s["state"][0].update(exp_avg_sq=-np.ones(SHAPES[0])), "negative"),
    ("Adam", lambda s: s["param_groups"][0].update(betas=(0.9, 1.0)), "betas"),
    ("Adam", lambda s: s.pop("state"), "keys state and param_groups"),
    ("AdamW", lambda s: s["param_groups"][0].update(decoupled_weight_decay=False), "always True for AdamW"),
    ("RMSprop", lambda s: s["param_groups"][0].update(alpha=1.5), r"alpha must lie in \[0, 1\]"),
])
def test_load_state_dict_checks_everything_before_changing_anything(name, spoil, message) -> None:
    opt, state = one_step(name, momentum=0.9) if name == "SGD" else one_step(name)
    before = opt.state_dict()
    spoil(state)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(state)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for key, value in before["state"][0].items():
        assert np.array_equal(after["state"][0][key], value)


def test_loading_a_state_from_another_optimizer_names_what_is_missing() -> None:
    _, adam_state = one_step("Adam")
    sgd, _ = one_step("SGD")
    with pytest.raises(ValueError, match=r"lacks momentum, dampening, nesterov .*another optimizer"):
        sgd.load_state_dict(adam_state)


# ---- bad settings ----

BAD = [
    ("SGD", dict(lr=-0.1), "learning rate"), ("SGD", dict(lr=float("nan")), "learning rate"),
    ("SGD", dict(momentum=-0.5), "momentum"), ("SGD", dict(dampening=float("inf")), "dampening"),
    ("SGD", dict(weight_decay=-1.0), "weight_decay"), ("SGD", dict(nesterov=True), "Nesterov"),
    ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"), ("SGD", dict(nesterov=1), "nesterov"),
    ("SGD", dict(lr="0.1"), "must be a number"),
    ("Adam", dict(betas=(0.9, 1.0)), "betas"), ("Adam", dict(betas=(0.9,)), "betas"),
    ("Adam", dict(betas=(-0.1, 0.9)), "betas"), ("Adam", dict(eps=-1e-8), "eps"),
    ("Adam", dict(amsgrad="yes"), "amsgrad"), ("AdamW", dict(weight_decay=float("nan")), "weight_decay"),
    ("RMSprop", dict(alpha=-0.1), "alpha"), ("RMSprop", dict(momentum=-1.0), "momentum"),
    ("RMSprop", dict(centered=None), "centered"),
    ("Adagrad", dict(lr_decay=-0.1), "lr_decay"), ("Adagrad", dict(initial_accumulator_value=-1.0), "initial_acc"),
    ("Adagrad", dict(eps=float("inf")), "eps"),
    ("Adadelta", dict(rho=1.5), "rho"), ("Adadelta", dict(lr=float("-inf")), "learning rate"),
]


@pytest.mark.parametrize(("name", "kwargs", "message"), BAD, ids=[f"{n}-{k}" for n, k, _ in BAD])
def test_bad_settings_are_refused_with_their_name(name: str, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([Tensor([1.0], requires_grad=True)], **kwargs)


def test_bad_parameter_lists_are_refused() -> None:
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="wrap a single tensor in a list"):
        optim.SGD(w)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="not a leaf"):
        optim.Adam([w * 2])
    with pytest.raises(TypeError, match="parameter 1 is a dict"):
        optim.Adam([w, {"params": [w]}])


# ---- tg.compile ----

def classifier(name: str, kwargs: dict) -> tuple[nn.Module, optim.Optimizer]:
    tg.manual_seed(3)
    model = nn.mlp([6, 5, 3], "relu")
    return model, getattr(optim, name)([{"params": model[0].parameters()},
                                        {"params": model[2].parameters(), "lr": 0.003}], **kwargs)


def batches(count: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    return [(rng.random((8, 6), dtype=np.float32), rng.integers(0, 3, 8)) for _ in range(count)]


def make_step(model: nn.Module, opt: optim.Optimizer):
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


@pytest.mark.parametrize(("name", "kwargs"), CASES[1::2], ids=IDS[1::2])
def test_compiled_steps_equal_eager_steps_as_lr_changes_between_calls(name: str, kwargs: dict) -> None:
    eager_model, eager_opt = classifier(name, kwargs)
    model, opt = classifier(name, kwargs)
    eager, compiled = make_step(eager_model, eager_opt), tg.compile(make_step(model, opt))
    for i, (x, y) in enumerate(batches() * 2):
        for o in (eager_opt, opt):
            o.param_groups[0]["lr"] = 0.02 / (i + 1)  # a schedule, read by each replayed step
        assert compiled(x, y).item() == eager(Tensor(x), y).item()
    assert len(compiled.programs) == 1
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert np.array_equal(p.data, q.data)
