"""The synthetic SSD's children: made up, seeded, and dated relative to an as-of date.

Every fact lies on or before the as-of date (recorded due dates may lie after it), with the
drift real caseloads have: visits that come late or lapse, early help waiting for a worker,
reviews a day out, ICPC targets counted from day 1, children who go missing. The same seed and
as-of date always give the same children. Written by synthetic.py.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.evaluation.calendar import add_months, working_calendar
from engine.language.model import Calendar

NAME_MARK = "Synthname"
FAULTS = ("empty_date", "timed_date", "odd_flag", "bad_json", "orphan_visit", "duplicate_visit",
          "after_as_of", "before_birth", "orphan_person", "bad_date_text")


Add = Callable[..., None]


@dataclass(frozen=True)
class Options:
    children: int = 200
    seed: int = 7
    as_of: date = date(2024, 11, 29)   # the CLI passes today by default
    teams: int = 6
    workers_per_team: int = 5
    messy: float = 0.0        # share of children given one fault each
    text_dates: bool = False  # dates stored as text (as in many staged extracts)


class Generator:
    """Staff, then children one at a time (a dict of table -> rows each)."""

    def __init__(self, options: Options):
        self.o = options
        self.rnd = random.Random(options.seed)
        self.drift = random.Random(options.seed + 1)   # late and lapsed work, missing children
        self.cal = working_calendar(Calendar())
        self.teams = [f"T{t:02d}" for t in range(1, options.teams + 1)]
        self.workers = {t: [f"W{t[1:]}{w:02d}" for w in range(1, options.workers_per_team + 1)]
                        for t in self.teams}
        self.family = ""
        self.next_id = 0

    def staff(self) -> dict[str, list[dict]]:
        depts = [{"dept_team_id": t, "dept_team_parent_id": "S1" if i % 2 else "S2",
                  "dept_team_name": f"{NAME_MARK} team {t}"} for i, t in enumerate(self.teams)]
        profs = [{"prof_professional_id": w, "prof_staff_id": f"STAFF-{w}",
                  "prof_professional_name": f"{NAME_MARK} worker {w}"}
                 for t in self.teams for w in self.workers[t]]
        return {"ssd_department": depts, "ssd_professionals": profs}

    def _id(self, prefix: str) -> str:
        self.next_id += 1
        return f"{prefix}{self.next_id:07d}"

    def _when(self, day: date | None) -> object:
        if day is None:
            return None
        return day.isoformat() if self.o.text_dates else datetime(day.year, day.month, day.day)

    def _wd(self, day: date, n: int) -> date:
        return self.cal.add_working_days(day, n)

    def children(self) -> Iterator[dict[str, list[dict]]]:
        for n in range(1, self.o.children + 1):
            rows: dict[str, list[dict]] = {}
            yield self._child(n, rows)

    def _child(self, n: int, rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
        r, o = self.rnd, self.o
        person = f"C{n:06d}"
        born = o.as_of - timedelta(days=r.randint(200, 17 * 365))
        add = lambda table, **row: rows.setdefault(table, []).append(row)  # noqa: E731
        add("ssd_person", pers_person_id=person, pers_dob=self._when(born),
            pers_expected_dob=None, pers_forename=f"{NAME_MARK}{n}",
            pers_surname=f"{NAME_MARK}son")
        if not self.family or r.random() > 0.3:
            self.family = f"F{n:06d}"
        add("ssd_family", fami_table_id=f"FAM{n:06d}", fami_family_id=self.family,
            fami_person_id=person)
        team = r.choice(self.teams)
        worker = r.choice(self.workers[team])
        start = o.as_of - timedelta(days=r.randint(5, min(700, (o.as_of - born).days - 30)))
        if r.random() < 0.15:
            self._early_help(add, person, start, eh_only=True, worker=worker)
        else:
            if r.random() < 0.2:
                self._early_help(add, person, start - timedelta(days=r.randint(40, 120)),
                                 eh_only=False, worker=worker)
            self._episode(add, person, start, team, worker)
            if (start - born).days >= 10 * 365 and self.drift.random() < 0.12:
                self._missing(add, person, start)
        if o.messy and r.random() < o.messy:
            self._fault(r.choice(FAULTS), rows, person, born)
        return rows

    def _early_help(self, add: Add, person: str, start: date, eh_only: bool, worker: str) -> None:
        r = self.rnd
        end = start + timedelta(days=r.randint(30, 100))
        ended = end if (not eh_only or r.random() < 0.5) and end <= self.o.as_of else None
        if r.random() < 0.7:
            add("ssd_contacts", cont_contact_id=self._id("CON"), cont_person_id=person,
                cont_contact_date=self._when(start - timedelta(days=r.randint(0, 10))),
                cont_contact_source_code=r.choice(["2A", "3A", "5A", "1A"]))
        waiting = ended is None and self.drift.random() < 0.3     # no worker allocated yet
        reason = "Step-up to CSC" if not eh_only else self.drift.choice(
            ["Outcomes met", "Outcomes met", "NFA", "Disengaged", "Consent withdrawn"])
        add("ssd_early_help_episodes", earl_episode_id=self._id("EH"), earl_person_id=person,
            earl_episode_start_date=self._when(start), earl_episode_end_date=self._when(ended),
            earl_episode_end_reason=reason if ended else None,
            earl_episode_worker_id=None if waiting else worker,
            earl_episode_reason=f"{NAME_MARK} reason text")

    def _episode(self, add: Add, person: str, start: date, team: str, worker: str) -> None:
        r, o = self.rnd, self.o
        ref = self._id("REF")
        if r.random() < 0.6:
            add("ssd_contacts", cont_contact_id=self._id("CON"), cont_person_id=person,
                cont_contact_date=self._when(start - timedelta(days=r.randint(0, 5))),
                cont_contact_source_code=r.choice(["2A", "3A", "5A", "5B", "1A", "8"]))
        nfa = r.random() < 0.12
        outcome = _flags(["SINGLE_ASSESSMENT_FLAG", "NFA_FLAG", "STRATEGY_DISCUSSION_FLAG"],
                         "NFA_FLAG" if nfa else "SINGLE_ASSESSMENT_FLAG")
        closed = start if nfa else None
        episode = {"cine_referral_id": ref, "cine_person_id": person,
                       "cine_referral_date": self._when(start),
                       "cine_referral_source_code": r.choice(["1A", "2A", "3A", "5A", "5C"]),
                       "cine_referral_outcome_json": json.dumps(outcome),
                       "cine_referral_nfa": "Y" if nfa else "N", "cine_close_reason": None,
                       "cine_close_date": None, "cine_referral_team": team,
                       "cine_referral_worker_id": worker}
        self._allocate(add, person, ref, start, team, worker)
        if not nfa:
            closed = self._assessment(add, person, ref, start)
        if closed is not None and closed <= o.as_of:
            episode["cine_close_date"] = self._when(closed)
            episode["cine_close_reason"] = "RC8" if nfa else "RC1"
        add("ssd_cin_episodes", **episode)

    def _allocate(self, add: Add, person: str, ref: str, start: date, team: str,
                  worker: str) -> None:
        r = self.rnd
        change = start + timedelta(days=r.randint(20, 400)) if r.random() < 0.3 else None
        if change is not None and change >= self.o.as_of:
            change = None
        add("ssd_involvements", invo_involvements_id=self._id("INV"), invo_professional_id=worker,
            invo_professional_role_id="SW", invo_professional_team=team,
            invo_involvement_start_date=self._when(start),
            invo_involvement_end_date=self._when(change), invo_person_id=person,
            invo_referral_id=ref)
        if change is not None:
            team2 = r.choice(self.teams)
            add("ssd_involvements", invo_involvements_id=self._id("INV"),
                invo_professional_id=r.choice(self.workers[team2]),
                invo_professional_role_id="SW", invo_professional_team=team2,
                invo_involvement_start_date=self._when(change + timedelta(days=1)),
                invo_involvement_end_date=None, invo_person_id=person, invo_referral_id=ref)

    def _assessment(self, add: Add, person: str, ref: str, start: date) -> date | None:
        """An assessment, then maybe s47 -> ICPC -> plan, or a CIN plan. Returns a close date."""
        r, as_of = self.rnd, self.o.as_of
        ident = self._id("ASM")
        begun = min(self._wd(start, r.randint(0, 3)), as_of)
        done = self._wd(start, r.randint(15, 55))
        s47 = r.random() < 0.35
        outcome = _flags(["NFA_FLAG", "STRATEGY_DISCUSSION_FLAG", "PROV_OF_SERVICES_FLAG"],
                         "STRATEGY_DISCUSSION_FLAG" if s47 else r.choice(
                             ["NFA_FLAG", "PROV_OF_SERVICES_FLAG"]))
        outcome["COMMENTS"] = f"{NAME_MARK} free text comment"
        authorised = self._authorised(start, done, overran=r.random() >= 0.9)
        add("ssd_cin_assessments", cina_assessment_id=ident, cina_person_id=person,
            cina_referral_id=ref, cina_assessment_start_date=self._when(begun),
            cina_assessment_child_seen="Y", cina_assessment_auth_date=self._when(authorised),
            cina_assessment_outcome_json=json.dumps(outcome),
            cina_assessment_outcome_nfa="Y" if outcome["NFA_FLAG"] == "Y" else "N")
        if r.random() < 0.6:
            add("ssd_assessment_factors", cinf_table_id=self._id("FAC"),
                cinf_assessment_id=ident,
                cinf_assessment_factors_json=json.dumps(sorted(r.sample(
                    ["1C", "2B", "3A", "4A", "6A", "21"], 2))))
        if authorised is None:
            return None
        if s47:
            return self._section_47(add, person, ref, self._wd(begun, r.randint(1, 10)))
        if outcome["NFA_FLAG"] == "Y":
            return authorised
        return self._cin_plan(add, person, ref, authorised)

    def _authorised(self, start: date, done: date, overran: bool) -> date | None:
        """When the assessment was authorised: on time, or (one in ten) late; a recent one
        that overran may still be open, as a team's worklist shows this week."""
        as_of = self.o.as_of
        if overran:
            if (as_of - start).days < 130:
                return None
            done = self._wd(done, self.drift.randint(3, 25))
        return done if done <= as_of else None

    def _late(self, gap: int, chance: float, low: int, high: int) -> int:
        """A visit gap in working days, now and then a late one."""
        return self.drift.randint(low, high) if self.drift.random() < chance else gap

    def _lapse(self, ended: date | None, chance: float) -> date:
        """The last day visits are made: for some open plans visits stopped weeks ago."""
        as_of = self.o.as_of
        if ended is None and self.drift.random() < chance:
            return as_of - timedelta(days=self.drift.randint(15, 45))
        return min(ended or as_of, as_of)

    def _missing(self, add: Add, person: str, start: date) -> None:
        """An adolescent who goes missing during the episode, found or back within days."""
        d, as_of = self.drift, self.o.as_of
        for _ in range(d.randint(1, 3)):
            day = start + timedelta(days=d.randint(0, max((as_of - start).days, 0)))
            back = day + timedelta(days=d.randint(0, 3))
            add("ssd_missing", miss_table_id=self._id("MIS"), miss_la_person_id=person,
                miss_mis_epi_start=self._when(day),
                miss_mis_epi_end=self._when(back if back <= as_of and d.random() > 0.05
                                            else None))

    def _cin_plan(self, add: Add, person: str, ref: str, start: date) -> date | None:
        r = self.rnd
        end = start + timedelta(days=r.randint(60, 400))
        ended = end if end <= self.o.as_of else None
        add("ssd_cin_plans", cinp_cin_plan_id=self._id("CINP"), cinp_referral_id=ref,
            cinp_person_id=person, cinp_cin_plan_start_date=self._when(start),
            cinp_cin_plan_end_date=self._when(ended))
        day, stop = start, self._lapse(ended, 0.15)
        while True:
            day = self._wd(day, self._late(r.choice([15, 18, 20, 20, 20, 22, 26]), 0.1, 22, 34))
            if day > stop:
                break
            seen = r.random() < 0.93
            add("ssd_cin_visits", cinv_cin_visit_id=self._id("CINV"), cinv_person_id=person,
                cinv_cin_visit_date=self._when(day), cinv_cin_visit_seen="Y" if seen else "N",
                cinv_cin_visit_seen_alone=r.choice(["Y", "N"]) if seen else "N")
        return ended

    def _section_47(self, add: Add, person: str, ref: str, start: date) -> date | None:
        r, as_of = self.rnd, self.o.as_of
        if start > as_of:
            start = as_of
        ident = self._id("S47")
        conference = r.random() < 0.75
        due = self._wd(start, 15)
        # Most authorities record the engine's date; some count the start as day 1.
        target = self._wd(start, 14) if r.random() < 0.15 else due
        held = self._wd(start, r.randint(8, 19)) if conference else None
        if held is not None and held > as_of:
            held = None
        outcome = _flags(["NFA_FLAG", "CP_CONFERENCE_FLAG"],
                         "CP_CONFERENCE_FLAG" if conference else "NFA_FLAG")
        end = self._wd(start, r.randint(5, 12))
        add("ssd_s47_enquiry", s47e_s47_enquiry_id=ident, s47e_referral_id=ref,
            s47e_person_id=person, s47e_s47_start_date=self._when(start),
            s47e_s47_end_date=self._when(end if end <= as_of else None),
            s47e_s47_nfa="N" if conference else "Y",
            s47e_s47_outcome_json=json.dumps(outcome))
        if not conference:
            return end if end <= as_of else None
        icpc = self._id("ICPC")
        plan = held is not None and r.random() < 0.8
        plan_id = self._id("CPP") if plan else None
        add("ssd_initial_cp_conference", icpc_icpc_id=icpc, icpc_s47_enquiry_id=ident,
            icpc_person_id=person, icpc_cp_plan_id=plan_id, icpc_referral_id=ref,
            icpc_icpc_transfer_in="N", icpc_icpc_target_date=self._when(target),
            icpc_icpc_date=self._when(held), icpc_icpc_outcome_cp_flag="Y" if plan else "N",
            icpc_icpc_outcome_json=json.dumps(_flags(["CP_FLAG", "NFA_FLAG"],
                                                     "CP_FLAG" if plan else "NFA_FLAG")))
        if held is None or plan_id is None:
            return None
        return self._plan(add, person, ref, icpc, plan_id, held)

    def _plan(self, add: Add, person: str, ref: str, icpc: str, plan_id: str, start: date
              ) -> date | None:
        r, as_of = self.rnd, self.o.as_of
        length = r.randint(60, 720)
        end = start + timedelta(days=length)
        ended = end if end <= as_of else None
        add("ssd_cp_plans", cppl_cp_plan_id=plan_id, cppl_referral_id=ref, cppl_icpc_id=icpc,
            cppl_person_id=person, cppl_cp_plan_start_date=self._when(start),
            cppl_cp_plan_end_date=self._when(ended),
            cppl_cp_plan_initial_category=r.choice(["NEG", "EMO", "PHY", "SAB"]))
        stop = min(ended or as_of, as_of)
        day, visits_stop = start, self._lapse(ended, 0.2)
        while True:
            day = self._wd(day, self._late(r.choice([7, 8, 9, 10, 10, 10, 11, 13]), 0.12, 12, 22))
            if day > visits_stop:
                break
            seen = r.random() < 0.95
            add("ssd_cp_visits", cppv_cp_visit_id=self._id("CPV"), cppv_person_id=person,
                cppv_cp_plan_id=plan_id, cppv_cp_visit_date=self._when(day),
                cppv_cp_visit_seen="Y" if seen else "N",
                cppv_cp_visit_seen_alone=r.choice(["Y", "N", ""]) if seen else "N")
        previous, months = start, 3
        while True:
            due = add_months(previous, months)
            recorded = due + timedelta(days=1) if r.random() < 0.1 else due
            held = self.cal.add_working_days(due, r.randint(-10, 4))
            if due > stop + timedelta(days=40) or (ended and held > ended):
                break
            happened = held if held <= stop else None
            add("ssd_cp_reviews", cppr_cp_review_id=self._id("CPR"), cppr_person_id=person,
                cppr_cp_plan_id=plan_id, cppr_cp_review_due=self._when(recorded),
                cppr_cp_review_date=self._when(happened),
                cppr_cp_review_outcome_continue_cp="Y" if happened else "")
            if happened is None:
                break
            previous, months = happened, 6
        return ended

    def _fault(self, fault: str, rows: dict[str, list[dict]], person: str, born: date) -> None:
        """Damage one thing of this child's rows (or add one bad row)."""
        visits, assessments = rows.get("ssd_cp_visits"), rows.get("ssd_cin_assessments")
        episodes = rows.get("ssd_cin_episodes") or []
        text = self.o.text_dates
        if fault == "empty_date" and visits and text:
            visits[0]["cppv_cp_visit_date"] = ""
        elif fault == "bad_date_text" and assessments and text:
            assessments[0]["cina_assessment_start_date"] = "31/02/2023"
        elif fault == "timed_date" and episodes:
            day = episodes[0]["cine_referral_date"]
            stamp = day if isinstance(day, datetime) else datetime.fromisoformat(str(day))
            stamp = stamp.replace(hour=14, minute=35)
            episodes[0]["cine_referral_date"] = stamp.isoformat(" ") if text else stamp
        elif fault == "odd_flag" and visits:
            visits[-1]["cppv_cp_visit_seen_alone"] = "maybe"
        elif fault == "bad_json" and assessments:
            assessments[0]["cina_assessment_outcome_json"] = '{"NFA_FLAG": "Y", '
        elif fault == "orphan_visit" and visits:
            visits[-1]["cppv_cp_plan_id"] = "CPP-MISSING"
        elif fault == "duplicate_visit" and visits:
            visits.append(dict(visits[-1]))
        elif fault == "after_as_of" and episodes:
            later = self.o.as_of + timedelta(days=30)
            episodes[0]["cine_close_date"] = self._when(later)
        elif fault == "before_birth" and assessments:
            early = born - timedelta(weeks=60)
            assessments[0]["cina_assessment_start_date"] = self._when(early)
        elif fault == "orphan_person":
            rows.setdefault("ssd_contacts", []).append({
                "cont_contact_id": self._id("CON"), "cont_person_id": f"X{person}",
                "cont_contact_date": self._when(self.o.as_of - timedelta(days=3)),
                "cont_contact_source_code": "5A"})


def _flags(keys: list[str], yes: str) -> dict[str, str]:
    """An outcome JSON object with every key present ("Y" / "N"), as the standard asks."""
    return {k: "Y" if k == yes else "N" for k in keys}
