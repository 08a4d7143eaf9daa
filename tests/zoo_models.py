"""The model zoo: networks edge users bring, at small shapes, and how to run one
SGD step of one compiled to C against PyTorch.

Two kinds of entries: edgeft's built-in models (METHODS.md) shrunk to a
few channels, and networks assembled from torch.nn's own building blocks
(BatchNorm, GroupNorm, LayerNorm, depthwise and grouped convolutions,
channel shuffle, SiLU/Hardswish/Hardsigmoid/GELU-tanh, average pooling,
nearest upsampling, MultiheadAttention, TransformerEncoderLayer). Each
entry names the strategies it is checked under: ft-all, ft-last, lora-all
and skip-lora for CNNs and MLPs; ft-k and lora-k for transformers.

    case = compile_case("bn_mlp", "ft-all", build_dir)   # C program + PyTorch twin
    check_steps(case.pair, [(case.x, case.y)])            # tests/training_harness.py

tests/test_zoo.py runs every (model, strategy) pair; tools/bench/zoo.py runs
the same cases and writes the table of docs/models.md.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch_mlir import ir
from training_harness import LR, Pair, reference_of

import edgeft.target
from edgeft import pipelines
from edgeft.backends.host import HostProgram
from edgeft.codegen import cwriter
from edgeft.driver.compiler import lower
from edgeft.frontend.importer import ImportedModel, import_model_full
from edgeft.frontend.models.autoencoder import Autoencoder
from edgeft.frontend.models.cct import CCT
from edgeft.frontend.models.dscnn import DSCNN
from edgeft.frontend.models.lenet5 import LeNet5
from edgeft.frontend.models.mobilenet_v1 import MobileNetV1
from edgeft.frontend.models.mobilenet_v2 import MobileNetV2
from edgeft.frontend.models.resnet8 import ResNet8
from edgeft.ir import diagnostics
from edgeft.ir.errors import UserError
from edgeft.ir.graph import clone_module, globals_of
from edgeft.passes.registry import build_pass_manager

BATCH = 2
SEED = 0
CNN = ("ft-all", "ft-last", "lora-all", "skip-lora")
TRANSFORMER = ("ft-all", "ft-last", "ft-1", "lora-1", "skip-lora")


@dataclass(frozen=True)
class ZooModel:
    """A zoo entry: a factory (seeded by the caller), one sample's shape, the loss
    and the strategies it is checked under."""

    build: Callable[[], nn.Module]
    sample_shape: tuple[int, ...]
    strategies: tuple[str, ...] = CNN
    loss: str = "cross-entropy"
    description: str = ""


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: (B, g*c, H, W) -> view (B, g, c) -> transpose -> flatten."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        x = x.reshape(b, self.groups, c // self.groups, h, w).transpose(1, 2)
        return x.reshape(b, c, h, w)


class ShuffleUnit(nn.Module):
    """A ShuffleNet-v2-style unit: split the channels in two (chunk), keep one half,
    run grouped 1x1 -> depthwise 3x3 -> 1x1 with BatchNorm on the other, concat
    and shuffle."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        half = channels // 2
        self.pw1 = nn.Conv2d(half, half, 1, groups=2, bias=False)
        self.bn1 = nn.BatchNorm2d(half)
        self.dw = nn.Conv2d(half, half, 3, padding=1, groups=half, bias=False)
        self.bn2 = nn.BatchNorm2d(half)
        self.pw2 = nn.Conv2d(half, half, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(half)
        self.shuffle = ChannelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        keep, work = x.chunk(2, dim=1)
        work = F.relu(self.bn1(self.pw1(work)))
        work = self.bn2(self.dw(work))
        work = F.relu(self.bn3(self.pw2(work)))
        return self.shuffle(torch.cat([keep, work], dim=1))


class ShuffleNet(nn.Module):
    """conv 3x3/2 -> two shuffle units -> global mean -> fc."""

    def __init__(self, channels: int = 8, n_classes: int = 4) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, channels, 3, stride=2, padding=1)
        self.unit1 = ShuffleUnit(channels)
        self.unit2 = ShuffleUnit(channels)
        self.fc = nn.Linear(channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.unit2(self.unit1(F.relu(self.stem(x))))
        return self.fc(x.mean(dim=(2, 3)))


class GroupNormNet(nn.Module):
    """conv -> GroupNorm -> SiLU -> grouped conv 3x3/2 -> Hardswish -> avg pool 2
    -> dilated conv -> Hardsigmoid -> adaptive avg pool 1 -> dropout -> fc."""

    def __init__(self, n_classes: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.norm1 = nn.GroupNorm(2, 8)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2)
        self.conv3 = nn.Conv2d(8, 8, 3, padding=2, dilation=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(8, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.silu(self.norm1(self.conv1(x)))
        x = F.avg_pool2d(F.hardswish(self.conv2(x)), 2)
        x = F.hardsigmoid(self.conv3(x))
        return self.fc(self.dropout(self.pool(x).flatten(1)))


class UpsampleNet(nn.Module):
    """conv 3x3/2 -> ReLU -> nearest upsample x2 -> concat with the input -> conv 1x1
    -> sigmoid -> global mean -> fc -> log-softmax."""

    def __init__(self, n_classes: int = 4) -> None:
        super().__init__()
        self.down = nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.mix = nn.Conv2d(9, 8, 1)
        self.fc = nn.Linear(8, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.up(F.relu(self.down(x)))
        y = torch.sigmoid(self.mix(torch.cat([x, y], dim=1)))
        return F.log_softmax(self.fc(y.mean(dim=(2, 3))), dim=1)


class GeluMlp(nn.Module):
    """fc -> GELU(tanh) -> LayerNorm -> fc -> tanh -> fc."""

    def __init__(self, features: int = 12, n_out: int = 4) -> None:
        super().__init__()
        self.fc1 = nn.Linear(features, 16)
        self.act = nn.GELU(approximate="tanh")
        self.norm = nn.LayerNorm(16)
        self.fc2 = nn.Linear(16, 16)
        self.fc3 = nn.Linear(16, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.act(self.fc1(x)))
        return self.fc3(torch.tanh(self.fc2(x)))


class AttentionPool(nn.Module):
    """tokens (B, N, F) -> fc embed (a Linear on a 3-D input) -> nn.MultiheadAttention
    -> residual -> LayerNorm -> mean over tokens -> fc."""

    def __init__(self, features: int = 6, width: int = 8, heads: int = 2,
                 n_classes: int = 4) -> None:
        super().__init__()
        self.embed = nn.Linear(features, width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        x = self.norm(x + self.attn(x, x, x, need_weights=False)[0])
        return self.head(x.mean(dim=1))


class EncoderNet(nn.Module):
    """fc embed -> + positional embedding -> nn.TransformerEncoder of two pre-norm
    nn.TransformerEncoderLayer (GELU) -> LayerNorm -> mean over tokens -> fc."""

    def __init__(self, features: int = 6, tokens: int = 4, width: int = 8, heads: int = 2,
                 n_classes: int = 4) -> None:
        super().__init__()
        self.embed = nn.Linear(features, width)
        self.pos_emb = nn.Parameter(torch.randn(1, tokens, width) * 0.02)
        layer = nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width,
                                           dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.encoder(self.embed(x) + self.pos_emb)
        return self.head(self.norm(x).mean(dim=1))


def _bn_mlp() -> nn.Module:
    """The issue's reproducer: BatchNorm1d between two linears."""
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 4))


ZOO: dict[str, ZooModel] = {
    # edgeft's built-ins at small shapes (the real ones: docs/models.md)
    "lenet5": ZooModel(lambda: LeNet5(1), (1, 28, 28), description="built-in, real size"),
    "dscnn": ZooModel(lambda: DSCNN(1, n_classes=12, width=8, blocks=2), (1, 49, 10),
                      description="built-in KWS DS-CNN, width 8, 2 blocks"),
    "resnet8": ZooModel(lambda: ResNet8(3, widths=(4, 8, 8)), (3, 16, 16),
                        description="built-in ResNet-8, widths 4/8/8, 16x16"),
    "autoencoder": ZooModel(lambda: Autoencoder(1, frames=2, bins=16, hidden=16, bottleneck=4,
                                                depth=2), (1, 2, 16), loss="mse",
                            description="built-in AD autoencoder, 32 inputs, hidden 16"),
    "mobilenet_v1": ZooModel(lambda: MobileNetV1(3, width=0.125, blocks=4), (3, 24, 24),
                             description="built-in MobileNetV1, width 0.125, 4 blocks, 24x24"),
    "mobilenet_v2": ZooModel(lambda: MobileNetV2(3, n_classes=4, settings=((1, 16, 1, 1),
                                                                          (6, 24, 2, 2)),
                                                 last_channels=16), (3, 16, 16),
                             description="built-in MobileNetV2-0.35, 3 blocks, 16x16"),
    "cct": ZooModel(lambda: CCT(3, n_classes=4, width=8, depth=2, heads=2, image_size=8),
                    (3, 8, 8), strategies=TRANSFORMER,
                    description="built-in CCT, width 8, 2 blocks, 8x8"),
    # assembled from torch.nn's blocks
    "bn_mlp": ZooModel(_bn_mlp, (8,), description="Linear, BatchNorm1d, ReLU, Linear"),
    "gelu_mlp": ZooModel(GeluMlp, (12,), description="GELU(tanh), LayerNorm, tanh"),
    "groupnorm_cnn": ZooModel(GroupNormNet, (3, 8, 8),
                              description="GroupNorm, SiLU, grouped/dilated conv, Hardswish, "
                                          "Hardsigmoid, avg pools, dropout"),
    "shufflenet": ZooModel(ShuffleNet, (3, 8, 8),
                           description="chunk, grouped 1x1, depthwise, BatchNorm2d, concat, "
                                       "channel shuffle"),
    "upsample_cnn": ZooModel(UpsampleNet, (3, 8, 8),
                             description="strided conv, nearest upsample, concat, sigmoid, "
                                         "log-softmax"),
    "attention": ZooModel(AttentionPool, (4, 6), strategies=("ft-all", "ft-last", "lora-all",
                                                             "skip-lora"),
                          description="nn.MultiheadAttention over 4 tokens, LayerNorm"),
    "encoder": ZooModel(EncoderNet, (4, 6), strategies=TRANSFORMER,
                        description="nn.TransformerEncoder, 2 pre-norm layers, GELU"),
}

CASES: list[tuple[str, str]] = [(name, s) for name, model in ZOO.items() for s in model.strategies]


def build_model(name: str) -> tuple[nn.Module, torch.Tensor]:
    """Zoo model `name` with weights from SEED, and its example batch (BATCH samples)."""
    spec = ZOO[name]
    torch.manual_seed(SEED)
    model = spec.build()
    x = torch.randn((BATCH, *spec.sample_shape), generator=torch.Generator().manual_seed(SEED))
    return model, x


@functools.cache
def imported(name: str) -> tuple[ImportedModel, float]:
    """Zoo model `name` imported (cached per process), and the seconds the import took."""
    start = time.perf_counter()
    model, x = build_model(name)
    source = import_model_full(model, example=x, loss=ZOO[name].loss, seed=SEED)
    return source, time.perf_counter() - start


class CStep:
    """The C program behind the two calls of the executor check_steps makes:
    `call("train_step", x, y)` and `globals()` (shaped copies of every float global)."""

    def __init__(self, program: HostProgram, shapes: dict[str, tuple[int, ...]]) -> None:
        self.program = program
        self.shapes = shapes

    def call(self, function: str, x: np.ndarray, y: np.ndarray) -> list[float]:
        """One training step of the C program; the loss in a list, as the executor returns it."""
        assert function == "train_step", function
        return [self.program.train_step(x, y)]

    def globals(self) -> dict[str, np.ndarray]:
        """Copies of the program's float arrays in their MLIR shapes."""
        return {name: value.reshape(self.shapes[name]).copy()
                for name, value in self.program.parameters().items()}


@dataclass
class Case:
    """A compiled zoo case: the C program paired with PyTorch, and the batch."""

    pair: Pair
    x: torch.Tensor
    y: torch.Tensor
    import_seconds: float    # PyTorch -> MLIR (torch.export, FX import, linalg)
    compile_seconds: float   # training pipeline, lowering and C emission
    build_seconds: float     # the host C build (CMake, gcc)


def _shapes(module: ir.Module) -> dict[str, tuple[int, ...]]:
    with module.context:
        return {name: tuple(ir.RankedTensorType(ir.TypeAttr(op.attributes["type"]).value).shape)
                for name, op in globals_of(module.operation).items()}


def _training_module(source: ImportedModel, strategy: str) -> ir.Module:
    module = clone_module(source.module)
    with module.context:
        try:
            build_pass_manager(pipelines.training(strategy, lr=LR), module.context).run(
                module.operation)
        except ir.MLIRError as e:
            raise UserError(diagnostics.from_error(e)[0].message) from None
    return module


def compile_case(name: str, strategy: str, build: Path) -> Case:
    """Compile zoo model `name` under `strategy` to C for the host in `build`, build it,
    give every LoRA B random values (so A gets a gradient too) and pair the program
    with the same model and adapters in PyTorch."""
    source, import_seconds = imported(name)
    start = time.perf_counter()
    module = _training_module(source, strategy)
    cwriter.write(cwriter.translate(lower(module, edgeft.target.get("host"))), build)
    compile_seconds = time.perf_counter() - start
    start = time.perf_counter()
    program = HostProgram.build(build)
    build_seconds = time.perf_counter() - start
    program.init()
    shapes = _shapes(module)
    rng = np.random.default_rng(11)
    randomized = {n: (rng.standard_normal(shapes[n]) * 0.1).astype(np.float32)
                  for n in program.parameters() if n.endswith("lora_B")}
    program.write_parameters({n: v.ravel() for n, v in randomized.items()})
    step = CStep(program, shapes)
    reference, trainable = reference_of(source, strategy, step.globals())
    return Case(Pair(step, reference, trainable, source.loss), source.example_x,
                source.example_y, import_seconds, compile_seconds, build_seconds)
