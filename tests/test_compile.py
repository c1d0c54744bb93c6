"""tg.compile: a replayed step gives the eager step's numbers bit for bit, and refuses what it cannot replay."""

from __future__ import annotations

import collections
import gc
import linecache
import traceback
import weakref
from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim


def _batches(count: int, batch: int, features: int, classes: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.random((batch, features), dtype=np.float32), rng.integers(0, classes, batch)) for _ in range(count)]


def _classifier(optimizer: str = "sgd") -> tuple[nn.Module, optim.Optimizer]:
    tg.manual_seed(3)
    model = nn.mlp([6, 5, 4, 3], "relu")
    if optimizer == "adam":
        return model, optim.Adam(model.parameters(), lr=1e-2)
    return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def _training_step(model: nn.Module, opt: optim.Optimizer, loss_fn: Callable = F.cross_entropy) -> Callable:
    """The usual step: zero the gradients, forward, loss, backward, update; returns the loss."""
    def step(x, y) -> tg.Tensor:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_replayed_steps_equal_eager_steps_bit_for_bit(optimizer: str) -> None:
    eager_model, eager_opt = _classifier(optimizer)
    model, opt = _classifier(optimizer)
    eager_step, step = _training_step(eager_model, eager_opt), tg.compile(_training_step(model, opt))
    for x, y in _batches(6, 8, 6, 3) * 2:
        assert step(x, y).item() == eager_step(tg.Tensor(x), y).item()
    assert len(step.programs) == 1
    for (name, p), q in zip(eager_model.named_parameters(), model.parameters(), strict=True):
        assert np.array_equal(p.data, q.data), name
        assert np.array_equal(p.grad.data, q.grad.data), name


def test_labels_of_another_integer_dtype_and_float_targets_follow_each_call() -> None:
    """Library code that converts an argument must do it with a recorded op, or replays see stale data."""
    model, _ = _classifier()
    head = nn.Linear(3, 1)

    @tg.compile
    def losses(x: np.ndarray, labels: np.ndarray, targets: np.ndarray) -> tuple[tg.Tensor, tg.Tensor]:
        logits = model(x)
        return F.cross_entropy(logits, labels), F.mse_loss(head(logits), targets)

    batches = _batches(3, 5, 6, 3, seed=1)
    rng = np.random.default_rng(2)
    for x, y in batches:
        labels, targets = y.astype(np.int32), rng.random((5, 1))  # float64 targets for float32 predictions
        ce, mse = losses(x, labels, targets)
        logits = model(tg.Tensor(x))
        assert ce.item() == F.cross_entropy(logits, y).item()
        assert mse.item() == F.mse_loss(head(logits), targets).item()


def test_new_shapes_record_a_new_program_and_old_ones_are_kept() -> None:
    model, opt = _classifier()
    calls = []

    @tg.compile
    def step(x: np.ndarray, y: np.ndarray) -> tg.Tensor:
        calls.append(x.shape)  # plain Python runs only while recording
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    (x8, y8), (x3, y3) = _batches(1, 8, 6, 3)[0], _batches(1, 3, 6, 3)[0]
    for x, y in [(x8, y8), (x3, y3), (x8, y8), (x3, y3), (x8.astype(np.float64), y8)]:
        step(x, y)
    assert calls == [(8, 6), (3, 6), (8, 6)]
    assert len(step.programs) == 3
    assert "3 recorded" in repr(step)


def test_hashable_constants_are_part_of_the_signature() -> None:
    x = tg.Tensor([[1.0, 2.0]])
    weight = tg.Tensor([[0.5], [-1.0]], requires_grad=True)

    @tg.compile
    def scaled(x: tg.Tensor, factor: float) -> tg.Tensor:
        return (x @ weight) * factor

    assert scaled(x, 2.0).item() == -3.0
    assert scaled(x, 3.0).item() == -4.5
    assert scaled(x, factor=2.0).item() == -3.0
    assert len(scaled.programs) == 3


