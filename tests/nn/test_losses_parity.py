"""Every loss, functional and module, against PyTorch: values and gradients, options, gradcheck, errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, leaf

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn

RNG = np.random.default_rng(12)
N, C = 6, 4
SCORES = RNG.normal(size=(N, C)) * 1.5
LABELS = np.array([0, 3, 1, 3, 2, 1])
LABELS_IGNORED = np.array([0, -100, 1, 3, -100, 1])
SPATIAL = RNG.normal(size=(3, C, 2, 2))
SPATIAL_LABELS = RNG.integers(0, C, (3, 2, 2))
SPATIAL_LABELS_IGNORED = np.where(RNG.random((3, 2, 2)) < 0.3, -100, SPATIAL_LABELS)
SOFT = RNG.dirichlet(np.ones(C), size=N)
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
PROBS = RNG.uniform(0.05, 0.95, (N, 3))
TARGETS = RNG.uniform(0.0, 1.0, (N, 3))
WIDE = RNG.uniform(-3, 3, (N, 3))
KL_TARGET = RNG.dirichlet(np.ones(C), size=N)
KL_TARGET_ZEROS = np.where(RNG.random((N, C)) < 0.3, 0.0, KL_TARGET)

# name: (call(F, *tensors, reduction), float inputs that take a gradient, integer / constant inputs, reductions)
Case = tuple[Callable[..., Any], tuple[np.ndarray, ...], tuple[np.ndarray, ...], tuple[str, ...]]
STANDARD = ("mean", "sum", "none")
KL = ("batchmean", "sum", "none", "mean")
CASES: dict[str, Case] = {
    "mse": (lambda f, x, y, r: f.mse_loss(x, y, reduction=r), (WIDE, TARGETS), (), STANDARD),
    "l1": (lambda f, x, y, r: f.l1_loss(x, y, reduction=r), (WIDE, TARGETS), (), STANDARD),
    "huber": (lambda f, x, y, r: f.huber_loss(x, y, reduction=r), (WIDE, TARGETS), (), STANDARD),
    "huber_delta": (lambda f, x, y, r: f.huber_loss(x, y, reduction=r, delta=0.7), (WIDE, TARGETS), (), STANDARD),
    "smooth_l1": (lambda f, x, y, r: f.smooth_l1_loss(x, y, reduction=r), (WIDE, TARGETS), (), STANDARD),
    "smooth_l1_beta": (lambda f, x, y, r: f.smooth_l1_loss(x, y, reduction=r, beta=2.5), (WIDE, TARGETS), (),
                       STANDARD),
    "smooth_l1_beta0": (lambda f, x, y, r: f.smooth_l1_loss(x, y, reduction=r, beta=0.0), (WIDE, TARGETS), (),
                        STANDARD),
    "bce": (lambda f, p, y, r: f.binary_cross_entropy(p, y, reduction=r), (PROBS, TARGETS), (), STANDARD),
    "bce_weight": (lambda f, p, y, w, r: f.binary_cross_entropy(p, y, weight=w, reduction=r), (PROBS, TARGETS),
                   (np.array([0.5, 1.0, 2.0]),), STANDARD),
    "bce_weight_full": (lambda f, p, y, w, r: f.binary_cross_entropy(p, y, w, reduction=r), (PROBS, TARGETS),
                        (RNG.uniform(0, 2, (N, 3)),), STANDARD),
    "bce_logits": (lambda f, z, y, r: f.binary_cross_entropy_with_logits(z, y, reduction=r), (WIDE, TARGETS), (),
                   STANDARD),
    "bce_logits_weight": (lambda f, z, y, w, r: f.binary_cross_entropy_with_logits(z, y, weight=w, reduction=r),
                          (WIDE, TARGETS), (np.array([[0.5], [1], [2], [1], [0], [3]]),), STANDARD),
    "bce_logits_pos_weight": (
        lambda f, z, y, p, r: f.binary_cross_entropy_with_logits(z, y, reduction=r, pos_weight=p),
        (WIDE, TARGETS), (np.array([0.5, 2.0, 4.0]),), STANDARD),  # PyTorch gives pos_weight no gradient
    "bce_logits_both": (
        lambda f, z, y, p, w, r: f.binary_cross_entropy_with_logits(z, y, w, reduction=r, pos_weight=p),
        (WIDE, TARGETS), (np.array([3.0, 0.2, 1.0]), RNG.uniform(0, 2, (N, 3))), STANDARD),
    "ce": (lambda f, z, y, r: f.cross_entropy(z, y, reduction=r), (SCORES,), (LABELS,), STANDARD),
    "ce_default_ignored": (lambda f, z, y, r: f.cross_entropy(z, y, reduction=r), (SCORES,), (LABELS_IGNORED,),
                           STANDARD),
    "ce_ignore_valid_class": (lambda f, z, y, r: f.cross_entropy(z, y, ignore_index=3, reduction=r), (SCORES,),
                              (LABELS,), STANDARD),
    "ce_weight": (lambda f, z, y, w, r: f.cross_entropy(z, y, weight=w, reduction=r), (SCORES,),
                  (LABELS, CLASS_WEIGHT), STANDARD),
    "ce_weight_ignored": (lambda f, z, y, w, r: f.cross_entropy(z, y, w, ignore_index=1, reduction=r), (SCORES,),
                          (LABELS, CLASS_WEIGHT), STANDARD),
    "ce_smoothing": (lambda f, z, y, r: f.cross_entropy(z, y, reduction=r, label_smoothing=0.2), (SCORES,),
                     (LABELS,), STANDARD),
    "ce_smoothing_weight_ignored": (
        lambda f, z, y, w, r: f.cross_entropy(z, y, w, reduction=r, label_smoothing=0.3), (SCORES,),
        (LABELS_IGNORED, CLASS_WEIGHT), STANDARD),
    "ce_probs": (lambda f, z, y, r: f.cross_entropy(z, y, reduction=r), (SCORES, SOFT), (), STANDARD),
    "ce_probs_weight_smoothing": (
        lambda f, z, y, w, r: f.cross_entropy(z, y, w, reduction=r, label_smoothing=0.1), (SCORES, SOFT),
        (CLASS_WEIGHT,), STANDARD),
    "ce_spatial": (lambda f, z, y, r: f.cross_entropy(z, y, reduction=r), (SPATIAL,), (SPATIAL_LABELS_IGNORED,),
                   STANDARD),
    "ce_spatial_weight_smoothing": (
        lambda f, z, y, w, r: f.cross_entropy(z, y, w, reduction=r, label_smoothing=0.1), (SPATIAL,),
        (SPATIAL_LABELS_IGNORED, CLASS_WEIGHT), STANDARD),
    "ce_spatial_probs": (lambda f, z, y, r: f.cross_entropy(z, y, reduction=r),
                         (SPATIAL, RNG.dirichlet(np.ones(C), size=(3, 2, 2)).transpose(0, 3, 1, 2)), (), STANDARD),
    "ce_one_sample": (lambda f, z, y, r: f.cross_entropy(z, y, reduction=r), (SCORES[0],), (np.array(2),),
                      STANDARD),
    "ce_one_sample_weight": (lambda f, z, y, w, r: f.cross_entropy(z, y, w, reduction=r), (SCORES[0],),
                             (np.array(2), CLASS_WEIGHT), STANDARD),
    "ce_one_sample_probs": (lambda f, z, y, r: f.cross_entropy(z, y, reduction=r), (SCORES[0], SOFT[0]), (),
                            STANDARD),
    "nll": (lambda f, x, y, r: f.nll_loss(x, y, reduction=r), (SCORES,), (LABELS,), STANDARD),
    "nll_weight_ignored": (lambda f, x, y, w, r: f.nll_loss(x, y, w, reduction=r), (SCORES,),
                           (LABELS_IGNORED, CLASS_WEIGHT), STANDARD),
    "nll_ignore_index": (lambda f, x, y, r: f.nll_loss(x, y, ignore_index=0, reduction=r), (SCORES,), (LABELS,),
                         STANDARD),
    "nll_spatial": (lambda f, x, y, w, r: f.nll_loss(x, y, w, reduction=r), (SPATIAL,),
                    (SPATIAL_LABELS_IGNORED, CLASS_WEIGHT), STANDARD),
    "nll_one_sample": (lambda f, x, y, r: f.nll_loss(x, y, reduction=r), (SCORES[0],), (np.array(1),), STANDARD),
    "kl": (lambda f, x, t, r: f.kl_div(x, t, reduction=r), (np.log(SOFT), KL_TARGET), (), KL),
    "kl_zero_targets": (lambda f, x, t, r: f.kl_div(x, t, reduction=r), (np.log(SOFT),), (KL_TARGET_ZEROS,), KL),
    "kl_log_target": (lambda f, x, t, r: f.kl_div(x, t, reduction=r, log_target=True),
                      (np.log(SOFT), np.log(KL_TARGET)), (), KL),
}
PARAMS = [(name, r) for name, case in CASES.items() for r in case[3]]


def _ours(arrays: tuple[np.ndarray, ...], constants: tuple[np.ndarray, ...], dtype: Any) -> tuple[list, list]:
    leaves = [Tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    return leaves, [c.astype(dtype) if c.dtype.kind == "f" else c for c in constants]


def _theirs(torch: Any, arrays: tuple[np.ndarray, ...], constants: tuple[np.ndarray, ...], dtype: Any
            ) -> tuple[list, list]:
    leaves = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    return leaves, [torch.tensor(c.astype(dtype) if c.dtype.kind == "f" else c) for c in constants]


@pytest.mark.filterwarnings("ignore:.*reduction.*mean")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "reduction"), PARAMS)
def test_loss_values_and_gradients_equal_pytorch(name: str, reduction: str, dtype: Any) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the reference these losses are compared with")
    call, floats, constants, _ = CASES[name]
    ours, our_constants = _ours(floats, constants, dtype)
    theirs, their_constants = _theirs(torch, floats, constants, dtype)
    out = call(F, *ours, *our_constants, reduction)
    ref = call(torch.nn.functional, *theirs, *their_constants, reduction)
    assert out.dtype == dtype and out.shape == tuple(ref.shape)
    tol = {"rtol": 2e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-12}
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **tol)
    seed = RNG.uniform(0.5, 1.5, out.shape).astype(dtype)
    out.backward(seed)
    ref.backward(torch.tensor(seed))
    for mine, reference in zip(ours, theirs):
        assert mine.grad.dtype == dtype
        np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), **tol)


def test_kl_div_mean_warns_as_pytorch_does() -> None:
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(leaf(np.log(SOFT)), KL_TARGET)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(leaf(np.log(SOFT)), KL_TARGET, reduction="batchmean")


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_a_batch_whose_targets_are_all_ignored_gives_nan_mean_and_zero_sum(loss: Callable[..., Tensor]) -> None:
    ignored = np.full(N, -100)
    for weight in (None, CLASS_WEIGHT):
        z = leaf(SCORES)
        mean = loss(z, ignored, weight)
        assert np.isnan(mean.item())
        total = loss(z, ignored, weight, reduction="sum")
        assert total.item() == 0.0
        total.backward()
        np.testing.assert_array_equal(z.grad.data, 0.0)


def test_default_cross_entropy_stays_on_the_fused_op() -> None:
    z = leaf(SCORES)
    assert F.cross_entropy(z, LABELS).grad_fn.name == "CrossEntropy"
    assert F.cross_entropy(z, LABELS_IGNORED).grad_fn.name == "CrossEntropy"
    assert F.cross_entropy(z, LABELS, ignore_index=2, reduction="sum").grad_fn.name == "CrossEntropy"
    assert F.cross_entropy(z, LABELS, CLASS_WEIGHT).grad_fn.name == "NegativeLogLikelihood"
    assert nn.CrossEntropyLoss()(z, LABELS).grad_fn.name == "CrossEntropy"


def test_compiled_step_recomputes_ignored_targets_and_weights_each_call() -> None:
    """The weighted mean's denominator depends on each batch's labels: it must come from the ops, not Python."""
    model = nn.Linear(3, C, dtype=np.float64)
    weight = Tensor(CLASS_WEIGHT)

    @tg.compile
    def losses(x: np.ndarray, labels: np.ndarray) -> tuple[Tensor, Tensor, Tensor]:
        logits = model(x)
        return (F.cross_entropy(logits, labels), F.cross_entropy(logits, labels, weight, label_smoothing=0.1),
                F.nll_loss(logits.log_softmax(), labels, weight))

    x = RNG.normal(size=(N, 3))
    for labels in (LABELS, LABELS_IGNORED, np.array([-100, -100, 2, 2, -100, 0])):
        replayed = losses(x, labels)
        logits = model(Tensor(x))
        eager = (F.cross_entropy(logits, labels), F.cross_entropy(logits, labels, weight, label_smoothing=0.1),
                 F.nll_loss(logits.log_softmax(), labels, weight))
        for got, want in zip(replayed, eager):
            assert got.item() == want.item()


# ----------------------------------------------------------------------------- gradcheck over shapes


@st.composite
def class_problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scores of shape (C,), (N, C) or (N, C, d), matching labels (some -100), probabilities and class weights."""
    classes = draw(st.integers(2, 4))
    rank = draw(st.integers(1, 3))
    shape = (classes,) if rank == 1 else (draw(st.integers(1, 3)), classes, *([draw(st.integers(1, 3))] * (rank - 2)))
    scores = draw(arrays(shape, -3, 3))
    label_shape = () if rank == 1 else (shape[0], *shape[2:])
    labels = np.array(draw(st.lists(st.integers(-1, classes - 1), min_size=int(np.prod(label_shape)),
                                    max_size=int(np.prod(label_shape))))).reshape(label_shape)
    labels = np.where(labels < 0, -100, labels)
    axis = 0 if rank == 1 else 1
    probs = np.exp(draw(arrays(shape, -2, 2)))
    probs = probs / probs.sum(axis=axis, keepdims=True)
    weight = draw(arrays((classes,), 0.1, 3, layout=False))
    return scores, labels, probs, weight


