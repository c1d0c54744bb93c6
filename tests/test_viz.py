"""tinygrad_vn.viz: the DOT it writes for known graphs, read back node by node and edge by edge."""

from __future__ import annotations

import shutil
import time
from collections import Counter

import numpy as np
import pytest
from dotparse import parse_dot
from userops import Cube, Square

import tinygrad_vn as tg
from tinygrad_vn import Function, Tensor, nn
from tinygrad_vn.cli.examples import build_example

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")


@pytest.fixture
def seed000():
    return build_example("seed000")


def keyed_edges(dot):
    return Counter((dot.key(t), dot.key(h), a.get("label", "")) for t, h, a in dot.edges)


def test_seed000_forward_graph_has_exactly_the_expected_nodes_and_edges(seed000):
    dot = parse_dot(tg.viz.to_dot(seed000.loss, model=seed000.model))
    mm1, add1 = "MatMul: (x·W(1)) = x · W(1)", "Add: Z(1) = (x·W(1)) + b(1)"
    mm2, add2 = "MatMul: (A(1)·W(2)) = A(1) · W(2)", "Add: Z(2) = (A(1)·W(2)) + b(2)"
    sig1, sig2 = "Sigmoid: A(1) = σ(Z(1))", "Sigmoid: ŷ = σ(Z(2))"
    bce, mean = "BinaryCrossEntropy: ℓ = −(y ln ŷ + (1 − y) ln(1 − ŷ))", "Mean: L = Σ ℓ / n over axis"
    tensors = {"x", "y", "0.weight (W(1))", "0.bias (b(1))", "(x·W(1))", "Z(1)", "A(1)", "2.weight (W(2))",
               "2.bias (b(2))", "(A(1)·W(2))", "Z(2)", "ŷ", "ℓ", "L"}
    assert sorted(dot.key(n) for n in dot.nodes) == sorted(tensors | {mm1, add1, mm2, add2, sig1, sig2, bce, mean})
    assert keyed_edges(dot) == Counter([
        ("x", mm1, "A"), ("0.weight (W(1))", mm1, "B"), (mm1, "(x·W(1))", ""),
        ("(x·W(1))", add1, "A"), ("0.bias (b(1))", add1, "B"), (add1, "Z(1)", ""),
        ("Z(1)", sig1, ""), (sig1, "A(1)", ""),
        ("A(1)", mm2, "A"), ("2.weight (W(2))", mm2, "B"), (mm2, "(A(1)·W(2))", ""),
        ("(A(1)·W(2))", add2, "A"), ("2.bias (b(2))", add2, "B"), (add2, "Z(2)", ""),
        ("Z(2)", sig2, ""), (sig2, "ŷ", ""), ("ŷ", bce, "ŷ"), ("y", bce, "y"), (bce, "ℓ", ""),
        ("ℓ", mean, ""), (mean, "L", ""),
    ])


def test_forward_labels_show_names_shapes_dtypes_values_and_styles(seed000):
    dot = parse_dot(tg.viz.to_dot(seed000.loss, model=seed000.model))
    assert dot.label(dot.find("0.weight (W(1))")) == "0.weight (W(1))\n1×2 float64\n[[0.5, 1]]"
    assert dot.label(dot.find("A(1)")) == "A(1)\n1×2 float64\n[[0.562, 0.622]]"
    assert dot.label(dot.find("L")).startswith("L\nscalar float64\n1.08")
    fills = {key: dot.nodes[dot.find(key)]["fillcolor"] for key in ("x", "0.weight (W(1))", "Z(1)", "L")}
    assert len(set(fills.values())) == 4, "input, parameter, intermediate and loss are styled apart"
    hidden = parse_dot(tg.viz.to_dot(seed000.loss, model=seed000.model, show_values=False))
    assert hidden.label(hidden.find("A(1)")) == "A(1)\n1×2 float64"


def test_modules_are_clusters_named_after_them(seed000):
    dot = parse_dot(tg.viz.to_dot(seed000.loss, model=seed000.model))
    clusters = {label: {dot.key(n) for n in members} for label, members in dot.clusters.values()}
    assert set(clusters) == {"0: Linear", "1: Sigmoid", "2: Linear", "3: Sigmoid"}
    assert clusters["0: Linear"] == {"0.weight (W(1))", "0.bias (b(1))", "(x·W(1))", "Z(1)",
                                     "MatMul: (x·W(1)) = x · W(1)", "Add: Z(1) = (x·W(1)) + b(1)"}
    assert clusters["3: Sigmoid"] == {"ŷ", "Sigmoid: ŷ = σ(Z(2))"}


