"""tg.einsum: NumPy's values, gradients derived from the equation (diagonals, summed-away and broadcast
axes, ellipses), PyTorch's results in float32 and float64, and clear errors for bad equations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, broadcastable_shapes, leaf

import tinygrad_vn as tg

# (equation, operand shapes): products, batches, diagonals, traces, sums, outer products, three operands,
# implicit outputs, ellipses that broadcast, and sides of 1 that broadcast against bigger ones.
EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->", [(2, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ijk,ik->ij", [(2, 3, 2), (2, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
    ("ij->ji", [(2, 3)]),
    ("ijk->kji", [(2, 3, 4)]),
    ("ij,jk", [(2, 3), (3, 2)]),
    ("ba,B", [(2, 3), (2,)]),
    ("bii->b", [(2, 3, 3)]),
    ("iji->j", [(2, 3, 2)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ijk,jl,kl->il", [(2, 3, 2), (3, 2), (2, 2)]),
    ("...i->...", [(2, 3, 4)]),
    ("...ij->ij", [(2, 3, 4)]),
    ("i->", [(5,)]),
    (" i j , j k -> i k ", [(2, 3), (3, 2)]),
]


# NumPy's own einsum refuses to sum an ellipsis away when the output leaves it out; PyTorch sums it.
NUMPY_FORM = {"...ij->ij": "aij->ij"}


def _inputs(shapes: list[tuple[int, ...]], seed: int, dtype: type = np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, shape).astype(dtype) for shape in shapes]


@pytest.mark.parametrize(("equation", "shapes"), EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_values_are_numpys_and_gradients_pass_gradcheck(equation: str, shapes: list[tuple[int, ...]]) -> None:
    operands = _inputs(shapes, seed=len(equation))
    out = tg.einsum(equation, *[leaf(x) for x in operands])
    expected = np.einsum(NUMPY_FORM.get(equation, equation), *operands)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert tg.gradcheck(lambda *ts: tg.einsum(equation, *ts), [leaf(x) for x in operands])


@pytest.mark.parametrize(("equation", "shapes"), EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_values_and_gradients_match_pytorch(equation: str, shapes: list[tuple[int, ...]]) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the comparison needs it")
    for dtype, tolerance in [(np.float32, 2e-6), (np.float64, 1e-12)]:
        operands = _inputs(shapes, seed=1, dtype=dtype)
        ours = [tg.tensor(x, requires_grad=True) for x in operands]
        theirs = [torch.tensor(x, requires_grad=True) for x in operands]
        out, expected = tg.einsum(equation, *ours), torch.einsum(equation, *theirs)
        assert out.shape == tuple(expected.shape) and out.dtype == dtype
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=tolerance, atol=tolerance)
        upstream = np.random.default_rng(2).uniform(0.5, 1.5, out.shape).astype(dtype)
        out.backward(upstream)
        expected.backward(torch.from_numpy(upstream))
        for mine, reference in zip(ours, theirs):
            np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), rtol=tolerance, atol=tolerance)


@given(data=st.data())
def test_batched_products_broadcast_their_batch_dims(data: st.DataObject) -> None:
    left_batch, right_batch = data.draw(broadcastable_shapes(2, max_dims=2))
    i, j, k = (data.draw(st.integers(1, 3)) for _ in range(3))
    a = data.draw(arrays((*left_batch, i, j)))
    b = data.draw(arrays((*right_batch, j, k)))
    out = tg.einsum("...ij,...jk->...ik", leaf(a), leaf(b))
    np.testing.assert_allclose(out.data, np.matmul(a, b), rtol=1e-12, atol=1e-12)
    assert tg.gradcheck(lambda x, y: tg.einsum("...ij,...jk->...ik", x, y), [leaf(a), leaf(b)])


@given(data=st.data())
def test_random_contractions_of_two_operands(data: st.DataObject) -> None:
    letters = "abcd"
    sizes = {c: data.draw(st.integers(1, 3)) for c in letters}
    terms = [data.draw(st.lists(st.sampled_from(letters), min_size=1, max_size=3)) for _ in range(2)]
    used = sorted(set(terms[0]) | set(terms[1]))
    output = data.draw(st.lists(st.sampled_from(used), unique=True, max_size=len(used)))
    equation = f"{''.join(terms[0])},{''.join(terms[1])}->{''.join(output)}"
    operands = [data.draw(arrays(tuple(sizes[c] for c in term))) for term in terms]
    np.testing.assert_allclose(tg.einsum(equation, *[leaf(x) for x in operands]).data, np.einsum(equation, *operands),
                               rtol=1e-12, atol=1e-12)
    assert tg.gradcheck(lambda *ts: tg.einsum(equation, *ts), [leaf(x) for x in operands])


def test_operands_as_one_list_as_pytorch_allows() -> None:
    a, b = tg.ones(2, 3), tg.ones(3, 4)
    assert tg.einsum("ij,jk->ik", [a, b]).shape == (2, 4)
    assert tg.einsum("ij,jk->ik", np.ones((2, 3)), b).dtype == np.float64


def test_only_operands_that_need_a_gradient_get_one() -> None:
    a = tg.tensor(np.ones((2, 3)), requires_grad=True)
    constant = tg.tensor(np.ones((3, 2)))
    tg.einsum("ij,jk->ik", a, constant).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full((2, 3), 2.0))
    assert constant.grad is None


def test_integer_operands_contract_without_gradients() -> None:
    labels = tg.tensor(np.arange(6).reshape(2, 3))
    assert tg.einsum("ij->j", labels).tolist() == [3, 5, 7]


def test_einsum_graphs_draw_and_explain() -> None:
    w = tg.tensor(np.ones((3, 2)), requires_grad=True, name="W")
    loss = tg.einsum("bi,ij->bj", tg.tensor(np.ones((4, 3))), w).sum()
    assert "Einsum" in tg.viz.to_dot(loss, mode="backward")
    assert "dW = dℓ contracted with the other operands onto W's subscripts" in tg.explain(loss)


ERRORS = [
    ("ij,jk->ik", [(2, 3)], r"einsum: the equation 'ij,jk->ik' names 2 operand\(s\) but 1 were given"),
    ("ij->i", [(2, 3, 4)], r"einsum: operand 0 has 3 dimensions but its subscripts 'ij' name 2"),
    ("ii", [(2, 3)], r"einsum: subscript 'i' is repeated in operand 0 over sides of different sizes 2 and 3"),
    ("ij,jk->ik", [(2, 3), (4, 4)], r"einsum: subscript 'j' has size 4 in operand 1 but 3"),
    ("ij->ii", [(2, 2)], r"einsum: output subscript 'i' appears more than once"),
    ("ij->k", [(2, 2)], r"einsum: output subscript 'k' appears in no operand"),
    ("i1,i->", [(2, 2), (2,)], r"einsum: invalid subscript '1' for operand 0"),
    ("......", [(2,)], r"einsum: operand 0 .* more than one '...'"),
    ("..i", [(2,)], r"einsum: invalid subscript '\.' for operand 0"),
    ("i->i->i", [(2,)], r"einsum: invalid subscript '-' for the output"),
]


@pytest.mark.parametrize(("equation", "shapes", "message"), ERRORS, ids=[e for e, _, _ in ERRORS])
def test_bad_equations_raise_clear_errors(equation: str, shapes: list[tuple[int, ...]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tg.einsum(equation, *[tg.zeros(*s) for s in shapes])


def test_bad_calls_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="einsum: needs at least one operand"):
        tg.einsum("i")
    with pytest.raises(TypeError, match="einsum: the equation must be a string"):
        tg.einsum(3, tg.zeros(2))
