"""Every Numba kernel in ``kernels.jit`` equals its NumPy definition in ``kernels.reference``.

Shapes are random (including empty, size 1 and odd sizes that leave a vector remainder), inputs may be
non-contiguous, and values reach ±1000 (logits ~1e4). float32 must agree to rtol 1e-5, float64 to
1e-12. Where a formula cancels (1 − y², g − Σ g y, x − logsumexp x) both sides lose the same absolute
precision, so the tolerance there also allows rtol times the size of the cancelling terms.

Also passes with ``NUMBA_DISABLE_JIT=1``, which runs the same loops as plain Python.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinygrad_vn.kernels import _buffers, _loops, _pool, jit, reference

RTOL = {np.float32: 1e-5, np.float64: 1e-12}
# Below the smallest normal number the fast exp returns 0 where NumPy returns a subnormal (up to
# 1.2e-38 in float32, times |x| <= 1e4 in swish).
TINY = {np.float32: 1e-33, np.float64: 1e-300}

dtypes = st.sampled_from([np.float32, np.float64])
shapes = st.lists(st.integers(0, 9), min_size=0, max_size=3).map(tuple) | st.tuples(st.integers(1, 300))
matrix_shapes = st.tuples(st.integers(1, 12), st.integers(1, 37))


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...], dtype: type, scale: float = 1000.0) -> np.ndarray:
    """Random values with a random spread up to ``scale``, sprinkled with extremes, maybe non-contiguous."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    spread = draw(st.sampled_from([1.0, 10.0, scale]))
    layout = draw(st.sampled_from(["contiguous", "strided", "transposed"]))
    full = shape if layout != "strided" or not shape else (*shape[:-1], 2 * shape[-1])
    values = (rng.standard_normal(full) * spread).astype(dtype)
    flat = values.reshape(-1)
    if flat.size:
        extremes = np.array([scale, -scale, 0.0, 1e-7, -1e-7, 88.0, -88.0], dtype=dtype)
        picks = rng.integers(0, flat.size, size=min(flat.size, 4))
        flat[picks] = rng.choice(extremes, size=picks.size)
    if layout == "strided" and shape:
        return values[..., ::2]
    if layout == "transposed" and len(shape) >= 2:
        return np.ascontiguousarray(values.swapaxes(-1, -2)).swapaxes(-1, -2)
    return values


def assert_same(fast: np.ndarray, ref: np.ndarray, dtype: type, cancelling_scale: float = 0.0) -> None:
    """Equal dtype and shape, and values within the tolerance of ``dtype``."""
    assert fast.dtype == ref.dtype and fast.shape == ref.shape
    rtol = RTOL[dtype]
    np.testing.assert_allclose(fast, ref, rtol=rtol, atol=TINY[dtype] + rtol * cancelling_scale)


def biggest(*arrays: np.ndarray) -> float:
    return max((float(np.abs(a).max()) for a in arrays if a.size), default=0.0)


UNARY: dict[str, Callable[[np.ndarray], tuple]] = {
    "sigmoid": lambda x: (x,),
    "tanh": lambda x: (x,),
    "relu": lambda x: (x,),
    "swish": lambda x: (x,),
    "leaky_relu": lambda x: (x, 0.02),
    "elu": lambda x: (x, 0.7),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=25, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes)
def test_activation_forward(name: str, data: st.DataObject, dtype: type, shape: tuple[int, ...]) -> None:
    args = UNARY[name](data.draw(arrays(shape, dtype)))
    assert_same(getattr(jit, name)(*args), getattr(reference, name)(*args), dtype)


BACKWARD: dict[str, Callable[[np.ndarray, np.ndarray], tuple]] = {
    "sigmoid_backward": lambda x, g: (reference.sigmoid(x), g),
    "tanh_backward": lambda x, g: (reference.tanh(x), g),
    "relu_backward": lambda x, g: (x, g),
    "swish_backward": lambda x, g: (x, g),
    "leaky_relu_backward": lambda x, g: (x, g, 0.02),
    "elu_backward": lambda x, g: (x, reference.elu(x, 0.7), g, 0.7),
}
# d swish cancels where σ + x σ (1 − σ) crosses 0; terms there are about |g| (1 + |x|/4).
CANCELLING = {"swish_backward": lambda x, g: biggest(g) * (1 + biggest(x) / 4)}


