"""Tensor.register_hook and Module forward / forward-pre / full backward hooks, as PyTorch's, and under tg.compile."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is needed to compare hooks with torch's")


# ----------------------------------------------------------------------------- tensor hooks


def test_leaf_hook_sees_the_new_gradient_before_it_is_added_to_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_hook(lambda g: seen.append(g.tolist()))
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    assert seen == [[3.0, 3.0], [3.0, 3.0]] and w.grad.tolist() == [6.0, 6.0]
    handle.remove()
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 2


def test_replacements_chain_in_order_and_flow_upstream_as_in_torch():
    torch = _torch()
    values = np.array([0.5, -1.0, 2.0])

    def run(lib, tensor):
        x = tensor(values, requires_grad=True)
        h = (x * x).tanh()
        h.register_hook(lambda g: g * 3)
        h.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: g * 2)
        (h * h).sum().backward()
        return x.grad

    ours = run(tg, lambda v, requires_grad: tg.tensor(v, requires_grad=requires_grad, dtype=np.float64))
    theirs = run(torch, lambda v, requires_grad: torch.tensor(v, requires_grad=requires_grad))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


def test_hook_registered_before_an_in_place_op_sees_the_old_values_gradient_as_in_torch():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    calls = []
    b.register_hook(lambda g: calls.append(("old", g.tolist())))
    c = b * 3
    b.mul_(2)
    b.register_hook(lambda g: calls.append(("new", g.tolist())))
    (b * 5 + c).sum().backward()
    assert calls == [("new", [5.0, 5.0]), ("old", [13.0, 13.0])]


def test_handle_is_a_context_manager():
    w = tg.tensor([1.0], requires_grad=True)
    with w.register_hook(lambda g: g * 0):
        (w * 2).sum().backward()
    (w * 2).sum().backward()
    assert w.grad.tolist() == [2.0]


def test_bad_hooks_are_refused_clearly():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="needs a function"):
        tg.tensor([1.0], requires_grad=True).register_hook(3)
    cases = [(lambda g: tg.ones(3), RuntimeError, "shape from"), (lambda g: g.double(), RuntimeError, "dtype"),
             (lambda g: 3, TypeError, "returned a int"), (lambda g: g.mul_(2), RuntimeError, "read-only")]
    for hook, error, message in cases:
        w = tg.tensor([1.0, 2.0], requires_grad=True)
        w.register_hook(hook)
        with pytest.raises(error, match=message):
            (w * 2).sum().backward()


def test_a_hook_cannot_change_a_gradient_shared_with_another_tensor():
    a, b = tg.tensor([1.0], requires_grad=True), tg.tensor([1.0], requires_grad=True)
    a.register_hook(lambda g: g * 10)
    (a + b).sum().backward()  # Add hands one array to both inputs
    assert a.grad.tolist() == [10.0] and b.grad.tolist() == [1.0]


# ----------------------------------------------------------------------------- module hooks


def test_forward_pre_hook_and_forward_hook_replace_and_are_removable():
    layer = nn.Identity()
    pre = layer.register_forward_pre_hook(lambda m, args: args[0] * 2)  # a single value becomes the only argument
    post = layer.register_forward_hook(lambda m, args, out: out + 1)
    assert layer(tg.tensor([1.0])).tolist() == [3.0]
    pre.remove()
    assert layer(tg.tensor([1.0])).tolist() == [2.0]
    post.remove()
    assert layer(tg.tensor([1.0])).tolist() == [1.0] and layer._module_hooks is None


def test_forward_hook_gets_the_args_after_pre_hooks():
    layer = nn.Identity()
    seen = []
    layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    layer.register_forward_hook(lambda m, args, out: seen.append((m, args[0].tolist(), out.tolist())))
    layer(tg.tensor([1.0]))
    assert seen == [(layer, [2.0], [2.0])]


class _Two(nn.Module):
    def forward(self, a, b, scale):
        return a * b * scale, a + b


def test_full_backward_hook_matches_torch_on_a_linear_layer():
    torch = _torch()
    rng = np.random.default_rng(1)
    x_values, seed = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer = nn.Linear(3, 2, dtype=np.float64)
    reference = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(layer.weight.data.T))
        reference.bias.copy_(torch.tensor(layer.bias.data))
    ours, theirs = [], []
    layer.register_full_backward_hook(lambda m, gi, go: ours.append((gi[0].data.copy(), go[0].data.copy())))
    reference.register_full_backward_hook(lambda m, gi, go: theirs.append((gi[0].numpy(), go[0].numpy())))
    x = tg.tensor(x_values, requires_grad=True)
    (layer(x) * tg.tensor(seed)).sum().backward()
    tx = torch.tensor(x_values, requires_grad=True)
    (reference(tx) * torch.tensor(seed)).sum().backward()
    assert len(ours) == len(theirs) == 1
    for mine, reference_grad in zip(ours[0], theirs[0], strict=True):
        np.testing.assert_allclose(mine, reference_grad, rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_full_backward_hook_with_several_inputs_and_outputs_replaces_grad_input():
    module = _Two()
    calls = []

    def hook(m, grad_input, grad_output):
        calls.append(([None if g is None else g.tolist() for g in grad_input],
                      [None if g is None else g.tolist() for g in grad_output]))
        return grad_input[0] * 0, grad_input[1], None

    module.register_full_backward_hook(hook)
    a, b, c = (tg.tensor([1.0, 2.0], requires_grad=True), tg.tensor([3.0, 4.0], requires_grad=True),
               tg.tensor([1.0, 1.0], requires_grad=True))
    product, _ = module(a, b * c, 2.0)
    (product.sum() + a.sum() + b.sum()).backward()  # the sum is unused; a and b are also used outside the module
    assert calls == [([[6.0, 8.0], [2.0, 4.0], None], [[1.0, 1.0], None])]
    assert a.grad.tolist() == [1.0, 1.0]  # the module's share replaced by zeros, the outside use kept
    assert c.grad.tolist() == [6.0, 16.0] and b.grad.tolist() == [3.0, 5.0]


def test_full_backward_hook_fires_with_none_inputs_when_no_input_requires_grad():
    layer = nn.Linear(3, 2)
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go[0].shape)))
    layer(tg.ones(4, 3)).sum().backward()
    assert calls == [((None,), (4, 2))] and layer.weight.grad is not None


def test_full_backward_hook_wrong_returns_are_refused():
    module = _Two()
    module.register_full_backward_hook(lambda m, gi, go: (gi[0],))
    a = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"returned 1 gradients.*3 positional arguments"):
        module(a, a, 1.0)[0].sum().backward()


def test_hooked_layers_in_a_sequential_are_not_fused_and_fuse_again_once_removed():
    tg.manual_seed(0)
    model = nn.mlp([3, 4, 2])
    x = tg.randn(5, 3)
    assert issubclass(model(x)._ctx.fn, tg.ops.FusedLinear)
    order = []
    handles = [model[0].register_forward_hook(lambda m, a, o: order.append("linear")),
               model[1].register_forward_hook(lambda m, a, o: order.append("relu")),
               model[2].register_full_backward_hook(lambda m, gi, go: order.append("backward"))]
    out = model(x)
    out.sum().backward()
    assert order == ["linear", "relu", "backward"] and out._ctx.name == "_HookTap"
    assert not any(issubclass(t._ctx.fn, tg.ops.FusedLinear) for t in _graph(out) if t._ctx is not None)
    for handle in handles:
        handle.remove()
    assert issubclass(model(x)._ctx.fn, tg.ops.FusedLinear)


def _graph(root):
    return tg.autograd.topological_order(root)


def test_an_activation_with_a_hook_is_not_absorbed_by_the_linear_before_it():
    tg.manual_seed(0)
    model = nn.mlp([3, 4, 2])
    seen = []
    model[1].register_forward_pre_hook(lambda m, args: seen.append(args[0].shape))
    model(tg.randn(5, 3))
    assert seen == [(5, 4)]


def test_graphs_with_hooked_modules_draw_and_explain():
    tg.manual_seed(0)
    model = nn.mlp([3, 4, 2])
    model[0].register_full_backward_hook(lambda m, gi, go: None)
    loss = F.cross_entropy(model(tg.randn(5, 3).requires_grad_()), np.array([0, 1, 0, 1, 0]))
    assert "_HookTap" in tg.viz.to_dot(loss)
    assert "_HookTap" in tg.explain(loss)
    loss.backward()


# ----------------------------------------------------------------------------- hooks in tg.compile


def _compiled_step(model, opt):
    @tg.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def _data(calls):
    rng = np.random.default_rng(0)
    return [(rng.standard_normal((4, 3)).astype(np.float32), rng.integers(0, 2, 4)) for _ in range(calls)]


def test_compiled_step_replays_observing_forward_hooks_on_every_call():
    tg.manual_seed(0)
    model = nn.mlp([3, 4, 2])
    seen = []
    model[1].register_forward_hook(lambda m, args, out: seen.append(out.data.copy()))
    model[0].register_forward_pre_hook(lambda m, args: seen.append(args[0].data.copy()))
    step = _compiled_step(model, optim.SGD(model.parameters(), lr=0.1))
    batches = _data(3)
    for x, y in batches:
        step(x, y)
    assert len(seen) == 6
    for k, (x, _) in enumerate(batches):
        np.testing.assert_array_equal(seen[2 * k], x)
    assert not np.array_equal(seen[1], seen[3]) and np.all(seen[5] >= 0)


@pytest.mark.parametrize("register, message", [
    (lambda m: m[0].register_forward_hook(lambda mod, a, o: o * 2), "forward hook of Linear returned a new output"),
    (lambda m: m[0].register_forward_pre_hook(lambda mod, a: a), "forward pre-hook of Linear returned new arguments"),
    (lambda m: m[0].register_full_backward_hook(lambda mod, gi, go: None), "Linear has a full backward hook"),
    (lambda m: m[0].weight.register_hook(lambda g: g), r"gradient hook \(.*<lambda>\) on a tensor of shape \(3, 4\)"),
])
def test_compiled_step_refuses_hooks_it_cannot_replay(register, message):
    tg.manual_seed(0)
    model = nn.mlp([3, 4, 2])
    register(model)
    step = _compiled_step(model, optim.SGD(model.parameters(), lr=0.1))
    x, y = _data(1)[0]
    with pytest.raises(RuntimeError, match="tg.compile: .*" + message):
        step(x, y)
