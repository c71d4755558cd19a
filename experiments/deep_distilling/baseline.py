"""The gradient-trained comparison: a small multilayer perceptron on the same training set."""

from __future__ import annotations

import numpy as np


def train_mlp(x: np.ndarray, y: np.ndarray, hidden: int, epochs: int, seed: int) -> object:
    """An input-hidden-classes ReLU network trained with Adam on cross-entropy (full batch)."""
    import torch

    # A network this small trains fastest on one thread; more only contend for the cores.
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    inputs = torch.as_tensor(x.reshape(len(x), -1), dtype=torch.float32)
    targets = torch.as_tensor(y, dtype=torch.long)
    model = torch.nn.Sequential(
        torch.nn.Linear(inputs.shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, int(y.max()) + 1),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    return model.eval()


def mlp_predict(model: object, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        inputs = torch.as_tensor(x.reshape(len(x), -1), dtype=torch.float32)
        logits = model(inputs)  # type: ignore[operator]
    predictions: np.ndarray = logits.argmax(dim=1).numpy()
    return predictions
