"""tg.interop: tinygrad_vn -> PyTorch -> tinygrad_vn and PyTorch -> tinygrad_vn keep weights, outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import nn

TOLERANCE = {"rtol": 1e-6, "atol": 1e-6}
ACTIVATION_NAMES = sorted(set(nn.ACTIVATIONS) - {"silu"})  # "silu" is "swish"


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is not installed")


def every_layer_model():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.BatchNorm1d(5), nn.GELU(), nn.Dropout(0.2),
                          nn.LayerNorm(5), nn.PReLU(), nn.Linear(5, 4), nn.Sequential(nn.Softplus(2.0), nn.ELU(0.3)),
                          nn.Unflatten(1, (2, 2)), nn.Flatten(), nn.Linear(4, 4, bias=False), nn.LogSoftmax(dim=1))
    model(tg.randn(8, 2, 3))  # moves the running statistics
    return model.eval()


def outputs_and_gradients_tinygrad(model, x):
    xt = tg.Tensor(x, requires_grad=True)
    out = model(xt)
    (out * tg.Tensor(np.linspace(-1, 1, out.size, dtype=x.dtype).reshape(out.shape))).sum().backward()
    grads = {name: p.grad.data for name, p in model.named_parameters()}
    return out.data, xt.grad.data, grads


def outputs_and_gradients_torch(torch, model, x):
    xt = torch.tensor(x, requires_grad=True)
    out = model(xt)
    weights = torch.tensor(np.linspace(-1, 1, out.numel(), dtype=x.dtype).reshape(tuple(out.shape)))
    (out * weights).sum().backward()
    grads = {name: p.grad.numpy() for name, p in model.named_parameters()}
    return out.detach().numpy(), xt.grad.numpy(), grads


def linear_weight_names(model):
    return {f"{n}.weight" for n, m in model.named_modules() if isinstance(m, nn.Linear)}


def test_to_torch_gives_the_same_outputs_and_gradients():
    torch = torch_or_skip()
    model = every_layer_model()
    converted = tg.interop.to_torch(model)
    assert isinstance(converted, torch.nn.Sequential) and not converted.training
    assert set(converted.state_dict()) == set(model.state_dict())
    x = np.random.default_rng(0).normal(size=(4, 2, 3)).astype(np.float32)
    ours, theirs = outputs_and_gradients_tinygrad(model, x), outputs_and_gradients_torch(torch, converted, x)
    np.testing.assert_allclose(theirs[0], ours[0], **TOLERANCE)
    np.testing.assert_allclose(theirs[1], ours[1], **TOLERANCE)
    linear = linear_weight_names(model)
    for name, grad in ours[2].items():
        np.testing.assert_allclose(theirs[2][name].T if name in linear else theirs[2][name], grad, **TOLERANCE)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_through_torch_of_every_activation(activation, dtype):
    torch = torch_or_skip()
    tg.manual_seed(1)
    model = nn.mlp([3, 7, 7, 2], activation=activation, dtype=dtype).to(dtype)  # PReLU too
    model.train()
    converted = tg.interop.to_torch(model)
    assert converted.training and converted[0].weight.dtype == torch.from_numpy(np.zeros(0, dtype)).dtype
    np.testing.assert_array_equal(converted[0].weight.detach().numpy(), model[0].weight.data.T)
    back = tg.interop.from_torch(converted)
    assert type(back) is nn.Sequential and [type(m) for m in back] == [type(m) for m in model] and back.training
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[name], array)
    x = (np.random.default_rng(1).normal(size=(5, 3)) * 2).astype(dtype)
    ours, theirs = outputs_and_gradients_tinygrad(model, x), outputs_and_gradients_torch(torch, converted, x)
    np.testing.assert_allclose(theirs[0], ours[0], **TOLERANCE)
    np.testing.assert_allclose(theirs[1], ours[1], **TOLERANCE)
    np.testing.assert_allclose(back(tg.Tensor(x)).data, ours[0], rtol=0, atol=0)


def test_a_torch_sequential_of_linear_and_activations_becomes_tinygrad_vn():
    torch = torch_or_skip()
    torch.manual_seed(0)
    source = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 3), torch.nn.SiLU(), torch.nn.Linear(3, 3), torch.nn.Softmax(dim=1))
    model = tg.interop.from_torch(source)
    for index in (0, 2, 4, 6):
        np.testing.assert_array_equal(model[index].weight.data, source[index].weight.detach().numpy().T)
        np.testing.assert_array_equal(model[index].bias.data, source[index].bias.detach().numpy())
    x = np.random.default_rng(2).normal(size=(6, 4)).astype(np.float32)
    ours, theirs = outputs_and_gradients_tinygrad(model, x), outputs_and_gradients_torch(torch, source, x)
    np.testing.assert_allclose(ours[0], theirs[0], **TOLERANCE)
    np.testing.assert_allclose(ours[1], theirs[1], **TOLERANCE)


def test_a_torch_state_dict_loads_into_a_model_with_every_linear_weight_transposed():
    torch = torch_or_skip()
    source = tg.interop.to_torch(every_layer_model())
    target = every_layer_model()
    for p in target.parameters():
        p.data = np.zeros_like(p.data)
    assert tg.interop.from_torch(source.state_dict(), into=target) is target
    for name, array in every_layer_model().state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name], array)
    assert torch.is_tensor(next(iter(source.state_dict().values())))


def test_a_square_weight_in_a_bare_state_dict_is_refused():
    square = {"0.weight": np.arange(9.0).reshape(3, 3), "0.bias": np.zeros(3)}
    with pytest.raises(ValueError, match=r"cannot tell the layout of '0.weight' \(shape \(3, 3\)\): it is square"):
        tg.interop.from_torch(square)
    with pytest.raises(ValueError, match="no bias beside it"):
        tg.interop.from_torch({"weight": np.zeros((2, 3))})
    told = tg.interop.from_torch(square, layout="torch")
    np.testing.assert_array_equal(told["0.weight"], square["0.weight"].T)
    model = nn.Sequential(nn.Linear(3, 3))
    tg.interop.from_torch(square, into=model)
    np.testing.assert_array_equal(model[0].weight.data, square["0.weight"].T)
    tg.interop.from_torch(square, into=model, layout="tinygrad_vn")
    np.testing.assert_array_equal(model[0].weight.data, square["0.weight"])


def test_a_bare_state_dict_with_rectangular_weights_is_told_by_its_biases():
    torch_layout = {"0.weight": np.ones((4, 2)), "0.bias": np.zeros(4), "2.weight": np.ones((1, 4)), "2.bias": [0.0]}
    converted = tg.interop.from_torch(torch_layout)
    assert converted["0.weight"].shape == (2, 4) and converted["2.weight"].shape == (4, 1)
    model = nn.mlp([2, 4, 1])
    model.load_state_dict(converted)
    with pytest.raises(ValueError, match="not a Linear layer's weight in either layout"):
        tg.interop.from_torch({"0.weight": np.ones((4, 2)), "0.bias": np.zeros(3)})


def test_load_state_dict_refuses_torch_tensors_instead_of_loading_them_transposed():
    torch = torch_or_skip()
    layer = nn.Linear(3, 3)
    before = layer.weight.data.copy()
    with pytest.raises(ValueError, match=r"'weight' is a torch tensor.*tg.interop.from_torch"):
        layer.load_state_dict({"weight": torch.eye(3) * 2, "bias": torch.zeros(3)})
    np.testing.assert_array_equal(layer.weight.data, before)


def test_layers_without_an_equivalent_are_refused_by_name():
    torch = torch_or_skip()
    with pytest.raises(TypeError, match=r"layer '1' of the model is a Maxout, which has no PyTorch equivalent"):
        tg.interop.to_torch(nn.Sequential(nn.Linear(2, 2), nn.Maxout(2, 2)))
    with pytest.raises(TypeError, match=r"layer '0' of the module is a torch.nn.modules.conv.Conv1d"):
        tg.interop.from_torch(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)))
    with pytest.raises(ValueError, match="without dim"):
        tg.interop.from_torch(torch.nn.Softmax())
    with pytest.raises(TypeError, match=r"torch\.nn\.Module or a state dict"):
        tg.interop.from_torch(3)
    with pytest.raises(ValueError, match="layout must be one of"):
        tg.interop.from_torch({}, layout="numpy")
