"""The media WebSocket: Twilio-shaped messages, μ-law both ways, keys, marks, barge-in and stop, on fake backends.

These calls endpoint at the gateway (``customParameters.endpointing = "gateway"``: a caller mark ends the
turn); the server's own endpointing has its tests in ``test_media_server_endpointing.py``.
"""

from __future__ import annotations

import audioop  # deprecated, but an independent oracle for the codec until Python 3.13
import base64
from typing import Any

import numpy as np
import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from orchestrator.config import Settings
from orchestrator.events import TTSChunk
from orchestrator.eventsource import JsonlEventSource
from orchestrator.service.media import mulaw
from orchestrator.service.media.protocol import ProtocolError, parse_message
from orchestrator.sessions.sqlite import SqliteSessionStore
from tests.conftest import make_pipeline
from tests.phone_caller import audio_bytes_before_marks
from tests.service_client import add_key, auth, service_client


def test_mulaw_encoding_matches_the_g711_reference_for_every_16_bit_sample():
    every = np.arange(-32768, 32768, dtype=np.int16)
    assert mulaw.encode(every) == audioop.lin2ulaw(every.tobytes(), 2)
    codes = bytes(range(256))
    assert (np.round(mulaw.decode(codes) * 32768).astype(np.int16).tobytes()
            == audioop.ulaw2lin(codes, 2))


def test_a_tone_survives_the_phone_round_trip():
    t = np.arange(16_000, dtype=np.float32) / 16_000
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    back = mulaw.from_phone(mulaw.to_phone(tone, 16_000))
    assert abs(len(back) - len(tone)) <= 16
    n = min(len(back), len(tone)) - 200
    assert np.corrcoef(back[100:n], tone[100:n])[0, 1] > 0.99


@pytest.mark.parametrize("text", ["", "[]", '{"event": "media"}', '{"event": "start", "start": 7}', "{nope"])
def test_a_malformed_message_is_a_protocol_error(text):
    with pytest.raises(ProtocolError):
        parse_message(text)


def tone_frames(seconds: float = 1.0) -> list[str]:
    """A caller's audio as base64 μ-law 20 ms frames, the way a gateway sends them."""
    t = np.arange(int(seconds * 8000), dtype=np.float32) / 8000
    audio = mulaw.encode((0.4 * np.sin(2 * np.pi * 300 * t)).astype(np.float32))
    return [base64.b64encode(audio[i:i + 160]).decode() for i in range(0, len(audio), 160)]


