"""The condition language: what parses, what is refused and where, and its normal forms."""
from __future__ import annotations

import pytest

from engine.language.conditions.parse import ParseError, parse
from engine.language.conditions.transform import normalise, positive_facts, references
from engine.language.conditions.tree import And, Compare, Exists, Not, Or
from engine.rules_engine.compiler import dnf


def test_field_comparisons_and_lists() -> None:
    cond = parse("outcome in ['refused', 'withdrawn']")
    assert isinstance(cond, Compare) and cond.op == "in" and cond.value == ("refused", "withdrawn")


def test_membership_in_a_list_field_becomes_a_has_test() -> None:
    cond = parse("'gp' not in latest(initial_conference).attended")
    assert cond.ref.func == "has" and cond.ref.args == ("gp",) and cond.op == "!="
    assert cond.ref.select == "latest" and cond.ref.scope == "initial_conference"


def test_exists_with_condition_and_since() -> None:
    cond = parse("not exists(information_check, agency == 'police', since=referral)")
    assert isinstance(cond, Not) and isinstance(cond.part, Exists)
    assert cond.part.since == "referral" and cond.part.where.value == "police"


def test_words_true_and_false_are_booleans() -> None:
    assert parse("conference_required == false").value is False


@pytest.mark.parametrize("text, col, words", [
    ("a < b < c", 0, "two things at a time"),
    ("eval('x') == 1", 0, "unknown function 'eval'"),
    ("outcome == ", 10, "cannot read the condition"),
    ("outcome in 'x'", 11, "needs a list"),
    ("1 == outcome", 0, "field on the left"),
    ("outcome", 0, "expected a comparison"),
    ("__import__('os').system('x') == 0", 0, "unknown function"),
])
def test_anything_outside_the_language_is_refused_at_its_column(text, col, words) -> None:
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert words in str(caught.value)
    assert caught.value.col == col


def test_not_is_pushed_down_to_comparisons_and_kept_on_exists() -> None:
    cond = normalise(parse("not (a.x == 1 and not exists(b))"))
    assert isinstance(cond, Or)
    assert cond.parts[0] == Compare(cond.parts[0].ref, "!=", 1, cond.parts[0].col)
    assert isinstance(cond.parts[1], Exists)


def test_dnf_splits_alternatives_into_separate_conjunctions() -> None:
    cond = normalise(parse("a.x == 1 and (b.y == 2 or c.z == 3)"))
    branches = dnf(cond)
    assert len(branches) == 2 and all(len(b) == 2 for b in branches)
    assert isinstance(cond, And)


def test_references_and_positive_facts_for_source_coverage() -> None:
    cond = parse("'gp' not in latest(initial_conference).attended and not exists(core_group)")
    assert references(cond) >= {"initial_conference", "initial_conference.attended",
                                "core_group"}
    assert positive_facts(cond) == {"initial_conference"}
