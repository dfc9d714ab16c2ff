"""Run scenarios through the real pipeline, turn by turn, and check every expectation.

``run_scenario`` plays one scenario in a fresh session and calls ``on_turn``
after each turn (the browser renders turns as they finish). ``Pipelines``
builds one pipeline per distinct backend choice, so models load once per
process however many scenarios share them. Its pipelines bypass the semantic
cache unless a scenario expects cache behaviour (a ``cache:`` expectation)
or the run asks for it (``use_cache``): a regression run checks what today's
dialog says, never an answer cached before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.adapters.dialogs import adapter_problem
from orchestrator.audio import encode_wav
from orchestrator.config import Settings
from orchestrator.errors import VoicebotError
from orchestrator.leakscan import has_card
from orchestrator.nlu.spoken import speakable
from orchestrator.pipeline import Pipeline, TurnResult
from orchestrator.scenarios.checks import (
    CheckResult,
    cache_outcome,
    check_apr_disclosed,
    check_expectations,
    check_no_card_numbers,
    has_disclosure,
    is_quote,
)
from orchestrator.scenarios.evaluation import Evaluation
from orchestrator.scenarios.goals import TurnPlan
from orchestrator.scenarios.live import LiveLine, is_live
from orchestrator.scenarios.loader import LoadedScenario, resolve_audio
from orchestrator.scenarios.model import Turn
from orchestrator.scenarios.record import slug
from orchestrator.sessions.ids import session_file
from orchestrator.sessions.lineage import derived_id
from orchestrator.trace import JsonlSink

__all__ = ["Pipelines", "ScenarioRun", "Speaker", "TurnCallback", "TurnRun", "run_scenario", "wants_cache"]


@dataclass
class TurnRun:
    """One played turn: what went in, what came out, and every check."""

    index: int
    input_kind: str  # text, say, audio
    user: str  # what the caller typed or said (the script, not the transcript)
    result: TurnResult | None
    error: str | None
    error_category: str | None
    checks: list[CheckResult]
    wall_ms: float
    input_wav: bytes | None = field(default=None, repr=False)  # the synthetic caller's voice, if spoken

    @property
    def passed(self) -> bool:
        """No check failed (a check that could not run fails nothing)."""
        return not any(c.failed for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (without audio)."""
        r = self.result
        return {
            "index": self.index,
            "input_kind": self.input_kind,
            "user": self.user,
            "transcript": r.transcript if r else None,
            "reply": r.reply if r else None,
            "intent": r.intent if r else None,
            "slots": r.slots if r else None,
            "state": r.state if r else None,
            "figures": r.figures if r else None,
            "timings_ms": r.timings_ms if r else {},
            "voice_to_voice_ms": r.voice_to_voice_ms if r else None,
            "error": self.error,
            "error_category": self.error_category,
            "passed": self.passed,
            "checks": [c.as_dict() for c in self.checks],
        }


@dataclass
class ScenarioRun:
    """One run of one scenario."""

    name: str
    path: str
    session_id: str
    repeat: int
    audio_mode: bool
    turns: list[TurnRun] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)  # scenario-level (the session's log)
    wall_ms: float = 0.0
    setup_error: str | None = None
    goal: dict[str, Any] | None = None  # a goal-driven caller's persona, seed, outcome and lines

    @property
    def passed(self) -> bool:
        """No setup error, every turn and every scenario-level check passed."""
        return self.setup_error is None and all(t.passed for t in self.turns) and not any(c.failed for c in self.checks)

    def failures(self) -> list[str]:
        """Human-readable failed checks, ``turn N: check: detail``."""
        out = [f"setup: {self.setup_error}"] if self.setup_error else []
        for t in self.turns:
            out += [f"turn {t.index + 1}: {c.name}: {c.detail}" for c in t.checks if c.failed]
        out += [f"scenario: {c.name}: {c.detail}" for c in self.checks if c.failed]
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "name": self.name,
            "path": self.path,
            "session_id": self.session_id,
            "repeat": self.repeat,
            "audio_mode": self.audio_mode,
            "passed": self.passed,
            "wall_ms": round(self.wall_ms, 1),
            "setup_error": self.setup_error,
            "failures": self.failures(),
            "turns": [t.as_dict() for t in self.turns],
            "checks": [c.as_dict() for c in self.checks],
            "goal": self.goal,
        }


TurnCallback = Callable[[TurnRun], Awaitable[None]]
# Another synthetic caller for spoken turns: the script in, (what was actually said, WAV bytes) out.
Speaker = Callable[[str], Awaitable[tuple[str, bytes]]]


