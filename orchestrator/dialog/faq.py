"""The bank's frequently asked questions, answered by the rules dialog.

Each FAQ has an id, the answer said verbatim, and patterns (any one
matches). The patterns are deliberately narrow: a question that is really
a loan request, a lost card or a transfer must keep going to its own flow,
so only questions without figures are matched (the dialog checks that).
Paraphrases the patterns miss can still be answered by the semantic cache
once a matched wording has been asked (``orchestrator.cache``).

The opening hours, fees and limits are the demo bank's, written for this
workbench; a real deployment replaces this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FAQS", "Faq", "match_faq"]


@dataclass(frozen=True, slots=True)
class Faq:
    """One question the bot answers verbatim."""

    id: str
    answer: str
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, text: str) -> bool:
        """True if any pattern is found in ``text``."""
        return any(p.search(text) for p in self.patterns)


def _faq(faq_id: str, answer: str, *patterns: str) -> Faq:
    return Faq(faq_id, answer, tuple(re.compile(p, re.IGNORECASE) for p in patterns))


_BRANCH = r"(?:you|you guys|the bank|the branch(?:es)?|branch(?:es)?|your branch(?:es)?|your offices?)"

# Checked in order: the more specific questions (transfer fees) come before the broader ones (fees).
FAQS: tuple[Faq, ...] = (
    _faq(
        "opening_hours",
        "Our branches are open Monday to Friday from 9 am to 5 pm, and on Saturday from 9 am to 1 pm. "
        "They are closed on Sundays and public holidays. Phone banking and the app are available day and night.",
        r"\b(?:opening|business|office|branch|banking) (?:hours|times)\b",
        r"\bhours (?:of (?:business|opening)|are you open)\b",
        rf"\bwhat time (?:do|does|are) {_BRANCH} (?:open|close|shut)\b",
        rf"\bwhen (?:are|is|do|does) {_BRANCH} (?:open|close|shut)\b",
        rf"\b(?:are|is) {_BRANCH} open\b",
        rf"\bwhat (?:are|is) {_BRANCH}(?:'s)? hours\b",
    ),
    _faq(
        "documents_account",
        "To open an account, please bring a valid photo ID, such as a passport or a driving licence, "
        "and a proof of address from the last three months, such as a utility bill or a bank statement.",
        r"\b(?:documents?|paperwork|papers|id|identification|proof)\b.{0,40}\bopen(?:ing)?\b.{0,30}\baccounts?\b",
        r"\bopen(?:ing)? (?:an?|a new|my|the) (?:\w+ )?accounts?\b.{0,30}\b(?:need|bring|require|documents?)\b",
        r"\bwhat (?:do|will|would) i (?:need|have) to (?:bring|provide|show)?\s?(?:to|for) "
        r"open(?:ing)? an? (?:\w+ )?accounts?\b",
        r"\brequirements? (?:for|to) open(?:ing)? an? (?:\w+ )?accounts?\b",
    ),
    _faq(
        "documents_loan",
        "To apply for a loan or a mortgage, you'll need a photo ID, a proof of address, your last three months "
        "of payslips or bank statements, and details of your regular outgoings. For a mortgage we also need "
        "details of the property.",
        r"\b(?:documents?|paperwork|papers|proof of income|payslips?)\b.{0,50}\b(?:loans?|mortgages?|borrow\w*)\b",
        r"\bwhat (?:do|will|would) i need to (?:apply|qualify) for an? (?:\w+ )?(?:loan|mortgage)\b",
        r"\b(?:loan|mortgage) (?:application )?(?:requirements|documents|paperwork)\b",
        r"\brequirements? (?:for|to get) an? (?:\w+ )?(?:loan|mortgage)\b",
    ),
    _faq(
        "transfer_fees",
        "Transfers between accounts at our bank are free and instant. Transfers to other banks in the country "
        "are free and usually arrive the same working day. International transfers cost 25 dollars and take "
        "one to three working days.",
        r"\b(?:fees?|charges?|costs?|how much)\b.{0,40}\b(?:international|overseas|foreign|wire|bank|money) "
        r"(?:transfers?|payments?)\b",
        r"\b(?:transfers?|payments?|wires?) (?:fees?|charges?|costs?)\b",
        r"\b(?:send|sending|transfer|transferring|wire|wiring) money (?:abroad|overseas|internationally)\b",
        r"\bhow long (?:does|do|will|would) (?:an? |the |my )?(?:international |bank |wire )?"
        r"(?:transfers?|payments?|wires?) take\b",
    ),
    _faq(
        "account_fees",
        "Our standard current account has no monthly fee. Using a cash machine abroad costs 2.75 percent of the "
        "amount, and an arranged overdraft costs 39.9 percent a year. The full list of fees is in the app, "
        "under Help, then Fees.",
        r"\b(?:monthly|account|maintenance|service|annual|banking|bank) (?:fees?|charges?)\b",
        r"\b(?:fees?|charges?) (?:for|on) (?:my |an? |the |your )?(?:\w+ )?accounts?\b",
        r"\bwhat (?:are|is) (?:the|your) (?:fees?|charges?)\b",
        r"\bdo you charge (?:any )?(?:fees?|for)\b",
        r"\bwhat (?:fees?|charges?) (?:do|does|will) (?:you|the bank) (?:charge|take)\b",
        r"\bhow much (?:do you|does the bank|does it cost to) (?:charge|have an account)\b",
    ),
    _faq(
        "branch_locations",
        "You can find your nearest branch or cash machine in the app under Locations, or with the branch finder "
        "on our website.",
        r"\b(?:where|nearest|closest|find|locate)\b.{0,30}\b(?:branch(?:es)?|atms?|cash ?machines?|cash ?points?)\b",
        r"\b(?:branch|atm) (?:near|close to) me\b",
    ),
    _faq(
        "password_reset",
        "To reset your online banking password, choose Forgotten your details on the login screen and follow "
        "the steps. To change your card PIN, use any of our cash machines, or the app under Card, then PIN.",
        r"\b(?:forgot|forgotten|reset|change|changing|recover)\b.{0,30}\b(?:password|passcode|pin|log ?in|"
        r"login details|online banking details)\b",
        r"\b(?:locked out of|can'?t log ?in(?:to)?|cannot log ?in(?:to)?)\b.{0,30}\b(?:app|online banking|account)\b",
    ),
    _faq(
        "withdrawal_limit",
        "You can take out up to 500 dollars a day from cash machines. You can lower or raise this limit in the "
        "app, under Card settings.",
        r"\b(?:withdrawal|withdraw|cash|atm|daily) limits?\b",
        r"\bhow much (?:cash|money) can i (?:withdraw|take out|get out)\b",
    ),
    _faq(
        "statements",
        "You can download statements for the last seven years in the app or in online banking, under "
        "Statements. Any branch can also print a copy for you.",
        r"\b(?:get|download|request|order|print|see|find|copy of|copies of)\b.{0,30}\bstatements?\b",
    ),
    _faq(
        "contact",
        "You can call us on the number on the back of your card, day or night, or chat with us in the app. "
        "Say agent at any time to speak to a member of our team.",
        r"\b(?:phone|telephone|contact|customer service) (?:number|details)\b",
        r"\bhow (?:can|do|could) i (?:contact|call|reach|email|get in touch with) (?:you|the bank|your team)\b",
    ),
)


def match_faq(text: str) -> Faq | None:
    """The first FAQ whose pattern is in ``text``, or None."""
    return next((faq for faq in FAQS if faq.matches(text)), None)
