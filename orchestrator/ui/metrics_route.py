"""Serve ``/metrics`` from the Chainlit server's FastAPI app, ahead of its catch-all frontend route."""

from __future__ import annotations

from typing import Any

from orchestrator.metrics import CONTENT_TYPE, MetricsSink, render

__all__ = ["install_metrics_route"]


def install_metrics_route(app: Any, sink: MetricsSink, path: str = "/metrics") -> None:
    """Add ``GET path`` returning the sink's metrics; first in the route list so nothing shadows it."""
    from fastapi.routing import APIRoute
    from starlette.responses import Response

    async def metrics() -> Response:
        return Response(content=render(sink.registry), media_type=CONTENT_TYPE)

    route = APIRoute(path, metrics, methods=["GET"], include_in_schema=False)
    app.router.routes.insert(0, route)
