"""In-place operations with PyTorch's semantics: identity kept, leaves refused while recording, graphs right."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_vn as tg
from tinygrad_vn import nn

try:
    import torch
except ImportError:  # the parity tests below skip; the rest run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (pip install torch==2.13.0)")


def polynomial_fit(steps: int) -> tuple[float, float]:
    """PyTorch's polynomial tutorial written with tinygrad_vn: y = a + b x + c x² + d x³ fitted to sin."""
    x = tg.tensor(np.linspace(-np.pi, np.pi, 2000), dtype="float64")
    y = tg.tensor(np.sin(x.numpy()), dtype="float64")
    params = [tg.tensor(v, dtype="float64", requires_grad=True) for v in (0.1, -0.2, 0.3, -0.1)]
    first = last = None
    for _ in range(steps):
        a, b, c, d = params
        loss = ((a + b * x + c * x ** 2 + d * x ** 3 - y) ** 2).sum()
        last = loss.item()
        first = last if first is None else first
        loss.backward()
        with tg.no_grad():
            for p in params:
                p -= 1e-6 * p.grad
                p.grad = None
    return first, last


def test_manual_update_under_no_grad_trains_the_parameters_it_names():
    first, last = polynomial_fit(300)
    assert last < first / 10


def test_augmented_assignment_keeps_the_tensor_and_its_array():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    array = p.data
    identity = id(p)
    with tg.no_grad():
        p -= tg.tensor([0.5, 0.5])
        p *= 2
        p += 1
        p /= 2
    assert id(p) == identity and p.data is array
    np.testing.assert_allclose(p.numpy(), [1.0, 2.0])
    assert p.requires_grad and p.is_leaf and p._version == 4


def test_model_parameters_change_when_updated_in_place():
    tg.manual_seed(0)
    model = nn.Linear(3, 2)
    before = model.weight.numpy().copy()
    model(tg.ones(4, 3)).sum().backward()
    with tg.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    np.testing.assert_allclose(model.weight.numpy(), before - 0.1 * 4.0, rtol=1e-6)


@pytest.mark.parametrize("change", [
    lambda a: a.__isub__(1.0), lambda a: a.add_(1.0), lambda a: a.mul_(2.0), lambda a: a.zero_(),
    lambda a: a.fill_(3.0), lambda a: a.copy_(tg.ones(2)), lambda a: a.clamp_(0.0, 1.0),
    lambda a: a.__setitem__(0, 5.0),
])
def test_in_place_on_a_leaf_that_requires_grad_is_refused_while_recording(change):
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        change(a)
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    assert a._version == 0
    with tg.no_grad():
        change(a)
    assert a._version == 1


def test_leaf_update_with_its_own_gradient_outside_no_grad_names_the_fix():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    (a * a).sum().backward()
    with pytest.raises(RuntimeError, match="no_grad"):
        a -= 0.1 * a.grad


def test_data_minus_equals_a_tensor_updates_the_array():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    (p * 3).sum().backward()
    array = p.data
    p.data -= 0.5 * p.grad
    assert p.data is array
    np.testing.assert_allclose(p.numpy(), [-0.5, 0.5])


def test_ndarray_in_place_with_a_tensor_operand_uses_its_array():
    array = np.array([1.0, 2.0], dtype=np.float32)
    array -= tg.tensor([1.0, 1.0])
    array *= tg.tensor(3.0)
    assert isinstance(array, np.ndarray)
    np.testing.assert_array_equal(array, [0.0, 3.0])


def test_ndarray_in_place_with_a_tensor_that_requires_grad_is_refused():
    array = np.zeros(2)
    with pytest.raises(RuntimeError, match="requires grad"):
        array += tg.tensor([1.0, 1.0], requires_grad=True)


def test_ndarray_on_the_left_of_an_operator_gives_a_recorded_tensor():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0], dtype=np.float32) * w
    assert isinstance(out, tg.Tensor) and out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0])


def test_numpy_functions_on_a_tensor_give_arrays_and_refuse_one_that_requires_grad():
    out = np.sin(tg.tensor([1.0]))
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, [np.sin(np.float32(1.0))])
    with pytest.raises(RuntimeError, match=r"np\.sin .*requires grad.*t\.sin\(\)"):
        np.sin(tg.tensor([1.0], requires_grad=True))


