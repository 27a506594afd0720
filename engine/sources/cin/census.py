"""Import a DfE Children in Need (CIN) census XML file as engine cases, one per CIN episode.

Messy exports are the norm: every problem is reported per episode and the rest is imported.
The element-by-element mapping is in docs/cin-census.md.
"""
from __future__ import annotations

import contextlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from engine.errors import SafeguardError

SOURCE = "cin-census"

# Fact types (and type.field) the census never records: requirements on them are unknown.
NOT_RECORDED: tuple[str, ...] = tuple(sorted((
    "concern", "neglect_screening",
    "early_help_offered", "early_help_consent", "early_help_assessment_completed",
    "early_help_review", "early_help_closed",
    "information_check", "core_group", "child_protection_visit", "management_oversight",
    "disagreement_raised", "disagreement_escalated", "disagreement_resolved",
    "referral_decision", "section_47_completed", "assessment_completed.outcome",
    "strategy_discussion.attended",
    "initial_conference.attended", "initial_conference.reports", "initial_conference.outcome",
    "review_conference.attended", "review_conference.reports", "review_conference.outcome",
    "child_protection_plan_started.outcomes", "child_protection_visit.seen_alone",
    # added with the 2024.2 procedure review (docs/procedure-review.md)
    "concern_closed", "dsl_consultation", "police_incident", "early_help_started",
    "strategy_discussion_requested", "child_seen", "complex_case_review",
    "child_in_need_visit", "child_in_need_review", "review_conference.progress",
)))

# Same-day facts are emitted in pathway order.
FACT_ORDER: tuple[str, ...] = (
    "concern", "concern_closed", "dsl_consultation", "police_incident", "neglect_screening",
    "early_help_offered", "early_help_consent", "early_help_started",
    "early_help_assessment_completed", "early_help_review", "early_help_closed",
    "referral", "information_check", "referral_decision",
    "assessment_started", "assessment_completed", "strategy_discussion_requested",
    "strategy_discussion", "section_47_started", "section_47_completed", "child_seen",
    "initial_conference", "child_protection_plan_started", "core_group",
    "child_protection_visit", "review_conference", "complex_case_review",
    "child_protection_plan_ended", "child_in_need_plan_started", "child_in_need_visit",
    "child_in_need_review", "child_in_need_plan_ended", "case_closed",
    "management_oversight", "disagreement_raised", "disagreement_escalated",
    "disagreement_resolved",
)

# The CIN census layout: container -> the elements it may hold. Everything else is a leaf.
SCHEMA: dict[str, tuple[str, ...]] = {
    "Message": ("Header", "Children"),
    "Header": ("CollectionDetails", "Source"),
    "CollectionDetails": ("Collection", "Year", "ReferenceDate"),
    "Source": ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime"),
    "Children": ("Child",),
    "Child": ("ChildIdentifiers", "ChildCharacteristics", "CINdetails"),
    "ChildIdentifiers": (
        "LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate",
        "ExpectedPersonBirthDate", "GenderCurrent", "Sex", "PersonDeathDate"),
    "ChildCharacteristics": ("Ethnicity", "Disabilities"),
    "Disabilities": ("Disability",),
    "CINdetails": (
        "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate",
        "ReasonForClosure", "DateOfInitialCPC", "ReferralNFA", "Assessments", "CINPlanDates",
        "Section47", "ChildProtectionPlans", "PreProceedingsandFGDM"),
    "Assessments": (
        "AssessmentActualStartDate", "AssessmentInternalReviewDate",
        "AssessmentAuthorisationDate", "FactorsIdentifiedAtAssessment"),
    "FactorsIdentifiedAtAssessment": ("AssessmentFactors",),
    "CINPlanDates": ("CINPlanStartDate", "CINPlanEndDate"),
    "Section47": ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired"),
    "ChildProtectionPlans": (
        "CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse",
        "NumberOfPreviousCPP", "Reviews"),
    "Reviews": ("CPPreviewDate",),
    "PreProceedingsandFGDM": (
        "PPStartDate", "LBPSentDate", "FGDMMeetingOffer", "FGDMMeetingFac",
        "InitialPPMeetingDate", "ReviewMeetingsCount", "StepDecisionDate", "PPOutcome",
        "CourtAppDate", "LetterInitCPDate"),
}
REPEATABLE = frozenset((
    "Child", "CINdetails", "Assessments", "CINPlanDates", "Section47", "ChildProtectionPlans",
    "Reviews", "CPPreviewDate", "AssessmentFactors", "Disability", "PreProceedingsandFGDM"))