@given(problem=class_problems(), reduction=st.sampled_from(["sum", "none"]), smoothing=st.sampled_from([0.0, 0.25]),
       weighted=st.booleans())
def test_cross_entropy_and_nll_gradcheck(problem: tuple, reduction: str, smoothing: float, weighted: bool) -> None:
    scores, labels, probs, weight = problem
    w = weight if weighted else None
    assert tg.gradcheck(lambda t: F.cross_entropy(t, labels, w, reduction=reduction, label_smoothing=smoothing),
                        [leaf(scores)])
    assert tg.gradcheck(lambda t, p: F.cross_entropy(t, p, w, reduction=reduction, label_smoothing=smoothing),
                        [leaf(scores), leaf(probs)])
    assert tg.gradcheck(lambda t: F.nll_loss(t, labels, w, reduction=reduction), [leaf(scores)])
    if (labels != -100).any():  # the mean of an all-ignored batch is NaN
        assert tg.gradcheck(lambda t: F.cross_entropy(t, labels, w, label_smoothing=smoothing), [leaf(scores)])


@st.composite
def elementwise_problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predictions, targets and a broadcastable positive weight (one per last-axis entry)."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    return draw(arrays(shape, -3, 3)), draw(arrays(shape, -3, 3)), draw(arrays(shape[-1:], 0.2, 3, layout=False))


