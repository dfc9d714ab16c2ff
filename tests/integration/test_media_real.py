"""Phone callers on the media WebSocket with the real models and the server's own endpointing.

The caller's words are spoken by Piper, written as 8 kHz μ-law WAVs and streamed
in real time (20 ms frames, then silence as on an open line) with no caller
marks, so only the server's endpointing (Silero VAD, the turn-completion check,
speculative STT) ends each turn. The bot's μ-law reply is decoded and
transcribed by Whisper; the figure it must hear is the one the loan maths
quoted in the turn. Each turn's voice-to-voice is timed from the true end of
speech in the stream to the first reply frame, and printed.
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orchestrator.audio import resample, trim_silence
from orchestrator.config import Settings
from orchestrator.events import DialogReply, TTSChunk
from orchestrator.eventsource import JsonlEventSource
from orchestrator.service.media import mulaw
from tests.conftest import make_pipeline
from tests.phone_caller import PhoneCaller, mulaw_wav, read_mulaw_wav, speech_end_s
from tests.service_client import add_key, auth, service_client

pytestmark = pytest.mark.models

LOAN = "I'd like to borrow twenty five thousand dollars over five years at six point five percent."
# The server ends the turn in the pause after "Yes." (a complete answer); "That's right." then calls
# that turn off, whether or not its answer had begun, and joins it: the quote must still come, once.
CONFIRM = "Yes.|That's right."
PAUSE_S = 0.9
HOURS = "What are your opening hours?"


def clip(tts: Any, words: str, tmp_path: Path, name: str) -> tuple[bytes, float]:
    """The words as a μ-law 8 kHz WAV's bytes, and where their speech ends in it (s); "|" is a 0.9 s pause."""
    parts = [tts.synthesize(part) for part in words.split("|")]
    gap = np.zeros(int(PAUSE_S * tts.sample_rate), dtype=parts[0].dtype)
    samples = np.concatenate([piece for part in parts for piece in (part, gap)][:-1])
    path = mulaw_wav(tmp_path / f"{name}.wav", samples, tts.sample_rate)
    return read_mulaw_wav(path), speech_end_s(samples, tts.sample_rate)


def settings_for(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path / "home", stt="whisper-base", tts="piper", llm="rules", vad="silero",
                        audio_retention="all", cache=False)
    settings.ensure_dirs()
    return settings


