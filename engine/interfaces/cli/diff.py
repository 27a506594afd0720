"""`safeguard diff OLD NEW`: what changed between two versions of a procedure, and which
answers the partnership's stories get differently (`--stories DIR`).

OLD and NEW are two definition folders (or files), or two dates: the versions in force on
those dates among the definitions read with `-d` (or the bundled ones).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click

from engine.core.dates import parse_day
from engine.core.errors import CaseError, DefinitionError, EvaluationError, UnknownNameError
from engine.evaluation.answers import changed_answers
from engine.evaluation.engine import Engine
from engine.interfaces.cli.options import EXISTING, procedure_option
from engine.interfaces.cli.render import lines_text
from engine.language.diff import diff as diff_models
from engine.language.diff import render
from engine.language.model import Procedure
from engine.language.reader import to_date
from engine.rules_engine.library import Library, in_force_on, pick, read_library


@dataclass
class Side:
    """One side of the comparison: definitions read from paths, or a version by date."""

    label: str
    library: Library
    day: date | None = None
    engines: dict[str | None, Engine] = field(default_factory=dict)

    def procedure(self, name: str | None) -> Procedure:
        proc = pick(self.library, name)
        return in_force_on(proc, self.day)[0] if self.day is not None else proc

    def engine(self, name: str | None) -> Engine:
        if name not in self.engines:
            self.engines[name] = Engine(self.procedure(name))
        return self.engines[name]

    def close(self) -> None:
        for engine in self.engines.values():
            engine.close()


@click.command("diff")
@click.argument("old")
@click.argument("new")
@procedure_option
@click.option("--stories", type=EXISTING, metavar="DIR",
              help="Run these stories under both versions and list the answers that change.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def diff_cmd(ctx: click.Context, old: str, new: str, procedure: str | None,
             stories: Path | None, fmt: str) -> None:
    """What changed from OLD to NEW: stages, transitions, requirements, timescales,
    escalations and checks, each with the clause it cites.

    OLD and NEW are definition folders or files (e.g. two releases of the bundled procedure),
    `bundled` (the definitions shipped with safeguard), or two dates: the versions in force
    on them among the `-d` definitions."""
    before, after = _side(ctx, old), _side(ctx, new)
    try:
        a, b = before.procedure(procedure), after.procedure(procedure)
        changes = diff_models(a, b)
        answers = _stories(stories, before, after) if stories else []
    finally:
        before.close()
        after.close()
    if fmt == "json":
        out = {"old": a.identity, "new": b.identity,
               "changes": [c.as_dict() for c in changes]}
        if stories:
            out["stories"] = [{"story": s, "as_of": d, "changes": c} for s, d, c in answers]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    click.echo(lines_text(render(a, b, changes)))
    if stories:
        click.echo(lines_text(_stories_text(answers)))


def _side(ctx: click.Context, text: str) -> Side:
    """A date picks a version among the `-d` definitions; `bundled` is the definitions
    shipped with safeguard; anything else is a path."""
    if text == "bundled":
        return Side(text, _checked(read_library(None), text))
    day = parse_day(text)
    if day is not None:
        return Side(text, _checked(read_library(ctx.obj["definitions"]), text), day)
    path = Path(text)
    if not path.exists():
        raise click.BadParameter(f"'{text}' is neither a date like 2025-04-01, 'bundled', nor "
                                 "a file or folder of definitions")
    return Side(text, _checked(read_library([path]), text))


def _checked(library: Library, label: str) -> Library:
    if library.errors:
        raise DefinitionError(library.errors).at(label)
    return library


def _stories(folder: Path, before: Side, after: Side) -> list[tuple[str, str, list[str]]]:
    """Each story's answers at each of its as-of dates under both versions, where they differ."""
    from engine.interfaces.scenarios import read_scenario, scenario_files

    out = []
    for path in scenario_files([folder]):
        scenario, problems = read_scenario(path)
        if scenario is None:
            out.append((str(path), "", [p.render() for p in problems]))
            continue
        try:
            engines = before.engine(scenario.procedure), after.engine(scenario.procedure)
        except UnknownNameError as exc:
            out.append((str(path), "", [str(exc)]))
            continue
        seen: set[str] = set()
        for day in _as_of_dates(scenario.expectations):
            try:
                changed = changed_answers(*(e.status(scenario.case, day) for e in engines))
            except (CaseError, EvaluationError) as exc:
                changed = [f"the case cannot be evaluated: {exc}"]
            new = [c for c in changed if c not in seen]   # each change once, when it appears
            seen.update(new)
            if new:
                out.append((str(path), day.isoformat(), new))
    return out


def _as_of_dates(expectations: tuple) -> list[date]:
    found = (to_date(e.get("as_of")) for e in expectations if isinstance(e, dict))
    return [d for d in found if d is not None]


def _stories_text(answers: list[tuple[str, str, list[str]]]) -> str:
    if not answers:
        return "\nstories: no answer changes"
    lines = ["\nstories: answers that change"]
    for story, day, changes in answers:
        lines.append(f"  {story}" + (f", as of {day}" if day else ""))
        lines += [f"      {c}" for c in changes]
    return "\n".join(lines)
