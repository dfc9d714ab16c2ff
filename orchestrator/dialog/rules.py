"""The deterministic banking dialog (first cut): greet, quote loans, say what it can do.

Intents come from keyword rules; loan figures come from ``nlu.numbers``.
The loan flow fills principal, rate and term over as many turns as the
caller needs, in any order, then quotes the payment with its APR.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from orchestrator.config import Settings
from orchestrator.domain.loans import (
    MAX_MONTHS,
    LoanInputError,
    apr_for_level_payments,
    final_payment,
    monthly_payment,
    total_of_payments,
)
from orchestrator.llm.base import DIALOG_BACKENDS, DialogTurn
from orchestrator.nlu.numbers import extract_loan_terms

__all__ = ["RulesDialog", "format_money"]

GREETING = (
    "Hello, I'm the bank's virtual assistant. "
    "I can estimate the monthly payment and APR of a loan. How can I help?"
)
CAPABILITIES = (
    "I can estimate a loan for you. "
    "Tell me how much you want to borrow, the interest rate and the term, "
    "for example: twenty five thousand dollars over five years at six and a half percent. "
    "More banking services are coming soon."
)
OUT_OF_SCOPE = "Sorry, I can't help with that yet. " + CAPABILITIES
GOODBYE = "Thank you for calling. Goodbye."
ESTIMATE_LEAD = "Here is your estimate."
NOT_AN_OFFER = "This is an estimate, not an offer."
ASK = {
    "principal": "How much would you like to borrow?",
    "term_months": "Over how many months or years would you like to repay it?",
    "rate_percent": "What annual interest rate should I use?",
}
# The bank's quoting limits (the domain enforces its own wider ones too).
MAX_PRINCIPAL = Decimal(10_000_000)

_GREETING_RE = re.compile(r"\b(hi|hello|hey|good (morning|afternoon|evening))\b", re.I)
_HELP_RE = re.compile(r"\b(what (else )?can you do|help|what do you do|options|menu)\b", re.I)
_GOODBYE_RE = re.compile(r"\b(bye|goodbye|that's all|that is all|hang up)\b", re.I)
_LOAN_RE = re.compile(r"\b(loan|borrow\w*|lend\w*|financ\w*|payments?|repay\w*|quote)\b", re.I)


def format_money(value: Decimal, cents: bool = False) -> str:
    """``Decimal("25000") -> "$25,000"``, ``Decimal("489.15") -> "$489.15"``; ``cents`` forces ".00"."""
    if not cents and value == value.to_integral_value():
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def _format_rate(value: Decimal) -> str:
    return f"{value.normalize():f}%"


class RulesDialog:
    """Deterministic dialog; all state lives in the ``memory`` dict it returns."""

    name = "rules"

    def fixed_phrases(self) -> list[str]:
        """Sentences said verbatim (their audio can be cached)."""
        return [GREETING, CAPABILITIES, GOODBYE, ESTIMATE_LEAD, NOT_AN_OFFER, *ASK.values()]

    def reply(self, user_text: str, memory: dict[str, Any]) -> DialogTurn:
        """Answer one utterance."""
        loan = dict(memory.get("loan", {}))
        terms = extract_loan_terms(user_text)
        found = {
            "principal": terms.principal,
            "rate_percent": terms.rate_percent,
            "term_months": terms.term_months,
        }
        found = {k: v for k, v in found.items() if v is not None}
        collecting = memory.get("state") == "collecting_loan"

        if _GOODBYE_RE.search(user_text) and not found:
            return self._turn(GOODBYE, "goodbye", loan, "ended", memory)
        if found or _LOAN_RE.search(user_text):
            return self._loan(found, loan, memory)
        if _HELP_RE.search(user_text):
            return self._turn(CAPABILITIES, "help", loan, "start", memory)
        if _GREETING_RE.search(user_text):
            return self._turn(GREETING, "greeting", loan, "start", memory)
        if collecting:
            missing = self._missing(loan)
            prompt = ASK[missing[0]] if missing else CAPABILITIES
            text = f"Sorry, I didn't catch a number. {prompt}"
            return self._turn(text, "loan_quote", loan, "collecting_loan", memory)
        return self._turn(OUT_OF_SCOPE, "out_of_scope", loan, "start", memory)

    @staticmethod
    def _missing(loan: dict[str, Any]) -> list[str]:
        return [k for k in ("principal", "term_months", "rate_percent") if k not in loan]

    def _loan(self, found: dict[str, Any], loan: dict[str, Any], memory: dict[str, Any]) -> DialogTurn:
        if not found and memory.get("state") == "quoted":
            loan = {}  # a new loan request after a quote starts over
        problem = self._check(found)
        for key, value in found.items():
            if key not in problem:
                loan[key] = str(value) if isinstance(value, Decimal) else value
        if problem:
            key, message = next(iter(problem.items()))
            return self._turn(f"{message} {ASK[key]}", "loan_quote", loan, "collecting_loan", memory)
        missing = self._missing(loan)
        if missing:
            return self._turn(ASK[missing[0]], "loan_quote", loan, "collecting_loan", memory)
        principal = Decimal(loan["principal"])
        rate = Decimal(loan["rate_percent"])
        months = int(loan["term_months"])
        try:
            payment = monthly_payment(principal, rate, months)
            last = final_payment(principal, rate, months)
            total = total_of_payments(principal, rate, months)
            apr = apr_for_level_payments(principal, payment, months, last)
        except LoanInputError as exc:
            return self._turn(f"I can't quote that: {exc}.", "loan_quote", loan, "collecting_loan", memory)
        final_note = f", with a final payment of {format_money(last, cents=True)}" if last != payment else ""
        text = (
            f"{ESTIMATE_LEAD} For {format_money(principal)} over {months} months at "
            f"{_format_rate(rate)} a year, the monthly payment is {format_money(payment, cents=True)}"
            f"{final_note}, and the APR is {apr:.2f}%. "
            f"In total you would repay {format_money(total, cents=True)}. {NOT_AN_OFFER}"
        )
        figures = {"payment": str(payment), "apr": str(apr), "total": str(total)}
        return self._turn(text, "loan_quote", loan, "quoted", memory, figures)

    @staticmethod
    def _check(found: dict[str, Any]) -> dict[str, str]:
        """Out-of-range values, keyed by slot, each with a re-prompt reason."""
        problems: dict[str, str] = {}
        principal = found.get("principal")
        if principal is not None and not Decimal(1) <= principal <= MAX_PRINCIPAL:
            problems["principal"] = f"I can quote loans from $1 to {format_money(MAX_PRINCIPAL)}."
        rate = found.get("rate_percent")
        if rate is not None and not Decimal(0) <= rate <= Decimal(100):
            problems["rate_percent"] = "The rate must be between 0 and 100 percent."
        months = found.get("term_months")
        if months is not None and not 1 <= months <= MAX_MONTHS:
            problems["term_months"] = f"The term must be between 1 and {MAX_MONTHS} months."
        return problems

    @staticmethod
    def _turn(
        text: str,
        intent: str,
        loan: dict[str, Any],
        state: str,
        memory: dict[str, Any],
        figures: dict[str, str] | None = None,
    ) -> DialogTurn:
        new_memory = {**memory, "loan": loan, "state": state}
        if figures:
            new_memory["quote"] = figures
        return DialogTurn(
            text=text,
            intent=intent,
            slots=dict(loan),
            state=state,
            memory=new_memory,
            figures=figures or {},
        )


@DIALOG_BACKENDS.register("rules")
def _create(settings: Settings) -> RulesDialog:
    return RulesDialog()
