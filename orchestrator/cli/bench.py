"""``voicebot bench``: speed figures as JSON (targets live here, never in tests)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from orchestrator.bench import run_bench
from orchestrator.cli.common import (
    EXIT_FAILED,
    err_console,
    load_settings,
    print_json,
    voicebot_errors,
)

__all__ = ["bench"]


def bench(
    turns: Annotated[
        int, typer.Option(min=1, max=500, help="Voice turns to run (at least 10 for stable percentiles).")
    ] = 12,
    stt: Annotated[str | None, typer.Option(help="STT backend (overrides VOICEBOT_STT), e.g. whisper-tiny.")] = None,
    tts: Annotated[str | None, typer.Option(help="TTS backend (overrides VOICEBOT_TTS).")] = None,
    llm: Annotated[str | None, typer.Option(help="Dialog backend (overrides VOICEBOT_LLM).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON report.")] = False,
    soak: Annotated[
        int | None,
        typer.Option(min=50, max=100_000, help="Also soak: N text turns, RSS and open-file growth after the first "
                                               "100; exit 1 when RSS grows 5 % or more, or files stay open."),
    ] = None,
) -> None:
    """Run voice turns end to end and report p50/p95 latencies, STT RTF, memory and start-up time.

    Each figure is of turn 2 and later of a conversation (the greeting turn, whose reply
    opens with the cached disclosure, is reported on its own). voice_to_voice_ms runs from
    an explicit end of speech (the clip's end) to the first reply audio;
    endpointed_voice_to_voice_ms plays each clip in real time on an open line and runs from
    its true end of speech, the hands-free stop delay included; interrupt_ms runs from a
    barge-in's speech onset to the playback stop. tts_first_audio_ms shows cached and
    uncached first pieces apart. The caller is Piper; the machine's load is reported too.
    """
    settings = load_settings(as_json=as_json, stt=stt, tts=tts, llm=llm)
    progress = Progress(
        TextColumn("[bold]bench"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    with voicebot_errors(as_json), progress as bar:
        task = bar.add_task("turns", total=4 * turns)  # explicit (as shipped, then uncached), endpointed, barge-in
        report = asyncio.run(
            run_bench(settings, turns, progress=lambda done, _total: bar.update(task, completed=done))
        )
    if soak is not None:
        from orchestrator.soak import run_soak

        soak_bar = Progress(TextColumn("[bold]soak"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=err_console, transient=True, disable=not err_console.is_terminal)
        with voicebot_errors(as_json), soak_bar as bar:
            task = bar.add_task("turns", total=soak)
            report["soak"] = run_soak(settings, soak, progress=lambda done, _total: bar.update(task, completed=done))
    print_json(report)
    if soak is not None and not report["soak"]["passed"]:
        raise typer.Exit(EXIT_FAILED)
