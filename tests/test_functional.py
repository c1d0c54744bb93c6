"""F: activations as functions, linear, one_hot and every loss with every reduction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, leaf

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(7)
LOGITS = RNG.normal(size=(5, 4)) * 2
LABELS = np.array([0, 3, 1, 3, 2])
SOFT = RNG.dirichlet(np.ones(4), size=5)
PROBS = RNG.uniform(0.05, 0.95, (5, 3))
BINARY = (RNG.uniform(size=(5, 3)) > 0.5).astype(np.float64)


def reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


EXPECTED = {
    "mse": lambda: (PROBS - BINARY) ** 2,
    "bce": lambda: -(BINARY * np.log(PROBS) + (1 - BINARY) * np.log(1 - PROBS)),
    "bce_logits": lambda: -(BINARY * np.log(1 / (1 + np.exp(-LOGITS[:, :3])))
                            + (1 - BINARY) * np.log(1 - 1 / (1 + np.exp(-LOGITS[:, :3])))),
    "ce_int": lambda: -log_softmax(LOGITS)[np.arange(5), LABELS],
    "ce_prob": lambda: -(SOFT * log_softmax(LOGITS)).sum(axis=1),
}

LOSSES = {
    "mse": (lambda p, r: F.mse_loss(p, BINARY, reduction=r), PROBS),
    "bce": (lambda p, r: F.binary_cross_entropy(p, BINARY, reduction=r), PROBS),
    "bce_logits": (lambda z, r: F.binary_cross_entropy_with_logits(z, BINARY, reduction=r), LOGITS[:, :3]),
    "ce_int": (lambda z, r: F.cross_entropy(z, LABELS, reduction=r), LOGITS),
    "ce_prob": (lambda z, r: F.cross_entropy(z, SOFT, reduction=r), LOGITS),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_value_and_gradient_for_every_reduction(loss: str, reduction: str) -> None:
    fn, x = LOSSES[loss]
    out = fn(leaf(x), reduction)
    np.testing.assert_allclose(out.data, reduce(EXPECTED[loss](), reduction), rtol=1e-10)
    assert tg.gradcheck(lambda t: fn(t, reduction), [leaf(x)])


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_float32_losses_agree_with_float64(loss: str) -> None:
    fn, x = LOSSES[loss]
    grads = []
    for dtype in (np.float32, np.float64):
        t = Tensor(x, dtype=dtype, requires_grad=True)
        out = fn(t, "mean")
        assert out.dtype == dtype
        out.backward()
        assert t.grad.dtype == dtype
        grads.append((out.item(), t.grad.data))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-5)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-4, atol=1e-6)


def test_default_reduction_is_mean() -> None:
    for loss, (fn, x) in LOSSES.items():
        default = {"mse": lambda t: F.mse_loss(t, BINARY), "bce": lambda t: F.binary_cross_entropy(t, BINARY),
                   "bce_logits": lambda t: F.binary_cross_entropy_with_logits(t, BINARY),
                   "ce_int": lambda t: F.cross_entropy(t, LABELS), "ce_prob": lambda t: F.cross_entropy(t, SOFT)}
        np.testing.assert_allclose(default[loss](leaf(x)).data, fn(leaf(x), "mean").data, err_msg=loss)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses_differentiate_their_targets_too(reduction: str) -> None:
    checks = [
        (lambda p, y: F.mse_loss(p, y, reduction=reduction), PROBS, BINARY * 0.8 + 0.1),
        (lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction), PROBS, BINARY * 0.8 + 0.1),
        (lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction=reduction), LOGITS[:, :3], PROBS),
        (lambda z, y: F.cross_entropy(z, y, reduction=reduction), LOGITS, SOFT),
    ]
    for fn, x, y in checks:
        assert tg.gradcheck(fn, [leaf(x), leaf(y)])


@given(data=st.data())
def test_cross_entropy_gradient_is_softmax_minus_one_hot(data: st.DataObject) -> None:
    n, c = data.draw(st.integers(1, 5)), data.draw(st.integers(2, 5))
    logits = data.draw(arrays((n, c), -4, 4))
    labels = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    z = leaf(logits)
    F.cross_entropy(z, labels, reduction="sum").backward()
    probs = np.exp(log_softmax(logits))
    np.testing.assert_allclose(z.grad.data, probs - np.eye(c)[labels], atol=1e-12)
    z_soft = leaf(logits)
    F.cross_entropy(z_soft, np.eye(c)[labels], reduction="sum").backward()
    np.testing.assert_allclose(z_soft.grad.data, z.grad.data, atol=1e-12)
    assert tg.gradcheck(lambda t: F.cross_entropy(t, labels), [leaf(logits)])


def test_cross_entropy_takes_tensors_lists_and_one_sample() -> None:
    z = leaf(LOGITS)
    expected = F.cross_entropy(z, LABELS).item()
    assert F.cross_entropy(z, Tensor(LABELS)).item() == pytest.approx(expected)
    assert F.cross_entropy(z, LABELS.tolist()).item() == pytest.approx(expected)
    assert F.cross_entropy(z, LABELS.astype(np.int32)).item() == pytest.approx(expected)
    assert F.cross_entropy(z, F.one_hot(LABELS, 4).to(np.float64)).item() == pytest.approx(expected)
    one = F.cross_entropy(leaf(LOGITS[1]), 3)
    assert one.shape == () and one.item() == pytest.approx(-log_softmax(LOGITS[1])[3])
    assert tg.gradcheck(lambda t: F.cross_entropy(t, 3), [leaf(LOGITS[1])])
    assert tg.gradcheck(lambda t: F.cross_entropy(t, SOFT[0]), [leaf(LOGITS[0])])


def test_cross_entropy_in_float32() -> None:
    z = Tensor(LOGITS, dtype=np.float32, requires_grad=True)
    loss = F.cross_entropy(z, LABELS)
    assert loss.dtype == np.float32
    loss.backward()
    assert z.grad.dtype == np.float32
    np.testing.assert_allclose(loss.item(), EXPECTED["ce_int"]().mean(), rtol=1e-5)


def test_one_hot() -> None:
    out = F.one_hot(np.array([2, 0, 1]), 3)
    assert out.dtype == np.float32 and not out.requires_grad
    np.testing.assert_array_equal(out.data, np.eye(3)[[2, 0, 1]])
    assert F.one_hot(Tensor([[1, 0]]), 2).shape == (1, 2, 2)
    with pytest.raises(ValueError, match=r"\[0, 3\).*\[3\]"):
        F.one_hot([0, 3], 3)
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(np.array([0.5]), 3)


def test_activation_functions_match_the_methods_and_formulas() -> None:
    x = np.linspace(-3, 3, 13)
    t = leaf(x)
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(F.sigmoid(t).data, sig)
    np.testing.assert_allclose(F.tanh(t).data, np.tanh(x))
    np.testing.assert_allclose(F.relu(t).data, np.maximum(x, 0))
    np.testing.assert_allclose(F.leaky_relu(t).data, np.where(x > 0, x, 0.01 * x))
    np.testing.assert_allclose(F.leaky_relu(t, 0.1).data, np.maximum(0.1 * x, x))
    np.testing.assert_allclose(F.elu(t).data, np.where(x >= 0, x, np.exp(x) - 1))
    np.testing.assert_allclose(F.elu(t, alpha=2.0).data, np.where(x >= 0, x, 2 * (np.exp(x) - 1)))
    np.testing.assert_allclose(F.swish(t).data, x * sig)
    np.testing.assert_allclose(F.silu(t).data, x * sig)
    m = leaf(x.reshape(13, 1) * np.ones((1, 2)))
    np.testing.assert_allclose(F.softmax(m, axis=0).data, m.softmax(axis=0).data)
    np.testing.assert_allclose(F.log_softmax(m).data, np.log(F.softmax(m).data))


def test_linear_is_x_at_w_plus_b() -> None:
    x, w, b = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2)), RNG.normal(size=(2,))
    np.testing.assert_allclose(F.linear(leaf(x), leaf(w), leaf(b)).data, x @ w + b)
    np.testing.assert_allclose(F.linear(leaf(x), leaf(w)).data, x @ w)
    assert tg.gradcheck(F.linear, [leaf(x), leaf(w), leaf(b)])


# ----------------------------------------------------------------------------- stability


@pytest.mark.usefixtures("warnings_are_errors")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_predictions_of_exactly_0_and_1(dtype, reduction: str) -> None:
    p = Tensor([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dtype, requires_grad=True)
    y = Tensor([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype, requires_grad=True)
    loss = F.binary_cross_entropy(p, y, reduction=reduction)
    loss.sum().backward()
    assert np.all(np.isfinite(loss.data))
    assert np.all(np.isfinite(p.grad.data)) and np.all(np.isfinite(y.grad.data))
    per = F.binary_cross_entropy(p.detach(), y.detach(), reduction="none").data
    np.testing.assert_allclose(per[:2], 0.0, atol=1e-7)
    assert per[2] == pytest.approx(100.0) and per[3] == pytest.approx(100.0)


@pytest.mark.usefixtures("warnings_are_errors")
def test_bce_through_a_saturated_sigmoid() -> None:
    z = Tensor([-1000.0, 1000.0], requires_grad=True)
    loss = F.binary_cross_entropy(z.sigmoid(), [1.0, 0.0])
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad.data))
    z2 = Tensor([-1000.0, 1000.0], requires_grad=True)
    loss2 = F.binary_cross_entropy_with_logits(z2, [1.0, 0.0])
    loss2.backward()
    assert loss2.item() == pytest.approx(1000.0)
    np.testing.assert_allclose(z2.grad.data, [-0.5, 0.5])


@pytest.mark.usefixtures("warnings_are_errors")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", ["int", "prob"])
def test_cross_entropy_at_logits_around_1e4(dtype, target: str) -> None:
    z = Tensor([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4]], dtype=dtype, requires_grad=True)
    labels = np.array([2, 1])
    y = labels if target == "int" else np.eye(3)[labels]
    loss = F.cross_entropy(z, y, reduction="none")
    loss.sum().backward()
    assert np.all(np.isfinite(loss.data)) and np.all(np.isfinite(z.grad.data))
    np.testing.assert_allclose(loss.data, [2e4, np.log(2)], rtol=1e-5)
    np.testing.assert_allclose(z.grad.data, [[1, 0, -1], [0, -0.5, 0.5]], atol=1e-6)


# ----------------------------------------------------------------------------- clear errors


def test_cross_entropy_labels_out_of_range() -> None:
    z = leaf(LOGITS)
    with pytest.raises(ValueError, match=r"\[0, 4\).*\[4\]"):
        F.cross_entropy(z, [0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"-1"):
        F.cross_entropy(z, [0, 1, 2, 3, -1])


def test_loss_shape_and_argument_errors() -> None:
    z = leaf(LOGITS)
    with pytest.raises(ValueError, match=r"\(5,\).*\(4,\)|\(4,\)"):
        F.cross_entropy(z, [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"\(5, 4\).*\(5, 3\)"):
        F.cross_entropy(z, SOFT[:, :3])
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) needs class indices of shape \(2, 4\)"):
        F.cross_entropy(leaf(np.ones((2, 3, 4))), [0, 1])
    with pytest.raises(ValueError, match=r"mse_loss.*\(5, 3\).*\(5,\)"):
        F.mse_loss(leaf(PROBS), np.ones(5))
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*\(5, 3\).*\(3,\)"):
        F.binary_cross_entropy(leaf(PROBS), np.ones(3))
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(leaf(LOGITS), np.ones((5, 4)))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(leaf(PROBS), BINARY, reduction="avg")


# ----------------------------------------------------------------------------- against PyTorch


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses_match_pytorch(reduction: str) -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    pairs = [
        (lambda t: F.mse_loss(t, BINARY, reduction=reduction),
         lambda t: tf.mse_loss(t, torch.tensor(BINARY), reduction=reduction), PROBS),
        (lambda t: F.binary_cross_entropy(t, BINARY, reduction=reduction),
         lambda t: tf.binary_cross_entropy(t, torch.tensor(BINARY), reduction=reduction), PROBS),
        (lambda t: F.binary_cross_entropy_with_logits(t, PROBS, reduction=reduction),
         lambda t: tf.binary_cross_entropy_with_logits(t, torch.tensor(PROBS), reduction=reduction), LOGITS[:, :3]),
        (lambda t: F.cross_entropy(t, LABELS, reduction=reduction),
         lambda t: tf.cross_entropy(t, torch.tensor(LABELS), reduction=reduction), LOGITS),
        (lambda t: F.cross_entropy(t, SOFT, reduction=reduction),
         lambda t: tf.cross_entropy(t, torch.tensor(SOFT), reduction=reduction), LOGITS),
    ]
    for ours, theirs, x in pairs:
        t, r = leaf(x), torch.tensor(x, requires_grad=True)
        out, ref = ours(t), theirs(r)
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10)
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_allclose(t.grad.data, r.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_binary_cross_entropy_refuses_nan_predictions_as_pytorch_does():
    with pytest.raises(ValueError, match="found NaN"):
        F.binary_cross_entropy(tg.tensor([0.5, float("nan")]), tg.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="outside"):
        F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0]))
