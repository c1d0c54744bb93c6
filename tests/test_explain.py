"""tg.explain: the equations backward applied, and seed 000's hand calculation redone from the engine."""

from __future__ import annotations

import re

import numpy as np
import pytest
from userops import Cube

import tinygrad_vn as tg
from tinygrad_vn import Tensor, nn, seeds
from tinygrad_vn import functional as F
from tinygrad_vn.cli.examples import build_example

# Seed 000's seven gradients and, for each, the numbers the note multiplies: (ŷ − y) = (0.867 − 0.5), then
# the weights, the sigmoid slopes a (1 − a) and the input x along the chain.
SEED000_CHAINS = {
    "∂L/∂b1(2)": ["0.867", "0.5", "1"],
    "∂L/∂w11(2)": ["0.867", "0.5", "0.562"],
    "∂L/∂w21(2)": ["0.867", "0.5", "0.622"],
    "∂L/∂b1(1)": ["0.867", "0.5", "1", "0.562", "(1 − 0.562)", "1"],
    "∂L/∂b2(1)": ["0.867", "0.5", "0.5", "0.622", "(1 − 0.622)", "1"],
    "∂L/∂w11(1)": ["0.867", "0.5", "1", "0.562", "(1 − 0.562)", "0.5"],
    "∂L/∂w12(1)": ["0.867", "0.5", "0.5", "0.622", "(1 − 0.622)", "0.5"],
}


@pytest.fixture
def seed000():
    return build_example("seed000")


