"""Train and evaluate MLP classifiers on MNIST-style data: the library behind ``tinygrad-vn train``/``eval``.

``fit(config)`` is the whole recipe: load the data, build the model, run epochs of mini-batch
training with a progress bar, evaluate after each epoch, and (given ``out``) write the model, the
metrics and a plot. Every random choice (initial weights, batch order, dropout masks) comes from
``config.seed``, so the same config gives the same numbers bit for bit on the same machine.

A run with an output folder cannot be lost: the folder is checked before any data is loaded, a
checkpoint (model with its batch-norm statistics, optimizer and schedule state, batch-order and
dropout generators, metrics so far) is written atomically
after every epoch, Ctrl-C keeps the last completed epoch, and :func:`resume` continues a checkpoint
with the same numbers, bit for bit, as a run that was never stopped.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import math
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import functional as F
from . import nn, optim
from ._files import atomic_write
from .autograd import no_grad
from .compile import compile as compile_step
from .data.loader import DataLoader
from .data.mnist import load_mnist
from .factories import generator, manual_seed
from .serialization import CheckpointError, load, load_metadata, save
from .tensor import Tensor

MODEL_FORMAT = "tinygrad_vn.mlp/1"
CHECKPOINT_FORMAT = "tinygrad_vn.train-checkpoint/2"
# Checkpoints written before schedules, dropout and batch norm: their config lacks those fields, which
# meant what LEGACY_CONFIG says, and they hold no scheduler or global-generator state (nothing drew from it).
CHECKPOINT_FORMAT_1 = "tinygrad_vn.train-checkpoint/1"
LEGACY_CONFIG: dict[str, Any] = {"dropout": 0.0, "batchnorm": False, "schedule": "none", "weight_decay": None}
CHECKPOINT_NAME = "checkpoint.npz"
RUN_FILES = ("model.npz", "metrics.json", "metrics.csv", "curves.png", CHECKPOINT_NAME)
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("none", "step", "cosine", "onecycle")
# The step schedule: the learning rate is multiplied by STEP_GAMMA after every STEP_SIZE epochs. Fixed
# numbers rather than fractions of the run, so that resuming with more --epochs continues the same schedule.
STEP_SIZE, STEP_GAMMA = 5, 0.1
# Weight decay when none is given: torch's defaults (AdamW decays by 0.01, the others not at all).
DEFAULT_WEIGHT_DECAY = {"sgd": 0.0, "adam": 0.0, "adamw": 0.01, "rmsprop": 0.0}
# Models (from the command line or a model file's metadata) are refused above these sizes before any
# array is allocated: 100 million parameters are 400 MB of float32 weights (1.2 GB with Adam's state).
MAX_PARAMETERS = 100_000_000
MAX_LAYER_SIZES = 64
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                      "Ankle boot"),
}


@dataclass
class TrainConfig:
    """Everything that decides a training run (and so its results).

    The defaults are the recipe ``tinygrad-vn train`` documents: 784-128-10 ReLU with dropout 0.2,
    standardised inputs, Adam under a one-cycle schedule peaking at lr 3e-3, batch 128, 10 epochs.
    On MNIST it reached 98.21%, 98.24% and 98.28% test accuracy after epoch 10 with seeds 0, 1 and 2
    (benchmarks/RECIPES.md).
    """

    dataset: str = "mnist"
    layers: tuple[int, ...] = (784, 128, 10)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 3e-3
    momentum: float = 0.9
    epochs: int = 10
    batch_size: int = 128
    seed: int = 0
    limit_train: int | None = None
    limit_test: int | None = None
    standardize: bool = True
    dropout: float = 0.2
    batchnorm: bool = False
    schedule: str = "onecycle"
    weight_decay: float | None = None
    """None: the optimizer's own default (:data:`DEFAULT_WEIGHT_DECAY`)."""


@dataclass
class EpochMetrics:
    """What one epoch measured; ``seconds`` counts training only, not evaluation."""

    epoch: int
    train_loss: float
    test_loss: float
    test_accuracy: float
    seconds: float
    samples_per_second: float


@dataclass
class Evaluation:
    """Mean loss, accuracy and the predicted class of every sample."""

    loss: float
    accuracy: float
    predictions: np.ndarray = field(repr=False)


class TrainingDivergedError(ValueError):
    """The training loss (or a weight) stopped being a finite number; the settings made training diverge."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run; what was kept of it is in ``folder`` (``kept`` names the files).

    ``epoch`` is the epoch that was running, ``completed`` how many epochs are kept (0: none).
    A KeyboardInterrupt, so that code which stops on Ctrl-C still stops.
    """

    def __init__(self, message: str, epoch: int, completed: int, folder: Path | None, kept: list[str]) -> None:
        super().__init__(message)
        self.epoch, self.completed, self.folder, self.kept = epoch, completed, folder, kept

    def __str__(self) -> str:
        return str(self.args[0])


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_layer_sizes(layers: Any, what: str = "layers") -> tuple[int, ...]:
    """``layers`` as a tuple of ints, once it is 2 to MAX_LAYER_SIZES positive ints making at most
    MAX_PARAMETERS parameters; otherwise a ValueError naming ``what``. Nothing is allocated."""
    if not isinstance(layers, (list, tuple)):
        raise ValueError(f"{what} must be a list of layer sizes, got {layers!r}")
    if not 2 <= len(layers) <= MAX_LAYER_SIZES:
        raise ValueError(f"{what} must hold 2 to {MAX_LAYER_SIZES} sizes (input first), got {len(layers)}")
    bad = [size for size in layers if not _is_int(size) or size < 1]
    if bad:
        raise ValueError(f"{what} must be positive integers, got {bad[0]!r} in {list(layers)!r}")
    sizes = tuple(int(size) for size in layers)
    parameters = sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(sizes))
    if parameters > MAX_PARAMETERS:
        raise ValueError(f"{what} {'-'.join(map(str, sizes))} make {parameters:,} parameters; "
                         f"the limit is {MAX_PARAMETERS:,}")
    return sizes


