"""The child protection strand of one child's SSD rows: section 47 enquiries, initial
conferences, plans, visits and reviews (and child in need visits), placed in CIN episodes.
"""
from __future__ import annotations

from datetime import date, datetime

from engine.inputs.ssd.child import (
    Child,
    MappedEpisode,
    MappedFact,
    Target,
    check_order,
    iso_date,
    short_code,
)


def map_section_47s(child: Child) -> dict[str, tuple[MappedEpisode, date]]:
    """Each enquiry: a strategy discussion and s47 start on its start date (as the census)."""
    table, key = "ssd_s47_enquiry", "s47e_s47_enquiry_id"
    out: dict[str, tuple[MappedEpisode, date]] = {}
    for row in child.unique(table, key):
        start = child.day(table, row, "s47e_s47_start_date", key, required=True)
        ep = child.place(table, row, key, "s47e_referral_id", start) if start else None
        if ep is None or start is None:
            continue
        ident = str(row[key])
        where = (table, ident, "s47e_s47_start_date")
        ep.facts.append(MappedFact("strategy_discussion", start, where, {"outcome": "section_47"},
                                   ident))
        begun = MappedFact("section_47_started", start, where, ref=ident)
        ep.facts.append(begun)
        out[ident] = (ep, start)
        end = child.day(table, row, "s47e_s47_end_date", key, ep=ep)
        outcome = child.outcome(table, row, "s47e_s47_outcome_json", key, ep)
        nfa = child.flag(table, row, "s47e_s47_nfa", key, ep)
        if end is None:
            continue
        conference = outcome.get("CP_CONFERENCE_FLAG")
        if conference is None and nfa:
            conference = False
        done = MappedFact("section_47_completed", end, (table, ident, "s47e_s47_end_date"),
                          {"conference_required": conference}, ident)
        ep.facts.append(done)
        check_order(child, ep, begun, done)
    return out


def map_conferences(child: Child, s47: dict[str, tuple[MappedEpisode, date]]
                    ) -> dict[str, MappedEpisode]:
    """Initial conferences; returns the episode of each plan id a conference names."""
    table, key = "ssd_initial_cp_conference", "icpc_icpc_id"
    plans: dict[str, MappedEpisode] = {}
    starts = _plan_starts(child)
    for row in child.unique(table, key):
        ident = str(row[key])
        enquiry = s47.get(str(row.get("icpc_s47_enquiry_id") or ""))
        day = child.day(table, row, "icpc_icpc_date", key)
        target = child.day(table, row, "icpc_icpc_target_date", key)
        via = enquiry[0] if enquiry else None
        ep = child.place(table, row, key, "icpc_referral_id", day or target, via)
        if ep is None:
            continue
        if enquiry and target:
            child.targets.append(Target(ep.case, "initial_conference", table, ident,
                                        "icpc_icpc_target_date", target, "section_47_started",
                                        enquiry[1]))
        if row.get("icpc_cp_plan_id"):
            plans[str(row["icpc_cp_plan_id"])] = ep
        plans[f"icpc:{ident}"] = ep
        outcome = child.outcome(table, row, "icpc_icpc_outcome_json", key, ep)
        cp = child.flag(table, row, "icpc_icpc_outcome_cp_flag", key, ep)
        child.flag(table, row, "icpc_icpc_transfer_in", key, ep)
        if day is None:
            continue
        result = ("child_protection_plan" if cp or outcome.get("CP_FLAG") or day in starts
                  else "no_further_action" if outcome.get("NFA_FLAG") else None)
        fact = MappedFact("initial_conference", day, (table, ident, "icpc_icpc_date"),
                          {"outcome": result}, ident)
        ep.facts.append(fact)
        if enquiry and day < enquiry[1]:
            child.report(table, ident, "icpc_icpc_date", f"{day} is before the section 47 "
                         f"start {enquiry[1]}; both are kept", ep)
    return plans


def _plan_starts(child: Child) -> set[date]:
    out = set()
    for row in child.rows.of("ssd_cp_plans"):
        value = row.get("cppl_cp_plan_start_date")
        if isinstance(value, datetime):
            out.add(value.date())
        elif isinstance(value, date):
            out.add(value)
        elif isinstance(value, str) and iso_date(value.strip()[:10]):
            out.add(date.fromisoformat(value.strip()[:10]))
    return out