def _off_kinks(x: np.ndarray, y: np.ndarray, kinks: tuple[float, ...]) -> np.ndarray:
    """``x`` moved so that x − y stays 1e-3 away from the loss's kinks, where finite differences disagree."""
    diff = x - y
    for k in kinks:
        for point in (k, -k):
            near = np.abs(diff - point) < 1e-3
            diff[near] = point + 2e-3
    return y + diff


@given(problem=elementwise_problems(), reduction=st.sampled_from(["mean", "sum", "none"]))
def test_elementwise_losses_gradcheck(problem: tuple, reduction: str) -> None:
    x, y, w = problem
    assert tg.gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), [leaf(x), leaf(y)])
    assert tg.gradcheck(lambda a, b: F.l1_loss(a, b, reduction=reduction), [leaf(_off_kinks(x, y, (0.0,))), leaf(y)])
    assert tg.gradcheck(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=0.8),
                        [leaf(_off_kinks(x, y, (0.8,))), leaf(y)])
    assert tg.gradcheck(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.5),
                        [leaf(_off_kinks(x, y, (0.5,))), leaf(y)])
    p, t = 1 / (1 + np.exp(-x)) * 0.9 + 0.05, 1 / (1 + np.exp(-y))
    assert tg.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=w, reduction=reduction), [leaf(p), leaf(t)])
    assert tg.gradcheck(lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction, pos_weight=c),
                        [leaf(x), leaf(t), leaf(w)])
    log_q = x - np.log(np.exp(x).sum(axis=-1, keepdims=True))
    for log_target in (False, True):
        target = np.log(t) if log_target else t
        assert tg.gradcheck(lambda a, b, lt=log_target: F.kl_div(a, b, reduction="sum", log_target=lt),
                            [leaf(log_q), leaf(target)])


