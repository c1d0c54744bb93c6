"""tg.data.MinMaxScaler and StandardScaler: the two scalings of seed 000."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn.data import MinMaxScaler, StandardScaler

HEIGHTS = np.array([[160.0], [165.0], [170.0]])
WEIGHTS = np.array([62.0, 64.0, 66.0])


def test_min_max_scaling_gives_the_seeds_table() -> None:
    np.testing.assert_allclose(MinMaxScaler().fit_transform(HEIGHTS), [[0.0], [0.5], [1.0]])
    np.testing.assert_allclose(MinMaxScaler().fit_transform(WEIGHTS), [0.0, 0.5, 1.0])
    scaler = MinMaxScaler().fit(HEIGHTS)
    np.testing.assert_allclose(scaler.transform(np.array([[175.0]])), [[1.5]])
    np.testing.assert_allclose(scaler.inverse_transform(np.array([[0.5]])), [[165.0]])


def test_min_max_feature_range_and_columns() -> None:
    data = np.array([[1.0, 10.0], [3.0, 30.0], [2.0, 20.0]])
    out = MinMaxScaler(feature_range=(-1, 1)).fit_transform(data)
    np.testing.assert_allclose(out, [[-1, -1], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match="increasing"):
        MinMaxScaler(feature_range=(1, 0))


def test_standard_scaling_is_a_z_score() -> None:
    data = np.random.default_rng(0).normal(5, 3, (50, 3))
    scaler = StandardScaler()
    out = scaler.fit_transform(data)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(out), data, rtol=1e-12)
    np.testing.assert_allclose(StandardScaler().fit_transform(HEIGHTS)[:, 0], [-np.sqrt(1.5), 0, np.sqrt(1.5)])


@pytest.mark.parametrize("scaler", [MinMaxScaler, StandardScaler])
def test_scalers_keep_the_kind_and_float_dtype_of_their_input(scaler) -> None:
    x32 = HEIGHTS.astype(np.float32)
    assert scaler().fit_transform(x32).dtype == np.float32
    assert scaler().fit_transform(HEIGHTS).dtype == np.float64
    t = scaler().fit_transform(tg.Tensor(x32))
    assert isinstance(t, tg.Tensor) and t.dtype == np.float32
    fitted = scaler().fit(HEIGHTS)
    np.testing.assert_allclose(fitted.inverse_transform(fitted.transform(HEIGHTS)), HEIGHTS)


@pytest.mark.parametrize("scaler", [MinMaxScaler, StandardScaler])
def test_scalers_handle_constant_features_and_report_misuse(scaler) -> None:
    out = scaler().fit_transform(np.array([[2.0, 1.0], [2.0, 3.0]]))
    assert np.all(np.isfinite(out)) and np.all(out[:, 0] == 0)
    with pytest.raises(RuntimeError, match="fit"):
        scaler().transform(HEIGHTS)
    with pytest.raises(ValueError, match="features"):
        scaler().fit(HEIGHTS).transform(np.ones((2, 2)))
    with pytest.raises(ValueError):
        scaler().fit(np.ones((0, 2)))
