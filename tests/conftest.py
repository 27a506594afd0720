"""Shared fixtures: one Engine for the bundled neglect procedure per test session."""
from __future__ import annotations

import pytest

from engine import load


@pytest.fixture(scope="session")
def engine():
    built = load()
    yield built
    built.close()


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
