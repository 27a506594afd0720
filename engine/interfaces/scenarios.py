"""Author scenario stories: a dated case plus expectations at one or more as-of dates.

`safeguard test` and pytest run the same stories through this module. A failure shows
what was expected, what the engine said, and the engine's explanation for that action.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.core.errors import CaseError, EvaluationError, Loc, Problem, UnknownNameError
from engine.evaluation.engine import Engine
from engine.evaluation.status import CaseStatus
from engine.language.located import LocDict, LocList, load_file
from engine.language.reader import to_date

SCENARIO_KEYS = ("scenario", "procedure", "story", "case", "expect")
EXPECT_KEYS = ("as_of", "stage", "stage_since", "path", "actions", "absent_actions",
               "escalations", "flags", "unknown_flags", "errors")


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    procedure: str | None
    case: dict
    expectations: tuple[LocDict, ...]
    loc: Loc


@dataclass
class Outcome:
    """The result of one scenario: every mismatch, located at the expectation."""

    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


def scenario_files(paths: list[Path]) -> list[Path]:
    out = []
    for path in paths:
        out += sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    return out


def read_scenario(path: Path) -> tuple[Scenario | None, list[Problem]]:
    data, problems = load_file(path)
    if problems:
        return None, problems
    if not isinstance(data, LocDict) or "scenario" not in data:
        return None, [Problem(Loc(str(path), 1, 1), "a scenario file starts with 'scenario:'")]
    unknown = [k for k in data if k not in SCENARIO_KEYS]
    found = [Problem(data.key_loc(k), f"unknown key '{k}' in a scenario") for k in unknown]
    expect = data.get("expect")
    if not isinstance(expect, LocList) or not expect:
        found.append(Problem(data.loc, "a scenario needs 'expect:', a list of checks"))
    if not isinstance(data.get("case"), LocDict):
        found.append(Problem(data.loc, "a scenario needs 'case:' with its facts"))
    if found:
        return None, found
    case = _plain(data["case"])
    case.setdefault("case", Path(path).stem)
    return Scenario(str(data["scenario"]), str(path), data.get("procedure"), case,
                    tuple(data["expect"]), data.loc), []


@dataclass(frozen=True)
class StoryResult:
    """One story file as `safeguard test` reports it: its name (or file name) and failures."""

    path: Path
    name: str
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_file(path: Path, engine_of: Callable[[str | None], Engine]) -> StoryResult:
    """Read and run one story; anything wrong with it is a failure of that story only."""
    scenario, problems = read_scenario(path)
    if scenario is None:
        return StoryResult(path, path.stem, tuple(p.render() for p in problems))
    try:
        engine = engine_of(scenario.procedure)
    except UnknownNameError as exc:
        return StoryResult(path, scenario.name, (exc.at(str(scenario.loc)).render(),))
    return StoryResult(path, scenario.name, tuple(run_scenario(engine, scenario).failures))


def _plain(value: Any) -> Any:
    """Located YAML -> plain JSON-like data (dates as ISO text), as a case system sends it."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def run_scenario(engine: Engine, scenario: Scenario) -> Outcome:
    """Evaluate the case at each expectation's as-of date and compare."""
    outcome = Outcome(scenario)
    for expect in scenario.expectations:
        if not isinstance(expect, LocDict):
            outcome.failures.append(f"{scenario.loc}: each expectation must be a mapping")
            continue
        as_of = to_date(expect.get("as_of"))
        if as_of is None:
            outcome.failures.append(f"{expect.loc}: 'as_of' must be a date")
            continue
        for key in expect:
            if key not in EXPECT_KEYS:
                outcome.failures.append(f"{expect.key_loc(key)}: unknown expectation '{key}'")
        try:
            status = engine.status(scenario.case, as_of)
        except (CaseError, EvaluationError) as exc:
            outcome.failures.append(f"{scenario.loc}: error: the case cannot be evaluated: {exc}")
            break
        outcome.checked += 1
        outcome.failures += _compare(engine, status, expect)
    return outcome


def _compare(engine: Engine, status: CaseStatus, expect: LocDict) -> list[str]:
    got = status.to_dict()
    out: list[str] = []

    def miss(key: str, wanted: Any, actual: Any, extra: str = "") -> None:
        out.append(f"{expect.value_loc(key)}: as of {got['as_of']}, {key}: expected {wanted!r}, "
                   f"got {actual!r}{extra}")

    for key in ("stage", "stage_since"):
        if key in expect and _text(expect[key]) != got[key]:
            miss(key, _text(expect[key]), got[key])
    if "path" in expect:
        stages = [p["stage"] for p in got["path"]]
        if list(expect["path"]) != stages:
            miss("path", list(expect["path"]), stages)
    out += _actions(engine, status, got, expect)
    for key, status_word in (("flags", "found"), ("unknown_flags", "unknown")):
        if key in expect:
            ids = sorted(f["id"] for f in got["flags"] if f["status"] == status_word)
            if sorted(expect[key] or []) != ids:
                miss(key, sorted(expect[key] or []), ids)
    if "escalations" in expect:
        wanted = sorted(_escalation_key(e) for e in expect["escalations"] or [])
        actual = sorted(f"{e['id']}@{e['action'] or '-'}:{e['status']}" for e in
                        got["escalations"])
        if wanted != actual:
            miss("escalations", wanted, actual)
    if "errors" in expect and expect["errors"] != len(got["errors"]):
        miss("errors", expect["errors"], len(got["errors"]),
             " (" + "; ".join(e["message"] for e in got["errors"]) + ")")
    return out


def _escalation_key(item: Any) -> str:
    if isinstance(item, dict):
        return f"{item.get('id')}@{item.get('action', '-')}:{item.get('status', 'open')}"
    return f"{item}@-:open"


def _actions(engine: Engine, status: CaseStatus, got: dict, expect: LocDict) -> list[str]:
    from engine.evaluation.explain import explain

    out = []
    by_id = {a["id"]: a for a in got["actions"]}
    wanted = expect.get("actions")
    wanted = wanted if isinstance(wanted, LocDict) else LocDict(loc=expect.loc)
    for ident, fields in wanted.items():
        loc = wanted.key_loc(ident)
        action = by_id.get(ident)
        if action is None:
            out.append(f"{loc}: as of {got['as_of']}, expected action '{ident}', got none "
                       f"(actions: {', '.join(sorted(by_id)) or 'none'})")
            continue
        for name, value in (fields or {}).items():
            if _text(value) != action.get(name):
                why = explain(engine.procedure, engine.calendar, status,
                              next(a for a in status.actions if a.id == ident))
                out.append(f"{fields.value_loc(name)}: as of {got['as_of']}, {ident}.{name}: "
                           f"expected {_text(value)!r}, got {action.get(name)!r}\n"
                           f"    because: {why.action.because}")
    for ident in expect.get("absent_actions") or []:
        if ident in by_id:
            out.append(f"{expect.value_loc('absent_actions')}: as of {got['as_of']}, action "
                       f"'{ident}' should not exist, got status {by_id[ident]['status']}")
    return out


def _text(value: Any) -> Any:
    """Expected values as the output writes them: a date unquoted in YAML is still a date,
    and a date-time (written with seconds, as YAML needs) is compared to the minute."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    return value.isoformat() if isinstance(value, date) else value
