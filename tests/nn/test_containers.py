"""ModuleList, ModuleDict, ParameterList, ParameterDict register what they hold; plain containers warn."""

from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import Tensor, nn


class Blocks(nn.Module):
    """A model whose layers live only in containers (and one bare Parameter)."""

    def __init__(self) -> None:
        self.layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 2)])
        self.blocks = nn.ModuleDict({"enc": nn.Linear(2, 2), "dec": nn.Sequential(nn.Linear(2, 2), nn.Tanh())})
        self.scale = nn.Parameter([1.5])
        self.offsets = nn.ParameterList([Tensor(np.zeros(2, dtype=np.float32))])
        self.gains = nn.ParameterDict({"a": nn.Parameter(np.ones(2, dtype=np.float32))})

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x).tanh()
        x = self.blocks["dec"](self.blocks["enc"](x))
        return (x + self.offsets[0]) * self.gains["a"] * self.scale


BLOCKS_NAMES = [
    "scale", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
    "blocks.enc.weight", "blocks.enc.bias", "blocks.dec.0.weight", "blocks.dec.0.bias", "offsets.0", "gains.a",
]


def _batch() -> Tensor:
    return Tensor(np.random.default_rng(1).normal(size=(4, 2)).astype(np.float32))


def test_container_contents_are_named_with_dotted_paths() -> None:
    model = Blocks()
    assert [n for n, _ in model.named_parameters()] == BLOCKS_NAMES
    assert list(model.state_dict()) == BLOCKS_NAMES
    assert len(model.parameters()) == len(BLOCKS_NAMES)
    assert [n for n, _ in model.named_modules()] == [
        "", "layers", "layers.0", "layers.1", "blocks", "blocks.enc", "blocks.dec", "blocks.dec.0", "blocks.dec.1",
        "offsets", "gains"]


def test_every_container_parameter_trains() -> None:
    model = Blocks()
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    model(_batch()).sum().backward()
    opt.step()
    unchanged = [name for name, p in model.named_parameters() if np.array_equal(p.data, before[name])]
    assert unchanged == []
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_eval_and_to_reach_every_container() -> None:
    model = Blocks()
    model.eval()
    assert [m.training for m in model.modules()] == [False] * len(list(model.modules()))
    model.train()
    assert all(m.training for m in model.modules())
    model.to(np.float64)
    assert {t.dtype for _, t in model.named_tensors()} == {np.dtype(np.float64)}
    assert isinstance(model.scale, nn.Parameter) and isinstance(model.offsets[0], nn.Parameter)


def test_state_dict_round_trip_through_a_file(tmp_path) -> None:
    source, target = Blocks(), Blocks()
    tg.save(source.state_dict(), tmp_path / "blocks.npz")
    kept = {name: t for name, t in target.named_tensors()}
    target.load_state_dict(tg.load(tmp_path / "blocks.npz"))
    for name, t in target.named_tensors():
        assert t is kept[name], f"{name} was replaced instead of loaded into"
        np.testing.assert_array_equal(t.data, source.state_dict()[name])
    x = _batch()
    np.testing.assert_array_equal(target(x).data, source(x).data)
    with pytest.raises(KeyError, match=re.escape("missing keys: blocks.dec.0.bias")):
        target.load_state_dict({k: v for k, v in source.state_dict().items() if k != "blocks.dec.0.bias"})


def test_a_deep_copy_keeps_the_containers_and_their_names() -> None:
    model = Blocks()
    clone = copy.deepcopy(model)
    assert [n for n, _ in clone.named_parameters()] == BLOCKS_NAMES
    assert clone.layers[0] is not model.layers[0]
    np.testing.assert_array_equal(clone(_batch()).data, model(_batch()).data)


# ---------------------------------------------------------------- ModuleList


def _kinds(container: nn.Module) -> list[str]:
    return [type(m).__name__ for m in container]


