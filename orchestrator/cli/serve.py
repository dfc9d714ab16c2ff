"""``voicebot serve``: the HTTP API and the media WebSocket, FastAPI on uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from orchestrator.cli.common import EXIT_USAGE, err_console, fail, load_settings, voicebot_errors
from orchestrator.service.keys import KeyStore

__all__ = ["serve"]


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")] = 8080,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, max=64, help="Worker processes (each loads the models).")
    ] = 1,
    stt: Annotated[str | None, typer.Option(help="STT backend (overrides VOICEBOT_STT).")] = None,
    tts: Annotated[str | None, typer.Option(help="TTS backend (overrides VOICEBOT_TTS).")] = None,
    llm: Annotated[str | None, typer.Option(help="Dialog backend (overrides VOICEBOT_LLM).")] = None,
) -> None:
    """Serve the pipeline: REST turns, session state, SSE events, reply audio, /metrics, and /v1/media.

    The OpenAPI spec is at /openapi.json (browsable at /docs). Every /v1 route needs
    'Authorization: Bearer KEY' (voicebot keys add NAME --role caller|qa|admin).
    /healthz answers at once; /readyz turns 200 once the models are loaded.
    With VOICEBOT_STORE=redis://... several 'serve' processes, on one machine or
    many, share sessions, events, reply audio, the semantic cache and rate limits.
    """
    import uvicorn

    settings = load_settings(stt=stt, tts=tts, llm=llm)
    with voicebot_errors():
        keys = KeyStore(settings.keys_file).list()
    if not keys:
        err_console.print(f"warning: no API keys in {settings.keys_file}: every request will be refused "
                          "(voicebot keys add NAME --role caller)", highlight=False, markup=False)
    # uvicorn's workers build the app from the environment, so the overrides travel there.
    for name, value in (("VOICEBOT_STT", stt), ("VOICEBOT_TTS", tts), ("VOICEBOT_LLM", llm)):
        if value is not None:
            os.environ[name] = value
    err_console.print(f"voicebot serve: http://{host}:{port} ({workers} worker(s)); models loading, "
                      f"GET /readyz says when they are in", highlight=False, markup=False)
    try:
        uvicorn.run("orchestrator.service.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level=settings.log_level.lower(), ws="websockets-sansio", timeout_graceful_shutdown=10)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}", EXIT_USAGE, category="usage")
