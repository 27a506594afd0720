"""The architecture as tests: no import cycles, durable-rules behind one module, the CLI
assembled without import side effects, and the built wheel working outside the checkout.

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
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "visualise")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
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


def import_graph() -> nx.DiGraph:
    found = modules()
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


def test_the_import_graph_is_read_correctly() -> None:
    graph = import_graph()
    assert len(graph) > 50
    assert graph.has_edge("engine.interfaces.cli.app", "engine.interfaces.cli.check")  # from-import
    assert graph.has_edge("visualise.pack", "visualise.dot")  # relative import
    assert graph.has_edge("engine.interfaces.cli.app", "engine.interfaces.cli.draw")  # in a function


def test_no_import_cycles_in_engine_and_visualise() -> None:
    cycles = sorted(sorted(c) for c in nx.simple_cycles(import_graph()))
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_a_cycle_would_be_found() -> None:
    graph = import_graph()
    graph.add_edge("engine.core.errors", "engine.interfaces.cli.app")
    assert list(nx.simple_cycles(graph))


def test_only_the_runtime_imports_durable_rules() -> None:
    users = set()
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in ("durable", "durable_rules_engine") for n in names):
                users.add(name)
    assert users == {"engine.rules_engine.runtime"}


def test_layers_point_one_way() -> None:
    """language knows nothing of the layers after it; the rules engine and evaluation know
    nothing of sources, interfaces or visualise (only the CLI assembles visualise in)."""
    graph = import_graph()
    below = {"engine.language": ("engine.rules_engine", "engine.evaluation", "engine.inputs",
                                 "engine.interfaces", "engine.rules_engine.library", "visualise"),
             "engine.evaluation": ("engine.interfaces", "engine.inputs", "visualise"),
             "engine.rules_engine": ("engine.interfaces", "engine.inputs", "visualise")}
    wrong = [(a, b) for a, b in graph.edges for layer, banned in below.items()
             if a.startswith(layer + ".") and b.startswith(banned)]
    assert wrong == []


WALK = """
import click
from engine.interfaces.cli.app import main_group

def walk(group, path):
    for name, command in sorted(group.commands.items()):
        yield [*path, name]
        if isinstance(command, click.Group):
            yield from walk(command, [*path, name])
"""


def subcommands() -> list[list[str]]:
    scope: dict = {}
    exec(WALK, scope)
    return list(scope["walk"](scope["main_group"], []))


def test_importing_visualise_commands_first_keeps_every_command() -> None:
    """In a fresh interpreter, so no earlier import can hide an import-order bug: every
    subcommand (walked from the group, nested groups too) answers --help."""
    script = ("import engine.interfaces.cli.draw\n" + WALK +
              "from click.testing import CliRunner\n"
              "found = list(walk(main_group, []))\n"
              "for args in found:\n"
              "    result = CliRunner().invoke(main_group, [*args, '--help'])\n"
              "    assert result.exit_code == 0, (args, result.output)\n"
              "    assert result.output.startswith('Usage: '), (args, result.output)\n"
              "print(sorted(' '.join(args) for args in found))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    found = ast.literal_eval(done.stdout.strip())
    assert {"draw", "draw procedure", "pack", "check", "status"} <= set(found)
    assert found == sorted(" ".join(args) for args in subcommands())


@pytest.mark.parametrize("args", subcommands(), ids=" ".join)
def test_every_subcommand_has_help(args: list[str]) -> None:
    from engine.interfaces.cli.app import main_group

    result = CliRunner().invoke(main_group, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
