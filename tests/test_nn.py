"""nn: Module bookkeeping, Linear, Sequential, Maxout, activation modules, init, mlp."""

from __future__ import annotations

import numpy as np
import pytest
from strategies import leaf

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn


def small_model(dtype=np.float32) -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.ReLU(), nn.Linear(4, 2, dtype=dtype))


def test_linear_weight_layout_and_forward_is_x_at_w_plus_b() -> None:
    layer = nn.Linear(3, 5)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (5,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad and layer.bias.requires_grad
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data + layer.bias.data, rtol=1e-6)
    assert layer(Tensor(x[0])).shape == (5,)
    assert nn.Linear(3, 5, bias=False).bias is None
    assert len(nn.Linear(3, 5, bias=False).parameters()) == 1
    assert nn.Linear(2, 2, dtype=np.float64).weight.dtype == np.float64


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in() -> None:
    tg.manual_seed(0)
    layer = nn.Linear(64, 256)
    bound = 1 / np.sqrt(64)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert layer.weight.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)


def test_linear_rejects_bad_sizes_and_inputs() -> None:
    with pytest.raises(ValueError, match=r"Linear\(3, 2\).*\(4, 2\)"):
        nn.Linear(3, 2)(Tensor(np.ones((4, 2), dtype=np.float32)))
    with pytest.raises(ValueError, match="positive"):
        nn.Linear(0, 2)


def test_linear_gradcheck_in_float64() -> None:
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = leaf(np.random.default_rng(1).normal(size=(4, 3)))
    assert tg.gradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), [x, layer.weight, layer.bias])


def test_named_parameters_use_dotted_names() -> None:
    model = small_model()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.shape for p in model.parameters()] == [(3, 4), (4,), (4, 2), (2,)]

    class Net(nn.Module):
        def __init__(self) -> None:
            self.encoder = small_model()
            self.head = nn.Linear(2, 1)
            self.scale = Tensor([1.0])

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias", "head.weight", "head.bias"]
    assert "scale" in net.state_dict() and "scale" not in dict(net.named_parameters())


def test_modules_held_in_lists_are_named_by_position() -> None:
    """A plain list of modules stays registered (older models keep their names) but warns: use nn.ModuleList."""
    class Stack(nn.Module):
        def __init__(self) -> None:
            self.blocks = [nn.Linear(2, 2), nn.Linear(2, 1)]

    with pytest.warns(nn.UnregisteredModuleWarning, match=r"Stack\.blocks .*nn\.ModuleList"):
        model = Stack()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]
    assert names == [n for n, _ in nn.ModuleList(model.blocks).named_parameters(prefix="blocks")]


