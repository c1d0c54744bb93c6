"""NaN and ±inf go through every Numba kernel exactly as through its NumPy reference, and the
reference gives what PyTorch gives.

Both backends are reached through the seam (``backend.KernelTable``), as ops reach them. Inputs mix
NaN, +inf and -inf into random values (and into gradients, weights, optimizer state); the outputs
must hold NaN, +inf and -inf in exactly the same places, and the finite rest must agree within the
tolerances of ``test_jit_equivalence``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinygrad_vn.kernels import _fastmath, jit, reference

from tinygrad_vn import backend

NUMBA = backend.KernelTable("numba")
NUMPY = backend.KernelTable("numpy")

RTOL = {np.float32: 1e-5, np.float64: 1e-12}
TINY = {np.float32: 1e-33, np.float64: 1e-300}
SPECIALS = (np.nan, np.inf, -np.inf)

dtypes = st.sampled_from([np.float32, np.float64])
shapes = st.lists(st.integers(1, 9), min_size=1, max_size=3).map(tuple) | st.tuples(st.integers(1, 300))
matrix_shapes = st.tuples(st.integers(1, 12), st.integers(1, 37))


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...], dtype: type, scale: float = 100.0) -> np.ndarray:
    """Random values up to ``scale`` with NaN, ±inf, 0 and exp's subnormal range mixed in, maybe non-contiguous."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layout = draw(st.sampled_from(["contiguous", "strided", "transposed"]))
    full = (*shape[:-1], 2 * shape[-1]) if layout == "strided" else shape
    values = (rng.standard_normal(full) * draw(st.sampled_from([1.0, scale]))).astype(dtype)
    flat = values.reshape(-1)
    share = draw(st.sampled_from([0.05, 0.3, 1.0]))
    picks = rng.random(flat.size) < share
    extremes = np.array([*SPECIALS, 0.0, -95.0, -740.0], dtype=dtype)
    flat[picks] = rng.choice(extremes, size=int(picks.sum()), p=[0.3, 0.25, 0.25, 0.1, 0.05, 0.05])
    if layout == "strided":
        return values[..., ::2]
    if layout == "transposed" and len(shape) >= 2:
        return np.ascontiguousarray(values.swapaxes(-1, -2)).swapaxes(-1, -2)
    return values


def finite_biggest(*arrays: np.ndarray) -> float:
    """The largest finite magnitude among ``arrays`` (what the finite results' rounding scales with)."""
    finite = [np.abs(a[np.isfinite(a)]).max() for a in arrays if np.isfinite(a).any()]
    return float(max(finite, default=0.0))


def assert_same(fast: np.ndarray, ref: np.ndarray, dtype: type, cancelling_scale: float = 0.0) -> None:
    """Same dtype and shape; NaN, +inf and -inf in the same places; finite values within tolerance."""
    assert fast.dtype == ref.dtype and fast.shape == ref.shape
    for name, where in (("NaN", np.isnan), ("+inf", np.isposinf), ("-inf", np.isneginf)):
        np.testing.assert_array_equal(where(fast), where(ref), err_msg=f"{name} in different places")
    finite = np.isfinite(ref)
    rtol = RTOL[dtype]
    np.testing.assert_allclose(fast[finite], ref[finite], rtol=rtol, atol=TINY[dtype] + rtol * cancelling_scale)


def both(name: str, *args: object) -> tuple:
    """``name`` through the numba and the numpy backend, each on its own copy of ``args``."""
    copies = [tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args) for _ in range(2)]
    with np.errstate(all="ignore"):
        return getattr(NUMBA, name)(*copies[0]), getattr(NUMPY, name)(*copies[1])


UNARY: dict[str, Callable[[np.ndarray], tuple]] = {
    "sigmoid": lambda x: (x,),
    "tanh": lambda x: (x,),
    "relu": lambda x: (x,),
    "swish": lambda x: (x,),
    "leaky_relu": lambda x: (x, 0.02),
    "elu": lambda x: (x, 0.7),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes)
def test_activation_forward(name: str, data: st.DataObject, dtype: type, shape: tuple[int, ...]) -> None:
    fast, ref = both(name, *UNARY[name](data.draw(arrays(shape, dtype))))
    assert_same(fast, ref, dtype)


def _forward(name: str, *args: object) -> np.ndarray:
    with np.errstate(all="ignore"):
        return getattr(reference, name)(*args)


