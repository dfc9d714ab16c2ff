"""``voicebot replay-session``: redraw a recorded session, or re-run it through today's build and diff."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from orchestrator.cli.common import EXIT_FAILED, load_settings, print_json, voicebot_errors
from orchestrator.replay import TurnDiff, TurnRecord, recorded_turns, rerun
from orchestrator.runtime import build_pipeline

__all__ = ["replay_session"]


def replay_session(
    session_id: Annotated[str, typer.Argument(help="The session to replay.")],
    rerun_inputs: Annotated[
        bool, typer.Option("--rerun", help="Feed the recorded inputs through today's pipeline and diff each stage.")
    ] = False,
    latency_tolerance: Annotated[
        float,
        typer.Option("--latency-tolerance", min=0.0, help="Allowed slow-down of each stage (0.5 = 50%) plus slack."),
    ] = 0.5,
    use_cache: Annotated[
        bool, typer.Option("--cache", help="Let the semantic cache answer re-run turns (by default it is bypassed).")
    ] = False,
    latency_slack_ms: Annotated[
        float, typer.Option("--latency-slack-ms", min=0.0, help="Fixed milliseconds each stage may add on top.")
    ] = 100.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Draw a recorded session turn by turn; with --rerun, exit 1 if any stage changed.

    A re-run bypasses the semantic cache unless --cache is given, so what is compared is what today's
    dialog says, not an answer cached yesterday.
    """
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        records = recorded_turns(settings, session_id)
        if not rerun_inputs:
            _show(records, as_json)
            return
        pipeline = build_pipeline(settings.model_copy(update={"cache": settings.cache and use_cache}), warm=False)
        try:
            fresh, diffs = asyncio.run(rerun(pipeline, records, session_id, tolerance=latency_tolerance,
                                              slack_ms=latency_slack_ms))
        finally:
            pipeline.store.close()
    regressions = [d for d in diffs if d.regression]
    if as_json:
        print_json({"session_id": session_id, "rerun_session_id": fresh, "regressions": len(regressions),
                    "cache": pipeline.cache is not None, "turns": [d.as_dict() for d in diffs]})
    else:
        _show_diffs(session_id, fresh, diffs)
    if regressions:
        raise typer.Exit(EXIT_FAILED)


def _show(records: list[TurnRecord], as_json: bool) -> None:
    if as_json:
        print_json({"turns": [r.as_dict() for r in records]})
        return
    console = Console(highlight=False, soft_wrap=True)
    for r in records:
        timings = ", ".join(f"{k} {v:.0f}" for k, v in r.timings_ms.items()) or "-"
        console.print(f"── turn {r.turn} [{r.input_kind}] ── {timings} ms", markup=False)
        if r.transcript is not None:
            console.print(f"   heard:  {r.transcript}", markup=False)
        if r.user_text is not None and r.input_kind == "text":
            console.print(f"   caller: {r.user_text}", markup=False)
        if r.reply is not None:
            slots = ", ".join(f"{k}={v}" for k, v in r.slots.items()) or "-"
            console.print(f"   intent {r.intent}, state {r.state}, slots {slots}", markup=False)
            console.print(f"   bot:    {r.reply}", markup=False)
        if r.error:
            console.print(f"   error:  {r.error}", markup=False)


def _show_diffs(session_id: str, fresh: str, diffs: list[TurnDiff]) -> None:
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"re-ran {session_id} as {fresh}", markup=False)
    for d in diffs:
        if not d.replayable:
            console.print(f"turn {d.turn}: skipped ({d.note})", markup=False)
        elif not d.differences:
            console.print(f"turn {d.turn}: same" + (f" ({d.note})" if d.note else ""), markup=False)
        else:
            console.print(f"turn {d.turn}: CHANGED", markup=False)
            for diff in d.differences:
                if diff["stage"] == "latency":
                    timing, allowed = diff["timing"], diff["allowed"]
                    line = f"latency {timing}: {diff['before']} -> {diff['after']} ms (allowed {allowed})"
                else:
                    line = f"{diff['stage']}: {diff['before']!r} -> {diff['after']!r}"
                console.print(f"   {line}", markup=False)
    changed = sum(d.regression for d in diffs)
    console.print(f"{changed} of {len(diffs)} turns changed", markup=False)
