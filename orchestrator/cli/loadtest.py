"""``voicebot load-test``: a bounded load test of a running ``voicebot serve`` (media callers or HTTP turns)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.common import EXIT_FAILED, EXIT_USAGE, err_console, fail, print_json, voicebot_errors

__all__ = ["load_test"]

_TEXTS = ["hello", "what are your opening hours", "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent",
          "yes", "what's the total interest", "goodbye"]


def load_test(
    url: Annotated[str, typer.Option("--url", help="The service, e.g. http://127.0.0.1:8080.")],
    key: Annotated[str, typer.Option("--key", envvar="VOICEBOT_API_KEY", help="A caller key (or VOICEBOT_API_KEY).")],
    mode: Annotated[str, typer.Option("--mode", help="media (WebSocket callers) or http (text turns).")] = "media",
    audio: Annotated[list[Path] | None, typer.Option(
        "--audio", help="media: what each caller says (WAV/FLAC); repeat it for several questions, "
        "said in turn.")] = None,
    callers: Annotated[int, typer.Option("--callers", min=1, max=500, help="Concurrent callers.")] = 20,
    seconds: Annotated[float, typer.Option("--seconds", min=1, max=3600, help="media: how long to call.")] = 60.0,
    turns: Annotated[int, typer.Option("--turns", min=1, max=100_000, help="http: how many turns.")] = 100,
    qa_key: Annotated[
        str | None, typer.Option("--qa-key", help="media: a qa key, to check each session holds every turn sent.")
    ] = None,
    endpointing: Annotated[str, typer.Option(
        "--endpointing", help="media: server (no caller marks: the server's VAD ends each turn) or gateway "
        "(a mark after the words ends it).")] = "server",
    reply_timeout: Annotated[float, typer.Option(
        "--reply-timeout", min=1, max=3600, help="media: how long a caller waits for a reply (a turn slower "
        "than this but kept by its session is 'late', not lost).")] = 300.0,
) -> None:
    """Measure p50/p95 voice-to-voice (media) or turn latency (http) and count lost turns; exit 1 if any is lost.

    media: each caller keeps a phone line open (20 ms μ-law frames in real time: the WAV's
    words, then silence), and times from the true end of speech in the stream to the
    first reply frame; it listens to the whole reply before speaking again. No new turn
    starts after --seconds; the calls end when their last replies are in. A lost turn is
    one with no reply that its session does not hold either (checked with --qa-key).

    Prints one JSON object. Run it on loopback next to the server: the figures include
    the machine's other load.
    """
    from orchestrator.service.loadtest import run_http, run_media

    if mode not in ("media", "http"):
        fail("--mode is media or http", EXIT_USAGE, as_json=True, category="usage")
    if endpointing not in ("server", "gateway"):
        fail("--endpointing is server or gateway", EXIT_USAGE, as_json=True, category="usage")
    if mode == "media" and not audio:
        fail("--mode media needs --audio FILE (a WAV or FLAC of the caller)", EXIT_USAGE, as_json=True,
             category="usage")
    for path in audio or []:
        if not path.is_file():
            fail(f"--audio {path}: no such file", EXIT_USAGE, as_json=True, category="usage")
    err_console.print(f"load test: {mode}, {callers} caller(s) against {url}", highlight=False, markup=False)
    with voicebot_errors(as_json=True):
        if mode == "media":
            result = asyncio.run(run_media(url, key, list(audio or []), callers=callers, seconds=seconds, qa_key=qa_key,
                                           reply_timeout_s=reply_timeout, endpointing=endpointing))
        else:
            result = asyncio.run(run_http(url, key, _TEXTS, turns=turns, concurrency=callers))
    print_json(result.summary())
    if result.lost_turns:
        raise typer.Exit(EXIT_FAILED)
