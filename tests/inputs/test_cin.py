"""The CIN census importer (engine/inputs/cin) on the real-format samples and local fixtures."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET

from engine.inputs.cin.census import (
    FACT_ORDER,
    NOT_RECORDED,
    ImportResult,
    NotACensusError,
    is_census,
    read_census,
)
from engine.inputs.problems import RecordProblem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cin"
SAMPLE_DIR = FIXTURES / "samples"
SAMPLES = ("fake_CIN_data.xml", "CIN_Census_2021.xml", "CIN_Census_2024.xml",
           "synthetic_2022-12-23.xml")
SECRETS = ("next Tuesday", "1st May", "blue", "oops", "maybe")


@pytest.fixture(scope="module")
def shared() -> Path:
    """The real-format samples shipped in tests/fixtures/cin/samples (see its README)."""
    return SAMPLE_DIR


@pytest.fixture(scope="module")
def broken() -> ImportResult:
    return read_census(FIXTURES / "broken.xml")


def _facts(result: ImportResult, case_id: str) -> list[dict]:
    return next(c for c in result.cases if c["case"] == case_id)["facts"]


def _expected_counts(path: Path) -> tuple[int, int]:
    """Episodes and cases counted straight from the XML: one case per (child, valid referral)."""
    root = SafeET.parse(str(path)).getroot()
    episodes, keys = 0, set()
    for child in root.iter("Child"):
        child_id = (child.findtext("ChildIdentifiers/LAchildID") or "").strip()
        for episode in child.findall("CINdetails"):
            episodes += 1
            try:
                referral = date.fromisoformat((episode.findtext("CINreferralDate") or "").strip())
            except ValueError:
                continue
            if child_id:
                keys.add((child_id, referral))
    return episodes, len(keys)


def _walk_values(value: object):
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_values(item)
    else:
        yield value


# ---------------------------------------------------------------- real-format samples


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_imports(shared: Path, name: str) -> None:
    result = read_census(shared / name)
    assert is_census(shared / name)
    assert result.episodes >= len(result.cases) > 0
    assert result.reference_date is not None


@pytest.mark.parametrize("name", ["fake_CIN_data.xml", "synthetic_2022-12-23.xml"])
def test_counts_match_the_xml(shared: Path, name: str) -> None:
    episodes, cases = _expected_counts(shared / name)
    result = read_census(shared / name)
    assert (result.episodes, len(result.cases)) == (episodes, cases)


def test_fake_data_nfa_referrals_are_estimated_decisions(shared: Path) -> None:
    root = SafeET.parse(str(shared / "fake_CIN_data.xml")).getroot()
    nfa = sum((e.findtext("ReferralNFA") or "").strip().lower() in ("true", "1")
              for e in root.iter("CINdetails"))
    decisions = [f for c in read_census(shared / "fake_CIN_data.xml").cases
                 for f in c["facts"] if f["type"] == "referral_decision"]
    assert len(decisions) == nfa > 0
    assert all(f == {"type": "referral_decision", "date": f["date"],
                     "outcome": "no_further_action", "estimated": True} for f in decisions)


def test_synthetic_episode_with_plan_hand_checked(shared: Path) -> None:
    result = read_census(shared / "synthetic_2022-12-23.xml")
    assert result.reference_date == date(2022, 12, 23)
    case = next(c for c in result.cases if c["case"] == "SYN001000037/2021-11-13")
    assert case["child"] == {"date_of_birth": "2010-02-14"}
    assert case["source"] == "cin-census"
    assert case["problems"] == []
    assert case["not_recorded"] == list(NOT_RECORDED)
    assert case["facts"] == [
        {"type": "referral", "date": "2021-11-13", "source": "5A"},
        {"type": "assessment_started", "date": "2021-11-17"},
        {"type": "assessment_completed", "date": "2021-12-17", "factors": ["2A"]},
        {"type": "strategy_discussion", "date": "2021-12-24", "outcome": "section_47"},
        {"type": "section_47_started", "date": "2021-12-24"},
        {"type": "initial_conference", "date": "2022-01-12", "outcome": "child_protection_plan"},
        {"type": "child_protection_plan_started", "date": "2022-01-12", "category": "NEG"},
        {"type": "review_conference", "date": "2022-04-14"},
        {"type": "child_protection_plan_ended", "date": "2022-04-14"},
        {"type": "case_closed", "date": "2022-04-22", "reason": "RC8"},
    ]


def test_synthetic_icpc_not_required_hand_checked(shared: Path) -> None:
    result = read_census(shared / "synthetic_2022-12-23.xml")
    assert _facts(result, "SYN001000002/2022-01-11") == [
        {"type": "referral", "date": "2022-01-11", "source": "5A"},
        {"type": "assessment_started", "date": "2022-01-14"},
        {"type": "assessment_completed", "date": "2022-01-19", "factors": ["2A"]},
        {"type": "strategy_discussion", "date": "2022-01-19", "outcome": "section_47"},
        {"type": "section_47_started", "date": "2022-01-19"},
        {"type": "section_47_completed", "date": "2022-01-19", "conference_required": False,
         "estimated": True},
    ]


def test_validator_fixture_mistakes_are_reported(shared: Path) -> None:
    result = read_census(shared / "CIN_Census_2024.xml")
    paths = {(p.where, p.message.split(" ")[0]) for p in result.problems}
    child = "Message/Children/Child[1]"
    assert (f"{child}/ChildIdentifiers", "stray") in paths
    late = f"{child}/CINdetails[1]/Assessments[1]/AssessmentActualStartDate"
    assert any(p.where == late and "after the census ReferenceDate" in p.message
               for p in result.problems)
    assert any(p.where.endswith("AssessmentAuthorisationDate") and "before Assessment" in p.message
               for p in result.problems)
    assert "PersonBirthDate" not in " ".join(p.message for p in result.problems
                                             if p.message.startswith("stray"))


@pytest.mark.parametrize("name", SAMPLES)
def test_import_is_deterministic(shared: Path, name: str) -> None:
    first, second = read_census(shared / name), read_census(shared / name)
    assert json.dumps(first.cases) == json.dumps(second.cases)
    assert first == second


# ---------------------------------------------------------------- clean fixture


def test_clean_fixture_full_pathway() -> None:
    result = read_census(FIXTURES / "clean.xml")
    assert result.problems == ()
    assert (result.episodes, result.episodes_with_problems) == (4, 0)
    assert [c["case"] for c in result.cases] == [
        "CLN001/2022-05-26", "CLN002/2021-10-04", "CLN002/2022-11-07", "CLN003/2023-01-09"]
    assert _facts(result, "CLN001/2022-05-26") == [
        {"type": "referral", "date": "2022-05-26", "source": "1B"},
        {"type": "assessment_started", "date": "2022-05-26"},
        {"type": "strategy_discussion", "date": "2022-05-26", "outcome": "section_47"},
        {"type": "section_47_started", "date": "2022-05-26"},
        {"type": "initial_conference", "date": "2022-06-20", "outcome": "child_protection_plan"},
        {"type": "child_protection_plan_started", "date": "2022-06-20", "category": "NEG"},
        {"type": "assessment_completed", "date": "2022-07-01", "factors": ["2A", "2B"]},
        {"type": "review_conference", "date": "2022-09-15"},
        {"type": "review_conference", "date": "2023-01-10"},
        {"type": "child_protection_plan_ended", "date": "2023-01-10"},
        {"type": "child_in_need_plan_started", "date": "2023-01-10"},
        {"type": "child_in_need_plan_ended", "date": "2023-03-01"},
        {"type": "case_closed", "date": "2023-03-01", "reason": "RC4"},
    ]


def test_clean_fixture_estimated_and_unborn() -> None:
    result = read_census(FIXTURES / "clean.xml")
    assert _facts(result, "CLN002/2021-10-04")[1] == {
        "type": "referral_decision", "date": "2021-10-04", "outcome": "no_further_action",
        "estimated": True}
    assert _facts(result, "CLN002/2022-11-07")[-1] == {
        "type": "section_47_completed", "date": "2022-11-10", "conference_required": False,
        "estimated": True}
    unborn = next(c for c in result.cases if c["case"] == "CLN003/2023-01-09")
    assert unborn["child"] == {"expected_delivery_date": "2023-05-01"}
    assert unborn["facts"][1] == {"type": "initial_conference", "date": "2023-02-01",
                                  "outcome": "child_protection_plan"}


_UNBORN = """
    <Child>
      <ChildIdentifiers>
        <LAchildID>UNB001</LAchildID>
        <UPNunknown>UN1</UPNunknown>
        <ExpectedPersonBirthDate>{expected}</ExpectedPersonBirthDate>
        <Sex>U</Sex>
      </ChildIdentifiers>
      <CINdetails>
        <CINreferralDate>2023-01-09</CINreferralDate>
        <ReferralSource>3A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        <ReferralNFA>false</ReferralNFA>
        <Section47>
          <S47ActualStartDate>2023-01-11</S47ActualStartDate>
          <InitialCPCtarget>2023-02-01</InitialCPCtarget>
          <ICPCnotRequired>false</ICPCnotRequired>
        </Section47>
      </CINdetails>
    </Child>
  </Children>