def test_in_place_dtype_and_shape_are_kept_or_refused():
    counts = tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        counts += 0.5
    small = tg.zeros(3)
    with pytest.raises(RuntimeError, match="keep the tensor's shape"):
        small += tg.ones(2, 3)
    halves = tg.zeros(2)
    halves += tg.tensor([1.0, 2.0], dtype="float64")
    assert halves.dtype == np.float32


def test_setitem_without_gradients_writes_in_place():
    t = tg.zeros(2, 3)
    array = t.data
    t[0] = 1.0
    t[:, 2] = tg.tensor([5.0, 6.0])
    assert t.data is array
    np.testing.assert_array_equal(t.numpy(), [[1, 1, 5], [0, 0, 6]])
    with pytest.raises(IndexError, match="setitem"):
        t[5] = 1.0


def test_views_see_in_place_changes_and_share_the_version():
    base = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    row = base[0]
    row += 10
    np.testing.assert_array_equal(base.numpy(), [[11, 12], [3, 4]])
    assert base._version == row._version == 1
    detached = base.detach()
    detached.zero_()
    assert base._version == 2 and float(base.sum()) == 0


def test_in_place_inside_a_compiled_step_is_refused():
    @tg.compile
    def step(x):
        y = x * 2
        y += 1
        return y

    with pytest.raises(RuntimeError, match="in-place"):
        step(np.ones(3, dtype=np.float32))


def _torch_and_ours(build):
    """Run ``build(lib, leaf)`` with PyTorch and with tinygrad_vn; return both leaves' gradients."""
    start = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    ours = tg.tensor(start, dtype="float64", requires_grad=True)
    build(tg, ours).backward()
    theirs = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    build(torch, theirs).backward()
    return ours.grad.numpy(), theirs.grad.numpy()


def _mul_on_intermediate(lib, x):
    y = x * 2
    y.mul_(3)
    return (y * y).sum()


def _earlier_reader_sees_the_old_value(lib, x):
    y = x + 1
    z = y * 5  # reads y before the change
    y.mul_(3)
    return (z + y * y).sum()


def _two_changes_in_a_row(lib, x):
    y = x.exp()
    z = y + 0
    z.add_(x)
    z.mul_(x)
    return z.sum()


def _setitem_with_a_recorded_value(lib, x):
    buffer = lib.zeros(2, 3, dtype=x.dtype)
    buffer[0] = x[1] * 2
    buffer[1, :2] = x[0, 1:] ** 2
    return (buffer * buffer).sum()


def _copy_and_clamp(lib, x):
    y = lib.zeros(2, 3, dtype=x.dtype)
    y.copy_(x * 3)
    y.clamp_(-2.0, 2.5)
    return (y * x).sum()


def _fill_then_add(lib, x):
    y = x * 1
    y.fill_(2.0)
    y.add_(x, alpha=4)
    return (y * y).sum()


@needs_torch
@pytest.mark.parametrize("build", [_mul_on_intermediate, _earlier_reader_sees_the_old_value, _two_changes_in_a_row,
                                   _setitem_with_a_recorded_value, _copy_and_clamp, _fill_then_add])
def test_recorded_in_place_ops_give_pytorchs_gradients(build):
    ours, theirs = _torch_and_ours(build)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_in_place_on_a_view_of_a_recorded_tensor_is_refused():
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="view"):
        y[0].mul_(2)
    with pytest.raises(RuntimeError, match="view"):
        y.reshape(2).add_(1)


@given(st.lists(st.sampled_from(["add", "sub", "mul", "div", "clamp", "set"]), min_size=1, max_size=5),
       st.integers(0, 2**31 - 1))
def test_chains_of_recorded_in_place_ops_pass_gradcheck(chain, seed):
    rng = np.random.default_rng(seed)
    start = rng.uniform(0.5, 2.0, (2, 3))
    other = rng.uniform(0.5, 2.0, (2, 3))

    def f(x, w):
        y = x * 1.5
        for step in chain:
            if step == "add":
                y += w
            elif step == "sub":
                y.sub_(w, alpha=0.5)
            elif step == "mul":
                y *= w
            elif step == "div":
                y /= w + 2
            elif step == "clamp":
                y.clamp_(-50.0, 50.0)
            else:
                y[0, 1] = w[1, 2] * 3
        return y

    tg.gradcheck(f, [tg.tensor(start, dtype="float64", requires_grad=True),
                     tg.tensor(other, dtype="float64", requires_grad=True)])

