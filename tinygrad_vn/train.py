"""Train and evaluate MLP classifiers on MNIST-style data: the library behind ``tinygrad-vn train``/``eval``.

``fit(config)`` is the whole recipe: load the data, build the model, run epochs of mini-batch
training with a progress bar, evaluate after each epoch, and (given ``out``) write the model, the
metrics and a plot. Every random choice (initial weights, batch order) comes from ``config.seed``,
so the same config gives the same numbers bit for bit on the same machine.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import functional as F
from . import nn, optim
from .autograd import no_grad
from .compile import compile as compile_step
from .data.loader import DataLoader
from .data.mnist import load_mnist
from .factories import manual_seed
from .serialization import load, load_metadata, save
from .tensor import Tensor

MODEL_FORMAT = "tinygrad_vn.mlp/1"
OPTIMIZERS = ("adam", "sgd")
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                      "Ankle boot"),
}


@dataclass
class TrainConfig:
    """Everything that decides a training run (and so its results)."""

    dataset: str = "mnist"
    layers: tuple[int, ...] = (784, 128, 10)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    epochs: int = 3
    batch_size: int = 128
    seed: int = 0
    limit_train: int | None = None
    limit_test: int | None = None
    standardize: bool = False


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
    """Flattened, scaled ``(x_train, y_train, x_test, y_test)``, optionally cut to their first samples."""
    x_train, y_train, x_test, y_test = load_mnist(root, kind=dataset)
    return (flatten_images(x_train[:limit_train]), y_train[:limit_train],
            flatten_images(x_test[:limit_test]), y_test[:limit_test])


def build_model(layers: Iterable[int], activation: str = "relu") -> nn.Module:
    """Linear layers of the given sizes with ``activation`` between them; the output gives logits."""
    return nn.mlp(list(layers), activation=activation)


def make_optimizer(name: str, params: list[Tensor], lr: float, momentum: float = 0.9) -> optim.Optimizer:
    """``adam`` (betas 0.9, 0.999) or ``sgd`` (with ``momentum``) over ``params``."""
    if name == "adam":
        return optim.Adam(params, lr=lr)
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


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
) -> float:
    """One pass over ``loader``; returns the mean training loss over its samples.

    The step is ``tg.compile``d: recorded on the first batch of each shape, replayed for the others
    (the same numbers as running it eagerly). ``on_batch(batch_size, loss)`` is called after every
    step (the progress bar uses it).
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
    for x_batch, y_batch in loader:
        batch_loss = step(x_batch, y_batch).item()
        total_loss += batch_loss * len(y_batch)
        seen += len(y_batch)
        if on_batch is not None:
            on_batch(len(y_batch), batch_loss)
    return total_loss / max(seen, 1)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 2000) -> Evaluation:
    """Mean cross-entropy, accuracy and predictions on ``(x, y)``, without recording a graph."""
    model.eval()
    total_loss, predictions = 0.0, []
    with no_grad():
        for start in range(0, len(x), batch_size):
            logits = model(Tensor(x[start : start + batch_size]))
            labels = y[start : start + batch_size]
            total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            predictions.append(logits.data.argmax(axis=1))
    predicted = np.concatenate(predictions) if predictions else np.zeros(0, dtype=np.int64)
    accuracy = float((predicted == y).mean()) if len(y) else float("nan")
    return Evaluation(loss=total_loss / max(len(y), 1), accuracy=accuracy, predictions=predicted)


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
                "dataset": config.dataset, "input": "flattened pixels / 255, then (x - input_mean) / input_std",
                "input_mean": scaling.mean, "input_std": scaling.std}
    save(model.state_dict(), path, metadata=metadata)


def input_scaling(metadata: dict[str, Any]) -> InputScaling:
    """The scaling a saved model was trained with (models saved before it was recorded used pixels / 255)."""
    return InputScaling(float(metadata.get("input_mean", 0.0)), float(metadata.get("input_std", 1.0)))


