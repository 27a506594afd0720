"""docs/ssd.md shows what the commands print: its example outputs and its not_recorded list are
regenerated from a synthetic SSD and compared (`make docs-ssd` rewrites them)."""
from __future__ import annotations

from tests.docs_ssd import DOCS, MARKER, render


def test_the_example_outputs_in_docs_ssd_are_what_the_commands_print() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert len(MARKER.findall(text)) >= 4
    assert render(text) == text, "run `make docs-ssd` to regenerate docs/ssd.md's outputs"