def test_equal_constants_of_different_types_record_their_own_programs() -> None:
    """2 == 2.0 as dictionary keys, but an integer tensor times 2 stays integer and times 2.0 does not."""
    @tg.compile
    def scaled(counts: np.ndarray, factor: float) -> tg.Tensor:
        return counts * factor

    counts = np.arange(3)
    for factor in (2, 2.0, 2):
        result = scaled(counts, factor)
        assert result.dtype == (tg.Tensor(counts) * factor).dtype  # as the eager step gives
        assert result.tolist() == [0, 2, 4]
    assert len(scaled.programs) == 2


def test_results_are_detached_values_that_later_calls_do_not_overwrite() -> None:
    weight = tg.Tensor([2.0], requires_grad=True)

    @tg.compile
    def forward(x: np.ndarray) -> tuple[tg.Tensor, tg.Tensor]:
        y = x * weight
        return y, y.sum()

    first = forward(np.array([1.0, 2.0], np.float32))
    second = forward(np.array([3.0, 4.0], np.float32))
    assert first[0].tolist() == [2.0, 4.0] and first[1].item() == 6.0
    assert second[0].tolist() == [6.0, 8.0] and second[1].item() == 14.0
    assert second[0].grad_fn is None and not second[0].requires_grad


def test_gradients_accumulate_across_calls_when_the_step_does_not_zero_them() -> None:
    weight = tg.Tensor([1.5, -0.5], requires_grad=True)

    @tg.compile
    def accumulate(x: np.ndarray) -> None:
        (x * weight).sum().backward()

    accumulate(np.array([1.0, 2.0], np.float32))
    accumulate(np.array([3.0, 4.0], np.float32))
    assert weight.grad.tolist() == [4.0, 6.0]
    weight.zero_grad()
    accumulate(np.array([1.0, 1.0], np.float32))
    assert weight.grad.tolist() == [1.0, 1.0]


def test_evaluation_under_no_grad_replays() -> None:
    model, _ = _classifier()

    @tg.compile
    @tg.no_grad()
    def predict(x: np.ndarray) -> tg.Tensor:
        return model(x).argmax(axis=1)

    for x, _ in _batches(3, 4, 6, 3):
        with tg.no_grad():
            expected = model(tg.Tensor(x)).argmax(axis=1)
        assert predict(x).tolist() == expected.tolist()


def test_a_manual_parameter_update_is_refused() -> None:
    weight = tg.Tensor([1.0], requires_grad=True)

    @tg.compile
    def manual_sgd(x: np.ndarray) -> tg.Tensor:
        weight.grad = None
        loss = (x * weight).sum()
        loss.backward()
        weight.data -= 0.1 * weight.grad.data
        return loss

    with pytest.raises(RuntimeError, match="outside an optimizer's step"):
        manual_sgd(np.array([2.0], np.float32))


@pytest.mark.parametrize("edit", ["clip", "replace"])
def test_a_gradient_edited_by_hand_is_refused(edit: str) -> None:
    model, opt = _classifier()

    @tg.compile
    def step(x: np.ndarray, y: np.ndarray) -> None:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        weight = model[0].weight
        if edit == "clip":
            np.clip(weight.grad.data, -0.01, 0.01, out=weight.grad.data)
        else:
            weight.grad = tg.zeros_like(weight)
        opt.step()

    x, y = _batches(1, 4, 6, 3)[0]
    refusal = "gradient of a parameter of shape \\(6, 5\\) was changed" if edit == "clip" else "assigning a tensor"
    with pytest.raises(RuntimeError, match=refusal):
        step(x, y)


def test_a_gradient_cleared_by_assignment_is_cleared_on_every_call() -> None:
    weight = tg.Tensor([1.0, -2.0], requires_grad=True)

    def step(x: np.ndarray) -> tg.Tensor:
        weight.grad = None  # instead of zero_grad(): must not accumulate over calls when compiled
        (x * weight).sum().backward()
        return weight.grad

    compiled = tg.compile(step)
    for x in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]):
        batch = np.array(x, np.float32)
        np.testing.assert_array_equal(compiled(batch).numpy(), step(batch).numpy())