def test_backward_graph_reaches_every_parameter_with_rules_and_gradient_values(seed000):
    dot = parse_dot(tg.viz.to_dot(seed000.loss, mode="backward", model=seed000.model))
    reached = {dot.key(n) for n in dot.reachable(dot.find("dL"))}
    assert {"dW(1) (0.weight)", "db(1) (0.bias)", "dW(2) (2.weight)", "db(2) (2.bias)"} <= reached
    assert dot.label(dot.find("dW(1) (0.weight)")) == "dW(1) (0.weight)\n1×2\n[[0.0451, 0.0216]]"
    assert dot.label(dot.find("db(2) (2.bias)")) == "db(2) (2.bias)\n1\n[0.367]"
    labels = [dot.label(n) for n in dot.nodes]
    assert "Sigmoid\ndZ(1) = dA(1) ⊙ A(1) ⊙ (1 − A(1))" in labels
    assert "Sigmoid\ndZ(2) = dŷ ⊙ ŷ ⊙ (1 − ŷ)\n⇒ dZ(2) = (ŷ − y) ⊙ dℓ" in labels, "the seed's collapse"
    assert "MatMul\ndA(1) = d(A(1)·W(2)) · W(2)ᵀ\ndW(2) = A(1)ᵀ · d(A(1)·W(2))" in labels
    assert "MatMul\ndW(1) = xᵀ · d(x·W(1))" in labels, "x needs no gradient, so no dx rule"
    assert not any(key in reached for key in ("dx", "dy")), "inputs without gradient are not drawn"


def test_drawing_leaves_gradients_as_they_were_and_backward_still_works(seed000):
    tg.viz.draw(seed000.loss, mode="backward", model=seed000.model)
    assert all(p.grad is None for p in seed000.model.parameters())
    seed000.loss.backward()
    assert seed000.model[0].weight.grad.data[0, 0] == pytest.approx(0.0451, abs=1e-4)


def test_backward_graph_after_backward_shows_the_leaves_gradients(seed000):
    seed000.loss.backward()
    with pytest.warns(tg.viz.FreedValuesWarning, match="retain_graph=True"):
        dot = parse_dot(tg.viz.to_dot(seed000.loss, mode="backward", model=seed000.model))
    assert dot.label(dot.find("dW(2) (2.weight)")).endswith("[[0.206],\n [0.228]]")
    assert dot.label(dot.find("dZ(1)")) == "dZ(1)\n1×2", "intermediate gradients were freed"


def test_both_draws_the_two_pictures_side_by_side(seed000):
    dot = parse_dot(tg.viz.to_dot(seed000.loss, mode="both", model=seed000.model))
    labels = {label for label, _ in dot.clusters.values()}
    assert {"Feedforward", "Backpropagation"} <= labels
    assert len(dot.nodes) == 22 + 20, "22 forward nodes; 12 gradients and 8 ops backward"


def test_collapse_draws_each_module_as_one_box():
    example = build_example("mlp", "784,128,10")
    dot = parse_dot(tg.viz.to_dot(example.loss, model=example.model, collapse="module"))
    boxes = sorted(dot.label(n).split("\n")[0] for n, a in dot.nodes.items() if a.get("shape") == "box3d")
    assert boxes == ["0: Linear", "1: ReLU", "2: Linear"]
    assert "0.weight 784×128" in dot.label(dot.find("0: Linear"))
    assert not any(dot.key(n).startswith("MatMul") for n in dot.nodes)
    loss_op = "CrossEntropy: L = −log softmax(Z(2))[y] per row, reduced"
    assert keyed_edges(dot) == Counter([("x", "0: Linear", ""), ("0: Linear", "1: ReLU", ""),
                                        ("1: ReLU", "2: Linear", ""), ("2: Linear", loss_op, ""),
                                        ("y", loss_op, "1"), (loss_op, "L", "")])


def test_large_tensors_show_shape_but_no_values():
    example = build_example("mlp", "784,128,10")
    dot = parse_dot(tg.viz.to_dot(example.loss, model=example.model))
    assert dot.label(dot.find("0.weight (W(1))")) == "0.weight (W(1))\n784×128 float32"
    assert dot.label(dot.find("y")) == "y\n4 int64\n[6, 3, 0, 5]"


