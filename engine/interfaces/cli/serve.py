"""`safeguard serve`: the HTTP JSON service for case systems (uvicorn, production defaults)."""
from __future__ import annotations

import os
from pathlib import Path

import click

from engine.core.errors import SafeguardError
from engine.interfaces.cli.keys import keys_file_option
from engine.interfaces.cli.options import engine_for, procedure_option
from engine.interfaces.service.limits import Limits

DEFAULTS = Limits()
POSITIVE = click.IntRange(min=1)
SECONDS = click.FloatRange(min=0.001)


@click.command(name="serve")
@procedure_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
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
@click.pass_context
def serve_cmd(ctx: click.Context, procedure: str | None, host: str, port: int, workers: int,
              evaluators: int | None, keys_file: Path, certfile: str | None,
              keyfile: str | None, behind_proxy: bool, forwarded_allow_ips: str,
              insecure_local: bool, jwt_issuer: str | None, jwt_audience: str | None,
              jwt_jwks: str | None, audit_log: str | None, max_body: int, max_facts: int,
              max_cases: int, case_seconds: float, header_seconds: float, body_seconds: float,
              max_connections: int) -> None:
    """Serve case statuses over HTTP as JSON (OpenAPI at /openapi.json).

    Every route but /health needs 'Authorization: Bearer <key>' (see 'safeguard keys').
    """
    from engine.interfaces.service.config import ServiceConfig
    from engine.interfaces.service.server import Listen, serve

    jwt = (jwt_issuer, jwt_audience, jwt_jwks)
    if any(jwt) and not all(jwt):
        raise SafeguardError("JWT needs all of --jwt-issuer, --jwt-audience and --jwt-jwks")
    engine = engine_for(ctx, procedure)  # definition errors stop here, before serving
    engine.close()
    limits = Limits(max_body=max_body, max_facts=max_facts, max_cases=max_cases,
                    case_seconds=case_seconds, header_seconds=header_seconds,
                    body_seconds=body_seconds)
    config = ServiceConfig(
        definitions=tuple(str(p) for p in ctx.obj["definitions"] or ()), procedure=procedure,
        keys=str(keys_file), jwt_issuer=jwt_issuer, jwt_audience=jwt_audience,
        jwt_jwks=jwt_jwks, insecure_local=insecure_local,
        evaluators=evaluators or max(1, (os.cpu_count() or 1) // workers),
        audit_log=audit_log, limits=limits)
    listen = Listen(host=host, port=port, workers=workers, certfile=certfile, keyfile=keyfile,
                    behind_proxy=behind_proxy, forwarded_allow_ips=forwarded_allow_ips,
                    max_connections=max_connections)
    scheme = "https" if certfile else "http"
    click.echo(f"safeguard serving {engine.procedure.id} {engine.procedure.version} on "
               f"{scheme}://{host}:{port}/ ({workers} server process(es), "
               f"{config.evaluators} evaluator(s) each; OpenAPI: /openapi.json)", err=True)
    serve(listen, config)