def open_call(ws: Any, session: str) -> PhoneCaller:
    ws.send_json({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    ws.send_json({"event": "start", "streamSid": "MZr", "start": {  # no endpointing parameter: the server's
        "streamSid": "MZr", "callSid": "CAr", "customParameters": {"session_id": session},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
    return PhoneCaller(ws, "MZr")


def answered(settings: Settings, session: str) -> list[int]:
    """The turns that ended with their reply whole (not cut off by the caller going on)."""
    events = list(JsonlEventSource(settings.logs_dir).read(session))
    return [e.turn for e in events if e.type == "turn_ended" and e.ok and not e.cut]


def answer_out(settings: Settings, session: str, count: int) -> Any:
    """Done once ``count`` turns were answered and a mark came back for each piece sent whole."""
    def done(seen: list[dict[str, Any]]) -> bool:
        turns = answered(settings, session)
        if len(turns) < count:
            return False
        events = list(JsonlEventSource(settings.logs_dir).read(session))
        pieces = sum(1 for e in events if isinstance(e, TTSChunk) and e.turn in turns)
        return sum(1 for m in seen if m["event"] == "mark") >= pieces
    return done


def test_a_phone_caller_without_marks_hears_the_quoted_payment_with_a_mark_after_each_piece(real_backends, tmp_path):
    stt, tts, dialog = real_backends
    settings = settings_for(tmp_path)
    pipeline = make_pipeline(settings, stt=stt, tts=tts, dialog=dialog)
    key = add_key(settings, "caller")
    voice_to_voice: list[float] = []
    with service_client(settings, pipeline) as client, client.websocket_connect("/v1/media", headers=auth(key)) as ws:
        caller = open_call(ws, "phone-1")
        for count, words in enumerate([LOAN, CONFIRM], start=1):
            audio, end_s = clip(tts, words, tmp_path, f"turn-{count}")
            spoken_end = caller.say(audio, end_s)
            caller.wait(answer_out(settings, "phone-1", count))
            first = caller.first_media_after(spoken_end)
            assert first is not None
            voice_to_voice.append(round((first - spoken_end) * 1000.0, 1))
            caller.listen_out()  # the whole reply plays before the caller speaks again
        caller.hang_up()
        seen = caller.messages()
    pipeline.store.close()
    events = list(JsonlEventSource(settings.logs_dir).read("phone-1"))
    assert {"endpoint", "speech_ended"} <= {e.type for e in events}  # the server ended the turns
    turns = answered(settings, "phone-1")
    called_off = [e.turn for e in events if e.type == "turn_ended" and e.called_off]
    assert called_off == [2], [(e.turn, e.type) for e in events]  # "Yes." alone, called off
    replies = [e for e in events if isinstance(e, DialogReply) and e.turn in turns]
    assert len(replies) == 2, [(e.turn, e.type) for e in events]
    assert {"yes", "right"} <= set(re.findall(r"[a-z]+", replies[1].user_text.lower())), replies[1].user_text
    payment = replies[1].figures["payment"]
    # A mark after each piece sent whole, each name once; a clear only for a recorded barge-in.
    marks = [m["mark"]["name"] for m in seen if m["event"] == "mark"]
    pieces = [e for e in events if isinstance(e, TTSChunk)]
    assert sum(1 for e in pieces if e.turn in turns) <= len(marks) <= len(pieces)
    assert len(set(marks)) == len(marks)
    clears = sum(1 for m in seen if m["event"] == "clear")
    assert clears == sum(1 for e in events if e.type == "interrupted")
    # The second answer's audio: after the first answer's last mark and after any clear.
    first_marks = sum(1 for e in pieces if e.turn == turns[0])
    starts = [[i for i, m in enumerate(seen) if m["event"] == "mark"][first_marks - 1]]
    starts += [i for i, m in enumerate(seen) if m["event"] == "clear"]
    audio = b"".join(base64.b64decode(m["media"]["payload"]) for m in seen[max(starts):]
                     if m["event"] == "media")
    heard = stt.transcribe(trim_silence(resample(mulaw.decode(audio), mulaw.PHONE_RATE, 16_000))).text
    assert payment in re.sub(r"[,\s]", "", heard), (payment, heard)
    print(f"\nphone call, server endpointing: voice-to-voice per turn (true end of speech -> first reply frame) "
          f"{voice_to_voice} ms; Whisper heard: {heard!r}")


def test_cutting_in_on_the_reply_sends_clear_and_the_next_turn_answers_the_new_question(real_backends, tmp_path):
    stt, tts, dialog = real_backends
    settings = settings_for(tmp_path)
    pipeline = make_pipeline(settings, stt=stt, tts=tts, dialog=dialog)
    key = add_key(settings, "caller")
    loan, loan_end = clip(tts, LOAN, tmp_path, "loan")
    hours, hours_end = clip(tts, HOURS, tmp_path, "hours")
    with service_client(settings, pipeline) as client, client.websocket_connect("/v1/media", headers=auth(key)) as ws:
        caller = open_call(ws, "phone-2")
        spoken_end = caller.say(loan, loan_end)
        caller.wait(lambda seen: any(m["event"] == "media" for m in seen))  # the bot has begun its answer
        first = caller.first_media_after(spoken_end)
        assert first is not None
        time.sleep(max(0.0, first + 1.8 - time.monotonic()))  # well into the reply, past the join window
        cut_at = len(caller.messages())
        caller.say(hours, hours_end)
        caller.wait(lambda seen: any(m["event"] == "clear" for m in seen[cut_at:]))
        cleared_at = next(i for i, m in enumerate(caller.messages()) if m["event"] == "clear")
        caller.wait(lambda seen: any(m["event"] == "media" for m in seen[cleared_at:]))  # the new answer
        caller.listen_out()
        caller.hang_up()
        seen = caller.messages()
    pipeline.store.close()
    assert sum(1 for m in seen if m["event"] == "clear") >= 1
    events = list(JsonlEventSource(settings.logs_dir).read("phone-2"))
    assert [e.type for e in events].count("interrupted") == 1
    replies = [e for e in events if isinstance(e, DialogReply)]
    assert "hours" in replies[-1].user_text.lower(), [r.user_text for r in replies]
    assert len(replies) == 2
