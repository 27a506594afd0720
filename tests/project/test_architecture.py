"""The architecture as tests: first-level packages in one-way layers, no import cycles,
durable-rules behind one module, the CLI assembled without import side effects, and the built
wheel working outside the checkout. The import graph and the layers are in tests/layers.py.
"""
from __future__ import annotations

import ast
import subprocess
import sys

import networkx as nx
import pytest
from click.testing import CliRunner

from tests.layers import (
    LAYERS,
    ROOT,
    import_graph,
    layer_problems,
    layers_dot,
    modules,
    package_graph,
)


def test_the_import_graph_is_read_correctly() -> None:
    graph = import_graph()
    assert len(graph) > 50
    assert graph.has_edge("engine.interfaces.cli.app", "engine.interfaces.cli.check")  # from-import
    assert graph.has_edge("visualise.pack", "visualise.dot")  # relative import
    assert graph.has_edge("engine.interfaces.scenarios", "engine.evaluation.explain")  # in a def


def test_the_first_level_packages_are_the_layers() -> None:
    """A new package under engine/ must take its place in the order (tests/layers.py)."""
    found = {f"engine.{p.name}" for p in (ROOT / "engine").iterdir()
             if p.is_dir() and (p / "__init__.py").exists()}
    assert found | {"visualise"} == set(LAYERS)
    assert {m for m in modules() if m.count(".") == 1 and (ROOT / "engine" / f"{m[7:]}.py")
            .exists()} == {"engine.__main__"}


def test_every_package_is_in_the_wheel() -> None:
    """A new sub-package must be listed in pyproject.toml, or the wheel lacks it."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {module for module, path in modules().items() if path.name == "__init__.py"}
    assert found - listed == set()


def test_layers_import_only_the_layers_below_them() -> None:
    """core <- language <- rules_engine <- evaluation <- inputs <- visualise <- interfaces."""
    problems = layer_problems(import_graph())
    assert problems == [], "\n".join(problems)


def test_the_packages_form_the_ordered_chain() -> None:
    """The package graph has no cycle, and its order is the one LAYERS lists."""
    packages = package_graph(import_graph())
    assert nx.is_directed_acyclic_graph(packages)
    layers = packages.subgraph(LAYERS)
    for i, layer in enumerate(LAYERS):
        assert set(nx.descendants(layers, layer)) <= set(LAYERS[:i]), layer


@pytest.mark.parametrize(("importer", "imported"), [
    ("engine.rules_engine.compiler", "engine.evaluation.case"),   # the old upward reach
    ("engine.core.errors", "engine.interfaces.cli.app"),
    ("visualise.dot", "engine.interfaces.cli.draw"),
    ("engine.language.model", "engine"),                           # into the facade
])
def test_a_planted_upward_import_fails_the_check(importer: str, imported: str) -> None:
    graph = import_graph()
    graph.add_edge(importer, imported)
    problems = layer_problems(graph)
    assert problems
    assert any(p.startswith(f"{importer} imports") for p in problems), problems


def test_a_planted_import_from_inside_a_function_is_read(tmp_path) -> None:
    """The check reads the files: an upward import written inside a function is caught."""
    import shutil

    for package in ("engine", "visualise"):
        shutil.copytree(ROOT / package, tmp_path / package)
    planted = tmp_path / "engine" / "language" / "model.py"
    planted.write_text(planted.read_text() + "\n\ndef _planted() -> None:\n"
                       "    from engine.evaluation.status import CaseStatus  # noqa: F401\n")
    problems = layer_problems(import_graph(tmp_path))
    assert ("engine.language.model imports engine.evaluation.status: engine.language is below "
            "engine.evaluation in the layers") in problems
    assert "package cycle: engine.evaluation -> engine.language" in problems


def test_results_are_read_as_types_not_as_json() -> None:
    """Engine.cohort yields CaseStatus or Failure: nothing in engine/ or visualise/ asks a
    record (or its JSON text) whether it holds an "error" key."""
    found = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)
                    and node.left.value in ("error", '"error":')
                    and isinstance(node.ops[0], (ast.In, ast.NotIn))):
                found.append(f"{name}:{node.lineno}")
    assert found == []


def test_the_layer_picture_is_drawn_from_the_current_graph() -> None:
    """docs/architecture.md shows docs/images/architecture.svg, made from this DOT."""
    drawn = (ROOT / "docs" / "images" / "architecture.dot").read_text(encoding="utf-8")
    assert drawn == layers_dot(import_graph()), "run 'make architecture' and commit the result"


def test_no_two_classes_share_a_name() -> None:
    """One word per concept: a class name means one thing across engine/ and visualise/."""
    seen: dict[str, list[str]] = {}
    for name, path in modules().items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                seen.setdefault(node.name, []).append(name)
    assert {k: v for k, v in seen.items() if len(v) > 1} == {}


def test_every_exception_name_ends_in_error() -> None:
    import importlib
    import inspect

    found = []
    for name in modules():
        if name.endswith("__main__"):
            continue   # running it would run the CLI
        for value in vars(importlib.import_module(name)).values():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and value.__module__.startswith(("engine", "visualise"))
                    and not value.__name__.endswith("Error")):
                found.append(f"{value.__module__}.{value.__name__}")
    assert sorted(set(found)) == []


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
