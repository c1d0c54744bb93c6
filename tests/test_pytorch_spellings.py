"""PyTorch spellings that its tutorials use and that a port hit: ``tg.device`` and ``device=``, ``Module.to(device)``,
``backward(gradient=)``, ``t()``, ``type(dtype)``, a 0-d index in ``scatter_``, ``tg.matmul``, ``tg.flatten`` and the
``tinygrad_vn.nn.functional`` path. Each is checked against PyTorch where it is installed."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import nn


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with it is skipped")


# ----------------------------------------------------------------------------- devices


def test_device_names_the_cpu_as_pytorch_prints_it() -> None:
    assert repr(tg.device("cpu")) == "device(type='cpu')"
    assert str(tg.device("cpu:0")) == "cpu:0" and tg.device("cpu", 0) == tg.device("cpu:0")
    assert tg.device(tg.device("cpu")) == tg.device("cpu") != tg.device("cpu", 1)
    assert tg.zeros(2).device == tg.device("cpu") and tg.device("cpu").type == "cpu"
    assert len({tg.device("cpu"), tg.device("cpu")}) == 1


def test_device_matches_torch_device_spelling() -> None:
    torch = _torch()
    for spelling in ("cpu", "cpu:0"):
        assert repr(tg.device(spelling)) == repr(torch.device(spelling))
        assert str(tg.device(spelling)) == str(torch.device(spelling))


@pytest.mark.parametrize(("bad", "error", "message"), [
    ("cuda", RuntimeError, r"device\('cuda'\): tinygrad_vn runs on the CPU only"),
    ("cuda:0", RuntimeError, r"device\('cuda:0'\): tinygrad_vn runs on the CPU only"),
    ("cpu:x", ValueError, r"'cpu' or 'cpu:N'"),
    (3, TypeError, r"device type must be a string.*int 3"),
])
def test_device_refuses_anything_but_the_cpu(bad, error, message) -> None:
    with pytest.raises(error, match=message):
        tg.device(bad)


def test_device_refuses_a_bad_index() -> None:
    with pytest.raises(ValueError, match=r"index must be a non-negative integer, not -1"):
        tg.device("cpu", -1)
    with pytest.raises(ValueError, match=r"give the index once"):
        tg.device("cpu:0", 0)


@pytest.mark.parametrize("make", [
    lambda d: tg.zeros(2, device=d), lambda d: tg.ones(2, device=d), lambda d: tg.full((2,), 1.0, device=d),
    lambda d: tg.zeros_like(tg.ones(2), device=d), lambda d: tg.ones_like(tg.ones(2), device=d),
    lambda d: tg.full_like(tg.ones(2), 3.0, device=d), lambda d: tg.eye(2, device=d),
    lambda d: tg.linspace(0, 1, 3, device=d), lambda d: tg.arange(3, device=d), lambda d: tg.randn(2, device=d),
    lambda d: tg.rand(2, device=d), lambda d: tg.randn_like(tg.ones(2), device=d),
    lambda d: tg.rand_like(tg.ones(2), device=d), lambda d: tg.randint(0, 3, (2,), device=d),
    lambda d: tg.normal(0.0, 1.0, (2,), device=d), lambda d: tg.tensor([1.0], device=d),
])
def test_creation_functions_take_a_cpu_device_and_refuse_others(make) -> None:
    for cpu in ("cpu", tg.device("cpu"), None):
        assert make(cpu).device == tg.device("cpu")
    with pytest.raises(RuntimeError, match=r"\('cuda'\): tinygrad_vn runs on the CPU only"):
        make("cuda")


def test_module_to_takes_a_device_a_dtype_or_both() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert model.to("cpu") is model and model[0].weight.dtype == tg.float32
    assert model.to(tg.device("cpu"), tg.float64) is model and model[0].weight.dtype == tg.float64
    assert model.to(dtype=tg.float32)[0].bias.dtype == tg.float32
    assert model.to(tg.zeros(1, dtype=tg.float64))[0].weight.dtype == tg.float64
    with pytest.raises(RuntimeError, match=r"Module.to\('cuda'\): tinygrad_vn runs on the CPU only"):
        model.to("cuda")
    with pytest.raises(TypeError, match=r"Module.to\(\) takes at most a device and a dtype"):
        model.to("cpu", tg.float32, tg.float64)


# ----------------------------------------------------------------------------- tensor methods and functions


def test_backward_takes_pytorchs_gradient_keyword() -> None:
    torch = _torch()
    values = np.array([2.0, 3.0])
    ours = tg.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    (ours ** 3).backward(gradient=tg.tensor([1.0, 0.5]), retain_graph=None)
    (theirs ** 3).backward(gradient=torch.tensor([1.0, 0.5], dtype=torch.float64), retain_graph=None)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_t_transposes_matrices_and_leaves_vectors_as_pytorch() -> None:
    torch = _torch()
    for shape in [(), (3,), (2, 3)]:
        values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
        x = tg.tensor(values, requires_grad=True)
        out = x.t()
        np.testing.assert_array_equal(out.numpy(), torch.tensor(values).t().numpy())
        (out * tg.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape))).sum().backward()
        reference = torch.tensor(values, requires_grad=True)
        (reference.t() * torch.arange(out.numel(), dtype=torch.float64).reshape(out.shape)).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), reference.grad.numpy())
    with pytest.raises(ValueError, match=r"t\(\) expects a tensor of at most 2 dims, but this one has 3"):
        tg.zeros(2, 3, 4).t()


def test_type_converts_like_pytorch_and_names_the_type_without_a_dtype() -> None:
    torch = _torch()
    flags = tg.tensor([True, False, True])
    assert flags.type(tg.float).dtype == tg.float32 and flags.type(tg.float).tolist() == [1.0, 0.0, 1.0]
    x = tg.tensor([1.5])
    assert x.type(tg.float32) is x
    assert x.type("float64").dtype == tg.float64
    for dtype, torch_dtype in [(tg.float32, torch.float32), (tg.float64, torch.float64), (tg.int64, torch.int64),
                               (tg.bool, torch.bool), (tg.uint8, torch.uint8)]:
        name = tg.zeros(1, dtype=dtype).type()
        assert name.replace("tinygrad_vn.", "torch.") == torch.zeros(1, dtype=torch_dtype).type()
    with pytest.raises(TypeError, match=r"unknown dtype name 'floaty'"):
        x.type("floaty")


def test_scatter_reads_a_zero_dim_index_on_a_vector_as_pytorch() -> None:
    torch = _torch()
    ours = tg.zeros(10, dtype=tg.float).scatter_(0, tg.tensor(3), value=1)
    theirs = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(3), value=1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(tg.zeros(4).scatter(0, tg.tensor(2), tg.tensor(5.0)).numpy(),
                                  torch.zeros(4).scatter(0, torch.tensor(2), torch.tensor(5.0)).numpy())
    with pytest.raises(ValueError, match=r"index has 0 dimensions but the tensor has 2"):
        tg.zeros(2, 3).scatter(0, tg.tensor(1), 5.0)


@pytest.mark.parametrize(("left", "right"), [((5,), (5, 3)), ((2, 4), (4,)), ((4,), (4,)), ((3, 2, 4), (4, 5))])
def test_matmul_is_the_at_operator_with_pytorchs_shapes(left, right) -> None:
    torch = _torch()
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(left), rng.standard_normal(right)
    x, w = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, reference = tg.matmul(x, w), torch.matmul(tx, tw)
    np.testing.assert_allclose(out.numpy(), reference.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    reference.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_flatten_function_merges_the_dims_as_pytorch() -> None:
    torch = _torch()
    values = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    for args in [(), (1,), (1, 2), (0, -2)]:
        np.testing.assert_array_equal(tg.flatten(tg.tensor(values), *args).numpy(),
                                      torch.flatten(torch.tensor(values), *args).numpy())
    assert tg.flatten(tg.tensor(2.0)).shape == (1,)


def test_nn_functional_is_the_functional_module_under_pytorchs_path() -> None:
    functional = importlib.import_module("tinygrad_vn.nn.functional")
    assert functional is tg.functional is tg.nn.functional
    from tinygrad_vn.nn.functional import log_softmax, nll_loss

    assert log_softmax is tg.functional.log_softmax and nll_loss is tg.functional.nll_loss
