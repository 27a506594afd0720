"""YAML syntax mistakes are described in plain words at the line where the author made them
(PyYAML reports the place parsing failed, often the line after, in parser terms)."""
from __future__ import annotations

import pytest
import yaml

from engine.language.yaml_messages import explain

CASES = [
    ("no space after a colon",
     "procedure: x\nrequirements:\n  a:\n    owner:Child protection chair\n    due: 1\n",
     4, "no space after ':' in 'owner:Child' on line 4"),
    ("a line indented too far",
     "procedure: x\nstages:\n  open:\n    title: Open\n      start: true\n",
     5, "line 5 is indented more than line 4, so 'start' is read as the rest of the value"),
    ("keys under a plain list item",
     "procedure: x\nstages:\n- open\n  title: Open\n",
     4, "so 'title' is read as the rest of the list item on line 3"),
    ("a line that lines up with nothing",
     "procedure: x\nrequirements:\n  a:\n    due: {working_days: 10}\n   source: s\n",
     5, "line 5 is indented by 3 spaces, which lines up with no key above it"),
    ("a tab", "procedure: x\nstages:\n\topen: {}\n",
     3, "line 3 is indented with a tab; YAML indents with spaces only"),
    ("a quote never closed", "procedure: x\ntitle: 'Open\nstages: {}\n",
     2, "the quote opened on line 2 is never closed"),
    ("a list never closed", "procedure: x\nrecords: [a, b\nstages: {}\n",
     2, "the list opened with '[' on line 2 is not closed"),
    ("a mapping never closed", "procedure: x\ndue: {working_days: 10\nstages: {}\n",
     2, "the mapping opened with '{' on line 2 is not closed"),
    ("a key without its colon", "procedure: x\nstages:\n  open:\n    title Open\n    x: 1\n",
     4, "line 4 has no ':' after 'title'"),
    ("a colon and a space inside a value", "procedure: x\ntitle: Front door: teaching\n",
     2, "the value 'Front door: teaching' holds a colon and a space"),
    ("a key among list items", "records:\n  - a\n  b: c\n",
     3, "line 3 is a 'key: value' among the list items above it"),
]


@pytest.mark.parametrize(("text", "line", "words"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_mistake_is_named_at_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.safe_load(text)
    found = explain(caught.value, text)
    assert found is not None
    assert found.line == line
    assert words in found.message


def test_a_colon_inside_quotes_or_a_url_is_no_mistake() -> None:
    text = "sources:\n  a:\n    url: https://x.org/a\n      text: 'b:c'\n"
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.safe_load(text)
    found = explain(caught.value, text)
    assert found is not None and "indented more than line 3" in found.message
