"""SGD and Adam follow torch.optim's update equations, and updates never build graph (tests/optim/ compares
every optimizer, option and schedule with PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import Tensor, optim

START = np.array([[0.5, -1.0, 2.0], [0.1, 0.0, -0.3]])
TARGET = np.array([[1.0, 2.0, -1.0], [0.5, 0.5, 0.5]])
STEPS = 5


def loss_grad(w: np.ndarray) -> np.ndarray:
    """Gradient of Σ (w − target)⁴ / 4 + Σ w², a loss whose gradient changes from step to step."""
    return (w - TARGET) ** 3 + 2 * w


def run_ours(make, steps: int = STEPS) -> list[np.ndarray]:
    w = Tensor(START, requires_grad=True)
    optimizer = make([w])
    history = []
    for _ in range(steps):
        loss = (((w - TARGET) ** 4) / 4).sum() + (w * w).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert w.is_leaf and w.grad_fn is None and w.requires_grad
        history.append(w.data.copy())
    return history


def sgd_reference(lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> list[np.ndarray]:
    """torch.optim.SGD's documented update, written out."""
    w, buf, history = START.copy(), None, []
    for _ in range(STEPS):
        g = loss_grad(w) + weight_decay * w
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + g
            g = buf
        w = w - lr * g
        history.append(w)
    return history


def adam_reference(lr: float, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0) -> list[np.ndarray]:
    """torch.optim.Adam's documented update (Kingma & Ba with bias correction), written out."""
    w, m, v, history = START.copy(), np.zeros_like(START), np.zeros_like(START), []
    for t in range(1, STEPS + 1):
        g = loss_grad(w) + weight_decay * w
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(w)
    return history


SGD_CASES = [dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.1, weight_decay=0.01),
             dict(lr=0.02, momentum=0.5, weight_decay=0.1)]
ADAM_CASES = [dict(lr=0.01), dict(lr=0.1, betas=(0.8, 0.99)), dict(lr=0.05, eps=1e-3), dict(lr=0.01, weight_decay=0.1)]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=str)
def test_sgd_matches_its_equations(kwargs) -> None:
    for ours, ref in zip(run_ours(lambda p: optim.SGD(p, **kwargs)), sgd_reference(**kwargs)):
        np.testing.assert_allclose(ours, ref, rtol=1e-12)


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=str)
def test_adam_matches_its_equations(kwargs) -> None:
    for ours, ref in zip(run_ours(lambda p: optim.Adam(p, **kwargs)), adam_reference(**kwargs)):
        np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_adam_defaults() -> None:
    adam = optim.Adam([Tensor([1.0], requires_grad=True)])
    group = adam.param_groups[0]
    assert adam.lr == 1e-3 and group["betas"] == (0.9, 0.999) and group["eps"] == 1e-8 and adam.defaults == {
        key: value for key, value in group.items() if key != "params"}


@pytest.mark.parametrize(("name", "kwargs"), [("SGD", c) for c in SGD_CASES] + [("Adam", c) for c in ADAM_CASES],
                         ids=str)
def test_optimizers_match_pytorch(name: str, kwargs) -> None:
    torch = pytest.importorskip("torch")
    w = torch.tensor(START, requires_grad=True)
    optimizer = getattr(torch.optim, name)([w], **kwargs)
    expected = []
    for _ in range(STEPS):
        loss = (((w - torch.tensor(TARGET)) ** 4) / 4).sum() + (w * w).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        expected.append(w.detach().numpy().copy())
    for ours, ref in zip(run_ours(lambda p: getattr(optim, name)(p, **kwargs)), expected):
        np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_updates_work_in_place_on_float32_parameters() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    (w * w).sum().backward()
    optim.SGD([w], lr=0.25).step()
    assert w.data is data and w.dtype == np.float32
    np.testing.assert_allclose(w.data, [0.5, 1.0])


def test_step_builds_no_graph_even_with_grad_enabled() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * 3
    y.sum().backward()
    for make in (lambda: optim.SGD([w], lr=0.1, momentum=0.9), lambda: optim.Adam([w])):
        make().step()
        assert tg.is_grad_enabled() and w.is_leaf and w.grad_fn is None
    assert w.grad.grad_fn is None and not w.grad.requires_grad


def test_zero_grad_and_parameters_without_gradients() -> None:
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    sgd = optim.SGD([a, b], lr=1.0)
    (a * 3).sum().backward()
    sgd.step()
    assert a.item() == -2.0 and b.item() == 2.0
    sgd.zero_grad()
    assert a.grad is None and b.grad is None


def test_optimizer_argument_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="require grad"):
        optim.SGD([Tensor([1.0])], lr=0.1)
    with pytest.raises(TypeError, match="Tensor"):
        optim.Adam([np.ones(2)])
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([Tensor([1.0], requires_grad=True)], lr=-1)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([Tensor([1.0], requires_grad=True)], betas=(1.0, 0.5))


def test_optimizers_accept_module_parameters() -> None:
    model = tg.nn.Linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.data.copy()
    model(Tensor([[1.0, 2.0]])).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(model.weight.data, before - 0.1 * np.array([[1.0], [2.0]]), rtol=1e-6)


MAKERS = {"SGD": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
          "Adam": lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)}


