"""``voicebot turn``: one headless turn from text or a WAV/FLAC file."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from orchestrator.cli.common import (
    EXIT_USAGE,
    fail,
    load_settings,
    print_json,
    voicebot_errors,
)
from orchestrator.cli.turn_live import live_report, play_live
from orchestrator.compliance import MAX_INPUT_CHARS, check_message_length
from orchestrator.fsutil import atomic_write_bytes
from orchestrator.pipeline import TurnResult
from orchestrator.runtime import build_pipeline
from orchestrator.sessions.ids import new_session_id, session_file, validate_session_id
from orchestrator.turnview import TurnView

__all__ = ["turn", "turn_payload"]

_CALL_FIELDS = {"model", "round", "attempt", "ok", "status", "category", "ms", "first_token_ms", "tool_calls"}


def turn_payload(result: TurnResult, audio_path: Path | str | None, backends: dict[str, str]) -> dict[str, Any]:
    """The machine-readable shape of one turn (what ``--json`` prints and the service returns).

    ``audio_path`` is where the reply audio is: a file for the CLI, a URL path for the service.
    """
    view = TurnView.of(result.events)
    reply = view.reply
    llm = {
        "source": reply.source if reply else "",
        "flagged_figures": reply.flagged_figures if reply else [],
        "calls": [call.model_dump(include=_CALL_FIELDS) for call in view.llm_calls],
        "recovered_errors": [{"category": e.category, "message": e.message} for e in view.recovered],
    }
    return {
        "session_id": result.session_id,
        "turn": result.turn,
        "transcript": result.transcript,
        "confidence": result.confidence,
        "user_text": result.user_text,
        "reply": result.reply,
        "intent": result.intent,
        "slots": result.slots,
        "state": result.state,
        "figures": result.figures,
        "timings_ms": result.timings_ms,
        "voice_to_voice_ms": result.voice_to_voice_ms,
        "audio_path": str(audio_path) if audio_path else None,
        "audio_s": round(len(result.audio) / result.sample_rate, 3) if result.sample_rate else 0.0,
        "backends": backends,
        "llm": llm,
    }


def turn(
    text: Annotated[
        str | None, typer.Option("--text", "-t", help="What the caller types; - reads it from standard input.")
    ] = None,
    audio: Annotated[
        Path | None,
        typer.Option("--audio", "-a", help="WAV/FLAC file of what the caller says (any rate, any channels)."),
    ] = None,
    session: Annotated[
        str | None,
        typer.Option("--session", "-s", help="Session id; reuse it to continue a conversation. New if omitted."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the spoken reply here (WAV). Default: under VOICEBOT_HOME/audio."),
    ] = None,
    stt: Annotated[str | None, typer.Option(help="STT backend (overrides VOICEBOT_STT).")] = None,
    tts: Annotated[str | None, typer.Option(help="TTS backend (overrides VOICEBOT_TTS).")] = None,
    llm: Annotated[str | None, typer.Option(help="Dialog backend (overrides VOICEBOT_LLM).")] = None,
    realtime: Annotated[
        bool,
        typer.Option(help="Play --audio in as a live caller (20 ms chunks, real time) through the hands-free "
                          "endpointing; report each turn's endpoint and endpointed voice-to-voice."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run one turn: text or audio in, transcript + reply + spoken WAV out, with per-stage ms."""
    if (text is None) == (audio is None):
        fail("give exactly one of --text or --audio", EXIT_USAGE, as_json=as_json, category="usage")
    if realtime and audio is None:
        fail("--realtime plays an --audio file in as a live caller", EXIT_USAGE, as_json=as_json, category="usage")
    if audio is not None and not audio.is_file():
        fail(f"audio file not found: {audio}", EXIT_USAGE, as_json=as_json, category="usage")
    if out is not None and out.is_dir():
        fail(f"--out {out} is a directory; give a file name such as reply.wav", EXIT_USAGE, as_json=as_json,
             category="usage")
    if text == "-":
        # One character past the limit is enough for the pipeline to refuse an oversized message.
        text = sys.stdin.read(MAX_INPUT_CHARS + 1)
    with voicebot_errors(as_json):
        if text is not None:
            check_message_length(text)  # before any model loads: a huge message is refused at once
    settings = load_settings(as_json=as_json, stt=stt, tts=tts, llm=llm)
    with voicebot_errors(as_json):
        sid = validate_session_id(session) if session is not None else new_session_id()
        pipeline = build_pipeline(settings, warm=realtime)  # live figures are those of a warm process
        live: list[dict[str, Any]] | None = None
        if realtime:
            assert audio is not None
            call, said = asyncio.run(play_live(settings, pipeline, sid, audio))
            live = live_report(call, said)
            result = [t.outcome for t in call.call.turns if isinstance(t.outcome, TurnResult)][-1]
        else:
            result = asyncio.run(pipeline.run_turn(sid, text=text, audio=audio))
        target = out or session_file(settings.audio_dir, sid, f"-turn{result.turn}.wav")
        try:
            atomic_write_bytes(target, result.wav_bytes())
        except OSError as exc:
            fail(f"cannot write the reply audio to {target}: {exc.strerror}", EXIT_USAGE, as_json=as_json,
                 category="usage")
    payload = turn_payload(result, target, pipeline.backends)
    if live is not None:
        payload["realtime"] = live
    if as_json:
        print_json(payload)
        return
    _print_human(payload)


def _print_human(payload: dict[str, Any]) -> None:
    out = Console()
    out.print(f"[bold]session[/] {payload['session_id']}  turn {payload['turn']}")
    if payload["transcript"] is not None:
        out.print(f"[bold cyan]heard[/]   {payload['transcript']}  (confidence {payload['confidence']:.2f})")
    out.print(f"[bold green]reply[/]   {payload['reply']}")
    out.print(f"[bold]intent[/]  {payload['intent']}  slots {payload['slots']}")
    table = Table("stage", "ms", title="timings")
    for stage, ms in payload["timings_ms"].items():
        table.add_row(stage, f"{ms:.1f}")
    if payload["voice_to_voice_ms"] is not None:
        table.add_row("voice_to_voice", f"{payload['voice_to_voice_ms']:.1f}")
    out.print(table)
    out.print(f"[bold]audio[/]   {payload['audio_path']} ({payload['audio_s']} s)")
    for live in payload.get("realtime") or []:
        end = live["endpoint"]
        out.print(f"[bold]live[/]    turn {live['turn']}: endpoint {end['delay_ms']:.0f} ms after speech "
                  f"({end['verdict']}{', speculative transcript' if end['speculative'] else ''}), "
                  f"endpointed voice-to-voice {live['endpointed_voice_to_voice_ms']} ms")
