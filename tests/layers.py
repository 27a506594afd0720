"""The import graph of engine/ and visualise/, and the layers it must respect.

Read by tests/project/test_architecture.py (the rules) and by `make architecture` (the
picture in docs/architecture.md), so the picture is drawn from the graph the test checks.

Import graph: every `import` and `from ... import` in engine/ and visualise/, wherever it is
written (module level, inside a function, under `if TYPE_CHECKING`), is an edge from the
importing module to the imported one (`from pkg import name` goes to `pkg.name` when that is
a module). Imports inside functions count too: deferring an import hides a cycle from Python
but not from a reader, so the layers must be acyclic either way. As in grimp and import-linter,
importing `a.b.c` is an edge to `a.b.c` only, not to the packages `a` and `a.b` around it
(their `__init__` re-exports are the public facade, `engine.load` and friends).
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "visualise")

# The first-level packages, lowest first: each may import only the ones before it.
LAYERS = ("engine.core", "engine.language", "engine.rules_engine", "engine.evaluation",
          "engine.inputs", "visualise", "engine.interfaces")
# The public import (`from engine import load`) and the entry point (`python -m engine`):
# above every layer; they may import any layer and no module may import them.
FACADES = ("engine", "engine.__main__")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def imported(node: ast.Import | ast.ImportFrom, here: str, is_package: bool,
             known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = here if is_package else here.rsplit(".", 1)[0]
        for _ in range(node.level - 1):
            package = package.rsplit(".", 1)[0]
        base = f"{package}.{base}" if base else package
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def import_graph(root: Path = ROOT) -> nx.DiGraph:
    """Module -> module, for every import written anywhere in engine/ and visualise/."""
    found = modules(root)
    known = set(found)
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(known)
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in imported(node, name, path.name == "__init__.py", known):
                    if target in known and target != name:
                        graph.add_edge(name, target)
    return graph


def layer_of(module: str) -> str | None:
    """The first-level package (or facade) a module belongs to; None when it is in neither."""
    if module in FACADES:
        return module
    return next((layer for layer in LAYERS
                 if module == layer or module.startswith(layer + ".")), None)


def package_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """First-level package -> first-level package, each edge weighted by its module imports."""
    out: nx.DiGraph = nx.DiGraph()
    out.add_nodes_from((*LAYERS, *FACADES))
    for a, b in graph.edges:
        pa, pb = layer_of(a), layer_of(b)
        if pa and pb and pa != pb:
            weight = out.edges[pa, pb]["weight"] + 1 if out.has_edge(pa, pb) else 1
            out.add_edge(pa, pb, weight=weight)
    return out


def layer_problems(graph: nx.DiGraph) -> list[str]:
    """Every module outside the layers, every import that points up or into a facade, and
    every cycle between first-level packages; empty when the layers hold."""
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    problems = [f"{m} is in no layer: add its package to LAYERS in tests/layers.py"
                for m in sorted(graph) if layer_of(m) is None]
    for a, b in sorted(graph.edges):
        pa, pb = layer_of(a), layer_of(b)
        if pb in FACADES:
            problems.append(f"{a} imports the facade {b}")
        elif pa in rank and pb in rank and rank[pb] > rank[pa]:
            problems.append(f"{a} imports {b}: {pa} is below {pb} in the layers")
    cycles = sorted(sorted(c) for c in nx.simple_cycles(package_graph(graph)))
    problems += ["package cycle: " + " -> ".join(c) for c in cycles]
    return problems


# What each first-level package holds, as the picture labels it.
ROLES = {
    "engine.core": "errors, dates, files, text",
    "engine.language": "YAML -> the checked model",
    "engine.rules_engine": "definitions, compiler, durable-rules",
    "engine.evaluation": "a case as of a date -> CaseStatus",
    "engine.inputs": "case files, census, SSD -> cases",
    "visualise": "maps, heat maps, the pack",
    "engine.interfaces": "CLI, service, story runner",
    "engine": "the Python API (load, Engine)",
    "engine.__main__": "python -m engine",
}


def layers_dot(graph: nx.DiGraph) -> str:
    """The package graph as Graphviz DOT, the layers top (interfaces) to bottom (core).

    Only which package imports which: adding a module changes nothing here, a new kind of
    import between packages does (sorted, so the same code gives the same text)."""
    packages = package_graph(graph)
    lines = ["digraph layers {", "  rankdir=TB; nodesep=0.4; ranksep=0.45;",
             '  node [shape=box, style="rounded,filled", fillcolor="#eef3f8", '
             'fontname="Helvetica", fontsize=11];',
             '  edge [color="#5b6b7b", arrowsize=0.7];']
    for package in (*LAYERS, *FACADES):
        look = ', style="rounded,dashed,filled", fillcolor="#ffffff"' if package in FACADES else ""
        lines.append(f'  "{package}" [label="{package}\\n{ROLES[package]}"{look}];')
    lines += [f'  "{a}" -> "{b}";' for a, b in sorted(packages.edges)]
    for lower, upper in zip(LAYERS, LAYERS[1:], strict=False):  # one rank per layer
        lines.append(f'  "{upper}" -> "{lower}" [style=invis];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    """`make architecture`: write the layer picture (DOT, and SVG when `dot` is installed)."""
    import shutil
    import subprocess

    dot_path = Path(argv[0])
    dot_path.write_text(layers_dot(import_graph()), encoding="utf-8")
    print(dot_path)
    if shutil.which("dot"):
        svg = dot_path.with_suffix(".svg")
        subprocess.run(["dot", "-Tsvg", "-o", str(svg), str(dot_path)], check=True)
        print(svg)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:] or [str(ROOT / "docs" / "images" / "architecture.dot")])
