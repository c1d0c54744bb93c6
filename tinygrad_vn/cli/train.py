"""``tinygrad-vn train``: train an MLP on MNIST or Fashion-MNIST and write model, metrics and plot.

The run folder (``--out``) is checked before any data is loaded and gets a checkpoint after every
epoch; Ctrl-C keeps the last completed epoch and exits 130; ``--resume DIR`` continues a run with the
numbers it would have given had it never stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from ._user_errors import INTERRUPTED_EXIT_CODE, report_error
from .arguments import (
    layer_sizes,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    unit_interval_float,
)

# The settings that decide a run's numbers, with their defaults. Their options default to None, so
# that a resumed run can tell which ones were given (those must agree with the checkpoint).
RUN_DEFAULTS: dict[str, Any] = {
    "dataset": "mnist", "layers": (784, 128, 10), "activation": "relu", "optimizer": "adam", "lr": 3e-3,
    "momentum": 0.9, "epochs": 10, "batch_size": 128, "seed": 0, "limit_train": None, "limit_test": None,
    "standardize": True, "dropout": 0.2, "batchnorm": False, "schedule": "onecycle", "weight_decay": None,
}

# As tinygrad_vn.train's OPTIMIZERS, SCHEDULES, STEP_SIZE and STEP_GAMMA (a test keeps them equal), here so
# that --help does not import the library.
OPTIMIZER_NAMES = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULE_NAMES = ("none", "step", "cosine", "onecycle")
STEP_SIZE, STEP_GAMMA = 5, 0.1


def _on_off(name: str) -> str:
    return "on" if RUN_DEFAULTS[name] else "off"



def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser(
        "train", help="train an MLP on MNIST or Fashion-MNIST",
        description="Train a multilayer perceptron with mini-batches, showing a progress bar, and print the "
                    "train loss, test loss and test accuracy after every epoch. Writes model.npz, "
                    "metrics.json, metrics.csv and curves.png (with matplotlib) into --out, and checkpoint.npz "
                    "after every epoch. Ctrl-C keeps the last completed epoch; --resume continues it. Data is "
                    "looked for in --data, $TINYGRAD_VN_DATA/<dataset>/ and the user cache, and downloaded if "
                    "absent. The defaults are a recipe that reaches 98%% on MNIST in 10 epochs (98.21-98.28%% "
                    "with seeds 0-2): 784-128-10 ReLU, dropout 0.2, standardised inputs, Adam with a one-cycle "
                    "schedule peaking at lr 0.003, batch 128.")
    parser.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default=None, help="default mnist")
    parser.add_argument("--layers", type=layer_sizes, default=None,
                        help="layer sizes, input first, separated by commas "
                             f"(default {','.join(map(str, RUN_DEFAULTS['layers']))})")
    parser.add_argument("--activation", default=None,
                        help=f"hidden activation: relu, tanh, sigmoid, ... (default {RUN_DEFAULTS['activation']})")
    parser.add_argument("--dropout", type=unit_interval_float, default=None, metavar="P",
                        help="in training, zero each hidden activation with probability P, in [0, 1) "
                             f"(nn.Dropout after each hidden activation; 0: none; default {RUN_DEFAULTS['dropout']:g})")
    parser.add_argument("--batchnorm", action=argparse.BooleanOptionalAction, default=None,
                        help="nn.BatchNorm1d after each hidden Linear, before its activation; evaluation uses its "
                             f"running statistics (default {_on_off('batchnorm')})")
    parser.add_argument("--optimizer", choices=OPTIMIZER_NAMES, default=None,
                        help=f"sgd (with --momentum), adam, adamw or rmsprop (alpha 0.99, eps 1e-8, no momentum), "
                             f"each with PyTorch's defaults (default {RUN_DEFAULTS['optimizer']})")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help=f"learning rate; the peak one with --schedule onecycle (default {RUN_DEFAULTS['lr']:g})")
    parser.add_argument("--momentum", type=unit_interval_float, default=None,
                        help=f"momentum of sgd, in [0, 1) (default {RUN_DEFAULTS['momentum']:g})")
    parser.add_argument("--weight-decay", type=non_negative_float, default=None,
                        help="weight decay: an L2 term added to the gradient for sgd, adam and rmsprop, decoupled "
                             "(the weights shrink by lr × decay every step) for adamw, as in PyTorch (default: "
                             "PyTorch's, 0.01 for adamw and 0 for the others)")
    parser.add_argument("--schedule", choices=SCHEDULE_NAMES, default=None,
                        help=f"learning-rate schedule. none: lr throughout. step: StepLR, lr × {STEP_GAMMA:g} every "
                             f"{STEP_SIZE} epochs. cosine: CosineAnnealingLR, from lr down towards 0 over the "
                             "run's epochs, stepped after each epoch. onecycle: OneCycleLR, stepped after each batch, "
                             "from lr/25 up to lr over the first 30%% of the run's batches and down to lr/250000, "
                             "cycling adam's beta1 (or sgd's momentum) between 0.95 and 0.85. cosine and onecycle "
                             "are laid out over --epochs, so a resumed run keeps its epochs "
                             f"(default {RUN_DEFAULTS['schedule']})")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help=f"default {RUN_DEFAULTS['epochs']}; with --resume, the total to reach (default: the "
                             "run's own)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help=f"default {RUN_DEFAULTS['batch_size']}")
    parser.add_argument("--seed", type=non_negative_int, default=None,
                        help="seeds initial weights, batch order and dropout masks "
                             f"(default {RUN_DEFAULTS['seed']})")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<dataset>-<optimizer>-seed<seed>)")
    parser.add_argument("--resume", metavar="DIR", default=None,
                        help="continue the run whose checkpoint.npz is in DIR, writing into DIR; settings come "
                             "from the checkpoint (options given must agree; --epochs may raise the total, except "
                             "with a cosine or onecycle schedule)")
    parser.add_argument("--data", default=None, help="folder holding the dataset files (or a <dataset>/ subfolder)")
    parser.add_argument("--limit-train", type=positive_int, default=None,
                        help="train on the first N training images only (for quick runs)")
    parser.add_argument("--limit-test", type=positive_int, default=None,
                        help="evaluate on the first N test images only (for quick runs)")
    parser.add_argument("--threads", type=positive_int, default=1,
                        help="BLAS threads; small matmuls gain little from more and lose much on a busy machine "
                             "(default 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=None,
                        help="standardise pixels / 255 with the training set's mean and std (helps Adam); "
                             f"--no-standardize feeds pixels / 255, as the seeds do (default {_on_off('standardize')})")
    parser.add_argument("--detect-anomaly", action="store_true",
                        help="stop at the first op whose forward or backward pass gives NaN or Inf, naming the op, "
                             "the line that applied it, its input ranges and the stable alternative when one is "
                             "known (slower: every op is checked, and the step runs uncompiled)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train (or resume), print each epoch, write the run folder.

    Ctrl-C prints one line saying what was kept and returns 130; user errors reach the command
    line's handler (one ``error:`` line, exit 1).
    """
    from tinygrad_vn import AnomalyError, detect_anomaly
    from tinygrad_vn.train import TrainingInterrupted

    given = {name: getattr(args, name) for name in RUN_DEFAULTS if getattr(args, name) is not None}
    try:
        with detect_anomaly() if args.detect_anomaly else contextlib.nullcontext():
            if args.resume is not None:
                _resume(args, given)
            else:
                _train(args, given)
    except AnomalyError as anomaly:
        report_error("train", anomaly.summary)
        return 1
    except TrainingInterrupted as stop:
        line = f"tinygrad-vn train: {stop}"
        if stop.completed:
            line += f"; continue with: tinygrad-vn train --resume {stop.folder}"
        print(line, file=sys.stderr)
        return INTERRUPTED_EXIT_CODE
    return 0