def test_a_parameter_made_inside_a_compiled_step_is_refused() -> None:
    @tg.compile
    def step(x: np.ndarray) -> tg.Tensor:
        w = tg.Tensor([1.0], requires_grad=True)
        return (w * x).sum()

    with pytest.raises(RuntimeError, match="requires_grad=True inside a compiled step"):
        step(np.ones(1, np.float32))


def test_an_op_on_a_gradient_is_refused() -> None:
    weight = tg.Tensor([1.0, -2.0], requires_grad=True)

    @tg.compile
    def step(x: np.ndarray) -> tg.Tensor:
        weight.grad = None
        (x * weight).sum().backward()
        return (weight.grad * weight.grad).sum()  # a gradient norm, say

    with pytest.raises(RuntimeError, match=r"reads a parameter's \.grad"):
        step(np.ones(2, np.float32))


def test_the_learning_rate_is_read_at_each_call() -> None:
    eager_model, eager_opt = _classifier()
    model, opt = _classifier()
    eager_step, step = _training_step(eager_model, eager_opt), tg.compile(_training_step(model, opt))
    for i, (x, y) in enumerate(_batches(4, 8, 6, 3)):
        eager_opt.lr = opt.lr = 0.1 / (i + 1)  # a schedule set between calls
        eager_step(tg.Tensor(x), y)
        step(x, y)
    for p, q in zip(eager_model.parameters(), model.parameters(), strict=True):
        assert np.array_equal(p.data, q.data)


@pytest.mark.parametrize(("result", "message"), [(1.5, "float"), ({"loss": None}, "dict")])
def test_a_step_must_return_tensors(result: object, message: str) -> None:
    @tg.compile
    def step(x: np.ndarray) -> object:
        return result

    with pytest.raises(TypeError, match=message):
        step(np.zeros(2, np.float32))


def test_arguments_are_checked() -> None:
    @tg.compile
    def identity(x: object) -> None:
        return None

    with pytest.raises(TypeError, match="requires grad"):
        identity(tg.Tensor([1.0], requires_grad=True))
    with pytest.raises(TypeError, match="neither an array nor hashable"):
        identity([1.0, 2.0])


def test_a_tensor_with_history_from_outside_the_step_is_refused() -> None:
    weight = tg.Tensor([1.0], requires_grad=True)
    outside = weight * 2

    @tg.compile
    def step(x: np.ndarray) -> tg.Tensor:
        return (x * outside).sum()

    with pytest.raises(RuntimeError, match="gradient history from outside"):
        step(np.ones(1, np.float32))


def test_retain_grad_inside_a_step_is_refused() -> None:
    weight = tg.Tensor([1.0], requires_grad=True)

    @tg.compile
    def step(x: np.ndarray) -> None:
        hidden = (x * weight).retain_grad()
        hidden.sum().backward()

    with pytest.raises(RuntimeError, match="retain_grad"):
        step(np.ones(1, np.float32))


def test_seed_000_network_trains_the_same_compiled() -> None:
    """The 1-2-1 sigmoid net with log loss, the benchmark's smallest step."""
    def make() -> tuple[nn.Module, optim.Optimizer]:
        tg.manual_seed(0)
        model = nn.mlp([1, 2, 1], "sigmoid", output_activation="sigmoid")
        return model, optim.SGD(model.parameters(), lr=0.5)

    eager_step = _training_step(*make(), loss_fn=F.binary_cross_entropy)
    model, opt = make()
    step = tg.compile(_training_step(model, opt, loss_fn=F.binary_cross_entropy))
    rng = np.random.default_rng(0)
    for _ in range(10):
        x, y = tg.Tensor(rng.random((1, 1), dtype=np.float32)), tg.Tensor(rng.random((1, 1), dtype=np.float32))
        assert step(x, y).item() == eager_step(x, y).item()


def test_the_same_array_passed_twice_is_refilled_from_each_argument() -> None:
    weight = tg.Tensor([1.0, 2.0], requires_grad=True)

    @tg.compile
    def dot(a: np.ndarray, b: np.ndarray) -> tg.Tensor:
        return (a * weight * b).sum()

    x = np.array([1.0, 1.0], np.float32)
    assert dot(x, x).item() == 3.0
    assert dot(x, np.array([2.0, 3.0], np.float32)).item() == 8.0


