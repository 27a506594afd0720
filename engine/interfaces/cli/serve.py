"""`safeguard serve`: the HTTP JSON service for case systems."""
from __future__ import annotations

import click

from engine.interfaces.cli.options import engine_for, procedure_option


@click.command(name="serve")
@procedure_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.pass_context
def serve_cmd(ctx: click.Context, procedure: str | None, host: str, port: int) -> None:
    """Serve case statuses over HTTP as JSON (OpenAPI at /openapi.json)."""
    from engine.interfaces.service import serve

    engine = engine_for(ctx, procedure)
    server = serve(engine, host, port)
    click.echo(f"safeguard serving {engine.procedure.id} {engine.procedure.version} on "
               f"http://{host}:{server.server_address[1]}/ (OpenAPI: /openapi.json)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
