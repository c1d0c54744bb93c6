"""``tinygrad-vn eval``: test accuracy and confusion matrix of a model that ``train`` saved."""

from __future__ import annotations

import argparse

from .arguments import positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``eval`` subcommand."""
    parser = subparsers.add_parser(
        "eval", help="test accuracy and confusion matrix of a trained model",
        description="Rebuild the model saved by 'tinygrad-vn train' and evaluate it on the test set of the "
                    "dataset it was trained on: loss, accuracy, per-class accuracy and the confusion matrix.")
    parser.add_argument("--model", required=True, help="path of model.npz")
    parser.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default=None,
                        help="evaluate on this dataset instead of the one the model was trained on")
    parser.add_argument("--data", default=None, help="folder holding the dataset files (or a <dataset>/ subfolder)")
    parser.add_argument("--limit-test", type=positive_int, default=None,
                        help="evaluate on the first N test images only")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print accuracy, per-class accuracy and the confusion matrix.

    A missing or damaged model file, or one whose sizes do not fit the dataset, is a user error (one
    ``error:`` line from the command line's handler).
    """
    import numpy as np

    from tinygrad_vn.train import (
        CLASS_NAMES,
        confusion_matrix,
        evaluate,
        format_confusion_matrix,
        input_scaling,
        load_dataset,
        load_model,
    )

    model, metadata = load_model(args.model)
    dataset = args.dataset or metadata["dataset"]
    _, _, x_test, y_test = load_dataset(dataset, args.data, limit_train=0, limit_test=args.limit_test)
    layers = metadata["layers"]
    if layers[0] != x_test.shape[1] or layers[-1] != len(CLASS_NAMES[dataset]):
        raise ValueError(f"{args.model}: a {layers[0]}-input, {layers[-1]}-class model cannot be evaluated on "
                         f"{dataset} ({x_test.shape[1]} pixels, {len(CLASS_NAMES[dataset])} classes)")
    result = evaluate(model, input_scaling(metadata)(x_test), y_test)
    names = CLASS_NAMES[dataset]
    matrix = confusion_matrix(y_test, result.predictions, len(names))
    print(f"{args.model}: {'-'.join(map(str, layers))} {metadata['activation']} MLP trained on {metadata['dataset']}")
    print(f"{dataset} test set, {len(y_test)} images: accuracy {result.accuracy:.2%}, loss {result.loss:.4f}\n")
    print("confusion matrix (rows: true class, columns: predicted class)")
    print(format_confusion_matrix(matrix, names))
    per_class = matrix.diagonal() / np.maximum(matrix.sum(axis=1), 1)
    print("\nper-class accuracy: " + ", ".join(f"{n} {a:.1%}" for n, a in zip(names, per_class)))
    return 0
