"""Charts of a build (matplotlib, written as PNG files).

    draw_memory_plan(buffers, budgets, "BUILD/memory.png")

One panel per memory level: each buffer is a rectangle from its first to its
last program point (x) at its offset (y), persistent state, scratch buffers
and the forward cache in their own colours, the level's budget as a red line
when it is within view (the title gives both figures).
"""

from __future__ import annotations

from pathlib import Path

from edgeft.analysis.memory import CACHE, PERSISTENT, Placed

COLOURS = {PERSISTENT: "#4c72b0", CACHE: "#dd8452"}
SCRATCH_COLOUR = "#55a868"


def draw_memory_plan(buffers: list[Placed], budgets: dict[str, int], path: Path) -> None:
    """The placed buffers of each level over time, into `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    levels = [name for name in budgets if any(b.level == name for b in buffers)]
    figure, axes = plt.subplots(len(levels) or 1, 1, figsize=(10, 3.2 * max(1, len(levels))),
                                squeeze=False)
    end = max((b.end for b in buffers), default=0) + 1
    for axis, level in zip(axes[:, 0], levels, strict=False):
        mine = [b for b in buffers if b.level == level]
        top = max(b.offset + b.bytes for b in mine)
        for b in mine:
            axis.add_patch(Rectangle((b.start, b.offset / 1024), b.end - b.start + 1,
                                     b.bytes / 1024, linewidth=0.2, edgecolor="black",
                                     facecolor=COLOURS.get(b.kind, SCRATCH_COLOUR)))
        ceiling = top * 1.1
        if budgets[level] <= 1.5 * top:  # the budget line when it is in view
            axis.axhline(budgets[level] / 1024, color="#c44e52", linewidth=1)
            ceiling = max(ceiling, budgets[level] * 1.05)
        axis.set_xlim(0, end)
        axis.set_ylim(0, ceiling / 1024)
        axis.set_ylabel(f"{level} offset (KiB)")
        axis.set_title(f"{level}: {top / 1024:,.0f} KiB planned of {budgets[level] / 1024:,.0f} "
                       "KiB", fontsize=10)
    axes[-1, 0].set_xlabel("program point (top-level ops, function after function)")
    figure.legend(handles=[Patch(color=COLOURS[PERSISTENT], label="parameters and state"),
                           Patch(color=SCRATCH_COLOUR, label="activations and temporaries"),
                           Patch(color=COLOURS[CACHE], label="forward cache")],
                  loc="lower center", ncol=3, fontsize=8)
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