class _PositiveOnly(tg.Function):
    """Y = X for X > 0, refusing anything else: lets a test make a replay fail at a known op."""

    @staticmethod
    def forward(ctx, x):
        if (x <= 0).any():
            raise ValueError("not positive")
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_a_graph_with_shared_tensors_and_two_backward_passes_replays_like_eager() -> None:
    """Gradients that meet (a tensor used twice), inputs that need none, a scalar backward result that
    must be converted, and a second backward through a retained graph, all as in eager mode."""
    from tests.userops import Cube

    def make() -> tuple[tg.Tensor, tg.Tensor, Callable]:
        w = tg.Tensor([[0.5, -1.0], [2.0, 0.25]], dtype=np.float64, requires_grad=True)
        v = tg.Tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)

        def step(x: tg.Tensor) -> tg.Tensor:
            h = x @ w
            loss = Cube.apply((h * h).sum()) + (h * v).mean()
            loss.backward(retain_graph=True)
            (h.sum() * 0.5).backward()
            return loss

        return w, v, step

    w_eager, v_eager, eager = make()
    w, v, step = make()
    compiled = tg.compile(step)
    rng = np.random.default_rng(7)
    for _ in range(3):
        x = rng.standard_normal((3, 2))
        assert compiled(x).item() == eager(tg.Tensor(x)).item()
        assert np.array_equal(w.grad.data, w_eager.grad.data) and np.array_equal(v.grad.data, v_eager.grad.data)
    assert len(compiled.programs) == 1


def test_source_shows_the_replayed_code_and_tracebacks_point_into_it() -> None:
    model, opt = _classifier()

    @tg.compile
    def step(x: np.ndarray, y: np.ndarray) -> tg.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(model(_PositiveOnly.apply(tg.Tensor(x))), y)
        loss.backward()
        opt.step()
        return loss

    (x, y), = _batches(1, 4, 6, 3)
    step(x + 1, y)
    source = step.source()
    for expected in ("def replay(args, kwargs)", "# _PositiveOnly", "# Linear+ReLU", "# CrossEntropy",
                     "# Optimizer.zero_grad", "# Optimizer.step", "_seed("):
        assert expected in source, expected
    with pytest.raises(ValueError, match="not positive") as failure:
        step(x - 2, y)
    text = "".join(traceback.format_exception(failure.value))
    assert "# _PositiveOnly" in text


def test_values_without_a_gradient_follow_each_call() -> None:
    """Copies, detached values, comparisons, argmax and one-hot targets are recomputed on every replay,
    not frozen at the recording call's values; a replay with a bad label raises as eager mode does."""
    weight = tg.Tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)

    def step(x: tg.Tensor, y: tg.Tensor) -> tuple[tg.Tensor, ...]:
        out = x @ weight
        return (tg.Tensor(x).sum(), out.detach().sum(), (out > 1.5).astype(np.float32).sum(),
                out.argmax(axis=1).astype(np.float32), F.mse_loss(out, F.one_hot(y, 2)),
                F.cross_entropy(out[0], y[0]))

    compiled = tg.compile(step)
    rng = np.random.default_rng(5)
    for _ in range(4):
        x, y = rng.standard_normal((3, 2)).astype(np.float32), rng.integers(0, 2, 3)
        for got, want in zip(compiled(x, y), step(tg.Tensor(x), tg.Tensor(y)), strict=True):
            assert got.tolist() == want.tolist()
    assert len(compiled.programs) == 1
    for bad in ([0, 1, 2], [-1, 0, 1]):
        with pytest.raises(ValueError, match=r"class labels must lie in \[0, 2\)"):
            compiled(x, np.array(bad))


