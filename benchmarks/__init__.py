"""tinygrad_vn's benchmark suite: tinygrad_vn vs hand-written NumPy, PyTorch, JAX and the BLAS floor, side by side.

Run ``python -m benchmarks`` from the repository root, or ``tinygrad-vn bench`` once installed
(this folder installs as ``tinygrad_vn.benchmarks``). ``--quick`` is the few-second CI version.
"""