def validate_config(config: TrainConfig) -> None:
    """Refuse, with a ValueError naming the setting, anything that would not train: a non-finite or
    out-of-range learning rate or momentum, an unknown name, a count below 1, an oversized model."""
    if config.dataset not in CLASS_NAMES:
        raise ValueError(f"unknown dataset {config.dataset!r}; choose one of {', '.join(CLASS_NAMES)}")
    layers = check_layer_sizes(config.layers)
    classes = len(CLASS_NAMES[config.dataset])
    if layers[-1] != classes:
        raise ValueError(f"the last layer size must be {classes} (the classes of {config.dataset}), "
                         f"got {layers[-1]}")
    if config.activation not in nn.ACTIVATIONS:
        raise ValueError(f"unknown activation {config.activation!r}; choose one of {', '.join(nn.ACTIVATIONS)}")
    if config.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {config.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    if not _is_number(config.lr) or not math.isfinite(config.lr) or config.lr <= 0:
        raise ValueError(f"the learning rate must be a finite number above 0, got {config.lr!r}")
    if not _is_number(config.momentum) or not math.isfinite(config.momentum) or not 0 <= config.momentum < 1:
        raise ValueError(f"the momentum must be a finite number in [0, 1), got {config.momentum!r}")
    for name in ("epochs", "batch_size"):
        value = getattr(config, name)
        if not _is_int(value) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not _is_int(config.seed) or config.seed < 0:
        raise ValueError(f"the seed must be a non-negative integer, got {config.seed!r}")
    for name in ("limit_train", "limit_test"):
        value = getattr(config, name)
        if value is not None and (not _is_int(value) or value < 1):
            raise ValueError(f"{name} must be a positive integer (or None for all), got {value!r}")
    for name in ("standardize", "batchnorm"):
        if not isinstance(getattr(config, name), bool):
            raise ValueError(f"{name} must be True or False, got {getattr(config, name)!r}")
    if not _is_number(config.dropout) or not 0 <= config.dropout < 1:
        raise ValueError(f"the dropout probability must be a number in [0, 1), got {config.dropout!r}")
    if config.schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {config.schedule!r}; choose one of {', '.join(SCHEDULES)}")
    decay = config.weight_decay
    if decay is not None and (not _is_number(decay) or not math.isfinite(decay) or decay < 0):
        raise ValueError(f"the weight decay must be a finite number of at least 0 (or None for the optimizer's "
                         f"default), got {decay!r}")


def weight_decay_of(config: TrainConfig) -> float:
    """The weight decay a run uses: its own, or its optimizer's default when it gives none."""
    if config.weight_decay is not None:
        return float(config.weight_decay)
    return DEFAULT_WEIGHT_DECAY[config.optimizer]


def prepare_output_folder(path: str | Path, what: str = "output folder") -> Path:
    """Create ``path`` if missing and prove it writable with a probe file, before any work is done.

    Raises a ValueError (a file is in the way) or OSError (cannot create or write) that names ``what``.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{what} {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(f"{what} {folder} cannot be created: {err.strerror or err}") from err
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".tinygrad-vn-probe-"):
            pass
    except OSError as err:
        raise OSError(f"{what} {folder} is not writable: {err.strerror or err}") from err
    return folder


@contextmanager
def _sigint_deferred(reraise: bool = True) -> Iterator[None]:
    """Hold Ctrl-C while the block writes files, then (with ``reraise``) raise the KeyboardInterrupt it
    would have raised. Only where Python's own handler is installed (main thread, no other handler)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    received: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if received and reraise:
        raise KeyboardInterrupt


def flatten_images(images: np.ndarray) -> np.ndarray:
    """(N, H, W) uint8 pixels as (N, H·W) float32 in [0, 1] (pixels / 255, the seed's scaling)."""
    pixels = int(np.prod(images.shape[1:], dtype=np.int64))
    return images.reshape(len(images), pixels).astype(np.float32) / np.float32(255)


@dataclass(frozen=True)
class InputScaling:
    """(x − mean) / std on pixels already scaled to [0, 1], with one mean and one std over every training pixel.

    Seed 000 asks for inputs standardised (z-score) or min-max scaled so that weights keep updating. One
    global mean and std, not one per pixel: border pixels are almost always 0, and dividing by their tiny
    spread would blow up the rare stroke that reaches them. ``InputScaling()`` (mean 0, std 1) leaves
    pixels / 255 as they are, the seeds' own scaling and the default: standardised inputs are about three
    times larger, which helps Adam but makes SGD at the seeds' lr 0.1 too noisy to reach 98% on MNIST.
    """

    mean: float = 0.0
    std: float = 1.0

    @classmethod
    def fit(cls, x: np.ndarray) -> InputScaling:
        """The mean and standard deviation of all of ``x`` (the training images)."""
        std = float(x.std(dtype=np.float64))
        if not std > 0:
            raise ValueError("cannot standardise images whose pixels are all equal")
        return cls(float(x.mean(dtype=np.float64)), std)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``x`` scaled, as a new float32 array (``x`` itself when the scaling does nothing)."""
        if self.mean == 0.0 and self.std == 1.0:
            return x
        return (x - np.float32(self.mean)) / np.float32(self.std)


def load_dataset(
    dataset: str, root: str | None = None, limit_train: int | None = None, limit_test: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flattened, scaled ``(x_train, y_train, x_test, y_test)``, optionally cut to their first samples.

    A limit is None (all samples) or a count of at least 0; a negative one would silently drop samples
    from the end, so it is refused.
    """
    for name, limit in (("limit_train", limit_train), ("limit_test", limit_test)):
        if limit is not None and (not _is_int(limit) or limit < 0):
            raise ValueError(f"{name} must be a count of samples (at least 0) or None, got {limit!r}")
    x_train, y_train, x_test, y_test = load_mnist(root, kind=dataset)
    return (flatten_images(x_train[:limit_train]), y_train[:limit_train],
            flatten_images(x_test[:limit_test]), y_test[:limit_test])


def build_model(layers: Iterable[int], activation: str = "relu", dropout: float = 0.0,
                batchnorm: bool = False) -> nn.Module:
    """Linear layers of the given sizes with ``activation`` between them; the output gives logits.

    Each hidden layer is Linear, then BatchNorm1d (with ``batchnorm``), then the activation, then
    Dropout(``dropout``) (when above 0). Without either it is ``nn.mlp(layers, activation)``, with the
    same parameter names.
    """
    sizes = list(layers)
    if not batchnorm and not dropout:
        return nn.mlp(sizes, activation=activation)
    if activation not in nn.ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(nn.ACTIVATIONS)}")
    stack: list[nn.Module] = []
    for n_in, n_out in itertools.pairwise(sizes[:-1]):
        stack.append(nn.Linear(n_in, n_out))
        if batchnorm:
            stack.append(nn.BatchNorm1d(n_out))
        stack.append(nn.ACTIVATIONS[activation]())
        if dropout:
            stack.append(nn.Dropout(dropout))
    stack.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*stack)


