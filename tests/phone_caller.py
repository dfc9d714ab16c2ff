"""A scripted phone caller on the media WebSocket: a μ-law 8 kHz WAV streamed in real time, with no marks.

Like a telephony gateway, the caller keeps the line open: a sender thread sends
one 20 ms ``media`` frame every 20 ms (the WAV's words while it speaks, silence
otherwise), and a receiver thread keeps every message from the bot with the
clock time it came, echoing each ``mark`` as the gateway does once audio has
played. The WAV is written by libsndfile (``soundfile``, subtype ``ULAW``) and
its μ-law bytes are sent as they are in the file, so the server's codec is not
its own oracle.
"""

from __future__ import annotations

import base64
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from starlette.testclient import WebSocketTestSession

__all__ = ["PhoneCaller", "audio_bytes_before_marks", "mulaw_wav", "read_mulaw_wav", "speech_end_s"]

FRAME = 160  # 20 ms of 8 kHz μ-law
_SILENCE = b"\xff" * FRAME


def audio_bytes_before_marks(messages: list[dict[str, Any]]) -> list[int]:
    """Bytes of bot audio (8 kHz mu-law, one per sample) sent before each mark, and after the last one."""
    counts = [0]
    for message in messages:
        if message["event"] == "media":
            counts[-1] += len(base64.b64decode(message["media"]["payload"]))
        elif message["event"] == "mark":
            counts.append(0)
    return counts


def mulaw_wav(path: Path, samples: np.ndarray, rate: int, lead_s: float = 0.25) -> Path:
    """Write ``samples`` (float32 at ``rate``) as an 8 kHz μ-law WAV, after ``lead_s`` of silence."""
    from orchestrator.audio import resample

    phone = resample(np.concatenate([np.zeros(int(rate * lead_s), np.float32), samples]), rate, 8000)
    sf.write(path, phone, 8000, subtype="ULAW", format="WAV")
    return path


def read_mulaw_wav(path: Path) -> bytes:
    """The μ-law bytes of a WAV whose format tag is 7 (G.711 μ-law), 8 kHz mono."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV"
    offset, fmt, payload = 12, None, None
    while offset + 8 <= len(data):
        chunk, size = data[offset:offset + 4], struct.unpack("<I", data[offset + 4:offset + 8])[0]
        body = data[offset + 8:offset + 8 + size]
        if chunk == b"fmt ":
            fmt = struct.unpack("<HHI", body[:8])
        elif chunk == b"data":
            payload = body
        offset += 8 + size + (size & 1)
    assert fmt == (7, 1, 8000), f"not 8 kHz mono μ-law: {fmt}"
    assert payload is not None
    return payload


def speech_end_s(samples: np.ndarray, rate: int, lead_s: float = 0.25, floor: float = 0.01) -> float:
    """Where the speech really ends in the streamed WAV: its last sample above ``floor``, plus the lead."""
    loud = np.flatnonzero(np.abs(samples) > floor)
    return lead_s + (int(loud[-1]) + 1) / rate


class PhoneCaller:
    """One open line: frames out in real time, the bot's messages in, timed."""

    def __init__(self, ws: WebSocketTestSession, stream_sid: str) -> None:
        self.ws = ws
        self.sid = stream_sid
        self.received: list[tuple[float, dict[str, Any]]] = []
        self._words: deque[bytes] = deque()
        self._marked: dict[int, float] = {}  # frame number -> clock time it went
        self._sent = 0
        self._lock = threading.Lock()
        self._open = True
        self.closed_code: int | None = None
        self._sender = threading.Thread(target=self._send_frames, daemon=True)
        self._receiver = threading.Thread(target=self._receive, daemon=True)
        self._sender.start()
        self._receiver.start()

    def say(self, mulaw: bytes, end_s: float) -> float:
        """Speak ``mulaw`` (then silence); returns once the frame holding the end of speech (``end_s``) went,
        with the clock time it went (its 20 ms had been "spoken")."""
        with self._lock:
            first = self._sent + len(self._words)
            chunks = [mulaw[i:i + FRAME] for i in range(0, len(mulaw), FRAME)]
            self._words.extend(chunks)
            end_frame = first + min(len(chunks) - 1, int(end_s * 8000) // FRAME)
        while end_frame not in self._marked:
            time.sleep(0.005)
        return self._marked[end_frame]

    def wait(self, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 180.0) -> list[dict[str, Any]]:
        """Block until ``done(messages so far)``; returns the messages."""
        limit = time.monotonic() + timeout_s
        while time.monotonic() < limit:
            messages = self.messages()
            if done(messages):
                return messages
            if self.closed_code is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"the bot did not do what was awaited in {timeout_s} s: {self.messages()[-3:]}")

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [m for _t, m in self.received]

    def first_media_after(self, at: float) -> float | None:
        with self._lock:
            return next((t for t, m in self.received if t >= at and m["event"] == "media"), None)

    def listen_out(self, margin_s: float = 0.5) -> None:
        """Stay on the line until the reply audio received so far has played (8000 bytes a second)."""
        with self._lock:
            media = [(t, len(base64.b64decode(m["media"]["payload"]))) for t, m in self.received
                     if m["event"] == "media"]
        if media:
            start = media[0][0]
            until = start + sum(n for _t, n in media) / 8000
            time.sleep(max(0.0, until - time.monotonic()) + margin_s)

    def hang_up(self, timeout_s: float = 180.0) -> None:
        """Send ``stop`` and wait until the server closes the call (after its last turn)."""
        self._open = False
        self._sender.join(5)
        self.ws.send_json({"event": "stop", "streamSid": self.sid, "stop": {}})
        self._receiver.join(timeout_s)

    def _send_frames(self) -> None:
        begun, n = time.monotonic(), 0
        while self._open:
            time.sleep(max(0.0, begun + (n + 1) * 0.02 - time.monotonic()))
            with self._lock:
                chunk = self._words.popleft() if self._words else _SILENCE
            self.ws.send_json({"event": "media", "streamSid": self.sid,
                               "media": {"track": "inbound", "payload": base64.b64encode(chunk).decode()}})
            with self._lock:
                self._marked[n] = time.monotonic()
                self._sent = n + 1
            n += 1

    def _receive(self) -> None:
        from starlette.websockets import WebSocketDisconnect

        try:
            while True:
                message = self.ws.receive_json()
                with self._lock:
                    self.received.append((time.monotonic(), message))
                if message["event"] == "mark" and self._open:
                    self.ws.send_json(message)
        except WebSocketDisconnect as closed:
            self.closed_code = closed.code
