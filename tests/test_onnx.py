"""tg.onnx.export: tinygrad_vn -> ONNX -> ONNX Runtime gives tinygrad_vn's numbers to 1e-6, at any batch size."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import nn, seeds
from tinygrad_vn.autograd import Function

onnx = pytest.importorskip("onnx", reason="the onnx package is not installed (pip install 'tinygrad-vn[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'tinygrad-vn[onnx]')")

TOLERANCE = {"rtol": 1e-6, "atol": 1e-6}


def session(proto):
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def assert_runtime_matches(model, example, *batches, opset=tg.onnx.DEFAULT_OPSET):
    """Export on ``example``; ONNX Runtime's output on each batch (other sizes too) equals the model's."""
    proto = tg.onnx.export(model, example, None, opset=opset)
    runtime = session(proto)
    was_training = model.training
    model.eval()
    for batch in (example, *batches):
        with tg.no_grad():
            expected = model(tg.Tensor(batch)).data
        (got,) = runtime.run(None, {"input": batch})
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, **TOLERANCE)
    model.train(was_training)
    return proto


def test_seed000_network_float64_matches_at_every_batch_size():
    x, _ = seeds.seed000_records()
    assert_runtime_matches(seeds.seed000_network(), x, x[:1], np.repeat(x, 5, axis=0))


def test_seed004_trained_network_matches():
    tg.manual_seed(0)
    model = seeds.seed004_network()
    x, _ = seeds.seed004_dataset(50)
    x = x.astype(np.float32)
    assert_runtime_matches(model, x[:8], x, x[:1])


@pytest.mark.parametrize("activation", sorted(nn.ACTIVATIONS))
@pytest.mark.parametrize("seed", [0, 1])
def test_random_mlp_of_every_activation(activation, seed):
    rng = np.random.default_rng(seed)
    tg.manual_seed(seed)
    sizes = [int(n) for n in rng.integers(1, 12, size=int(rng.integers(2, 5)))]
    model = nn.mlp(sizes, activation=activation, output_activation=activation)
    x = (rng.normal(size=(7, sizes[0])) * 3).astype(np.float32)
    assert_runtime_matches(model, x, x[:2], np.concatenate([x, -x]))


@pytest.mark.parametrize("layer", [nn.LeakyReLU(0.2), nn.ELU(0.5), nn.GELU("tanh"), nn.Softplus(2.0, 3.0),
                                   nn.CELU(0.7), nn.Hardtanh(-0.5, 2.0), nn.PReLU(6, init=0.1),
                                   nn.Softmax(dim=0), nn.LogSoftmax(dim=1)], ids=repr)
def test_activation_settings_are_kept(layer):
    tg.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 6), layer, nn.Linear(6, 2))
    x = (np.random.default_rng(3).normal(size=(5, 4)) * 4).astype(np.float32)
    assert_runtime_matches(model, x, x[:3])


def trained_normalisation_model():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.4),
                          nn.LayerNorm(6), nn.Linear(6, 3), nn.LogSoftmax(dim=1))
    model.train()
    for _ in range(3):  # running statistics away from 0 and 1
        model(tg.randn(16, 3, 4) * 2 + 1)
    return model


@pytest.mark.parametrize("opset", [13, 17, 18])
def test_flatten_batch_norm_dropout_layer_norm_in_eval_form(opset):
    model = trained_normalisation_model()
    x = np.random.default_rng(1).normal(size=(5, 3, 4)).astype(np.float32)
    proto = assert_runtime_matches(model, x, x[:1], opset=opset)
    kinds = {node.op_type for node in proto.graph.node}
    assert "BatchNormalization" in kinds and "Dropout" not in kinds
    assert ("LayerNormalization" in kinds) == (opset >= 17)


def test_export_leaves_the_training_mode_as_it_was_and_exports_the_eval_form():
    model = trained_normalisation_model()
    x = np.random.default_rng(2).normal(size=(4, 3, 4)).astype(np.float32)
    (got,) = session(tg.onnx.export(model, x, None)).run(None, {"input": x})
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    np.testing.assert_allclose(got, model(tg.Tensor(x)).data, **TOLERANCE)


def test_batch_norm_without_running_statistics_uses_the_batch():
    tg.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, track_running_stats=False, affine=False))
    x = np.random.default_rng(4).normal(size=(6, 3)).astype(np.float32)
    assert_runtime_matches(model, x, x[:2] * 3)


def test_embedding_gathers_rows_of_integer_inputs():
    tg.manual_seed(2)
    model = nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Flatten(), nn.Linear(12, 2), nn.Tanh())
    indices = np.array([[1, 2, 0], [9, 9, 3]], dtype=np.int64)
    assert_runtime_matches(model, indices, indices[:1], np.arange(30).reshape(10, 3) % 10)


def test_maxout_and_unfused_layers_export_through_the_generic_ops():
    tg.manual_seed(5)
    model = nn.Sequential(nn.Maxout(4, 3, pieces=3), nn.Swish(), nn.Linear(3, 2), nn.SELU())
    model.fuse = False
    x = np.random.default_rng(5).normal(size=(6, 4)).astype(np.float32)
    assert_runtime_matches(model, x, x[:1])


def test_the_batch_axis_is_symbolic_and_weights_are_named_initializers():
    model = nn.mlp([3, 5, 2])
    proto = tg.onnx.export(model, np.zeros((4, 3), np.float32), None)
    for value in (proto.graph.input[0], proto.graph.output[0]):
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= {i.name for i in proto.graph.initializer}
    weight = next(i for i in proto.graph.initializer if i.name == "0.weight")
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(weight), model[0].weight.data)


class Cube(Function):
    """B = A³; dA = 3 A² dB."""

    @staticmethod
    def forward(ctx, a):
        return a ** 3

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError


class CubeLayer(nn.Module):
    def forward(self, x):
        return Cube.apply(x)


def test_an_op_without_onnx_form_is_refused_by_name(tmp_path):
    path = tmp_path / "model.onnx"
    with pytest.raises(tg.onnx.ExportError, match=r"the op Cube \(.*Cube\) has no ONNX form"):
        tg.onnx.export(nn.Sequential(nn.Linear(2, 2), CubeLayer()), np.zeros((1, 2), np.float32), path)
    assert not path.exists() and not list(tmp_path.iterdir())


def test_bad_arguments_are_refused():
    model = nn.mlp([2, 2])
    with pytest.raises(ValueError, match="opset must be an integer from 13"):
        tg.onnx.export(model, np.zeros((1, 2), np.float32), None, opset=12)
    with pytest.raises(TypeError, match=r"must be an nn\.Module"):
        tg.onnx.export(lambda x: x, np.zeros((1, 2), np.float32), None)
    with pytest.raises(ValueError, match="batch axis"):
        tg.onnx.export(model, np.array(1.0, np.float32), None)
    with pytest.raises(TypeError, match="Tensor or a NumPy array"):
        tg.onnx.export(model, [[1.0, 2.0]], None)


def test_the_file_is_written_atomically_and_checks(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    model = nn.mlp([3, 4, 2], activation="gelu")
    tg.onnx.export(model, np.ones((2, 3), np.float32), path, metadata={"input_mean": 0.5, "note": "x / 255"})
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert {p.key: p.value for p in loaded.metadata_props} == {"input_mean": "0.5", "note": "x / 255"}
    with pytest.raises(tg.onnx.ExportError):
        tg.onnx.export(nn.Sequential(model, CubeLayer()), np.ones((2, 3), np.float32), path)
    assert onnx.load(str(path)) == loaded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
