"""Data utilities: datasets and loaders as ``torch.utils.data``'s, feature scalers, the MNIST/Fashion-MNIST files."""

from .dataset import Dataset, Subset, TensorDataset, random_split
from .loader import ArrayPairLoader, DataLoader, default_collate, default_convert
from .mnist import DatasetNotFoundError, IDXFormatError, load_mnist, read_idx
from .scalers import MinMaxScaler, StandardScaler

__all__ = [
    "ArrayPairLoader", "DataLoader", "Dataset", "DatasetNotFoundError", "IDXFormatError", "MinMaxScaler",
    "StandardScaler", "Subset", "TensorDataset", "default_collate", "default_convert", "load_mnist", "random_split",
    "read_idx",
]
