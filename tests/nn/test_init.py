"""nn.init: PyTorch's names, arguments and distributions, on the (in, out) weight layout of our Linear."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import Tensor, nn

IN, OUT = 300, 200  # a Linear(300, 200): our weight is (300, 200), PyTorch's (200, 300)


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the comparisons with it are skipped")


def _pair(torch) -> tuple[Tensor, object]:
    """The weight of the same Linear layer here and in PyTorch."""
    return nn.Linear(IN, OUT).weight, torch.nn.Linear(IN, OUT).weight


# function: how to call it on a weight, given the init module (ours or torch.nn.init)
DISTRIBUTIONS: dict[str, Callable] = {
    "uniform_": lambda init, w: init.uniform_(w, -0.3, 0.7),
    "normal_": lambda init, w: init.normal_(w, 0.5, 2.0),
    "xavier_uniform_": lambda init, w: init.xavier_uniform_(w, gain=2.0),
    "xavier_normal_": lambda init, w: init.xavier_normal_(w, gain=0.5),
    "kaiming_uniform_": lambda init, w: init.kaiming_uniform_(w),
    "kaiming_uniform_-fan_out-relu": lambda init, w: init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"),
    "kaiming_uniform_-a": lambda init, w: init.kaiming_uniform_(w, a=5 ** 0.5),
    "kaiming_normal_": lambda init, w: init.kaiming_normal_(w),
    "kaiming_normal_-fan_out-tanh": lambda init, w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="tanh"),
    "trunc_normal_": lambda init, w: init.trunc_normal_(w, 0.2, 1.0, -1.0, 1.5),
    "orthogonal_": lambda init, w: init.orthogonal_(w, gain=1.5),
}


BOUNDED = {"uniform_", "xavier_uniform_", "kaiming_uniform_", "kaiming_uniform_-fan_out-relu", "kaiming_uniform_-a",
           "trunc_normal_"}


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_init_draws_pytorchs_distribution_for_the_same_layer(name: str) -> None:
    torch = _torch()
    tg.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = _pair(torch)
    with torch.no_grad():
        DISTRIBUTIONS[name](torch.nn.init, theirs)
    DISTRIBUTIONS[name](nn.init, ours)
    mine, reference = ours.data.astype(np.float64), theirs.detach().numpy().astype(np.float64)
    assert mine.shape == reference.T.shape
    scale = reference.std()
    # tolerances of about 4-5 standard errors of the difference between two samples of 60 000
    assert mine.mean() == pytest.approx(reference.mean(), abs=0.03 * scale)
    assert mine.std() == pytest.approx(scale, rel=0.02)
    levels = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    np.testing.assert_allclose(np.quantile(mine, levels), np.quantile(reference, levels), atol=0.05 * scale)
    if name in BOUNDED:  # the same support: the extremes of 60 000 draws lie within 1% of its ends
        np.testing.assert_allclose([mine.min(), mine.max()], [reference.min(), reference.max()], atol=0.01 * scale)


def test_kaiming_uniform_bound_uses_the_fan_in_of_the_transposed_layout() -> None:
    tg.manual_seed(1)
    weight = nn.init.kaiming_uniform_(tg.zeros(IN, OUT))
    bound = np.sqrt(2.0) * np.sqrt(3.0 / IN)  # gain √2 (leaky_relu, a = 0), fan_in = in_features
    assert np.abs(weight.data).max() <= bound and np.abs(weight.data).max() > 0.99 * bound
    fan_out = nn.init.kaiming_normal_(tg.zeros(IN, OUT), mode="fan_out")
    assert fan_out.data.std() == pytest.approx(np.sqrt(2.0 / OUT), rel=0.02)
    assert nn.init.fans(tg.zeros(IN, OUT)) == (IN, OUT)
    assert nn.init.fans(tg.zeros(3, IN, OUT)) == (3 * IN, 3 * OUT)


@pytest.mark.parametrize(("rows", "cols"), [(30, 20), (20, 30), (12, 12)])
def test_orthogonal_gives_orthonormal_columns_or_rows(rows: int, cols: int) -> None:
    weight = nn.init.orthogonal_(tg.zeros(rows, cols, dtype=np.float64), gain=2.0).data / 2.0
    small = min(rows, cols)
    gram = weight.T @ weight if rows >= cols else weight @ weight.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_trunc_normal_stays_in_its_bounds() -> None:
    tg.manual_seed(2)
    weight = nn.init.trunc_normal_(tg.zeros(100, 100), mean=1.0, std=2.0, a=-0.5, b=1.0)
    assert weight.data.min() >= -0.5 and weight.data.max() <= 1.0 and weight.data.min() < -0.49


@pytest.mark.parametrize(("nonlinearity", "param"), [("linear", None), ("conv2d", None), ("sigmoid", None),
                                                     ("tanh", None), ("relu", None), ("leaky_relu", None),
                                                     ("leaky_relu", 0.2), ("leaky_relu", 0), ("selu", None)])
def test_calculate_gain_matches_pytorch(nonlinearity: str, param: float | None) -> None:
    torch = _torch()
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def test_init_writes_in_place_bumps_the_version_and_records_nothing() -> None:
    layer = nn.Linear(4, 3)
    weight, array = layer.weight, layer.weight.data
    before = weight._version
    for call in (nn.init.ones_, nn.init.zeros_, lambda w: nn.init.constant_(w, 0.3), nn.init.xavier_normal_,
                 nn.init.orthogonal_, nn.init.trunc_normal_):
        assert call(weight) is weight
    assert weight._version == before + 6
    assert layer.weight.data is array and weight.requires_grad and weight.grad_fn is None
    assert isinstance(layer.weight, nn.Parameter)
    nn.init.constant_(weight, 0.3)
    np.testing.assert_array_equal(weight.data, np.full((4, 3), 0.3, np.float32))


def test_init_refuses_a_saved_tensor_afterwards_as_any_in_place_change() -> None:
    weight = tg.Tensor(np.ones((2, 2), np.float32), requires_grad=True)
    loss = (tg.ones(3, 2) @ weight).sum()
    nn.init.normal_(weight)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_init_is_reproducible_under_manual_seed_and_apply_initialises_a_model() -> None:
    def initialise(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
            nn.init.zeros_(module.bias)

    model = nn.mlp([5, 7, 2])
    tg.manual_seed(9)
    first = [p.data.copy() for p in model.apply(initialise).parameters()]
    tg.manual_seed(9)
    again = [p.data.copy() for p in model.apply(initialise).parameters()]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not first[1].any()


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: nn.init.xavier_uniform_(tg.zeros(5)), ValueError, "fewer than 2 dimensions"),
    (lambda: nn.init.kaiming_normal_(tg.zeros(5)), ValueError, "fewer than 2 dimensions"),
    (lambda: nn.init.kaiming_uniform_(tg.zeros(2, 2), mode="fan"), ValueError, "mode must be 'fan_in' or 'fan_out'"),
    (lambda: nn.init.kaiming_uniform_(tg.zeros(2, 2), nonlinearity="swish"), ValueError,
     "unsupported nonlinearity 'swish'"),
    (lambda: nn.init.calculate_gain("leaky_relu", "big"), ValueError, "negative_slope 'big' is not a valid number"),
    (lambda: nn.init.orthogonal_(tg.zeros(4)), ValueError, "2 or more dimensions"),
    (lambda: nn.init.trunc_normal_(tg.zeros(4), a=1.0, b=0.0), ValueError, r"a \(1.0\) must be less than b"),
    (lambda: nn.init.trunc_normal_(tg.zeros(4), mean=100.0), ValueError, "holds almost none"),
    (lambda: nn.init.normal_(tg.zeros(4), std=-1.0), ValueError, "std must be non-negative"),
    (lambda: nn.init.uniform_(tg.zeros(4), 1.0, 0.0), ValueError, "must not be greater than b"),
    (lambda: nn.init.zeros_(np.zeros(3)), TypeError, "expected a Tensor, got ndarray"),
    (lambda: nn.init.ones_(tg.Tensor(np.zeros(3, np.int64))), TypeError, "must be floating point"),
])
def test_bad_init_arguments_are_refused_clearly(call: Callable, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()