def test_an_op_whose_name_spans_lines_stays_a_comment_in_the_generated_code() -> None:
    """Op and method names go into comments of the generated source; a line break must not make them code."""
    weight = tg.Tensor([2.0], requires_grad=True)

    def forward(ctx, a):
        return a * 2

    strange = type("Twice\nraise SystemExit", (tg.Function,), {"forward": staticmethod(forward)})

    @tg.compile
    def step(x: np.ndarray) -> tg.Tensor:
        return strange.apply(x * weight)

    step(np.array([1.0], np.float32))
    assert step(np.array([3.0], np.float32)).tolist() == [12.0]
    assert "# Twice raise SystemExit" in step.source()


def test_returned_gradients_parameters_and_inputs_hold_each_calls_values() -> None:
    """A returned .grad, parameter or input follows every call as an op result does, and a result once
    returned keeps its values while later calls update the parameters and their gradients."""
    def make() -> tuple[tg.Tensor, Callable]:
        weight = tg.Tensor([1.0, -2.0], requires_grad=True)
        opt = optim.SGD([weight], lr=0.1, momentum=0.9)

        def step(x: tg.Tensor) -> tuple[tg.Tensor, ...]:
            opt.zero_grad()
            loss = (x * weight * weight).sum()
            loss.backward()
            opt.step()
            return loss, weight.grad, weight, x

        return weight, step

    _, eager = make()
    weight, step = make()
    compiled = tg.compile(step)
    rng = np.random.default_rng(4)
    kept = []
    for _ in range(4):
        x = rng.standard_normal(2).astype(np.float32)
        expected = [t.data.copy() for t in eager(tg.Tensor(x))]
        got = compiled(x)
        kept.append((got, expected))
        assert [g.tolist() for g in got] == [e.tolist() for e in expected]
        assert got[1] is not weight.grad and got[2] is not weight and not got[2].requires_grad
    for got, expected in kept:
        assert [g.tolist() for g in got] == [e.tolist() for e in expected]


def test_a_named_tuple_of_results_keeps_its_type() -> None:
    Results = collections.namedtuple("Results", ["loss", "gradient"])
    weight = tg.Tensor([2.0], requires_grad=True)

    @tg.compile
    def step(x: np.ndarray) -> Results:
        weight.zero_grad()
        loss = (x * weight).sum()
        loss.backward()
        return Results(loss, weight.grad)

    for value in (1.0, 3.0):
        results = step(np.array([value], np.float32))
        assert type(results) is Results and results.loss.item() == 2 * value and results.gradient.tolist() == [value]


