"""Data utilities: feature scalers, the MNIST/Fashion-MNIST loader and mini-batch iteration."""

from .loader import DataLoader
from .mnist import DatasetNotFoundError, IDXFormatError, load_mnist, read_idx
from .scalers import MinMaxScaler, StandardScaler

__all__ = [
    "DataLoader", "DatasetNotFoundError", "IDXFormatError", "MinMaxScaler", "StandardScaler", "load_mnist",
    "read_idx",
]