@pytest.mark.parametrize("name", sorted(BACKWARD))
@settings(max_examples=25, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes)
def test_activation_backward(name: str, data: st.DataObject, dtype: type, shape: tuple[int, ...]) -> None:
    x = data.draw(arrays(shape, dtype))
    grad = data.draw(arrays(shape, dtype, scale=10.0))
    args = BACKWARD[name](x, grad)
    scale = CANCELLING[name](x, grad) if name in CANCELLING else 0.0
    assert_same(getattr(jit, name)(*args), getattr(reference, name)(*args), dtype, scale)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=25, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=matrix_shapes, axis=st.sampled_from([-1, 1, 0]))
def test_softmax_forward(name: str, data: st.DataObject, dtype: type, shape: tuple[int, ...], axis: int) -> None:
    x = data.draw(arrays(shape, dtype, scale=1e4))
    fast, ref = getattr(jit, name)(x, axis), getattr(reference, name)(x, axis)
    assert np.isfinite(fast).all()
    # log_softmax subtracts logsumexp from x: both sides keep only |x|-relative precision.
    assert_same(fast, ref, dtype, 2 * biggest(x) if name == "log_softmax" else 0.0)


@pytest.mark.parametrize("name", ["softmax_backward", "log_softmax_backward"])
@settings(max_examples=25, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=matrix_shapes, axis=st.sampled_from([-1, 0]))
def test_softmax_backward(name: str, data: st.DataObject, dtype: type, shape: tuple[int, ...], axis: int) -> None:
    x = data.draw(arrays(shape, dtype, scale=1e4))
    grad = data.draw(arrays(shape, dtype, scale=10.0))
    forward = reference.softmax if name == "softmax_backward" else reference.log_softmax
    y = forward(x, axis)
    scale = biggest(grad)
    assert_same(getattr(jit, name)(y, grad, axis), getattr(reference, name)(y, grad, axis), dtype, scale)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=matrix_shapes)
def test_cross_entropy_forward_and_backward(data: st.DataObject, dtype: type, shape: tuple[int, int]) -> None:
    logits = data.draw(arrays(shape, dtype, scale=1e4))
    target = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).integers(0, shape[1], shape[0])
    losses, probs = jit.cross_entropy(logits, target)
    ref_losses, ref_probs = reference.cross_entropy(logits, target)
    assert np.isfinite(losses).all() and np.isfinite(probs).all()
    # A loss is logsumexp(z) − z_target: both sides keep |z|-relative precision.
    assert_same(losses, ref_losses, dtype, 2 * biggest(logits))
    assert_same(probs, ref_probs, dtype)
    grad = data.draw(arrays((shape[0],), dtype, scale=10.0))
    assert_same(jit.cross_entropy_backward(probs, target, grad),
                reference.cross_entropy_backward(probs, target, grad), dtype)


@pytest.mark.parametrize(("target", "error"), [([0, 3], ValueError), ([-1, 0], ValueError), ([0.0, 1.0], TypeError)])
def test_cross_entropy_refuses_labels_that_are_not_class_indices(target: list, error: type) -> None:
    """A negative label would silently index from the end; both sides refuse it, with the labels named."""
    logits = np.zeros((2, 3), np.float32)
    for kernel in (reference.cross_entropy, jit.cross_entropy):
        with pytest.raises(error, match="class labels"):
            kernel(logits, np.array(target))


@pytest.mark.parametrize("dtype", [np.float16, np.int64])
def test_other_dtypes_fall_back_to_reference(dtype: type) -> None:
    x = np.arange(-3, 4).astype(dtype)
    np.testing.assert_array_equal(jit.relu(x), reference.relu(x))
    assert jit.relu(x).dtype == reference.relu(x).dtype


