"""The scenario format: a pydantic schema for the YAML files under ``scenarios/``.

See ``scenarios/README.md`` for the format with examples. Unknown keys are
errors, so a typo in an expectation never silently passes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

__all__ = [
    "COMPLIANCE_CHECKS",
    "FIGURE_NAMES",
    "STAGES",
    "Expect",
    "FigureExpectation",
    "Gates",
    "Goal",
    "GoalExpect",
    "Scenario",
    "ScenarioSettings",
    "SpokenExpect",
    "ToolCallExpect",
    "Turn",
]

STAGES = ("audio", "stt", "dialog", "tts", "tts_first_audio", "total", "voice_to_voice")
FIGURE_NAMES = ("payment", "final_payment", "apr", "total", "total_interest")
COMPLIANCE_CHECKS = ("apr_disclosed", "no_card_numbers", "disclosure_first")
ComplianceCheck = Literal["apr_disclosed", "no_card_numbers", "disclosure_first"]
Stage = Literal["audio", "stt", "dialog", "tts", "tts_first_audio", "total", "voice_to_voice"]
FigureName = Literal["payment", "final_payment", "apr", "total", "total_interest"]
GoalSlot = Literal["principal", "rate", "term_months"]
GOAL_OUTCOMES = ("reached", "gave_up", "handoff", "max_turns")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class FigureExpectation(_Strict):
    """A quoted figure, within ``tolerance`` (default: exactly, to the cent)."""

    value: Decimal
    tolerance: Decimal = Field(default=Decimal("0"), ge=0)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # ``payment: 489.15`` means ``payment: {value: 489.15}``.
        if isinstance(data, int | float | str | Decimal):
            return {"value": str(data)}
        return data


class ToolCallExpect(_Strict):
    """A domain function the dialog must have called for the reply, and a subset of its arguments."""

    name: str = Field(min_length=1, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)


class SpokenExpect(_Strict):
    """Whisper listens to the bot's own reply audio: each quoted figure must be heard as that figure."""

    figures: bool = True

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # ``spoken: true`` (or false, to turn off the audio-mode default for one turn).
        return {"figures": data} if isinstance(data, bool) else data


class Expect(_Strict):
    """What must hold of one turn's result. Every key is optional."""

    intent: str | None = None
    slots: dict[str, Any] | None = None  # a subset of the turn's slots
    state: str | None = None
    contains: list[str] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    regex: list[str] = Field(default_factory=list)
    figures: dict[FigureName, FigureExpectation] = Field(default_factory=dict)
    latency_ms: dict[Stage, float] = Field(default_factory=dict)  # budget per stage
    wer_max: float | None = Field(default=None, ge=0)
    cache: Literal["hit", "miss"] | None = None
    error: str | None = None  # the turn must fail with this error category ("silent_audio", "empty_text", ...)
    spoken: SpokenExpect | None = None  # unset: on for figures in audio-mode runs on real speech backends
    tool_calls: list[ToolCallExpect] = Field(default_factory=list)  # each matched as a subset
    no_tool_calls: bool | list[str] = False  # true: none at all; a list: none of these names
    figures_consistent: bool = False  # every stated figure equals the domain's for the confirmed slots
    judge: str | None = Field(default=None, min_length=1, max_length=4000)  # a rubric for the configured LLM
    # Spoken turns, played live (hands-free): the most ms the turn may end after the speech ends,
    # and whether the speech may make more than one turn (false: one, whatever its pauses).
    endpoint_ms: float | None = Field(default=None, gt=0)
    split: bool | None = None

    _split = field_validator("contains", "not_contains", "regex", mode="before")(_as_list)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regex {pattern!r}: {exc}") from None
        return patterns

    @field_validator("latency_ms")
    @classmethod
    def _positive(cls, budgets: dict[str, float]) -> dict[str, float]:
        for stage, ms in budgets.items():
            if ms <= 0:
                raise ValueError(f"latency budget for {stage} must be greater than 0")
        return budgets