BACKWARD: dict[str, Callable[[np.ndarray, np.ndarray], tuple]] = {
    "sigmoid_backward": lambda x, g: (_forward("sigmoid", x), g),
    "tanh_backward": lambda x, g: (_forward("tanh", x), g),
    "relu_backward": lambda x, g: (x, g),
    "swish_backward": lambda x, g: (x, g),
    "leaky_relu_backward": lambda x, g: (x, g, 0.02),
    "elu_backward": lambda x, g: (x, _forward("elu", x, 0.7), g, 0.7),
}


@pytest.mark.parametrize("name", sorted(BACKWARD))
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes)
def test_activation_backward(name: str, data: st.DataObject, dtype: type, shape: tuple[int, ...]) -> None:
    x, grad = data.draw(arrays(shape, dtype)), data.draw(arrays(shape, dtype, scale=10.0))
    fast, ref = both(name, *BACKWARD[name](x, grad))
    # d swish cancels where σ + x σ (1 − σ) crosses 0 (see test_jit_equivalence).
    scale = finite_biggest(grad) * (1 + finite_biggest(x) / 4) if name == "swish_backward" else 0.0
    assert_same(fast, ref, dtype, scale)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=matrix_shapes, axis=st.sampled_from([-1, 1, 0]))
def test_softmax_forward(name: str, data: st.DataObject, dtype: type, shape: tuple[int, int], axis: int) -> None:
    x = data.draw(arrays(shape, dtype, scale=1e3))
    fast, ref = both(name, x, axis)
    assert_same(fast, ref, dtype, 2 * finite_biggest(x) if name == "log_softmax" else 0.0)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=matrix_shapes, axis=st.sampled_from([-1, 0]))
def test_softmax_backward(name: str, data: st.DataObject, dtype: type, shape: tuple[int, int], axis: int) -> None:
    y = _forward(name, data.draw(arrays(shape, dtype, scale=1e3)), axis)
    grad = data.draw(arrays(shape, dtype, scale=10.0))
    fast, ref = both(f"{name}_backward", y, grad, axis)
    assert_same(fast, ref, dtype, finite_biggest(grad))


@settings(max_examples=40, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=matrix_shapes)
def test_cross_entropy_forward_and_backward(data: st.DataObject, dtype: type, shape: tuple[int, int]) -> None:
    logits = data.draw(arrays(shape, dtype, scale=1e3))
    target = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).integers(0, shape[1], shape[0])
    (losses, probs), (ref_losses, ref_probs) = both("cross_entropy", logits, target)
    assert_same(losses, ref_losses, dtype, 2 * finite_biggest(logits))
    assert_same(probs, ref_probs, dtype)
    grad = data.draw(arrays((shape[0],), dtype, scale=10.0))
    fast, ref = both("cross_entropy_backward", ref_probs, target, grad)
    assert_same(fast, ref, dtype)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes)
def test_binary_cross_entropy_forward_and_backward(data: st.DataObject, dtype: type, shape: tuple[int, ...]) -> None:
    """Probabilities and targets in [0, 1] with NaN mixed in (a NaN prediction from upstream)."""
    def probabilities() -> np.ndarray:
        values = data.draw(arrays(shape, dtype, scale=10.0))
        return np.where(np.isnan(values), values, np.abs(np.tanh(values))).astype(dtype)

    prob, target = probabilities(), probabilities()
    assert_same(*both("binary_cross_entropy", prob, target), dtype)
    grad = data.draw(arrays(shape, dtype, scale=10.0))
    assert_same(*both("binary_cross_entropy_backward", prob, target, grad), dtype)


@pytest.mark.parametrize("activation", reference.FUSABLE_ACTIVATIONS)
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=dtypes, n=st.integers(1, 40), k=st.integers(1, 13), m=st.integers(1, 21),
       need_x=st.booleans(), need_w=st.booleans())
def test_linear_activation_forward_and_backward(activation: str, data: st.DataObject, dtype: type, n: int, k: int,
                                                m: int, need_x: bool, need_w: bool) -> None:
    """Both fused paths: layers up to ``SMALL_LINEAR_WORK`` run as one loop, larger ones as BLAS + epilogue."""
    x = np.ascontiguousarray(data.draw(arrays((n, k), dtype, scale=10.0)))
    w = np.ascontiguousarray(data.draw(arrays((k, m), dtype, scale=1.0)))
    b = data.draw(arrays((m,), dtype, scale=10.0))
    fast_y, y = both("linear_activation", x, w, b, activation)
    terms = k * finite_biggest(x) * finite_biggest(w) + finite_biggest(b)
    assert_same(fast_y, y, dtype, terms)
    grad = data.draw(arrays((n, m), dtype, scale=10.0))
    fast, ref = both("linear_activation_backward", x, w, y, grad, activation, need_x, need_w)
    scales = (m * finite_biggest(grad) * finite_biggest(w), n * finite_biggest(grad) * finite_biggest(x),
              n * finite_biggest(grad))
    for got, want, scale in zip(fast, ref, scales):
        if want is None:
            assert got is None
        else:
            assert_same(got, want, dtype, scale)


