"""``tinygrad-vn export``: a model that ``train`` saved, as ONNX, a PyTorch state dict or safetensors."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

FORMATS = {"onnx": ".onnx", "torch": ".pt", "safetensors": ".safetensors"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand."""
    parser = subparsers.add_parser(
        "export", help="write a trained model as ONNX, a PyTorch state dict or safetensors",
        description="Rebuild the model saved by 'tinygrad-vn train' (in evaluation mode) and write it for another "
                    "engine: 'onnx' for ONNX Runtime (dynamic batch axis; the input scaling in its metadata), "
                    "'torch' for a .pt state dict of the equivalent torch.nn.Sequential (Linear weights in "
                    "PyTorch's (out, in) layout; torch.load(path, weights_only=True) reads it), 'safetensors' "
                    "for the state dict with the model's metadata.")
    parser.add_argument("--model", required=True, help="path of model.npz")
    parser.add_argument("--format", required=True, choices=tuple(FORMATS), help="what to write")
    parser.add_argument("--out", default=None,
                        help="file to write (default: beside the model, named model.onnx, model.pt or "
                             "model.safetensors)")
    parser.add_argument("--opset", type=int, default=None, help="ONNX operator set version (default 17)")
    parser.set_defaults(func=run)


def _output_path(args: argparse.Namespace) -> Path:
    model = Path(args.model)
    out = Path(args.out) if args.out is not None else model.with_suffix(FORMATS[args.format])
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder; give the path of the file to write")
    if out.exists() and model.exists() and out.resolve() == model.resolve():
        raise ValueError(f"--out {out} is the model file itself; give another path")
    if args.format == "safetensors" and out.suffix.lower() != ".safetensors":
        raise ValueError(f"--out {out}: a safetensors file's name must end in .safetensors")
    if args.opset is not None and args.format != "onnx":
        raise ValueError(f"--opset applies to --format onnx, not {args.format}")
    return out


def _check_writable(out: Path) -> None:
    folder = out.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ValueError(f"--out {out}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"--out {out}: the folder {folder} is not writable")


def _with_package(write: Callable[[], object], fmt: str) -> None:
    """Run ``write``; a missing optional package becomes a user error saying how to install it."""
    try:
        write()
    except ImportError as err:
        raise ValueError(f"--format {fmt} needs an optional package: {err}") from None


def run(args: argparse.Namespace) -> int:
    """Write the model in the chosen format and say where.

    A missing or damaged model file, a bad output path or a missing optional package is a user error
    (one ``error:`` line from the command line's handler).
    """
    import numpy as np

    import tinygrad_vn as tg
    from tinygrad_vn.train import load_model

    out = _output_path(args)
    model, metadata = load_model(args.model)
    _check_writable(out)
    layers = metadata["layers"]
    if args.format == "onnx":
        from tinygrad_vn.onnx import DEFAULT_OPSET

        example = np.zeros((1, layers[0]), dtype=model[0].weight.dtype)
        _with_package(lambda: tg.onnx.export(model, example, out, opset=args.opset or DEFAULT_OPSET,
                                             metadata=metadata), "onnx")
        detail = f"input 'input' (batch, {layers[0]}), output 'output' (batch, {layers[-1]}) logits"
    elif args.format == "torch":
        def write_torch() -> None:
            state = tg.interop.to_torch(model).state_dict()  # says how to install PyTorch when it is missing
            import torch

            from tinygrad_vn._files import atomic_write

            with atomic_write(out) as f:
                torch.save(state, f)

        _with_package(write_torch, "torch")
        detail = "a state dict of torch.nn.Sequential (Linear weights (out, in)); torch.load(path, weights_only=True)"
    else:
        tg.save(model.state_dict(), out, metadata=metadata)
        detail = "the state dict (tinygrad_vn's layout) with the model's metadata"
    print(f"wrote {out}: {'-'.join(map(str, layers))} {metadata['activation']} MLP as {args.format}, {detail}")
    if args.format != "safetensors":
        print(f"inputs: {metadata.get('input', 'flattened pixels / 255')}, input_mean {metadata.get('input_mean', 0.0)}"
              f", input_std {metadata.get('input_std', 1.0)}")
    return 0