</Message>
"""


def _unborn_census(tmp_path: Path, expected: str) -> Path:
    text = (FIXTURES / "clean.xml").read_text(encoding="utf-8")
    head = text[:text.index("<Children>") + len("<Children>")]
    path = tmp_path / "unborn.xml"
    path.write_text(head + _UNBORN.format(expected=expected), encoding="utf-8")
    return path


def test_an_unborn_childs_expected_date_times_the_pre_birth_conference(tmp_path: Path) -> None:
    """ExpectedPersonBirthDate 2023-03-20: 10 weeks before it (Mon 9 Jan) falls before the
    strategy discussion (Wed 11 Jan), so the conference is due 5 working days after the
    discussion, Wed 18 Jan, not the statutory Wed 1 Feb the census target records."""
    from engine import load

    case = read_census(_unborn_census(tmp_path, "2023-03-20")).cases[0]
    assert case["child"] == {"expected_delivery_date": "2023-03-20"}
    status = load().status(case, date(2023, 1, 20))
    conference = next(a for a in status.actions if a.requirement == "initial_conference")
    assert (conference.due, conference.working_days_overdue) == (date(2023, 1, 18), 2)


def test_a_bad_expected_birth_date_is_reported_and_left_out(tmp_path: Path) -> None:
    result = read_census(_unborn_census(tmp_path, "2023-02-30"))
    assert result.cases[0]["child"] == {}
    assert any("ExpectedPersonBirthDate" in p.where and "expected_delivery_date is omitted"
               in p.message for p in result.problems)


def test_namespaces_are_stripped(tmp_path: Path) -> None:
    text = (FIXTURES / "clean.xml").read_text(encoding="utf-8")
    namespaced = tmp_path / "namespaced.xml"
    namespaced.write_text(text.replace("<Message>", '<Message xmlns="urn:example:cin">'),
                          encoding="utf-8")
    assert is_census(namespaced)
    assert read_census(namespaced).cases == read_census(FIXTURES / "clean.xml").cases


def test_case_dicts_are_well_formed() -> None:
    rank = {name: i for i, name in enumerate(FACT_ORDER)}
    for name in ("clean.xml", "broken.xml"):
        for case in read_census(FIXTURES / name).cases:
            assert None not in list(_walk_values(case))
            keys = [(f["date"], rank[f["type"]]) for f in case["facts"]]
            assert keys == sorted(keys)
            assert all(len(f["date"]) == 10 and date.fromisoformat(f["date"])
                       for f in case["facts"])


def test_not_recorded_is_sorted_and_complete() -> None:
    assert list(NOT_RECORDED) == sorted(NOT_RECORDED)
    required = {
        "concern", "neglect_screening", "early_help_offered", "early_help_consent",
        "early_help_assessment_completed", "early_help_review", "early_help_closed",
        "information_check", "core_group", "child_protection_visit", "management_oversight",
        "disagreement_raised", "disagreement_escalated", "disagreement_resolved",
        "referral_decision", "strategy_discussion.attended", "initial_conference.attended",
        "initial_conference.reports", "review_conference.attended", "review_conference.reports",
        "child_protection_plan_started.outcomes", "child_protection_visit.seen_alone"}
    assert required <= set(NOT_RECORDED)
    assert all(entry.split(".")[0] in FACT_ORDER for entry in NOT_RECORDED)


# ---------------------------------------------------------------- broken fixture


def _problem(result: ImportResult, path: str, words: str) -> RecordProblem:
    found = [p for p in result.problems if p.where == path and words in p.message]
    assert found, f"no problem at {path} mentioning {words!r}"
    return found[0]


C1 = "Message/Children/Child[1]"


@pytest.mark.parametrize(("path", "words"), [
    ("Message/Header/*[2]", "not a CIN census element (a name of 5 characters)"),
    (f"{C1}/CINdetails[1]/CINclosureDate", "before CINreferralDate"),
    (f"{C1}/CINdetails[2]/Assessments[1]/AssessmentAuthorisationDate",
     "before AssessmentActualStartDate"),
    (f"{C1}/CINdetails[2]/Assessments[2]/AssessmentActualStartDate", "not a valid date"),
    (f"{C1}/CINdetails[2]/Assessments[2]/AssessmentAuthorisationDate", "not a valid date"),
    (f"{C1}/CINdetails[3]/Section47[1]/DateOfInitialCPC", "before S47ActualStartDate"),
    (f"{C1}/CINdetails[3]/Section47[1]/ICPCnotRequired", "not a boolean"),
    (f"{C1}/CINdetails[3]/ChildProtectionPlans[1]/CPPendDate", "before CPPstartDate"),
    (f"{C1}/CINdetails[3]/ChildProtectionPlans[1]/Reviews[1]/CPPreviewDate[1]",
     "before CPPstartDate"),
    (f"{C1}/CINdetails[4]", "stray text"),
    (f"{C1}/CINdetails[4]/*[3]", "not a CIN census element (a name of 15 characters)"),
    (f"{C1}/CINdetails[4]/CINPlanDates[1]/CINPlanStartDate", "after the census ReferenceDate"),
    (f"{C1}/CINdetails[5]", "duplicate episode"),
    (f"{C1}/CINdetails[6]/CINreferralDate", "missing"),
    (f"{C1}/CINdetails[7]/CINreferralDate", "not a valid date"),
    (f"{C1}/CINdetails[8]/CINreferralDate", "before PersonBirthDate"),
    ("Message/Children/Child[2]/ChildIdentifiers/LAchildID", "missing"),
    ("Message/Children/Child[3]/ChildIdentifiers/LAchildID", "also used by"),
    ("Message/Children/Child[3]/CINdetails[1]", "duplicate episode"),
    ("Message/Children/Child[4]/ChildIdentifiers/PersonBirthDate", "not a valid date"),
    ("Message/Children/Child[4]/CINdetails[1]/CINclosureDate[2]", "more than once"),
    ("Message/Children/Child[5]/ChildIdentifiers/PersonBirthDate", "missing"),
])
def test_each_mistake_is_reported_where_it_is(broken: ImportResult, path: str,
                                              words: str) -> None:
    _problem(broken, path, words)


def test_broken_fixture_counts_and_cases(broken: ImportResult) -> None:
    assert (broken.episodes, broken.episodes_with_problems) == (13, 13)
    assert [c["case"] for c in broken.cases] == [
        "BRK001/2022-05-03", "BRK001/2022-06-01", "BRK001/2022-07-01", "BRK001/2022-08-01",
        "BRK001/2013-01-01", "BRK001/2022-09-01", "BRK003/2022-10-03", "BRK004/2022-11-01"]


def test_wrong_order_keeps_facts_invalid_dates_drop_one(broken: ImportResult) -> None:
    assert [f["type"] for f in _facts(broken, "BRK001/2022-06-01")] == [
        "referral", "assessment_completed", "assessment_started"]
    plan = [f["type"] for f in _facts(broken, "BRK001/2022-07-01")]
    assert plan == ["review_conference", "referral", "child_protection_plan_ended",
                    "initial_conference", "child_protection_plan_started",
                    "strategy_discussion", "section_47_started"]
    assert _facts(broken, "BRK001/2022-08-01")[-1] == {
        "type": "child_in_need_plan_started", "date": "2023-05-01"}


def test_duplicates_keep_the_first(broken: ImportResult) -> None:
    kept = next(c for c in broken.cases if c["case"] == "BRK001/2022-08-01")
    assert kept["facts"][0] == {"type": "referral", "date": "2022-08-01", "source": "1A"}
    assert any(p["where"] == "CINdetails[5]" for p in kept["problems"])
    first = next(c for c in broken.cases if c["case"] == "BRK001/2022-05-03")
    assert any(p["where"] == "Message/Children/Child[3]/CINdetails[1]"
               for p in first["problems"])


def test_case_problems_mirror_import_problems(broken: ImportResult) -> None:
    case = next(c for c in broken.cases if c["case"] == "BRK001/2022-07-01")
    own = [p for p in broken.problems if p.episode == "BRK001/2022-07-01"]
    assert case["problems"] == [
        {"where": p.where.removeprefix(f"{C1}/"), "message": p.message} for p in own]
    no_birth = next(c for c in broken.cases if c["case"] == "BRK003/2022-10-03")
    assert no_birth["child"] == {}
    assert no_birth["problems"][0]["where"] == "ChildIdentifiers/PersonBirthDate"


def test_problems_never_echo_free_text(broken: ImportResult) -> None:
    text = "\n".join(p.render() for p in broken.problems)
    text += json.dumps(broken.cases)
    assert not [secret for secret in SECRETS if secret in text]


def test_render_is_one_line(broken: ImportResult) -> None:
    line = _problem(broken, f"{C1}/CINdetails[1]/CINclosureDate", "before").render()
    assert "\n" not in line
    assert line.startswith(f"{FIXTURES / 'broken.xml'}: child BRK001 episode BRK001/2022-05-03: ")
    assert RecordProblem("Message/Header", "m").render() == "Message/Header: m"


# ---------------------------------------------------------------- files that are not censuses


@pytest.mark.parametrize(("name", "words"), [
    ("billion_laughs.xml", "refused"),
    ("external_entity.xml", "refused"),
    ("not_census.xml", "root element is <catalogue>"),
    ("not_xml.xml", "not well-formed XML"),
])
def test_not_a_census(name: str, words: str) -> None:
    with pytest.raises(NotACensusError, match=words) as raised:
        read_census(FIXTURES / name)
    assert "\n" not in str(raised.value)
    assert not is_census(FIXTURES / name)


def test_other_collection_is_not_a_census(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text("<Message><Header><CollectionDetails><Collection>SCHOOL</Collection>"
                     "</CollectionDetails></Header><Children><Child/></Children></Message>")
    with pytest.raises(NotACensusError, match="collection is 'SCHOOL'"):
        read_census(other)
    assert not is_census(other)


def test_is_census_sniffs_without_raising(tmp_path: Path) -> None:
    assert is_census(FIXTURES / "clean.xml")
    assert is_census(str(FIXTURES / "broken.xml"))
    renamed = tmp_path / "clean.txt"
    shutil.copy(FIXTURES / "clean.xml", renamed)
    assert not is_census(renamed)
    assert not is_census(tmp_path / "missing.xml")
    assert not is_census(tmp_path)
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    assert not is_census(empty)
    with pytest.raises(NotACensusError):
        read_census(empty)
