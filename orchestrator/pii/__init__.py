"""Personal data in what callers say and type: found in every form, masked before anything keeps it.

``redact`` (re-exported by :mod:`orchestrator.compliance`, which everything
imports) masks cards, CVVs, PINs, SSNs, IBANs, account and phone numbers and
e-mail addresses, written or spoken: any grouping and separator, digit words
("oh", "double", "triple"), group words ("forty one eleven") and digits mixed
with words. Amounts, rates, terms and dates stay. Check digits come from
python-stdnum. The work is linear and capped at ``MAX_INPUT_CHARS``.

Modules: ``words`` (number words to digits), ``runs`` (digit runs and their
groups), ``cues`` (the words that introduce a number), ``detect`` (what a run
is), ``alnum`` (IBANs, e-mail), ``redactor`` (spans to masks), ``bench``.
"""

from orchestrator.pii.redactor import MASKS, MAX_INPUT_CHARS, find_pii, redact

__all__ = ["MASKS", "MAX_INPUT_CHARS", "find_pii", "redact"]
