"""A bounded load test of a running ``voicebot serve``: concurrent media-socket callers, or HTTP turns.

Media mode: each caller opens ``/v1/media`` and keeps a phone line open: one
20 ms frame of 8 kHz μ-law every 20 ms, the WAV's words when it speaks and
silence otherwise, as a gateway streams a call. With server endpointing (the
default) no mark is sent, so only the server's endpointing ends the turn;
``endpointing="gateway"`` sends a mark after the words instead. The caller
times the voice-to-voice from the true end of speech in the stream (the last
loud 20 ms of the WAV, found here by level, independently of the server's
VAD) to the first reply frame, then listens to the whole reply (until its
audio has played and nothing came for ``idle_s``) before it speaks again.
It waits for a reply as long as ``reply_timeout_s`` (a slow turn is slow,
not lost). After ``seconds`` no new turn starts; the calls end
once their last replies are in. Every caller's session is then read back
over REST: a turn that got no reply and is not held by its session is lost.

HTTP mode: text turns, ``concurrency`` at a time, timed end to end.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from orchestrator.audio import TARGET_RATE, decode_audio
from orchestrator.service.media import mulaw

__all__ = ["LoadResult", "phone_clip", "run_http", "run_media"]

FRAME_S = 0.02
_SPEECH_DB = 40.0  # a frame within this many dB of the loudest is speech (the clip's end of speech)


@dataclass
class LoadResult:
    """What a load run measured (milliseconds)."""

    mode: str
    callers: int
    seconds: float
    turns_sent: int = 0
    turns_answered: int = 0
    turns_late: int = 0  # no reply audio within the reply timeout, but held by the session
    lost_turns: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    endpointing: str | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures: p50/p95 of the latency, lost turns, errors."""
        lat = np.asarray(self.latencies_ms, dtype=float)
        name = "voice_to_voice" if self.mode == "media" else "turn"
        out: dict[str, Any] = {
            "mode": self.mode, "callers": self.callers, "seconds": self.seconds, "turns_sent": self.turns_sent,
            "turns_answered": self.turns_answered, "turns_late": self.turns_late, "lost_turns": self.lost_turns,
            f"{name}_p50_ms": round(float(np.percentile(lat, 50)), 1) if lat.size else None,
            f"{name}_p95_ms": round(float(np.percentile(lat, 95)), 1) if lat.size else None,
            f"{name}_max_ms": round(float(lat.max()), 1) if lat.size else None,
            "errors": self.errors[:20],
        }
        if self.mode == "media":
            out["endpointing"] = self.endpointing
            out["measures"] = "voice_to_voice: true end of speech in the stream -> first reply media frame"
        return out


def _ws_url(base: str) -> str:
    return base.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/v1/media"


@dataclass(frozen=True)
class PhoneClip:
    """The caller's words as base64 20 ms μ-law frames, and the frame in which its speech ends."""

    frames: list[str]
    speech_end_s: float  # the true end of speech, seconds into the clip

    @property
    def last_speech_frame(self) -> int:
        return max(0, min(len(self.frames) - 1, int(self.speech_end_s / FRAME_S - 1e-9)))


def phone_clip(path: Path) -> PhoneClip:
    """The WAV/FLAC as 8 kHz μ-law frames, with its end of speech (the end of its last loud 20 ms)."""
    decoded = decode_audio(path)
    audio = mulaw.to_phone(decoded.samples, TARGET_RATE)
    step = int(mulaw.PHONE_RATE * FRAME_S)
    frames = [base64.b64encode(audio[i:i + step]).decode("ascii") for i in range(0, len(audio), step)]
    hop = int(TARGET_RATE * FRAME_S)
    usable = len(decoded.samples) // hop * hop
    rms = np.sqrt(np.mean(decoded.samples[:usable].reshape(-1, hop).astype(np.float64) ** 2, axis=1))
    db = 20.0 * np.log10(np.maximum(rms, 1e-9))
    loud = np.flatnonzero(db >= db.max() - _SPEECH_DB) if db.size else np.zeros(0, dtype=int)
    end_s = (int(loud[-1]) + 1) * FRAME_S if loud.size else len(frames) * FRAME_S
    return PhoneClip(frames, end_s)


