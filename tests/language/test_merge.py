"""`extends:`, `uses:` and `remove:` resolved by engine/language/merge.py: a cycle, a clash
between two rule sets and a removal each give a located problem or the merged result."""
from __future__ import annotations

from pathlib import Path

from engine.rules_engine.library import Library, read_library

BASE = """\
procedure: base
title: Base
version: "1"
stages:
  open: {title: Open, start: true}
  shut: {title: Shut, terminal: true}
facts: {ended: {}, referral: {}, visit: {}}
transitions:
  - {id: close, from: open, to: shut, on: ended}
requirements:
  visit_soon:
    title: Visit soon
    on: referral
    due: {working_days: 5}
    completed_by: visit
"""


def read(tmp_path: Path, files: dict[str, str]) -> Library:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return read_library([tmp_path])


def messages(library: Library) -> list[str]:
    return [p.render() for p in library.errors]


def test_extends_going_round_in_a_circle_is_one_located_error(tmp_path: Path) -> None:
    library = read(tmp_path, {
        "a.yaml": "procedure: a\ntitle: A\nversion: '1'\nextends: b\n",
        "b.yaml": "procedure: b\ntitle: B\nversion: '1'\nextends: a\n",
    })
    cycles = [m for m in messages(library) if "goes round in a circle" in m]
    assert cycles, messages(library)
    assert any("a -> b -> a" in m or "b -> a -> b" in m for m in cycles), cycles
    assert all(m.split(":")[0].endswith(".yaml") for m in cycles)


def test_extends_and_override_key_by_key(tmp_path: Path) -> None:
    library = read(tmp_path, {
        "base.yaml": BASE,
        "local.yaml": "procedure: local\ntitle: Local\nversion: '1'\nextends: base\n"
                      "requirements:\n  visit_soon: {due: {working_days: 3}}\n",
    })
    assert not library.errors, messages(library)
    req = next(r for r in library.procedures["local"].requirements if r.id == "visit_soon")
    assert (req.due.amount, req.title, req.completed_by[0].fact) == (3, "Visit soon", "visit")


def test_two_rule_sets_defining_one_requirement_clash(tmp_path: Path) -> None:
    rule_set = ("rule_set: {name}\ntitle: {name}\nversion: '1'\nfacts: {{referral: {{}}, "
                "visit: {{}}}}\nrequirements:\n  visit_soon:\n    title: Visit\n    on: referral\n"
                "    due: {{working_days: 5}}\n    completed_by: visit\n")
    library = read(tmp_path, {
        "one.yaml": rule_set.format(name="one"),
        "two.yaml": rule_set.format(name="two"),
        "p.yaml": BASE.replace("procedure: base", "procedure: p").replace(
            "requirements:\n  visit_soon:", "uses: [one, two]\nrequirements:\n  other:"),
    })
    clash = [m for m in messages(library) if "requirement 'visit_soon' is defined twice" in m]
    assert len(clash) == 1, messages(library)
    assert clash[0].startswith(str(tmp_path / "two.yaml") + ":6:3:"), clash
    assert "(also at " + str(tmp_path / "one.yaml") + ":6:3)" in clash[0]


def test_remove_drops_an_inherited_requirement_and_transition(tmp_path: Path) -> None:
    library = read(tmp_path, {
        "base.yaml": BASE,
        "local.yaml": "procedure: local\ntitle: Local\nversion: '1'\nextends: base\n"
                      "remove: [visit_soon, close]\n"
                      "transitions:\n  - {id: finish, from: open, to: shut, on: ended}\n",
    })
    assert not library.errors, messages(library)
    local = library.procedures["local"]
    assert [r.id for r in local.requirements] == []
    assert [t.id for t in local.transitions] == ["finish"]
    assert [r.id for r in library.procedures["base"].requirements] == ["visit_soon"]


def test_remove_naming_nothing_inherited_is_a_located_error(tmp_path: Path) -> None:
    library = read(tmp_path, {
        "base.yaml": BASE,
        "local.yaml": "procedure: local\ntitle: Local\nversion: '1'\nextends: base\n"
                      "remove: [visit_son]\n",
    })
    assert messages(library) == [
        f"{tmp_path / 'local.yaml'}:5:10: error: 'remove' names 'visit_son', which nothing "
        "inherited defines"]


def test_extends_an_unknown_procedure_suggests_the_closest(tmp_path: Path) -> None:
    library = read(tmp_path, {
        "base.yaml": BASE,
        "local.yaml": "procedure: local\ntitle: Local\nversion: '1'\nextends: bsae\n",
    })
    found = [p for p in library.errors if "'extends' names 'bsae'" in p.message]
    assert found and found[0].hint == "did you mean 'base'?", messages(library)
