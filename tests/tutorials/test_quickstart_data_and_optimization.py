"""Port of the quickstart tutorials "Datasets & DataLoaders", "Transforms" and "Optimizing Model Parameters".

A ``Dataset`` subclass with ``__len__`` and ``__getitem__`` (the tutorial's ``CustomImageDataset``), a
``DataLoader`` batching it, ``next(iter(train_dataloader))``, the one-hot ``target_transform`` built with
``scatter_(0, torch.tensor(y), value=1)``, then the tutorial's ``train_loop`` / ``test_loop`` (``model.train()``,
``model.eval()``, ``torch.no_grad()``, ``nn.CrossEntropyLoss()``, ``torch.optim.SGD``, accuracy from
``(pred.argmax(1) == y).type(torch.float).sum().item()``).

Only the imports change, and the data: FashionMNIST is not downloaded here, so the dataset reads 28x28 uint8
images from memory (a small synthetic set, ten noisy class patterns) instead of from image files, and
``to_tensor`` stands in for torchvision's ``ToTensor`` (uint8 HxW to float 1xHxW in [0, 1]). The tutorial trains
10 epochs on 60000 images; 3 epochs on 512 keep the test fast. Its batch size (64) is kept, but its
learning rate of 1e-3, made for 9380 steps, barely moves the loss in 24, so the port uses 1e-1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from porting import load_state, state_of
from test_quickstart_build_model import neural_network

import tinygrad_vn as torch
from tinygrad_vn import nn
from tinygrad_vn.utils.data import DataLoader, Dataset


def fashion_like_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` 28x28 uint8 images of ten classes (a fixed bright pattern per class, plus noise), and labels."""
    patterns = np.random.default_rng(2024).random((10, 28, 28)) < 0.3
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    images = patterns[labels] * 200.0 + rng.random((count, 28, 28)) * 55.0
    return images.astype(np.uint8), labels


def image_dataset_class(torch: Any, Dataset: Any) -> type:
    """The tutorial's ``CustomImageDataset``, reading from arrays in memory instead of an annotations file."""

    class CustomImageDataset(Dataset):
        def __init__(self, images, labels, transform=None, target_transform=None):
            self.img_labels = labels
            self.images = images
            self.transform = transform
            self.target_transform = target_transform

        def __len__(self):
            return len(self.img_labels)

        def __getitem__(self, idx):
            image = self.images[idx]
            label = int(self.img_labels[idx])
            if self.transform:
                image = self.transform(image)
            if self.target_transform:
                label = self.target_transform(label)
            return image, label

    return CustomImageDataset


def to_tensor(torch: Any) -> Any:
    """torchvision's ``ToTensor`` for a uint8 grey image: float32 of shape (1, H, W), scaled into [0, 1]."""
    return lambda image: torch.tensor(image, dtype=torch.float).unsqueeze(0) / 255


def datasets_and_loaders(torch: Any, DataLoader: Any, Dataset: Any) -> dict[str, Any]:
    """The "Datasets & DataLoaders" and "Transforms" tutorials' steps on the synthetic images."""
    CustomImageDataset = image_dataset_class(torch, Dataset)
    images, labels = fashion_like_images(200, seed=0)
    one_hot = lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)  # noqa: E731
    training_data = CustomImageDataset(images, labels, transform=to_tensor(torch), target_transform=one_hot)

    train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
    # Display image and label.
    train_features, train_labels = next(iter(train_dataloader))
    print(f"Feature batch shape: {train_features.size()}")
    print(f"Labels batch shape: {train_labels.size()}")
    img = train_features[0].squeeze()
    label = train_labels[0]
    print(f"Label: {label}")
    return {"features": (tuple(train_features.size()), train_features.dtype), "labels": tuple(train_labels.size()),
            "img": tuple(img.shape), "one_hot_rows": train_labels.sum(1).tolist(), "batches": len(train_dataloader),
            "size": len(train_dataloader.dataset), "in_unit_range": bool((train_features <= 1).all())}