def load_model(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model that :func:`save_model` wrote; returns it with its metadata."""
    metadata = load_metadata(path)
    if metadata.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: not a model saved by tinygrad-vn train (format {metadata.get('format')!r}, "
                         f"expected {MODEL_FORMAT!r})")
    model = build_model(metadata["layers"], metadata["activation"])
    model.load_state_dict(load(path))
    return model, metadata


def write_metrics(history: list[EpochMetrics], config: TrainConfig, out: Path) -> tuple[Path, Path]:
    """``metrics.json`` (config and every epoch) and ``metrics.csv`` (one row per epoch) in ``out``."""
    json_path, csv_path = out / "metrics.json", out / "metrics.csv"
    json_path.write_text(json.dumps({"config": asdict(config), "epochs": [asdict(m) for m in history]},
                                    indent=2) + "\n")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(EpochMetrics.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(m) for m in history)
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
    layers = "-".join(str(n) for n in config.layers)
    inputs = ", standardised inputs" if config.standardize else ""
    return (f"{config.dataset} {layers} {config.activation}, {config.optimizer} lr {config.lr:g}, "
            f"batch {config.batch_size}, seed {config.seed}{inputs}")


def fit(
    config: TrainConfig,
    out: str | Path | None = None,
    data_root: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
    threads: int | None = 1,
) -> tuple[nn.Module, list[EpochMetrics]]:
    """Train as ``config`` says, logging each epoch; with ``out``, write model, metrics and plot there.

    ``threads`` caps the BLAS threads while training and evaluating (see :func:`blas_threads`).
    """
    with blas_threads(threads):
        model, history, scaling = _fit(config, data_root, progress, log)
    if out is not None:
        write_run(model, history, config, Path(out), log, scaling)
    return model, history


class RunningLoss:
    """Advances a progress bar by each batch and shows the mean loss of the epoch so far."""

    def __init__(self, bar: Any) -> None:
        self.bar, self.total, self.seen = bar, 0.0, 0

    def __call__(self, size: int, loss: float) -> None:
        self.total += loss * size
        self.seen += size
        self.bar.update(size)
        self.bar.set_postfix(loss=f"{self.total / self.seen:.4f}", refresh=False)


def _fit(
    config: TrainConfig, data_root: str | None, progress: bool, log: Callable[[str], None]
) -> tuple[nn.Module, list[EpochMetrics], InputScaling]:
    from tqdm.auto import tqdm

    x_train, y_train, x_test, y_test = load_dataset(config.dataset, data_root, config.limit_train,
                                                    config.limit_test)
    scaling = InputScaling.fit(x_train) if config.standardize else InputScaling()
    x_train, x_test = scaling(x_train), scaling(x_test)
    if x_train.shape[1] != config.layers[0]:
        raise ValueError(f"the first layer size must be {x_train.shape[1]} (pixels per image), got {config.layers[0]}")
    manual_seed(config.seed)
    model = build_model(config.layers, config.activation)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, config.momentum)
    loader = DataLoader(x_train, y_train, config.batch_size, shuffle=True, seed=config.seed)
    log(f"{run_title(config)}: {len(x_train)} training and {len(x_test)} test images")
    history: list[EpochMetrics] = []
    for epoch in range(1, config.epochs + 1):
        with tqdm(total=loader.num_samples, desc=f"epoch {epoch}/{config.epochs}", unit="img", unit_scale=True,
                  disable=None if progress else True, leave=False) as bar:
            start = time.perf_counter()
            train_loss = train_epoch(model, loader, optimizer, RunningLoss(bar))
            seconds = time.perf_counter() - start
        result = evaluate(model, x_test, y_test)
        metrics = EpochMetrics(epoch, train_loss, result.loss, result.accuracy, seconds,
                               loader.num_samples / seconds)
        history.append(metrics)
        log(f"epoch {epoch}/{config.epochs}  train loss {train_loss:.4f}  test loss {result.loss:.4f}  "
            f"test accuracy {result.accuracy:.2%}  ({seconds:.1f} s, {metrics.samples_per_second:,.0f} img/s)")
    return model, history, scaling


def write_run(model: nn.Module, history: list[EpochMetrics], config: TrainConfig, out: Path,
              log: Callable[[str], None] = print, scaling: InputScaling = InputScaling()) -> None:
    """Write ``model.npz``, ``metrics.json``/``metrics.csv`` and ``curves.png`` (when matplotlib is there)."""
    out.mkdir(parents=True, exist_ok=True)
    save_model(model, out / "model.npz", config, scaling)
    json_path, csv_path = write_metrics(history, config, out)
    written = [out / "model.npz", json_path, csv_path]
    if plot_history(history, out / "curves.png", run_title(config)):
        written.append(out / "curves.png")
    else:
        log("matplotlib is not installed, so no plot was drawn (pip install 'tinygrad-vn[plot]')")
    log("wrote " + ", ".join(str(p) for p in written))
