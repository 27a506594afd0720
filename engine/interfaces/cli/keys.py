"""`safeguard keys`: add, list and revoke the service's API keys (only hashes are stored)."""
from __future__ import annotations

from pathlib import Path

import click

from engine.interfaces.cli.options import F
from engine.interfaces.service.keys import SCOPES, add_key, read_keys, revoke_key

DEFAULT_FILE = Path("safeguard-keys.json")


def keys_file_option(f: F) -> F:
    return click.option("--keys", "keys_file", type=click.Path(path_type=Path),
                        default=DEFAULT_FILE, show_default=True, envvar="SAFEGUARD_KEYS",
                        help="The key file (env SAFEGUARD_KEYS).")(f)


@click.group(name="keys")
def keys_group() -> None:
    """Manage the API keys `safeguard serve` accepts."""


@keys_group.command(name="add")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES),
              help="What the key may do (repeat for several).")
@keys_file_option
def add(name: str, scopes: tuple[str, ...], keys_file: Path) -> None:
    """Make a key for NAME and print it once; only its hash is kept."""
    key = add_key(keys_file, name, scopes)
    click.echo(key)
    click.echo(f"key '{name}' ({', '.join(sorted(set(scopes)))}) added to {keys_file}; "
               "it is shown only now", err=True)


@keys_group.command(name="list")
@keys_file_option
def list_(keys_file: Path) -> None:
    """Name, id, scopes and creation time of every key (never the keys)."""
    for entry in read_keys(keys_file):
        click.echo(f"{entry.name}\t{entry.id}\t{','.join(entry.scopes)}\t{entry.created}")


@keys_group.command(name="revoke")
@click.argument("name")
@keys_file_option
def revoke(name: str, keys_file: Path) -> None:
    """Remove NAME's key; a running service refuses it from its next request."""
    revoke_key(keys_file, name)
    click.echo(f"key '{name}' revoked", err=True)