KNOWN = frozenset(SCHEMA) | frozenset(tag for tags in SCHEMA.values() for tag in tags)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_LIKE = re.compile(r"[0-9TZ:+./ -]{1,30}")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_SNIFF_EVENTS = 5000
# Pre-birth work is normal: like DfE rule 8606, only dates over 40 weeks before birth are wrong.
PRE_BIRTH = timedelta(weeks=40)


@dataclass(frozen=True)
class ImportProblem:
    """One problem in one episode, one child (episode None) or the file (child None)."""

    child: str | None
    episode: str | None
    path: str
    message: str
    file: str = ""

    def render(self) -> str:
        who = " ".join(part for part in (
            f"child {self.child}" if self.child else "",
            f"episode {self.episode}" if self.episode else "") if part)
        return ": ".join(part for part in (self.file, who, self.path, self.message) if part)


@dataclass(frozen=True)
class ImportResult:
    """Cases in file order plus every problem found; counts let the CLI summarise."""

    reference_date: date | None
    cases: tuple[dict, ...]
    problems: tuple[ImportProblem, ...]
    episodes: int
    episodes_with_problems: int


class NotACensus(SafeguardError):
    """The file is not XML, refuses safe parsing, or is not a CIN census Message."""


@dataclass(frozen=True)
class _Fact:
    """A fact plus the element it came from, so checks can point at it."""

    type: str
    day: date
    path: str
    fields: tuple[tuple[str, object], ...] = ()
    estimated: bool = False

    def as_dict(self) -> dict:
        out: dict = {"type": self.type, "date": self.day.isoformat()}
        for key, value in self.fields:
            out[key] = list(value) if isinstance(value, tuple) else value
        if self.estimated:
            out["estimated"] = True
        return out


@dataclass
class _Sink:
    """Collects the facts and problems of one scope (file, child or episode) while reading."""

    file: str
    child: str | None = None
    episode: str | None = None
    problems: list[ImportProblem] = field(default_factory=list)
    facts: list[_Fact] = field(default_factory=list)

    def report(self, path: str, message: str) -> None:
        problem = ImportProblem(self.child, self.episode, path, message, self.file)
        if problem not in self.problems:
            self.problems.append(problem)

    def add(self, type_: str, day: date | None, path: str, estimated: bool = False,
            **fields: object) -> _Fact | None:
        if day is None:
            return None
        kept = tuple((k, v) for k, v in fields.items() if v is not None and v != ())
        fact = _Fact(type_, day, path, kept, estimated)
        self.facts.append(fact)
        return fact


# ---------------------------------------------------------------- reading the XML


def _parse(path: Path) -> Element:
    """Parse safely (no entities, no external references); anything unusable is NotACensus."""
    try:
        root = SafeET.parse(str(path)).getroot()
    except DefusedXmlException:
        raise NotACensus(f"{path}: refused: the file declares XML entities or external "
                         "references, which a census file never needs") from None
    except ParseError as err:
        raise NotACensus(f"{path}: not a CIN census: not well-formed XML ({err})") from None
    if root is None:
        raise NotACensus(f"{path}: not a CIN census: the document is empty")
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    return root


def _local(tag: str) -> str:
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def _census_refusal(root: Element) -> str | None:
    """Why this tree is not a CIN census Message, or None when it is one."""
    if root.tag != "Message":
        return f"the root element is <{root.tag[:40]}>, expected <Message>"
    collection = _text(root.find("Header/CollectionDetails/Collection"))
    if collection:
        return None if collection.upper() == "CIN" else f"its collection is '{collection[:20]}'"
    if root.find("Children/Child") is None:
        return "it has neither Header/CollectionDetails/Collection CIN nor Children/Child"
    return None


def _text(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _steps(el: Element) -> list[tuple[Element, str]]:
    """Child elements with their path steps: repeatable (or repeated) tags get a 1-based index."""
    totals = Counter(child.tag for child in el)
    seen: Counter = Counter()
    out = []
    for child in el:
        seen[child.tag] += 1
        indexed = child.tag in REPEATABLE or totals[child.tag] > 1
        out.append((child, f"{child.tag}[{seen[child.tag]}]" if indexed else child.tag))
    return out


def _all(el: Element, path: str, tag: str) -> list[tuple[Element, str]]:
    return [(child, f"{path}/{step}") for child, step in _steps(el) if child.tag == tag]


def _first(el: Element, path: str, tag: str) -> tuple[Element | None, str]:
    found = _all(el, path, tag)
    return found[0] if found else (None, f"{path}/{tag}")


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1].split("[", 1)[0]