def test_module_list_behaves_as_a_list() -> None:
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    assert len(layers) == 2 and isinstance(layers[-1], nn.Tanh) and layers[-2] is layers[0]
    assert layers.append(nn.Sigmoid()) is layers
    assert layers.extend([nn.Identity()]) is layers
    layers.insert(1, nn.ELU())
    assert _kinds(layers) == ["ReLU", "ELU", "Tanh", "Sigmoid", "Identity"]
    head = layers[1:3]
    assert type(head) is nn.ModuleList and _kinds(head) == ["ELU", "Tanh"] and head[0] is layers[1]
    layers[0] = nn.Softmax()
    del layers[1]
    assert isinstance(layers.pop(), nn.Identity) and isinstance(layers.pop(0), nn.Softmax)
    assert _kinds(layers) == ["Tanh", "Sigmoid"]
    both = layers + nn.ModuleList([nn.ReLU()])
    assert type(both) is nn.ModuleList and _kinds(both) == ["Tanh", "Sigmoid", "ReLU"] and len(layers) == 2
    layers += [nn.Identity()]
    assert _kinds(layers) == ["Tanh", "Sigmoid", "Identity"]
    assert len(nn.ModuleList()) == 0 and repr(nn.ModuleList()) == "ModuleList()"
    assert "(1): Sigmoid()" in repr(layers)


def test_module_list_names_follow_positions_after_insert_and_delete() -> None:
    a, b, c = nn.Linear(1, 1), nn.Linear(1, 1), nn.Linear(1, 1)
    layers = nn.ModuleList([a, c])
    layers.insert(1, b)
    assert [p for _, p in layers.named_parameters()] == [a.weight, a.bias, b.weight, b.bias, c.weight, c.bias]
    del layers[0]
    assert dict(layers.named_parameters())["0.weight"] is b.weight
    assert list(layers.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_module_list_refuses_what_is_not_a_module() -> None:
    with pytest.raises(TypeError, match="ModuleList element 1 is a int, not a Module"):
        nn.ModuleList([nn.ReLU(), 3])
    layers = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match=r"append\(\) argument is a function"):
        layers.append(lambda x: x)
    with pytest.raises(TypeError, match=r"extend\(\) element 1 is a str"):
        layers.extend([nn.Tanh(), "relu"])
    assert len(layers) == 1  # nothing added by the refused extend
    with pytest.raises(TypeError, match="item 0 is a NoneType"):
        layers[0] = None
    with pytest.raises(IndexError, match="index 1 is out of range for a ModuleList of length 1"):
        layers[1]
    with pytest.raises(IndexError, match="index -2"):
        del layers[-2]
    with pytest.raises(TypeError):
        layers["0"]


# ---------------------------------------------------------------- ModuleDict


def test_module_dict_behaves_as_a_dict() -> None:
    blocks = nn.ModuleDict([("enc", nn.ReLU()), ("dec", nn.Tanh())])
    assert list(blocks) == ["enc", "dec"] and list(blocks.keys()) == ["enc", "dec"] and len(blocks) == 2
    assert "enc" in blocks and "mid" not in blocks
    assert _kinds(blocks.values()) == ["ReLU", "Tanh"]
    assert [(k, type(m).__name__) for k, m in blocks.items()] == [("enc", "ReLU"), ("dec", "Tanh")]
    blocks.update({"mid": nn.Sigmoid(), "enc": nn.ELU()})
    assert list(blocks) == ["enc", "dec", "mid"] and isinstance(blocks["enc"], nn.ELU)
    blocks["out"] = nn.Identity()
    assert isinstance(blocks.pop("dec"), nn.Tanh)
    del blocks["mid"]
    assert list(blocks) == ["enc", "out"]
    assert "(out): Identity()" in repr(blocks)
    blocks.clear()
    assert len(blocks) == 0 and repr(blocks) == "ModuleDict()"