def test_extremes_stay_finite_and_saturate() -> None:
    x = np.array([-1e4, -1000, -88, 0, 88, 1000, 1e4], np.float32)
    assert np.array_equal(jit.sigmoid(x)[[0, 1, -2, -1]], [0, 0, 1, 1])
    assert np.array_equal(jit.tanh(x)[[0, 1, -2, -1]], [-1, -1, 1, 1])
    assert np.all(np.isfinite(jit.elu(x, 1.0)))
    assert np.all(np.isfinite(jit.swish_backward(x, np.ones_like(x))))


@pytest.mark.parametrize("threads", [1, 2])
def test_split_across_threads_matches_reference(threads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pool, "PARALLEL_MIN_WORK", 64)
    previous = _pool.get_threads()
    _pool.set_threads(threads)
    try:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((50, 31)).astype(np.float32)
        target = rng.integers(0, 31, 50)
        assert_same(jit.tanh(x), reference.tanh(x), np.float32)
        assert_same(jit.softmax(x, -1), reference.softmax(x, -1), np.float32)
        assert_same(jit.cross_entropy(x, target)[1], reference.cross_entropy(x, target)[1], np.float32)
    finally:
        _pool.set_threads(previous)


def test_thread_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        _pool.set_threads(0)


@pytest.mark.parametrize("activation", reference.FUSABLE_ACTIVATIONS)
@settings(max_examples=20, deadline=None)
@given(data=st.data(), dtype=dtypes, n=st.integers(0, 40), k=st.integers(1, 13), m=st.integers(1, 21),
       need_x=st.booleans(), need_w=st.booleans())
def test_linear_activation_forward_and_backward(activation: str, data: st.DataObject, dtype: type, n: int, k: int,
                                                m: int, need_x: bool, need_w: bool) -> None:
    """Layers on both sides of ``SMALL_LINEAR_WORK`` (one loop, or BLAS with epilogues) match the reference."""
    x = data.draw(arrays((n, k), dtype, scale=10.0))
    w = data.draw(arrays((k, m), dtype, scale=1.0))
    b = data.draw(arrays((m,), dtype, scale=10.0))
    y = reference.linear_activation(x, w, b, activation)
    # z = x·w + b sums k products: both sides keep precision relative to their size.
    assert_same(jit.linear_activation(x, w, b, activation), y, dtype, k * biggest(x) * biggest(w) + biggest(b))
    grad = data.draw(arrays((n, m), dtype, scale=10.0))
    fast = jit.linear_activation_backward(x, w, y, grad, activation, need_x, need_w)
    ref = reference.linear_activation_backward(x, w, y, grad, activation, need_x, need_w)
    for got, want, terms in zip(fast, ref, (m * biggest(grad) * biggest(w), n * biggest(grad) * biggest(x),
                                            n * biggest(grad))):
        if want is None:
            assert got is None
        else:
            assert_same(got, want, dtype, terms)


@pytest.mark.parametrize(("shape", "small"), [((4, 3, 5), True), ((40, 13, 21), False)])
def test_a_small_layer_runs_as_one_loop_and_a_large_one_through_blas(
        monkeypatch: pytest.MonkeyPatch, shape: tuple[int, int, int], small: bool) -> None:
    """The shapes the property test spans fall on both sides of ``SMALL_LINEAR_WORK``."""
    calls: list[str] = []
    for name in ("small_linear_activation", "small_linear_activation_backward"):
        loop = getattr(_loops, name)
        monkeypatch.setattr(_loops, name, lambda *args, loop=loop, name=name: (calls.append(name), loop(*args))[1])
    n, k, m = shape
    rng = np.random.default_rng(0)
    x, w, b = rng.random((n, k)), rng.random((k, m)), rng.random(m)
    y = jit.linear_activation(x, w, b, "tanh")
    grads = jit.linear_activation_backward(x, w, y, np.ones_like(y), "tanh")
    assert calls == (["small_linear_activation", "small_linear_activation_backward"] if small else [])
    assert_same(y, reference.linear_activation(x, w, b, "tanh"), np.float64, k)
    for got, want in zip(grads, reference.linear_activation_backward(x, w, y, np.ones_like(y), "tanh")):
        assert_same(got, want, np.float64, max(n, m))


