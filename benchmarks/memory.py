"""Memory held by kept losses: ``python -m benchmarks.memory [--steps N]``.

A common way to plot a run is to keep every step's loss tensor in a list. In PyTorch that pins
nothing after ``backward()``; this measures whether tinygrad_vn does the same. Each case runs in a
fresh process: N eager training steps of a 784-128-10 MLP at batch 256 (a new input tensor each step,
as a data loader gives), once keeping every loss and once not, and reports the growth of the
process's resident memory (RSS) from the first step to the last. The verdict the issue asks for:
keeping the losses grows RSS by at most 10% more than not keeping them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

STEPS_TINYGRAD = """
import json, resource, sys
import numpy as np
import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

steps, keep = int(sys.argv[1]), sys.argv[2] == "keep"
tg.manual_seed(0)
model = nn.mlp([784, 128, 10], "relu")
opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
rng = np.random.default_rng(0)
y = rng.integers(0, 10, 256)
kept, start = [], None
for step in range(steps):
    x = tg.Tensor(rng.random((256, 784), dtype=np.float32))
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    if keep:
        kept.append(loss)
    if start is None:
        start = rss_mib()
print(json.dumps({"start": start, "end": rss_mib()}))
"""

STEPS_TORCH = """
import json, resource, sys
import numpy as np
import torch

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

steps, keep = int(sys.argv[1]), sys.argv[2] == "keep"
torch.manual_seed(0)
torch.set_num_threads(1)
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
rng = np.random.default_rng(0)
y = torch.from_numpy(rng.integers(0, 10, 256))
kept, start = [], None
for step in range(steps):
    x = torch.from_numpy(rng.random((256, 784), dtype=np.float32))
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    if keep:
        kept.append(loss)
    if start is None:
        start = rss_mib()
print(json.dumps({"start": start, "end": rss_mib()}))
"""


def run(script: str, steps: int, keep: bool) -> dict[str, float]:
    """RSS (MiB) after the first and the last step of one fresh process."""
    done = subprocess.run([sys.executable, "-c", script, str(steps), "keep" if keep else "drop"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Print each framework's RSS growth with and without kept losses, and the verdict."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="training steps per process (default 1000)")
    args = parser.parse_args(argv)
    frameworks = [("tinygrad_vn", STEPS_TINYGRAD)]
    try:
        import torch  # noqa: F401

        frameworks.append(("PyTorch", STEPS_TORCH))
    except ImportError:
        print("PyTorch is not installed: only tinygrad_vn is measured")
    for name, script in frameworks:
        dropped, kept = run(script, args.steps, keep=False), run(script, args.steps, keep=True)
        grow_dropped = dropped["end"] - dropped["start"]
        grow_kept = kept["end"] - kept["start"]
        print(f"{name}: {args.steps} steps of 784-128-10 batch 256; RSS {kept['start']:.0f} -> {kept['end']:.0f} MiB "
              f"keeping every loss (+{grow_kept:.1f}), {dropped['start']:.0f} -> {dropped['end']:.0f} MiB "
              f"not keeping them (+{grow_dropped:.1f})")
        if name == "tinygrad_vn":
            allowed = 0.10 * dropped["end"]
            verdict = "met" if kept["end"] - dropped["end"] <= allowed else "NOT met"
            print(f"  kept losses add {kept['end'] - dropped['end']:.1f} MiB to the final RSS "
                  f"(target: at most 10% of {dropped['end']:.0f} MiB = {allowed:.1f}): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
