"""PyTorch's ``dim``/``keepdim`` and NumPy's ``axis``/``keepdims`` name the same arguments everywhere; giving both
spellings of one is an error; the ``tg.*`` function forms are their methods."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F

DATA = np.random.default_rng(0).uniform(0.5, 2.0, (2, 3, 4))

# Methods that take (dim, keepdim); the values they give, whichever the spelling.
KEEPDIM_METHODS = ["sum", "mean", "amax", "amin", "argmax", "argmin", "logsumexp", "var", "std", "prod", "norm",
                   "any", "all"]


def _values(result: Any) -> np.ndarray:
    return np.asarray(result.values.data if isinstance(result, tg.ValuesIndices) else result.data)


def _call(name: str, x: tg.Tensor, **kwargs: Any) -> Any:
    if name == "norm":
        return x.norm(2, **kwargs)
    return getattr(x, name)(**kwargs)


@pytest.mark.parametrize("name", KEEPDIM_METHODS)
@pytest.mark.parametrize("keep", [False, True])
def test_dim_and_axis_spellings_agree(name: str, keep: bool) -> None:
    x = tg.tensor(DATA)
    torch_style = _call(name, x, dim=1, keepdim=keep)
    numpy_style = _call(name, x, axis=1, keepdims=keep)
    mixed = _call(name, x, dim=1, keepdims=keep)
    assert torch_style.shape == ((2, 1, 4) if keep else (2, 4))
    np.testing.assert_array_equal(torch_style.data, numpy_style.data)
    np.testing.assert_array_equal(torch_style.data, mixed.data)


@pytest.mark.parametrize("name", [*KEEPDIM_METHODS, "max", "min"])
@pytest.mark.parametrize("both", [{"dim": 0, "axis": 0}, {"keepdim": True, "keepdims": True}])
def test_giving_both_spellings_is_an_error(name: str, both: dict[str, Any]) -> None:
    spellings = " and ".join(f"{key}={value!r}" for key, value in both.items())
    kwargs = {"dim": 0, **both} if "keepdim" in both else both
    with pytest.raises(TypeError, match=rf"{name}\(\) got both {spellings}; they are two spellings of one argument"):
        _call(name, tg.tensor(DATA), **kwargs)


@pytest.mark.parametrize(("call", "name"), [
    (lambda x: x.softmax(dim=0, axis=0), "softmax"),
    (lambda x: x.log_softmax(dim=0, axis=0), "log_softmax"),
    (lambda x: F.softmax(x, dim=0, axis=0), "softmax"),
    (lambda x: x.cumsum(dim=0, axis=0), "cumsum"),
    (lambda x: x.sort(dim=0, axis=0), "sort"),
    (lambda x: x.argsort(dim=0, axis=0), "argsort"),
    (lambda x: x.topk(1, dim=0, axis=0), "topk"),
    (lambda x: tg.cat([x, x], dim=0, axis=0), "concatenate"),
    (lambda x: tg.stack([x, x], dim=0, axis=0), "stack"),
])
def test_both_spellings_of_dim_are_refused_everywhere(call: Any, name: str) -> None:
    with pytest.raises(TypeError, match=rf"{name}\(\) got both dim=0 and axis=0"):
        call(tg.tensor(DATA))


@pytest.mark.parametrize("spelling", [{"dim": 0}, {"axis": 0}, {}])
def test_softmax_and_log_softmax_take_dim_as_methods_and_functions(spelling: dict[str, int]) -> None:
    x = tg.tensor(DATA)
    dim = spelling.get("dim", spelling.get("axis", -1))
    expected = np.exp(DATA) / np.exp(DATA).sum(axis=dim, keepdims=True)
    for result in (x.softmax(**spelling), F.softmax(x, **spelling)):
        np.testing.assert_allclose(result.data, expected, rtol=1e-12)
    for result in (x.log_softmax(**spelling), F.log_softmax(x, **spelling)):
        np.testing.assert_allclose(result.data, np.log(expected), rtol=1e-12)


def test_concatenate_stack_and_cat_take_dim_or_axis() -> None:
    a, b = tg.tensor(DATA), tg.tensor(DATA * 2)
    joined = np.concatenate([DATA, DATA * 2], axis=2)
    for result in (tg.cat([a, b], dim=2), tg.cat([a, b], 2), tg.concatenate([a, b], axis=2)):
        np.testing.assert_array_equal(result.data, joined)
    assert tg.cat is tg.concatenate and tg.cat([a, b]).shape == (4, 3, 4)
    stacked = np.stack([DATA, DATA * 2], axis=1)
    for result in (tg.stack([a, b], dim=1), tg.stack([a, b], axis=1), tg.stack([a, b], 1)):
        np.testing.assert_array_equal(result.data, stacked)


def test_max_min_follow_pytorch_with_dim_and_numpy_with_axis() -> None:
    x = tg.tensor(DATA)
    for name, reduce, find in (("max", np.max, np.argmax), ("min", np.min, np.argmin)):
        method = getattr(x, name)
        for result in (method(1), method(dim=1), method(1, keepdims=False)):
            values, indices = result
            np.testing.assert_array_equal(values.data, reduce(DATA, axis=1))
            np.testing.assert_array_equal(indices.data, find(DATA, axis=1))
        kept = method(dim=1, keepdim=True)
        assert kept.values.shape == kept.indices.shape == (2, 1, 4)
        for plain in (method(), method(axis=1), method(axis=(0, 2), keepdims=True)):
            assert isinstance(plain, tg.Tensor)
        np.testing.assert_array_equal(method(axis=(0, 2), keepdims=True).data, reduce(DATA, axis=(0, 2), keepdims=True))


FUNCTION_FORMS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("sum", (1,), {}), ("mean", (), {"axis": 0}), ("max", (2,), {}), ("min", (), {}), ("amax", ((0, 1),), {}),
    ("amin", (1, True), {}), ("argmax", (2,), {}), ("argmin", (), {"dim": 0, "keepdim": True}),
    ("logsumexp", (1,), {}), ("var", (0,), {"correction": 0}), ("std", (), {"dim": 2}), ("prod", (1,), {}),
    ("norm", (1, 2), {}), ("any", (0,), {}), ("all", (), {}), ("cumsum", (1,), {}), ("sort", (), {"descending": True}),
    ("argsort", (0,), {}), ("topk", (2,), {"dim": 1}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), FUNCTION_FORMS, ids=[name for name, _, _ in FUNCTION_FORMS])
def test_function_forms_are_the_methods(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    x = tg.tensor(DATA)
    function_result = getattr(tg, name)(x, *args, **kwargs)
    method_result = getattr(x, name)(*args, **kwargs)
    assert type(function_result) is type(method_result)
    np.testing.assert_array_equal(_values(function_result), _values(method_result))
    from_list = getattr(tg, name)(DATA.tolist(), *args, **kwargs)  # any data a Tensor accepts
    np.testing.assert_allclose(_values(from_list), _values(method_result), rtol=1e-5)


def test_existing_positional_and_axis_calls_are_unchanged() -> None:
    x = tg.tensor(DATA)
    np.testing.assert_array_equal(x.sum(0, True).data, DATA.sum(0, keepdims=True))
    np.testing.assert_array_equal(x.mean(axis=(1, 2)).data, DATA.mean((1, 2)))
    np.testing.assert_array_equal(x.argmax(axis=1).data, DATA.argmax(1))
    np.testing.assert_array_equal(x.argmax().data, DATA.argmax())
    np.testing.assert_allclose(x.softmax(0).data, np.exp(DATA) / np.exp(DATA).sum(0), rtol=1e-12)
