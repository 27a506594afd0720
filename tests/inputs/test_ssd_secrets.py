"""No secret leaves: a database password given in any accepted form never reaches an output,
an error, a log or an `sg_` table, and a value that is not a URL is never echoed.

The password is planted in a real PostgreSQL server (the one the test session starts); every
command a data team runs is run with it given each way, and everything they printed or wrote
is searched for it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from engine.inputs.ssd import synthetic
from engine.inputs.ssd.urls import resolve_url, secrets_of, shown
from engine.interfaces.cli.app import main_group
from tests.postgres import PASSWORD

AS_OF = "2024-11-29"


@pytest.fixture(scope="module")
def planted(postgres, tmp_path_factory):
    """A synthetic SSD on PostgreSQL, reached with the planted password."""
    url = postgres.create_database("secrets")
    db = create_engine(url)
    synthetic.write(db, synthetic.Options(children=25, seed=3))
    db.dispose()
    return postgres, tmp_path_factory.mktemp("secrets")


def _forms(postgres, folder: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each accepted way of giving the password: (arguments, environment)."""
    bare = f"postgresql+psycopg://postgres@127.0.0.1:{postgres.port}/secrets"
    url_file = folder / "url"
    url_file.write_text(postgres.url("secrets") + "\n")
    pw_file = folder / "pw"
    pw_file.write_text(PASSWORD + "\n")
    libpq = f"host=127.0.0.1 port={postgres.port} user=postgres password={PASSWORD} dbname=secrets"
    return {
        "url password": (["--from", postgres.url("secrets")], {}),
        "password= query": (["--from", f"{bare}?password={PASSWORD}"], {}),
        "libpq string in the variable": ([], {"SAFEGUARD_DB_URL": libpq}),
        "password variable": (["--from", bare], {"SAFEGUARD_DB_PASSWORD": PASSWORD}),
        "password file variable": (["--from", bare],
                                   {"SAFEGUARD_DB_PASSWORD_FILE": str(pw_file)}),
        "URL in a file": (["--from-file", str(url_file)], {}),
        "password file given to --from-file": (["--from-file", str(pw_file)], {}),
        "password as the URL variable": ([], {"SAFEGUARD_DB_URL": PASSWORD}),
    }


COMMANDS = [["status", "--format", "json"], ["overdue", "--format", "csv"], ["ssd-quality"],
            ["publish"]]


def _tables(url: str) -> str:
    """Every row of every sg_ table as text."""
    db = create_engine(url)
    out = []
    with db.connect() as conn:
        names = conn.execute(text("SELECT table_name FROM information_schema.tables WHERE "
                                  "table_name LIKE 'sg%'")).scalars().all()
        for name in names:
            out += [repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{name}"'))]
    db.dispose()
    return "\n".join(out)


def test_the_password_reaches_no_output_error_log_or_table(planted):
    postgres, folder = planted
    runner = CliRunner()
    seen = []
    for form, (args, env) in _forms(postgres, folder).items():
        for command in COMMANDS:
            result = runner.invoke(main_group, [*command, *args, "--as-of", AS_OF], env=env,
                                   catch_exceptions=False)
            seen.append(f"{form} / {command[0]}: exit {result.exit_code}\n{result.output}")
        out = folder / f"{form.replace(' ', '_')}.jsonl"
        result = runner.invoke(main_group, ["import", "ssd", *args, "-o", str(out)], env=env,
                               catch_exceptions=False)
        seen.append(result.output + (out.read_text() if out.exists() else ""))
    everything = "\n".join(seen) + _tables(postgres.url("secrets"))
    everything += (postgres.dir / "log").read_text(errors="replace")
    assert PASSWORD not in everything
    assert _tables(postgres.url("secrets")).count("postgresql") >= 5   # runs were written


def test_accepted_forms_all_connect(planted):
    postgres, folder = planted
    for form, (args, env) in _forms(postgres, folder).items():
        if "given to --from-file" in form or "as the URL variable" in form:
            continue
        result = CliRunner().invoke(main_group, ["overdue", *args, "--as-of", AS_OF], env=env,
                                    catch_exceptions=False)
        assert result.exit_code == 0, (form, result.output)


def test_a_value_that_is_not_a_url_is_never_echoed(planted):
    postgres, folder = planted
    args, env = _forms(postgres, folder)["password file given to --from-file"]
    result = CliRunner().invoke(main_group, ["status", *args], env=env, catch_exceptions=False)
    assert result.exit_code == 2
    assert "not a database URL" in result.output and PASSWORD not in result.output


def test_shown_hides_every_password_form():
    url = resolve_url("postgresql+psycopg://u:pw1@h/db?password=pw2&sslpassword=pw3&app=x")
    printed = shown(url)
    assert "pw1" not in printed and "pw2" not in printed and "pw3" not in printed
    assert "app=x" in printed
    libpq = resolve_url(None, env={"SAFEGUARD_DB_URL": "host=h dbname=d user=u password=pw4"})
    assert libpq.password == "pw4" and "pw4" not in shown(libpq)


def test_a_password_inside_an_odbc_connect_string_is_hidden_too():
    odbc = ("mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC+Driver+18%7D%3BSERVER%3Dh%3BUID%3Du"
            "%3BPWD%3D%7BS3c%3Bret%7D%7DPW%7D%3BEncrypt%3Dyes")
    url = resolve_url(odbc)
    assert "S3c" not in shown(url) and "Encrypt%3Dyes" in shown(url)
    assert "{S3c;ret}}PW}" in secrets_of(url) and "S3c;ret}}PW" in secrets_of(url)
    result = CliRunner().invoke(main_group, ["status", "--from", odbc], catch_exceptions=False)
    assert result.exit_code == 2 and "pip install pyodbc" in result.output
    assert "S3c" not in result.output and "a password on the command line" in result.output
    plain = CliRunner().invoke(main_group, ["status", "--from", odbc.replace("PWD", "APP")])
    assert "a password on the command line" not in plain.output


def test_a_passfile_argument_is_not_taken_for_a_typed_password():
    result = CliRunner().invoke(main_group, ["status", "--from",
                                             "postgresql+psycopg://u@127.0.0.1:1/x?passfile=/p"],
                                env={"SAFEGUARD_DB_TIMEOUT": "1"})
    assert result.exit_code == 2 and "a password on the command line" not in result.output
