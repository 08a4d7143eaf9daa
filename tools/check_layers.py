"""Check that edgeft's imports point down its layers.

    .venv/bin/python tools/check_layers.py [--verbose]

The layers, lowest first (docs/architecture.md draws them):

    ir -> target -> analysis -> training/frontend -> passes -> pipelines
       -> codegen -> backends/estimate -> report -> driver

Every `import` of an edgeft module, at module level or inside a function,
must name a module of the same or a lower layer. Beyond that:
- no cycle among module-level imports;
- no import of an edgeft module inside a function, except in the driver
  layer, the pass registry and the package entry points (`edgeft.execute`,
  `edgeft.frontend.import_model`), which import lazily so that `edgeft-opt`
  starts without loading PyTorch (imports of third-party libraries inside
  functions are allowed anywhere, for the same reason);
- no import of another module's private name (`from edgeft.x import _y`).

Exit code 0 when the import graph keeps these rules, 1 with one line per
break otherwise. tests/test_layers.py runs it.
"""

from __future__ import annotations

import argparse
import ast
import graphlib
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "edgeft"

LAYERS = ("ir", "target", "analysis", "training/frontend", "passes", "pipelines", "codegen",
          "backends/estimate", "report", "driver")
# module-name prefix -> layer; the longest matching prefix decides.
PLACES = {
    "edgeft.ir": "ir",
    "edgeft.target": "target",
    "edgeft.analysis": "analysis",
    "edgeft.training": "training/frontend",
    "edgeft.frontend": "training/frontend",
    "edgeft.passes": "passes",
    "edgeft.pipelines": "pipelines",
    "edgeft.options": "pipelines",
    "edgeft.codegen": "codegen",
    "edgeft.backends": "backends/estimate",
    "edgeft.estimate": "backends/estimate",
    "edgeft.report": "report",
    "edgeft.driver": "driver",
    "edgeft": "driver",   # the package's own __init__ (lazy entry points)
}
# Where lazy imports of edgeft modules are the point (startup without PyTorch):
# the driver, the pass registry and their subpackages; and the entry points of
# the package inits (exactly these modules).
LAZY = ("edgeft.driver", "edgeft.passes.registry")
LAZY_ENTRY_POINTS = ("edgeft", "edgeft.frontend")


@dataclass(frozen=True)
class Import:
    """One import statement of an edgeft module."""

    importer: str
    imported: str
    names: tuple[str, ...]
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    """The dotted module name of a file under python/."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """The layer of a module by its longest matching prefix."""
    best = max((p for p in PLACES if module == p or module.startswith(p + ".")), key=len)
    return PLACES[best]


def imports_of(path: Path) -> list[Import]:
    """The edgeft imports of one file, with where they sit."""
    importer = module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef
                                                     | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "edgeft":
                        found.append(Import(importer, alias.name, (), child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[:len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                if base.split(".")[0] == "edgeft":
                    names = tuple(a.name for a in child.names)
                    found.append(Import(importer, base, names, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def resolve(imp: Import, modules: set[str]) -> list[str]:
    """The modules an import names: `from edgeft.x import y` imports module
    edgeft.x.y when there is one, else names of edgeft.x."""
    submodules = [f"{imp.imported}.{n}" for n in imp.names if f"{imp.imported}.{n}" in modules]
    if submodules:
        return submodules
    # The root package's __init__ only holds lazy entry points.
    return [] if imp.imported == "edgeft" else [imp.imported]


def check() -> tuple[list[str], dict[str, int]]:
    """(the breaks, figures of the graph)."""
    files = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
    modules = {module_name(p) for p in files}
    all_imports = [imp for p in files for imp in imports_of(p)]
    breaks: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in modules}
    in_function = 0
    for imp in all_imports:
        where = f"{imp.importer}:{imp.line}"
        for target in resolve(imp, modules):
            if LAYERS.index(layer_of(target)) > LAYERS.index(layer_of(imp.importer)):
                breaks.append(f"{where}: {layer_of(imp.importer)} imports {target} "
                              f"({layer_of(target)}), a higher layer")
            if not imp.in_function and target in modules and target != imp.importer:
                graph[imp.importer].add(target)
        if imp.in_function:
            in_function += 1
            lazy = any(imp.importer == p or imp.importer.startswith(p + ".") for p in LAZY) \
                or imp.importer in LAZY_ENTRY_POINTS
            if not lazy:
                breaks.append(f"{where}: imports {imp.imported} inside a function")
        private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
        if private and imp.imported != imp.importer:
            breaks.append(f"{where}: imports the private {', '.join(private)} of {imp.imported}")
    breaks += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    figures = {"modules": len(modules), "imports": len(all_imports),
               "imports_in_functions": in_function}
    return breaks, figures


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """A cycle of the module-level import graph, if there is one (graphlib
    reports the first it meets)."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as e:
        return [list(reversed(e.args[1]))]
    return []


def main() -> int:
    """Print the breaks; exit code 1 if there is any."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--verbose", action="store_true", help="print the figures of the graph")
    opts = p.parse_args()
    breaks, figures = check()
    for line in breaks:
        print(line)
    if opts.verbose or breaks:
        print(f"{figures['modules']} modules, {figures['imports']} edgeft imports "
              f"({figures['imports_in_functions']} inside functions), {len(breaks)} breaks",
              file=sys.stderr)
    return 1 if breaks else 0


if __name__ == "__main__":
    sys.exit(main())