def take_steps(w: Tensor, optimizer: optim.Optimizer, steps: int) -> None:
    for _ in range(steps):
        loss = (((w - TARGET) ** 4) / 4).sum() + (w * w).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@pytest.mark.parametrize("name", MAKERS)
def test_state_dict_resumes_bit_for_bit(name: str) -> None:
    straight = Tensor(START, requires_grad=True)
    take_steps(straight, MAKERS[name]([straight]), 2 * STEPS)

    first = Tensor(START, requires_grad=True)
    first_optimizer = MAKERS[name]([first])
    take_steps(first, first_optimizer, STEPS)
    saved_weights, saved_state = first.data.copy(), first_optimizer.state_dict()
    take_steps(first, first_optimizer, 1)  # the saved state must be a copy, not a view of live buffers
    resumed = Tensor(saved_weights, requires_grad=True)
    fresh = getattr(optim, name)([resumed], lr=1.0)
    fresh.load_state_dict(saved_state)
    assert fresh.hyperparameters() == first_optimizer.hyperparameters()
    take_steps(resumed, fresh, STEPS)
    assert np.array_equal(resumed.data, straight.data)


def test_state_dict_lists_buffers_by_parameter_index_as_torch_does() -> None:
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    adam = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    adam.step()
    state = adam.state_dict()
    assert set(state) == {"state", "param_groups"} and state["param_groups"][0]["betas"] == (0.9, 0.999)
    assert state["param_groups"][0]["params"] == [0, 1] and adam.hyperparameters()["betas"] == [0.9, 0.999]
    assert list(state["state"]) == [0] and state["state"][0]["step"] == 1
    assert set(state["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    sgd = optim.SGD([a, b], lr=0.1, momentum=0.5)
    assert sgd.state_dict()["state"] == {}


def test_loading_state_resets_the_buffers_it_does_not_mention() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    sgd = optim.SGD([w], lr=0.1, momentum=0.9)
    empty = sgd.state_dict()
    (w * w).sum().backward()
    sgd.step()
    sgd.load_state_dict(empty)
    assert not sgd.state[w]


def one_step_state(name: str) -> tuple[optim.Optimizer, dict]:
    """An optimizer after one step, and its state in the single-group layout that training checkpoints keep."""
    w = Tensor(START, requires_grad=True)
    optimizer = MAKERS[name]([w])
    take_steps(w, optimizer, 1)
    return optimizer, {"optimizer": name, "hyperparameters": optimizer.hyperparameters(),
                       "state": optimizer.state_dict()["state"]}


@pytest.mark.parametrize(("name", "spoil", "message"), [
    ("SGD", lambda s: s["state"][0].update(momentum_buffer=np.zeros(3)), "shape"),
    ("SGD", lambda s: s["state"][0].update(momentum_buffer=np.full(START.shape, np.nan)), "finite"),
    ("SGD", lambda s: s["state"].update({5: s["state"][0]}), "index 5"),
    ("SGD", lambda s: s["state"][0].update(extra=1), "exactly the keys"),
    ("SGD", lambda s: s["hyperparameters"].update(lr=float("nan")), "finite"),
    ("SGD", lambda s: s.update(optimizer="Adam"), "'Adam' optimizer into SGD"),
    ("Adam", lambda s: s["state"][0].update(step=0), "positive integer"),
    ("Adam", lambda s: s["state"][0].update(exp_avg_sq=-np.ones(START.shape)), "negative"),
    ("Adam", lambda s: s["hyperparameters"].update(betas=[0.9, 1.0]), "betas"),
    ("Adam", lambda s: s.pop("state"), "keys state and param_groups"),
    ("Adam", lambda s: s["hyperparameters"].pop("eps"), "hyperparameters must have exactly the keys"),
])
def test_load_state_dict_checks_everything_before_changing_anything(name, spoil, message) -> None:
    optimizer, state = one_step_state(name)
    before = optimizer.state_dict()
    spoil(state)
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(state)
    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for key, value in before["state"][0].items():
        assert np.array_equal(after["state"][0][key], value)


@pytest.mark.parametrize("kwargs", [dict(lr=float("nan")), dict(lr=float("inf")), dict(lr=0.1, momentum=float("nan")),
                                    dict(lr=0.1, momentum=-0.5), dict(lr=0.1, weight_decay=float("inf")),
                                    dict(lr="0.1")])
def test_sgd_refuses_non_finite_or_negative_settings(kwargs) -> None:
    with pytest.raises(ValueError, match=r"learning rate|momentum|weight_decay"):
        optim.SGD([Tensor([1.0], requires_grad=True)], **kwargs)


@pytest.mark.parametrize("kwargs", [dict(lr=float("nan")), dict(betas=(float("nan"), 0.9)), dict(betas=(0.9,)),
                                    dict(betas=(0.9, -0.1)), dict(eps=float("inf")), dict(eps=-1e-8),
                                    dict(weight_decay=float("nan"))])
def test_adam_refuses_non_finite_or_out_of_range_settings(kwargs) -> None:
    with pytest.raises(ValueError, match=r"learning rate|betas|eps|weight_decay"):
        optim.Adam([Tensor([1.0], requires_grad=True)], **kwargs)
