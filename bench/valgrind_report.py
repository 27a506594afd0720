"""Read a valgrind log and fail on any error whose stack passes through durable-rules.

CPython builds that are not made for valgrind report errors of their own (reference counts,
small ints); those say nothing about durable-rules, so only blocks naming its extension count.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ERROR = re.compile(r"^==\d+== (Invalid (read|write)|Conditional jump|Use of uninitialised|"
                   r"Syscall param|Invalid free|Mismatched free)")
OURS = "durable_rules_engine"


def blocks(text: str) -> list[list[str]]:
    out, current = [], None
    for line in text.splitlines():
        if ERROR.match(line):
            current = [line]
            out.append(current)
        elif current is not None and re.match(r"^==\d+==\s+(at|by) 0x", line):
            current.append(line)
        else:
            current = None
    return out


def main(path: str) -> int:
    found = blocks(Path(path).read_text())
    ours = [b for b in found if any(OURS in line for line in b)]
    print(f"valgrind: {len(found)} error report(s) in total, {len(ours)} in durable-rules")
    for block in ours[:10]:
        print("\n".join(block))
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
