"""The turns a scenario plays: its scripted turns, then a goal-driven caller's until the goal settles.

``TurnPlan.turns`` yields scripted turns as written, then asks the caller
(seeded rules, or the LLM) for one line at a time, each after the bot's last
reply. The call ends when the bot quotes the caller's figures (``reached``),
hands the caller to a person (``handoff``), the caller gives up
(``gave_up``), ``max_turns`` runs out, or an LLM caller fails
(``caller_failed``). ``outcome_checks`` then checks the outcome, the quoted
figures against :mod:`orchestrator.domain` (computed here, not by the
dialog), the number of caller turns and handoffs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from typing import Any, Protocol

from orchestrator.domain.loans import (
    apr_for_level_payments,
    final_payment,
    finance_charge,
    monthly_payment,
    total_of_payments,
)
from orchestrator.llm.chat import LLMError
from orchestrator.pipeline import Pipeline, TurnResult
from orchestrator.scenarios.caller import GOAL_SLOTS, Caller, CallerLine, Observation, RulesCaller, held_values
from orchestrator.scenarios.checks import CheckResult
from orchestrator.scenarios.model import Expect, Goal, Scenario, Turn

__all__ = ["RunView", "TurnPlan", "domain_figures", "goal_reached"]


class _TurnView(Protocol):
    @property
    def index(self) -> int: ...
    @property
    def result(self) -> TurnResult | None: ...
    @property
    def error(self) -> str | None: ...


class RunView(Protocol):
    """What the plan reads of the run so far (a ``ScenarioRun``)."""

    @property
    def session_id(self) -> str: ...
    @property
    def turns(self) -> Sequence[_TurnView]: ...


CallerFactory = Callable[[Goal, int], Caller]


def domain_figures(principal: Decimal, rate: Decimal, months: int) -> dict[str, Decimal]:
    """The quote's figures from the domain's own functions."""
    payment = monthly_payment(principal, rate, months)
    last = final_payment(principal, rate, months)
    return {
        "payment": payment,
        "final_payment": last,
        "apr": apr_for_level_payments(principal, payment, months, last),
        "total": total_of_payments(principal, rate, months),
        "total_interest": finance_charge(principal, rate, months),
    }


def goal_reached(goal: Goal, slots: dict[str, Any], figures: dict[str, str]) -> bool:
    """The bot quoted (a payment) for the caller's values, or the values it said it would settle for."""
    if "payment" not in figures:
        return False
    held = held_values(slots)
    wanted = goal.wanted()
    return all(held.get(s) in (wanted[s], goal.fallback_for(s)) for s in GOAL_SLOTS)


class TurnPlan:
    """Scripted turns, then the goal's caller (if the scenario has a goal)."""

    def __init__(self, scenario: Scenario, pipeline: Pipeline, *, seed: int, make_caller: CallerFactory | None) -> None:
        self.scenario = scenario
        self.pipeline = pipeline
        self.seed = seed
        self._make_caller = make_caller or (lambda goal, s: RulesCaller(goal, s))
        self.played: list[Turn] = []
        self.outcome: str | None = None
        self.detail = ""
        self.caller_turns = 0
        self.lines: list[CallerLine] = []

    async def turns(self, run: RunView) -> AsyncIterator[tuple[int, Turn]]:
        """Each turn to play, with its index; the next goal line is chosen after the last reply."""
        for index, turn in enumerate(self.scenario.turns):
            self.played.append(turn)
            yield index, turn
        goal = self.scenario.goal
        if goal is None:
            return
        caller = self._make_caller(goal, self.seed)
        giving_up = False
        while True:
            line = await self._next_line(goal, caller, run, giving_up)
            if line is None:
                return
            giving_up = line.gives_up
            self.lines.append(line)
            turn = Turn(user=line.text, expect=Expect(figures_consistent=True))
            self.played.append(turn)
            self.caller_turns += 1
            yield len(self.played) - 1, turn

    async def _next_line(self, goal: Goal, caller: Caller, run: RunView, giving_up: bool) -> CallerLine | None:
        if self.caller_turns == 0:
            return await self._ask(caller.opening)
        last = run.turns[-1]
        result = last.result
        seen = Observation(reply=last.error or "", state="error")
        if result is not None:
            if result.state == "handoff":
                return self._end("handoff", "the bot handed the caller to a person")
            if goal_reached(goal, result.slots, result.figures):
                return self._end("reached", f"quoted after {self.caller_turns} caller turns")
            asked = await asyncio.to_thread(self._asked, run.session_id)
            seen = Observation(result.reply, result.state, dict(result.slots), dict(result.figures), asked)
        if giving_up:
            return self._end("gave_up", self.lines[-1].why)
        if self.caller_turns >= goal.max_turns:
            return self._end("max_turns", f"no quote after {goal.max_turns} caller turns")
        return await self._ask(lambda: caller.next(seen))

    async def _ask(self, say: Callable[[], CallerLine]) -> CallerLine | None:
        try:
            return await asyncio.to_thread(say)
        except LLMError as exc:
            return self._end("caller_failed", f"the LLM caller failed: {exc.message}")

    def _end(self, outcome: str, detail: str) -> CallerLine | None:
        """No more lines: the call ended with ``outcome``."""
        self.outcome, self.detail = outcome, detail
        return None

    def _asked(self, session_id: str) -> str | None:
        state = self.pipeline.store.load(session_id)
        asked = state.dialog.get("asked") if state is not None else None
        return str(asked) if asked else None

    def summary(self) -> dict[str, Any] | None:
        """The goal's part of the report (None without a goal)."""
        goal = self.scenario.goal
        if goal is None:
            return None
        return {
            "persona": goal.persona,
            "seed": self.seed,
            "outcome": self.outcome,
            "detail": self.detail,
            "caller_turns": self.caller_turns,
            "lines": [{"text": line.text, "why": line.why} for line in self.lines],
        }

    def outcome_checks(self, run: RunView) -> list[CheckResult]:
        """The goal's outcome, figures, turn count and handoffs."""
        goal = self.scenario.goal
        if goal is None:
            return []
        want = goal.expect
        checks = [CheckResult("goal outcome", self.outcome == want.outcome,
                              f"want {want.outcome}, got {self.outcome}: {self.detail}")]
        goal_runs = run.turns[len(self.scenario.turns):]
        if want.outcome == "reached" and want.figures and self.outcome == "reached":
            checks.append(_figures_check(goal_runs[-1].result))
        if want.max_turns is not None:
            checks.append(CheckResult("goal turns", self.caller_turns <= want.max_turns,
                                      f"{self.caller_turns} caller turns (at most {want.max_turns})"))
        if want.outcome != "handoff":
            handed = [t.index + 1 for t in goal_runs if t.result is not None and t.result.state == "handoff"]
            checks.append(CheckResult("goal no handoff", not handed,
                                      f"handed off at turn {handed[0]}" if handed else ""))
        return checks


def _figures_check(result: TurnResult | None) -> CheckResult:
    """The quote's figures equal the domain's for the slots quoted (which are the caller's values)."""
    if result is None:
        return CheckResult("goal figures", False, "the last turn did not run")
    held = held_values(result.slots)
    want = domain_figures(held["principal"], held["rate"], int(held["term_months"]))
    wrong = {k: (str(v), result.figures.get(k)) for k, v in want.items()
             if result.figures.get(k) is None or Decimal(result.figures[k]) != v}
    detail = "" if not wrong else "; ".join(f"{k}: domain {a}, bot {b}" for k, (a, b) in wrong.items())
    return CheckResult("goal figures", not wrong, detail or f"payment {want['payment']}, APR {want['apr']}")
