"""The media socket's default turn driver: the real-time engine ends turns and barges in, with no caller marks.

Fake STT and TTS and the loudness detector (``VOICEBOT_VAD=level``), so a tone is
speech and silence is not; the audio goes in at the pace of a phone line, since
the engine models the far end's playback on the wall clock.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import numpy as np
from starlette.testclient import WebSocketTestSession

from orchestrator.config import Settings
from orchestrator.events import TTSChunk, TurnEnded
from orchestrator.eventsource import JsonlEventSource
from orchestrator.service.media import mulaw
from orchestrator.sessions.sqlite import SqliteSessionStore
from orchestrator.stt.fake import FakeSTT
from tests.conftest import make_pipeline
from tests.phone_caller import audio_bytes_before_marks
from tests.service_client import add_key, service_client

SILENCE = b"\xff" * 160  # 20 ms of μ-law zero


def start(session: str, key: str) -> dict[str, Any]:
    # No endpointing parameter: the server's is the default.
    return {"event": "start", "streamSid": "MZs", "start": {
        "streamSid": "MZs", "callSid": "CAs", "customParameters": {"session_id": session, "api_key": key},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}


def frames(speech_s: float, silence_s: float) -> list[bytes]:
    t = np.arange(int(speech_s * 8000), dtype=np.float32) / 8000
    tone = mulaw.encode((0.4 * np.sin(2 * np.pi * 300 * t)).astype(np.float32))
    return [tone[i:i + 160] for i in range(0, len(tone), 160)] + [SILENCE] * int(silence_s / 0.02)


def stream(ws: WebSocketTestSession, chunks: list[bytes]) -> None:
    """One 20 ms frame every 20 ms, as a gateway sends a call."""
    begun = time.monotonic()
    for n, chunk in enumerate(chunks):
        time.sleep(max(0.0, begun + n * 0.02 - time.monotonic()))
        ws.send_json({"event": "media", "streamSid": "MZs",
                      "media": {"track": "inbound", "payload": base64.b64encode(chunk).decode()}})


def receive_until(ws: WebSocketTestSession, done: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while not done(seen):
        seen.append(ws.receive_json())
    return seen


def level_settings(fake_settings: Settings) -> Settings:
    return fake_settings.model_copy(update={"vad": "level", "endpoint_stop_ms": 300, "endpoint_hold_ms": 300})


def test_without_caller_marks_the_server_ends_the_turn_and_marks_each_piece(fake_settings: Settings):
    settings = level_settings(fake_settings)
    pipeline = make_pipeline(settings)
    key = add_key(settings, "caller")
    with service_client(settings, pipeline) as client, client.websocket_connect("/v1/media") as ws:
        ws.send_json(start("srv-1", key))
        stream(ws, frames(0.8, 0.8))  # no mark: only the server can end this turn
        events = JsonlEventSource(settings.logs_dir)

        def reply_marked(seen: list[dict[str, Any]]) -> bool:
            pieces = [e for e in events.read("srv-1") if isinstance(e, TTSChunk)]
            ended = any(isinstance(e, TurnEnded) for e in events.read("srv-1"))
            return ended and len([m for m in seen if m["event"] == "mark"]) == len(pieces)

        seen = receive_until(ws, reply_marked)
        ws.send_json({"event": "stop", "streamSid": "MZs", "stop": {}})
    names = {e.type for e in events.read("srv-1")}
    assert {"endpoint", "speech_ended"} <= names  # the engine's own decisions, not a gateway's
    pieces = [e for e in events.read("srv-1") if isinstance(e, TTSChunk)]
    marks = [m["mark"]["name"] for m in seen if m["event"] == "mark"]
    assert len(marks) == len(pieces) >= 2 and len(set(marks)) == len(marks)
    # Each mark follows exactly its piece's audio (8 kHz μ-law; the player puts 120 ms between pieces).
    audio_before = audio_bytes_before_marks(seen)
    gaps = [0.0] + [0.12] * (len(pieces) - 1)
    for piece, gap, nbytes in zip(pieces, gaps, audio_before, strict=False):
        assert abs(nbytes / 8000 - piece.audio_s - gap) < 0.01
    pipeline.store.close()
    state = SqliteSessionStore(settings.sessions_dir / "sessions.db").load("srv-1")
    assert state is not None and state.turns == 1 and state.history[0].user == "hello"


def test_speaking_over_the_reply_sends_clear_and_the_next_turn_answers_the_new_words(fake_settings: Settings):
    settings = level_settings(fake_settings)
    pipeline = make_pipeline(settings, stt=FakeSTT(["hello", "what is my balance"]))
    key = add_key(settings, "caller")
    with service_client(settings, pipeline) as client, client.websocket_connect("/v1/media") as ws:
        ws.send_json(start("srv-2", key))
        stream(ws, frames(0.8, 0.6))
        receive_until(ws, lambda seen: any(m["event"] == "media" for m in seen))  # the bot is talking
        stream(ws, frames(1.2, 0.0))  # over it: long enough to be no "uh-huh"
        cleared = receive_until(ws, lambda seen: any(m["event"] == "clear" for m in seen))
        stream(ws, frames(0.0, 0.8))
        ws.send_json({"event": "stop", "streamSid": "MZs", "stop": {}})
        after = []
        try:
            while True:
                after.append(ws.receive_json())
        except Exception:  # closed once every turn has finished
            pass
    assert cleared[-1] == {"event": "clear", "streamSid": "MZs"}
    assert any(m["event"] == "media" for m in after)  # the second answer was spoken
    pipeline.store.close()
    state = SqliteSessionStore(settings.sessions_dir / "sessions.db").load("srv-2")
    assert state is not None and [h.user for h in state.history][-1] == "what is my balance"
    interrupted = [e for e in JsonlEventSource(settings.logs_dir).read("srv-2") if e.type == "interrupted"]
    assert len(interrupted) == 1
