"""Static memory planning: buffers with lifetimes packed into arenas.

    buffers = [Interval("act0", 4096, start=0, end=3), ...]
    size = pack(buffers)          # sets each .offset; returns the arena size
    lower_bound(buffers)          # the most bytes ever live at once

A buffer lives over the program points start..end (inclusive). `pack`
places buffers greedily by size, largest first, each at the lowest aligned
offset where it overlaps no buffer already placed that is alive at the same
time (ties by start, then by input order, so the plan is deterministic). No
two buffers alive at the same time share a byte; the arena is at least the
lower bound and, for the lifetimes of training steps, close to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgeft.ir.types import ALIGN, align


@dataclass
class Interval:
    """A buffer to place: its size and the program points it is alive at."""

    name: str
    bytes: int
    start: int
    end: int
    offset: int = -1

    def overlaps_in_time(self, other: Interval) -> bool:
        """Whether the two buffers are alive at a common program point."""
        return self.start <= other.end and other.start <= self.end


def pack(buffers: list[Interval], alignment: int = ALIGN) -> int:
    """Give every buffer an offset; returns the arena size in bytes."""
    order = sorted(range(len(buffers)), key=lambda i: (-buffers[i].bytes, buffers[i].start, i))
    placed: list[Interval] = []
    for i in order:
        buf = buffers[i]
        live = sorted((p for p in placed if p.overlaps_in_time(buf)), key=lambda p: p.offset)
        offset = 0
        for other in live:
            if offset + buf.bytes <= other.offset:
                break
            offset = max(offset, align(other.offset + other.bytes, alignment))
        buf.offset = offset
        placed.append(buf)
    return max((align(b.offset + b.bytes, alignment) for b in buffers), default=0)


def live_at(buffers: list[Interval], point: int) -> list[Interval]:
    """The buffers alive at a program point."""
    return [b for b in buffers if b.start <= point <= b.end]


def peak_point(buffers: list[Interval]) -> tuple[int, int]:
    """(program point, bytes) where the most bytes are alive at once."""
    if not buffers:
        return 0, 0
    events: dict[int, int] = {}
    for b in buffers:
        events[b.start] = events.get(b.start, 0) + b.bytes
        events[b.end + 1] = events.get(b.end + 1, 0) - b.bytes
    best_point, best, running = 0, 0, 0
    for point in sorted(events):
        running += events[point]
        if running > best:
            best_point, best = point, running
    return best_point, best


def lower_bound(buffers: list[Interval]) -> int:
    """The most bytes alive at one program point: no arena can be smaller."""
    return peak_point(buffers)[1]


def overlapping_pairs(buffers: list[Interval]) -> list[tuple[Interval, Interval]]:
    """Pairs alive at the same time whose bytes intersect (an empty list for a valid plan)."""
    bad = []
    for i, a in enumerate(buffers):
        for b in buffers[i + 1:]:
            if a.overlaps_in_time(b) and a.offset < b.offset + b.bytes and \
                    b.offset < a.offset + a.bytes:
                bad.append((a, b))
    return bad


# --- levels -----------------------------------------------------------------------

PERSISTENT, SCRATCH, CACHE = "persistent", "scratch", "cache"


@dataclass
class Placed(Interval):
    """A buffer of the program with what it is and where it goes."""

    kind: str = SCRATCH          # persistent, scratch or cache
    label: str = ""              # for messages: what the buffer holds
    level: str = ""


class PlanError(Exception):
    """The buffers do not fit the levels (the message names the peak's buffers)."""


@dataclass
class LevelPlan:
    """The plan of one memory level: its budget, arena size, lower bound and buffers."""

    name: str
    budget: int
    size: int
    lower_bound: int
    buffers: list[Placed]


def assign_levels(buffers: list[Placed], budgets: list[tuple[str, int]]) -> dict[str, LevelPlan]:
    """Place buffers in the levels (fastest first, e.g. [("L2", ...), ("L3", ...)]).

    The cache goes to the last (largest) level. Persistent state goes first
    into the first level, in the order given, and spills to the next when
    that level is full; scratch buffers then fill the first level, and the
    largest ones alive at its peak spill until it fits. The last level takes
    the rest; if it overflows, PlanError names the largest buffers alive at
    its peak and the shortfall.
    """
    first, last = budgets[0], budgets[-1]
    for buf in buffers:
        buf.level = last[0] if buf.kind == CACHE else first[0]
    room = first[1]
    for buf in buffers:
        if buf.kind != PERSISTENT:
            continue
        if align(buf.bytes) <= room:
            room -= align(buf.bytes)
        else:
            buf.level = last[0]
    _spill_scratch(buffers, first, last[0])
    plans = {}
    for name, budget in budgets:
        mine = [b for b in buffers if b.level == name]
        size = pack(mine)
        plans[name] = LevelPlan(name, budget, size, lower_bound(mine), mine)
        if size > budget:
            raise PlanError(overflow_message(plans[name]))
    return plans


def _spill_scratch(buffers: list[Placed], first: tuple[str, int], spill_to: str) -> None:
    """Move the largest scratch buffers alive at the first level's peak out of
    it until it packs within budget."""
    name, budget = first
    while True:
        mine = [b for b in buffers if b.level == name]
        point, live_bytes = peak_point(mine)
        if live_bytes <= budget and pack(mine) <= budget:
            return
        candidates = [b for b in live_at(mine, point) if b.kind == SCRATCH]
        if not candidates:
            return  # persistent state alone: the final check reports it
        candidates.sort(key=lambda b: (-b.bytes, b.start))
        # Enough to get under the budget by live bytes, then pack again.
        excess = max(live_bytes - budget, 1)
        for buf in candidates:
            buf.level = spill_to
            excess -= buf.bytes
            if excess <= 0:
                break


def overflow_message(plan: LevelPlan) -> str:
    """Why a level's plan does not fit: size, budget and the largest buffers at its peak."""
    point, _ = peak_point(plan.buffers)
    largest = sorted(live_at(plan.buffers, point), key=lambda b: -b.bytes)[:3]
    names = "; ".join(f"{b.label or b.name} ({b.bytes:,} B)" for b in largest)
    return (f"the memory plan does not fit: {plan.name} needs {plan.size:,} bytes, the budget "
            f"is {plan.budget:,} (short by {plan.size - plan.budget:,}); the largest buffers "
            f"alive at its peak: {names}")