def _show(value: str) -> str:
    """Echo a bad value only when it looks like a date: free text might name a person."""
    if _DATE_LIKE.fullmatch(value):
        return f"'{value}'"
    return f"(text of {len(value)} characters)"


def _walk(el: Element, path: str, sink: _Sink, stop: frozenset[str] = frozenset()) -> None:
    """Report unknown elements, repeated single elements and stray text below el."""
    allowed = SCHEMA.get(el.tag)
    if allowed is None:
        if len(el):
            sink.report(path, f"<{el.tag}> holds nested elements where a value belongs; "
                              "they are ignored")
        return
    if _text(el):
        sink.report(path, f"stray text ({len(_text(el))} characters) inside <{el.tag}>; ignored")
    seen: Counter = Counter()
    for child, step in _steps(el):
        seen[child.tag] += 1
        here = f"{path}/{step}"
        if (child.tail or "").strip():
            size = len((child.tail or "").strip())
            sink.report(path, f"stray text ({size} characters) after <{child.tag}>; ignored")
        if child.tag not in allowed:
            where = ("does not belong inside" if child.tag in KNOWN
                     else "is not a CIN census element in")
            sink.report(here, f"<{child.tag[:40]}> {where} <{el.tag}>; ignored")
        elif child.tag not in REPEATABLE and seen[child.tag] > 1:
            sink.report(here, f"<{child.tag}> given more than once; only the first is used")
        elif child.tag not in stop:
            _walk(child, here, sink, stop)


def _read_date(sink: _Sink, el: Element | None, path: str, consequence: str) -> date | None:
    """A date leaf as a date; an invalid one is reported (with what happens) and gives None."""
    value = _text(el)
    if not value:
        return None
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    sink.report(path, f"{_name(path)} {_show(value)} is not a valid date (YYYY-MM-DD); "
                      f"{consequence}")
    return None


def _date_at(sink: _Sink, parent: Element, path: str, tag: str,
             consequence: str = "that fact is not imported") -> tuple[date | None, str]:
    el, where = _first(parent, path, tag)
    return _read_date(sink, el, where, consequence), where


def _flag(sink: _Sink, parent: Element, path: str, tag: str) -> bool | None:
    el, where = _first(parent, path, tag)
    value = _text(el)
    if not value:
        return None
    if value.lower() in _BOOLEANS:
        return _BOOLEANS[value.lower()]
    sink.report(where, f"{tag} {_show(value)} is not a boolean (true/false or 1/0); ignored")
    return None


def _quiet_dates(parent: Element, container: str, tag: str) -> set[date]:
    """Valid dates of one leaf across repeated containers, read without reporting."""
    out = set()
    for el in parent.findall(f"{container}/{tag}"):
        value = _text(el)
        if _ISO_DATE.fullmatch(value):
            with contextlib.suppress(ValueError):
                out.add(date.fromisoformat(value))
    return out


# ---------------------------------------------------------------- one episode


def _order(sink: _Sink, earlier: _Fact | None, later: _Fact | None) -> None:
    """Report (at the later element) two dates out of order; both facts stay."""
    if earlier and later and later.day < earlier.day:
        sink.report(later.path, f"{_name(later.path)} {later.day} is before "
                                f"{_name(earlier.path)} {earlier.day}")


def _referral(sink: _Sink, ep: Element, path: str, referral: date, where: str) -> _Fact | None:
    source = _text(_first(ep, path, "ReferralSource")[0]) or None
    fact = sink.add("referral", referral, where, source=source)
    if _flag(sink, ep, path, "ReferralNFA"):
        sink.add("referral_decision", referral, f"{path}/ReferralNFA", estimated=True,
                 outcome="no_further_action")
    return fact


def _closure(sink: _Sink, ep: Element, path: str) -> _Fact | None:
    day, where = _date_at(sink, ep, path, "CINclosureDate")
    reason = _text(_first(ep, path, "ReasonForClosure")[0]) or None
    return sink.add("case_closed", day, where, reason=reason)


