"""An action's explanation in words: 'required by the referral on 2024-05-01; due 1 working
day after it, by 2024-05-02', then how it was done, cancelled or is overdue.

Actions keep their explanation as (a function here, its arguments) and word it only when
asked (Action.because): CSV, worklists, overdue lists and publish never show it.
"""
from __future__ import annotations

from datetime import date

from engine.evaluation.clocks import Due
from engine.evaluation.status import AnchorFact
from engine.language.model import Limit, Requirement, version_words

# What every explanation of an action says first: the lead words, the clock's start, its
# limit and due date, how it was decided, and the rule's version.
Head = tuple[str, AnchorFact, Limit, Due, str, str]


def clock_words(head: Head, tail: str = "") -> str:
    """'required by the referral on 2024-05-01; due 1 working day after it, by 2024-05-02'."""
    lead, anchor, limit, due, note, version = head
    return (f"{lead} {anchor.starts}{fact_ref(anchor.ref)}; "
            f"{due_words(anchor, limit, due)}{note}{version}{tail}")


def done_words(head: Head, when: date, late: int, late_by: bool) -> str:
    note = f"; done on {when}" + (f", {late} working day(s) late" if late else "")
    return clock_words(head, note + (", after the due time" if late_by and not late else ""))


def cancelled_words(head: Head, when: date, why: str, overdue: int | None,
                    unrecorded: str) -> str:
    note = f"; cancelled on {when}: {why}"
    note += f" (it was already {overdue} working day(s) overdue)" if overdue is not None else ""
    note += f"; whether it was late is unknown: {unrecorded}" if unrecorded else ""
    return clock_words(head, note)


def overdue_words(head: Head, late: int, as_of: date) -> str:
    return clock_words(head, f"; overdue by {late} working day(s) on {as_of}")


def limit_words(req: Requirement) -> str:
    return req.due_rule.describe() if req.due_rule is not None else req.due.describe()


def due_words(anchor: AnchorFact, limit: Limit, due: Due) -> str:
    """'due 15 working days after it, by 2022-06-20', in every form a limit takes."""
    if due.at is not None:
        start = "" if anchor.time else " (it has no time: counted from the end of that day)"
        return (f"due {limit.words} after it{start}, by "
                f"{due.at.isoformat(sep=' ', timespec='minutes')}")
    if due.opens is not None:
        return f"due {limit.describe()} after it: from {due.opens} and by {due.day}"
    return f"due {limit.words} {'before' if limit.before else 'after'} it, by {due.day}"


def version_note(rule: Requirement) -> str:
    words = version_words(rule)
    return f" ({words})" if words else ""


def fact_ref(ref: str | None) -> str:
    return f" (fact {ref})" if ref is not None else ""
