"""``voicebot turn --audio FILE --realtime``: the file played in as a live caller, through the same endpointing.

The file is decoded, then fed in real time in 20 ms chunks to the real-time engine
(Silero VAD, the turn-completion check, speculative STT), followed by silence as on
an open line; every turn the engine ends is answered. Each turn reports its
endpoint and its endpointed voice-to-voice: from the end of speech the detector
found to the first reply audio going out, the stop delay included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator import audio as audio_mod
from orchestrator.config import Settings
from orchestrator.errors import SilentAudioError
from orchestrator.pipeline import Pipeline, TurnResult
from orchestrator.realtime.call import LiveTurn
from orchestrator.realtime.headless import HeadlessCall, Said
from orchestrator.runtime import load_vad

__all__ = ["live_report", "play_live"]


async def play_live(settings: Settings, pipeline: Pipeline, session_id: str, path: Path) -> tuple[HeadlessCall, Said]:
    """Feed the file through a live call; returns the call, with every turn it made answered."""
    decoded = audio_mod.decode_audio(path, max_seconds=settings.max_audio_seconds, max_bytes=settings.max_audio_bytes)
    call = HeadlessCall(pipeline, session_id, load_vad(settings))
    said = await call.say(decoded.samples)
    await call.close()
    if not any(isinstance(t.outcome, TurnResult) for t in call.call.turns):
        raise SilentAudioError("no turn was heard in the file: no speech, or only noise (see the session's log)")
    return call, said


def live_report(call: HeadlessCall, said: Said) -> list[dict[str, Any]]:
    """Per turn: what was heard, the endpoint, the endpointed voice-to-voice, and whether the caller cut it."""
    return [_turn(call, said, live) for live in call.call.turns]


def _turn(call: HeadlessCall, said: Said, live: LiveTurn) -> dict[str, Any]:
    u = live.utterance
    speech_end = said.feed.at(u.end_ms / 1000.0)
    first = call.out.first_sent_after(u.endpoint_at, live.track)
    result = live.outcome if isinstance(live.outcome, TurnResult) else None
    return {
        "turn": result.turn if result else None,
        "heard": result.transcript if result else None,
        "speech_s": [round(u.start_ms / 1000.0, 3), round(u.end_ms / 1000.0, 3)],
        "endpoint": {"delay_ms": u.delay_ms, "verdict": u.verdict, "speculative": u.speculative},
        "endpointed_voice_to_voice_ms": round((first - speech_end) * 1000.0, 1) if first is not None else None,
        "outcome": "answered" if result else str(live.outcome),
        "cut": {"heard_ms": live.cut.ms, "heard_text": live.cut.text} if live.cut else None,
    }
