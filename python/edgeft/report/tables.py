"""What `edgeft report` prints and draws from the report.json of builds.

    report = load(Path("BUILD"))
    print(layer_table(report))          # per layer: cycles by phase, engines, DMA bytes
    print(comparison_table([a, b]))     # per build: params, peak memory, traffic, latency
    print(assumptions(report))          # the target parameters the estimate rests on
    plots([a, b], Path("DIR"))          # latency_by_layer.png, memory_by_level.png

Tables are plain fixed-width text, so they stay readable when piped. A build
compiled for the host (no `--target siracusa`) or with `--no-estimate` has no
memory, transfer or cycle figures: its tables show what it has and say why
the rest is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from edgeft.ir.errors import UserError
from edgeft.ir.schema import mismatch, read_json

LEVELS = ("L1", "L2", "L3")
ENGINES = ("cores", "redmule", "dma")
ENGINE_COLOURS = {"cores": "#4c72b0", "redmule": "#dd8452", "dma": "#55a868"}
LEVEL_COLOURS = {"L1": "#4c72b0", "L2": "#dd8452", "L3": "#55a868"}
# The fields of report.json (docs/report.md) these tables and plots read
# (edgeft.ir.schema): required, or optional ("?") where a stage may not have
# produced them; other fields pass unchecked.
_LAYER = {"layer": str, "forward": float, "backward": float, "update": float, "bytes": float,
          "engines": {"*": float}, "*": object}
REPORT_SCHEMA = {
    "model": str, "strategy": str, "options": {"batch": int, "*": object},
    "trainable_params": int, "total_params": int,
    "flops": {"forward": float, "backward": float, "optimizer": float, "*": object},
    "target?": {"name?": str, "frequency_mhz?": float, "*": object,
                "parameters?": [{"name": str, "value": object, "unit": str, "source": str,
                                 "*": object}]},
    "cycles?": {"estimate?": float, "*": object,
                "measured?": {"cycles_per_step": float, "steps": int, "source": str,
                              "redmule_modelled?": {"cycles_per_step": float, "*": object},
                              "*": object}},
    "latency_ms?": {"estimate?": float, "*": object}, "updates_per_second?": float,
    "flops_per_cycle?": float, "layers?": [_LAYER],
    "memory?": {"peak_bytes?": {"*": float}, "*": object},
    "transfers?": {"bytes?": {"*": float}, "*": object},
    "*": object,
}
# With a cycle estimate, the title also reads these.
ESTIMATED_SCHEMA = {"latency_ms": {"estimate": float, "*": object},
                    "target": {"frequency_mhz": float, "*": object},
                    "updates_per_second": float, "flops_per_cycle": float, "*": object}


def load(build: Path) -> dict[str, Any]:
    """The report.json of the build directory `build`, checked to be an edgeft report."""
    path = build / "report.json"
    rerun = f"run edgeft compile MODEL --strategy S ... -o {build} first"
    if not path.is_file():
        raise UserError(f"no report.json in {build}; {rerun}")
    report = read_json(path, REPORT_SCHEMA, rerun)
    if "estimate" in report.get("cycles", {}):
        problem = mismatch(report, ESTIMATED_SCHEMA)
        if problem is not None:
            raise UserError(f"'{path}': {problem} (the build has a cycle estimate); {rerun}")
    return report


def layer_table(report: dict[str, Any]) -> str:
    """Per layer: forward, backward and update cycles, their share of the step, the
    engines that spent them and the DMA bytes moved, under a header with the build's
    figures per step."""
    lines = [_title(report), _params_line(report)]
    cycles = report.get("cycles")
    if not cycles or "estimate" not in cycles or not report.get("layers"):
        return "\n".join([*lines, _missing_note(report)])
    step = cycles["estimate"]
    header = ["layer", "forward", "backward", "update", "total", "share", "engines",
              "DMA bytes"]
    rows = [_layer_row(layer, step) for layer in report["layers"]]
    total = _sum_layers(report["layers"])
    table = _format(header, rows, "<>>>>><>", total=_layer_row(total, step))
    return "\n".join([*lines, "", table])


def comparison_table(reports: list[dict[str, Any]]) -> str:
    """One row per build: trainable parameters, peak memory per level, DMA bytes per
    sample on each link, latency per step and FLOPs per cycle ('-' where a build has
    no such figure)."""
    header = ["model", "strategy", "target", "batch", "trainable", "L1 KiB", "L2 KiB", "L3 KiB",
              "L2<->L1 B/sample", "L3<->L2 B/sample", "ms/step", "FLOPs/cycle"]
    rows = []
    for report in reports:
        peak = report.get("memory", {}).get("peak_bytes", {})
        moved = report.get("transfers", {}).get("bytes", {})
        latency = report.get("latency_ms", {}).get("estimate")
        rows.append([
            report["model"], report["strategy"], report.get("target", {}).get("name", "host"),
            f"{report['options']['batch']:,}",
            f"{report['trainable_params']:,}",
            *(_or_dash(peak.get(level), lambda b: f"{b / 1024:,.1f}") for level in LEVELS),
            _or_dash(moved.get("L2_L1"), lambda b: f"{b:,.0f}"),
            _or_dash(moved.get("L3_L2"), lambda b: f"{b:,.0f}"),
            _or_dash(latency, lambda ms: f"{ms:,.2f}"),
            _or_dash(report.get("flops_per_cycle"), lambda f: f"{f:.2f}"),
        ])
    table = _format(header, rows, "<<<>>>>>>>>>")
    if all("estimate" in report.get("cycles", {}) for report in reports):
        return table
    return f"{table}\n'-': not estimated; compile with --target siracusa (without --no-estimate)"


def assumptions(report: dict[str, Any]) -> str:
    """The target parameters the build's estimate rests on: name, value, unit and
    where the value comes from (measured, fitted, an assumption, the target's docs)."""
    target = report.get("target", {})
    parameters = target.get("parameters")
    if not parameters:
        return f"target {target.get('name', '?')} has no performance model parameters"
    rows = [[p["name"], _value(p["value"]), p["unit"], p["source"]] for p in parameters]
    table = _format(["parameter", "value", "unit", "source"], rows, "<><<")
    return f"assumptions of target {target['name']}:\n{table}"


def plots(reports: list[dict[str, Any]], directory: Path) -> list[Path]:
    """Write latency_by_layer.png (builds with a cycle estimate) and memory_by_level.png
    (builds with a memory plan) into `directory`; the paths written, in that order."""
    estimated = [r for r in reports if r.get("cycles") and r.get("layers")]
    planned = [r for r in reports if r.get("memory")]
    if not estimated and not planned:
        raise UserError("--plots: no build has memory or cycle figures; compile with "
                        "--target siracusa")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create '{directory}': {e.strerror}") from None
    written = []
    if estimated:
        written.append(directory / "latency_by_layer.png")
        _draw_latency(estimated, written[-1])
    if planned:
        written.append(directory / "memory_by_level.png")
        _draw_memory(planned, written[-1])
    return written


def _title(report: dict[str, Any]) -> str:
    target = report.get("target", {}).get("name", "host")
    head = (f"{report['model']} {report['strategy']} (batch {report['options']['batch']}, "
            f"target {target})")
    cycles = report.get("cycles") or {}
    measured = cycles.get("measured")
    if measured:
        modelled = measured.get("redmule_modelled")
        compared = (modelled or measured)["cycles_per_step"]
        ratio = (f", estimate / measured {cycles['estimate'] / compared:.2f}"
                 if "estimate" in cycles else "")
        jobs = (f"; {compared:,.0f} with its RedMulE jobs (run on the cores) as the RedMulE "
                f"model has them" if modelled else "")
        measured = (f"; measured {measured['cycles_per_step']:,.0f} cycles/step over "
                    f"{measured['steps']} steps ({measured['source']}{jobs}{ratio})")
    if "estimate" not in cycles:
        return head + (measured or "")
    return (f"{head}: {cycles['estimate']:,} cycles/step, "
            f"{report['latency_ms']['estimate']:,.2f} ms/step at "
            f"{report['target']['frequency_mhz']:g} MHz, {report['updates_per_second']:,.1f} "
            f"steps/s, {report['flops_per_cycle']:.2f} FLOPs/cycle{measured or ''}")


def _params_line(report: dict[str, Any]) -> str:
    f = report["flops"]
    return (f"{report['trainable_params']:,} of {report['total_params']:,} parameters train; "
            f"FLOPs per sample: forward {f['forward']:,.0f}, backward {f['backward']:,.0f}, "
            f"optimizer {f['optimizer']:,.0f}")


def _missing_note(report: dict[str, Any]) -> str:
    if report.get("target", {}).get("name", "host") == "host":
        return ("memory, transfers and cycles need a target: edgeft compile ... "
                "--target siracusa")
    return "no cycle estimate: this build was compiled with --no-estimate"


def _layer_row(layer: dict[str, Any], step: float) -> list[str]:
    total = layer["forward"] + layer["backward"] + layer["update"]
    share = f"{total / step:.1%}" if step else "-"
    return [layer["layer"], f"{layer['forward']:,.0f}", f"{layer['backward']:,.0f}",
            f"{layer['update']:,.0f}", f"{total:,.0f}", share, _engine_shares(layer["engines"]),
            f"{layer['bytes']:,.0f}"]


def _sum_layers(layers: list[dict[str, Any]]) -> dict[str, Any]:
    engines: dict[str, float] = {}
    for layer in layers:
        for engine, cycles in layer["engines"].items():
            engines[engine] = engines.get(engine, 0) + cycles
    total: dict[str, Any] = {"layer": "total", "engines": engines}
    for key in ("forward", "backward", "update", "bytes"):
        total[key] = sum(layer[key] for layer in layers)
    return total


def _engine_shares(engines: dict[str, float]) -> str:
    """'cores 80% redmule 15% dma 5%': engines by their share of the cycles, largest first."""
    spent = sum(engines.values())
    if not spent:
        return "-"
    busy = sorted((c, e) for e, c in engines.items() if c > 0)
    return " ".join(f"{e} {_percent(c / spent)}" for c, e in reversed(busy))


def _percent(fraction: float) -> str:
    return "<1%" if fraction < 0.005 else f"{fraction:.0%}"


def _value(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _or_dash(value: float | None, fmt: Callable[[float], str]) -> str:
    return "-" if value is None else fmt(value)


def _format(header: list[str], rows: list[list[str]], align: str,
            total: list[str] | None = None) -> str:
    """A fixed-width table: `align` holds '<' or '>' per column; a rule under the header
    and above the total row."""
    body = rows + ([total] if total else [])
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths, strict=True))

    rule = "  ".join("-" * w for w in widths)
    out = [line(header), rule, *(line(row) for row in rows)]
    if total:
        out += [rule, line(total)]
    return "\n".join(s.rstrip() for s in out)