def _assessments(sink: _Sink, ep: Element, path: str) -> None:
    for block, here in _all(ep, path, "Assessments"):
        start = sink.add("assessment_started",
                         *_date_at(sink, block, here, "AssessmentActualStartDate"))
        factors = tuple(_text(el) for el in block.findall(
            "FactorsIdentifiedAtAssessment/AssessmentFactors") if _text(el))
        done = sink.add("assessment_completed",
                        *_date_at(sink, block, here, "AssessmentAuthorisationDate"),
                        factors=factors)
        _order(sink, start, done)


def _conference(sink: _Sink, day: date | None, where: str, cpp_starts: set[date]) -> _Fact | None:
    outcome = "child_protection_plan" if day in cpp_starts else None
    return sink.add("initial_conference", day, where, outcome=outcome)


def _section47s(sink: _Sink, ep: Element, path: str, cpp_starts: set[date]) -> list[_Fact]:
    """Each Section47; returns the initial conferences it records."""
    conferences = []
    for block, here in _all(ep, path, "Section47"):
        start, start_at = _date_at(sink, block, here, "S47ActualStartDate")
        begun = sink.add("strategy_discussion", start, start_at, outcome="section_47")
        sink.add("section_47_started", start, start_at)
        icpc = _conference(sink, *_date_at(sink, block, here, "DateOfInitialCPC"), cpp_starts)
        _order(sink, begun, icpc)
        if icpc:
            conferences.append(icpc)
        if _flag(sink, block, here, "ICPCnotRequired"):
            _not_required(sink, here, start, icpc)
    return conferences


def _not_required(sink: _Sink, here: str, start: date | None, icpc: _Fact | None) -> None:
    where = f"{here}/ICPCnotRequired"
    if start is None:
        sink.report(where, "ICPCnotRequired is true but the S47 start date is missing or "
                           "invalid; no section_47_completed is imported")
        return
    if icpc:
        sink.report(where, "ICPCnotRequired is true but a DateOfInitialCPC is recorded; "
                           "both are imported")
    sink.add("section_47_completed", start, where, estimated=True, conference_required=False)


def _episode_conference(sink: _Sink, ep: Element, path: str, cpp_starts: set[date],
                        s47_conferences: list[_Fact]) -> None:
    """Episode-level DateOfInitialCPC: the census records an ICPC here or in Section47, not both."""
    day, where = _date_at(sink, ep, path, "DateOfInitialCPC")
    if day is None:
        return
    if any(c.day == day for c in s47_conferences):
        sink.report(where, "DateOfInitialCPC is recorded both here and in Section47 (it belongs "
                           "in one place only); the conference is imported once")
        return
    if s47_conferences:
        sink.report(where, "DateOfInitialCPC is recorded here and a different one in Section47 "
                           "(it belongs in one place only); both are imported")
    _conference(sink, day, where, cpp_starts)


def _protection_plans(sink: _Sink, ep: Element, path: str) -> None:
    for block, here in _all(ep, path, "ChildProtectionPlans"):
        category = _text(_first(block, here, "InitialCategoryOfAbuse")[0]) or None
        start = sink.add("child_protection_plan_started",
                         *_date_at(sink, block, here, "CPPstartDate"), category=category)
        end_day, end_at = _date_at(sink, block, here, "CPPendDate")
        for reviews, reviews_at in _all(block, here, "Reviews"):
            for el, review_at in _all(reviews, reviews_at, "CPPreviewDate"):
                day = _read_date(sink, el, review_at, "that fact is not imported")
                review = sink.add("review_conference", day, review_at)
                _order(sink, start, review)
                if review and end_day and review.day > end_day:
                    sink.report(review_at, f"CPPreviewDate {review.day} is after "
                                           f"CPPendDate {end_day}")
        _order(sink, start, sink.add("child_protection_plan_ended", end_day, end_at))


def _cin_plans(sink: _Sink, ep: Element, path: str) -> None:
    for block, here in _all(ep, path, "CINPlanDates"):
        start = sink.add("child_in_need_plan_started",
                         *_date_at(sink, block, here, "CINPlanStartDate"))
        end = sink.add("child_in_need_plan_ended", *_date_at(sink, block, here, "CINPlanEndDate"))
        _order(sink, start, end)


@dataclass(frozen=True)
class _Bounds:
    """Dates every fact of an episode must respect."""

    birth: date | None
    reference: date | None
    referral: _Fact | None
    closure: _Fact | None


