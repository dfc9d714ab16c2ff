"""What the rules dialog says, in one place.

Sentences said verbatim are listed in ``FIXED_PHRASES`` so the pipeline can
cache their audio; templated sentences are built by ``rules`` and ``quotes``.
"""

from __future__ import annotations

from orchestrator.compliance import AI_DISCLOSURE

__all__ = [
    "ASK",
    "BALANCE",
    "CAPABILITIES",
    "CONFIRM_REPROMPT",
    "DISCLOSURE",
    "ESTIMATE_LEAD",
    "FIXED_PHRASES",
    "GOODBYE",
    "GREETING",
    "HANDOFF",
    "HANDOFF_AFTER_FAILURES",
    "HANDOFF_WAIT",
    "LOST_CARD",
    "MORTGAGE_ASK_PRINCIPAL",
    "MORTGAGE_ESTIMATE_LEAD",
    "MORTGAGE_LEAD",
    "NOTHING_TO_REPEAT",
    "NOT_AN_OFFER",
    "NO_QUOTE_YET",
    "OUT_OF_SCOPE",
    "TRANSFER",
    "WHAT_TO_CHANGE",
]

DISCLOSURE = AI_DISCLOSURE
GREETING = (
    "Hello, I can estimate loan and mortgage payments, "
    "and help with lost cards, balances and transfers. How can I help?"
)
CAPABILITIES = (
    "I can estimate the monthly payment, APR and total cost of a loan or a mortgage. "
    "Tell me how much you want to borrow, the interest rate and the term, "
    "for example: twenty five thousand dollars over five years at six and a half percent. "
    "I can also help with a lost card, or put you through to a person."
)
OUT_OF_SCOPE = "Sorry, I can't help with that. " + CAPABILITIES
GOODBYE = "Thank you for calling. Goodbye."
HANDOFF = "I'll connect you with a member of our team now. Please hold."
HANDOFF_AFTER_FAILURES = "Sorry, I'm having trouble understanding. " + HANDOFF
HANDOFF_WAIT = "Please hold: a member of our team will be with you shortly."
LOST_CARD = (
    "I'm sorry to hear that. To protect your account, I'm connecting you to our card team now "
    "so they can block the card and send you a new one. Please hold."
)
BALANCE = (
    "I can't look up balances on this line, because that needs a security check. "
    "You can see your balance in the mobile app or online banking, or say agent to speak to our team."
)
TRANSFER = (
    "I can't make transfers on this line. "
    "You can move money in the mobile app or online banking, or say agent to speak to our team."
)
MORTGAGE_LEAD = "I can estimate a mortgage payment."
MORTGAGE_ASK_PRINCIPAL = "How much would you like to borrow for the home?"
ESTIMATE_LEAD = "Here is your estimate."
MORTGAGE_ESTIMATE_LEAD = "Here is your mortgage estimate."
NOT_AN_OFFER = "This is an estimate, not an offer."
ASK = {
    "principal": "How much would you like to borrow?",
    "term_months": "Over how many months or years would you like to repay it?",
    "rate_percent": "What annual interest rate should I use?",
}
CONFIRM_REPROMPT = "Please say yes to get the estimate, or tell me what to change."
WHAT_TO_CHANGE = "What would you like to change: the amount, the rate or the term?"
NO_QUOTE_YET = "I haven't quoted a loan yet."
NOTHING_TO_REPEAT = "I haven't said anything yet. How can I help?"

FIXED_PHRASES = [
    DISCLOSURE,
    GREETING,
    CAPABILITIES,
    OUT_OF_SCOPE,
    GOODBYE,
    HANDOFF,
    HANDOFF_AFTER_FAILURES,
    HANDOFF_WAIT,
    LOST_CARD,
    BALANCE,
    TRANSFER,
    MORTGAGE_LEAD,
    MORTGAGE_ASK_PRINCIPAL,
    ESTIMATE_LEAD,
    MORTGAGE_ESTIMATE_LEAD,
    NOT_AN_OFFER,
    CONFIRM_REPROMPT,
    WHAT_TO_CHANGE,
    NO_QUOTE_YET,
    *ASK.values(),
]