def test_module_dict_names_follow_insertion_order() -> None:
    blocks = nn.ModuleDict({"zeta": nn.Linear(1, 1), "alpha": nn.Linear(1, 1)})
    assert [n for n, _ in blocks.named_parameters()] == ["zeta.weight", "zeta.bias", "alpha.weight", "alpha.bias"]


def test_module_dict_keys_named_like_its_methods_do_not_clash() -> None:
    blocks = nn.ModuleDict({"training": nn.Linear(1, 1), "keys": nn.Linear(1, 1)})
    blocks.eval()
    assert blocks.training is False and isinstance(blocks["training"], nn.Linear)
    assert list(blocks.keys()) == ["training", "keys"]
    assert [n for n, _ in blocks.named_parameters()][:2] == ["training.weight", "training.bias"]


def test_module_dict_refuses_bad_keys_and_values() -> None:
    blocks = nn.ModuleDict({"enc": nn.ReLU()})
    with pytest.raises(KeyError, match=r"'dec' is not a key of this ModuleDict \(its keys: enc\)"):
        blocks["dec"]
    with pytest.raises(KeyError, match="'dec' is not a key"):
        blocks.pop("dec")
    with pytest.raises(KeyError, match=r"contains '\.'"):
        blocks["a.b"] = nn.ReLU()
    with pytest.raises(KeyError, match="cannot be empty"):
        blocks[""] = nn.ReLU()
    with pytest.raises(TypeError, match="keys must be strings, got the int 1"):
        blocks[1] = nn.ReLU()
    with pytest.raises(TypeError, match="value for key 'x' is a float, not a Module"):
        blocks.update({"ok": nn.Tanh(), "x": 1.0})
    assert list(blocks) == ["enc"]  # the refused update added nothing
    with pytest.raises(TypeError, match="element 0 is a str, not a"):
        nn.ModuleDict(["enc"])
    with pytest.raises(TypeError, match="mapping or"):
        blocks.update(3)


# ---------------------------------------------------------------- ParameterList / ParameterDict


def test_parameter_list_and_dict_register_and_wrap_tensors() -> None:
    plain = Tensor(np.zeros(3, dtype=np.float32))
    params = nn.ParameterList([nn.Parameter([1.0]), plain])
    assert isinstance(params[1], nn.Parameter) and params[1].requires_grad and params[1].data is plain.data
    params.append(Tensor([2.0]))
    assert [n for n, _ in params.named_parameters()] == ["0", "1", "2"] and len(params) == 3
    table = nn.ParameterDict({"b": Tensor([1.0]), "a": nn.Parameter([2.0], requires_grad=False)})
    table["c"] = nn.Parameter([3.0])
    assert [n for n, _ in table.named_parameters()] == ["b", "c"]
    assert list(table.state_dict()) == ["b", "a", "c"] and "a" in table and isinstance(table["b"], nn.Parameter)
    assert "(a): Parameter of shape (1,), float32, requires_grad=False" in repr(table)
    assert "(2): Parameter of shape (1,), float32" in repr(params)
    with pytest.raises(TypeError, match="ParameterList element 0 is a float, not a Tensor or Parameter"):
        nn.ParameterList([1.0])
    with pytest.raises(TypeError, match="value for key 'w' is a list"):
        table["w"] = [1.0]


# ---------------------------------------------------------------- Sequential keeps its names and behaviour


def test_sequential_keeps_its_names_and_gains_list_operations() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model.layers is model.layers and len(model.layers) == 3
    assert type(model[:2]) is nn.Sequential and type(model + nn.Sequential(nn.Tanh())) is nn.Sequential
    model.insert(0, nn.Linear(3, 3))
    assert list(model.state_dict())[:2] == ["0.weight", "0.bias"] and model[1].in_features == 3
    del model[0]
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    np.testing.assert_allclose(model(x).data, model[2](model[1](model[0](x))).data, rtol=1e-5, atol=1e-6)


