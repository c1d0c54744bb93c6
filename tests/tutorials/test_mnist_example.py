"""Port of pytorch/examples' ``mnist/main.py`` training loop, with an MLP in place of its CNN.

Kept from the example: ``Net`` ending in ``F.log_softmax(x, dim=1)``, ``torch.flatten(x, 1)``, ``nn.Dropout``,
``train()`` with ``F.nll_loss`` and its log line, ``test()`` summing ``F.nll_loss(..., reduction='sum')`` and
counting ``pred.eq(target.view_as(pred)).sum().item()``, ``torch.manual_seed``, ``torch.utils.data.DataLoader``
with the example's batch sizes (64 for training, 1000 for testing; no shuffling on the CPU, as there),
the optimizer, the ``StepLR`` schedule stepped once per epoch, and ``torch.save(model.state_dict(), ...)``.

Only the imports change, and three stand-ins: the MLP (784-128-10 with dropout 0.5 before its last layer) for
the CNN; a small synthetic MNIST-shaped set (1x28x28 images, already normalized, 640 to train and 320 to test)
for ``datasets.MNIST``; an ``argparse.Namespace`` for the command line. The optimizer is the example's
``optim.Adadelta(lr=1.0)`` with ``StepLR(step_size=1, gamma=0.7)``. Dropout draws differ between the libraries,
so the side-by-side run sets p = 0 (the layers stay in the model and in training mode).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from porting import load_state, state_of

import tinygrad_vn as torch
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim

LEARNING_RATE = 1.0


def mlp_net(torch: Any, nn: Any, F: Any, p: float) -> type:
    """The example's ``Net``, with two Linear layers instead of two convolutions and one Linear."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.dropout = nn.Dropout(p)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output

    return Net


def train(args, model, device, train_loader, optimizer, epoch, F):
    """The example's ``train``: one epoch, logging every ``log_interval`` batches."""
    model.train()
    losses = []
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(  # noqa: UP032 (the example's text)
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
            if args.dry_run:
                break
    return losses


def test(model, device, test_loader, torch, F):
    """The example's ``test``: the summed loss per example and the count of correct predictions."""
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(  # noqa: UP032 (the example's text)
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))
    return test_loss, correct


test.__test__ = False  # the example's name, not a pytest test


def mnist_like(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` normalized 1x28x28 float32 images of ten classes (a stroke-like pattern each, plus noise)."""
    patterns = np.random.default_rng(7).random((10, 28, 28)) < 0.2
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    pixels = patterns[labels] * 0.8 + rng.random((count, 28, 28)) * 0.4
    return ((pixels - 0.1307) / 0.3081).astype(np.float32)[:, None], labels.astype(np.int64)


def main(torch: Any, nn: Any, F: Any, optim: Any, args: argparse.Namespace,
         start: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The example's ``main`` after its argument parsing; ``start`` (the side-by-side run) fixes the weights."""
    torch.manual_seed(args.seed)
    device = torch.device("cpu")

    train_kwargs = {'batch_size': args.batch_size}
    test_kwargs = {'batch_size': args.test_batch_size}

    dataset1 = torch.utils.data.TensorDataset(*(torch.from_numpy(a) for a in mnist_like(640, seed=1)))
    dataset2 = torch.utils.data.TensorDataset(*(torch.from_numpy(a) for a in mnist_like(320, seed=2)))
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = mlp_net(torch, nn, F, args.dropout)().to(device)
    if start is not None:
        load_state(model, start)
    initial = state_of(model)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=args.gamma)
    losses, results = [], [test(model, device, test_loader, torch, F)]
    for epoch in range(1, args.epochs + 1):
        losses += train(args, model, device, train_loader, optimizer, epoch, F)
        results.append(test(model, device, test_loader, torch, F))
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), args.save_path)
    return {"initial": initial, "losses": losses, "results": results, "final": state_of(model),
            "lr": optimizer.param_groups[0]["lr"]}


def arguments(**changes: Any) -> argparse.Namespace:
    """The example's command-line defaults, but for 3 epochs and no saving; ``changes`` override them."""
    defaults = {"batch_size": 64, "test_batch_size": 1000, "epochs": 3, "lr": LEARNING_RATE, "gamma": 0.7,
                "no_accel": True, "dry_run": False, "seed": 1, "log_interval": 10, "save_model": False,
                "save_path": None, "dropout": 0.5}
    return argparse.Namespace(**{**defaults, **changes})


def test_the_mlp_learns_and_its_state_saves(tmp_path: Any) -> None:
    args = arguments(save_model=True, save_path=str(tmp_path / "mnist_mlp.npz"))
    run = main(torch, nn, F, optim, args)
    (loss_before, _), (loss_after, correct) = run["results"][0], run["results"][-1]
    assert loss_after < loss_before / 4
    assert correct / 320 > 0.9
    saved = torch.load(args.save_path)
    assert sorted(saved) == ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]
    np.testing.assert_array_equal(saved["fc2.weight"], run["final"]["fc2.weight"])
    np.testing.assert_allclose(run["lr"], LEARNING_RATE * 0.7 ** 3, rtol=1e-12)


def test_dropout_is_on_in_training_and_off_in_testing() -> None:
    torch.manual_seed(0)
    model = mlp_net(torch, nn, F, 0.5)()
    x = torch.randn(8, 1, 28, 28)
    model.train()
    assert not np.array_equal(model(x).numpy(), model(x).numpy())
    model.eval()
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())


def test_pytorch_from_the_same_weights_gives_the_same_losses(pytorch: Any) -> None:
    args = arguments(epochs=2, dropout=0.0)
    ours = main(torch, nn, F, optim, args)
    theirs = main(pytorch, pytorch.nn, pytorch.nn.functional, pytorch.optim, args, start=ours["initial"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours["results"], theirs["results"], rtol=1e-4, atol=1e-6)
    for name, value in ours["final"].items():
        np.testing.assert_allclose(value, theirs["final"][name], rtol=1e-3, atol=1e-5, err_msg=name)
