"""``/v1/media``: the media WebSocket a contact-centre gateway streams a call into (Twilio Media Streams shape)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from orchestrator.service.media.call import MediaCall
from orchestrator.service.state import ServiceState

__all__ = ["router"]

router = APIRouter()


@router.websocket("/v1/media")
async def media(websocket: WebSocket) -> None:
    """One call: key on the upgrade (``Authorization: Bearer``) or in ``start.customParameters.api_key``."""
    state: ServiceState = websocket.app.state.voicebot
    await websocket.accept()
    await MediaCall(websocket, state).run()
