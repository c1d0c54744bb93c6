"""Whole-step kernels: a small prepared step written as ONE Numba function (forward, backward, update).

A prepared plan (:mod:`.plan`) calls one kernel per op from Python; for a net as small as seed 000's
1-2-1, the Python between those calls is nearly all of the step. When every op of the step has a
*loop template* (``loop_forward``/``loop_backward`` beside its rule in ``ops``, ``_loop_group`` beside
each optimizer's update in ``optim``), :func:`tinygrad_vn.plan.build` asks each for its lines and
:class:`LoopBuilder` composes them into the source of one ``@njit`` function. The templates call the
very loops the eager kernels run (``kernels/_loops.py``), so no rule is written twice and the numbers
are the eager ones bit for bit.

The function reads few arrays (Numba's dispatch cost grows with each one): the step's input arrays,
the flat parameter and gradient arrays, the optimizer's flat state, and one flat scratch array that
holds every intermediate; each named array is a view into one of those, at an offset written into
the source. Scalars that may change between calls (a learning rate) are arguments, read by the plan
from the optimizer at each call. The source goes through ``kernels.whole_step`` (cached on disk by
its hash, so a later process loads the compiled code instead of compiling it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .kernels.prepared import ACTIVATION_CODES

__all__ = ["ACTIVATION_CODES", "LoopBuilder", "fused_steps_enabled"]


def fused_steps_enabled(backend_name: str) -> bool:
    """Whether steps may run as whole-step kernels: the Numba backend with its JIT on.

    >>> fused_steps_enabled("numpy")
    False
    """
    if backend_name != "numba":
        return False
    from numba.core import config

    return not config.DISABLE_JIT


class NoLoopFormError(Exception):
    """Some op, array or setting of the step has no loop form: the plan's own calls are used."""


