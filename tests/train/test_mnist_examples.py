"""examples/mnist_mlp.py runs as written, learns, and saves weights that load back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import tinygrad_vn as tg
from tinygrad_vn import nn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_mnist_mlp_example_trains_and_saves(mnist, tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    done = subprocess.run([sys.executable, str(EXAMPLES / "mnist_mlp.py")], cwd=tmp_path, capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    accuracies = [float(a) for a in re.findall(r"test accuracy (\d+\.\d+)%", done.stdout)]
    assert len(accuracies) == 3 and accuracies[-1] > 95
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    model.load_state_dict(tg.load(tmp_path / "mnist_mlp.npz"))
    x = mnist[2][:1000].reshape(-1, 784).astype(np.float32) / 255
    with tg.no_grad():
        accuracy = (model(tg.Tensor(x)).argmax(axis=1).numpy() == mnist[3][:1000]).mean()
    assert accuracy > 0.93
