"""A scripted caller on the media WebSocket with the real models: Whisper hears the quoted payment in the reply.

The caller's words are spoken by Piper, sent as 8 kHz μ-law in real time
(20 ms frames), and end with a gateway mark (the socket's explicit
endpointing). The bot's μ-law reply is decoded and transcribed by Whisper;
the figure it must hear is the one the loan maths quoted in the turn.
"""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import numpy as np
import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from orchestrator.audio import resample, trim_silence
from orchestrator.config import Settings
from orchestrator.events import DialogReply, TTSChunk
from orchestrator.eventsource import JsonlEventSource
from orchestrator.service.media import mulaw
from tests.conftest import make_pipeline
from tests.service_client import add_key, auth, service_client

pytestmark = pytest.mark.models

CALLER = ["I'd like to borrow twenty five thousand dollars over five years at six point five percent.",
          "Yes, that's right."]


def stream_utterance(ws: WebSocketTestSession, samples: np.ndarray, rate: int, name: str) -> float:
    """Send the speech as a phone line would, one 20 ms frame every 20 ms; returns when the mark went."""
    audio = mulaw.to_phone(np.concatenate([np.zeros(rate // 4, np.float32), samples]), rate)
    start = time.monotonic()
    for n, offset in enumerate(range(0, len(audio), 160)):
        time.sleep(max(0.0, start + n * 0.02 - time.monotonic()))
        ws.send_json({"event": "media", "streamSid": "MZr",
                      "media": {"track": "inbound", "payload": base64.b64encode(audio[offset:offset + 160]).decode()}})
    ws.send_json({"event": "mark", "streamSid": "MZr", "mark": {"name": name}})
    return time.perf_counter()


def test_a_phone_caller_hears_the_quoted_payment_with_a_mark_after_each_piece(real_backends, tmp_path):
    stt, tts, dialog = real_backends
    settings = Settings(home=tmp_path / "home", stt="whisper-base", tts="piper", llm="rules",
                        audio_retention="all", cache=False)
    settings.ensure_dirs()
    pipeline = make_pipeline(settings, stt=stt, tts=tts, dialog=dialog)
    key = add_key(settings, "caller")
    seen: list[dict[str, Any]] = []
    first_audio_ms: list[float] = []
    with service_client(settings, pipeline) as client, client.websocket_connect("/v1/media", headers=auth(key)) as ws:
        ws.send_json({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        ws.send_json({"event": "start", "streamSid": "MZr", "start": {
            "streamSid": "MZr", "callSid": "CAr", "customParameters": {"session_id": "phone-1"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
        for turn, words in enumerate(CALLER, start=1):
            ended = stream_utterance(ws, tts.synthesize(words), tts.sample_rate, f"caller-{turn}")
            spoken = 0
            while True:  # until this turn's last piece: its TTS chunks say how many there are
                message = ws.receive_json()
                seen.append(message)
                if message["event"] == "media" and len(first_audio_ms) < turn:
                    first_audio_ms.append(round((time.perf_counter() - ended) * 1000.0, 1))
                if message["event"] == "mark":
                    ws.send_json(message)  # played
                    spoken += 1
                    chunks = [e for e in JsonlEventSource(settings.logs_dir).read("phone-1")
                              if isinstance(e, TTSChunk) and e.turn == turn]
                    ended_turn = any(e.type == "turn_ended" and e.turn == turn
                                     for e in JsonlEventSource(settings.logs_dir).read("phone-1"))
                    if ended_turn and spoken == len(chunks):
                        break
        ws.send_json({"event": "stop", "streamSid": "MZr", "stop": {}})
        try:
            while True:
                seen.append(ws.receive_json())
        except WebSocketDisconnect:
            pass
    pipeline.store.close()
    events = list(JsonlEventSource(settings.logs_dir).read("phone-1"))
    replies = [e for e in events if isinstance(e, DialogReply)]
    assert [r.turn for r in replies] == [1, 2], [r.text for r in replies]
    payment = replies[1].figures["payment"]
    marks = [m["mark"]["name"] for m in seen if m["event"] == "mark"]
    pieces_2 = [e for e in events if isinstance(e, TTSChunk) and e.turn == 2]
    assert [m for m in marks if m.startswith("reply-2-")] == [f"reply-2-{e.index}" for e in pieces_2]
    # The reply audio of turn 2, as the caller's phone got it: every media frame after turn 1's last mark.
    last_of_turn_1 = max(i for i, m in enumerate(seen) if m["event"] == "mark" and m["mark"]["name"].startswith(
        "reply-1-"))
    audio = b"".join(base64.b64decode(m["media"]["payload"]) for m in seen[last_of_turn_1:] if m["event"] == "media")
    heard = stt.transcribe(trim_silence(resample(mulaw.decode(audio), mulaw.PHONE_RATE, 16_000))).text
    assert payment in re.sub(r"[,\s]", "", heard), (payment, heard)
    print(f"\nphone call: voice-to-voice per turn (end of utterance to first reply audio) {first_audio_ms} ms; "
          f"Whisper heard: {heard!r}")
