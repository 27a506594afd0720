"""Children and their episodes -> case dicts: ids, birth dates, duplicates (file order kept)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from xml.etree.ElementTree import Element

from engine.inputs.cin.episode import episode_facts
from engine.inputs.cin.layout import NOT_RECORDED, SYSTEM, all_of, first, text
from engine.inputs.cin.sink import CensusFact, Sink
from engine.inputs.cin.values import date_at, read_date, walk
from engine.inputs.problems import RecordProblem


@dataclass
class FileState:
    """State across the whole file: cases, problems, counts, and ids already seen."""

    file: str
    reference: date | None = None
    cases: list[dict] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    episodes: int = 0
    troubled: int = 0
    children_seen: dict[str, str] = field(default_factory=dict)
    episodes_seen: dict[tuple[str | None, date], str] = field(default_factory=dict)
    case_of: dict[tuple[str | None, date], dict] = field(default_factory=dict)


@dataclass(frozen=True)
class Birth:
    """The child's date of birth and, for an unborn child, the expected date of delivery."""

    born: date | None = None
    expected: date | None = None

    def child(self) -> dict[str, str]:
        """The case's child record: the engine times a pre-birth conference from `expected`."""
        record = {"date_of_birth": self.born.isoformat()} if self.born else {}
        if self.expected:
            record["expected_delivery_date"] = self.expected.isoformat()
        return record


def _case(case_id: str, birth: Birth, prefix: str, problems: list[RecordProblem],
          facts: list[CensusFact]) -> dict:
    child = birth.child()
    return {
        "case": case_id,
        "child": child,
        "source": SYSTEM,
        "not_recorded": list(NOT_RECORDED),
        "problems": [{"where": p.where.removeprefix(prefix), "message": p.message}
                     for p in problems],
        "facts": [f.as_dict() for f in facts],
    }


def _episode(reader: FileState, child: Sink, ep: Element, path: str, birth: Birth) -> None:
    """One CINdetails: a case, or a reported reason why it cannot be one."""
    reader.episodes += 1
    sink = Sink(reader.file, child.child)
    referral_el, referral_at = first(ep, path, "CINreferralDate")
    referral = read_date(sink, referral_el, referral_at, "the episode is not imported")
    if referral is None and not text(referral_el):
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
        facts = episode_facts(sink, ep, path, (referral, referral_at), birth.born,
                              reader.reference)
        prefix = path.rsplit("/CINdetails", 1)[0] + "/"
        case = _case(f"{child.child}/{referral.isoformat()}", birth, prefix,
                     child.problems + sink.problems, facts)
        reader.cases.append(case)
        reader.case_of[key] = case
    reader.problems.extend(sink.problems)
    reader.troubled += bool(child.problems or sink.problems)


def _duplicate(reader: FileState, sink: Sink, key: tuple[str | None, date], path: str) -> None:
    """Report a repeated episode; the kept case hears of it too, since it may be incomplete."""
    sink.report(path, f"duplicate episode (same child and CINreferralDate as "
                      f"{reader.episodes_seen[key]}); ignored, the first is kept")
    kept = reader.case_of.get(key)
    if kept is not None:
        prefix = reader.episodes_seen[key].rsplit("/CINdetails", 1)[0] + "/"
        kept["problems"].append({"where": path.removeprefix(prefix),
                                 "message": sink.problems[-1].message})


def _birth_date(sink: Sink, ids: Element | None, path: str) -> Birth:
    if ids is None:
        return Birth()
    birth, where = date_at(sink, ids, path, "PersonBirthDate", "date_of_birth is omitted")
    expected, _ = date_at(sink, ids, path, "ExpectedPersonBirthDate",
                          "expected_delivery_date is omitted")
    el = first(ids, path, "PersonBirthDate")[0]
    if not text(el) and not text(first(ids, path, "ExpectedPersonBirthDate")[0]):
        sink.report(where, "PersonBirthDate missing; date_of_birth is omitted")
    return Birth(birth, expected)


def read_child(reader: FileState, el: Element, path: str) -> None:
    episodes = all_of(el, path, "CINdetails")
    ids, ids_at = first(el, path, "ChildIdentifiers")
    child_id = text(ids.find("LAchildID")) if ids is not None else ""
    if not child_id:
        reader.problems.append(RecordProblem(
            f"{ids_at}/LAchildID",
            f"LAchildID missing; this child's {len(episodes)} episode(s) are not imported",
            file=reader.file))
        reader.episodes += len(episodes)
        reader.troubled += len(episodes)
        return
    sink = Sink(reader.file, child_id)
    if child_id in reader.children_seen:
        earlier = reader.children_seen[child_id]
        sink.report(f"{ids_at}/LAchildID", f"LAchildID also used by {earlier}"
                                           "; its episodes are imported unless duplicated")
    else:
        reader.children_seen[child_id] = path
    walk(el, path, sink, stop=frozenset({"CINdetails"}))
    birth = _birth_date(sink, ids, ids_at)
    reader.problems.extend(sink.problems)
    for ep, ep_path in episodes:
        _episode(reader, sink, ep, ep_path, birth)
