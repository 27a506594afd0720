"""docs/ssd.md's example outputs, regenerated from a synthetic SSD (`make docs-ssd`).

Each fenced block that follows a `<!-- output: ARGS -->` comment in docs/ssd.md is what
`safeguard ARGS` prints on a synthetic SSD of 500 children generated as of DOCS_AS_OF (seed
7, 5% messy), with `ssd.db` standing for that database. `lines=N` keeps the first N lines,
`grep=TEXT` only the lines holding TEXT (after the first line). tests/test_docs_ssd.py checks
that the file is current; `python -m tests.docs_ssd` rewrites it.
"""
from __future__ import annotations

import re
import shlex
import sys
import tempfile
from datetime import date
from pathlib import Path

from click.testing import CliRunner

DOCS = Path(__file__).resolve().parents[1] / "docs" / "ssd.md"
DOCS_AS_OF = date(2025, 11, 28)
MARKER = re.compile(r"<!-- output: (?P<args>.*?) -->\n(?P<fence>```|~~~)[^\n]*\n(?P<body>.*?)"
                    r"(?P=fence)\n", re.S)


def _database(folder: Path) -> Path:
    from sqlalchemy import create_engine

    from engine.inputs.ssd import synthetic

    path = folder / "ssd.db"
    db = create_engine(f"sqlite:///{path}")
    synthetic.write(db, synthetic.Options(children=500, seed=7, as_of=DOCS_AS_OF, messy=0.05))
    db.dispose()
    return path


def _run(args: str, database: Path) -> str:
    from engine.interfaces.cli.app import main_group

    words = shlex.split(args)
    keep = [w for w in words if not w.startswith(("lines=", "grep="))]
    options = dict(w.split("=", 1) for w in words if w.startswith(("lines=", "grep=")))
    keep = [str(database) if w == "ssd.db" else w for w in keep]
    result = CliRunner().invoke(main_group, keep, catch_exceptions=False)
    lines = result.output.replace(str(database), "ssd.db").splitlines()
    if "grep" in options:
        lines = lines[:1] + [line for line in lines[1:] if options["grep"] in line]
    if "lines" in options:
        lines = lines[:int(options["lines"])]
    return "\n".join(f"$ safeguard {' '.join(keep)}".replace(str(database), "ssd.db")
                     .splitlines() + lines) + "\n"


def render(text: str) -> str:
    """docs/ssd.md with every marked block regenerated."""
    with tempfile.TemporaryDirectory() as folder:
        database = _database(Path(folder))

        def block(found: re.Match) -> str:
            out = _run(found["args"], database)
            return f"<!-- output: {found['args']} -->\n{found['fence']}\n{out}{found['fence']}\n"

        return MARKER.sub(block, text)


def main() -> int:
    text = DOCS.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        DOCS.write_text(new, encoding="utf-8")
        print(f"rewrote the example outputs in {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
