"""Property-based fuzzing of every reader of outside data (hypothesis, derandomised and bounded,
so CI is deterministic and fast): the case reader, the cohort reader, the census reader and the
condition parser. No exception escapes, every input line gets one record, and the records of
the good cases are the same whatever bad lines surround them.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.errors import CaseError
from engine.evaluation.engine import Engine
from engine.inputs.case_files import Item, decode_case, read_items
from engine.inputs.cin.census import ImportResult, NotACensusError, read_census
from engine.language.conditions.parse import ParseError, parse

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "examples" / "cohort.jsonl").read_text(encoding="utf-8").splitlines()[:4]
CLEAN = (ROOT / "tests" / "fixtures" / "cin" / "clean.xml").read_bytes()
AS_OF = date(2026, 12, 4)
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=20)
FACT_KEYS = st.sampled_from(["type", "date", "id", "outcome", "source", "estimated", "grade"])
FACT_VALUES = st.sampled_from(["referral", "referral_decision", "assessment", "2024-01-02",
                               "2024-02-30", "", None, True, 3, -1, "\u202e", "\ud800", "a\nb"])
FACTS = st.lists(st.one_of(JSON, st.dictionaries(FACT_KEYS, FACT_VALUES, max_size=5)), max_size=6)
CASES = st.fixed_dictionaries({"case": st.one_of(st.text(max_size=6), st.integers(), JSON),
                               "facts": st.one_of(FACTS, JSON)},
                              optional={"child": JSON, "problems": JSON, "not_recorded": JSON,
                                        "source": JSON})
NOISE = st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" "))
LINES = st.lists(st.one_of(st.sampled_from(GOOD).map(str.encode), NOISE,
                           CASES.map(lambda c: json.dumps(c).encode("utf-8", "surrogatepass")),
                           st.just(b""), st.just(b"  ")), min_size=1, max_size=12)


@FUZZ
@given(st.one_of(st.binary(max_size=200), JSON.map(json.dumps), st.text(max_size=200)))
def test_the_case_decoder_never_raises(data: bytes | str) -> None:
    case, error = decode_case(data)
    assert (case is None) != (error is None)
    assert case is None or isinstance(case, dict)


@FUZZ
@given(CASES)
def test_the_case_reader_raises_only_case_errors(engine: Engine, raw: dict) -> None:
    try:
        status = engine.status(raw, AS_OF)
    except CaseError:
        return
    json.dumps(status.to_dict(), ensure_ascii=False).encode("utf-8")  # printable as UTF-8


@FUZZ
@given(LINES)
def test_the_cohort_reader_gives_one_record_per_line(engine: Engine, tmp_path_factory,
                                                     lines: list[bytes]) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "cohort.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(read_items(path))
    assert [i.line for i in items] == list(range(1, len(lines) + 1))
    assert [i.blank for i in items] == [not line.strip() for line in lines]
    kept = [i for i in items if not i.blank]
    records = list(engine.cohort([_raw(i) for i in kept], AS_OF))
    assert len(records) == len(kept)
    for line, record in zip((line for line in lines if line.strip()), records, strict=True):
        if line.decode("utf-8", "replace") in GOOD:
            assert record == engine.record(json.loads(line), AS_OF)
        json.dumps(record.to_dict(), ensure_ascii=False).encode("utf-8")


def _raw(item: Item) -> object:
    return item.case if item.case is not None else {"case": None, "$unreadable": item.error}


PIECES = st.sampled_from([b"<", b">", b"</Child>", b"<Child>", b"<!DOCTYPE x>", b"&amp;",
                          b"&x;", b"<![CDATA[x]]>", b"\xff", b"<?xml?>", b"2022-13-45",
                          b"<CINreferralDate>", b"</CINdetails>", b"xmlns:a='u'", b"\x00",
                          b"<a:Child xmlns:a='urn:x'>", b"<ReferenceDate>9999-12-31"])


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(CLEAN)), st.one_of(PIECES, st.binary(max_size=8))),
                max_size=4))
def test_the_census_reader_refuses_cleanly(tmp_path_factory,
                                           edits: list[tuple[int, bytes]]) -> None:
    data = CLEAN
    for at, piece in sorted(edits, reverse=True):
        data = data[:at] + piece + data[at:]
    path = tmp_path_factory.mktemp("census") / "fuzz.xml"
    path.write_bytes(data)
    try:
        result = read_census(path)
    except (NotACensusError, OSError):
        return
    assert isinstance(result, ImportResult)
    assert all(isinstance(case["case"], str) for case in result.cases)
    json.dumps(list(result.cases)).encode("utf-8")


WORDS = st.sampled_from(["not", "and", "or", "(", ")", "exists(", "latest(", "count(", ")",
                         "referral", ".", "outcome", "==", "!=", "<", "in", "[", "]", ",", "'a'",
                         "1", "-", "since=", "lambda", "__import__", "**", "x.y.z", "true"])


@FUZZ
@given(st.one_of(st.text(max_size=80), st.lists(WORDS, max_size=30).map(" ".join)))
def test_the_condition_parser_raises_only_parse_errors(text: str) -> None:
    try:
        parse(text)
    except ParseError as exc:
        assert isinstance(exc.col, int)
