"""``tinygrad-vn train``: train an MLP on MNIST or Fashion-MNIST and write model, metrics and plot."""

from __future__ import annotations

import argparse

from ._user_errors import run_reporting_errors
from .arguments import positive_int


def _layer_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError as err:
        message = f"--layers wants sizes separated by commas, like 784,128,10; got {text!r}"
        raise argparse.ArgumentTypeError(message) from err
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--layers wants at least two positive sizes, got {text!r}")
    return sizes



def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser(
        "train", help="train an MLP on MNIST or Fashion-MNIST",
        description="Train a multilayer perceptron with mini-batches, showing a progress bar, and print the "
                    "train loss, test loss and test accuracy after every epoch. Writes model.npz, "
                    "metrics.json, metrics.csv and curves.png (with matplotlib) into --out. Data is looked for "
                    "in --data, $TINYGRAD_VN_DATA/<dataset>/ and the user cache, and downloaded if absent.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist")
    parser.add_argument("--layers", type=_layer_sizes, default=(784, 128, 10),
                        help="layer sizes, input first, separated by commas")
    parser.add_argument("--activation", default="relu", help="hidden activation: relu, tanh, sigmoid, ...")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    parser.add_argument("--momentum", type=float, default=0.9, help="momentum of sgd")
    parser.add_argument("--epochs", type=positive_int, default=3)
    parser.add_argument("--batch-size", type=positive_int, default=128)
    parser.add_argument("--seed", type=int, default=0, help="seeds initial weights and batch order")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<dataset>-<optimizer>-seed<seed>)")
    parser.add_argument("--data", default=None, help="folder holding the dataset files (or a <dataset>/ subfolder)")
    parser.add_argument("--limit-train", type=positive_int, default=None,
                        help="train on the first N training images only (for quick runs)")
    parser.add_argument("--limit-test", type=positive_int, default=None,
                        help="evaluate on the first N test images only (for quick runs)")
    parser.add_argument("--threads", type=positive_int, default=1,
                        help="BLAS threads; small matmuls gain little from more and lose much on a busy machine")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--standardize", action="store_true",
                        help="standardise pixels / 255 with the training set's mean and std (helps Adam; "
                             "the default is pixels / 255, as the seeds do)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train, print each epoch, write the run folder; exit 1 with one line on a user error."""
    return run_reporting_errors("train", lambda: _train(args))


def _train(args: argparse.Namespace) -> int:
    from tinygrad_vn.train import TrainConfig, fit

    config = TrainConfig(dataset=args.dataset, layers=args.layers, activation=args.activation,
                         optimizer=args.optimizer, lr=args.lr, momentum=args.momentum, epochs=args.epochs,
                         batch_size=args.batch_size, seed=args.seed, limit_train=args.limit_train,
                         limit_test=args.limit_test, standardize=args.standardize)
    out = args.out or f"runs/{args.dataset}-{args.optimizer}-seed{args.seed}"
    fit(config, out=out, data_root=args.data, progress=not args.no_progress, threads=args.threads)
    return 0