class Pipelines:
    """One pipeline per backend choice, built on demand from the base settings."""

    def __init__(
        self, base: Settings, builder: Callable[[Settings], Pipeline] | None = None, *, use_cache: bool = False
    ) -> None:
        self.base = base
        self._builder = builder
        self.use_cache = use_cache
        self._built: dict[tuple[tuple[str, str], ...], Pipeline] = {}

    def for_scenario(self, loaded: LoadedScenario) -> Pipeline:
        """The pipeline with this scenario's backends (others from the base settings).

        Raises ``ConfigError`` for a backend that cannot load. The adapter is
        not a build choice here: ``run_scenario`` checks the dialog has it.
        """
        wanted: dict[str, Any] = loaded.scenario.settings.model_dump(exclude_none=True, exclude={"adapter"})
        wanted["cache"] = self.base.cache and (self.use_cache or wants_cache(loaded))
        key = tuple(sorted(wanted.items()))
        if key not in self._built:
            settings = self.base.model_copy(update=wanted)
            if self._builder is not None:
                self._built[key] = self._builder(settings)
            else:
                from orchestrator.runtime import build_pipeline

                self._built[key] = build_pipeline(settings, warm=False)
        return self._built[key]

    def close(self) -> None:
        """Close every store."""
        for pipeline in self._built.values():
            pipeline.store.close()


def wants_cache(loaded: LoadedScenario) -> bool:
    """True when a turn of the scenario expects a cache hit or miss."""
    return any(turn.expect.cache is not None for turn in loaded.scenario.turns)


def _session_id(loaded: LoadedScenario) -> str:
    """``scn-`` (with the hash of the session it was recorded from, if any) and the scenario's name."""
    return derived_id("scn", loaded.scenario.source_session, slug(loaded.scenario.name)[:40])


async def _synthesize(pipeline: Pipeline, text: str) -> bytes:
    """A synthetic caller: the pipeline's TTS speaks ``text``, as a WAV."""
    samples = await asyncio.to_thread(pipeline.tts.synthesize, speakable(text))
    return encode_wav(samples, pipeline.tts.sample_rate)


@dataclass
class _Input:
    kind: str
    user: str
    wav: bytes | None = None
    path: Path | None = None


async def _prepare(
    pipeline: Pipeline, loaded: LoadedScenario, turn: Turn, audio_mode: bool, speaker: Speaker | None
) -> _Input:
    if turn.audio is not None:
        return _Input("audio", turn.reference or turn.audio, path=resolve_audio(loaded, turn.audio))
    text = turn.say if turn.say is not None else turn.user
    assert text is not None
    if turn.say is not None or audio_mode:
        if speaker is not None:
            said, wav = await speaker(text)
            return _Input("say", said, wav=wav)
        return _Input("say", text, wav=await _synthesize(pipeline, text))
    return _Input("text", text)


async def _play(
    pipeline: Pipeline, given: _Input, session_id: str, live: LiveLine | None, turn: Turn
) -> tuple[TurnResult | None, list[CheckResult]]:
    if live is not None:  # a live scenario: on an open line, through the hands-free engine
        if given.path is None and given.wav is None:
            return await live.type(given.user), []
        played = await live.speak(turn, given.path or given.wav or b"")
        return played.result, played.checks
    return await _play_whole(pipeline, given, session_id), []


async def _play_whole(pipeline: Pipeline, given: _Input, session_id: str) -> TurnResult:
    if given.path is not None:
        return await pipeline.run_turn(session_id, audio=given.path)
    if given.wav is not None:
        return await pipeline.run_turn(session_id, audio=given.wav)
    return await pipeline.run_turn(session_id, text=given.user)


async def run_scenario(
    loaded: LoadedScenario,
    pipeline: Pipeline,
    *,
    audio_mode: bool = False,
    repeat: int = 0,
    on_turn: TurnCallback | None = None,
    session_id: str | None = None,
    default_compliance: frozenset[str] | None = None,
    evaluation: Evaluation | None = None,
    speaker: Speaker | None = None,
) -> ScenarioRun:
    """Play every turn in a fresh session and check it; never raises for a failed turn.

    A scenario's ``goal`` plays after its scripted turns, one caller line at a
    time (``evaluation`` gives the seed, the caller and the judge).

    ``on_turn`` is awaited after each turn with its result and checks.
    ``speaker`` voices the spoken turns instead of the pipeline's TTS (a
    persona, perturbed audio); their WER is scored against what it said.
    ``default_compliance`` replaces the all-rules default for a scenario
    that does not list its own; a turn's own ``compliance`` list wins over both.
    """
    scenario = loaded.scenario
    sid = session_id or _session_id(loaded)
    run = ScenarioRun(scenario.name, str(loaded.path), sid, repeat, audio_mode)
    scenario_rules = scenario.compliance_rules(default_compliance)
    wanted_adapter = scenario.settings.adapter
    if wanted_adapter is not None:
        # A scenario written for an adapter runs its session on it, and must not pass on the base model.
        problem = await asyncio.to_thread(adapter_problem, pipeline.dialog, pipeline.settings, wanted_adapter)
        if problem is not None:
            run.setup_error = f"scenario asks for LoRA adapter {wanted_adapter!r}, but {problem}"
            return run
        if getattr(pipeline.dialog, "adapter", None) is None:
            await pipeline.set_adapter(sid, wanted_adapter)
    started = time.perf_counter()
    evaluation = evaluation or Evaluation()
    plan = TurnPlan(scenario, pipeline, seed=evaluation.seed_for(repeat), make_caller=evaluation.make_caller)
    live = LiveLine(pipeline, sid) if is_live(scenario) else None
    try:
        await _turns(loaded, pipeline, run, sid, live, plan, evaluation, audio_mode, scenario_rules, on_turn, speaker)
    finally:
        if live is not None:
            await live.close()
    turn_rules = [scenario_rules if t.compliance is None else set(t.compliance) for t in plan.played]
    if any("no_card_numbers" in r for r in turn_rules):
        run.checks.append(_check_log(pipeline, sid))
    run.checks += plan.outcome_checks(run)
    if scenario.goal is not None and scenario.goal.expect.judge is not None:
        run.checks.append(await evaluation.call_judge(scenario.goal.expect.judge, run.turns))
    run.goal = plan.summary()
    run.wall_ms = (time.perf_counter() - started) * 1e3
    return run


