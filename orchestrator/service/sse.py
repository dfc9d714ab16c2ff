"""``GET /v1/sessions/{id}/events``: the session's events as Server-Sent Events, live.

It is the stream ``monitor-session --follow`` shows, read the same way
(``eventsource.open_follow`` and ``watch``): the Redis Stream when the store
is Redis, else the local JSONL log; from the session's first event, ending
once the call has ended (a goodbye or a handoff with no turn running), after
``idle_timeout`` seconds without an event, or when the client goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from orchestrator.errors import SessionNotFoundError
from orchestrator.events import Event
from orchestrator.eventsource import open_follow, session_exists, watch
from orchestrator.service.auth import require, service
from orchestrator.service.keys import Principal
from orchestrator.service.problems import responses
from orchestrator.service.routes import SessionId
from orchestrator.service.state import ServiceState
from orchestrator.sessions.ids import validate_session_id

__all__ = ["router"]

router = APIRouter()

_EXAMPLE = (
    'id: 1\nevent: turn_started\ndata: {"type":"turn_started","session_id":"call-0042","turn":1,'
    '"input_kind":"audio",...}\n\n'
)


# One SSE message (OpenAPI 3.2's itemSchema): its data is one event of orchestrator.events, as JSON.
_SSE_ITEM = {
    "type": "object",
    "required": ["data", "event", "id"],
    "properties": {
        "data": {"type": "string", "contentMediaType": "application/json"},
        "event": {"type": "string", "description": "The event's type: turn_started, transcript, dialog_reply, ..."},
        "id": {"type": "string", "description": "The event's position in the session's stream, from 1."},
    },
}


def _events(
    session_id: SessionId,
    state: Annotated[ServiceState, Depends(service)],
    _key: Annotated[Principal, Depends(require("qa"))],
    follow: Annotated[bool, Query(description="Keep streaming live events until the call ends.")] = True,
    idle_timeout: Annotated[
        float, Query(ge=0, le=86_400, description="With follow: stop after this many idle seconds (0: never).")
    ] = 0.0,
) -> Iterator[Event]:
    """Checks run before the response starts, so an unknown session is a 404, not an empty stream."""
    sid = validate_session_id(session_id)
    source, stream = open_follow(state.settings, state.store, sid, follow)
    if not session_exists(state.store, source, sid):
        raise SessionNotFoundError(f"no session {sid!r} (no state and no events)")
    return watch(stream, follow, idle_timeout)


@router.get(
    "/v1/sessions/{session_id}/events",
    response_class=EventSourceResponse,
    summary="The session's events, live (Server-Sent Events)",
    responses=responses(400, 404, 422, 401, 403, 429, 503, ok={
        "description": "One SSE message per event: `event` is its type, `data` its JSON.",
        "content": {"text/event-stream": {"itemSchema": _SSE_ITEM, "example": _EXAMPLE}}}),
    tags=["sessions"],
)
def session_events(stream: Annotated[Iterator[Event], Depends(_events)]) -> Iterator[ServerSentEvent]:
    """Every event of the session from its start (turn_started, transcript, dialog_reply, tts_chunk, ...)."""
    for number, event in enumerate(stream, start=1):
        yield ServerSentEvent(raw_data=event.model_dump_json(), event=event.type, id=str(number))
