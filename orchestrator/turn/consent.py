"""The recording question as dialog state.

The disclosure asks it; until it is answered, a turn that *is* an answer settles it ("I agree", "don't
record me": ``orchestrator.consent`` reads the answer). A bare "yes" or "no" answers it only on the very
next turn, and only when the reply that asked had no question of its own; later it answers the dialog.
A sentence that merely contains "I agree" never settles it. A withdrawal
("stop recording me") counts at any turn and deletes the caller's kept recordings. Each settled
answer is said back to the caller and recorded as a ``consent_changed`` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestrator.compliance import CONSENT_DECLINED, CONSENT_THANKS, CONSENT_WITHDRAWN
from orchestrator.config import Settings
from orchestrator.consent import Answer, read_answer, read_withdrawal
from orchestrator.events import ConsentChanged
from orchestrator.sessions.base import ConsentQuestion, SessionState
from orchestrator.turn.context import TurnContext
from orchestrator.turn.recording import forget

__all__ = ["Settled", "answers_due", "note_question", "press", "settle"]


@dataclass(frozen=True, slots=True)
class Settled:
    """What the caller hears about their answer, and the rest of their words for the dialog ("" for none)."""

    sentence: str
    rest: str


def _read_open(state: SessionState, turn: int, text: str) -> Answer | None:
    """The answer ``text`` gives to the recording question, if the question is open."""
    question = state.consent_question
    if question is None or state.voice_consent is not None or turn <= question.turn:
        return None
    return read_answer(text, bare_yes_no=question.bare_yes_no and turn == question.turn + 1)


def answers_due(state: SessionState, turn: int, text: str) -> bool:
    """True when ``text`` in ``turn`` settles consent (it answers the open question, or withdraws): no cache then."""
    return _read_open(state, turn, text) is not None or read_withdrawal(text) is not None


def note_question(ctx: TurnContext, reply_after_disclosure: str) -> None:
    """The disclosure asked the recording question in this turn's reply (unless the caller already answered)."""
    if ctx.state.voice_consent is None:
        ctx.state.consent_question = ConsentQuestion(turn=ctx.turn, bare_yes_no="?" not in reply_after_disclosure)


def settle(ctx: TurnContext, settings: Settings, text: str) -> Settled | None:
    """Apply what ``text`` (redacted) says about keeping the caller's voice; None when it says nothing."""
    state = ctx.state
    answer = _read_open(state, ctx.turn, text)
    how: Literal["answer", "withdrawal"] = "answer"
    if answer is None:
        answer, how = read_withdrawal(text), "withdrawal"
    if answer is None:
        return None
    state.voice_consent, state.consent_question = answer.consent, None
    deleted = [] if answer.consent else forget(settings, state)
    ctx.emit(ConsentChanged(consent=answer.consent, how=how, deleted_recordings=len(deleted)))
    if how == "withdrawal":
        return Settled(CONSENT_WITHDRAWN, answer.rest)
    return Settled(CONSENT_THANKS if answer.consent else CONSENT_DECLINED, answer.rest)


def press(settings: Settings, consent: bool, state: SessionState) -> None:
    """The browser's consent button: it settles the question; a no deletes what was kept."""
    state.voice_consent, state.consent_question = consent, None
    if not consent:
        forget(settings, state)
