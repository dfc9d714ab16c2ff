"""The FastAPI app factory of ``voicebot serve``.

``create_app()`` reads the settings from ``VOICEBOT_*`` (which is how
uvicorn's worker processes get them); tests pass their own settings and,
for speed, a ready pipeline on fake backends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from orchestrator import __version__
from orchestrator.config import Settings
from orchestrator.pipeline import Pipeline
from orchestrator.service import media_route, routes, sse
from orchestrator.service.limits import BodySizeLimit
from orchestrator.service.problems import install_problem_handlers
from orchestrator.service.state import ServiceState

__all__ = ["create_app"]

_DESCRIPTION = """\
The bank's voicebot as a service: the same embedded pipeline (speech-to-text, banking
dialog, text-to-speech) as the browser app and the `voicebot` CLI.

* Every `/v1` route and `/metrics` need `Authorization: Bearer KEY`, a key made with
  `voicebot keys add NAME --role caller|qa|admin`. `caller` may run turns and fetch
  reply audio, `qa` may also read session state and events, `admin` also `/metrics`.
* Errors are RFC 9457 problem details (`application/problem+json`) whose `category`
  is the CLI's error category (`corrupt_audio`, `session_not_found`, `store_unavailable`, ...).
* The media WebSocket `/v1/media` speaks the Twilio Media Streams message shape
  (`connected`, `start`, `media`, `mark`, `stop`; `clear` on barge-in).
"""


def create_app(settings: Settings | None = None, *, pipeline: Pipeline | None = None) -> FastAPI:
    """The service app; models load in the background unless a ``pipeline`` is given."""
    settings = settings or Settings()
    state = ServiceState(settings, pipeline=pipeline)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.start_loading()
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="VoiceBot Workbench API",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "turns", "description": "Run the pipeline."},
            {"name": "sessions", "description": "State, history, events and reply audio of a call."},
            {"name": "operations", "description": "Health, readiness and Prometheus metrics."},
        ],
    )
    app.state.voicebot = state
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_request_bytes)
    install_problem_handlers(app)
    app.include_router(routes.router)
    app.include_router(sse.router)
    app.include_router(media_route.router)
    return app
