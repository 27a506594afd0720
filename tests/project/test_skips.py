"""A skip must name what the user can do (tests/conftest.py); a vague skip fails the run."""
from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def test_a_vague_skip_fails_and_an_actionable_one_is_kept(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_inner="""
        import pytest

        def test_vague():
            pytest.skip("not today")

        @pytest.mark.skip(reason="flaky")
        def test_marked():
            pass

        def test_actionable():
            pytest.skip("needs Foo: install it with apt-get install foo")

        def test_runs():
            pass
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*skipped without naming what to do: 'Skipped: not today'*"])
