"""The simulated caller played by the configured LLM (``run-scenario --caller llm``).

The LLM gets the goal and the persona's style (its manner, how it says
amounts, its fillers and corrections) as a brief, the bot's replies
as the other side of the call, and answers one spoken line at a time. It ends
the call by adding ``[DONE]`` (it has its quote) or ``[GIVE UP]``. Whether the
goal was reached is still decided by the run from what the bot did, never by
the LLM's say-so.
"""

from __future__ import annotations

from typing import Any

from orchestrator.compliance import redact
from orchestrator.llm.chat import ChatClient, complete
from orchestrator.personas.manners import manner_of
from orchestrator.personas.model import Style, goal_persona
from orchestrator.personas.styles import speak_amount
from orchestrator.scenarios.caller import CallerLine, Observation
from orchestrator.scenarios.model import Goal

__all__ = ["LLMCaller", "caller_brief", "style_brief"]

DONE, GIVE_UP = "[DONE]", "[GIVE UP]"


def style_brief(style: Style) -> str:
    """The persona's style in words an LLM can play."""
    amounts = " or ".join(f'"{speak_amount(25_000, form)}"' for form in style.number_forms)
    parts = [manner_of(style).brief, f"You say an amount like 25,000 dollars as {amounts}."]
    if style.fillers:
        parts.append("You often say um and uh." if style.fillers >= 0.5 else "You sometimes say um or uh.")
    if style.corrections:
        parts.append("You sometimes say a figure wrong and correct it in the same breath.")
    return " ".join(parts)


def caller_brief(goal: Goal) -> str:
    """The system prompt: who the caller is and what it wants."""
    product = "mortgage" if goal.intent == "mortgage" else "loan"
    fallback = "".join(
        f" If the assistant refuses your {slot.replace('_', ' ')}, you would accept {value} instead."
        for slot, value in goal.fallback.items()
    )
    return (
        "You are role-playing a bank customer on a phone call with the bank's voice assistant. "
        "You are the caller, never the assistant. "
        f"You want an estimate for a {product}: borrowing {goal.principal} dollars at {goal.rate} percent a year "
        f"over {goal.term_months} months.{fallback} "
        f"Your manner: {style_brief(goal_persona(goal.persona).style)} "
        "Say one short sentence per turn, as people speak on the phone, and vary how you say numbers "
        "(in words, in years or months). Give details when the assistant asks for them. "
        "If the assistant repeats a figure of yours wrongly, correct it. "
        f"Once the assistant has told you the monthly payment for your {product}, reply with just {DONE}. "
        f"If you cannot get what you want, say goodbye and add {GIVE_UP}."
    )


class LLMCaller:
    """A caller whose every line comes from the LLM (so runs are not reproducible the way seeded rules are)."""

    def __init__(self, goal: Goal, client: ChatClient, model: str) -> None:
        self.goal = goal
        self._client = client
        self._model = model
        self._messages: list[dict[str, Any]] = [{"role": "system", "content": caller_brief(goal)}]

    def _say(self, why: str) -> CallerLine:
        text = complete(self._client, self._model, self._messages)
        self._messages.append({"role": "assistant", "content": text})
        gives_up = GIVE_UP in text
        spoken = text.replace(GIVE_UP, "").replace(DONE, "").strip()
        if DONE in text and not spoken:
            return CallerLine("Thank you, goodbye.", "the LLM caller says it is done", gives_up=True)
        return CallerLine(spoken or "Goodbye.", why, gives_up=gives_up)

    def opening(self) -> CallerLine:
        """The first line: the bot has not spoken yet."""
        self._messages.append({"role": "user", "content": "(The call connects. Say why you are calling.)"})
        return self._say("opening")

    def next(self, seen: Observation) -> CallerLine:
        """The answer to the bot's last reply."""
        self._messages.append({"role": "user", "content": redact(seen.reply)})
        return self._say("LLM caller")
