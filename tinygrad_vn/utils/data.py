"""``torch.utils.data``'s names, from :mod:`tinygrad_vn.data` (the same objects, under PyTorch's path)."""

from ..data.dataset import Dataset, Subset, TensorDataset, random_split
from ..data.loader import DataLoader, default_collate, default_convert

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "default_convert", "random_split"]
