"""BatchNorm1d and LayerNorm: gradcheck, PyTorch's numbers (forward, backward, running statistics), buffers,
eval mode, and a compiled training step that updates the running statistics like the eager one."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, leaf

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn, optim

TOL = {np.float32: {"rtol": 1e-4, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the comparisons with it are skipped")


def _torch_dtype(torch, dtype: type):
    return getattr(torch, np.dtype(dtype).name)


# ----------------------------------------------------------------------------- BatchNorm1d


@settings(max_examples=10, deadline=None)
@given(data=st.data(), length=st.sampled_from([None, 1, 3]), affine=st.booleans(), training=st.booleans())
def test_batch_norm_gradcheck(data: st.DataObject, length: int | None, affine: bool, training: bool) -> None:
    batch, channels = data.draw(st.integers(2, 4)), data.draw(st.integers(1, 3))
    shape = (batch, channels) if length is None else (batch, channels, length)
    x = leaf(data.draw(arrays(shape)))
    weight = leaf(data.draw(arrays((channels,), 0.5, 1.5, layout=False))) if affine else None
    bias = leaf(data.draw(arrays((channels,), layout=False))) if affine else None
    running_mean = Tensor(np.zeros(channels))
    running_var = Tensor(np.ones(channels) * 2)

    def fn(x: Tensor, *affine_tensors: Tensor) -> Tensor:
        w, b = affine_tensors if affine_tensors else (None, None)
        stats = (running_mean, running_var) if not training else (None, None)
        return F.batch_norm(x, *stats, w, b, training=training)

    assert tg.gradcheck(fn, [x, *((weight, bias) if affine else ())])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 3), (6, 3, 5)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_matches_pytorch_in_training_and_eval(shape: tuple[int, ...], momentum: float | None,
                                                         dtype: type) -> None:
    torch = _torch()
    rng = np.random.default_rng(0)
    layer = nn.BatchNorm1d(3, momentum=momentum, dtype=dtype)
    reference = torch.nn.BatchNorm1d(3, momentum=momentum).to(_torch_dtype(torch, dtype))
    weight, bias = rng.uniform(0.5, 1.5, 3).astype(dtype), rng.normal(size=3).astype(dtype)
    with tg.no_grad(), torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
        reference.weight.copy_(torch.tensor(weight))
        reference.bias.copy_(torch.tensor(bias))
    for step in range(3):
        x = (rng.normal(size=shape) * (step + 1) + step).astype(dtype)
        upstream = rng.normal(size=shape).astype(dtype)
        ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = layer(ours), reference(theirs)
        out.backward(upstream)
        expected.backward(torch.tensor(upstream))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOL[dtype])
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), **TOL[dtype])
        for name in ("weight", "bias"):
            np.testing.assert_allclose(getattr(layer, name).grad.data, getattr(reference, name).grad.numpy(),
                                       **TOL[dtype])
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(getattr(layer, name).data, getattr(reference, name).numpy(), **TOL[dtype])
        assert layer.num_batches_tracked.item() == reference.num_batches_tracked.item() == step + 1
    layer.eval()
    reference.eval()
    x = rng.normal(size=shape).astype(dtype)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = layer(ours), reference(theirs)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), **TOL[dtype])
    before = layer.running_mean.data.copy()
    layer(Tensor(x))
    np.testing.assert_array_equal(layer.running_mean.data, before)  # eval() leaves the statistics alone


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_without_affine_or_running_stats_matches_pytorch(dtype: type) -> None:
    torch = _torch()
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(dtype)
    for kwargs in ({"affine": False}, {"track_running_stats": False}, {"affine": False, "track_running_stats": False}):
        layer, reference = nn.BatchNorm1d(4, **kwargs, dtype=dtype), torch.nn.BatchNorm1d(4, **kwargs).to(
            _torch_dtype(torch, dtype))
        for mode in (True, False):
            layer.train(mode)
            reference.train(mode)
            ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            out, expected = layer(ours), reference(theirs)
            (out * out).sum().backward()
            (expected * expected).sum().backward()
            np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOL[dtype], err_msg=str(kwargs))
            np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), **TOL[dtype], err_msg=str(kwargs))
        names = [name for name, _ in layer.named_parameters()]
        assert names == ([] if not layer.affine else ["weight", "bias"])
        assert list(layer.state_dict()) == list(reference.state_dict()), kwargs


def test_batch_norm_buffers_are_state_not_parameters() -> None:
    layer = nn.BatchNorm1d(3)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in layer.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert layer.num_batches_tracked.dtype == np.int64
    layer.to(np.float64)
    assert layer.running_mean.dtype == layer.running_var.dtype == np.float64
    assert layer.num_batches_tracked.dtype == np.int64
    layer(Tensor(np.random.default_rng(0).normal(size=(4, 3))))
    copy_of = nn.BatchNorm1d(3, dtype=np.float64)
    result = copy_of.load_state_dict(layer.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(copy_of.running_var.data, layer.running_var.data)
    assert copy_of.num_batches_tracked.item() == 1


def test_batch_norm_state_dict_loads_into_pytorch_and_back() -> None:
    torch = _torch()
    layer = nn.BatchNorm1d(3)
    layer(Tensor(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)))
    reference = torch.nn.BatchNorm1d(3)
    reference.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    assert reference.num_batches_tracked.item() == 1
    back = nn.BatchNorm1d(3)
    back.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    np.testing.assert_array_equal(back.running_mean.data, layer.running_mean.data)


def _batch_norm_run(compiled: bool) -> tuple[list[float], nn.Module]:
    tg.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = tg.compile(step) if compiled else step
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(6):
        x, y = (rng.normal(size=(12, 5)) * 3 + 1).astype(np.float32), rng.integers(0, 3, 12)
        losses.append(run(x, y).item() if compiled else run(Tensor(x), y).item())
    return losses, model


def test_compiled_training_step_updates_running_stats_every_call_like_eager() -> None:
    eager_losses, eager_model = _batch_norm_run(compiled=False)
    losses, model = _batch_norm_run(compiled=True)
    assert losses == eager_losses
    for (name, eager), replayed in zip(eager_model.state_dict().items(), model.state_dict().values(), strict=True):
        assert np.array_equal(eager, replayed), name
    assert model[1].num_batches_tracked.item() == 6


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: nn.BatchNorm1d(0), ValueError, "num_features must be a positive integer, got 0"),
    (lambda: nn.BatchNorm1d(3, eps=0), ValueError, "eps must be a positive number"),
    (lambda: nn.BatchNorm1d(3, momentum=2.0), ValueError, r"momentum must be a number in \[0, 1\] or None"),
    (lambda: nn.BatchNorm1d(3)(Tensor(np.ones((4, 5), np.float32))), ValueError,
     r"expects an input of shape \(N, 3\) or \(N, 3, L\), got \(4, 5\)"),
    (lambda: nn.BatchNorm1d(3)(Tensor(np.ones((4, 3, 2, 2), np.float32))), ValueError, r"got \(4, 3, 2, 2\)"),
    (lambda: nn.BatchNorm1d(3)(Tensor(np.ones((1, 3), np.float32))), ValueError,
     "expected more than 1 value per channel when training"),
    (lambda: nn.BatchNorm1d(3)(Tensor(np.ones((4, 3)))), TypeError, "input is float64 but the layer is float32"),
    (lambda: F.batch_norm(Tensor(np.ones((4, 3))), Tensor(np.zeros(2)), Tensor(np.ones(2))), ValueError,
     r"running_mean has shape \(2,\), but the input has 3 channels"),
    (lambda: F.batch_norm(Tensor(np.ones((4, 3))), Tensor(np.zeros(3)), None), ValueError,
     "give both running_mean and running_var"),
])
def test_bad_batch_norm_arguments_are_refused_clearly(call: Callable, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_batch_norm_of_a_single_sample_works_in_eval_mode() -> None:
    layer = nn.BatchNorm1d(3).eval()
    np.testing.assert_allclose(layer(Tensor(np.ones((1, 3), np.float32))).data, np.ones((1, 3)) / np.sqrt(1 + 1e-5),
                               rtol=1e-6)


# ----------------------------------------------------------------------------- LayerNorm


@settings(max_examples=10, deadline=None)
@given(data=st.data(), dims=st.integers(1, 2), affine=st.booleans())
def test_layer_norm_gradcheck(data: st.DataObject, dims: int, affine: bool) -> None:
    shape = tuple(data.draw(st.lists(st.integers(2, 4), min_size=dims, max_size=3)))
    normalized = shape[len(shape) - dims:]
    x = leaf(data.draw(arrays(shape)))
    affine_tensors = [leaf(data.draw(arrays(normalized, 0.5, 1.5))), leaf(data.draw(arrays(normalized)))] \
        if affine else []
    assert tg.gradcheck(lambda x, *wb: F.layer_norm(x, normalized, *wb), [x, *affine_tensors])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "normalized"), [((6, 5), 5), ((2, 3, 4), (3, 4)), ((2, 3, 4), [4]), ((7,), 7)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_pytorch(shape: tuple[int, ...], normalized: int | tuple[int, ...], affine: bool,
                                    dtype: type) -> None:
    torch = _torch()
    rng = np.random.default_rng(2)
    layer = nn.LayerNorm(normalized, elementwise_affine=affine, dtype=dtype)
    reference = torch.nn.LayerNorm(normalized, elementwise_affine=affine).to(_torch_dtype(torch, dtype))
    if affine:
        weight = rng.uniform(0.5, 1.5, layer.normalized_shape).astype(dtype)
        bias = rng.normal(size=layer.normalized_shape).astype(dtype)
        with tg.no_grad(), torch.no_grad():
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
            reference.weight.copy_(torch.tensor(weight))
            reference.bias.copy_(torch.tensor(bias))
    x = (rng.normal(size=shape) * 3 + 2).astype(dtype)
    upstream = rng.normal(size=shape).astype(dtype)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = layer(ours), reference(theirs)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), **TOL[dtype])
    if affine:
        np.testing.assert_allclose(layer.weight.grad.data, reference.weight.grad.numpy(), **TOL[dtype])
        np.testing.assert_allclose(layer.bias.grad.data, reference.bias.grad.numpy(), **TOL[dtype])
    assert list(layer.state_dict()) == list(reference.state_dict())
    layer.eval()
    np.testing.assert_array_equal(layer(Tensor(x)).data, out.data)  # the same in both modes


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: nn.LayerNorm(()), ValueError, "at least one axis"),
    (lambda: nn.LayerNorm((3, 0)), ValueError, "normalized_shape must be a positive integer, got 0"),
    (lambda: nn.LayerNorm(4, eps=-1.0), ValueError, "eps must be a positive number"),
    (lambda: nn.LayerNorm(4)(Tensor(np.ones((2, 5), np.float32))), ValueError,
     r"normalized_shape \(4,\) must be the last axes of the input, whose shape is \(2, 5\)"),
    (lambda: F.layer_norm(Tensor(np.ones((2, 4))), 4, Tensor(np.ones(3)), Tensor(np.zeros(3))), ValueError,
     r"weight has shape \(3,\), but normalized_shape is \(4,\)"),
    (lambda: F.layer_norm(Tensor(np.ones((2, 4))), 4, Tensor(np.ones(4))), ValueError, "give both weight and bias"),
])
def test_bad_layer_norm_arguments_are_refused_clearly(call: Callable, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_normalization_layers_deep_copy_and_repr() -> None:
    layer = nn.BatchNorm1d(4, momentum=None)
    twin = copy.deepcopy(layer)
    twin(Tensor(np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)))
    assert layer.num_batches_tracked.item() == 0 and twin.num_batches_tracked.item() == 1
    assert repr(layer) == "BatchNorm1d(4, eps=1e-05, momentum=None, affine=True, track_running_stats=True)"
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"
