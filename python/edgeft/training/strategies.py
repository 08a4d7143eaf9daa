"""Fine-tuning strategies by name, parsed in one place (METHODS.md, Fine-tuning
strategies).

    strategies.parse("lora-2")   -> Strategy(name="lora-2", kind="lora-k", k=2)
    strategies.parse("ft-last")  -> Strategy(name="ft-last", kind="ft-last", k=0)

The training pipeline, edgeft-select-trainable and edgeft-inject-lora read
names through `parse`, so a strategy is spelled and checked once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# kind -> what it trains; `-k` kinds take a count of blocks or layers.
KINDS = ("ft-all", "ft-last", "ft-bias", "lp", "ft-k", "lora-all", "lora-last", "lora-k",
         "skip-lora")
_COUNTED = re.compile(r"^(ft|lora)-(\d+)$")


@dataclass(frozen=True)
class Strategy:
    """A parsed strategy: its kind, and for ft-k / lora-k the count k."""

    name: str
    kind: str
    k: int = 0

    @property
    def family(self) -> str:
        """The family: ft (fine-tunes parameters), lora (adapters on layers) or skip-lora."""
        if self.kind == "skip-lora":
            return "skip-lora"
        return "lora" if self.kind.startswith("lora") else "ft"


def describe() -> str:
    """The strategy names a user may give, for messages and help."""
    return ("ft-all, ft-last, ft-bias, lp, ft-N (e.g. ft-2), lora-all, lora-last, lora-N, "
            "skip-lora")


def parse(name: str) -> Strategy:
    """The strategy `name` spells; ValueError naming the known ones otherwise.
    `ft-N` and `lora-N` need N >= 1; the bare kinds `ft-k` and `lora-k` (a
    pass option with a separate k) parse with k = 0."""
    counted = _COUNTED.match(name)
    if counted:
        k = int(counted.group(2))
        if k < 1:
            raise ValueError(f"strategy '{name}' needs N >= 1")
        return Strategy(name, f"{counted.group(1)}-k", k)
    if name not in KINDS:
        raise ValueError(f"unknown strategy '{name}' (known: {describe()})")
    return Strategy(name, name)
