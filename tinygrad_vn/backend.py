"""The seam between gradient rules and kernels.

Ops never call NumPy or Numba directly for the hot paths (matmul, activations, softmax and
cross-entropy); they call ``backend.kernels.NAME(...)``. ``kernels`` is a table that resolves each
name on first use, from the active backend:

- ``numpy``: ``tinygrad_vn.kernels.reference``, plain NumPy;
- ``numba``: ``tinygrad_vn.kernels.jit`` where it defines the kernel, else the reference.

The backend is chosen by ``TINYGRAD_VN_BACKEND`` (default ``numba``) or :func:`set_backend`.
Nothing is imported until a kernel is first needed, so ``import tinygrad_vn`` stays cheap.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

BACKENDS = ("numba", "numpy")


def _module_names(backend: str) -> tuple[str, ...]:
    if backend == "numba":
        return ("tinygrad_vn.kernels.jit", "tinygrad_vn.kernels.reference")
    return ("tinygrad_vn.kernels.reference",)


class KernelTable:
    """Looks kernels up by name in the active backend's modules, caching each after first use."""

    def __init__(self, backend: str) -> None:
        self._backend = backend
        self._modules: list[ModuleType] | None = None

    @property
    def backend(self) -> str:
        """The name of the backend this table serves."""
        return self._backend

    def _load(self) -> list[ModuleType]:
        modules = []
        for name in _module_names(self._backend):
            try:
                modules.append(importlib.import_module(name))
            except ModuleNotFoundError as err:
                if err.name != name:
                    raise
        self._modules = modules
        return modules

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        for module in self._modules if self._modules is not None else self._load():
            kernel = getattr(module, name, None)
            if kernel is not None:
                setattr(self, name, kernel)
                return kernel
        raise AttributeError(f"no kernel named {name!r} in backend {self._backend!r}")


def _checked(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return name


kernels = KernelTable(_checked(os.environ.get("TINYGRAD_VN_BACKEND", "numba").strip().lower() or "numba"))


def set_backend(name: str) -> None:
    """Switch every op to the kernels of backend ``name`` ("numba" or "numpy")."""
    global kernels
    kernels = KernelTable(_checked(name))


def get_backend() -> str:
    """The name of the active backend."""
    return kernels.backend
