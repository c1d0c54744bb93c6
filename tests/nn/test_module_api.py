"""Module API as PyTorch's: buffers, apply, children/modules/named_modules, requires_grad_, load_state_dict's
(missing_keys, unexpected_keys), and nn.summary."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn, optim


class WithBuffers(nn.Module):
    """A layer with a persistent buffer, a non-persistent one and a parameter."""

    def __init__(self) -> None:
        self.scale = nn.Parameter(np.ones(3, np.float32))
        self.register_buffer("offset", Tensor(np.full(3, 0.5, np.float32)))
        self.register_buffer("cache", Tensor(np.zeros(3, np.float32)), persistent=False)
        self.register_buffer("later", None)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale + self.offset


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the comparisons with it are skipped")


# ----------------------------------------------------------------------------- buffers


def test_buffers_are_state_but_not_parameters_and_follow_to() -> None:
    model = nn.Sequential(WithBuffers(), nn.Linear(3, 2))
    assert [name for name, _ in model.named_parameters()] == ["0.scale", "1.weight", "1.bias"]
    assert [name for name, _ in model.named_buffers()] == ["0.offset", "0.cache"]
    assert [b.shape for b in model.buffers()] == [(3,), (3,)]
    assert list(model[0].named_buffers(prefix="block")) == [("block.offset", model[0].offset),
                                                            ("block.cache", model[0].cache)]
    assert list(model.named_buffers(recurse=False)) == []
    state = model.state_dict()
    assert list(state) == ["0.scale", "0.offset", "1.weight", "1.bias"]  # non-persistent and None buffers are not
    model.to(np.float64)
    assert model[0].offset.dtype == model[0].cache.dtype == np.float64
    model[0].later = Tensor(np.ones(2))
    assert "0.later" in model.state_dict() and [n for n, _ in model.named_buffers()][-1] == "0.later"


def test_buffer_names_match_pytorchs() -> None:
    torch = _torch()

    class TorchWithBuffers(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.register_buffer("offset", torch.full((3,), 0.5))
            self.register_buffer("cache", torch.zeros(3), persistent=False)
            self.register_buffer("later", None)

    ours, theirs = WithBuffers(), TorchWithBuffers()
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda m: m.register_buffer("a.b", Tensor([1.0])), KeyError, "contain no '.'"),
    (lambda m: m.register_buffer("", Tensor([1.0])), KeyError, "non-empty"),
    (lambda m: m.register_buffer(3, Tensor([1.0])), TypeError, "name must be a string"),
    (lambda m: m.register_buffer("scale", Tensor([1.0])), KeyError, "attribute 'scale' already exists"),
    (lambda m: m.register_buffer("training", Tensor([1.0])), KeyError, "attribute 'training' already exists"),
    (lambda m: m.register_buffer("mask", np.ones(2)), TypeError, "must be a Tensor or None, got ndarray"),
    (lambda m: m.register_buffer("mask", Tensor([1.0], requires_grad=True)), ValueError, "buffers are not trained"),
])
def test_bad_register_buffer_calls_are_refused_clearly(call: Callable, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call(WithBuffers())


def test_registering_a_buffer_again_replaces_it() -> None:
    module = WithBuffers()
    module.register_buffer("offset", Tensor(np.zeros(3, np.float32)))
    assert not module.offset.data.any() and [n for n, _ in module.named_buffers()] == ["offset", "cache"]


# ----------------------------------------------------------------------------- traversal and apply


def _nested() -> tuple[nn.Module, nn.Linear]:
    shared = nn.Linear(2, 2)

    class Net(nn.Module):
        def __init__(self) -> None:
            self.encoder = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), shared)
            self.head = shared
            self.blocks = nn.ModuleList([nn.Tanh(), nn.BatchNorm1d(2)])

    return Net(), shared


def test_children_modules_and_named_modules_as_pytorch_lists_them() -> None:
    model, shared = _nested()
    assert [type(m).__name__ for m in model.children()] == ["Sequential", "Linear", "ModuleList"]
    assert [name for name, _ in model.named_modules()] == ["", "encoder", "encoder.0", "encoder.1", "encoder.2",
                                                          "blocks", "blocks.0", "blocks.1"]
    assert sum(1 for m in model.modules() if m is shared) == 1  # a shared module is listed once, as in PyTorch
    assert [n for n, _ in model.named_modules(remove_duplicate=False)].count("head") == 1
    assert "head.weight" in model.state_dict() and "encoder.2.weight" in model.state_dict()
    assert [n for n, _ in model.named_parameters()].count("head.weight") == 0


def test_named_modules_match_pytorch_for_the_same_model() -> None:
    torch = _torch()
    shared = torch.nn.Linear(2, 2)
    theirs = torch.nn.Module()
    theirs.encoder = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), shared)
    theirs.head = shared
    theirs.blocks = torch.nn.ModuleList([torch.nn.Tanh(), torch.nn.BatchNorm1d(2)])
    ours, _ = _nested()
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_apply_visits_children_before_parents_and_returns_the_module() -> None:
    model, _ = _nested()
    order: list[str] = []
    assert model.apply(lambda m: order.append(type(m).__name__)) is model
    torch = _torch()
    theirs = torch.nn.Module()
    shared = torch.nn.Linear(2, 2)
    theirs.encoder = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), shared)
    theirs.head = shared
    theirs.blocks = torch.nn.ModuleList([torch.nn.Tanh(), torch.nn.BatchNorm1d(2)])
    expected: list[str] = []
    theirs.apply(lambda m: expected.append(type(m).__name__))
    assert order[:-1] == expected[:-1] and order[-1] != "Module"  # only the root's class name differs


# ----------------------------------------------------------------------------- requires_grad_


def test_requires_grad_freezes_and_unfreezes_parameters_but_never_buffers() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model[0].extra = tg.randn(4, requires_grad=True)  # a plain trainable tensor, not an nn.Parameter
    count = len(model.parameters())
    assert model[0].requires_grad_(False) is model[0]
    assert len(model.parameters()) == count - 3 and not model[0].weight.requires_grad
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    before = model[0].weight.data.copy()
    loss = F.cross_entropy(model(tg.randn(5, 3)), np.array([0, 1, 0, 1, 1]))
    loss.backward()
    optimizer.step()
    np.testing.assert_array_equal(model[0].weight.data, before)  # frozen: no gradient, no update
    assert model[0].weight.grad is None and model[2].weight.grad is not None
    model.requires_grad_()
    assert len(model.parameters()) == count and model[0].extra.requires_grad
    assert not any(b.requires_grad for b in model.buffers())
    with pytest.raises(TypeError, match="takes True or False"):
        model.requires_grad_("no")


# ----------------------------------------------------------------------------- load_state_dict


def test_load_state_dict_returns_missing_and_unexpected_keys_as_pytorch() -> None:
    torch = _torch()
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    state = {k: v for k, v in ours.state_dict().items() if k != "2.bias"}
    state["extra.weight"] = np.ones(3, np.float32)
    result = ours.load_state_dict(state, strict=False)
    expected = theirs.load_state_dict({k: torch.tensor(v.T if k.endswith("weight") and v.ndim == 2 else v)
                                       for k, v in state.items()}, strict=False)
    assert result == (["2.bias"], ["extra.weight"])
    assert result.missing_keys == expected.missing_keys and result.unexpected_keys == expected.unexpected_keys
    assert ours.load_state_dict(ours.state_dict()) == ([], [])


def test_load_state_dict_non_strict_loads_what_matches_in_place() -> None:
    source, target = nn.mlp([3, 4, 2]), nn.mlp([3, 4, 2])
    weight_array = target[0].weight.data
    target.load_state_dict({"0.weight": source[0].weight.data, "9.bias": np.zeros(2)}, strict=False)
    np.testing.assert_array_equal(target[0].weight.data, source[0].weight.data)
    assert target[0].weight.data is weight_array  # copied into the same array, as PyTorch's copy_
    assert not np.array_equal(target[0].bias.data, source[0].bias.data)
    with pytest.raises(KeyError, match=r"missing keys: 0\.bias, 2\.weight, 2\.bias; unexpected keys: 9\.bias"):
        target.load_state_dict({"0.weight": source[0].weight.data, "9.bias": np.zeros(2)})


# ----------------------------------------------------------------------------- summary


def test_summary_prints_each_layer_with_its_output_shape_and_parameter_count(capsys: pytest.CaptureFixture) -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(128, 10))
    model[2].running_mean.data[:] = 0.25
    result = nn.summary(model, (2, 1, 28, 28))
    table = capsys.readouterr().out
    assert [(r.name, r.kind, r.output_shape, r.parameters) for r in result.rows] == [
        ("0", "Flatten", (2, 784), 0), ("1", "Linear", (2, 128), 784 * 128 + 128),
        ("2", "BatchNorm1d", (2, 128), 256), ("3", "ReLU", (2, 128), 0), ("4", "Dropout", (2, 128), 0),
        ("5", "Linear", (2, 10), 1290)]
    assert result.total_parameters == result.trainable_parameters == sum(p.size for p in model.parameters())
    assert result.output_shape == (2, 10)
    total = 784 * 128 + 128 + 2 * 128 + 128 * 10 + 10
    for text in ("Linear", "BatchNorm1d", "[2, 128]", f"{784 * 128 + 128:,}", f"Total params: {total:,}",
                 "Non-trainable params: 0"):
        assert text in table, text
    assert str(result) in table
    # nothing of the model changed: modes, fusion, running statistics, forward methods
    assert model.training and model[2].training and model.fuse and "forward" not in vars(model[1])
    assert model[2].num_batches_tracked.item() == 0 and (model[2].running_mean.data == 0.25).all()


def test_summary_parameter_counts_match_pytorchs_and_count_frozen_ones() -> None:
    torch = _torch()
    ours = nn.Sequential(nn.Linear(20, 30), nn.LayerNorm(30), nn.PReLU(30), nn.Linear(30, 5))
    theirs = torch.nn.Sequential(torch.nn.Linear(20, 30), torch.nn.LayerNorm(30), torch.nn.PReLU(30),
                                 torch.nn.Linear(30, 5))
    total = sum(p.numel() for p in theirs.parameters())
    ours[0].requires_grad_(False)
    result = nn.summary(ours, (4, 20), print_table=False)
    assert result.total_parameters == total
    assert result.frozen_parameters == 20 * 30 + 30
    assert [r.parameters for r in result.rows] == [sum(p.numel() for p in m.parameters()) for m in theirs]


def test_summary_of_a_custom_module_and_of_a_single_layer() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            self.embed = nn.Embedding(10, 4)
            self.out = nn.Linear(4, 3)

        def forward(self, tokens: Tensor) -> Tensor:
            return self.out(self.embed(tokens).mean(axis=1))

    result = nn.summary(Net(), (2, 5), dtype=np.int64, print_table=False)
    assert [(r.name, r.output_shape) for r in result.rows] == [("embed", (2, 5, 4)), ("out", (2, 3))]
    single = nn.summary(nn.Linear(3, 2), (1, 3), print_table=False)
    assert [(r.name, r.output_shape, r.parameters) for r in single.rows] == [("Linear", (1, 2), 8)]
    with pytest.raises(ValueError, match="input_shape must be a sequence of non-negative integers"):
        nn.summary(nn.Linear(3, 2), (1, -3))
    with pytest.raises(TypeError, match=r"model must be an nn\.Module"):
        nn.summary(lambda x: x, (1, 3))