def map_protection_plans(child: Child, by_plan: dict[str, MappedEpisode]
                         ) -> dict[str, tuple[MappedEpisode, date]]:
    table, key = "ssd_cp_plans", "cppl_cp_plan_id"
    out: dict[str, tuple[MappedEpisode, date]] = {}
    for row in child.unique(table, key):
        ident = str(row[key])
        start = child.day(table, row, "cppl_cp_plan_start_date", key, required=True)
        via = by_plan.get(ident) or by_plan.get(f"icpc:{row.get('cppl_icpc_id')}")
        ep = child.place(table, row, key, "cppl_referral_id", start, via) if start else None
        if ep is None or start is None:
            continue
        begun = MappedFact("child_protection_plan_started", start,
                           (table, ident, "cppl_cp_plan_start_date"),
                           {"category": short_code(row.get("cppl_cp_plan_initial_category"))},
                           ident)
        ep.facts.append(begun)
        out[ident] = (ep, start)
        end = child.day(table, row, "cppl_cp_plan_end_date", key, ep=ep)
        if end is not None:
            ended = MappedFact("child_protection_plan_ended", end,
                               (table, ident, "cppl_cp_plan_end_date"), ref=ident)
            ep.facts.append(ended)
            check_order(child, ep, begun, ended)
    return out


def map_visits(child: Child, plans: dict[str, tuple[MappedEpisode, date]]) -> None:
    """A visit counts when the child was seen; `seen_alone` as recorded (left out if blank)."""
    table, key = "ssd_cp_visits", "cppv_cp_visit_id"
    for row in child.unique(table, key):
        day = child.day(table, row, "cppv_cp_visit_date", key, required=True)
        plan = plans.get(str(row.get("cppv_cp_plan_id") or ""))
        if day is None:
            continue
        if plan is None:
            found = child._by_date(day)
            child.report(table, row[key], "cppv_cp_plan_id", "plan id matches no CP plan of "
                         "this child; " + (f"placed by date in episode {found.key}" if found
                                           else "not imported"), found)
            if found is None:
                continue
        ep = plan[0] if plan else found
        seen = child.flag(table, row, "cppv_cp_visit_seen", key, ep)
        alone = child.flag(table, row, "cppv_cp_visit_seen_alone", key, ep)
        if ep is None:
            continue
        ep.facts.append(MappedFact("child_protection_visit", day, (table, str(row[key]),
                                                                   "cppv_cp_visit_date"),
                              {"seen": seen, "seen_alone": alone if seen is not False else None},
                              str(row[key])))


def map_cin_visits(child: Child) -> None:
    """CIN visits name no plan: each goes to the CIN episode open on its date."""
    table, key = "ssd_cin_visits", "cinv_cin_visit_id"
    for row in child.unique(table, key):
        day = child.day(table, row, "cinv_cin_visit_date", key, required=True)
        ep = child.place(table, row, key, None, day) if day else None
        if ep is None or day is None:
            continue
        seen = child.flag(table, row, "cinv_cin_visit_seen", key, ep)
        alone = child.flag(table, row, "cinv_cin_visit_seen_alone", key, ep)
        ep.facts.append(MappedFact("child_in_need_visit", day, (table, str(row[key]),
                                                                "cinv_cin_visit_date"),
                              {"seen": seen, "seen_alone": alone if seen is not False else None},
                              str(row[key])))


def map_reviews(child: Child, plans: dict[str, tuple[MappedEpisode, date]]) -> None:
    """Reviews as facts; their recorded due dates become targets, numbered within the plan."""
    table, key = "ssd_cp_reviews", "cppr_cp_review_id"
    held: dict[str, list[tuple[date, date | None, str]]] = {}
    for row in child.unique(table, key):
        ident = str(row[key])
        day = child.day(table, row, "cppr_cp_review_date", key)
        due = child.day(table, row, "cppr_cp_review_due", key)
        plan_id = str(row.get("cppr_cp_plan_id") or "")
        plan = plans.get(plan_id)
        if plan is None:
            found = child._by_date(day or due)
            child.report(table, ident, "cppr_cp_plan_id", "plan id matches no CP plan of this "
                         "child; " + (f"placed by date in episode {found.key}" if found
                                      else "not imported"), found)
            if found is None:
                continue
            ep = found
        else:
            ep = plan[0]
            held.setdefault(plan_id, []).append((day or date.max, due, ident))
        go_on = child.flag(table, row, "cppr_cp_review_outcome_continue_cp", key, ep)
        if day is not None:
            outcome = None if go_on is None else ("continue" if go_on else "end")
            ep.facts.append(MappedFact("review_conference", day,
                                       (table, ident, "cppr_cp_review_date"),
                                       {"outcome": outcome}, ident))
    for plan_id, reviews in held.items():
        ep, start = plans[plan_id]
        previous: date | None = start
        for n, (day, due, ident) in enumerate(sorted(reviews), start=1):
            if due is not None and previous is not None:
                child.targets.append(Target(
                    ep.case, "review_conference", table, ident, "cppr_cp_review_due", due,
                    "child_protection_plan_started" if n == 1 else "review_conference",
                    previous, n))
            previous = day if day != date.max else None