def test_the_dataset_and_loader_give_one_hot_batches() -> None:
    torch.manual_seed(0)
    run = datasets_and_loaders(torch, DataLoader, Dataset)
    assert run["features"] == ((64, 1, 28, 28), torch.float32)
    assert run["labels"] == (64, 10) and run["one_hot_rows"] == [1.0] * 64
    assert run["img"] == (28, 28) and run["in_unit_range"]
    assert (run["batches"], run["size"]) == (4, 200)


def test_pytorch_batches_the_same_dataset_to_the_same_shapes(pytorch: Any) -> None:
    ours = datasets_and_loaders(torch, DataLoader, Dataset)
    theirs = datasets_and_loaders(pytorch, pytorch.utils.data.DataLoader, pytorch.utils.data.Dataset)
    theirs["features"] = (theirs["features"][0], torch.float32)  # a torch dtype there, a NumPy one here
    assert ours == theirs


def train_loop(dataloader, model, loss_fn, optimizer, batch_size, torch):
    """The tutorial's training loop over one epoch (``torch`` only for symmetry with ``test_loop``)."""
    size = len(dataloader.dataset)
    # Set the model to training mode - important for batch normalization and dropout layers
    model.train()
    losses = []
    for batch, (X, y) in enumerate(dataloader):
        # Compute prediction and loss
        pred = model(X)
        loss = loss_fn(pred, y)

        # Backpropagation
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        losses.append(loss.item())
        if batch % 100 == 0:
            loss, current = loss.item(), batch * batch_size + len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")
    return losses


def test_loop(dataloader, model, loss_fn, torch):
    """The tutorial's evaluation loop: the average loss and the accuracy, without recording a graph."""
    # Set the model to evaluation mode - important for batch normalization and dropout layers
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0

    # Evaluating under torch.no_grad() records no graph and computes no gradients.
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()

    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return test_loss, correct


test_loop.__test__ = False  # the tutorial's name, not a pytest test


def optimization(torch: Any, nn: Any, DataLoader: Any, Dataset: Any, epochs: int,
                 start: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The "Optimizing Model Parameters" tutorial's full script; ``start`` (the side-by-side run) fixes the weights."""
    CustomImageDataset = image_dataset_class(torch, Dataset)
    training_data = CustomImageDataset(*fashion_like_images(512, seed=1), transform=to_tensor(torch))
    test_data = CustomImageDataset(*fashion_like_images(160, seed=2), transform=to_tensor(torch))
    train_dataloader = DataLoader(training_data, batch_size=64)
    test_dataloader = DataLoader(test_data, batch_size=64)

    model = neural_network(nn)()
    if start is not None:
        load_state(model, start)
    initial = state_of(model)

    learning_rate = 1e-1  # the tutorial's 1e-3 needs its 9380 steps; these are 24
    batch_size = 64

    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    before = test_loop(test_dataloader, model, loss_fn, torch)
    train_losses, results = [], []
    for t in range(epochs):
        print(f"Epoch {t+1}\n-------------------------------")
        train_losses += train_loop(train_dataloader, model, loss_fn, optimizer, batch_size, torch)
        results.append(test_loop(test_dataloader, model, loss_fn, torch))
    print("Done!")
    return {"initial": initial, "before": before, "train_losses": train_losses, "results": results,
            "final": state_of(model)}


def test_the_loops_train_the_network() -> None:
    torch.manual_seed(0)
    run = optimization(torch, nn, DataLoader, Dataset, epochs=3)
    (loss_before, _), (loss_after, accuracy) = run["before"], run["results"][-1]
    assert loss_after < loss_before / 2
    assert accuracy > 0.9


def test_pytorch_from_the_same_weights_trains_to_the_same_place(pytorch: Any) -> None:
    torch.manual_seed(1)
    tg_run = optimization(torch, nn, DataLoader, Dataset, epochs=1)
    torch_run = optimization(pytorch, pytorch.nn, pytorch.utils.data.DataLoader, pytorch.utils.data.Dataset, epochs=1,
                             start=tg_run["initial"])
    np.testing.assert_allclose(tg_run["train_losses"], torch_run["train_losses"], rtol=1e-4)
    np.testing.assert_allclose(tg_run["results"], torch_run["results"], rtol=1e-4)
    for name, value in tg_run["final"].items():
        np.testing.assert_allclose(value, torch_run["final"][name], rtol=1e-3, atol=1e-6, err_msg=name)
