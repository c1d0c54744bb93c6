"""Issue 13 for explain and the drawings: the notes' names for a hand-written network, shapes in the algebra,
paths, Markdown and LaTeX, and Vietnamese with no English left."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import Tensor, nn, ops, phrases, seeds
from tinygrad_vn import functional as F
from tinygrad_vn.autograd import Function
from tinygrad_vn.cli import main
from tinygrad_vn.cli.examples import build_example
from tinygrad_vn.rules import rule_of

# English words that a Vietnamese text must not contain (the technical terms the notes keep are allowed).
ENGLISH_WORDS = re.compile(r"\b(the|of|over|with|axis|axes|back|where|else|per|row|rows|each|summed|averaged|along|"
                           r"from|into|shape|path|paths|sum|then|when|and|are|is|only|at|most|more|this|op|states|"
                           r"numbers|shown|gradient|gradients|product|because|was|it|them|batch axis|Notation|"
                           r"Parameters|scalar|with numbers|shapes|no rule stated|Feedforward|Backpropagation|"
                           r"elementwise|transpose|matrix|equal|every|element|if)\b")
KEPT_TERMS = ("(backpropagation)", "(chain rule)", "(broadcast)", "(feedforward)", "(lan truyền ngược)",
              "binary cross-entropy", "cross-entropy", "backward(retain_graph=True)", "backward()")


def english_left(text: str) -> list[str]:
    """English phrases of the table and English words outside the kept technical terms."""
    stripped = text
    for term in KEPT_TERMS:
        stripped = stripped.replace(term, "")
    return phrases.english_left_in(text, "vi") + ENGLISH_WORDS.findall(stripped)


def without_model_names(text: str) -> str:
    """The text with the model's dotted names (``= 0.weight``) taken out of its Parameters line."""
    return re.sub(r" = \d+\.(?:weight|bias)", "", text)


def seed000_by_hand():
    x, y = tg.tensor([[0.5]], dtype="float64"), tg.tensor([[0.5]], dtype="float64")
    w1 = tg.tensor([[0.5, 1.0]], dtype="float64", requires_grad=True)
    b1 = tg.tensor([0.0, 0.0], dtype="float64", requires_grad=True)
    w2 = tg.tensor([[1.0], [0.5]], dtype="float64", requires_grad=True)
    b2 = tg.tensor([1.0], dtype="float64", requires_grad=True)
    y_hat = ((x @ w1 + b1).sigmoid() @ w2 + b2).sigmoid()
    return F.binary_cross_entropy(y_hat, y), (w1, b1, w2, b2)


def by_hand(model: nn.Sequential, x: np.ndarray):
    """The same network as ``model`` written with @, + and the activations' methods, fresh leaves, no names."""
    leaves = [Tensor(p.data.copy(), requires_grad=True) for p in model.parameters()]
    out = Tensor(x.copy())
    activations = [m for m in model if not isinstance(m, nn.Linear)]
    for n, activation in enumerate(activations):
        out = getattr(out @ leaves[2 * n] + leaves[2 * n + 1], type(activation).__name__.lower())()
    return out, leaves


def test_hand_written_seed000_explains_as_the_example_does(capsys):
    loss, _ = seed000_by_hand()
    assert main(["explain", "--example", "seed000"]) == 0
    example = capsys.readouterr().out
    text = tg.explain(loss)
    assert text == without_model_names(example)
    assert "Parameters: W(1) (1×2), b(1) (2), W(2) (2×1), b(2) (1)" in text
    assert "dZ(2) = (ŷ − y) ⊙ dℓ" in text and "= (ŷ − y) · w11(2) · a1(1) · (1 − a1(1)) · x" in text


def test_hand_written_seed000_gives_the_notes_seven_gradients():
    loss, (w1, _, w2, b2) = seed000_by_hand()
    text = tg.explain(loss)
    for left in ("∂L/∂b1(2)", "∂L/∂w11(2)", "∂L/∂w21(2)", "∂L/∂b1(1)", "∂L/∂b2(1)", "∂L/∂w11(1)", "∂L/∂w12(1)"):
        block = text.split(f"\n{left} = ", 1)[1].split("\n∂", 1)[0]
        assert float(block.rsplit("= ", 1)[1]) == pytest.approx(seeds.SEED000_PRINTED[left], abs=6e-4), left
    loss.backward()
    assert [float(v) for v in (b2.grad.data[0], w2.grad.data[0, 0], w1.grad.data[0, 1])] == \
        pytest.approx([0.367, 0.206, 0.0215], abs=6e-4)


def test_a_users_names_win_over_the_structures():
    x = Tensor(np.array([[0.5]]), name="height")
    w = Tensor(np.array([[0.5, 1.0]]), requires_grad=True)
    text = tg.explain((x @ w).sigmoid().sum(), names={"weights": w})
    assert "MatMul: Z(1) = height · weights" in text and "ŷ = σ(Z(1))" in text


def seed001_model():
    tg.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.ReLU(), nn.Linear(4, 3, dtype=np.float64),
                          nn.Sigmoid(), nn.Linear(3, 3, dtype=np.float64), nn.Softmax())
    model.fuse = False
    return model