_SILENCE = base64.b64encode(b"\xff" * int(mulaw.PHONE_RATE * FRAME_S)).decode("ascii")  # μ-law zero


class _Line:
    """One open phone line: frames out every 20 ms (words or silence), the bot's messages in."""

    def __init__(self, ws: Any, sid: str) -> None:
        self.ws = ws
        self.sid = sid
        self._words: deque[tuple[str, bool]] = deque()  # (payload, is the last speech frame)
        self.speech_end_at: asyncio.Future[float] | None = None
        self.first_media = asyncio.Event()
        self.first_at = 0.0
        self.last_message_at = time.monotonic()
        self.reply_s = 0.0
        self.closed = False
        self._replies: set[str] = set()
        self.old_replies: set[str] = set()  # replies (mark tracks) heard before the current utterance ended
        self._piece_at: float | None = None  # first frame of the piece whose mark has not come yet

    def expect_new_reply(self) -> None:
        """From now on only a reply not heard before answers the caller (a late piece of the last one does not)."""
        self.old_replies |= self._replies
        self.first_media.clear()
        self.reply_s = 0.0

    def say(self, clip: PhoneClip) -> asyncio.Future[float]:
        """Queue the clip's frames; the future holds the clock time its end-of-speech frame went out."""
        self.speech_end_at = asyncio.get_running_loop().create_future()
        self.first_media.clear()
        self.reply_s = 0.0
        last = clip.last_speech_frame
        self._words.extend((f, n == last) for n, f in enumerate(clip.frames))
        return self.speech_end_at

    async def pump(self) -> None:
        start, n = time.monotonic(), 0
        while not self.closed:
            await asyncio.sleep(max(0.0, start + n * FRAME_S - time.monotonic()))
            payload, end = self._words.popleft() if self._words else (_SILENCE, False)
            await self.ws.send(json.dumps({"event": "media", "streamSid": self.sid,
                                           "media": {"track": "inbound", "payload": payload}}))
            if end and self.speech_end_at is not None and not self.speech_end_at.done():
                # A frame goes once its 20 ms were "spoken": this one holds the true end of speech (to 20 ms).
                self.speech_end_at.set_result(time.monotonic())
            n += 1

    async def listen(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            self.last_message_at = time.monotonic()
            if message.get("event") == "media":
                if self._piece_at is None:
                    self._piece_at = self.last_message_at
                self.reply_s += len(base64.b64decode(message["media"]["payload"])) / mulaw.PHONE_RATE
            elif message.get("event") == "clear":  # the frames since the last mark were dropped
                self._piece_at = None
            elif message.get("event") == "mark":
                # Marks name their reply (``<reply>-<piece>``, ``~n`` for a resumed one): a new name is a new answer.
                reply = str(message.get("mark", {}).get("name", "")).rsplit("-", 1)[0].split("~")[0]
                self._replies.add(reply)
                if reply not in self.old_replies and not self.first_media.is_set() and self._piece_at is not None:
                    self.first_at = self._piece_at
                    self.first_media.set()
                self._piece_at = None
                await self.ws.send(json.dumps(message))  # echoed at once: the gateway's "played"

    @property
    def words_pending(self) -> bool:
        return bool(self._words)


async def _caller(base: str, key: str, clips: list[PhoneClip], session: str, deadline: float, result: LoadResult,
                  idle_s: float, reply_timeout_s: float, endpointing: str, count: list[int]) -> None:
    """One call; ``count`` keeps [turns sent, turns whose reply audio came back], even if the call fails."""
    import websockets

    async with websockets.connect(_ws_url(base), additional_headers={"Authorization": f"Bearer {key}"},
                                  max_size=None, ping_timeout=None) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await ws.send(json.dumps({"event": "start", "streamSid": session, "start": {
            "streamSid": session, "callSid": session, "tracks": ["inbound"],
            "customParameters": {"session_id": session, "endpointing": endpointing},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))
        line = _Line(ws, session)
        tasks = [asyncio.create_task(line.pump()), asyncio.create_task(line.listen())]
        try:
            while time.monotonic() < deadline:
                spoken = line.say(clips[count[0] % len(clips)])
                end_at = await spoken
                # Audio that came while the caller spoke was the last reply still going: not this turn's answer.
                line.expect_new_reply()
                while line.words_pending:
                    await asyncio.sleep(FRAME_S)
                if endpointing == "gateway":
                    await ws.send(json.dumps({"event": "mark", "streamSid": session,
                                              "mark": {"name": f"caller-{count[0]}"}}))
                count[0] += 1
                result.turns_sent += 1
                try:
                    await asyncio.wait_for(line.first_media.wait(), reply_timeout_s)
                except TimeoutError:
                    result.errors.append(f"{session} turn {count[0]}: no reply audio within {reply_timeout_s:.0f} s")
                    break  # a late reply would be taken for the next turn's: this call ends here
                count[1] += 1
                result.turns_answered += 1
                result.latencies_ms.append(round((line.first_at - end_at) * 1000.0, 1))
                # Listen to the whole reply (the server models its playback in real time) before speaking again.
                while (time.monotonic() - line.last_message_at < idle_s
                       or time.monotonic() < line.first_at + line.reply_s + 0.3):
                    await asyncio.sleep(0.05)
            await ws.send(json.dumps({"event": "stop", "streamSid": session, "stop": {}}))
            line.closed = True
            with contextlib.suppress(Exception):  # the server closes once the call's turns are finished
                await asyncio.wait_for(tasks[1], reply_timeout_s)
        finally:
            line.closed = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _recorded(client: httpx.AsyncClient, key: str, session: str) -> int | None:
    """Completed turns the session holds; None if the server could not say (refused, overloaded, gone)."""
    try:
        answer = await client.get(f"/v1/sessions/{session}", headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError:
        return None
    if answer.status_code == 404:
        return 0
    return len(answer.json().get("history", [])) if answer.status_code == 200 else None


async def run_media(base: str, key: str, audio: Path | list[Path], *, callers: int = 20, seconds: float = 60.0,
                    qa_key: str | None = None, idle_s: float = 2.0, reply_timeout_s: float = 300.0,
                    endpointing: str = "server") -> LoadResult:
    """``callers`` concurrent calls for ``seconds``; lost turns checked against the sessions (needs a qa key).

    With several clips, each caller says them in turn, caller ``n`` starting at clip ``n``, so
    the callers ask different questions at once and hear different replies.
    """
    paths = audio if isinstance(audio, list) else [audio]
    if not paths:
        raise ValueError("run_media needs at least one clip")
    clips = [phone_clip(path) for path in paths]
    result = LoadResult("media", callers, seconds, endpointing=endpointing)
    run = uuid.uuid4().hex[:8]
    sessions = [f"load-{run}-{n}" for n in range(callers)]
    deadline = time.monotonic() + seconds
    counts = [[0, 0] for _ in sessions]
    outcomes = await asyncio.gather(
        *(_caller(base, key, clips[n % len(clips):] + clips[:n % len(clips)], s, deadline, result, idle_s,
                  reply_timeout_s, endpointing, c)
          for n, (s, c) in enumerate(zip(sessions, counts, strict=True))),
        return_exceptions=True,
    )
    result.errors += [f"{s}: {type(o).__name__}: {o}" for s, o in zip(sessions, outcomes, strict=True)
                      if isinstance(o, BaseException)]
    result.lost_turns = result.turns_sent - result.turns_answered
    if qa_key is not None:
        # One at a time, with time to spare: a loaded server finishes the calls' last turns first.
        async with httpx.AsyncClient(base_url=base, timeout=300) as client:
            held = [await _recorded(client, qa_key, s) for s in sessions]
        unknown = sum(h is None for h in held)
        if unknown:
            result.errors.append(f"{unknown} session(s) could not be read back: their turns are unverified")
        lost = late = 0
        for (sent, answered), kept in zip(counts, held, strict=True):
            if kept is None:
                lost += sent - answered
                continue
            lost += max(0, sent - max(answered, kept))  # neither heard back nor kept by its session
            late += max(0, min(sent, kept) - answered)  # kept, but its reply came after the timeout
        result.lost_turns = lost
        result.turns_late = late
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