def _train(args: argparse.Namespace, given: dict[str, Any]) -> None:
    from tinygrad_vn.train import TrainConfig, fit, prepare_output_folder

    config = TrainConfig(**{**RUN_DEFAULTS, **given})
    out = prepare_output_folder(args.out or f"runs/{config.dataset}-{config.optimizer}-seed{config.seed}", "--out")
    fit(config, out=out, data_root=args.data, progress=not args.no_progress, threads=args.threads)


def _resume(args: argparse.Namespace, given: dict[str, Any]) -> None:
    from tinygrad_vn.train import CHECKPOINT_NAME, read_checkpoint, resume

    folder = Path(args.resume)
    if args.out is not None and Path(args.out).resolve() != folder.resolve():
        raise ValueError(f"--out {args.out}: a resumed run writes into its own folder, {folder}")
    path = folder / CHECKPOINT_NAME
    if not path.is_file():
        raise ValueError(f"--resume {folder}: no {CHECKPOINT_NAME} there (train writes one after every epoch)")
    config = read_checkpoint(path).config
    differing = [f"--{name.replace('_', '-')} {_shown(value)} (the run has {_shown(_setting(config, name))})"
                 for name, value in given.items() if name != "epochs" and _setting(config, name) != value]
    if differing:
        report = "; ".join(differing)
        raise ValueError(f"{report}: a resumed run keeps its own settings (only --epochs may raise the total)")
    resume(folder, epochs=given.get("epochs"), data_root=args.data, progress=not args.no_progress,
           threads=args.threads)


def _setting(config: Any, name: str) -> Any:
    """What the run uses for ``name`` (its weight decay resolved to the optimizer's default when it gave none)."""
    from tinygrad_vn.train import weight_decay_of

    return weight_decay_of(config) if name == "weight_decay" else getattr(config, name)


def _shown(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
