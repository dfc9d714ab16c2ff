"""The REST routes: turns, session state, reply audio, metrics, health and readiness."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from orchestrator.cli.turn import turn_payload
from orchestrator.errors import InputError, SessionNotFoundError
from orchestrator.metrics import CONTENT_TYPE, render
from orchestrator.service.auth import require, service
from orchestrator.service.keys import Principal
from orchestrator.service.problems import PROBLEM_TYPE, ServiceProblemError, responses
from orchestrator.service.schemas import TURN_EXAMPLE, Health, Ready, TurnResponse, TurnText
from orchestrator.service.state import ServiceState
from orchestrator.sessions.base import SessionState
from orchestrator.sessions.ids import SESSION_ID_PATTERN, validate_session_id

__all__ = ["SessionId", "router"]

router = APIRouter()

SessionId = Annotated[
    str,
    Path(description="1-64 letters, digits, '_' or '-', starting with a letter or digit.",
         json_schema_extra={"pattern": f"^{SESSION_ID_PATTERN.pattern}$"}, examples=["call-0042"]),
]
State = Annotated[ServiceState, Depends(service)]
_AUTH_ERRORS = (401, 403, 429)

_TURN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/TurnText"},
                "examples": {"typed": {"value": {"text": "I'd like to borrow 25,000 over 5 years at 6.5 percent"}}},
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["audio"],
                    "properties": {"audio": {"type": "string", "format": "binary",
                                             "description": "WAV or FLAC, any rate, any channels."}},
                },
                "encoding": {"audio": {"contentType": "audio/wav, audio/flac, application/octet-stream"}},
            },
        },
    }
}


async def _turn_input(request: Request) -> dict[str, Any]:
    """``{"text": ...}`` from JSON, or ``{"audio": bytes}`` from a multipart upload."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind == "application/json":
        try:
            body = TurnText.model_validate(json.loads(await request.body()))
        except (ValueError, ValidationError):
            raise InputError('the body must be JSON like {"text": "..."}') from None
        return {"text": body.text}
    if kind == "multipart/form-data":
        state: ServiceState = request.app.state.voicebot
        limit = state.settings.max_audio_bytes
        async with request.form(max_files=1, max_fields=4, max_part_size=limit) as form:
            upload = form.get("audio")
            if not isinstance(upload, UploadFile):
                raise InputError("the upload needs a file field named 'audio' (WAV or FLAC)")
            return {"audio": await upload.read(limit + 1)}
    raise ServiceProblemError(415, "unsupported_media_type", "send application/json or multipart/form-data")


@router.post(
    "/v1/sessions/{session_id}/turns",
    response_model=TurnResponse,
    summary="Run one turn (typed text, or an uploaded WAV/FLAC)",
    openapi_extra=_TURN_BODY,
    responses=responses(400, 404, 409, 413, 415, 422, *_AUTH_ERRORS, 502, 503, 504,
                        ok={"content": {"application/json": {"example": TURN_EXAMPLE}}}),
    tags=["turns"],
)
async def post_turn(
    session_id: SessionId, request: Request, state: State,
    _key: Annotated[Principal, Depends(require("caller"))],
) -> dict[str, Any]:
    """The same object as `voicebot turn --json`. A new id starts a session; the same id continues it."""
    sid = validate_session_id(session_id)
    state.require_pipeline()
    given = await _turn_input(request)
    result = await state.run_turn(sid, **given)
    assert state.pipeline is not None
    return turn_payload(result, f"/v1/sessions/{sid}/audio/{result.turn}", state.pipeline.backends)


@router.get(
    "/v1/sessions/{session_id}",
    response_model=SessionState,
    summary="A session's state and history",
    responses=responses(400, 404, *_AUTH_ERRORS, 503),
    tags=["sessions"],
)
async def get_session(
    session_id: SessionId, state: State, _key: Annotated[Principal, Depends(require("qa"))],
) -> JSONResponse:
    """The dialog state, slots and every completed turn (already redacted)."""
    sid = validate_session_id(session_id)
    found = await asyncio.to_thread(state.store.load, sid)
    if found is None:
        raise SessionNotFoundError(f"no session {sid!r} in the store")
    return JSONResponse(found.model_dump(mode="json"))


@router.get(
    "/v1/sessions/{session_id}/audio/{turn}",
    response_class=Response,
    summary="The reply audio of one turn (WAV)",
    responses=responses(400, 404, 422, *_AUTH_ERRORS, 503, ok={
        "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
        "description": "Mono 16-bit WAV."}),
    tags=["sessions"],
)
async def get_audio(
    session_id: SessionId, turn: Annotated[int, Path(ge=1, le=1_000_000, examples=[1])], state: State,
    _key: Annotated[Principal, Depends(require("caller"))],
) -> Response:
    """What the bot said in that turn, as it was spoken."""
    sid = validate_session_id(session_id)
    wav = await asyncio.to_thread(state.replies.get, sid, turn)
    if wav is None:
        raise ServiceProblemError(404, "not_found", f"no reply audio kept for session {sid!r} turn {turn}")
    return Response(wav, media_type="audio/wav")


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics of this process",
    responses=responses(*_AUTH_ERRORS, ok={"content": {CONTENT_TYPE: {"schema": {"type": "string"}}},
                                          "description": "The text exposition format."}),
    tags=["operations"],
)
async def metrics(state: State, _key: Annotated[Principal, Depends(require("admin"))]) -> Response:
    """Latency per stage, turns, errors, cache hits, handoffs and containment."""
    return Response(render(state.metrics.registry), media_type=CONTENT_TYPE)


@router.get("/healthz", response_model=Health, summary="The process answers", tags=["operations"])
async def healthz() -> Health:
    """Always 200 while the process runs (no key needed)."""
    return Health(status="ok")


@router.get(
    "/readyz", response_model=Ready, summary="The models are loaded", tags=["operations"],
    responses={503: {"description": "Still loading, or failed to load.",
                     "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
)
async def readyz(state: State) -> Ready:
    """200 once the models are loaded and warmed up, 503 before (no key needed)."""
    pipeline = state.require_pipeline()
    return Ready(status="ready", backends=pipeline.backends, turns=state.gate.describe())
