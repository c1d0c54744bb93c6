"""``tinygrad-vn export``: a model trained by ``train`` keeps its test accuracy in ONNX Runtime and PyTorch."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn.train import TrainConfig, evaluate, fit, input_scaling, load_dataset, load_model

CONFIG = TrainConfig(layers=(784, 24, 10), batch_size=64, optimizer="sgd", lr=0.05, seed=2, schedule="none",
                     epochs=2, batchnorm=True)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinygrad_vn", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def trained(synthetic_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    fit(dataclasses.replace(CONFIG), out=out, data_root=str(synthetic_data), progress=False, log=lambda line: None)
    return out / "model.npz", synthetic_data


def test_onnx_runtime_keeps_the_test_accuracy_digit_for_digit(trained):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'tinygrad-vn[onnx]')")
    pytest.importorskip("onnx", reason="the onnx package is not installed")
    model_path, data = trained
    done = cli("export", "--model", str(model_path), "--format", "onnx")
    assert done.returncode == 0, done.stderr
    onnx_path = model_path.with_suffix(".onnx")
    model, metadata = load_model(model_path)
    _, _, x_test, y_test = load_dataset("mnist", str(data))
    x = input_scaling(metadata)(x_test)
    ours = evaluate(model, x, y_test)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    logits = session.run(None, {"input": x})[0]
    with tg.no_grad():
        np.testing.assert_allclose(logits, model(tg.Tensor(x)).data, rtol=1e-6, atol=1e-6)
    accuracy = float((logits.argmax(axis=1) == y_test).mean())
    assert f"{accuracy:.2%}" == f"{ours.accuracy:.2%}" and accuracy == ours.accuracy
    props = session.get_modelmeta().custom_metadata_map
    assert float(props["input_std"]) == metadata["input_std"]


def test_torch_state_dict_loads_with_weights_only_and_gives_the_same_logits(trained, tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    model_path, _ = trained
    out = tmp_path / "exported.pt"
    done = cli("export", "--model", str(model_path), "--format", "torch", "--out", str(out))
    assert done.returncode == 0, done.stderr
    model, _ = load_model(model_path)
    rebuilt = tg.interop.to_torch(model)
    rebuilt.load_state_dict(torch.load(out, weights_only=True))
    x = np.random.default_rng(0).normal(size=(5, 784)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(rebuilt.eval()(torch.from_numpy(x)).numpy(), model(tg.Tensor(x)).data,
                                   rtol=1e-6, atol=1e-6)


def test_safetensors_export_is_a_model_file_that_eval_reads(trained, tmp_path):
    model_path, data = trained
    out = tmp_path / "model.safetensors"
    done = cli("export", "--model", str(model_path), "--format", "safetensors", "--out", str(out))
    assert done.returncode == 0, done.stderr
    model, metadata = load_model(out)
    original, original_metadata = load_model(model_path)
    assert metadata == original_metadata
    for name, array in original.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name], array)
    evaluated = cli("eval", "--model", str(out), "--data", str(data))
    assert evaluated.returncode == 0 and "accuracy" in evaluated.stdout


@pytest.mark.parametrize(("args", "text"), [
    (["--model", "{missing}", "--format", "onnx"], "No such file"),
    (["--model", "{model}", "--format", "onnx", "--out", "{folder}"], "is a folder"),
    (["--model", "{model}", "--format", "onnx", "--out", "{model}"], "is the model file itself"),
    (["--model", "{model}", "--format", "safetensors", "--out", "{folder}/x.bin"], "must end in .safetensors"),
    (["--model", "{model}", "--format", "onnx", "--opset", "5"], "opset must be an integer from 13"),
    (["--model", "{model}", "--format", "torch", "--opset", "17"], "--opset applies to --format onnx"),
    (["--model", "{garbage}", "--format", "torch"], "not a readable checkpoint"),
])
def test_every_bad_input_is_one_error_line(trained, tmp_path, args, text):
    model_path, _ = trained
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a model")
    fields = {"missing": str(tmp_path / "nope.npz"), "model": str(model_path), "folder": str(tmp_path),
              "garbage": str(garbage)}
    done = cli("export", *[a.format(**fields) for a in args])
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("tinygrad-vn export: error: ")]
    assert len(lines) == 1 and text in lines[0], done.stderr


def test_a_real_mnist_run_keeps_its_test_accuracy_in_onnx_runtime(mnist, tmp_path):
    """``tinygrad-vn train`` on real MNIST (a slice, 2 epochs), exported; ONNX Runtime on the full test set."""
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'tinygrad-vn[onnx]')")
    pytest.importorskip("onnx", reason="the onnx package is not installed")
    out = tmp_path / "run"
    done = cli("train", "--epochs", "2", "--limit-train", "3000", "--batch-size", "64", "--seed", "1",
               "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert cli("export", "--model", str(out / "model.npz"), "--format", "onnx").returncode == 0
    model, metadata = load_model(out / "model.npz")
    _, _, x_test, y_test = load_dataset("mnist")
    x = input_scaling(metadata)(x_test)
    ours = evaluate(model, x, y_test)
    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    logits = session.run(None, {"input": x})[0]
    assert len(y_test) == 10_000 and ours.accuracy > 0.85
    assert float((logits.argmax(axis=1) == y_test).mean()) == ours.accuracy