class LoopBuilder:
    """Collects the lines of a whole-step kernel and the arrays they name.

    ``plan`` is the :class:`~.plan.PlanBuilder` whose names (inputs, parameter and gradient views, the
    optimizer's arrays) the templates use; :meth:`buffer` makes new ones inside the scratch array.
    Templates write lines with :meth:`line`, naming arrays through :meth:`array` (their shape) or
    :meth:`flat` (one axis), and scalars read at each call through :meth:`scalar`.
    """

    def __init__(self, plan: Any, flats: dict[str, np.ndarray]) -> None:
        self.plan = plan
        self._flats = flats  # kernel argument name -> flat array whose views the plan names
        self._arguments: list[str] = []  # names the planned function passes: inputs and prologue values
        self._scalars: list[str] = []  # Python expressions, one argument each
        self._views: dict[str, str] = {}  # plan name -> kernel name
        self._definitions: list[str] = []
        self._scratch: list[tuple[str, tuple[int, ...], np.ndarray | None]] = []  # name, shape, initial values
        self._scratch_size = 0
        self._layout: list[int] = []  # the integers the kernel reads from its ``_L`` argument
        self.lines: list[str] = []
        self.scratch: np.ndarray | None = None
        self.layout: np.ndarray | None = None

    def integer(self, value: int) -> str:
        """Code for the integer ``value`` (a size, an offset, a count), read from the layout array, so that
        the kernel's source, and its compiled code, is the same for every shape of the step."""
        self._layout.append(int(value))
        return f"_L[{len(self._layout) - 1}]"

    def _view(self, flat: str, offset: int, shape: tuple[int, ...]) -> str:
        size = int(np.prod(shape, dtype=np.int64))
        code = f"{flat}[{self.integer(offset)}:{self.integer(offset + size)}]"
        if len(shape) > 1:
            code += f".reshape(({', '.join(self.integer(n) for n in shape)}))"
        return code

    # -- arrays -----------------------------------------------------------------------------------
    def buffer(self, shape: tuple[int, ...], dtype: np.dtype, initial: np.ndarray | None = None) -> str:
        """A new array of the step inside the scratch array (filled with ``initial`` once, else zeros)."""
        if np.dtype(dtype) != self.plan.dtype_of_step:
            raise NoLoopFormError("an intermediate of another dtype than the parameters")
        name = f"scr{len(self._scratch)}"
        self._scratch.append((name, tuple(shape), initial))
        self._scratch_size += int(np.prod(shape, dtype=np.int64))
        self.plan.describe(name, np.empty(shape, dtype))
        return name

    def array(self, name: str) -> str:
        """The kernel's name for the plan's array ``name``, with its shape (0-d arrays: one element, 1-D)."""
        known = self._views.get(name)
        if known is not None:
            return known
        if any(name == entry[0] for entry in self._scratch):
            self._views[name] = name
            return name
        value = self.plan.bound.get(name)
        if isinstance(value, np.ndarray):
            for flat_name, flat in self._flats.items():
                offset = _offset_in(value, flat)
                if offset is not None:
                    self._definitions.append(f"    {name} = {self._view(flat_name, offset, value.shape)}")
                    self._views[name] = name
                    return name
            if value.ndim == 1 and value.base is None and value.dtype == self.plan.dtype_of_step:
                self._flats[name] = value  # an optimizer's flat state: one more argument
                self._views[name] = name
                return name
            raise NoLoopFormError("an array that is none of the step's flat arrays")
        if name in self.plan.argument_names():  # an input array or a value the prologue computed
            if self.plan.known(name) and not self.plan.contiguous(name):
                raise NoLoopFormError("an input that is not C-ordered")
            self._arguments.append(name)
            self.plan.guard(f"{name}.flags.aligned")  # the kernel's compiled code is called for aligned arrays
            self._views[name] = name
            return name
        raise NoLoopFormError(f"array {name!r} is computed by Python inside the step")

    def flat(self, name: str) -> str:
        """The kernel's name for array ``name`` as one axis (a view: every array here is C-ordered)."""
        kernel_name = self.array(name)
        shape = self.plan.shape(name)
        if len(shape) <= 1:
            return kernel_name
        flat_name = f"{kernel_name}_flat"
        if flat_name not in self._views.values():
            self._definitions.append(f"    {flat_name} = {kernel_name}.reshape({self.integer(int(np.prod(shape)))})")
            self._views[f"{name} flat"] = flat_name
        return flat_name

    def scalar(self, expression: str) -> str:
        """A kernel argument holding ``float(expression)``, evaluated by the plan at each call."""
        name = f"x{len(self._scalars)}"
        self._scalars.append(f"float({expression})")
        return name

    def same_dtype(self, *names: str) -> bool:
        """Whether arrays ``names`` are all of the step's dtype (the parameters'), as the kernel's loops need."""
        return all(self.plan.dtype(name) == self.plan.dtype_of_step for name in names)

    def line(self, code: str) -> None:
        """One statement of the kernel, in order."""
        self.lines.append(f"    {code}")

    # -- the function -----------------------------------------------------------------------------
    def finish(self) -> tuple[str, str]:
        """The kernel's source and the code that calls it; allocates the scratch array (``self.scratch``)."""
        dtype = self.plan.dtype_of_step
        scratch = np.zeros(max(self._scratch_size, 1), dtype)
        offset, scratch_lines = 0, []
        for name, shape, initial in self._scratch:
            size = int(np.prod(shape, dtype=np.int64))
            if initial is not None:
                scratch[offset:offset + size] = np.asarray(initial).ravel()
            view = scratch[offset:offset + size].reshape(shape)
            self.plan.bound[name] = view  # the planned function reads results (the loss) from these views
            scratch_lines.append(f"    {name} = {self._view('_S', offset, shape)}")
            offset += size
        self.scratch = scratch
        self.layout = np.array(self._layout, np.int64)
        self.plan.bound["_S"] = scratch
        self.plan.bound["_L"] = self.layout
        flats = list(self._flats)
        parameters = [*self._arguments, *flats, "_S", "_L", *[f"x{i}" for i in range(len(self._scalars))]]
        source = "\n".join([
            f"# whole-step kernel, {dtype.name}, generated by tinygrad_vn.fused (shapes and offsets come in _L)",
            "from numba import njit",
            "",
            "from tinygrad_vn.kernels import _loops",
            "",
            "",
            '@njit(cache=True, nogil=True, error_model="numpy")',
            f"def whole_step({', '.join(parameters)}):",
            *scratch_lines, *self._definitions, *self.lines, ""])
        call = ", ".join([*self._arguments, *flats, "_S", "_L", *self._scalars])
        return source, call


def _offset_in(view: np.ndarray, flat: np.ndarray) -> int | None:
    """The element offset of C-ordered ``view`` inside 1-D ``flat``, or None when it is not a run of it."""
    if view.dtype != flat.dtype or not view.flags.c_contiguous:
        return None
    start = view.__array_interface__["data"][0] - flat.__array_interface__["data"][0]
    if start < 0 or start % flat.itemsize or start // flat.itemsize + view.size > flat.size:
        return None
    return start // flat.itemsize
