"""PyTorch's ``torch.utils`` spelling: ``tinygrad_vn.utils.data`` is ``torch.utils.data``'s counterpart.

It exists so that ``from torch.utils.data import DataLoader`` ports by renaming only the top package.
"""

from . import data

__all__ = ["data"]