@settings(max_examples=25, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes)
def test_sgd_momentum_step_updates_like_reference(data: st.DataObject, dtype: type, shape: tuple[int, ...]) -> None:
    param = np.ascontiguousarray(data.draw(arrays(shape, dtype, scale=10.0)))
    grad = data.draw(arrays(shape, dtype, scale=10.0))
    velocity = np.ascontiguousarray(data.draw(arrays(shape, dtype, scale=10.0)))
    fast_param, fast_velocity = param.copy(), velocity.copy()
    jit.sgd_momentum_step(fast_param, grad, fast_velocity, 0.1, 0.9)
    reference.sgd_momentum_step(param, grad, velocity, 0.1, 0.9)
    assert_same(fast_velocity, velocity, dtype, 10.0)
    assert_same(fast_param, param, dtype, 10.0)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes, step=st.integers(1, 50))
def test_adam_step_updates_like_reference(data: st.DataObject, dtype: type, shape: tuple[int, ...], step: int) -> None:
    param = np.ascontiguousarray(data.draw(arrays(shape, dtype, scale=10.0)))
    grad = data.draw(arrays(shape, dtype, scale=10.0))
    m = np.ascontiguousarray(data.draw(arrays(shape, dtype, scale=1.0)))
    v = np.abs(np.ascontiguousarray(data.draw(arrays(shape, dtype, scale=1.0))))
    fast = param.copy(), m.copy(), v.copy()
    jit.adam_step(fast[0], grad, fast[1], fast[2], 1e-3, 0.9, 0.999, 1e-8, step)
    reference.adam_step(param, grad, m, v, 1e-3, 0.9, 0.999, 1e-8, step)
    assert_same(fast[1], m, dtype, 10.0)
    assert_same(fast[2], v, dtype, 100.0)
    assert_same(fast[0], param, dtype, 10.0)


def test_large_outputs_are_reused_only_once_nothing_refers_to_them() -> None:
    _buffers.clear()
    x = np.random.default_rng(0).standard_normal(1 << 19).astype(np.float32)
    first = jit.relu(x)
    second = jit.relu(x)
    assert first is not second and np.array_equal(first, second)
    view = first[:10]
    address = second.__array_interface__["data"][0]
    del first, second
    third = jit.sigmoid(x)
    assert third.__array_interface__["data"][0] == address  # the buffer nobody holds any more
    np.testing.assert_array_equal(view, np.maximum(x[:10], 0))  # a view keeps its buffer out of reuse
    assert_same(third, reference.sigmoid(x), np.float32)


@st.composite
def probabilities(draw: st.DrawFn, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Values in [0, 1] with exact 0s and 1s sprinkled in (the floored logs), maybe non-contiguous."""
    values = np.abs(np.tanh(draw(arrays(shape, dtype, scale=10.0)))).astype(dtype)
    flat = values.reshape(-1)
    if flat.size:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        picks = rng.integers(0, flat.size, size=min(flat.size, 3))
        flat[picks] = rng.choice(np.array([0.0, 1.0], dtype=dtype), size=picks.size)
    return values


@settings(max_examples=40, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes)
def test_binary_cross_entropy_forward_and_backward(data: st.DataObject, dtype: type, shape: tuple[int, ...]) -> None:
    prob, target = data.draw(probabilities(shape, dtype)), data.draw(probabilities(shape, dtype))
    losses = jit.binary_cross_entropy(prob, target)
    assert np.isfinite(losses).all() and (losses <= -reference.LOG_FLOOR).all()
    assert_same(losses, reference.binary_cross_entropy(prob, target), dtype)
    grad = data.draw(arrays(shape, dtype, scale=10.0))
    assert_same(jit.binary_cross_entropy_backward(prob, target, grad),
                reference.binary_cross_entropy_backward(prob, target, grad), dtype)
