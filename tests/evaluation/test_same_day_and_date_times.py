"""The order of one day's facts (by time when given, else the pathway order) and date fields
that carry a time, as case systems send them (docs/design/same-day-order.md)."""
from __future__ import annotations

import itertools
import json
from datetime import date

AS_OF = date(2025, 4, 8)
DAY = [
    {"type": "concern", "date": "2025-04-07", "agency": "school"},
    {"type": "dsl_consultation", "date": "2025-04-07T09:30", "outcome": "referral"},
    {"type": "neglect_screening", "date": "2025-04-07T11:00", "tool": "graded_care_profile_2",
     "grade": 4},
    {"type": "police_incident", "date": "2025-04-07T08:15", "kind": "welfare_check"},
]


def _order(engine, facts: list[dict]) -> list[str]:
    from engine.evaluation.case import canonical, read_case
    case = read_case({"case": "T", "facts": facts}, engine.procedure)
    return [f"{f.type}@{f.time}" for f in canonical(case.facts)]


def test_timed_facts_of_a_day_are_in_time_order_in_the_timed_places(engine) -> None:
    # pathway order: concern, police incident, screening, consultation; the three timed ones
    # take those three places by time (08:15, 09:30, 11:00); the untimed concern keeps its own
    assert _order(engine, DAY) == ["concern@None", "police_incident@08:15:00",
                                   "dsl_consultation@09:30:00", "neglect_screening@11:00:00"]


def test_without_times_the_screening_comes_before_the_consultation(engine) -> None:
    untimed = [{**f, "date": f["date"][:10]} for f in DAY]
    assert _order(engine, untimed) == ["concern@None", "police_incident@None",
                                       "neglect_screening@None", "dsl_consultation@None"]


def test_the_same_facts_in_any_order_give_byte_identical_statuses(engine) -> None:
    outputs = {json.dumps(engine.status({"case": "T", "facts": list(p)}, AS_OF).to_dict(),
                          sort_keys=True)
               for p in itertools.permutations(DAY)}
    assert len(outputs) == 1


def test_a_date_field_may_carry_a_time_and_the_clock_counts_from_it(engine) -> None:
    facts = [{"type": "missing_episode", "date": "2025-03-07", "returned": "2025-03-09T14:00"}]
    action = _action(engine, facts, date(2025, 3, 12), "return_home_interview#1")
    assert (action.status, action.due, action.due_at.isoformat()) == (
        "due", date(2025, 3, 12), "2025-03-12T14:00:00")


def test_a_date_field_without_a_time_counts_hours_from_the_end_of_its_day(engine) -> None:
    facts = [{"type": "missing_episode", "date": "2025-03-07", "returned": "2025-03-09"}]
    action = _action(engine, facts, date(2025, 3, 12), "return_home_interview#1")
    # end of Sun 9 Mar (Mon 10 00:00) + 72 hours -> Thu 13 Mar 00:00: due Wed 12 Mar
    assert (action.due, action.due_at.isoformat()) == (date(2025, 3, 12), "2025-03-13T00:00:00")


def test_no_return_interview_is_due_while_the_child_is_still_missing(engine) -> None:
    facts = [{"type": "missing_episode", "date": "2025-03-07"}]
    status = engine.status({"case": "T", "facts": facts}, date(2025, 3, 20))
    assert not [a for a in status.actions if a.requirement == "return_home_interview"]


def test_a_bad_date_time_in_a_date_field_is_reported_and_left_out(engine) -> None:
    facts = [{"type": "missing_episode", "date": "2025-03-07", "returned": "2025-03-09T25:00"}]
    status = engine.status({"case": "T", "facts": facts}, date(2025, 3, 20))
    assert [e["message"] for e in status.errors] == [
        "missing_episode: 'returned' must be a date like 2024-04-01 (or 2024-04-01T14:30), "
        "not '2025-03-09T25:00'; the field is left out"]
    assert not status.actions or all(a.requirement != "return_home_interview"
                                     for a in status.actions)


def _action(engine, facts: list[dict], as_of: date, ident: str):
    status = engine.status({"case": "T", "facts": facts}, as_of)
    return next(a for a in status.actions if a.id == ident)



WORDS = ["a", "ab", "abc", "b", "B", "_x", "x_1", "a b", "a!", "é", "a\\b", "", "1a", 3, True,
         None, ["a"]]


def test_same_day_facts_of_one_type_sorted_by_plain_words_are_in_the_order_of_their_text(
        ) -> None:
    # `_plain` sorts a run by its field values when every value is a plain word; it must give
    # the order of the content texts (`_content`), prefixes and unsafe values included
    import random

    from engine.evaluation.case import Fact, _content, _plain
    rng, day, checked = random.Random(7), date(2025, 4, 7), 0
    for _ in range(3000):
        names = rng.sample(["outcome", "agency", "result"], rng.randint(1, 3))
        run = []
        for n in range(rng.randint(2, 5)):
            fields = {k: rng.choice(WORDS[:7] if rng.random() < 0.85 else WORDS) for k in names
                      if rng.random() < 0.95}
            run.append(Fact(n, "information_check", day, fields, rng.choice([None, None, "R"]),
                            order=(day, 1)))
        keys = _plain(run)
        if keys is not None:
            checked += 1
            by_keys = [run[i] for i in sorted(range(len(run)), key=keys.__getitem__)]
            assert [f.index for f in by_keys] == [f.index for f in sorted(run, key=_content)]
    assert checked > 300
