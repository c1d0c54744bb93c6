"""``_loops.pairwise_sum`` adds in NumPy's order, so a whole-step kernel's mean loss equals eager's bit for bit."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from tinygrad_vn.kernels import _loops


@given(n=st.integers(1, 3000), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**32 - 1),
       shape=st.sampled_from(["flat", "column", "row"]))
def test_pairwise_sum_equals_numpy_sum_bit_for_bit(n, dtype, seed, shape):
    values = (np.random.default_rng(seed).normal(size=n) * 10 ** np.random.default_rng(seed + 1).uniform(-3, 3, n))
    array = values.astype(dtype).reshape({"flat": (n,), "column": (n, 1), "row": (1, n)}[shape])
    assert _loops.pairwise_sum(array.ravel()) == np.sum(array)


def test_pairwise_sum_keeps_nan_and_inf():
    assert np.isnan(_loops.pairwise_sum(np.array([1.0, np.nan] * 10)))
    assert _loops.pairwise_sum(np.array([1.0, np.inf] * 80)) == np.inf
