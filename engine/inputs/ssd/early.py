"""Early help and missing episodes from the SSD, in the vocabulary the procedure now uses.

An SSD early help episode is a family's agreed, allocated early help: it means early help was
offered and consent given (on its start date, which is all the SSD records: `estimated`), and
early help started once a worker was allocated. Its end, with the end reason where the
standard's words can be read (needs met, step-up, NFA, disengaged, withdrawn), closes or steps
it up. A missing episode (`ssd_missing`) is a `missing_episode` with its return date.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from engine.inputs.problems import show
from engine.inputs.ssd.child import Child, MappedEpisode, MappedFact, check_order

TABLE, KEY = "ssd_early_help_episodes", "earl_episode_id"
# An episode ended as stepped up joins the CIN episode its referral opened, when that referral
# came within 3 months of the end (the step-up referral is then judged, late or not, in one
# case rather than read as never made).
STEP_UP_WINDOW = timedelta(days=92)
# End reasons as written in case systems (the standard's guidance: "Outcomes met/ Step-up/
# NFA"), read by the words they contain; the first match wins.
END_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), reason) for pattern, reason in (
        (r"step[\s_-]*up|stepped[\s_-]*up|escalat|social care|\bcsc\b|^su$", "stepped_up"),
        (r"withdr", "withdrawn"),
        (r"disengag|did not engage|not engag|declin|refus", "disengaged"),
        (r"\bmet\b|achiev|complet|\bnfa\b|no further|^nm$", "needs_met")))


def end_reason(value: object) -> tuple[str | None, str | None]:
    """The closure reason an end reason reads as, and a message when it reads as none."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None, None
    for pattern, reason in END_REASONS:
        if pattern.search(text):
            return reason, None
    return None, (f"{show(text)} is not an end reason the engine reads (needs met, step-up, "
                  "NFA, disengaged, withdrawn); the reason is not recorded")


def map_early_help(child: Child, allocate: Callable[..., None]) -> None:
    """Each episode joins the CIN episode it leads into (or starts during), else is a case of
    its own (`<person>/early-help/<start>`)."""
    cin = list(child.episodes)
    for row in child.unique(TABLE, KEY):
        start = child.day(TABLE, row, "earl_episode_start_date", KEY, required=True)
        ident = str(row[KEY])
        if start is None:
            child.unreadable(f"{child.id}/early-help/{ident}",
                             f"{TABLE}[{ident}].earl_episode_start_date", "early help episode")
            continue
        end = child.day(TABLE, row, "earl_episode_end_date", KEY)
        joined = next((e for e in cin if (start <= e.start and (end is None or e.start <= end))
                       or e.spans(start)), None) or _stepped_up_into(cin, row, end)
        case = f"{child.id}/early-help/{start.isoformat()}"
        ep = joined or MappedEpisode(ident, start, end, case, early_help=True)
        worker = row.get("earl_episode_worker_id")
        _facts(child, ep, row, start, end, worker, stepped_up=joined is not None
               and start <= joined.start)
        if worker is not None:
            allocate(child, ep, TABLE, ident, {"worker": worker, "start": start, "end": end,
                                               "role": "early_help"})
        if joined is None:
            child.episodes.append(ep)
        else:
            child.entries.append((start, joined))
    child.episodes.sort(key=lambda e: (e.start, e.key))


def _stepped_up_into(cin: list[MappedEpisode], row: dict, end: date | None
                     ) -> MappedEpisode | None:
    """The CIN episode a stepped-up episode's referral opened (within STEP_UP_WINDOW)."""
    if end is None or end_reason(row.get("earl_episode_end_reason"))[0] != "stepped_up":
        return None
    return next((e for e in cin if end <= e.start <= end + STEP_UP_WINDOW), None)


def _facts(child: Child, ep: MappedEpisode, row: dict, start: date, end: date | None,
           worker: object, stepped_up: bool) -> None:
    ident = str(row[KEY])
    where = (TABLE, ident, "earl_episode_start_date")
    offered = MappedFact("early_help_offered", start, where, {"agency": "early_help"}, ident)
    ep.facts.append(offered)
    ep.facts.append(MappedFact("early_help_consent", start, where, {"outcome": "given"}, ident,
                               estimated=True))
    if worker is not None:      # started means a lead practitioner was allocated
        ep.facts.append(MappedFact("early_help_started", start, where,
                                   {"agency": "early_help"}, ident))
    if end is None:
        return
    reason, problem = end_reason(row.get("earl_episode_end_reason"))
    if problem:
        child.report(TABLE, ident, "earl_episode_end_reason", problem, ep)
    closed = MappedFact("early_help_closed", end, (TABLE, ident, "earl_episode_end_date"),
                        {"reason": reason or ("stepped_up" if stepped_up else None)}, ident)
    ep.facts.append(closed)
    check_order(child, ep, offered, closed)


def map_missing(child: Child) -> None:
    """Missing episodes: each joins the episode open on its start date (a CIN episode, else
    early help); one before every episode of the child is reported and not imported."""
    table, key = "ssd_missing", "miss_table_id"
    for row in child.unique(table, key):
        start = child.day(table, row, "miss_mis_epi_start", key, required=True)
        if start is None:
            continue
        ident = str(row[key])
        ep = child.place(table, row, key, None, start) or next(
            (e for e in child.episodes if e.early_help and e.spans(start)), None)
        if ep is None:
            continue
        back = child.day(table, row, "miss_mis_epi_end", key, ep=ep)
        fact = MappedFact("missing_episode", start, (table, ident, "miss_mis_epi_start"),
                          {"returned": back.isoformat() if back else None}, ident)
        ep.facts.append(fact)
        if back is not None and back < start:
            child.report(table, ident, "miss_mis_epi_end", f"{back} is before the start "
                         f"{start}; both are kept", ep)
