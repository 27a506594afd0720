"""`safeguard serve`: the HTTP JSON service for case systems (uvicorn, production defaults).

Every check runs before the "serving" line (engine/interfaces/service/startup.py); each
misconfiguration, option syntax included, is one `error:` line and exit 2.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from engine.core.errors import SafeguardError
from engine.interfaces.cli.keys import keys_file_option
from engine.interfaces.cli.options import engine_for, procedure_option
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.limits import Limits
from engine.interfaces.service.startup import Listen

DEFAULTS = Limits()
POSITIVE = click.IntRange(min=1)
SECONDS = click.FloatRange(min=0.001)
LIMITS = ("max_body", "max_facts", "max_cases", "case_seconds", "header_seconds",
          "body_seconds", "rate", "burst")
LISTEN = ("host", "port", "workers", "certfile", "keyfile", "behind_proxy",
          "forwarded_allow_ips", "max_connections")


class ServeCommand(click.Command):
    """An option click cannot read is one `error:` line too, like every other refusal."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise SafeguardError(exc.format_message().replace("\n", " ")) from None


@click.command(name="serve", cls=ServeCommand)
@procedure_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (each with its own evaluators).")
@click.option("--evaluators", type=click.IntRange(1, 256),
              help="Evaluating processes per server process [default: cores / workers].")
@keys_file_option
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False),
              help="TLS certificate (PEM); with --keyfile, serve HTTPS.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False),
              help="TLS private key (PEM).")
@click.option("--behind-proxy", is_flag=True,
              help="A reverse proxy terminates TLS: allow a non-loopback address without "
                   "TLS and trust its X-Forwarded-For/-Proto headers.")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              help="Addresses of the proxy whose forwarded headers are trusted.")
@click.option("--insecure-local", is_flag=True,
              help="Serve loopback without any credentials (development only).")
@click.option("--jwt-issuer", help="Accept OAuth2 JWT bearer tokens from this issuer ...")
@click.option("--jwt-audience", help="... for this audience ...")
@click.option("--jwt-jwks", type=click.Path(exists=True, dir_okay=False),
              help="... signed by a key in this JWKS file (RS256).")
@click.option("--audit-log", type=click.Path(dir_okay=False),
              help="Append the audit log here (default: standard error).")
@click.option("--max-body", default=DEFAULTS.max_body, show_default=True, type=POSITIVE,
              help="Bytes in one request body.")
@click.option("--max-facts", default=DEFAULTS.max_facts, show_default=True, type=POSITIVE,
              help="Facts in one case.")
@click.option("--max-cases", default=DEFAULTS.max_cases, show_default=True, type=POSITIVE,
              help="Cases in one /cohort request.")
@click.option("--case-seconds", default=DEFAULTS.case_seconds, show_default=True, type=SECONDS,
              help="Time budget to evaluate one case.")
@click.option("--header-seconds", default=DEFAULTS.header_seconds, show_default=True,
              type=SECONDS, help="Time for a client to send a request's headers.")
@click.option("--body-seconds", default=DEFAULTS.body_seconds, show_default=True, type=SECONDS,
              help="Time for a client to send a request's body.")
@click.option("--max-connections", default=1000, show_default=True, type=POSITIVE,
              help="Open connections; past it a new request gets 503.")
@click.option("--rate-limit", "rate", default=DEFAULTS.rate, show_default=True,
              type=click.FloatRange(min=0), help="Cases a second each client may send on "
              "average (a /cohort counts its cases); past it 429. 0 turns it off.")
@click.option("--rate-burst", "burst", default=DEFAULTS.burst, show_default=True,
              type=POSITIVE, help="Cases a client may send at once before its rate applies.")
@click.pass_context
def serve_cmd(ctx: click.Context, procedure: str | None, evaluators: int | None,
              keys_file: Path, insecure_local: bool, jwt_issuer: str | None,
              jwt_audience: str | None, jwt_jwks: str | None, audit_log: str | None,
              **options: Any) -> None:
    """Serve case statuses over HTTP as JSON (OpenAPI at /openapi.json).

    Every route but /health needs 'Authorization: Bearer <key>' (see 'safeguard keys').
    """
    from engine.interfaces.service.server import serve
    from engine.interfaces.service.startup import check_files, check_options

    jwt = (jwt_issuer, jwt_audience, jwt_jwks)
    if any(jwt) and not all(jwt):
        raise SafeguardError("JWT needs all of --jwt-issuer, --jwt-audience and --jwt-jwks")
    listen = Listen(**{name: options[name] for name in LISTEN})
    config = ServiceConfig(
        definitions=tuple(str(p) for p in ctx.obj["definitions"] or ()), procedure=procedure,
        keys=str(keys_file), jwt_issuer=jwt_issuer, jwt_audience=jwt_audience,
        jwt_jwks=jwt_jwks, insecure_local=insecure_local,
        evaluators=evaluators or max(1, (os.cpu_count() or 1) // listen.workers),
        audit_log=audit_log, limits=Limits(**{name: options[name] for name in LIMITS}))
    for warning in check_options(listen, config):
        click.echo(f"warning: {warning}", err=True)
    check_files(listen, config)
    engine = engine_for(ctx, procedure)  # definition errors stop here, before serving
    engine.close()
    serve(listen, config, lambda: click.echo(_serving(engine.procedure, listen, config),
                                             err=True))


def _serving(procedure: Any, listen: Listen, config: ServiceConfig) -> str:
    scheme = "https" if listen.certfile else "http"
    return (f"safeguard serving {procedure.id} {procedure.version} on "
            f"{scheme}://{listen.host}:{listen.port}/ ({listen.workers} server process(es), "
            f"{config.evaluators} evaluator(s) each; OpenAPI: /openapi.json)")