def _labels(reports: list[dict[str, Any]]) -> list[str]:
    """'lenet5 ft-all' per build, with the batch and then the build's position when
    that alone is ambiguous."""
    labels = [f"{r['model']} {r['strategy']}" for r in reports]
    if len(set(labels)) < len(labels):
        labels = [f"{label} b{r['options']['batch']}"
                  for label, r in zip(labels, reports, strict=True)]
    if len(set(labels)) < len(labels):
        labels = [f"{label} #{i}" for i, label in enumerate(labels, start=1)]
    return labels


def _draw_latency(reports: list[dict[str, Any]], path: Path) -> None:
    """One panel per build: a horizontal bar per layer, its ms split by engine."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    heights = [0.6 + 0.35 * len(r["layers"]) for r in reports]
    figure, axes = plt.subplots(len(reports), 1, figsize=(9, sum(heights) + 1.0),
                                squeeze=False, sharex=True,  # one ms scale to compare
                                gridspec_kw={"height_ratios": heights})
    for axis, report, label in zip(axes[:, 0], reports, _labels(reports), strict=True):
        per_ms = 1.0 / (report["target"]["frequency_mhz"] * 1e3)
        layers = report["layers"]
        names = [layer["layer"] for layer in layers]
        left = [0.0] * len(layers)
        for engine in ENGINES:
            widths = [layer["engines"].get(engine, 0) * per_ms for layer in layers]
            axis.barh(names, widths, left=left, color=ENGINE_COLOURS[engine], height=0.7)
            left = [a + b for a, b in zip(left, widths, strict=True)]
        axis.invert_yaxis()  # layers top to bottom, as in the table
        axis.set_ylabel("layer")
        axis.set_title(f"{label}: {report['latency_ms']['estimate']:,.2f} ms per step at "
                       f"{report['target']['frequency_mhz']:g} MHz", fontsize=10)
    axes[-1, 0].set_xlabel("ms per step (cycles by engine)")
    figure.legend(handles=[Patch(color=ENGINE_COLOURS[e], label=e) for e in ENGINES],
                  loc="lower center", ncol=len(ENGINES), fontsize=8)
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)


def _draw_memory(reports: list[dict[str, Any]], path: Path) -> None:
    """Peak KiB of L1, L2 and L3 side by side for each build."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot as plt

    figure, axis = plt.subplots(figsize=(max(6.0, 1.8 * len(reports) + 2), 4))
    width = 0.8 / len(LEVELS)
    for i, level in enumerate(LEVELS):
        xs = [b + (i - 1) * width for b in range(len(reports))]
        kib = [r["memory"]["peak_bytes"].get(level, 0) / 1024 for r in reports]
        bars = axis.bar(xs, kib, width, label=level, color=LEVEL_COLOURS[level])
        axis.bar_label(bars, labels=[f"{k:,.0f}" for k in kib], fontsize=7)
    axis.set_xticks(range(len(reports)), _labels(reports))
    axis.set_xlabel("build")
    axis.set_ylabel("peak KiB")
    axis.set_title("peak memory by level", fontsize=10)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