def make_optimizer(name: str, params: list[Tensor], lr: float, momentum: float = 0.9,
                   weight_decay: float | None = None) -> optim.Optimizer:
    """One of :data:`OPTIMIZERS` over ``params``, with PyTorch's defaults for what is not given.

    ``sgd`` uses ``momentum``; ``adam``/``adamw`` betas (0.9, 0.999), eps 1e-8; ``rmsprop`` alpha 0.99,
    eps 1e-8, no momentum. ``weight_decay`` (None: :data:`DEFAULT_WEIGHT_DECAY`) is decoupled for
    ``adamw`` and an L2 term added to the gradient for the others, as in torch.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    decay = DEFAULT_WEIGHT_DECAY[name] if weight_decay is None else weight_decay
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=decay)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=decay)
    return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=decay)


def make_schedule(config: TrainConfig, optimizer: optim.Optimizer, steps_per_epoch: int
                  ) -> tuple[optim.lr_scheduler.LRScheduler | None, bool]:
    """The learning-rate schedule ``config.schedule`` names, and whether it steps per batch (else per epoch).

    ``step``: StepLR, lr × STEP_GAMMA every STEP_SIZE epochs. ``cosine``: CosineAnnealingLR from lr down
    towards 0 over the run's epochs. ``onecycle``: OneCycleLR over every batch of the run, peaking at lr
    (from lr/25 up over the first 30% of the batches, then down to lr/25e4, cosine-shaped); it also
    cycles the momentum (β₁ of adam/adamw, sgd's momentum when above 0) between 0.95 and 0.85, as
    torch's does, and leaves rmsprop's momentum (none) alone. ``none``: a constant lr.
    """
    schedules = optim.lr_scheduler
    if config.schedule == "none":
        return None, False
    if config.schedule == "step":
        return schedules.StepLR(optimizer, step_size=STEP_SIZE, gamma=STEP_GAMMA), False
    if config.schedule == "cosine":
        return schedules.CosineAnnealingLR(optimizer, T_max=config.epochs), False
    if config.schedule == "onecycle":
        cycle = config.optimizer in ("adam", "adamw") or (config.optimizer == "sgd" and config.momentum > 0)
        return schedules.OneCycleLR(optimizer, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch,
                                    cycle_momentum=cycle), True
    raise ValueError(f"unknown schedule {config.schedule!r}; choose one of {', '.join(SCHEDULES)}")


def schedule_spans_the_run(config: TrainConfig) -> bool:
    """Whether the schedule is laid out over ``config.epochs`` (so a resumed run cannot change them)."""
    return config.schedule in ("cosine", "onecycle")


@contextmanager
def blas_threads(count: int | None) -> Iterator[None]:
    """Run the block with at most ``count`` BLAS threads, restoring the setting after (``None``: no change).

    A small MLP's matrices are too small for several BLAS threads to pay off, and on a busy machine
    threads that spin waiting for a core slow every matmul down several times over.
    """
    if count is None:
        yield
        return
    if count < 1:
        raise ValueError(f"the number of threads must be at least 1, got {count}")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=count, user_api="blas"):
        yield


def train_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: optim.Optimizer,
    on_batch: Callable[[int, float], None] | None = None,
    epoch: int | None = None,
    schedule: optim.lr_scheduler.LRScheduler | None = None,
) -> float:
    """One pass over ``loader`` in training mode; returns the mean training loss over its samples.

    The step is ``tg.compile``d: recorded on the first batch of each shape, replayed for the others
    (the same numbers as running it eagerly, dropout masks and batch-norm statistics included).
    ``schedule`` (a per-batch one such as OneCycleLR) steps after every optimizer step.
    ``on_batch(batch_size, loss)`` is called after every step (the progress bar uses it). A loss that
    is NaN or infinite stops the pass with :class:`TrainingDivergedError`, naming the step (and
    ``epoch``, when given).
    """
    model.train()

    @compile_step
    def step(x: np.ndarray, y: np.ndarray) -> Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    total_loss, seen = 0.0, 0
    for number, (x_batch, y_batch) in enumerate(loader, start=1):
        batch_loss = step(x_batch, y_batch).item()
        if not math.isfinite(batch_loss):
            where = f"epoch {epoch}, step {number}" if epoch is not None else f"step {number}"
            raise TrainingDivergedError(f"the training loss became {batch_loss} at {where} of {len(loader)}; "
                                   f"the learning rate is probably too high")
        if schedule is not None:
            schedule.step()
        total_loss += batch_loss * len(y_batch)
        seen += len(y_batch)
        if on_batch is not None:
            on_batch(len(y_batch), batch_loss)
    return total_loss / max(seen, 1)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 2000) -> Evaluation:
    """Mean cross-entropy, accuracy and predictions on ``(x, y)``, without recording a graph.

    The model runs in ``eval()`` mode (no dropout, batch norm's running statistics) and is left in it.
    Refuses an empty set (its accuracy would be NaN).
    """
    if len(y) == 0:
        raise ValueError("cannot evaluate on 0 samples")
    model.eval()
    total_loss, predictions = 0.0, []
    with no_grad():
        for start in range(0, len(x), batch_size):
            logits = model(Tensor(x[start : start + batch_size]))
            labels = y[start : start + batch_size]
            total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            predictions.append(logits.data.argmax(axis=1))
    predicted = np.concatenate(predictions)
    return Evaluation(loss=total_loss / len(y), accuracy=float((predicted == y).mean()), predictions=predicted)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts: row = true class, column = predicted class."""
    counts = np.bincount(np.asarray(y_true) * num_classes + np.asarray(y_pred), minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def format_confusion_matrix(matrix: np.ndarray, class_names: Iterable[str]) -> str:
    """The matrix as text, rows labelled with true classes and columns with predicted ones."""
    names = list(class_names)
    width = max(6, len(str(matrix.max())) + 1)
    label_width = max(len(n) for n in names) + 1
    short = [n[:width - 1] for n in names]
    lines = [" " * label_width + "predicted →", " " * label_width + "".join(f"{s:>{width}}" for s in short)]
    for name, row in zip(names, matrix):
        lines.append(f"{name:<{label_width}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


def save_model(model: nn.Module, path: str | Path, config: TrainConfig,
               scaling: InputScaling = InputScaling()) -> None:
    """Save weights, the architecture and the input scaling, so that :func:`load_model` can rebuild the
    model alone and ``tinygrad-vn eval`` can feed it test images as it saw training images."""
    metadata = {"format": MODEL_FORMAT, "layers": list(config.layers), "activation": config.activation,
                "dropout": config.dropout, "batchnorm": config.batchnorm,
                "dataset": config.dataset, "input": "flattened pixels / 255, then (x - input_mean) / input_std",
                "input_mean": scaling.mean, "input_std": scaling.std}
    save(model.state_dict(), path, metadata=metadata)


# What a model file's metadata may hold; files saved before dropout and batch norm lack those two keys
# (and the oldest the input scaling), which then mean none.
MODEL_METADATA_KEYS = frozenset({"format", "layers", "activation", "dropout", "batchnorm", "dataset", "input",
                                 "input_mean", "input_std"})


def input_scaling(metadata: dict[str, Any]) -> InputScaling:
    """The scaling a saved model was trained with (models saved before it was recorded used pixels / 255)."""
    return InputScaling(float(metadata.get("input_mean", 0.0)), float(metadata.get("input_std", 1.0)))


def check_model_metadata(metadata: Any, path: str | Path) -> dict[str, Any]:
    """``metadata`` once it describes a model that :func:`save_model` could have written; otherwise a
    CheckpointError naming ``path`` and the field. Sizes are checked against MAX_PARAMETERS, so a
    tampered file cannot make :func:`load_model` allocate more than that."""
    def refuse(problem: str) -> CheckpointError:
        return CheckpointError(f"{path}: {problem}")

    if not isinstance(metadata, dict):
        raise refuse(f"its metadata must be a JSON object, got a {type(metadata).__name__}")
    if metadata.get("format") != MODEL_FORMAT:
        raise refuse(f"not a model saved by tinygrad-vn train (format {metadata.get('format')!r}, "
                     f"expected {MODEL_FORMAT!r})")
    try:
        check_layer_sizes(metadata.get("layers"), "its metadata's layers")
    except ValueError as err:
        raise refuse(str(err)) from None
    activation, dataset = metadata.get("activation"), metadata.get("dataset")
    if not isinstance(activation, str) or activation not in nn.ACTIVATIONS:
        raise refuse(f"unknown activation {activation!r} in its metadata; known: {', '.join(nn.ACTIVATIONS)}")
    if not isinstance(dataset, str) or dataset not in CLASS_NAMES:
        raise refuse(f"unknown dataset {dataset!r} in its metadata; known: {', '.join(CLASS_NAMES)}")
    unknown = sorted(map(str, set(metadata) - MODEL_METADATA_KEYS))
    if unknown:
        raise refuse(f"its metadata has unknown keys {', '.join(unknown)}; known: "
                     f"{', '.join(sorted(MODEL_METADATA_KEYS))}")
    dropout, batchnorm = metadata.get("dropout", 0.0), metadata.get("batchnorm", False)
    if not _is_number(dropout) or not 0 <= dropout < 1:
        raise refuse(f"its metadata's dropout must be a number in [0, 1), got {dropout!r}")
    if not isinstance(batchnorm, bool):
        raise refuse(f"its metadata's batchnorm must be true or false, got {batchnorm!r}")
    if not isinstance(metadata.get("input", ""), str):
        raise refuse("its metadata's 'input' must be text")
    for key, default in (("input_mean", 0.0), ("input_std", 1.0)):
        value = metadata.get(key, default)
        if not _is_number(value) or not math.isfinite(value) or (key == "input_std" and value <= 0):
            raise refuse(f"its metadata's {key} must be a finite number{' above 0' if key == 'input_std' else ''}, "
                         f"got {value!r}")
    return metadata


def load_model(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model that :func:`save_model` wrote; returns it with its metadata.

    The metadata is checked (:func:`check_model_metadata`) before the model is built, and the weights
    must be finite numbers of exactly the shapes it describes.
    """
    metadata = check_model_metadata(load_metadata(path), path)
    state = load(path)
    model = build_model(metadata["layers"], metadata["activation"], metadata.get("dropout", 0.0),
                        metadata.get("batchnorm", False))
    _load_weights(model, state, path)
    model.eval()
    return model, metadata


def _load_weights(model: nn.Module, state: Mapping[str, np.ndarray], path: str | Path) -> None:
    """``model.load_state_dict(state)`` for weights read from ``path``, refusing non-numeric or
    non-finite arrays and mismatched names or shapes with a CheckpointError naming the file."""
    for name, array in state.items():
        if array.dtype.kind not in "fiu":
            raise CheckpointError(f"{path}: weight {name!r} holds {array.dtype} values, not numbers")
        if not np.isfinite(array).all():
            raise CheckpointError(f"{path}: weight {name!r} holds NaN or infinite values")
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError) as err:
        detail = err.args[0] if isinstance(err, KeyError) and err.args else err
        raise CheckpointError(f"{path}: its weights do not fit the architecture it describes: {detail}") from None


def write_metrics(history: list[EpochMetrics], config: TrainConfig, out: Path,
                  status: str = "finished") -> tuple[Path, Path]:
    """``metrics.json`` (config, ``status`` and every epoch) and ``metrics.csv`` (one row per epoch) in
    ``out``, each written atomically. ``status`` is "finished", "interrupted" or "diverged"."""
    json_path, csv_path = out / "metrics.json", out / "metrics.csv"
    record = {"config": asdict(config), "status": status, "epochs_completed": len(history),
              "epochs": [asdict(m) for m in history]}
    with atomic_write(json_path) as f:
        f.write((json.dumps(record, indent=2) + "\n").encode())
    rows = io.StringIO(newline="")
    writer = csv.DictWriter(rows, fieldnames=list(EpochMetrics.__dataclass_fields__))
    writer.writeheader()
    writer.writerows(asdict(m) for m in history)
    with atomic_write(csv_path) as f:
        f.write(rows.getvalue().encode())
    return json_path, csv_path


def plot_history(history: list[EpochMetrics], path: Path, title: str = "") -> bool:
    """Save a PNG of the loss curves and the test accuracy per epoch; False when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [m.epoch for m in history]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    loss_ax.plot(epochs, [m.train_loss for m in history], "o-", label="train loss (mean over the epoch)")
    loss_ax.plot(epochs, [m.test_loss for m in history], "s--", label="test loss (after the epoch)")
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    loss_ax.legend()
    accuracies = [100 * m.test_accuracy for m in history]
    acc_ax.plot(epochs, accuracies, "o-", color="tab:green", label="test accuracy")
    for epoch, accuracy in zip(epochs, accuracies):
        acc_ax.annotate(f"{accuracy:.2f}%", (epoch, accuracy), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=8)
    acc_ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy")
    acc_ax.legend(loc="lower right")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.set_xticks(epochs if len(epochs) <= 20 else ax.get_xticks())
        ax.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
        ax.margins(y=0.15)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def run_title(config: TrainConfig) -> str:
    """A one-line description of the run, for the plot and the log."""
    decay = weight_decay_of(config)
    parts = [f"{config.dataset} {'-'.join(str(n) for n in config.layers)} {config.activation}",
             *(["batch norm"] if config.batchnorm else []),
             *([f"dropout {config.dropout:g}"] if config.dropout else []),
             f"{config.optimizer} lr {config.lr:g}" + (f" weight decay {decay:g}" if decay else ""),
             *([f"{config.schedule} schedule"] if config.schedule != "none" else []),
             f"batch {config.batch_size}", f"seed {config.seed}",
             *(["standardised inputs"] if config.standardize else [])]
    return ", ".join(parts)


def fit(
    config: TrainConfig,
    out: str | Path | None = None,
    data_root: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
    threads: int | None = 1,
) -> tuple[nn.Module, list[EpochMetrics]]:
    """Train as ``config`` says, logging each epoch; with ``out``, write model, metrics and plot there.

    ``config`` is checked (:func:`validate_config`) and ``out`` created and proven writable before any
    data is loaded; ``out`` must not hold the checkpoint of an unfinished run (resume that one instead).
    With ``out``, a checkpoint is written after every epoch; Ctrl-C raises :class:`TrainingInterrupted`
    and a loss that stops being finite :class:`TrainingDivergedError`, each after writing the last completed
    epoch's model and metrics (marked "interrupted" or "diverged") into ``out``.
    ``threads`` caps the BLAS threads while training and evaluating (see :func:`blas_threads`).
    """
    validate_config(config)
    folder = None
    if out is not None:
        folder = prepare_output_folder(out)
        _refuse_to_replace_an_unfinished_run(folder)
    return _run(config, folder, None, data_root, progress, log, threads)


def resume(
    folder: str | Path,
    epochs: int | None = None,
    data_root: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
    threads: int | None = 1,
) -> tuple[nn.Module, list[EpochMetrics]]:
    """Continue the run whose checkpoint is in ``folder``, up to its own number of epochs or ``epochs``.

    The settings come from the checkpoint, and the numbers (losses, accuracies, final weights) are
    the ones a run never stopped would have given, bit for bit. The data must be the data the run
    was trained on (a digest of it is in the checkpoint); ``data_root`` defaults to the run's own.
    Otherwise as :func:`fit`.
    """
    folder = Path(folder)
    path = folder / CHECKPOINT_NAME
    if not path.is_file():
        raise ValueError(f"{folder}: no {CHECKPOINT_NAME} to resume from (train writes one after every epoch)")
    checkpoint = read_checkpoint(path)
    config = checkpoint.config if epochs is None else dataclasses.replace(checkpoint.config, epochs=epochs)
    validate_config(config)
    if config.epochs < len(checkpoint.history):
        raise ValueError(f"{path} already holds {len(checkpoint.history)} epochs; cannot resume it to {config.epochs}")
    if config.epochs != checkpoint.config.epochs and schedule_spans_the_run(checkpoint.config):
        raise ValueError(f"{path}: its {checkpoint.config.schedule} schedule is laid out over the run's "
                         f"{checkpoint.config.epochs} epochs, so it cannot be resumed to {config.epochs}; resume it "
                         f"without changing the epochs")
    prepare_output_folder(folder)
    data_root = checkpoint.data_root if data_root is None else data_root
    return _run(config, folder, checkpoint, data_root, progress, log, threads)


class RunningLoss:
    """Advances a progress bar by each batch and shows the mean loss of the epoch so far."""

    def __init__(self, bar: Any) -> None:
        self.bar, self.total, self.seen = bar, 0.0, 0

    def __call__(self, size: int, loss: float) -> None:
        self.total += loss * size
        self.seen += size
        self.bar.update(size)
        self.bar.set_postfix(loss=f"{self.total / self.seen:.4f}", refresh=False)


@dataclass
class Checkpoint:
    """What :func:`read_checkpoint` found in a checkpoint file, checked, ready to put back.

    ``optimizer_state`` is in the layout ``load_state_dict`` takes (a format-1 checkpoint's is the
    single-group layout of its time); ``schedule_state`` is the scheduler's state (None without a
    schedule) and ``random_state`` the global generator's, which dropout draws from (None in format 1).
    """

    path: Path
    config: TrainConfig
    history: list[EpochMetrics]
    model_state: dict[str, np.ndarray] = field(repr=False)
    optimizer_name: str
    optimizer_state: dict[str, Any] = field(repr=False)
    shuffle_state: dict[str, Any] = field(repr=False)
    scaling: InputScaling
    data_digest: str
    data_root: str | None
    schedule_state: dict[str, Any] | None = field(default=None, repr=False)
    random_state: dict[str, Any] | None = field(default=None, repr=False)

    def saved_settings(self) -> dict[str, Any]:
        """The optimizer settings the checkpoint holds (those of its single param group)."""
        if "hyperparameters" in self.optimizer_state:
            return dict(self.optimizer_state["hyperparameters"])
        return {name: value for name, value in self.optimizer_state["param_groups"][0].items() if name != "params"}

    def restore(self, model: nn.Module, optimizer: optim.Optimizer, shuffle: np.random.Generator,
                scaling: InputScaling, data_digest: str,
                schedule: optim.lr_scheduler.LRScheduler | None = None) -> None:
        """Put weights (batch-norm statistics included), optimizer and schedule state, batch order and the
        global generator (dropout's masks) back, once the data is the checkpoint's.

        ``optimizer`` and ``schedule`` are fresh ones built from the checkpoint's config; the settings
        the schedule does not drive must be the ones saved.
        """
        if data_digest != self.data_digest or scaling != self.scaling:
            raise ValueError(f"{self.path}: the training or test data differs from the data this run was trained "
                             f"on (check --data and the dataset files)")
        if self.optimizer_name != type(optimizer).__name__:
            raise CheckpointError(f"{self.path}: it holds the state of a {self.optimizer_name} optimizer, but its "
                                  f"config names {self.config.optimizer}")
        if (schedule is None) != (self.schedule_state is None):
            raise CheckpointError(f"{self.path}: its schedule state does not match its config's schedule "
                                  f"{self.config.schedule!r}")
        saved, current = self.saved_settings(), optimizer.hyperparameters()
        driven = _scheduled_settings(self.config)
        # settings added since a checkpoint was written are absent from it; load_state_dict fills them in
        if any(name not in driven and name in current and current[name] != value for name, value in saved.items()):
            shown = {name: value for name, value in saved.items() if name in current}
            raise CheckpointError(f"{self.path}: its optimizer settings {shown} do not match its config")
        _load_weights(model, self.model_state, self.path)
        try:
            optimizer.load_state_dict(self.optimizer_state)
            if schedule is not None:
                schedule.load_state_dict(self.schedule_state)
            shuffle.bit_generator.state = self.shuffle_state
            if self.random_state is not None:
                generator().bit_generator.state = self.random_state
        except (TypeError, ValueError, KeyError) as err:
            raise CheckpointError(f"{self.path}: its optimizer, schedule, batch-order or random-generator state is "
                                  f"damaged: "
                                  f"{err}") from None


def _scheduled_settings(config: TrainConfig) -> set[str]:
    """The optimizer settings that ``config``'s schedule changes as the run goes (so a checkpoint's differ)."""
    if config.schedule == "none":
        return set()
    if config.schedule == "onecycle":
        return {"lr", "momentum", "betas"}
    return {"lr"}


def write_checkpoint(path: Path, model: nn.Module, optimizer: optim.Optimizer, shuffle: np.random.Generator,
                     config: TrainConfig, history: list[EpochMetrics], scaling: InputScaling,
                     data_digest: str, data_root: str | None = None,
                     schedule: optim.lr_scheduler.LRScheduler | None = None) -> None:
    """Everything :func:`resume` needs after ``history``'s last epoch, in one file written atomically.

    Arrays: ``model.<name>`` for weights and buffers (batch norm's running statistics),
    ``optimizer.<index>.<buffer>`` for optimizer buffers; the rest (config, metrics, the optimizer's
    param groups and step counts, the schedule's state, the batch-order and global generators' states,
    the data folder given) is JSON metadata.
    """
    arrays: dict[str, np.ndarray] = {f"model.{name}": value for name, value in model.state_dict().items()}
    opt = optimizer.state_dict()
    counts: dict[str, dict[str, int]] = {}
    for index, buffers in opt["state"].items():
        for name, value in buffers.items():
            if isinstance(value, np.ndarray):
                arrays[f"optimizer.{index}.{name}"] = value
            else:
                counts.setdefault(str(index), {})[name] = value
    metadata = {"format": CHECKPOINT_FORMAT, "config": asdict(config), "history": [asdict(m) for m in history],
                "optimizer": {"optimizer": type(optimizer).__name__, "param_groups": opt["param_groups"],
                              "counts": counts},
                "schedule": None if schedule is None else schedule.state_dict(),
                "shuffle": shuffle.bit_generator.state, "random": generator().bit_generator.state,
                "input_mean": scaling.mean, "input_std": scaling.std,
                "data_digest": data_digest, "data_root": data_root}
    save(arrays, path, metadata=metadata)


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read and check a file that :func:`write_checkpoint` wrote (or one of format 1, from before
    schedules); a CheckpointError says what is wrong."""
    path = Path(path)

    def refuse(problem: str) -> CheckpointError:
        return CheckpointError(f"{path}: {problem}")

    metadata = load_metadata(path)
    if not isinstance(metadata, dict) or metadata.get("format") not in (CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_1):
        raise refuse("not a checkpoint written by tinygrad-vn train")
    legacy = metadata["format"] == CHECKPOINT_FORMAT_1
    config = _config_from(metadata.get("config"), refuse, legacy)
    history = _history_from(metadata.get("history"), config, refuse)
    optimizer_meta, shuffle = metadata.get("optimizer"), metadata.get("shuffle")
    settings_key = "hyperparameters" if legacy else "param_groups"
    if (not isinstance(optimizer_meta, dict) or set(optimizer_meta) != {"optimizer", settings_key, "counts"}
            or not isinstance(optimizer_meta["counts"], dict) or not isinstance(optimizer_meta["optimizer"], str)):
        raise refuse("its optimizer record is missing or damaged")
    groups = optimizer_meta[settings_key]
    if (legacy and not isinstance(groups, dict)) or (not legacy and (
            not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict))):
        raise refuse("its optimizer settings are missing or damaged")
    if not isinstance(shuffle, dict) or shuffle.get("bit_generator") != "PCG64":
        raise refuse("its batch-order generator state is missing or damaged")
    random_state, schedule_state = metadata.get("random"), metadata.get("schedule")
    if not legacy and (not isinstance(random_state, dict) or random_state.get("bit_generator") != "PCG64"):
        raise refuse("its global random-generator state (dropout's masks) is missing or damaged")
    if (schedule_state is None) != (config.schedule == "none") or not (
            schedule_state is None or isinstance(schedule_state, dict)):
        raise refuse(f"its schedule state is missing or damaged (the config's schedule is {config.schedule!r})")
    mean, std, digest = metadata.get("input_mean"), metadata.get("input_std"), metadata.get("data_digest")
    if not (_is_number(mean) and _is_number(std) and math.isfinite(mean) and math.isfinite(std) and std > 0):
        raise refuse("its input scaling is missing or damaged")
    if not isinstance(digest, str):
        raise refuse("its data digest is missing")
    data_root = metadata.get("data_root")
    if data_root is not None and not isinstance(data_root, str):
        raise refuse("its data folder must be text")

    model_state: dict[str, np.ndarray] = {}
    buffers: dict[int, dict[str, Any]] = {}
    for key, array in load(path).items():
        kind, _, rest = key.partition(".")
        index, _, name = rest.partition(".")
        if kind == "model" and rest:
            model_state[rest] = array
        elif kind == "optimizer" and index.isdigit() and name:
            buffers.setdefault(int(index), {})[name] = array
        else:
            raise refuse(f"unexpected entry {key!r}")
    for index, named in optimizer_meta["counts"].items():
        if not str(index).isdigit() or not isinstance(named, dict):
            raise refuse("its optimizer step counts are damaged")
        buffers.setdefault(int(index), {}).update(named)
    if legacy:
        optimizer_state = {"optimizer": optimizer_meta["optimizer"], "hyperparameters": groups, "state": buffers}
    else:
        optimizer_state = {"state": buffers, "param_groups": groups}
    return Checkpoint(path, config, history, model_state, optimizer_meta["optimizer"], optimizer_state, shuffle,
                      InputScaling(float(mean), float(std)), digest, data_root, schedule_state,
                      random_state if not legacy else None)


def _config_from(record: Any, refuse: Callable[[str], CheckpointError], legacy: bool = False) -> TrainConfig:
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    if legacy:  # format 1 predates these fields
        names -= set(LEGACY_CONFIG)
    if not isinstance(record, dict) or set(record) != names:
        raise refuse(f"its config must have exactly the fields {', '.join(sorted(names))}")
    layers = record["layers"]
    fields = {**(LEGACY_CONFIG if legacy else {}), **record}
    config = TrainConfig(**{**fields, "layers": tuple(layers) if isinstance(layers, list) else layers})
    try:
        validate_config(config)
    except ValueError as err:
        raise refuse(f"its config is invalid: {err}") from None
    return config


def _history_from(record: Any, config: TrainConfig, refuse: Callable[[str], CheckpointError]) -> list[EpochMetrics]:
    names = list(EpochMetrics.__dataclass_fields__)
    if not isinstance(record, list) or not 1 <= len(record) <= config.epochs:
        raise refuse(f"its metrics must list 1 to {config.epochs} epochs")
    history = []
    for number, entry in enumerate(record, start=1):
        if (not isinstance(entry, dict) or set(entry) != set(names) or entry["epoch"] != number
                or not all(_is_number(entry[n]) and math.isfinite(entry[n]) for n in names)):
            raise refuse(f"its metrics for epoch {number} are damaged")
        history.append(EpochMetrics(**entry))
    return history


def _refuse_to_replace_an_unfinished_run(folder: Path) -> None:
    """A new run would overwrite ``folder``'s checkpoint: refuse when that one could still be resumed."""
    path = folder / CHECKPOINT_NAME
    if not path.exists():
        return
    try:
        checkpoint = read_checkpoint(path)
    except (CheckpointError, OSError) as err:
        raise ValueError(f"{folder} already holds a {CHECKPOINT_NAME} that cannot be read ({err}); delete it or "
                         f"choose another output folder") from None
    done, planned = len(checkpoint.history), checkpoint.config.epochs
    if done < planned:
        raise ValueError(f"{folder} holds the checkpoint of an unfinished run (epoch {done} of {planned}); resume it "
                         f"(tinygrad-vn train --resume {folder}), delete it or choose another output folder")


def _data_digest(*arrays: np.ndarray) -> str:
    """A short fingerprint of the arrays' shapes, types and bytes (the data a checkpoint belongs to)."""
    digest = hashlib.blake2b(digest_size=16)
    for array in arrays:
        digest.update(f"{array.shape} {array.dtype};".encode())
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def _check_weights_finite(model: nn.Module, epoch: int) -> None:
    for name, array in model.state_dict().items():
        if not np.isfinite(array).all():
            raise TrainingDivergedError(f"weight {name!r} became NaN or infinite in epoch {epoch}; "
                                   f"the learning rate is probably too high")


def _run(
    config: TrainConfig, folder: Path | None, checkpoint: Checkpoint | None, data_root: str | None,
    progress: bool, log: Callable[[str], None], threads: int | None,
) -> tuple[nn.Module, list[EpochMetrics]]:
    from tqdm.auto import tqdm

    with blas_threads(threads):
        x_train, y_train, x_test, y_test = load_dataset(config.dataset, data_root, config.limit_train,
                                                        config.limit_test)
        scaling = InputScaling.fit(x_train) if config.standardize else InputScaling()
        x_train, x_test = scaling(x_train), scaling(x_test)
        if x_train.shape[1] != config.layers[0]:
            raise ValueError(f"the first layer size must be {x_train.shape[1]} (pixels per image), "
                             f"got {config.layers[0]}")
        if config.batchnorm and 1 in (config.batch_size, len(x_train) % config.batch_size):
            raise ValueError(f"batch norm needs at least 2 samples in every training batch, and {len(x_train)} "
                             f"images in batches of {config.batch_size} leave one batch of 1; choose another "
                             f"batch size or --limit-train")
        digest = _data_digest(x_train, y_train, x_test, y_test)
        model, shuffle = initial_state(config)
        optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, config.momentum,
                                   config.weight_decay)
        loader = DataLoader(x_train, y_train, config.batch_size, shuffle=True, seed=shuffle)
        schedule, per_batch = make_schedule(config, optimizer, len(loader))
        history: list[EpochMetrics] = []
        if checkpoint is not None:
            checkpoint.restore(model, optimizer, shuffle, scaling, digest, schedule)
            history = list(checkpoint.history)
        log(f"{run_title(config)}: {len(x_train)} training and {len(x_test)} test images")
        if checkpoint is not None:
            left = config.epochs - len(history)
            log(f"resuming after epoch {len(history)} of {config.epochs} from {checkpoint.path}" if left else
                f"all {config.epochs} epochs are already trained ({checkpoint.path}); writing the run's files")
        kept = model.state_dict() if folder is not None else {}
        epoch = len(history) + 1
        try:
            for epoch in range(len(history) + 1, config.epochs + 1):
                with tqdm(total=loader.num_samples, desc=f"epoch {epoch}/{config.epochs}", unit="img",
                          unit_scale=True, disable=None if progress else True, leave=False) as bar:
                    start = time.perf_counter()
                    train_loss = train_epoch(model, loader, optimizer, RunningLoss(bar), epoch=epoch,
                                             schedule=schedule if per_batch else None)
                    seconds = time.perf_counter() - start
                if schedule is not None and not per_batch:
                    schedule.step()
                _check_weights_finite(model, epoch)
                result = evaluate(model, x_test, y_test)
                metrics = EpochMetrics(epoch, train_loss, result.loss, result.accuracy, seconds,
                                       loader.num_samples / seconds)
                with _sigint_deferred():
                    if folder is not None:
                        write_checkpoint(folder / CHECKPOINT_NAME, model, optimizer, shuffle, config,
                                         [*history, metrics], scaling, digest, data_root, schedule)
                        kept = model.state_dict()
                    history.append(metrics)
                log(f"epoch {epoch}/{config.epochs}  train loss {train_loss:.4f}  test loss {result.loss:.4f}  "
                    f"test accuracy {result.accuracy:.2%}  ({seconds:.1f} s, {metrics.samples_per_second:,.0f} img/s)")
        except KeyboardInterrupt:
            written = _keep_completed(model, kept, history, config, folder, scaling, "interrupted")
            when = f"in epoch {epoch}" if epoch > len(history) else f"after epoch {epoch}"
            raise TrainingInterrupted(f"interrupted {when} of {config.epochs}; {written}", epoch,
                                      len(history), folder, _kept_names(folder, history)) from None
        except TrainingDivergedError as err:
            written = _keep_completed(model, kept, history, config, folder, scaling, "diverged")
            raise TrainingDivergedError(f"{err}; training stopped, {written}") from None
    if folder is not None:
        with _sigint_deferred(reraise=False):  # every epoch is trained: finish writing, then stop
            write_run(model, history, config, folder, log, scaling)
    return model, history


def initial_state(config: TrainConfig) -> tuple[nn.Module, np.random.Generator]:
    """The model a run starts from and the generator its batch order is drawn from, both from ``config.seed``.

    ``tg.manual_seed(seed)`` is called first, so the global generator (which dropout then draws its
    masks from) starts from the seed too. The batch-order generator goes to the DataLoader as its seed
    (``np.random.default_rng`` returns a Generator unchanged), so the loader draws each epoch's order
    from it and a checkpoint can keep its state.
    """
    manual_seed(config.seed)
    model = build_model(config.layers, config.activation, config.dropout, config.batchnorm)
    return model, np.random.default_rng(config.seed)


def _kept_names(folder: Path | None, history: list[EpochMetrics]) -> list[str]:
    if folder is None or not history:
        return []
    return sorted(p.name for p in folder.iterdir() if p.name in RUN_FILES)


def _keep_completed(model: nn.Module, kept: dict[str, np.ndarray], history: list[EpochMetrics],
                    config: TrainConfig, folder: Path | None, scaling: InputScaling, status: str) -> str:
    """Write the last completed epoch's model and metrics (marked ``status``); says what was kept."""
    if folder is None:
        return "nothing was written (no output folder)"
    if not history:
        return "no epoch had completed, so nothing was kept"
    model.load_state_dict(kept)
    with _sigint_deferred(reraise=False):
        write_run(model, history, config, folder, lambda line: None, scaling, status)
    names = ", ".join(_kept_names(folder, history))
    return f"kept epoch {len(history)} in {folder} ({names})"


def write_run(model: nn.Module, history: list[EpochMetrics], config: TrainConfig, out: Path,
              log: Callable[[str], None] = print, scaling: InputScaling = InputScaling(),
              status: str = "finished") -> list[Path]:
    """Write ``model.npz``, ``metrics.json``/``metrics.csv`` (marked ``status``) and ``curves.png`` (when
    matplotlib is there); returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    save_model(model, out / "model.npz", config, scaling)
    json_path, csv_path = write_metrics(history, config, out, status)
    written = [out / "model.npz", json_path, csv_path]
    if plot_history(history, out / "curves.png", run_title(config)):
        written.append(out / "curves.png")
    else:
        log("matplotlib is not installed, so no plot was drawn (pip install 'tinygrad-vn[plot]')")
    log("wrote " + ", ".join(str(p) for p in written))
    return written