def test_the_layer_sizes_span_both_fused_paths() -> None:
    """The property test above reaches both sides of the small-layer limit."""
    assert 1 * 1 * 1 <= jit.SMALL_LINEAR_WORK < 40 * 13 * 21


def _optimizer_state(data: st.DataObject, shape: tuple[int, ...], dtype: type, count: int) -> list[np.ndarray]:
    return [np.ascontiguousarray(data.draw(arrays(shape, dtype, scale=10.0))) for _ in range(count)]


@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes)
def test_sgd_momentum_step(data: st.DataObject, dtype: type, shape: tuple[int, ...]) -> None:
    param, grad, velocity = _optimizer_state(data, shape, dtype, 3)
    fast, ref = [param.copy(), velocity.copy()], [param.copy(), velocity.copy()]
    with np.errstate(all="ignore"):
        NUMBA.sgd_momentum_step(fast[0], grad, fast[1], 0.1, 0.9)
        NUMPY.sgd_momentum_step(ref[0], grad, ref[1], 0.1, 0.9)
    for got, want in zip(fast, ref):
        assert_same(got, want, dtype, 10.0)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=dtypes, shape=shapes, step=st.integers(1, 50))
def test_adam_step(data: st.DataObject, dtype: type, shape: tuple[int, ...], step: int) -> None:
    param, grad, m, v = _optimizer_state(data, shape, dtype, 4)
    v = np.abs(v)
    fast, ref = [param.copy(), m.copy(), v.copy()], [param.copy(), m.copy(), v.copy()]
    with np.errstate(all="ignore"):
        NUMBA.adam_step(fast[0], grad, fast[1], fast[2], 1e-3, 0.9, 0.999, 1e-8, step)
        NUMPY.adam_step(ref[0], grad, ref[1], ref[2], 1e-3, 0.9, 0.999, 1e-8, step)
    for got, want, scale in zip(fast, ref, (10.0, 10.0, 100.0)):
        assert_same(got, want, dtype, scale)


COVERED = {*UNARY, *BACKWARD, "softmax", "softmax_backward", "log_softmax", "log_softmax_backward", "cross_entropy",
           "cross_entropy_backward", "binary_cross_entropy", "binary_cross_entropy_backward", "linear_activation",
           "linear_activation_backward", "sgd_momentum_step", "adam_step"}


def test_every_numba_kernel_is_covered_here() -> None:
    """A kernel added to ``jit`` without a non-finite test here fails this."""
    kernels = {name for name in dir(jit) if not name.startswith("_") and callable(getattr(jit, name))
               and getattr(jit, name).__module__ == jit.__name__}
    assert kernels == COVERED


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_results_in_the_subnormal_range_are_not_flushed_to_zero(dtype: type) -> None:
    """σ(−95) is a float32 subnormal (σ(−740) a float64 one); as 0, ∞ · σ′ would turn into NaN."""
    x = np.array([-95.0 if dtype == np.float32 else -740.0], dtype)
    sigmoid = NUMBA.sigmoid(x)
    assert 0 < sigmoid[0] < np.finfo(dtype).tiny
    np.testing.assert_allclose(sigmoid, reference.sigmoid(x), rtol=1e-3)
    assert NUMBA.swish_backward(x, np.array([np.inf], dtype))[0] == -np.inf


@pytest.mark.parametrize("function", [_fastmath.exp, _fastmath.expm1])
def test_the_python_fallbacks_keep_nan_and_reach_the_top_of_the_range(function: Callable[[float], float]) -> None:
    """What runs with ``NUMBA_DISABLE_JIT=1``: NaN in, NaN out; finite up to ln(largest float64)."""
    assert math.isnan(function(math.nan))
    assert math.isfinite(function(709.7)) and function(710.0) == math.inf
    assert function(-math.inf) == (0.0 if function is _fastmath.exp else -1.0)
