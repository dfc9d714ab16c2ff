"""The deterministic banking dialog: the offline default backend (``VOICEBOT_LLM=rules``).

An intent classifier (MiniLM embeddings plus keyword rules) picks what the
caller wants; in-dialog commands, confirmation and slot filling are rules.
The loan flow fills principal, rate and term over as many turns as the
caller needs, in any order, confirms them, then quotes with the APR.
Questions from the bank's FAQ (``dialog/faq.py``) with no figures in them get
the FAQ's answer, verbatim (intent ``faq``).

All state lives in the ``memory`` dict that each reply returns:
``state`` (start, collecting_loan, confirming, quoted, handoff, ended),
``product`` (loan_quote or mortgage), ``loan`` (the slots), ``asked`` (the
slot just asked for), ``failures`` (re-prompts in a row), ``last_reply``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Protocol

from orchestrator.config import Settings
from orchestrator.dialog import phrases as say
from orchestrator.dialog.commands import Command, detect_command, is_no, is_yes
from orchestrator.dialog.faq import Faq, match_faq
from orchestrator.dialog.quotes import Quote, format_money, format_rate, format_term, make_quote
from orchestrator.dialog.slots import SLOTS, SlotReading, read_slots
from orchestrator.domain.loans import LoanInputError
from orchestrator.llm.base import DIALOG_BACKENDS, DialogTurn, ToolCall

__all__ = ["DIALOG_INTENTS", "MAX_FAILURES", "STATES", "IntentSource", "RulesDialog", "format_money", "loan_call"]

# Re-prompts in a row before the caller is handed to a person.
MAX_FAILURES = 2
LOAN_INTENTS = ("loan_quote", "mortgage")
_NEW_REQUEST_RE = re.compile(r"\b(?:new|another|different|other|second|start over|instead|now)\b", re.IGNORECASE)
HANDOFF_INTENTS = ("human_handoff", "lost_card")
# Every state the dialog can be in, and the intents it names itself (the classifier names the rest).
STATES = ("start", "collecting_loan", "confirming", "quoted", "handoff", "ended")
DIALOG_INTENTS = ("faq", "repeat")


class IntentSource(Protocol):
    """Anything with ``classify(text)`` returning an object with an ``intent`` name."""

    def classify(self, text: str) -> Any:
        """Classify one utterance."""
        ...


class _Reply:
    """Builds the next memory and the DialogTurn for one utterance."""

    def __init__(self, memory: dict[str, Any]) -> None:
        self.memory: dict[str, Any] = {**memory, "loan": dict(memory.get("loan", {}))}

    @property
    def state(self) -> str:
        return str(self.memory.get("state", "start"))

    @property
    def loan(self) -> dict[str, Any]:
        return self.memory["loan"]  # type: ignore[no-any-return]

    @property
    def product(self) -> str:
        return str(self.memory.get("product", "loan_quote"))

    def say(
        self,
        text: str,
        intent: str,
        state: str,
        *,
        failed: bool = False,
        figures: dict[str, str] | None = None,
        asked: str | None = None,
        calls: tuple[ToolCall, ...] = (),
    ) -> DialogTurn:
        failures = int(self.memory.get("failures", 0)) + 1 if failed else 0
        if failures > MAX_FAILURES:
            text, intent, state, figures, asked, failures, calls = (
                say.HANDOFF_AFTER_FAILURES, "human_handoff", "handoff", None, None, 0, (),
            )
        self.memory.update(state=state, failures=failures, asked=asked, last_reply=text, last_figures=figures or {})
        if figures:
            self.memory["quote"] = figures
        return DialogTurn(
            text=text,
            intent=intent,
            slots=dict(self.loan),
            state=state,
            memory=self.memory,
            figures=dict(figures or {}),
            tool_calls=calls,
        )


def loan_call(name: str, loan: dict[str, Any]) -> ToolCall:
    """The record of pricing ``loan`` (the slots), named and shaped like the LLM tool of the same name."""
    args = {
        "principal": str(loan["principal"]),
        "annual_rate_percent": str(loan["rate_percent"]),
        "term_months": int(loan["term_months"]),
    }
    return ToolCall(name, args)


class RulesDialog:
    """Deterministic banking dialog; all state lives in the ``memory`` it returns."""

    name = "rules"

    def __init__(self, classifier: IntentSource | None = None) -> None:
        if classifier is None:
            from orchestrator.nlu.intents import load_intent_classifier

            classifier = load_intent_classifier("keywords")
        self._classifier = classifier

    def fixed_phrases(self) -> list[str]:
        """Sentences said verbatim (their audio can be cached)."""
        return list(say.FIXED_PHRASES)

    def reply(self, user_text: str, memory: dict[str, Any]) -> DialogTurn:
        """Answer one utterance."""
        r = _Reply(memory)
        text = user_text.strip()
        if r.state == "handoff":
            return r.say(say.HANDOFF_WAIT, "human_handoff", "handoff")
        command = detect_command(text)
        if command is Command.REPEAT:
            return self._repeat(r)
        intent = str(self._classifier.classify(text).intent)
        reading = read_slots(text, asked=r.memory.get("asked") if r.state != "quoted" else None)

        if intent in HANDOFF_INTENTS:
            return r.say(say.LOST_CARD if intent == "lost_card" else say.HANDOFF, intent, "handoff")
        if intent == "goodbye" and reading.empty:
            return r.say(say.GOODBYE, "goodbye", "ended")
        if r.state == "confirming":
            return self._confirming(r, text, intent, reading, command)
        faq = match_faq(text) if reading.empty else None
        if faq is not None:
            return self._faq(r, faq, text)
        if command in (Command.TOTAL_INTEREST, Command.SCHEDULE) and not reading.values:
            return self._follow_up(r, command)
        asks_quote = intent == r.product or command is Command.QUOTE
        if r.state == "quoted" and reading.empty and asks_quote and not _NEW_REQUEST_RE.search(text):
            # "what's the monthly payment?" after a quote: say the quote again, don't start over.
            return self._quote(r, None)
        if command is Command.QUOTE and intent == "out_of_scope":
            intent = r.product  # "what would my monthly payment be?" is a loan question
        if not reading.empty or intent in LOAN_INTENTS:
            return self._loan(r, intent, reading)
        if intent == "balance":
            return r.say(say.BALANCE, "balance", "start")
        if intent == "transfer":
            return r.say(say.TRANSFER, "transfer", "start")
        if intent == "greeting":
            return r.say(say.GREETING, "greeting", r.state if r.state == "collecting_loan" else "start",
                         asked=r.memory.get("asked"))
        if intent == "help":
            return self._help(r)
        if r.state == "collecting_loan":
            slot = r.memory.get("asked") or self._missing(r)[0]
            return r.say(f"Sorry, I didn't catch that. {say.ASK[slot]}", r.product, "collecting_loan",
                         failed=True, asked=slot)
        return r.say(say.OUT_OF_SCOPE, "out_of_scope", "start", failed=True)

    # -- pieces -------------------------------------------------------------

    @staticmethod
    def _missing(r: _Reply) -> list[str]:
        return [slot for slot in SLOTS if slot not in r.loan]

    def _repeat(self, r: _Reply) -> DialogTurn:
        last = r.memory.get("last_reply")
        if not last:
            return r.say(say.NOTHING_TO_REPEAT, "repeat", r.state)
        figures = r.memory.get("last_figures") or None
        return r.say(str(last), "repeat", r.state, figures=figures, asked=r.memory.get("asked"))

    def _help(self, r: _Reply) -> DialogTurn:
        if r.state == "collecting_loan":
            slot = r.memory.get("asked") or self._missing(r)[0]
            return r.say(f"{say.CAPABILITIES} {say.ASK[slot]}", "help", r.state, asked=slot)
        return r.say(say.CAPABILITIES, "help", "start")

    def _faq(self, r: _Reply, faq: Faq, text: str) -> DialogTurn:
        calls = (ToolCall("bank_faq", {"question": text, "topic": faq.id}),)
        if r.state == "collecting_loan":  # answer, then go back to the slot being asked for
            slot = r.memory.get("asked") or self._missing(r)[0]
            return r.say(f"{faq.answer} {say.ASK[slot]}", "faq", r.state, asked=slot, calls=calls)
        return r.say(faq.answer, "faq", "quoted" if r.state == "quoted" else "start", calls=calls)

    def _follow_up(self, r: _Reply, command: Command) -> DialogTurn:
        if r.state != "quoted" or self._missing(r):
            slot = self._missing(r)[0] if self._missing(r) else "principal"
            return r.say(f"{say.NO_QUOTE_YET} {say.ASK[slot]}", r.product, "collecting_loan", asked=slot)
        quote = make_quote(r.loan)
        text = quote.interest_text() if command is Command.TOTAL_INTEREST else quote.schedule_text()
        call = loan_call("loan_schedule" if command is Command.SCHEDULE else "loan_quote", r.loan)
        return r.say(text, r.product, "quoted", figures=quote.figures(), calls=(call,))

    def _confirming(
        self, r: _Reply, text: str, intent: str, reading: SlotReading, command: Command | None
    ) -> DialogTurn:
        if not reading.empty:
            return self._loan(r, r.product, reading)  # a correction: "no, make it thirty thousand"
        if is_yes(text) or command in (Command.TOTAL_INTEREST, Command.SCHEDULE):
            return self._quote(r, command)
        if is_no(text):
            return r.say(say.WHAT_TO_CHANGE, r.product, "collecting_loan")
        return r.say(f"{say.CONFIRM_REPROMPT} That is {self._summary(r)}", r.product, "confirming", failed=True)

    def _loan(self, r: _Reply, intent: str, reading: SlotReading) -> DialogTurn:
        starting = r.state not in ("collecting_loan", "confirming")
        if intent in LOAN_INTENTS and (starting or intent != r.product) and reading.empty:
            # A fresh request ("I'd like a mortgage") starts a new quote.
            r.memory["loan"] = {}
        if intent in LOAN_INTENTS and (starting or reading.empty):
            r.memory["product"] = intent
        r.loan.update(reading.values)
        if reading.problem is not None and reading.problem_slot is not None:
            slot = reading.problem_slot
            # A turn that still filled a slot made progress: only a turn that gave nothing counts.
            return r.say(f"{reading.problem} {say.ASK[slot]}", r.product, "collecting_loan",
                         failed=not reading.values, asked=slot)
        missing = self._missing(r)
        if missing:
            slot = missing[0]
            if r.product == "mortgage" and slot == "principal":
                lead = "" if r.loan or not starting else f"{say.MORTGAGE_LEAD} "
                ask = f"{lead}{say.MORTGAGE_ASK_PRINCIPAL}"
            else:
                ask = say.ASK[slot]
            return r.say(ask, r.product, "collecting_loan", asked=slot)
        try:
            make_quote(r.loan)
        except LoanInputError as exc:
            return r.say(f"I can't quote that: {exc}. {say.ASK['principal']}", r.product, "collecting_loan",
                         failed=True, asked="principal")
        return r.say(f"Just to confirm: {self._summary(r)} Shall I work out the estimate?", r.product, "confirming")

    @staticmethod
    def _summary(r: _Reply) -> str:
        loan = r.loan
        kind = "mortgage" if r.product == "mortgage" else "loan"
        return (
            f"a {kind} of {format_money(_dec(loan['principal']))} over {format_term(int(loan['term_months']))} "
            f"at {format_rate(_dec(loan['rate_percent']))} a year."
        )

    def _quote(self, r: _Reply, command: Command | None) -> DialogTurn:
        quote: Quote = make_quote(r.loan)
        if command is Command.TOTAL_INTEREST:
            text = quote.interest_text()
        elif command is Command.SCHEDULE:
            text = quote.schedule_text()
        else:
            text = quote.text(say.MORTGAGE_ESTIMATE_LEAD if r.product == "mortgage" else say.ESTIMATE_LEAD)
        call = loan_call("loan_schedule" if command is Command.SCHEDULE else "loan_quote", r.loan)
        return r.say(text, r.product, "quoted", figures=quote.figures(), calls=(call,))


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


@DIALOG_BACKENDS.register("rules")
def _create(settings: Settings) -> RulesDialog:
    from orchestrator.nlu.intents import load_intent_classifier

    return RulesDialog(load_intent_classifier(settings.intent_classifier, settings.models_dir))
