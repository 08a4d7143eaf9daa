"""`edgeft pretrain`: train a built-in model's base weights in PyTorch.

    edgeft pretrain lenet5 --data fmnist --epochs 3

Adam (lr 1e-3), batch 64, on the upright train split; reports the test
accuracy and writes the weights to
python/edgeft/frontend/weights/<model>-<data>.npz, which `edgeft import`
loads by default for that model (see frontend/models).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeft.frontend import data as datasets
from edgeft.frontend import models
from edgeft.ir.errors import UserError


@dataclass
class Pretrained:
    """The weights file a pretraining wrote, the test accuracy it reached and its time."""

    path: Path
    test_accuracy: float
    seconds: float


def pretrain(model: str, spec: str = "fmnist", epochs: int = 3, batch: int = 64,
             lr: float = 1e-3, seed: int = 0, output: Path | None = None,
             progress: bool = True) -> Pretrained:
    """Train a built-in model on the upright train split with Adam; write its weights."""
    import torch
    from tqdm import tqdm

    if model not in models.BUILTIN:
        known = ", ".join(sorted(models.BUILTIN))
        raise UserError(f"unknown model '{model}' (built-in models: {known})")
    parsed = datasets.parse_spec(spec)
    if parsed.rotation:
        raise UserError("pretrain on upright data; the rotation is the drift to fine-tune on")
    train, test = datasets.load(parsed, "train"), datasets.load(parsed, "test")
    net = models.build(model, 1, seed, pretrained=False).train()
    shape = list(models.BUILTIN[model].sample_shape(1))
    x_train = torch.from_numpy(datasets.fit_to(train.images, shape))
    y_train = torch.from_numpy(train.labels)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(len(y_train), generator=generator)
        bar = tqdm(range(0, len(order), batch), desc=f"epoch {epoch + 1}/{epochs}",
                   disable=None if progress else True, leave=False)
        for i in bar:
            index = order[i:i + batch]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x_train[index]), y_train[index])
            loss.backward()
            optimizer.step()
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        x_test = torch.from_numpy(datasets.fit_to(test.images, shape))
        predicted = torch.cat([net(x_test[i:i + 500]).argmax(1)
                               for i in range(0, len(x_test), 500)])
    accuracy = float((predicted.numpy() == test.labels).mean())
    path = output or models.weights_path(model, parsed.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{n: p.detach().numpy() for n, p in net.state_dict().items()})
    return Pretrained(path, accuracy, seconds)