def chain_blocks(text: str) -> dict[str, list[str]]:
    """Each chain in the text by its left side, as the lines it spans."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("∂"):
            current = line.split(" = ")[0]
            blocks[current] = []
        if current is not None and line.strip():
            blocks[current].append(line)
    return blocks


def numbers_of(line: str) -> list[str]:
    return re.findall(r"\(1 − [\d.]+\)|-?\d+(?:\.\d+)?", line)


def test_seed000_chains_contain_the_seven_gradients_and_the_factors_the_note_multiplies(seed000):
    text = tg.explain(seed000.loss, seed000.model)
    blocks = chain_blocks(text)
    assert list(blocks) == list(SEED000_CHAINS), "in the note's order: output layer first"
    for left, factors in SEED000_CHAINS.items():
        lines = blocks[left]
        result = float(lines[-1].rsplit("= ", 1)[1])
        assert result == pytest.approx(seeds.SEED000_PRINTED[left], abs=5e-4), left
        with_numbers = lines[-2]
        assert numbers_of(with_numbers) == factors, f"{left}: {with_numbers}"
        assert "(ŷ − y)" in lines[-3], "sigmoid then BCE collapses to ŷ − y, as the note does"
        assert lines[-1].split("= ", 1)[1].startswith("0.367 · "), "ŷ − y = 0.367 leads every product"


def test_the_chain_for_one_weight_reads_like_the_note(seed000):
    blocks = chain_blocks(tg.explain(seed000.loss, seed000.model))
    lines = [line.strip() for line in blocks["∂L/∂w11(1)"]]
    assert lines == [
        "∂L/∂w11(1) = ∂L/∂ŷ · ∂ŷ/∂z(2) · ∂z(2)/∂a1(1) · ∂a1(1)/∂z1(1) · ∂z1(1)/∂w11(1)",
        "= ((ŷ − y) / (ŷ (1 − ŷ))) · ŷ · (1 − ŷ) · w11(2) · a1(1) · (1 − a1(1)) · x",
        "= (ŷ − y) · w11(2) · a1(1) · (1 − a1(1)) · x",
        "= (0.867 − 0.5) · 1 · 0.562 · (1 − 0.562) · 0.5",
        "= 0.367 · 1 · 0.246 · 0.5 = 0.0451",
    ]


def test_the_chains_agree_with_the_engines_gradients(seed000):
    step = seeds.seed000_step(seeds.seed000_network(), 0.5, 0.5)
    blocks = chain_blocks(tg.explain(seed000.loss, seed000.model, precision=6))
    for left in SEED000_CHAINS:
        assert float(blocks[left][-1].rsplit("= ", 1)[1]) == pytest.approx(step.values[left], rel=1e-5)


def test_equations_come_in_backward_order_with_names_shapes_and_numbers(seed000):
    text = tg.explain(seed000.loss, seed000.model)
    ops = re.findall(r"^ *\d+\. (\w+):", text, flags=re.MULTILINE)
    assert ops == ["Mean", "BinaryCrossEntropy", "Sigmoid", "Add", "MatMul", "Sigmoid", "Add", "MatMul"]
    for expected in ("Parameters: W(1) = 0.weight (1×2), b(1) = 0.bias (2), W(2) = 2.weight (2×1), b(2) = 2.bias (1)",
                     "5. MatMul: (A(1)·W(2)) = A(1) · W(2)    (with A(1) 1×2, W(2) 2×1, (A(1)·W(2)) 1×1)",
                     "dA(1) = d(A(1)·W(2)) · W(2)ᵀ    → 1×2 [[0.367, 0.183]]",
                     "dW(2) = A(1)ᵀ · d(A(1)·W(2))    → 2×1 [[0.206], [0.228]]",
                     "dZ(1) = dA(1) ⊙ A(1) ⊙ (1 − A(1))    → 1×2 [[0.0903, 0.0431]]",
                     "dZ(2) = (ŷ − y) ⊙ dℓ"):
        assert expected in text


def test_vietnamese_has_the_notes_words_and_the_same_symbols(seed000):
    english = tg.explain(seed000.loss, seed000.model)
    vietnamese = tg.explain(seed000.loss, seed000.model, lang="vi")
    for word in ("Lan truyền ngược", "đạo hàm", "trọng số", "Quy tắc chuỗi", "kích thước"):
        assert word in vietnamese
    assert "Lan truyền ngược" not in english
    assert chain_blocks(vietnamese) == chain_blocks(english)


def test_explanation_prints_as_text_and_leaves_gradients_alone(seed000):
    text = tg.explain(seed000.loss, seed000.model)
    assert isinstance(text, str) and repr(text) == str(text)
    assert all(p.grad is None for p in seed000.model.parameters())
    seed000.loss.backward()
    assert seed000.model[2].bias.grad.data[0] == pytest.approx(0.367, abs=5e-4)


def test_explaining_a_freed_graph_says_how_to_keep_it(seed000):
    seed000.loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        tg.explain(seed000.loss)


def test_params_choose_whose_chains_are_written(seed000):
    blocks = chain_blocks(tg.explain(seed000.loss, ["0.weight"], model=seed000.model))
    assert list(blocks) == ["∂L/∂w11(1)", "∂L/∂w12(1)"]
    with pytest.raises(KeyError, match=r"0\.weigth"):
        tg.explain(seed000.loss, ["0.weigth"], model=seed000.model)


def test_a_batch_sums_the_chain_over_its_paths():
    model = seeds.seed000_network()
    loss = F.binary_cross_entropy(model(Tensor(np.array([[0.0], [0.5]]), name="x")),
                                  Tensor(np.array([[0.0], [0.5]]), name="y"))
    text = tg.explain(loss, model)
    # σ + BCE collapse in each path: ∂L/∂z_k = (ŷ_k − y_k) / 2 for the mean over the two samples
    assert "∂L/∂b1(2) = sum over 2 paths:\n    (ŷ1 − y1)/2 · ∂z1(2)/∂b1(2) = 0.426 · 1\n" in text
    assert "    (ŷ2 − y2)/2 · ∂z2(2)/∂b1(2) = 0.183 · 1\n    = 0.609" in text
    assert model[2].bias.grad is None


def test_softmax_then_cross_entropy_collapses_to_o_minus_y():
    logits = Tensor(np.array([[1.0, 2.0, 0.5]]), requires_grad=True, name="Z")
    fused = tg.explain(F.cross_entropy(logits, np.array([1])))
    assert "softmax and cross-entropy collapse to o − y" in fused
    assert "dZ = (O − Y) · dL, with O = softmax(Z), Y one-hot" in fused
    y = Tensor(np.array([[0.0, 1.0, 0.0]]), name="y")
    composed = tg.explain(-(y * logits.softmax().log()).sum())
    assert "softmax then cross-entropy, when each row of y sums to 1: dZ = (o − y) · dL, o = softmax(Z)" in composed


def test_user_defined_function_without_a_rule_is_explained_with_numbers():
    x = Tensor([2.0], requires_grad=True, name="x")
    text = tg.explain(Cube.apply(x).sum())
    assert "2. Cube: ℓ = Cube(x)    (with x 1, ℓ 1)" in text
    assert "(this op states no gradient rule; the engine's numbers are shown)" in text
    assert "dx    → 1 [12]" in text
    assert chain_blocks(text) == {"∂L/∂x1": ["∂L/∂x1 = 12"]}, "d(x³)/dx = 3x² = 12 at x = 2"


def test_a_large_model_gets_equations_with_shapes_but_no_chains():
    example = build_example("mlp", "784,128,10")
    text = tg.explain(example.loss, example.model)
    assert "dW(1) = xᵀ · d(x·W(1))    → 784×128" in text
    assert "chains are written out only for parameters of at most 12 elements" in text
    assert not any(line.startswith("∂L/∂") for line in text.splitlines())


def test_bad_language_is_refused(seed000):
    with pytest.raises(ValueError, match="lang"):
        tg.explain(seed000.loss, lang="fr")


def test_module_import_keeps_explain_a_function():
    import tinygrad_vn.explain  # noqa: F401

    assert callable(tg.explain) and isinstance(tg.viz.draw, type(tg.viz.to_dot))
    assert isinstance(nn.Linear(1, 1), nn.Module)


def test_a_dead_relu_and_a_shared_input_are_spelled_out():
    w = Tensor([[0.5, -1.0]], requires_grad=True, name="w")
    relu = tg.explain((Tensor([[2.0]], name="x") @ w).relu().sum())
    assert ("∂L/∂w11 = ∂L/∂ŷ1 · ∂ŷ1/∂z1(1) · ∂z1(1)/∂w11\n        = 1 · [z1(1) > 0] · x\n"
            "        = 1 · [1 > 0] · 2\n        = 1 · 1 · 2 = 2") in relu, "x·w is layer 1 of the notes"
    assert "∂L/∂w12 = 0    (no path carries a gradient here: one of its factors is 0)" in relu
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    shared = tg.explain((a + a).sum())
    assert "∂L/∂a1 = sum over 2 paths:\n    ∂L/∂ℓ1 · ∂ℓ1/∂a1 = 1 · 1\n    ∂L/∂ℓ1 · ∂ℓ1/∂a1 = 1 · 1\n    = 2" in shared
