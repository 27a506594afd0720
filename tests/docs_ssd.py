"""docs/ssd.md's example outputs, regenerated from a synthetic SSD (`make docs-ssd`).

Each fenced block that follows a `<!-- output: ARGS -->` comment in docs/ssd.md is what
`safeguard ARGS` prints on a synthetic SSD of 500 children generated as of DOCS_AS_OF (seed
7, 5% messy), with `ssd.db` standing for that database and `<run id>` for publish's
random run id. `lines=N` keeps the first N lines,
`grep=TEXT` only the lines holding TEXT (after the first line). tests/test_docs_ssd.py checks
that the file is current; `python -m tests.docs_ssd` rewrites it.
"""
from __future__ import annotations

import re
import shlex
import sys
import tempfile
import textwrap
from datetime import date
from pathlib import Path

from click.testing import CliRunner

DOCS = Path(__file__).resolve().parents[1] / "docs" / "ssd.md"
DOCS_AS_OF = date(2025, 11, 28)
MARKER = re.compile(r"<!-- output: (?P<args>.*?) -->\n(?P<fence>```|~~~)[^\n]*\n(?P<body>.*?)"
                    r"(?P=fence)\n", re.S)
RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NOT_RECORDED = re.compile(r"<!-- not-recorded -->\n```\n.*?```\n", re.S)


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
    text = RUN_ID.sub("<run id>", result.output.replace(str(database), "ssd.db"))
    lines = text.splitlines()
    if "grep" in options:
        lines = lines[:1] + [line for line in lines[1:] if options["grep"] in line]
    if "lines" in options:
        lines = lines[:int(options["lines"])]
    return "\n".join(f"$ safeguard {' '.join(keep)}".replace(str(database), "ssd.db")
                     .splitlines() + lines) + "\n"


def not_recorded() -> str:
    """What the SSD leaves unknown under the bundled procedure, as docs/ssd.md lists it."""
    from engine import load
    from engine.inputs.ssd.child import Lookups
    from engine.inputs.ssd.coverage import PARTIAL
    from engine.inputs.ssd.dataset import vocabulary as dataset_vocabulary
    from engine.inputs.ssd.tables import SPECS

    engine = load()
    vocabulary = dataset_vocabulary(engine.procedure)
    engine.close()
    names = Lookups(frozenset(s.name for s in SPECS), vocabulary=vocabulary).not_recorded
    types = [n for n in names if "." not in n and n not in PARTIAL]
    fields = [n for n in names if "." in n]
    return (f"never recorded in the SSD:\n{_wrap(types)}\nrecorded only in part:\n"
            f"{_wrap(list(PARTIAL))}\nfields it lacks:\n{_wrap(fields)}\n")


def _wrap(names: list[str]) -> str:
    return "\n".join(textwrap.wrap(", ".join(names), 92, initial_indent="  ",
                                    subsequent_indent="  "))


def render(text: str) -> str:
    """docs/ssd.md with every marked block regenerated."""
    text = NOT_RECORDED.sub(lambda _: f"<!-- not-recorded -->\n```\n{not_recorded()}```\n", text)
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
