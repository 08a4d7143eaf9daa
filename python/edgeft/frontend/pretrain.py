"""`edgeft pretrain`: train a built-in model's base weights in PyTorch.

    edgeft pretrain lenet5 --data fmnist --epochs 3

Adam (lr 1e-3), batch 64, on the upright train split; reports the test
accuracy and writes the weights to `-o FILE`, by default
$EDGEFT_CACHE_DIR/weights/<model>-<data>.npz (EDGEFT_CACHE_DIR defaults to
~/.cache/edgeft), never into the installed package. `edgeft import` keeps
loading the packaged weights (frontend/weights/, see frontend/models), so an
import depends on the command alone: pretrained weights reach the package
only when a maintainer writes them there with -o and commits them.
"""

from __future__ import annotations

import os
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
    if epochs < 0:
        raise UserError(f"--epochs must be at least 0, got {epochs}")
    parsed = datasets.parse_spec(spec)
    if parsed.rotation:
        raise UserError("pretrain on upright data; the rotation is the drift to fine-tune on")
    path = output or user_weights_path(model, parsed.name)
    _make_parent(path)
    train, test = datasets.load(parsed, "train"), datasets.load(parsed, "test")
    net = models.build(model, 1, seed, pretrained=False).train()
    shape = list(models.BUILTIN[model].sample_shape(1))
    x_train = torch.from_numpy(datasets.fit_to(train.images, shape))
    y_train = torch.from_numpy(train.labels)
    with torch.no_grad():
        classes = net.eval()(x_train[:1]).shape[1]
    net.train()
    datasets.check_labels(train, classes)
    datasets.check_labels(test, classes)
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
    try:
        with open(path, "wb") as f:  # a file object: np.savez would add .npz to a bare name
            np.savez(f, **{n: p.detach().numpy() for n, p in net.state_dict().items()})
    except OSError as e:
        raise UserError(f"cannot write the weights to '{path}': {e.strerror}") from None
    return Pretrained(path, accuracy, seconds)


def user_weights_path(model: str, data: str) -> Path:
    """Where `edgeft pretrain` writes by default: $EDGEFT_CACHE_DIR/weights/<model>-<data>.npz,
    EDGEFT_CACHE_DIR defaulting to the user cache (~/.cache/edgeft), as for kernel
    measurements."""
    env = os.environ.get("EDGEFT_CACHE_DIR")
    base = Path(env) if env else \
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "edgeft"
    return base / "weights" / f"{model}-{data}.npz"


def _make_parent(path: Path) -> None:
    """The directory of `path`, made before training so that a bad -o fails at once."""
    blocking = next((d for d in path.parents if d.exists() and not d.is_dir()), None)
    if blocking is not None:
        raise UserError(f"cannot write the weights to '{path}': '{blocking}' is a file, "
                        "not a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot write the weights to '{path}': cannot create "
                        f"'{path.parent}' ({e.strerror})") from None
    if path.is_dir():
        raise UserError(f"cannot write the weights to '{path}': it is a directory")
