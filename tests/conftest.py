"""Shared fixtures: one Engine for the bundled neglect procedure per test session."""
from __future__ import annotations

import pytest

from engine import load


@pytest.fixture(scope="session")
def engine():
    built = load()
    yield built
    built.close()