def _check_bounds(sink: _Sink, bounds: _Bounds) -> None:
    """Facts before birth or referral, after closure or the reference date: report, keep."""
    for fact in sink.facts:
        if fact.estimated:
            continue
        name = _name(fact.path)
        ref, end = bounds.referral, bounds.closure
        if bounds.birth and fact.day < bounds.birth - PRE_BIRTH:
            sink.report(fact.path, f"{name} {fact.day} is more than 40 weeks before "
                                   f"PersonBirthDate {bounds.birth}")
        if ref and fact is not ref and fact.day < ref.day:
            sink.report(fact.path, f"{name} {fact.day} is before CINreferralDate {ref.day}")
        if end and fact not in (end, ref) and fact.day > end.day:
            sink.report(fact.path, f"{name} {fact.day} is after CINclosureDate {end.day}")
        if bounds.reference and fact.day > bounds.reference:
            sink.report(fact.path, f"{name} {fact.day} is after the census ReferenceDate "
                                   f"{bounds.reference}; kept (the engine ignores facts after "
                                   "its as-of date)")


def _episode_facts(sink: _Sink, ep: Element, path: str, referral: tuple[date, str],
                   birth: date | None, reference: date | None) -> list[_Fact]:
    """Every fact of one episode, checked, in deterministic order."""
    _walk(ep, path, sink)
    first = _referral(sink, ep, path, *referral)
    closed = _closure(sink, ep, path)
    _assessments(sink, ep, path)
    cpp_starts = _quiet_dates(ep, "ChildProtectionPlans", "CPPstartDate")
    conferences = _section47s(sink, ep, path, cpp_starts)
    _episode_conference(sink, ep, path, cpp_starts, conferences)
    _protection_plans(sink, ep, path)
    _cin_plans(sink, ep, path)
    _check_bounds(sink, _Bounds(birth, reference, first, closed))
    rank = {name: i for i, name in enumerate(FACT_ORDER)}
    return sorted(sink.facts, key=lambda f: (f.day, rank[f.type]))


# ---------------------------------------------------------------- children and the file


@dataclass
class _Reader:
    """State across the whole file: cases, problems, counts, and ids already seen."""

    file: str
    reference: date | None = None
    cases: list[dict] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    episodes: int = 0
    troubled: int = 0
    children_seen: dict[str, str] = field(default_factory=dict)
    episodes_seen: dict[tuple[str | None, date], str] = field(default_factory=dict)
    case_of: dict[tuple[str | None, date], dict] = field(default_factory=dict)


def _case(case_id: str, birth: date | None, prefix: str, problems: list[ImportProblem],
          facts: list[_Fact]) -> dict:
    child = {"date_of_birth": birth.isoformat()} if birth else {}
    return {
        "case": case_id,
        "child": child,
        "source": SOURCE,
        "not_recorded": list(NOT_RECORDED),
        "problems": [{"where": p.path.removeprefix(prefix), "message": p.message}
                     for p in problems],
        "facts": [f.as_dict() for f in facts],
    }


def _episode(reader: _Reader, child: _Sink, ep: Element, path: str, birth: date | None) -> None:
    """One CINdetails: a case, or a reported reason why it cannot be one."""
    reader.episodes += 1
    sink = _Sink(reader.file, child.child)
    referral_el, referral_at = _first(ep, path, "CINreferralDate")
    referral = _read_date(sink, referral_el, referral_at, "the episode is not imported")
    if referral is None and not _text(referral_el):
        sink.report(referral_at, "CINreferralDate missing; the episode is not imported")
    if referral is not None:
        sink.episode = f"{child.child}/{referral.isoformat()}"
        key = (child.child, referral)
        if key in reader.episodes_seen:
            _duplicate(reader, sink, key, path)
            referral = None
        else:
            reader.episodes_seen[key] = path
    if referral is not None:
        facts = _episode_facts(sink, ep, path, (referral, referral_at), birth, reader.reference)
        prefix = path.rsplit("/CINdetails", 1)[0] + "/"
        case = _case(f"{child.child}/{referral.isoformat()}", birth, prefix,
                     child.problems + sink.problems, facts)
        reader.cases.append(case)
        reader.case_of[key] = case
    reader.problems.extend(sink.problems)
    reader.troubled += bool(child.problems or sink.problems)