class Turn(_Strict):
    """One caller turn: typed text (``user``), a WAV/FLAC file (``audio``) or text the TTS speaks (``say``)."""

    user: str | None = None
    audio: str | None = None
    say: str | None = None
    reference: str | None = None  # what was said, for the WER of an ``audio`` turn
    expect: Expect = Field(default_factory=Expect)
    # Compliance rules for this turn only, instead of the scenario's list ([] turns them off here).
    compliance: list[ComplianceCheck] | None = None
    # Barge-in: the speech starts this long after the previous reply began to play, over it.
    interrupt_after_ms: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_input(self) -> Turn:
        given = [k for k in ("user", "audio", "say") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a turn needs exactly one of user, audio or say (got {', '.join(given) or 'none'})")
        if self.expect.wer_max is not None and self.user is not None:
            raise ValueError("wer_max only applies to audio or say turns")
        keys = (("interrupt_after_ms", self.interrupt_after_ms), ("endpoint_ms", self.expect.endpoint_ms),
                ("split", self.expect.split))
        live = [k for k, v in keys if v is not None]
        if live and self.user is not None:
            raise ValueError(f"{', '.join(live)} only applies to audio or say turns (they are played live)")
        return self


class ScenarioSettings(_Strict):
    """Backends for this scenario; unset ones come from the environment (``VOICEBOT_*``)."""

    stt: str | None = None
    tts: str | None = None
    llm: str | None = None
    intent_classifier: str | None = None
    adapter: str | None = None  # a LoRA adapter name, for the LLM backends that take one


class Gates(_Strict):
    """Latency percentiles across repeats, per stage: ``p50_ms: {total: 800}``."""

    p50_ms: dict[Stage, float] = Field(default_factory=dict)
    p95_ms: dict[Stage, float] = Field(default_factory=dict)


def _all_checks() -> list[ComplianceCheck]:
    return ["apr_disclosed", "no_card_numbers", "disclosure_first"]


class GoalExpect(_Strict):
    """What must hold when a goal-driven call ends."""

    outcome: Literal["reached", "gave_up", "handoff", "max_turns"] = "reached"
    figures: bool = True  # when reached: the quote equals the domain's figures for the caller's values
    max_turns: int | None = Field(default=None, ge=1, le=100)  # caller turns the goal may take
    judge: str | None = Field(default=None, min_length=1, max_length=4000)  # a rubric on the whole call


class Goal(_Strict):
    """A simulated caller that wants a quote and answers whatever the bot asks until it has it (or gives up)."""

    intent: Literal["loan_quote", "mortgage"] = "loan_quote"
    principal: Decimal = Field(gt=0)
    rate: Decimal = Field(ge=0)  # annual percent
    term_months: int = Field(ge=1, le=1200)
    persona: str = "joe"  # a persona of scenarios/personas: its style and manner say the caller's lines
    # The order the caller offers its values in, one a turn, whatever it is asked (unset: it answers the question).
    order: list[GoalSlot] | None = Field(default=None, min_length=1, max_length=3)
    slips: dict[GoalSlot, Decimal] = Field(default_factory=dict)  # said first by mistake, then corrected
    fallback: dict[GoalSlot, Decimal] = Field(default_factory=dict)  # settled for when the bot refuses a value
    max_turns: int = Field(default=12, ge=1, le=50)
    expect: GoalExpect = Field(default_factory=GoalExpect)

    @field_validator("persona")
    @classmethod
    def _known_persona(cls, name: str) -> str:
        from orchestrator.personas.model import PersonaError, goal_persona  # personas read scenarios' folder

        try:
            goal_persona(name)
        except PersonaError as exc:
            raise ValueError(exc.message) from None
        return name

    @field_validator("order")
    @classmethod
    def _unique(cls, order: list[str] | None) -> list[str] | None:
        if order is not None and len(set(order)) != len(order):
            raise ValueError("order names a slot twice")
        return order

    def wanted(self) -> dict[str, Decimal]:
        """The caller's values by goal slot name."""
        return {"principal": self.principal, "rate": self.rate, "term_months": Decimal(self.term_months)}

    def fallback_for(self, slot: str) -> Decimal | None:
        """The value the caller settles for when ``slot`` is refused, if any."""
        return {str(k): v for k, v in self.fallback.items()}.get(slot)


class Scenario(_Strict):
    """A named conversation with expectations on every turn."""

    name: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")
    description: str = ""
    # The session a recorded scenario was made from: its runs are derived from it (purged with it).
    source_session: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    tags: list[str] = Field(default_factory=list)
    settings: ScenarioSettings = Field(default_factory=ScenarioSettings)
    # Unset: the run's default (all of them unless ``run-scenario --compliance`` says otherwise).
    compliance: list[ComplianceCheck] = Field(default_factory=lambda: _all_checks())
    gates: Gates = Field(default_factory=Gates)
    goal: Goal | None = None  # played after the scripted turns (if any) by a simulated caller
    turns: list[Turn] = Field(default_factory=list, max_length=200, validate_default=True)

    @field_validator("turns")
    @classmethod
    def _turns_or_goal(cls, turns: list[Turn], info: ValidationInfo) -> list[Turn]:
        # A goal that failed its own validation is missing from ``info.data``: that error says enough.
        if not turns and "goal" in info.data and info.data["goal"] is None:
            raise ValueError("List should have at least 1 item (or give the scenario a goal)")
        return turns

    def compliance_rules(self, default: frozenset[str] | None = None) -> frozenset[str]:
        """The scenario-wide rules: its own list when given, else ``default`` (else all of them)."""
        if "compliance" in self.model_fields_set or default is None:
            return frozenset(self.compliance)
        return default

    @property
    def needs_audio(self) -> bool:
        """True when a turn speaks or plays audio."""
        return any(t.user is None for t in self.turns)