def test_hand_written_seed001_softmax_network_is_named_like_the_model_and_collapses_to_o_minus_y():
    model = seed001_model()
    x, y = np.array([[0.5, -1.0, 2.0]]), np.array([[0.0, 1.0, 0.0]])
    with_model = tg.explain(-(Tensor(y, name="y") * model(Tensor(x, name="x")).log()).sum(), model)
    o, leaves = by_hand(model, x)
    loss = -(Tensor(y) * o.log()).sum()
    text = tg.explain(loss)
    assert text == without_model_names(with_model)
    assert "Softmax: o = softmax(Z(3))" in text
    assert "⇒ softmax then cross-entropy, when each row of y sums to 1: dZ(3) = (o − y) · dL" in text
    loss.backward()
    np.testing.assert_allclose(leaves[5].grad.data, o.data[0] - y[0], atol=1e-12)  # db(3) = o − y (seed 001)


def test_hand_written_seed004_network_has_the_notes_names_and_shapes():
    tg.manual_seed(0)
    model = seeds.seed004_network(np.float64)
    model.fuse = False
    x_raw, y = seeds.seed004_dataset(n=5)
    x = (x_raw - x_raw.mean(0)) / x_raw.std(0)
    with_model = tg.explain(F.binary_cross_entropy(model(Tensor(x, name="X")), Tensor(y, name="y")), model)
    y_hat, _ = by_hand(model, x)
    text = tg.explain(F.binary_cross_entropy(y_hat, Tensor(y)))
    assert text == without_model_names(with_model)
    for expected in ("Parameters: W(1) (2×3), b(1) (3), W(2) (3×4), b(2) (4), W(3) (4×1), b(3) (1)",
                     "ŷ = σ(Z(3))", "dZ(3) = (ŷ − y) ⊙ dℓ", "shapes: dW(1) (2×3) = Xᵀ (2×5) · dZ(1) (5×3)",
                     "db(1) (3) = Σ over the batch axis of dZ(1), because b(1) was broadcast over it",
                     "shapes: dA(2) (5×4) = dZ(3) (5×1) · W(3)ᵀ (1×4)"):
        assert expected in text, expected


def test_mnist_sized_layer_shows_how_each_gradient_gets_its_shape():
    tg.manual_seed(0)
    model = nn.mlp([784, 128, 10], activation="relu")
    model.fuse = False
    x = Tensor(np.random.default_rng(0).normal(size=(64, 784)).astype(np.float32))
    text = tg.explain(F.cross_entropy(model(x), np.zeros(64, dtype=np.int64)), model)
    assert "shapes: dW(1) (784×128) = Xᵀ (784×64) · dZ(1) (64×128)" in text
    assert "db(1) (128) = Σ over the batch axis of dZ(1), because b(1) was broadcast over it" in text
    fused = nn.mlp([784, 128, 10], activation="relu")
    fused_text = tg.explain(F.cross_entropy(fused(x), np.zeros(64, dtype=np.int64)), fused)
    assert "shapes: dW(1) (784×128) = Xᵀ (784×64) · dZ(1) (64×128)" in fused_text, "Linear+ReLU as one node"


def test_small_rules_show_their_numbers():
    text = tg.explain(build_example("seed000").loss, build_example("seed000").model)
    assert "with numbers: [[0.562], [0.622]] · [[0.367]] = [[0.206], [0.228]]" in text
    assert "with numbers: [[0.367, 0.183]] ⊙ [[0.562, 0.622]] ⊙ (1 − [[0.562, 0.622]]) = [[0.0903, 0.0431]]" in text


def test_paths_sum_to_the_engines_gradient():
    model = seeds.seed000_network()
    x = Tensor(np.array([[0.25], [0.5]]), name="X")
    loss = F.binary_cross_entropy(model(x), Tensor(np.array([[0.0], [0.5]]), name="y"))
    found = tg.paths(loss, model[0].weight, (0, 0), model=model)
    assert len(found.paths) == 2 and found.element == "w11(1)"
    loss.backward(retain_graph=True)
    assert found.total == pytest.approx(float(model[0].weight.grad.data[0, 0]), rel=1e-12)
    assert found.grad == pytest.approx(found.total, rel=1e-12)
    assert "sum of the 2 paths = " in found.text and "(equal)" in found.text
    assert [f.lower for f in found.paths[0].factors][-1] == "w11(1)"
    with pytest.raises(IndexError, match="outside"):
        tg.paths(loss, model[0].weight, 5, model=model)
    with pytest.raises(ValueError, match="not in the graph"):
        tg.paths(loss, Tensor(np.ones(2), requires_grad=True))


def test_explain_with_paths_lists_every_path_beside_grad():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    text = tg.explain((a * a).sum(), paths=True)
    assert "Every path from L to a2: the product of its local derivatives" in text
    assert "sum of the 2 paths = 4    a.grad[1] = 4 (equal)" in text
    assert "tổng của 2 đường = 4    a.grad[1] = 4 (bằng nhau)" in tg.explain((a * a).sum(), paths=True, lang="vi")


