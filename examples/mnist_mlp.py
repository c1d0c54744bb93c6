"""Train a 784-128-10 MLP on MNIST with tinygrad_vn, written the way a PyTorch user would.

    python examples/mnist_mlp.py            # 3 epochs of Adam: about 96.4% test accuracy

The data comes from $TINYGRAD_VN_DATA/mnist/ or the user cache (downloaded the first time).
The same run, with a progress bar, metrics and a plot, is ``tinygrad-vn train``.
"""

import numpy as np

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn, optim
from tinygrad_vn.data import DataLoader, load_mnist

EPOCHS = 3

tg.manual_seed(0)
tg.set_num_threads(1)  # these matrices are small: one BLAS thread is as fast, and far faster on a busy machine

x_train, y_train, x_test, y_test = load_mnist()
x_train = x_train.reshape(-1, 784).astype(np.float32) / 255
x_test = x_test.reshape(-1, 784).astype(np.float32) / 255

model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = optim.Adam(model.parameters(), lr=1e-3)
train_loader = DataLoader(x_train, y_train, batch_size=128, shuffle=True, seed=0)

for epoch in range(1, EPOCHS + 1):
    model.train()
    for images, labels in train_loader:
        logits = model(Tensor(images))
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.eval()
    with tg.no_grad():
        test_logits = model(Tensor(x_test))
        test_loss = F.cross_entropy(test_logits, y_test).item()
    accuracy = (test_logits.argmax(axis=1).numpy() == y_test).mean()
    print(f"epoch {epoch}: last batch loss {loss.item():.4f}, test loss {test_loss:.4f}, test accuracy {accuracy:.2%}")

tg.save(model.state_dict(), "mnist_mlp.npz")
print("saved the weights to mnist_mlp.npz; load them with model.load_state_dict(tg.load('mnist_mlp.npz'))")