async def _turns(
    loaded: LoadedScenario, pipeline: Pipeline, run: ScenarioRun, sid: str, live: LiveLine | None, plan: TurnPlan,
    evaluation: Evaluation, audio_mode: bool, scenario_rules: frozenset[str], on_turn: TurnCallback | None,
    speaker: Speaker | None,
) -> None:
    answered = disclosed = False
    async for index, turn in plan.turns(run):
        turn_start = time.perf_counter()
        kind = "audio" if turn.audio is not None else "say" if turn.say is not None or audio_mode else "text"
        user = turn.user or turn.say or turn.reference or turn.audio or ""
        result: TurnResult | None = None
        live_checks: list[CheckResult] = []
        error = category = None
        given: _Input | None = None
        rules = scenario_rules if turn.compliance is None else frozenset(turn.compliance)
        try:
            given = await _prepare(pipeline, loaded, turn, audio_mode, speaker)
            kind, user = given.kind, given.user
            result, live_checks = await _play(pipeline, given, sid, live, turn)
            if result is None:
                error, category = "the speech made no turn", "no_turn"
        except VoicebotError as exc:
            error, category = exc.message, exc.category
        except Exception as exc:  # a bug in a backend fails this turn, not the whole suite
            error, category = f"{type(exc).__name__}: {exc}", "internal"
        checks: list[CheckResult] = list(live_checks)
        expect = turn.expect
        if result is None:
            if expect.error is not None:
                checks.append(CheckResult("error", category == expect.error, f"want {expect.error}, got {category}"))
            else:
                checks.append(CheckResult("turn ran", False, f"{category}: {error}"))
        else:
            reference = turn.reference if turn.audio is not None else user
            checks += check_expectations(expect, result, reference=reference, cache_hit=cache_outcome(result))
            if "apr_disclosed" in rules and (apr_check := check_apr_disclosed(result)) is not None:
                checks.append(apr_check)
            if "no_card_numbers" in rules:
                checks.append(check_no_card_numbers(result))
            said = has_disclosure(result.reply)
            if "disclosure_first" in rules and (not answered or (is_quote(result) and not disclosed)):
                # The first answer the caller hears must carry it, so it always precedes any quote.
                ok = said or disclosed
                what = "quoted before the disclosure" if is_quote(result) else "the first reply has no disclosure"
                checks.append(CheckResult("compliance disclosure_first", ok, "" if ok else what))
            answered, disclosed = True, disclosed or said
            checks += await evaluation.turn_checks(
                expect, result, user=user, earlier=run.turns, pipeline=pipeline, audio_mode=audio_mode
            )
        outcome = TurnRun(
            index, kind, user, result, error, category, checks, (time.perf_counter() - turn_start) * 1e3,
            input_wav=given.wav if given is not None else None,
        )
        run.turns.append(outcome)
        if on_turn is not None:
            await on_turn(outcome)


def _log_paths(pipeline: Pipeline, session_id: str) -> list[Path]:
    """The session's JSONL logs: one per JSONL sink of the tracer (the settings' folder if it has none)."""
    sinks = [sink for sink in pipeline.tracer.sinks if isinstance(sink, JsonlSink)]
    if not sinks:
        return [session_file(pipeline.settings.logs_dir, session_id, ".jsonl")]
    return [sink.path_for(session_id) for sink in sinks]


def _check_log(pipeline: Pipeline, session_id: str) -> CheckResult:
    """No card number anywhere in the session's structured log on disk."""
    name = "compliance no_card_numbers (log)"
    paths = [p for p in _log_paths(pipeline, session_id) if p.exists()]
    if not paths:
        return CheckResult(name, True, "no log was written for this session")
    leaks = [p.name for p in paths if has_card(p.read_text(encoding="utf-8", errors="replace"))]
    return CheckResult(name, not leaks, f"card number in {', '.join(leaks)}" if leaks else "")