def test_a_gradient_returned_after_zero_grad_replaced_it_keeps_that_calls_values() -> None:
    def make() -> Callable:
        weight = tg.Tensor([3.0, 0.5], requires_grad=True)
        opt = optim.Adam([weight], lr=0.1)

        def step(x: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
            loss = (x * weight).sum() ** 2
            loss.backward()
            gradient = weight.grad
            opt.step()
            opt.zero_grad()
            return gradient, loss

        return step

    eager, compiled = make(), tg.compile(make())
    rng = np.random.default_rng(8)
    for _ in range(3):
        x = rng.standard_normal(2).astype(np.float32)
        assert [t.tolist() for t in compiled(x)] == [t.tolist() for t in eager(tg.Tensor(x))]


def test_an_op_on_a_gradient_after_the_optimizer_step_is_refused() -> None:
    weight = tg.Tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([weight], lr=0.1)

    @tg.compile
    def step(x: np.ndarray) -> tg.Tensor:
        opt.zero_grad()
        (x * weight).sum().backward()
        opt.step()
        return (weight.grad * weight.grad).sum()

    with pytest.raises(RuntimeError, match=r"reads a parameter's \.grad"):
        step(np.ones(2, np.float32))


def _noisy_training_run(compiled: bool, calls: int = 4) -> tuple[list[list[float]], list[np.ndarray]]:
    """A step with input noise (randn) and a dropout-like mask (rand), from one seed; its outputs and weights."""
    tg.manual_seed(11)
    model = nn.mlp([3, 4, 2], "relu")
    opt = optim.SGD(model.parameters(), lr=0.1)

    def step(x: tg.Tensor, y: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
        opt.zero_grad()
        noisy = x + tg.randn(*x.shape) * 0.1
        mask = (tg.rand(x.shape[0], 4, dtype=np.float64) > 0.5).astype(np.float32)
        loss = F.cross_entropy(model[2](model[1](model[0](noisy)) * mask), y)
        loss.backward()
        opt.step()
        return loss, noisy

    run = tg.compile(step) if compiled else step
    rng = np.random.default_rng(0)
    outputs = []
    for _ in range(calls):
        x, y = rng.standard_normal((5, 3)).astype(np.float32), rng.integers(0, 2, 5)
        outputs.append([t.tolist() for t in (run(x, y) if compiled else run(tg.Tensor(x), tg.Tensor(y)))])
    return outputs, [p.data.copy() for p in model.parameters()]


def test_random_numbers_in_a_compiled_step_are_fresh_each_call_and_those_of_the_eager_run() -> None:
    eager_outputs, eager_weights = _noisy_training_run(compiled=False)
    outputs, weights = _noisy_training_run(compiled=True)
    assert outputs == eager_outputs
    for eager_weight, weight in zip(eager_weights, weights, strict=True):
        assert np.array_equal(eager_weight, weight)
    noise = [np.array(noisy) - np.array(first) for (_, noisy), (_, first) in zip(outputs[1:], outputs[:-1])]
    assert all(np.abs(n).max() > 0 for n in noise)  # fresh numbers, not the recording call's again
    assert _noisy_training_run(compiled=True)[0] == outputs  # and a seeded run is reproducible


@pytest.mark.parametrize(("draw", "message"), [
    (lambda: nn.Linear(2, 2), "global generator other than through tg.randn"),
    (lambda: tg.Tensor(tg.factories.generator().random(2)), "global generator other than through tg.randn"),
    (lambda: tg.Tensor(np.random.rand(2)), "np.random's global generator"),
    (lambda: tg.Tensor([__import__("random").random()]), "Python's random module"),
    (lambda: tg.manual_seed(5), "called tg.manual_seed"),
    (lambda: tg.randn(2, requires_grad=True), "requires_grad=True made inside a compiled step"),
    (lambda: tg.zeros(2, requires_grad=True), "requires_grad=True made inside a compiled step"),
])
def test_random_draws_or_leaves_a_replay_could_not_repeat_are_refused(draw: Callable, message: str) -> None:
    @tg.compile
    def step(x: np.ndarray) -> tg.Tensor:
        draw()
        return x * tg.randn(2)

    with pytest.raises(RuntimeError, match=message):
        step(np.ones(2, np.float32))
    assert len(step.programs) == 0


def test_recorded_programs_are_bounded_least_recently_used_first_with_one_warning() -> None:
    weight = tg.Tensor([[0.5], [-1.0]], requires_grad=True)

    @tg.compile(max_programs=2)
    def scaled(x: np.ndarray, factor: float) -> tg.Tensor:
        return (x @ weight) * factor

    x = np.array([[1.0, 2.0]], np.float32)
    assert scaled(x, 2.0).item() == -3.0 and scaled(x, 3.0).item() == -4.5
    first_run = weakref.ref(scaled.programs[next(iter(scaled.programs))].run)
    first_source_file = first_run().__code__.co_filename
    assert first_source_file in linecache.cache
    assert scaled(x, 2.0).item() == -3.0  # 2.0 is now the most recently used
    with pytest.warns(RuntimeWarning) as caught:
        for factor in (4.0, 5.0, 2.0, 6.0):
            assert scaled(x, factor).item() == -1.5 * factor
    assert len(caught) == 1
    message = str(caught[0].message)
    for expected in ("max_programs=2", "argument 1 ('factor')", "NumPy array or Tensor", "closure"):
        assert expected in message, expected
    assert caught[0].filename == __file__  # it points at the call that re-records
    assert len(scaled.programs) == 2 and scaled.recordings == 6  # 2.0 was dropped once and recorded again
    assert [key[0][1][-1] for key in scaled.programs] == [2.0, 6.0]  # the constants of the programs kept
    gc.collect()
    assert first_run() is None and first_source_file not in linecache.cache  # a dropped program is freed


def test_the_rerecording_warning_names_an_array_argument_whose_shape_keeps_changing() -> None:
    weight = tg.Tensor([2.0], requires_grad=True)
    step = tg.compile(lambda batch: (batch * weight).sum(), max_programs=1)
    step(np.ones(1, np.float32))
    with pytest.warns(RuntimeWarning, match=r"array argument 0 \('batch'\) came in 2 shapes or dtypes"):
        step(np.ones(2, np.float32))


def test_max_programs_has_a_default_and_is_checked() -> None:
    def step(x: np.ndarray) -> tg.Tensor:
        return tg.Tensor(x).sum()

    assert tg.compile(step).max_programs == tg.compile.__kwdefaults__["max_programs"] >= 4
    assert tg.compile(max_programs=3)(step).max_programs == 3
    for bad, error in ((0, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="max_programs"):
            tg.compile(step, max_programs=bad)
    with pytest.raises(TypeError, match="needs a function"):
        tg.compile(3)


def _mlp_run(sizes: list[int], batch: int, optimizer: str, compiled: bool, as_tensor: bool
             ) -> tuple[list[float], list[np.ndarray]]:
    tg.manual_seed(21)
    model = nn.mlp(sizes, "relu")
    opt = (optim.SGD(model.parameters(), lr=0.05, momentum=0.9) if optimizer == "sgd"
           else optim.Adam(model.parameters(), lr=1e-3))
    step = _training_step(model, opt)
    step = tg.compile(step) if compiled else step
    losses = []
    for x, y in _batches(4, batch, sizes[0], sizes[-1], seed=13):
        losses.append(step(tg.Tensor(x) if as_tensor else x, tg.Tensor(y) if as_tensor else y).item())
    return losses, [p.data for p in model.parameters()]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize(("sizes", "batch"), [
    ([784, 5, 10], 2),  # 2·784·5 = 7,840 multiply-adds: every layer in the small-layer loop
    ([784, 24, 10], 8),  # 8·784·24 = 150,528: the first layer through BLAS, the second in the loop
])
def test_eager_and_compiled_steps_are_bit_identical_for_numpy_and_tensor_batches(
        optimizer: str, sizes: list[int], batch: int) -> None:
    reference_losses, reference_weights = _mlp_run(sizes, batch, optimizer, compiled=True, as_tensor=False)
    for compiled, as_tensor in ((False, False), (False, True), (True, True)):
        losses, weights = _mlp_run(sizes, batch, optimizer, compiled, as_tensor)
        assert losses == reference_losses, (compiled, as_tensor)
        for reference, weight in zip(reference_weights, weights, strict=True):
            assert np.array_equal(reference, weight), (compiled, as_tensor)


def test_a_mask_computed_inside_a_step_is_recomputed_on_every_call() -> None:
    weight = tg.Tensor([1.0, 1.0, 1.0, 1.0], requires_grad=True)

    def step(x: np.ndarray) -> tuple[tg.Tensor, tg.Tensor]:
        weight.grad = None
        scaled = x * weight
        loss = scaled[scaled > 0].sum()
        loss.backward()
        return loss, weight.grad

    compiled = tg.compile(step)
    for values in ([1.0, -2.0, 3.0, -4.0], [-1.0, 2.0, -3.0, 4.0], [5.0, 6.0, -7.0, 8.0]):
        batch = np.array(values, np.float32)
        (loss, grad), (eager_loss, eager_grad) = compiled(batch), step(batch)
        assert loss.item() == eager_loss.item()
        np.testing.assert_array_equal(grad.numpy(), eager_grad.numpy())


def test_indexing_with_a_tuple_of_tensors_inside_a_step_is_refused() -> None:
    @tg.compile
    def step(x: np.ndarray) -> tg.Tensor:
        rows = tg.Tensor(np.array([0, 1]))
        return x[rows, rows]

    with pytest.raises(RuntimeError, match="tuple that holds tensors"):
        step(np.ones((2, 2), np.float32))