def _duplicate(reader: _Reader, sink: _Sink, key: tuple[str | None, date], path: str) -> None:
    """Report a repeated episode; the kept case hears of it too, since it may be incomplete."""
    sink.report(path, f"duplicate episode (same child and CINreferralDate as "
                      f"{reader.episodes_seen[key]}); ignored, the first is kept")
    kept = reader.case_of.get(key)
    if kept is not None:
        prefix = reader.episodes_seen[key].rsplit("/CINdetails", 1)[0] + "/"
        kept["problems"].append({"where": path.removeprefix(prefix),
                                 "message": sink.problems[-1].message})


def _birth_date(sink: _Sink, ids: Element | None, path: str) -> date | None:
    if ids is None:
        return None
    birth, where = _date_at(sink, ids, path, "PersonBirthDate", "date_of_birth is omitted")
    el = _first(ids, path, "PersonBirthDate")[0]
    if not _text(el) and not _text(_first(ids, path, "ExpectedPersonBirthDate")[0]):
        sink.report(where, "PersonBirthDate missing; date_of_birth is omitted")
    return birth


def _child(reader: _Reader, el: Element, path: str) -> None:
    episodes = _all(el, path, "CINdetails")
    ids, ids_at = _first(el, path, "ChildIdentifiers")
    child_id = _text(ids.find("LAchildID")) if ids is not None else ""
    if not child_id:
        reader.problems.append(ImportProblem(
            None, None, f"{ids_at}/LAchildID",
            f"LAchildID missing; this child's {len(episodes)} episode(s) are not imported",
            reader.file))
        reader.episodes += len(episodes)
        reader.troubled += len(episodes)
        return
    sink = _Sink(reader.file, child_id)
    if child_id in reader.children_seen:
        first = reader.children_seen[child_id]
        sink.report(f"{ids_at}/LAchildID", f"LAchildID also used by {first}"
                                           "; its episodes are imported unless duplicated")
    else:
        reader.children_seen[child_id] = path
    _walk(el, path, sink, stop=frozenset({"CINdetails"}))
    birth = _birth_date(sink, ids, ids_at)
    reader.problems.extend(sink.problems)
    for ep, ep_path in episodes:
        _episode(reader, sink, ep, ep_path, birth)


def _header(reader: _Reader, root: Element) -> None:
    sink = _Sink(reader.file)
    _walk(root, "Message", sink, stop=frozenset({"Child"}))
    where = "Message/Header/CollectionDetails/ReferenceDate"
    el = root.find("Header/CollectionDetails/ReferenceDate")
    reader.reference = _read_date(sink, el, where, "dates after it are not checked")
    if not _text(el):
        sink.report(where, "ReferenceDate missing; dates after it are not checked")
    if not _text(root.find("Header/CollectionDetails/Collection")):
        sink.report("Message/Header/CollectionDetails/Collection",
                    "Collection missing; read as a CIN census because it has Children/Child")
    reader.problems.extend(sink.problems)


def read_census(path: str | Path) -> ImportResult:
    """Import a CIN census file. Raises NotACensus; OSError when it cannot be read at all."""
    path = Path(path)
    root = _parse(path)
    refusal = _census_refusal(root)
    if refusal:
        raise NotACensus(f"{path}: not a CIN census: {refusal}")
    reader = _Reader(str(path))
    _header(reader, root)
    children = root.find("Children")
    found = _all(children, "Message/Children", "Child") if children is not None else ()
    for el, child_path in found:
        _child(reader, el, child_path)
    return ImportResult(reader.reference, tuple(reader.cases), tuple(reader.problems),
                        reader.episodes, reader.troubled)


def is_census(path: str | Path) -> bool:
    """Cheap sniff (reads only the start of the file): .xml, root Message, collection CIN."""
    try:
        path = Path(path)
        if path.suffix.lower() != ".xml" or not path.is_file():
            return False
        return _sniff(path)
    except (OSError, ValueError, TypeError, LookupError, SyntaxError, DefusedXmlException):
        # a sniff answers no rather than fail (ParseError is a SyntaxError)
        return False


def _sniff(path: Path) -> bool:
    stack: list[str] = []
    with path.open("rb") as fh:
        events = SafeET.iterparse(fh, events=("start", "end"))
        for count, (event, el) in enumerate(events):
            if count > _SNIFF_EVENTS:
                return False
            if event == "end":
                where = "/".join(stack)
                stack.pop()
                if where == "Message/Header/CollectionDetails/Collection":
                    return _text(el).upper() == "CIN"
                continue
            stack.append(_local(el.tag))
            if len(stack) == 1 and stack[0] != "Message":
                return False
            if stack == ["Message", "Children", "Child"]:
                return True
    return False
