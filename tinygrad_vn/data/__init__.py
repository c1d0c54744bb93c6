"""Data utilities: feature scalers (and, with the MNIST issue, loaders)."""

from .scalers import MinMaxScaler, StandardScaler

__all__ = ["MinMaxScaler", "StandardScaler"]
