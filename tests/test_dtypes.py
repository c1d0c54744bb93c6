"""Dtypes, conversions, shapes and NumPy interop as PyTorch's: names, promotion, .to/.view/.size, np.asarray."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinygrad_vn as tg

TORCH_DTYPE_NAMES = ["float32", "float64", "int64", "float", "long", "bool", "int32", "float16", "double", "half",
                     "int", "short", "int8", "int16", "uint8"]
PROMOTED = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]


def torch_dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


# ---------------------------------------------------------------------- names


@pytest.mark.parametrize("name", TORCH_DTYPE_NAMES)
def test_dtype_aliases_mean_what_pytorchs_do(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    assert getattr(tg, name) == np.dtype(torch_dtype_name(getattr(torch, name)))
    assert tg.zeros(2, dtype=name).dtype == getattr(tg, name)  # the same name as a string


def test_dtype_arguments_take_aliases_types_and_names_and_refuse_the_rest() -> None:
    assert tg.tensor([1.5], dtype=tg.double).dtype == np.float64
    assert tg.tensor([1.5], dtype="float").dtype == np.float32
    assert tg.ones(2, dtype=tg.long).dtype == np.int64
    assert tg.arange(3, dtype="half").dtype == np.float16
    assert tg.randn(2, dtype=np.float64).dtype == np.float64
    assert tg.tensor([1, 0]).astype(bool).dtype == np.bool_
    with pytest.raises(TypeError, match="unknown dtype name 'f4'"):
        tg.zeros(2, dtype="f4")
    with pytest.raises(TypeError, match="bool, integer or floating-point"):
        tg.tensor([1.0], dtype=np.complex64)
    with pytest.raises(TypeError, match="bool, integer or floating-point"):
        tg.ones(2).astype(object)


# ---------------------------------------------------------------------- promotion


@pytest.mark.parametrize("ranks", [(1, 1), (1, 0), (0, 1), (0, 0)])
def test_tensor_with_tensor_promotes_as_pytorch(ranks: tuple[int, int]) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    for left, right in itertools.product(PROMOTED, PROMOTED):
        a_values = np.ones((2,) * ranks[0], dtype=left)
        b_values = np.ones((2,) * ranks[1], dtype=right)
        expected = torch_dtype_name((torch.tensor(a_values) * torch.tensor(b_values)).dtype)
        assert (tg.tensor(a_values) * tg.tensor(b_values)).dtype == np.dtype(expected), (left, right, ranks)
        assert (tg.tensor(a_values) + tg.tensor(b_values)).dtype == np.dtype(expected), (left, right, ranks)


@pytest.mark.parametrize("number", [True, 3, 2.5])
def test_tensor_with_a_python_number_promotes_as_pytorch(number: bool | int | float) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    for name in PROMOTED:
        values = np.ones(3, dtype=name)
        for ours, theirs in [(tg.tensor(values) * number, torch.tensor(values) * number),
                             (number * tg.tensor(values), number * torch.tensor(values))]:
            assert ours.dtype == np.dtype(torch_dtype_name(theirs.dtype)), (name, number)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_float32_stays_float32_with_integer_tensors_as_in_the_issue() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    base, exponent = np.array([1.5, 2.0, 3.0], np.float32), np.array([2, 3, 1])
    ours = tg.tensor(base, requires_grad=True) ** tg.tensor(exponent)
    theirs = torch.tensor(base) ** torch.tensor(exponent)
    assert ours.dtype == np.float32 and torch_dtype_name(theirs.dtype) == "float32"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    ours.sum().backward()
    assert ours.grad_fn is not None


def test_division_of_integers_is_true_division_in_float32() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    for a, b in [([7, 2], [2, 4]), ([True], [True]), ([7], 2)]:
        ours = tg.tensor(a) / (tg.tensor(b) if isinstance(b, list) else b)
        theirs = torch.tensor(a) / (torch.tensor(b) if isinstance(b, list) else b)
        assert ours.dtype == np.dtype(torch_dtype_name(theirs.dtype))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_mixed_float_widths_keep_gradients_in_each_inputs_dtype() -> None:
    small = tg.tensor([1.0, 2.0], requires_grad=True)
    wide = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)
    out = small * wide
    assert out.dtype == np.float32  # a 0-d tensor does not widen a dimensioned one (PyTorch's rule)
    out.sum().backward()
    assert small.grad.dtype == np.float32 and wide.grad.dtype == np.float64
    np.testing.assert_allclose(small.grad.numpy(), [3.0, 3.0])
    assert wide.grad.item() == pytest.approx(3.0)


def test_operands_that_are_not_numbers_are_refused() -> None:
    for operand in [None, 1j, "2"]:
        with pytest.raises(TypeError, match="cannot combine a tensor with"):
            tg.ones(2) + operand
    with pytest.raises(TypeError, match="cannot combine a tensor with complex"):
        tg.tensor([1]) * 2j


# ---------------------------------------------------------------------- conversions


@pytest.mark.parametrize("method", ["float", "double", "long", "int", "bool", "half"])
def test_conversion_methods_equal_pytorchs(method: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    values = np.array([-2.7, -0.5, 0.0, 1.5, 3.9], dtype=np.float32)
    ours, theirs = getattr(tg.tensor(values), method)(), getattr(torch.tensor(values), method)()
    assert ours.dtype == np.dtype(torch_dtype_name(theirs.dtype))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_integer_conversions_are_constants_and_float_ones_carry_the_gradient() -> None:
    w = tg.tensor([1.7, -2.2], requires_grad=True)
    assert not w.long().requires_grad and not w.bool().requires_grad
    assert w.long().tolist() == [1, -2]
    w.double().sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [1.0, 1.0]


def test_to_takes_a_dtype_a_device_or_a_tensor_as_pytorch() -> None:
    t = tg.tensor([1.5, 2.5])
    assert t.to("cpu") is t and t.to("cpu:0") is t and t.to(tg.float32) is t and t.to(device="cpu") is t
    assert t.to(tg.float64).dtype == np.float64 and t.to("float64").dtype == np.float64
    assert t.to("cpu", tg.long).tolist() == [1, 2]
    assert t.to(dtype=tg.int32).dtype == np.int32
    assert t.to(tg.tensor([1])).dtype == np.int64
    copied = t.to(tg.float32, copy=True)
    assert copied is not t and not np.shares_memory(copied.numpy(), t.numpy())
    with pytest.raises(RuntimeError, match=r"to\('cuda'\): tinygrad_vn runs on the CPU only"):
        t.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        t.to("mps", tg.float64)
    with pytest.raises(TypeError, match="dtype must be"):
        t.to(3.5)
    with pytest.raises(TypeError, match="at most a device and a dtype"):
        t.to("cpu", tg.float64, tg.float32)


def test_to_a_torch_device_of_the_cpu_is_accepted() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed for a torch.device")
    t = tg.tensor([1.0])
    assert t.to(torch.device("cpu")) is t
    with pytest.raises(RuntimeError, match="CPU only"):
        t.to(torch.device("cuda"))


# ---------------------------------------------------------------------- shapes


def test_size_is_both_numpys_count_and_pytorchs_method() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    t, reference = tg.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert t.size == 24 and isinstance(t.size, int)
    assert t.size() == tuple(reference.size()) == t.shape
    assert [t.size(d) for d in range(-3, 3)] == [reference.size(d) for d in range(-3, 3)]
    assert t.numel() == reference.numel() and t.dim() == reference.dim() == 3
    assert t.element_size() == reference.element_size() == 4
    with pytest.raises(IndexError, match=r"size\(3\): dimension out of range for a tensor of shape \(2, 3, 4\)"):
        t.size(3)
    with pytest.raises(IndexError, match="0-d tensor has no dimensions"):
        tg.tensor(1.0).size(0)
    with pytest.raises(TypeError, match="dim must be an integer"):
        t.size(1.0)


def test_view_shares_memory_and_version_with_its_base() -> None:
    base = tg.arange(6).float()
    seen = base.view(2, 3)
    assert np.shares_memory(seen.numpy(), base.numpy())
    assert base.view(-1, 2).shape == (3, 2) and base.view((3, 2)).shape == (3, 2)
    seen[0, 0] = 10.0
    assert base[0].item() == 10.0 and base._version == seen._version == 1
    assert base.view_as(tg.zeros(3, 2)).shape == (3, 2)
    assert base.reshape_as(tg.zeros(1, 6)).shape == (1, 6)


def test_view_refuses_layouts_that_need_a_copy_exactly_where_pytorch_does() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    cases = [
        (lambda x: x.T, (2, 3), (6,)),
        (lambda x: x.T, (2, 3), (3, 2)),
        (lambda x: x[:, :2], (3, 4), (6,)),
        (lambda x: x[:, :2], (3, 4), (3, 2, 1)),
        (lambda x: x[::2], (4, 3), (6,)),
        (lambda x: x[::2], (4, 3), (2, 3, 1)),
        (lambda x: x.permute(1, 0, 2) if hasattr(x, "permute") else x.transpose(1, 0, 2), (2, 3, 4), (3, 8)),
        (lambda x: x.permute(1, 0, 2) if hasattr(x, "permute") else x.transpose(1, 0, 2), (2, 3, 4), (3, 2, 2, 2)),
    ]
    for make, shape, target in cases:
        values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        try:
            expected = make(torch.tensor(values)).view(target).numpy()
        except RuntimeError:
            with pytest.raises(RuntimeError, match=r"use \.reshape\(\.\.\.\) instead"):
                make(tg.tensor(values)).view(target)
        else:
            np.testing.assert_array_equal(make(tg.tensor(values)).view(target).numpy(), expected)
    with pytest.raises(RuntimeError, match=r"view: shape \[5\] is invalid for a tensor of 6 elements"):
        tg.zeros(2, 3).view(5)
    with pytest.raises(TypeError, match="view: sizes must be integers"):
        tg.zeros(2, 3).view(2.0, 3)


def test_contiguous_returns_self_or_a_row_major_copy_that_passes_gradients() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.contiguous() is x and x.is_contiguous()
    turned = x.T
    assert not turned.is_contiguous()
    packed = turned.contiguous()
    assert packed.is_contiguous() and packed.numpy().flags.c_contiguous
    np.testing.assert_array_equal(packed.numpy(), x.numpy().T)
    (packed * tg.tensor([[1.0, 2.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    assert packed.view(6).shape == (6,)


# ---------------------------------------------------------------------- NumPy interop


def test_np_asarray_gives_the_tensors_array_and_np_array_a_copy() -> None:
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    shared = np.asarray(t)
    assert type(shared) is np.ndarray and shared.dtype == np.float32 and np.shares_memory(shared, t.numpy())
    copied = np.array(t)
    assert not np.shares_memory(copied, t.numpy())
    np.testing.assert_array_equal(np.asarray(t, dtype=np.float64), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(np.concatenate([t, t]), np.concatenate([t.numpy(), t.numpy()]))
    np.testing.assert_allclose(t, [[1.0, 2.0], [3.0, 4.0]])


def test_numpy_functions_give_arrays_and_operators_stay_in_the_graph() -> None:
    t = tg.tensor([0.5, 1.0])
    for result in [np.exp(t), np.maximum(np.zeros(2), t), np.add.reduce(t), np.sin(t) + 1]:
        assert type(result) in (np.ndarray, np.float32)
    np.testing.assert_allclose(np.exp(t), np.exp(np.array([0.5, 1.0], np.float32)))
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    product = np.array([3.0, 4.0], dtype=np.float32) * w
    assert isinstance(product, tg.Tensor) and product.grad_fn is not None
    assert isinstance(np.array([1.0, 5.0]) > w, tg.Tensor)


def test_numpy_functions_refuse_a_tensor_that_requires_grad_while_recording() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"np\.exp would cut a tensor that requires grad from its graph"):
        np.exp(w)
    with pytest.raises(RuntimeError, match=r"np\.add\.reduce .*\.detach\(\)"):
        np.add.reduce(w)
    with tg.no_grad():
        np.testing.assert_allclose(np.exp(w), np.exp([1.0, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(np.exp(w.detach()), np.exp([1.0, 2.0]), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(w), [1.0, 2.0])  # an explicit conversion, as .numpy()