# ----------------------------------------------------------------------------- modules


MODULES = [
    (nn.MSELoss(), lambda x, y: F.mse_loss(x, y), (WIDE, TARGETS)),
    (nn.L1Loss(reduction="sum"), lambda x, y: F.l1_loss(x, y, reduction="sum"), (WIDE, TARGETS)),
    (nn.HuberLoss(delta=0.5), lambda x, y: F.huber_loss(x, y, delta=0.5), (WIDE, TARGETS)),
    (nn.SmoothL1Loss(beta=0.3, reduction="none"), lambda x, y: F.smooth_l1_loss(x, y, "none", 0.3), (WIDE, TARGETS)),
    (nn.BCELoss(np.array([1.0, 2.0, 0.5])), lambda p, y: F.binary_cross_entropy(p, y, np.array([1.0, 2.0, 0.5])),
     (PROBS, TARGETS)),
    (nn.BCEWithLogitsLoss(pos_weight=Tensor([2.0, 1.0, 0.5])),
     lambda z, y: F.binary_cross_entropy_with_logits(z, y, pos_weight=Tensor([2.0, 1.0, 0.5])), (WIDE, TARGETS)),
    (nn.CrossEntropyLoss(), lambda z, y: F.cross_entropy(z, y), (SCORES, LABELS_IGNORED)),
    (nn.CrossEntropyLoss(Tensor(CLASS_WEIGHT), ignore_index=1, label_smoothing=0.1),
     lambda z, y: F.cross_entropy(z, y, CLASS_WEIGHT, ignore_index=1, label_smoothing=0.1), (SCORES, LABELS)),
    (nn.NLLLoss(CLASS_WEIGHT, reduction="sum"), lambda z, y: F.nll_loss(z, y, CLASS_WEIGHT, reduction="sum"),
     (SCORES, LABELS_IGNORED)),
    (nn.KLDivLoss(reduction="batchmean", log_target=True),
     lambda x, t: F.kl_div(x, t, "batchmean", log_target=True), (np.log(SOFT), np.log(KL_TARGET))),
]


