"""How long redaction takes on 100 kB of hostile text (``voicebot bench`` reports ``redact_100kb_ms``)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from orchestrator.pii.redactor import MAX_INPUT_CHARS, redact

__all__ = ["hostile_texts", "redact_100kb_ms", "redact_ms_by_form"]

_CARD_SPOKEN = "four one one one, one one one one, one one one one, one one one one. "


def hostile_texts(size: int = MAX_INPUT_CHARS) -> dict[str, str]:
    """Texts of ``size`` characters built to make a redactor backtrack, loop or check digits forever."""
    forms = {
        "card_dash_run": "card " + "1-" * size,  # the example: one endless grouped run after a cue
        "digit_words": "one " * size,
        "short_runs": "1 1 x " * size,
        "many_cards": "my card is 4111, 1111, 1111, 1111. " * size,
        "spoken_cards": _CARD_SPOKEN * size,
        "non_cards": "ref 1234 5678 1234 5678 " * size,
        "digits_and_words": "4 one 1 one 1 " * size,
        "cue_floods": "cvv card account ssn pin " * size,
        "email_floods": "a.b@c.de" * size,
        "broken_numbers": "card 123 a 456 " * size,  # every run bridged with the next after its cue
        "lead_digits": "card 1 a 456 " * size,  # a digit too few for a run, then a word, before every run
        "glued_letters": "card 4850A 0283 W-5 " * size,  # letters Whisper glues into groups
        "letters": "a" * size,
        "iban_like": "GB82 " * size,
        "prose": "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent, about $489.15 a month. " * size,
    }
    return {name: text[:size] for name, text in forms.items()}


def _best_ms(call: Callable[[], object], repeat: int) -> float:
    # The best of a few runs: on a shared machine the others only measure the neighbours.
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000.0)
    return min(times)


def redact_ms_by_form(repeat: int = 5, redactor: Callable[[str], str] = redact) -> dict[str, float]:
    """Milliseconds (best of ``repeat``) to redact each hostile 100 kB text of :func:`hostile_texts`."""
    texts = hostile_texts()
    return {name: round(_best_ms(functools.partial(redactor, text), repeat), 1) for name, text in texts.items()}


def redact_100kb_ms(repeat: int = 5, redactor: Callable[[str], str] = redact) -> float:
    """Milliseconds to redact the slowest of the hostile 100 kB texts (best of ``repeat`` each)."""
    return max(redact_ms_by_form(repeat, redactor).values())
