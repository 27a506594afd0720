"""Outside text made safe to show a user: control characters escaped, long text cut short.

Definitions, cases and census files are outside text; whatever of them a message or a table
repeats goes through here, so a hostile file cannot move the cursor, clear the terminal or
split a line of output (`clean`), nor flood a message with a 200,000-character literal
(`quoted`).
"""
from __future__ import annotations

# Characters that could split a line or fool a terminal: C0 and C1 controls, DEL, line and
# paragraph separators, bidirectional overrides, and lone surrogates. Shown as escapes.
_UNSAFE = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_UNSAFE |= {code: f"\\u{code:04x}" for code in [0x2028, 0x2029, *range(0x202A, 0x202F),
                                                  *range(0x2066, 0x206A), *range(0xD800, 0xE000)]}

SHOWN = 40  # characters of a long value a message repeats before cutting it short


def clean(value: object) -> str:
    """Text safe to print on one line: control characters and the like become escapes."""
    return str(value).translate(_UNSAFE)


def quoted(value: object) -> str:
    """A user's value for a message, text in quotes, cut to its first characters when long:
    `'xxxx…' (200000 characters)`; other values (numbers, lists) as Python writes them."""
    if not isinstance(value, str):
        text = repr(value)
        return text if len(text) <= SHOWN else f"{text[:SHOWN]}… ({len(text)} characters)"
    if len(value) <= SHOWN:
        return f"'{value}'"
    return f"'{value[:SHOWN]}…' ({len(value)} characters)"