@pytest.mark.parametrize(("module", "functional", "inputs"), MODULES, ids=[type(m[0]).__name__ for m in MODULES])
def test_modules_equal_their_functional_forms(module: nn.Module, functional: Callable, inputs: tuple) -> None:
    x, target = inputs
    a, b = leaf(x), leaf(x)
    got, want = module(a, target), functional(b, target)
    np.testing.assert_array_equal(got.data, want.data)
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_array_equal(a.grad.data, b.grad.data)


def test_loss_modules_keep_their_weights_as_state_and_show_their_options() -> None:
    loss = nn.CrossEntropyLoss(Tensor(CLASS_WEIGHT), ignore_index=3, label_smoothing=0.1)
    assert list(loss.state_dict()) == ["weight"] and loss.parameters() == []
    assert repr(loss) == "CrossEntropyLoss(ignore_index=3, reduction='mean', label_smoothing=0.1)"
    assert sorted(nn.BCEWithLogitsLoss(pos_weight=[1.0, 2.0]).state_dict()) == ["pos_weight"]
    assert nn.BCEWithLogitsLoss(pos_weight=[1.0, 2.0]).pos_weight.dtype == np.float32
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean', log_target=False)"


def test_new_loss_ops_draw_and_explain() -> None:
    x, y = leaf(WIDE), TARGETS
    loss = (F.huber_loss(x, y) + F.binary_cross_entropy_with_logits(x, y, pos_weight=np.array([1.0, 2.0, 3.0]))
            + F.nll_loss(x.log_softmax(), LABELS[:N] % 3, np.array([1.0, 2.0, 0.5]))
            + F.kl_div(x.log_softmax(), y / y.sum(axis=1, keepdims=True), reduction="batchmean"))
    dot = tg.viz.to_dot(loss)
    for name in ("Huber", "BinaryCrossEntropyWithLogitsPosWeight", "NegativeLogLikelihood", "KLDivergence"):
        assert name in dot
    text = tg.explain(loss)
    assert "clamp(" in text and "σ(" in text and "−w_y" in text
    assert "KLDivergence: " in text and " ⊙ ln " in text  # the forward formula is shown whole


# ----------------------------------------------------------------------------- clear errors


