"""A bounded load test of a running ``voicebot serve``: concurrent media-socket callers, or HTTP turns.

Media mode: each caller opens ``/v1/media``, streams a WAV as 8 kHz μ-law in
real time (20 ms frames), ends the utterance with a mark, and times the
voice-to-voice (end of utterance to the first reply audio back). A reply is
over once no message came for ``idle_s``; a turn with no reply audio within
``reply_timeout_s`` is lost. At the end every caller's session is read back
over REST: a turn the caller sent but the session does not hold is lost too.

HTTP mode: text turns, ``concurrency`` at a time, timed end to end.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from orchestrator.audio import TARGET_RATE, decode_audio
from orchestrator.service.media import mulaw

__all__ = ["LoadResult", "run_http", "run_media"]

FRAME_S = 0.02


@dataclass
class LoadResult:
    """What a load run measured (milliseconds)."""

    mode: str
    callers: int
    seconds: float
    turns_sent: int = 0
    turns_answered: int = 0
    lost_turns: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures: p50/p95 of the latency, lost turns, errors."""
        lat = np.asarray(self.latencies_ms, dtype=float)
        name = "voice_to_voice" if self.mode == "media" else "turn"
        return {
            "mode": self.mode, "callers": self.callers, "seconds": self.seconds, "turns_sent": self.turns_sent,
            "turns_answered": self.turns_answered, "lost_turns": self.lost_turns,
            f"{name}_p50_ms": round(float(np.percentile(lat, 50)), 1) if lat.size else None,
            f"{name}_p95_ms": round(float(np.percentile(lat, 95)), 1) if lat.size else None,
            f"{name}_max_ms": round(float(lat.max()), 1) if lat.size else None,
            "errors": self.errors[:20],
        }


def _ws_url(base: str) -> str:
    return base.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/v1/media"


def phone_frames(path: Path) -> list[str]:
    """The WAV/FLAC as base64 20 ms frames of 8 kHz μ-law."""
    decoded = decode_audio(path)
    audio = mulaw.to_phone(decoded.samples, TARGET_RATE)
    step = int(mulaw.PHONE_RATE * FRAME_S)
    return [base64.b64encode(audio[i:i + step]).decode("ascii") for i in range(0, len(audio), step)]


async def _caller(base: str, key: str, frames: list[str], session: str, deadline: float, result: LoadResult,
                  idle_s: float, reply_timeout_s: float) -> int:
    import websockets

    sent = 0
    async with websockets.connect(_ws_url(base), additional_headers={"Authorization": f"Bearer {key}"},
                                  max_size=None) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await ws.send(json.dumps({"event": "start", "streamSid": session, "start": {
            "streamSid": session, "callSid": session, "tracks": ["inbound"],
            "customParameters": {"session_id": session},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))
        while time.monotonic() < deadline:
            start = time.monotonic()
            for n, payload in enumerate(frames):  # paced as a phone line: one frame per 20 ms
                await asyncio.sleep(max(0.0, start + n * FRAME_S - time.monotonic()))
                await ws.send(json.dumps({"event": "media", "streamSid": session,
                                          "media": {"track": "inbound", "payload": payload}}))
            await ws.send(json.dumps({"event": "mark", "streamSid": session, "mark": {"name": f"caller-{sent}"}}))
            ended, first = time.perf_counter(), None
            sent += 1
            result.turns_sent += 1
            while True:
                wait = idle_s if first is not None else reply_timeout_s
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), wait))
                except TimeoutError:
                    break
                if message.get("event") == "media" and first is None:
                    first = time.perf_counter()
                    result.latencies_ms.append(round((first - ended) * 1000.0, 1))
                elif message.get("event") == "mark":  # played at once: this caller does not wait to listen
                    await ws.send(json.dumps(message))
            if first is None:
                result.errors.append(f"{session} turn {sent}: no reply audio within {reply_timeout_s} s")
            else:
                result.turns_answered += 1
        await ws.send(json.dumps({"event": "stop", "streamSid": session, "stop": {}}))
    return sent


async def _recorded(client: httpx.AsyncClient, key: str, session: str) -> int | None:
    """Completed turns the session holds; None if the server could not say (overloaded, gone)."""
    try:
        answer = await client.get(f"/v1/sessions/{session}", headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError:
        return None
    return len(answer.json().get("history", [])) if answer.status_code == 200 else 0


async def run_media(base: str, key: str, audio: Path, *, callers: int = 20, seconds: float = 60.0,
                    qa_key: str | None = None, idle_s: float = 0.8, reply_timeout_s: float = 60.0) -> LoadResult:
    """``callers`` concurrent calls for ``seconds``; lost turns checked against the sessions (needs a qa key)."""
    frames = phone_frames(audio)
    result = LoadResult("media", callers, seconds)
    run = uuid.uuid4().hex[:8]
    sessions = [f"load-{run}-{n}" for n in range(callers)]
    deadline = time.monotonic() + seconds
    outcomes = await asyncio.gather(
        *(_caller(base, key, frames, s, deadline, result, idle_s, reply_timeout_s) for s in sessions),
        return_exceptions=True,
    )
    sent = [o if isinstance(o, int) else 0 for o in outcomes]
    result.errors += [f"{s}: {type(o).__name__}: {o}" for s, o in zip(sessions, outcomes, strict=True)
                      if isinstance(o, BaseException)]
    result.lost_turns = result.turns_sent - result.turns_answered
    if qa_key is not None:
        await asyncio.sleep(1.0)  # the last turns finish after their audio went out
        # One at a time, with time to spare: a loaded server finishes the calls' last turns first.
        async with httpx.AsyncClient(base_url=base, timeout=300) as client:
            held = [await _recorded(client, qa_key, s) for s in sessions]
        unknown = sum(h is None for h in held)
        if unknown:
            result.errors.append(f"{unknown} session(s) could not be read back: their turns are unverified")
        missing = sum(max(0, n - h) for n, h in zip(sent, held, strict=True) if h is not None)
        result.lost_turns = max(result.lost_turns, missing)
        if missing:
            result.errors.append(f"{missing} turn(s) sent but not held by their session")
    return result


async def run_http(base: str, key: str, texts: list[str], *, turns: int = 50, concurrency: int = 1) -> LoadResult:
    """``turns`` text turns over REST, ``concurrency`` sessions at a time, each latency end to end."""
    result = LoadResult("http", concurrency, 0.0)
    run = uuid.uuid4().hex[:8]
    started = time.monotonic()

    async def session(index: int, count: int, client: httpx.AsyncClient) -> None:
        for n in range(count):
            t0 = time.perf_counter()
            answer = await client.post(f"/v1/sessions/http-{run}-{index}/turns", json={"text": texts[n % len(texts)]},
                                       headers={"Authorization": f"Bearer {key}"})
            result.turns_sent += 1
            if answer.status_code == 200:
                result.turns_answered += 1
                result.latencies_ms.append(round((time.perf_counter() - t0) * 1000.0, 1))
            else:
                result.errors.append(f"{answer.status_code}: {answer.text[:120]}")

    share = [turns // concurrency + (1 if i < turns % concurrency else 0) for i in range(concurrency)]
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        await asyncio.gather(*(session(i, n, client) for i, n in enumerate(share)))
    result.seconds = round(time.monotonic() - started, 1)
    result.lost_turns = result.turns_sent - result.turns_answered
    return result
