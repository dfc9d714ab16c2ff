"""What a scenario run checks beyond a turn's own expectations, and with which helpers.

An ``Evaluation`` holds the run's seed (for the goal callers), the judge (the
configured LLM, or none), how to make a goal's caller (seeded rules, or the
LLM) and who listens to the bot's voice for the spoken check. ``turn_checks``
runs the tool-call, figure, spoken and judge expectations of one turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from orchestrator.config import Settings
from orchestrator.errors import ConfigError
from orchestrator.pipeline import Pipeline, TurnResult
from orchestrator.scenarios.caller import RulesCaller
from orchestrator.scenarios.checks import CheckResult
from orchestrator.scenarios.deep_checks import check_figures_consistent, check_tool_calls
from orchestrator.scenarios.goals import CallerFactory
from orchestrator.scenarios.judge import Judge, not_run, transcript_text
from orchestrator.scenarios.model import Expect
from orchestrator.scenarios.spoken import check_spoken
from orchestrator.stt.base import STT

__all__ = ["Evaluation", "PlayedTurn"]

CallerKind = Literal["rules", "llm"]


class PlayedTurn(Protocol):
    """A turn already played (a ``TurnRun``), as the transcript needs it."""

    @property
    def user(self) -> str: ...
    @property
    def result(self) -> TurnResult | None: ...
    @property
    def error_category(self) -> str | None: ...


def _lines(earlier: Sequence[PlayedTurn], user: str, result: TurnResult | None) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for said, reply in [*((t.user, t.result) for t in earlier), (user, result)]:
        lines.append(("caller", said))
        lines.append(("bot", reply.reply if reply is not None else "(no answer)"))
    return lines


@dataclass
class Evaluation:
    """The run-wide helpers of the deeper checks (all optional: the defaults run offline)."""

    seed: int = 0
    judge: Judge | None = None
    make_caller: CallerFactory | None = None
    listener: STT | None = None  # hears the reply audio (default: the pipeline's own STT)

    @classmethod
    def from_settings(cls, settings: Settings, *, seed: int = 0, caller: CallerKind = "rules") -> Evaluation:
        """The judge and the LLM caller on the configured LLM when there is one; raises ``ConfigError``."""
        from orchestrator.llm.backends import LLM_BACKENDS, chat_client
        from orchestrator.scenarios.llm_caller import LLMCaller

        if settings.llm not in LLM_BACKENDS:
            if caller == "llm":
                raise ConfigError("--caller llm needs an LLM: set VOICEBOT_LLM to mistral or openai")
            return cls(seed=seed)
        client, model = chat_client(settings)
        judge = Judge(client, model, settings.home / "judge")
        if caller == "llm":
            return cls(seed=seed, judge=judge, make_caller=lambda goal, _seed: LLMCaller(goal, client, model))
        return cls(seed=seed, judge=judge, make_caller=lambda goal, s: RulesCaller(goal, s))

    def seed_for(self, repeat: int) -> int:
        """Repeat ``n`` of a run plays seed ``seed + n``: ``--repeat 5`` is five seeds."""
        return self.seed + repeat

    async def judge_check(self, name: str, rubric: str, lines: list[tuple[str, str]]) -> CheckResult:
        """The verdict on ``lines`` (not run without an LLM)."""
        if self.judge is None:
            return not_run(name)
        return await asyncio.to_thread(self.judge.judge, name, rubric, transcript_text(lines))

    async def turn_checks(
        self,
        expect: Expect,
        result: TurnResult,
        *,
        user: str,
        earlier: Sequence[PlayedTurn],
        pipeline: Pipeline,
        audio_mode: bool,
    ) -> list[CheckResult]:
        """Tool calls, figures, what was heard, and the judge's verdict for one turn that ran."""
        checks = check_tool_calls(expect, result)
        if expect.figures_consistent:
            previous = [t.result for t in earlier if t.result is not None]
            checks.append(check_figures_consistent(result, previous))
        listener = self.listener or pipeline.stt
        real_speech = pipeline.tts.name != "fake" and listener.name != "fake"
        if expect.spoken.figures if expect.spoken is not None else audio_mode and real_speech:
            checks.append(await check_spoken(result, listener))
        if expect.judge is not None:
            checks.append(await self.judge_check("judge", expect.judge, _lines(earlier, user, result)))
        return checks

    async def call_judge(self, rubric: str, played: Sequence[PlayedTurn]) -> CheckResult:
        """The verdict on a whole call (a goal's ``expect.judge``)."""
        if not played:
            return CheckResult("goal judge", False, "nothing was played")
        last = played[-1]
        return await self.judge_check("goal judge", rubric, _lines(played[:-1], last.user, last.result))
