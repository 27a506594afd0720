"""The `safeguard` command: one click group, every command registered on it by `add_command`.

Only the CLI prints and chooses exit codes: 0 success, 1 findings the user asked to fail on
(definition errors in `check`, failing stories, --fail-on-overdue), 2 usage, input or
definition errors, 3 the rules engine failed (see engine/core/errors.py). Every SafeguardError a
command raises is printed and turned into its exit code here, in `SafeguardGroup.invoke`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from engine.core.errors import SafeguardError
from engine.interfaces.cli import check, diff, draw, importing, keys, query, serve, ssd, story


class SafeguardGroup(click.Group):
    """The one place a user-caused error becomes a message on stderr and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SafeguardError as exc:
            click.echo(exc.render(), err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=SafeguardGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--definitions", "-d", multiple=True, type=click.Path(path_type=Path),
              help="Folders or files of procedures and rule sets (default: the bundled ones).")
@click.version_option(package_name="safeguarding-engine")
@click.pass_context
def main_group(ctx: click.Context, definitions: tuple[Path, ...]) -> None:
    """Rules-as-code for child safeguarding procedures: check, test, evaluate and draw."""
    ctx.obj = {"definitions": list(definitions) or None}


def _register(group: click.Group) -> click.Group:
    """Every command, listed once."""
    commands = [check.check, diff.diff_cmd, story.test, query.status, query.next_, query.overdue,
                query.explain_cmd, importing.import_group, draw.draw, draw.pack, serve.serve_cmd,
                keys.keys_group, ssd.publish, ssd.ssd_quality, ssd.ssd_synth]
    for command in commands:
        group.add_command(command)
    return group


_register(main_group)


def main() -> None:
    """Console entry point; never shows a traceback for an expected error."""
    main_group(standalone_mode=True)


