"""What the tutorial ports share: telling the two libraries apart, and moving weights between their models.

Each ``test_*.py`` here is one of PyTorch's own tutorials written again with ``import tinygrad_vn as torch``
in place of ``import torch``. The tutorial's code sits in a function that takes the library as its first
argument, named ``torch``, so that the very same lines run once with tinygrad_vn and once with PyTorch; the
PyTorch run starts from the tinygrad_vn run's initial weights (a ``start`` argument, the only lines the
tutorials do not have) and the test compares the two. The one other difference is where a tutorial reads
``nn.Linear``'s weight by index: tinygrad_vn's is (in, out), PyTorch's (out, in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import tinygrad_vn as tg


def is_tinygrad(library: Any) -> bool:
    """Whether ``library`` (the module a tutorial function was given as ``torch``) is tinygrad_vn."""
    return library is tg


def _linear_weights(model: Any) -> set[str]:
    """The state names of the ``nn.Linear`` weights in ``model`` (a module of either library)."""
    if isinstance(model, tg.nn.Module):
        linear: type = tg.nn.Linear
    else:
        import torch

        linear = torch.nn.Linear
    return {f"{name}.weight" if name else "weight" for name, module in model.named_modules()
            if isinstance(module, linear)}


def state_of(model: Any) -> dict[str, np.ndarray]:
    """A copy of ``model``'s state as NumPy arrays in tinygrad_vn's layout (Linear weights (in, out))."""
    linear = _linear_weights(model)
    if isinstance(model, tg.nn.Module):
        return {name: np.array(array) for name, array in model.state_dict().items()}
    return {name: np.array(t.detach().numpy().T if name in linear else t.detach().numpy())
            for name, t in model.state_dict().items()}


def load_state(model: Any, state: Mapping[str, np.ndarray]) -> None:
    """Load ``state`` (tinygrad_vn's layout, as :func:`state_of` gives) into ``model`` of either library."""
    if isinstance(model, tg.nn.Module):
        model.load_state_dict(dict(state))
        return
    import torch

    linear = _linear_weights(model)
    model.load_state_dict({name: torch.from_numpy(np.ascontiguousarray(array.T if name in linear else array))
                           for name, array in state.items()})