ERRORS = [
    (lambda: F.cross_entropy(leaf(SCORES), [0, 1, 2, 3, 4, 1]), ValueError, r"\[0, 4\).*\[4\]"),
    (lambda: F.cross_entropy(leaf(SCORES), [0, 1, 2, 3, -5, 1], CLASS_WEIGHT), ValueError, r"\[0, 4\).*\[-5\]"),
    (lambda: F.cross_entropy(leaf(SCORES), [0, 1, 2, 7, -100, 1]), ValueError, r"\[0, 4\).*\[7\]"),
    (lambda: F.nll_loss(leaf(SCORES), [0, 1, 2, 3, 4, 1]), ValueError, r"nll_loss.*\[0, 4\).*\[4\]"),
    (lambda: F.cross_entropy(leaf(SCORES), LABELS[:4]), ValueError, r"\(6, 4\).*\(6,\).*\(4,\)"),
    (lambda: F.cross_entropy(leaf(SCORES), LABELS.astype(np.float64)), TypeError, "integers.*float64"),
    (lambda: F.nll_loss(leaf(SCORES), LABELS.astype(bool)), TypeError, "integers.*bool"),
    (lambda: F.cross_entropy(leaf(SCORES), SOFT[:, :3]), ValueError, r"\(6, 4\).*\(6, 3\)"),
    (lambda: F.cross_entropy(leaf(SCORES), LABELS, np.ones(3)), ValueError, r"weight.*\(4,\).*\(3,\)"),
    (lambda: F.nll_loss(leaf(SCORES), LABELS, np.ones((1, 4))), ValueError, r"weight.*\(4,\).*\(1, 4\)"),
    (lambda: F.cross_entropy(leaf(SCORES), LABELS, leaf(CLASS_WEIGHT)), RuntimeError, "requires grad"),
    (lambda: F.cross_entropy(leaf(SCORES), LABELS, label_smoothing=1.5), ValueError, r"label_smoothing.*1\.5"),
    (lambda: F.cross_entropy(leaf(SCORES), LABELS, ignore_index=1.0), TypeError, "ignore_index"),
    (lambda: F.cross_entropy(leaf(np.array(1.0)), 0), ValueError, "0-d"),
    (lambda: F.cross_entropy(Tensor(LABELS), LABELS), TypeError, "floating point.*int64"),
    (lambda: F.cross_entropy(SCORES, LABELS), TypeError, "Tensor.*ndarray"),
    (lambda: F.cross_entropy(leaf(SCORES), LABELS, reduction="batchmean"), ValueError, "cross_entropy: reduction"),
    (lambda: F.nll_loss(leaf(SCORES), LABELS, reduction="avg"), ValueError, "nll_loss: reduction.*'avg'"),
    (lambda: F.kl_div(leaf(SOFT), SOFT, reduction="avg"), ValueError, r"kl_div: reduction.*batchmean"),
    (lambda: F.kl_div(leaf(SOFT), SOFT[:, :2], reduction="sum"), ValueError, r"kl_div.*\(6, 4\).*\(6, 2\)"),
    (lambda: F.huber_loss(leaf(WIDE), TARGETS, delta=0.0), ValueError, "delta must be positive"),
    (lambda: F.smooth_l1_loss(leaf(WIDE), TARGETS, beta=-1.0), ValueError, "beta must be non-negative"),
    (lambda: F.l1_loss(leaf(WIDE), TARGETS[:, :1]), ValueError, r"l1_loss.*\(6, 3\).*\(6, 1\)"),
    (lambda: F.binary_cross_entropy(leaf(PROBS), TARGETS, np.ones(4)), ValueError, r"weight.*\(4,\).*\(6, 3\)"),
    (lambda: F.binary_cross_entropy_with_logits(leaf(WIDE), TARGETS, pos_weight=np.ones(2)), ValueError,
     r"pos_weight.*\(2,\).*\(6, 3\)"),
    (lambda: F.binary_cross_entropy_with_logits(leaf(WIDE), TARGETS[:, :1]), ValueError, r"\(6, 3\).*\(6, 1\)"),
    (lambda: F.cross_entropy(leaf(SCORES), LABELS, "sum"), TypeError, "reduction= by keyword"),
    (lambda: F.binary_cross_entropy(leaf(PROBS), TARGETS, "sum"), TypeError, "weight must hold numbers"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "CrossEntropyLoss: reduction"),
    (lambda: nn.KLDivLoss(reduction="avg"), ValueError, "batchmean"),
    (lambda: nn.HuberLoss(delta=-1.0), ValueError, "HuberLoss: delta"),
    (lambda: nn.SmoothL1Loss(beta=-1.0), ValueError, "SmoothL1Loss: beta"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=-0.1), ValueError, "label_smoothing"),
    (lambda: nn.NLLLoss(ignore_index=None), TypeError, "ignore_index"),
    (lambda: nn.BCELoss(["a"]), TypeError, "BCELoss: weight must be numeric"),
    (lambda: nn.CrossEntropyLoss(None, -100), TypeError, "positional"),
]


@pytest.mark.parametrize(("make", "error", "message"), ERRORS)
def test_bad_arguments_raise_clear_errors(make: Callable, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()
