"""Shared fixtures, and the rule that a skipped test must say what the user can do about it.

One Engine for the bundled neglect procedure per test session.

A skip hides a test, so a skip whose reason names no action a user can take (install
something, run `make test` or `make setup`) is reported as a failure, at collection or at run
time. `make test` installs everything the tests need (Graphviz, Chromium, the dev extras), so
on a machine it has set up nothing is skipped at all.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine import load

ACTIONS = ("install", "make test", "make setup")
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def engine():
    built = load()
    yield built
    built.close()


def actionable(reason: str) -> bool:
    return any(action in reason for action in ACTIONS)


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)


def _fail_unless_actionable(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = _skip_reason(report)
        if not actionable(reason):
            report.outcome = "failed"
            report.longrepr = (f"skipped without naming what to do: {reason!r}\n"
                               f"a skip reason must name an action ({', '.join(ACTIONS)})")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    _fail_unless_actionable(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    outcome = yield
    _fail_unless_actionable(outcome.get_result())


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the whole session (started once, stopped at the end)."""
    from tests.postgres import Server

    try:
        server = Server()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()
