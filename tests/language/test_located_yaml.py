"""The located YAML reader: locations, duplicate keys, YAML 1.2 booleans, syntax errors."""
from __future__ import annotations

from datetime import date

from engine.language.located import LocDict, LocList, load_text


def test_every_key_and_item_has_its_location() -> None:
    doc, problems = load_text("a:\n  b: 1\n  c: [x, y]\n", "f.yaml")
    assert not problems
    assert isinstance(doc, LocDict) and isinstance(doc["a"]["c"], LocList)
    assert str(doc["a"].key_loc("c")) == "f.yaml:3:3"
    assert str(doc["a"]["c"].item_loc(1)) == "f.yaml:3:10"


def test_duplicate_keys_are_problems_not_silent_overrides() -> None:
    doc, problems = load_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert doc["a"] == 1
    assert [p.render() for p in problems] == [
        "f.yaml:3:1: error: duplicate key 'a' (first given at line 1)"]


def test_only_true_and_false_are_booleans() -> None:
    doc, _ = load_text("a: no\nb: off\nc: yes\nd: true\ne: false\n", "f.yaml")
    assert doc == {"a": "no", "b": "off", "c": "yes", "d": True, "e": False}


def test_dates_are_read_as_dates() -> None:
    doc, _ = load_text("effective_from: 2024-04-01\n", "f.yaml")
    assert doc["effective_from"] == date(2024, 4, 1)


def test_syntax_errors_are_located_never_raised() -> None:
    doc, problems = load_text("a: [1, 2\nb: 3\n", "f.yaml")
    assert doc is None
    # at the line the author left the list open, not the line where parsing failed
    assert problems[0].loc.file == "f.yaml" and problems[0].loc.line == 1
    assert "YAML syntax" in problems[0].message


def test_folded_condition_text_maps_back_to_each_line() -> None:
    doc, _ = load_text("when: >-\n  a == 1\n    and b == 2\n", "f.yaml")
    text = " ".join(doc["when"].split())
    span = doc.text_span("when")
    assert text == "a == 1 and b == 2"
    assert str(span.at(text.index("b"))) == "f.yaml:3:9"
    assert str(span.at(0)) == "f.yaml:2:3"