def test_no_container_of_the_library_warns() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Blocks()
        nn.mlp([3, 4, 2])
        nn.Sequential(nn.Linear(1, 1), nn.ReLU())[0:1]
        nn.ModuleList([nn.ReLU()]) + nn.ModuleList([nn.Tanh()])


# ---------------------------------------------------------------- plain containers warn


def test_a_plain_dict_of_modules_warns_naming_the_attribute_and_is_not_registered() -> None:
    class Heads(nn.Module):
        def __init__(self) -> None:
            self.heads = {"cls": nn.Linear(2, 2)}

    with pytest.warns(nn.UnregisteredModuleWarning, match=r"Heads\.heads is a plain dict holding modules: they "
                      r"are not registered.*use nn\.ModuleDict instead") as caught:
        model = Heads()
    assert caught[0].filename == __file__  # the warning points at the assignment
    assert model.parameters() == []


def test_a_plain_list_of_modules_warns_but_stays_registered() -> None:
    class Stack(nn.Module):
        def __init__(self) -> None:
            self.blocks = (nn.Linear(2, 2), nn.Linear(2, 1))

    with pytest.warns(nn.UnregisteredModuleWarning, match=r"Stack\.blocks is a plain tuple of modules: it is "
                      r"registered .*use nn\.ModuleList instead"):
        model = Stack()
    assert [n for n, _ in model.named_parameters()] == [
        "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]


@pytest.mark.parametrize(("value", "says"), [
    ([nn.Linear(1, 1), "relu"], r"plain list holding modules: they are not registered.*nn\.ModuleList"),
    ([nn.Parameter([1.0])], r"plain list holding parameters.*nn\.ParameterList"),
    ({"w": Tensor([1.0], requires_grad=True)}, r"plain dict holding parameters.*nn\.ParameterDict"),
    ({"w": nn.Parameter([1.0]), "f": nn.ReLU()},
     r"plain dict holding modules and parameters.*nn\.ModuleDict / nn\.ParameterDict"),
])
def test_plain_containers_of_modules_or_parameters_warn(value: object, says: str) -> None:
    model = nn.Module()
    with pytest.warns(nn.UnregisteredModuleWarning, match=r"Module\.things is a " + says):
        model.things = value


@pytest.mark.parametrize("value", [
    [], {}, [1, 2], ("relu", 0.5), {"lr": 0.1}, [Tensor([1.0])], [Tensor([1.0], requires_grad=True) * 2],
])
def test_plain_containers_without_modules_or_parameters_do_not_warn(value: object) -> None:
    model = nn.Module()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.things = value


# ---------------------------------------------------------------- the same names as PyTorch


def test_names_match_pytorch_for_the_same_model() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the name comparison needs it")

    class TorchBlocks(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.Linear(3, 2)])
            self.blocks = torch.nn.ModuleDict({"enc": torch.nn.Linear(2, 2),
                                               "dec": torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh())})
            self.scale = torch.nn.Parameter(torch.tensor([1.5]))
            self.offsets = torch.nn.ParameterList([torch.zeros(2)])
            self.gains = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.ones(2))})

    theirs = TorchBlocks()
    ours = Blocks()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    torch_layers = torch.nn.ModuleList([torch.nn.Linear(1, 1) for _ in range(3)])
    del layers[1], torch_layers[1]
    assert list(layers.state_dict()) == list(torch_layers.state_dict())


def test_sequential_layers_can_be_replaced_but_only_by_modules() -> None:
    model = nn.Sequential(nn.Linear(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.layers = [nn.Linear(2, 3), nn.ReLU()]
    assert list(model.state_dict()) == ["0.weight", "0.bias"] and model(Tensor(np.ones((1, 2)))).shape == (1, 3)
    with pytest.raises(TypeError, match="Sequential layers element 1 is a str, not a Module"):
        model.layers = [nn.ReLU(), "relu"]
    assert len(model) == 2
