"""nn.Parameter: a registered, trainable leaf whose ops give plain Tensors and whose gradients arrive."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn


def _weights() -> np.ndarray:
    return np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5


OPS = {
    "p * 2": lambda p, x: p * 2,
    "2 * p": lambda p, x: 2 * p,
    "p + p": lambda p, x: p + p,
    "-p": lambda p, x: -p,
    "p @ x": lambda p, x: p @ x,
    "x.T @ p.T": lambda p, x: x.T @ p.T,
    "p.sum()": lambda p, x: p.sum(),
    "p.relu()": lambda p, x: p.relu(),
    "p[0]": lambda p, x: p[0],
    "p.reshape(3, 2)": lambda p, x: p.reshape(3, 2),
    "p.detach()": lambda p, x: p.detach(),
    "F.linear": lambda p, x: F.linear(x.T, p.T),
}


@pytest.mark.parametrize("name", OPS)
def test_an_op_on_a_parameter_gives_a_plain_tensor(name: str) -> None:
    p = nn.Parameter(_weights())
    x = Tensor(np.ones((3, 2), dtype=np.float32))
    out = OPS[name](p, x)
    assert type(out) is Tensor, f"{name} gave a {type(out).__name__}"


def test_gradients_reach_the_parameter_and_a_plain_tensor_operand() -> None:
    weights = _weights()
    inputs = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]], dtype=np.float32)
    p = nn.Parameter(weights)
    x = Tensor(inputs, requires_grad=True)
    loss = (p @ x).sum() + (p * 3).sum()
    loss.backward()
    assert type(p.grad) is Tensor and type(x.grad) is Tensor
    np.testing.assert_allclose(p.grad.data, np.ones((2, 2)) @ inputs.T + 3, rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, weights.T @ np.ones((2, 2)), rtol=1e-6)


def test_parameter_defaults_and_data() -> None:
    p = nn.Parameter(np.zeros((2, 2), dtype=np.float64))
    assert p.requires_grad and p.is_leaf and p.dtype == np.float64 and isinstance(p, Tensor)
    assert not nn.Parameter([1.0, 2.0], requires_grad=False).requires_grad
    empty = nn.Parameter()
    assert empty.shape == (0,) and empty.dtype == np.float32 and empty.requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.array([1, 2]))


def test_parameter_of_a_tensor_shares_its_array_and_is_a_new_leaf() -> None:
    source = Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    computed = source * 2
    p = nn.Parameter(computed)
    assert p.data is computed.data and p.is_leaf and p.grad_fn is None
    q = nn.Parameter(source)
    q.data[0] = 5.0
    assert source.data[0] == 5.0


def test_parameter_repr_says_what_it_is() -> None:
    text = repr(nn.Parameter([1.0, 2.0]))
    assert text.startswith("Parameter containing:\n") and "requires_grad=True" in text


def test_a_bare_parameter_attribute_registers_and_trains() -> None:
    class Scaler(nn.Module):
        def __init__(self) -> None:
            self.scale = nn.Parameter([2.0])
            self.frozen = nn.Parameter([1.0], requires_grad=False)

        def forward(self, x: Tensor) -> Tensor:
            return x * self.scale * self.frozen

    model = Scaler()
    assert [n for n, _ in model.named_parameters()] == ["scale"]
    assert list(model.state_dict()) == ["scale", "frozen"]
    scale = model.scale
    opt = tg.optim.SGD(model.parameters(), lr=0.5)
    model(Tensor([3.0])).sum().backward()
    opt.step()
    assert model.scale is scale and isinstance(model.scale, nn.Parameter)
    np.testing.assert_allclose(model.scale.data, [2.0 - 0.5 * 3.0])
    model.load_state_dict({"scale": np.array([7.0], np.float32), "frozen": np.array([1.0], np.float32)})
    assert model.scale is scale and model.scale.data[0] == 7.0


def test_a_parameter_survives_deepcopy_as_a_parameter() -> None:
    p = nn.Parameter([1.0, 2.0])
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q.data is not p.data
    np.testing.assert_array_equal(q.data, p.data)


def test_a_compiled_step_trains_a_parameter_as_the_eager_one() -> None:
    def make() -> tuple[nn.Parameter, tg.optim.SGD]:
        p = nn.Parameter(_weights())
        return p, tg.optim.SGD([p], lr=0.1)

    def step_of(p: nn.Parameter, opt: tg.optim.SGD):
        def step(x):
            opt.zero_grad()
            loss = (p.T @ x.T).relu().sum()  # the Parameter is the first operand of the first op
            loss.backward()
            opt.step()
            return loss
        return step

    eager_p, eager_opt = make()
    p, opt = make()
    eager, compiled = step_of(eager_p, eager_opt), tg.compile(step_of(p, opt))
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.normal(size=(4, 2)).astype(np.float32)
        assert compiled(x).item() == eager(Tensor(x)).item()
    np.testing.assert_array_equal(p.data, eager_p.data)


def test_a_parameter_made_from_a_tensor_shares_its_version_counter():
    source = tg.tensor([1.0, 2.0])
    p = nn.Parameter(source)
    assert p._version == 0 and p.data is source.data
    with tg.no_grad():
        p += 1
    assert source._version == 1 and source.tolist() == [2.0, 3.0]