def test_a_shared_module_contributes_its_parameters_once() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            self.first = nn.Linear(2, 2)
            self.second = self.first

        def forward(self, x: Tensor) -> Tensor:
            return self.second(self.first(x))

    model = Tied()
    assert len(model.parameters()) == 2
    before = model.first.weight.data.copy()
    model(Tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()
    tg.optim.SGD(model.parameters(), lr=1.0).step()
    np.testing.assert_allclose(model.first.weight.data, before - model.first.weight.grad.data, rtol=1e-6)
    layer = nn.Linear(2, 2)
    assert len(nn.Sequential(layer, nn.Tanh(), layer).parameters()) == 2


def test_sequential_is_indexable_and_iterable() -> None:
    model = small_model()
    assert isinstance(model[0], nn.Linear) and isinstance(model[1], nn.ReLU) and isinstance(model[-1], nn.Linear)
    assert len(model) == 3 and list(model)[2] is model[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    np.testing.assert_allclose(model(x).data, model[2](model[1](model[0](x))).data, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    assert "Linear(in_features=3, out_features=4" in repr(model)


def test_module_zero_grad_train_and_eval() -> None:
    model = nn.Sequential(small_model(), nn.Sigmoid())
    model(Tensor(np.ones((2, 3), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.training and model[0][0].training
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_state_dict_round_trip() -> None:
    tg.manual_seed(1)
    a, b = small_model(), small_model()
    state = a.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["0.bias"][:] = 42
    assert not (a[0].bias.data == 42).any()
    b.load_state_dict(a.state_dict())
    x = Tensor(np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32))
    np.testing.assert_array_equal(a(x).data, b(x).data)
    b.load_state_dict({k: Tensor(v) for k, v in a.state_dict().items()})
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert b[0].weight.requires_grad and b[0].weight.dtype == np.float32


def test_load_state_dict_names_missing_unexpected_and_wrong_shaped_keys() -> None:
    model = small_model()
    good = model.state_dict()
    missing = {k: v for k, v in good.items() if k != "2.bias"}
    with pytest.raises(KeyError, match=r"missing.*2\.bias"):
        model.load_state_dict(missing)
    with pytest.raises(KeyError, match=r"unexpected.*3\.weight"):
        model.load_state_dict({**good, "3.weight": np.ones(2)})
    wrong = {**good, "0.weight": np.ones((4, 3))}
    before = model[0].bias.data.copy()
    with pytest.raises(ValueError, match=r"0\.weight.*\(4, 3\).*\(3, 4\)"):
        model.load_state_dict({**wrong, "0.bias": np.full(4, 7.0)})
    np.testing.assert_array_equal(model[0].bias.data, before)
    model.load_state_dict(missing, strict=False)


def test_to_converts_every_parameter() -> None:
    model = small_model()
    assert model.to(np.float64) is model
    assert all(p.dtype == np.float64 for p in model.parameters())
    out = model(Tensor(np.ones((1, 3))))
    assert out.dtype == np.float64
    out.sum().backward()
    assert all(p.grad.dtype == np.float64 for p in model.parameters())
    model.to(tg.float32)
    assert all(p.dtype == np.float32 and p.requires_grad for p in model.parameters())


def test_activation_modules_match_the_functions() -> None:
    x = leaf(np.linspace(-3, 3, 12).reshape(3, 4))
    pairs = [(nn.Sigmoid(), x.sigmoid()), (nn.Tanh(), x.tanh()), (nn.ReLU(), x.relu()),
             (nn.LeakyReLU(), x.leaky_relu()), (nn.LeakyReLU(0.2), x.leaky_relu(0.2)), (nn.ELU(), x.elu()),
             (nn.ELU(0.5), x.elu(0.5)), (nn.Swish(), x.swish()), (nn.Softmax(), x.softmax()),
             (nn.Softmax(axis=0), x.softmax(0)), (nn.Identity(), x)]
    for module, expected in pairs:
        np.testing.assert_allclose(module(x).data, expected.data, err_msg=type(module).__name__)
        assert module.parameters() == []


def test_maxout_is_the_max_of_linear_pieces() -> None:
    tg.manual_seed(3)
    layer = nn.Maxout(3, 2, pieces=2)
    x = np.random.default_rng(2).normal(size=(5, 3)).astype(np.float32)
    w, b = layer.weight.data, layer.bias.data.reshape(2, -1)
    expected = np.maximum(x @ w[0] + b[0], x @ w[1] + b[1])
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-6)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert nn.Maxout(3, 2, pieces=4)(Tensor(x)).shape == (5, 2)


def test_maxout_keeps_the_input_shape_for_one_sample_and_batches() -> None:
    layer = nn.Maxout(3, 4, pieces=2)
    x = np.random.default_rng(3).normal(size=(2, 5, 3)).astype(np.float32)
    assert layer(Tensor(x[0, 0])).shape == (4,)
    batched = layer(Tensor(x))
    assert batched.shape == (2, 5, 4)
    np.testing.assert_allclose(batched.data[1], layer(Tensor(x[1])).data, rtol=1e-6)
    np.testing.assert_allclose(layer(Tensor(x[0, 0])).data, layer(Tensor(x[0, :1])).data[0], rtol=1e-6)
    with pytest.raises(ValueError, match=r"\(5, 2\)"):
        layer(Tensor(np.ones((5, 2), dtype=np.float32)))


def test_maxout_gradcheck() -> None:
    layer = nn.Maxout(3, 2, pieces=3, dtype=np.float64)
    x = leaf(np.random.default_rng(4).normal(size=(4, 3)))
    assert tg.gradcheck(lambda x, w, b: nn.Maxout.forward(_with(layer, w, b), x), [x, layer.weight, layer.bias])


def _with(layer: nn.Maxout, weight: Tensor, bias: Tensor) -> nn.Maxout:
    layer.weight, layer.bias = weight, bias
    return layer


def test_init_functions_are_statistically_sane() -> None:
    tg.manual_seed(0)
    w = tg.ones(200, 300, requires_grad=True)
    assert nn.init.zeros_(w) is w and not w.data.any()
    nn.init.normal_(w, std=0.01)
    assert abs(w.data.mean()) < 1e-3 and w.data.std() == pytest.approx(0.01, rel=0.03)
    nn.init.normal_(w, std=2.0)
    assert w.data.std() == pytest.approx(2.0, rel=0.03)
    nn.init.xavier_uniform_(w)
    bound = np.sqrt(6 / (200 + 300))
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound
    assert w.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.03)
    nn.init.kaiming_normal_(w)
    assert w.data.std() == pytest.approx(np.sqrt(2 / 200), rel=0.03)
    assert w.requires_grad and w.grad_fn is None and w.dtype == np.float32


def test_init_is_reproducible_under_manual_seed() -> None:
    w = tg.zeros(10, 10)
    tg.manual_seed(5)
    first = nn.init.xavier_uniform_(w).data.copy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(nn.init.xavier_uniform_(w).data, first)


def test_mlp_builds_linear_layers_with_activations_between() -> None:
    model = nn.mlp([4, 8, 3], activation="tanh", output_activation="softmax")
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Softmax"]
    out = model(Tensor(np.ones((2, 4), dtype=np.float32)))
    np.testing.assert_allclose(out.data.sum(axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="activation"):
        nn.mlp([2, 2], activation="cosine")


def test_a_small_network_learns_xor() -> None:
    tg.manual_seed(0)
    x = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = Tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = tg.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    assert ((model(x).data > 0) == (y.data > 0.5)).all()