def start(session: str, **params: str) -> dict[str, Any]:
    params = {"endpointing": "gateway", **params}
    return {"event": "start", "sequenceNumber": "1", "streamSid": "MZ1",
            "start": {"streamSid": "MZ1", "callSid": "CA1", "tracks": ["inbound"],
                      "customParameters": {"session_id": session, **params},
                      "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}


def say(ws: WebSocketTestSession, seconds: float = 1.0, end: str | None = "caller-eou") -> None:
    for n, payload in enumerate(tone_frames(seconds), start=1):
        ws.send_json({"event": "media", "streamSid": "MZ1",
                      "media": {"track": "inbound", "chunk": str(n), "timestamp": str(20 * n), "payload": payload}})
    if end is not None:
        ws.send_json({"event": "mark", "streamSid": "MZ1", "mark": {"name": end}})


def hear_reply(ws: WebSocketTestSession, pieces: int) -> tuple[bytes, list[str], list[dict[str, Any]]]:
    """Read until ``pieces`` marks came back: the reply's μ-law, the marks, and everything received."""
    audio, marks, seen = b"", [], []
    while len(marks) < pieces:
        message = ws.receive_json()
        seen.append(message)
        if message["event"] == "media":
            audio += base64.b64decode(message["media"]["payload"])
        elif message["event"] == "mark":
            marks.append(message["mark"]["name"])
    return audio, marks, seen


def receive_until_closed(ws: WebSocketTestSession) -> tuple[list[dict[str, Any]], int]:
    """Every message until the server closes the socket, and its close code."""
    seen = []
    try:
        while True:
            seen.append(ws.receive_json())
    except WebSocketDisconnect as closed:
        return seen, closed.code


def test_a_scripted_call_gets_the_reply_as_mulaw_with_a_mark_after_each_piece(fake_settings: Settings):
    pipeline = make_pipeline(fake_settings)
    key = add_key(fake_settings, "caller")
    with service_client(fake_settings, pipeline) as client, client.websocket_connect("/v1/media") as ws:
        ws.send_json({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        ws.send_json(start("ws-1", api_key=key))
        say(ws)
        # The server finishes every queued turn before it closes after stop.
        ws.send_json({"event": "stop", "streamSid": "MZ1", "stop": {"callSid": "CA1"}})
        seen, code = receive_until_closed(ws)
    assert code == 1000 and all(m["streamSid"] == "MZ1" for m in seen)
    marks = [m["mark"]["name"] for m in seen if m["event"] == "mark"]
    spoken = [e for e in JsonlEventSource(fake_settings.logs_dir).read("ws-1") if isinstance(e, TTSChunk)]
    assert marks == [f"reply-1-{e.index}" for e in spoken] and len(marks) >= 2
    # Each mark follows exactly its piece's audio: 8 kHz μ-law, one byte per sample.
    audio_before = audio_bytes_before_marks(seen)
    for piece, nbytes in zip(spoken, audio_before, strict=False):
        assert abs(nbytes / 8000 - piece.audio_s) < 0.01
    state = SqliteSessionStore(fake_settings.sessions_dir / "sessions.db").load("ws-1")
    assert state is not None and state.history[0].input_kind == "audio" and state.history[0].user == "hello"


def test_the_key_may_come_on_the_upgrade_instead_of_in_start(fake_settings: Settings):
    key = add_key(fake_settings, "caller")
    with (service_client(fake_settings, make_pipeline(fake_settings)) as client,
          client.websocket_connect("/v1/media", headers=auth(key)) as ws):
        ws.send_json(start("ws-2"))
        say(ws)
        _audio, marks, _ = hear_reply(ws, 1)
    assert marks == ["reply-1-0"]


@pytest.mark.parametrize("how", ["missing", "wrong", "header"])
def test_a_bad_key_closes_the_socket_with_1008(fake_settings: Settings, how):
    good = add_key(fake_settings, "caller")
    params = {"missing": {}, "wrong": {"api_key": good[:-2] + "xx"}, "header": {}}[how]
    headers = auth("vbk-000000000000-" + "A" * 43) if how == "header" else {}
    with (service_client(fake_settings, make_pipeline(fake_settings)) as client,
          client.websocket_connect("/v1/media", headers=headers) as ws):
        if how != "header":
            ws.send_json(start("ws-3", **params))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1008


def test_speaking_over_the_bot_sends_clear_and_the_next_turn_still_runs(fake_settings: Settings):
    key = add_key(fake_settings, "caller")
    with (service_client(fake_settings, make_pipeline(fake_settings)) as client,
          client.websocket_connect("/v1/media") as ws):
        ws.send_json(start("ws-4", api_key=key))
        say(ws)
        hear_reply(ws, 1)  # the bot is talking: its mark has not come back yet
        say(ws, 0.5)
        seen: list[dict[str, Any]] = []
        while not any(m["event"] == "mark" and m["mark"]["name"].startswith("reply-2-") for m in seen):
            seen.append(ws.receive_json())
        ws.send_json({"event": "stop", "streamSid": "MZ1", "stop": {}})
    assert {"event": "clear", "streamSid": "MZ1"} in seen
    state = SqliteSessionStore(fake_settings.sessions_dir / "sessions.db").load("ws-4")
    assert state is not None and state.turns == 2


def test_words_before_stop_still_make_a_recorded_turn(fake_settings: Settings):
    key = add_key(fake_settings, "caller")
    with (service_client(fake_settings, make_pipeline(fake_settings)) as client,
          client.websocket_connect("/v1/media") as ws):
        ws.send_json(start("ws-5", api_key=key))
        say(ws, end=None)
        ws.send_json({"event": "stop", "streamSid": "MZ1", "stop": {}})
        _seen, code = receive_until_closed(ws)
    assert code == 1000
    state = SqliteSessionStore(fake_settings.sessions_dir / "sessions.db").load("ws-5")
    assert state is not None and state.turns == 1


@pytest.mark.parametrize(("first", "code"), [
    ({"event": "media", "media": {"payload": "AAAA"}}, 1007),
    ({**start("ws-6"), "start": {**start("ws-6")["start"], "mediaFormat": {"encoding": "audio/l16",
                                                                            "sampleRate": 16000}}}, 1003),
    (start("../etc"), 1007),
    (start("ws-7", endpointing="sometimes"), 1007),
])
def test_out_of_order_or_unsupported_streams_are_closed_with_a_reason(fake_settings: Settings, first, code):
    key = add_key(fake_settings, "caller")
    with (service_client(fake_settings, make_pipeline(fake_settings)) as client,
          client.websocket_connect("/v1/media", headers=auth(key)) as ws):
        ws.send_json(first)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == code
