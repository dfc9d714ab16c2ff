"""Real round trips: Piper says a sentence with a personal number, Whisper base writes it down.

What Whisper writes is what the redactor meets in production: "4111, 1111,
1111, 1111.", "41-11-11-11...", digits mixed with words. Two dozen
utterances, each synthesised and transcribed once per test session.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import pytest

from orchestrator.audio import decode_audio, encode_wav, trim_silence
from orchestrator.compliance import redact
from orchestrator.leakscan import scan, to_digit_runs
from tests.pii_forms import ONES, iban_check_digits, luhn_digit, say_digits, say_groups

pytestmark = pytest.mark.models


@dataclass(frozen=True)
class Heard:
    kind: str
    value: str
    said: str
    transcript: str


def _card(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + luhn_digit(body)


def _groups(value: str, size: int = 4) -> list[str]:
    return [value[k : k + size] for k in range(0, len(value), size)]


def _utterances() -> list[tuple[str, str, str]]:
    """(kind, value, sentence said): a fixed seed, so every run hears the same two dozen."""
    rng = random.Random(14)
    out: list[tuple[str, str, str]] = []
    for prefix, length in [("4", 16), ("51", 16), ("37", 15), ("6011", 16), ("4", 16), ("55", 16), ("4", 13),
                           ("36", 14)]:
        card = _card(rng, prefix, length)
        style = rng.choice(["digits", "pairs", "written"])
        if style == "digits":
            spoken = ", ".join(" ".join(say_digits(g, repeats=rng.random() < 0.5)) for g in _groups(card))
        elif style == "pairs":
            spoken = ", ".join(" ".join(say_groups(g, "pairs")) for g in _groups(card))
        else:
            spoken = " ".join(_groups(card))
        out.append(("card", card, f"My card number is {spoken}. I'd like to pay my bill."))
    for _ in range(4):
        ssn = f"{rng.randint(100, 665):03d}{rng.randint(10, 99):02d}{rng.randint(1000, 9999):04d}"
        spoken = ", ".join(" ".join(say_digits(p)) for p in (ssn[:3], ssn[3:5], ssn[5:]))
        out.append(("ssn", ssn, f"My social security number is {spoken}."))
    for _ in range(4):
        account = str(rng.randint(10_000_000, 99_999_999))
        out.append(("account", account, f"My account number is {' '.join(say_digits(account))}."))
    for _ in range(3):
        cvv = "".join(rng.choice("0123456789") for _ in range(3))
        out.append(("cvv", cvv, f"The security code is {' '.join(say_digits(cvv))}."))
    for _ in range(3):
        phone = str(rng.randint(2, 9)) + "".join(rng.choice("0123456789") for _ in range(9))
        spoken = ", ".join(" ".join(say_digits(p)) for p in (phone[:3], phone[3:6], phone[6:]))
        out.append(("phone", phone, f"You can call me back on {spoken}."))
    for _ in range(2):
        bban = "".join(rng.choice("0123456789") for _ in range(18))
        iban = "DE" + iban_check_digits("DE", bban) + bban
        spoken = ", ".join(" ".join(ONES[int(c)] if c.isdigit() else c for c in g) for g in _groups(iban))
        out.append(("iban", iban, f"My IBAN is {spoken}."))
    return out


@pytest.fixture(scope="module")
def heard(real_backends) -> list[Heard]:
    stt, tts, _dialog = real_backends
    result = []
    for kind, value, said in _utterances():
        wav = encode_wav(tts.synthesize(said), tts.sample_rate)
        samples = trim_silence(decode_audio(wav).samples)
        result.append(Heard(kind, value, said, stt.transcribe(samples).text))
    return result


def _heard_exactly(item: Heard) -> bool:
    """Did Whisper write every digit (or IBAN character) of the number, in order, as characters?"""
    if item.kind == "iban":
        return item.value in re.sub(r"[^A-Z0-9]", "", item.transcript.upper())
    digits = re.sub(r"\D", "", item.transcript)
    return item.value in digits if len(item.value) >= 6 else item.value == digits


def test_the_round_trip_set_is_two_dozen_utterances_of_six_kinds():
    kinds = [kind for kind, _value, _said in _utterances()]
    assert len(kinds) == 24 and set(kinds) == {"card", "ssn", "account", "cvv", "phone", "iban"}


def test_the_oracle_finds_the_number_in_every_transcript_whisper_wrote_in_full(heard):
    exact = [item for item in heard if _heard_exactly(item)]
    # Found: a finding holds the number's digits. Whisper sometimes writes a digit too many, and the
    # oracle then flags the whole run, of the kind its length makes it ("237-17-55555": a phone number).
    missed = [(item.transcript, item.value) for item in exact
              if not any(item.value in f.value for f in scan(item.transcript))]

    assert len(exact) >= len(heard) // 2, [item.transcript for item in heard]  # most are heard in full
    assert missed == []


def test_the_redactor_leaves_no_number_in_any_transcript(heard):
    for item in heard:
        redacted = redact(item.transcript)
        runs = ["".join(run.digits) for run in to_digit_runs(redacted)]

        assert scan(redacted) == [], (item.transcript, redacted)
        assert not any(item.value[k : k + 6] in run for run in runs for k in range(len(item.value) - 5)), (
            item.transcript, redacted)