def test_a_plus_a_draws_two_edges():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    dot = parse_dot(tg.viz.to_dot((a + a).sum()))
    add = next(n for n in dot.nodes if dot.key(n).startswith("Add"))
    into_add = [attrs["label"] for tail, head, attrs in dot.edges if head == add and dot.key(tail) == "a"]
    assert into_add == ["A", "B"]
    backward = parse_dot(tg.viz.to_dot((a + a).sum(), mode="backward"))
    assert sum(1 for _, head, _ in backward.edges if backward.key(head) == "da") == 2


def test_user_defined_functions_draw_with_a_generic_label_or_their_own_rule():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    loss = Square.apply(Cube.apply(x)).sum()
    forward = parse_dot(tg.viz.to_dot(loss))
    assert {"Cube", "Square: ℓ = t1²"} <= {forward.key(n) for n in forward.nodes}
    backward = parse_dot(tg.viz.to_dot(loss, mode="backward"))
    labels = {backward.label(n) for n in backward.nodes}
    assert {"Cube\n(no rule stated)", "Square\ndt1 = dℓ ⊙ 2 t1"} <= labels
    assert backward.label(backward.find("dx")) == "dx\n2\n[6, 192]", "d(x⁶)/dx = 6x⁵"


class LinearSigmoid(Function):
    """A fused op whose name the drawer has never seen, and whose docstring states no rule."""

    @staticmethod
    def forward(ctx, x, w, b):
        out = 1 / (1 + np.exp(-(x @ w + b)))
        ctx.save_for_backward(x, w, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w, out = ctx.saved
        dz = grad * out * (1 - out)
        return dz @ w.T, x.T @ dz, dz.sum(axis=0)


class FusedLayer(nn.Module):
    def __init__(self):
        self.weight = Tensor(np.ones((2, 3)), requires_grad=True)
        self.bias = Tensor(np.zeros(3), requires_grad=True)

    def forward(self, x):
        return LinearSigmoid.apply(x, self.weight, self.bias)


def test_unknown_fused_op_is_clustered_in_its_module_and_named_as_an_activation():
    model = nn.Sequential(FusedLayer(), nn.Linear(3, 1, dtype=np.float64))
    loss = model(Tensor(np.ones((1, 2)), name="x")).sum()
    dot = parse_dot(tg.viz.to_dot(loss, model=model))
    clusters = {label: {dot.key(n) for n in members} for label, members in dot.clusters.values()}
    assert clusters["0: FusedLayer"] == {"LinearSigmoid", "A(1)", "0.weight (W(1))", "0.bias (b(1))"}
    backward = parse_dot(tg.viz.to_dot(loss, mode="backward", model=model))
    assert "LinearSigmoid\n(no rule stated)" in {backward.label(n) for n in backward.nodes}


def test_ten_thousand_op_nodes_export_quickly():
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    y = x
    for i in range(10_000):
        y = y * 1.0001 if i % 2 else y + 0.5
    start = time.perf_counter()
    source = tg.viz.to_dot(y.sum())
    elapsed = time.perf_counter() - start
    dot = parse_dot(source)
    assert sum(1 for a in dot.nodes.values() if a.get("shape") == "ellipse") == 10_001
    assert elapsed < 10, f"exporting 10,001 ops took {elapsed:.1f} s (about 0.6 s expected)"


def test_rendering_without_dot_says_how_to_install_graphviz(seed000, monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(tg.viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        tg.viz.render(seed000.loss, tmp_path / "net.png")


@needs_dot
@pytest.mark.parametrize(("suffix", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_render_writes_each_format(seed000, tmp_path, suffix, magic):
    path = tg.viz.render(seed000.loss, tmp_path / "seed000", format=suffix, model=seed000.model)
    assert path.endswith(f"seed000.{suffix}")
    with open(path, "rb") as picture:
        assert picture.read(5).startswith(magic)


def test_tensor_draw_returns_a_digraph_jupyter_can_show(seed000):
    digraph = seed000.loss.draw(model=seed000.model)
    graphviz = pytest.importorskip("graphviz", reason="the graphviz Python package draws the graphs")
    assert isinstance(digraph, graphviz.Digraph)
    assert hasattr(digraph, "_repr_mimebundle_")
    assert digraph.source == tg.viz.to_dot(seed000.loss, model=seed000.model)


def test_bad_options_are_refused(seed000):
    with pytest.raises(ValueError, match="mode"):
        tg.viz.draw(seed000.loss, mode="sideways")
    with pytest.raises(ValueError, match="collapse"):
        tg.viz.draw(seed000.loss, collapse="layer")
    with pytest.raises(ValueError, match="format"):
        tg.viz.render(seed000.loss, "net.gif")