def test_markdown_keeps_words_as_text_and_formulas_as_code():
    example = build_example("seed000")
    text = tg.explain(example.loss, example.model, format="markdown")
    assert text.startswith("## Backpropagation of L")
    assert "- `dZ(1) = dA(1) ⊙ A(1) ⊙ (1 − A(1))    → 1×2 [[0.0903, 0.0431]]`" in text
    assert "```\n∂L/∂b1(2) = ∂L/∂ŷ · ∂ŷ/∂z(2) · ∂z(2)/∂b1(2)" in text
    with pytest.raises(ValueError, match="format"):
        tg.explain(example.loss, format="html")


def latex_document(body: str) -> str:
    return "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + body + "\\end{document}\n"


def test_latex_has_math_for_the_formulas_and_text_for_the_words():
    example = build_example("seed000")
    body = tg.explain(example.loss, example.model, format="latex")
    assert r"{w_{11}^{(1)}}" in body and r"\hat{y}" in body and r"\odot" in body and r"\partial" in body
    assert "Backpropagation of $L$" in body
    assert not re.search(r"[⊙·ŷ∂σΣ−→ᵀ×ℓ]", body), "every symbol in LaTeX"
    assert body.count("$") % 2 == 0


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed (texlive-latex-base)")
def test_latex_compiles_with_a_standard_amsmath_preamble(tmp_path):
    for example in (build_example("seed000"), build_example("mlp", "3,2,2")):
        body = tg.explain(example.loss, example.model, format="latex", paths=True)
        (tmp_path / "explain.tex").write_text(latex_document(body), encoding="utf-8")
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "explain.tex"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout[-2000:]
        assert (tmp_path / "explain.pdf").read_bytes().startswith(b"%PDF")


def test_vietnamese_explanations_of_the_seed_examples_leave_no_english():
    outputs = []
    for name in ("seed000", "mlp"):
        example = build_example(name, "3,2,2")
        outputs.append(tg.explain(example.loss, example.model, lang="vi", paths=True))
    model = seed001_model()
    o = model(Tensor(np.array([[0.5, -1.0, 2.0]]), name="x"))
    outputs.append(tg.explain(-(Tensor(np.array([[0.0, 1.0, 0.0]]), name="y") * o.log()).sum(), model, lang="vi"))
    loss, _ = seed000_by_hand()
    outputs.append(tg.explain(loss, lang="vi"))
    for text in outputs:
        assert english_left(text) == []
    assert "Σ ℓ / n theo trục" in outputs[0] and "trải (broadcast) lại trên các trục đã lấy trung bình" in outputs[0]


def test_the_checker_finds_english_left_in_a_text():
    assert english_left("dℓ = dL / n broadcast back over the averaged axes") != []
    assert english_left("dℓ = dL / n trải (broadcast) lại trên các trục đã lấy trung bình") == []


def every_op_with_a_rule():
    classes = [getattr(ops, n) for n in dir(ops)]
    return [c for c in classes if isinstance(c, type) and issubclass(c, Function) and rule_of(c) is not None]


def test_every_ops_rule_reads_in_vietnamese():
    function_names = re.compile(r"\b(where\(|softmax|log|max|min|exp|sign|clamp|einsum|equation|round|mean|"
                                r"tanh|softplus|dtype|dims?|index|widths|shifts|repeats|threshold|one-hot)\b")
    for fn in every_op_with_a_rule():
        rule = rule_of(fn, "vi")
        text = function_names.sub("", f"{rule.forward}; {rule.rule}")
        assert english_left(text) == [], fn.__name__


def test_drawings_in_vietnamese_have_no_english_labels():
    example = build_example("seed000")
    for mode in ("forward", "backward", "both"):
        source = tg.viz.to_dot(example.loss, mode, model=example.model, lang="vi")
        labels = " ".join(re.findall(r'label="((?:[^"\\]|\\.)*)"', source))
        for identifier in ("Linear", "Sigmoid", "MatMul", "Add", "Mean", "BinaryCrossEntropy", "float64", "weight",
                           "bias"):
            labels = labels.replace(identifier, "")
        assert english_left(labels) == [], mode
    both = tg.viz.to_dot(example.loss, "both", model=example.model, lang="vi")
    assert "Lan truyền tiến (feedforward)" in both and "Lan truyền ngược (backpropagation)" in both
    assert "Σ ℓ / n theo trục" in both
    with pytest.raises(ValueError, match="lang"):
        tg.viz.draw(example.loss, lang="fr")


def test_a_drawing_shows_itself_inline_in_jupyter(monkeypatch):
    example = build_example("seed000")
    drawing = tg.viz.draw(example.loss, model=example.model)
    if shutil.which("dot") is not None:
        assert drawing._repr_svg_().lstrip().startswith("<?xml")
        assert "image/svg+xml" in drawing._repr_mimebundle_()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert drawing._repr_svg_() is None
    assert "apt-get install graphviz" in drawing._repr_mimebundle_()["text/plain"]
