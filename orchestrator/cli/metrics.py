"""``voicebot metrics show|serve``: Prometheus metrics computed from the session logs."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated

import typer

from orchestrator.cli.common import load_settings, voicebot_errors
from orchestrator.eventsource import opened_event_source
from orchestrator.metrics import CONTENT_TYPE, registry_from_logs, render

__all__ = ["metrics_app"]

metrics_app = typer.Typer(help="Prometheus metrics: latency per stage, turns, errors, handoffs.",
                          no_args_is_help=True)


@metrics_app.command("show")
def show_command() -> None:
    """Print the metrics once, in the Prometheus text format."""
    settings = load_settings()
    with voicebot_errors(), opened_event_source(settings) as source:
        sys.stdout.write(render(registry_from_logs(source)).decode("utf-8"))


@metrics_app.command("serve")
def serve_command(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")] = 9464,
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
) -> None:
    """Serve GET /metrics, recomputed from the logs at each scrape (Ctrl-C to stop)."""
    settings = load_settings()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/metrics":
                self.send_error(404, "only /metrics is served here")
                return
            with opened_event_source(settings) as source:
                body = render(registry_from_logs(source))
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"serving metrics on http://{host}:{port}/metrics", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
