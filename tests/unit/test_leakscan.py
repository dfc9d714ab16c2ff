"""orchestrator.leakscan, the independent oracle: what it finds, what it leaves, and that it stands alone."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

import orchestrator.leakscan as leakscan
import orchestrator.leakwords as leakwords
from orchestrator.leakscan import has_card, luhn_valid, scan, scan_file
from orchestrator.pipeline import TurnResult
from orchestrator.scenarios.checks import check_no_card_numbers


def kinds(text: str) -> set[str]:
    return {f.kind for f in scan(text)}


@pytest.mark.parametrize("module", [leakscan, leakwords])
def test_the_oracle_imports_nothing_from_the_redactor_or_the_compliance_module(module):
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}

    # Its own two modules only: leakscan reads text with leakwords.
    assert not {m for m in imported if m and m.startswith("orchestrator")} - {"orchestrator.leakwords"}
    assert "re" not in imported  # not even a regular expression in common


def test_its_luhn_check_agrees_with_published_test_numbers():
    for card in ("4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"):
        assert luhn_valid(card)
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    "text",
    [
        "My card number is 4111, 1111, 1111, 1111.",
        "4111. 1111. 1111. 1111.",
        "4111/1111/1111/1111", "4111.1111.1111.1111", "(4111) 1111-1111 1111",
        "four one one one one one one one one one one one one one one one",
        "four one double one, triple one one, one one one one, double one double one",
        "forty one eleven, eleven eleven, eleven eleven, eleven eleven",
        "four thousand one hundred eleven, one thousand one hundred eleven, one thousand one hundred eleven, "
        "one thousand one hundred and eleven",
        "4111 one one one one, 1111 eleven eleven",
        "ref 99 4111 1111 1111 1111 12 25",  # inside a longer run: every window is tried
    ],
)
def test_a_card_is_found_in_every_form(text):
    assert has_card(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my SSN is 123-45-6789", "ssn"),
        ("social security one two three, four five, six seven eight nine", "ssn"),
        ("the CVV is 123", "cvv"),
        ("my pin is 4 4 2 1", "pin"),
        ("account number 1234 5678", "account"),
        ("My count numbers 91057643.", "account"),  # Whisper's hearing of "My account number is ..."
        ("both accounts: 4410 2291", "account"),
        ("call me on (555) 234-5678", "phone"),
        ("my IBAN is GB82 WEST 1234 5698 7654 32", "iban"),
        ("G B eight two W E S T one two three four five six nine eight seven six five four three two", "iban"),
        ("write to jane.doe@example.com", "email"),
    ],
)
def test_other_personal_numbers_are_found(text, kind):
    assert kind in kinds(text)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("The security code is 5.76.", "cvv", "576"),
        ("my CVV is 57.6 thanks", "cvv", "576"),
        ("the pin is 12.34", "pin", "1234"),
        ("account number is 1234.5678", "account", "12345678"),
    ],
)
def test_a_decimal_point_inside_a_number_said_after_its_cue_does_not_split_it(text, kind, value):
    assert (kind, value) in {(f.kind, f.value) for f in scan(text)}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("You can call me back on 2.60. 989. 6999.", "2609896999"),  # Whisper's pauses around "two six oh"
        ("Call me on 415. 5.55. 2671.", "4155552671"),
        ("My card number is 60-11, 1159, 8410, 91.99.", "6011115984109199"),  # a long number's last pause
    ],
)
def test_a_decimal_looking_group_between_pauses_is_one_group_of_the_number(text, value):
    assert value in {f.value for f in scan(text)}


@pytest.mark.parametrize(
    "text",
    ["the rate is 6.5 percent and the fee 12.50", '{"text": "my account [ACCOUNT]", "ms": 1234.56, "x": 0.5}',
     "It costs 2.60. Thanks, and 12.5. 30 more next year."],
)
def test_a_decimal_with_no_cue_or_behind_a_quote_mark_still_ends_its_run(text):
    assert scan(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent.",
        '{"wall_time": 1718000000.123456, "mono_time": 12345.678, "ms": 12.5}',
        "prev 0000000000000000000000000000000000000000000000000000000000000000",
        "hash e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "My card number is [CARD]. It was stolen.",
    ],
)
def test_amounts_timestamps_hashes_and_masks_hold_no_card(text):
    assert not has_card(text)


def test_a_file_is_scanned_as_utf8_with_undecodable_bytes_dropped(tmp_path: Path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\xff\xfe page \x00 4111, 1111, 1111, 1111 \xff\x00")

    assert [f.kind for f in scan_file(path) if f.kind == "card"]


def _result(**texts: object) -> TurnResult:
    base = {"session_id": "s", "turn": 1, "user_text": "", "transcript": None, "confidence": None, "reply": "",
            "intent": "x", "slots": {}, "state": "start", "figures": {}, "timings_ms": {}, "voice_to_voice_ms": None,
            "audio": np.zeros(0, dtype=np.int16), "sample_rate": 0, "events": []}
    return TurnResult(**{**base, **texts})  # type: ignore[arg-type]


@pytest.mark.parametrize("where", ["user_text", "reply", "transcript"])
def test_the_no_card_numbers_check_fails_on_a_card_in_comma_or_word_form(where):
    leaked = _result(**{where: "It's forty one eleven, eleven eleven, eleven eleven, eleven eleven."})
    clean = _result(**{where: "My card number is [CARD], and I'd like 25,000 dollars over 60 months."})

    assert check_no_card_numbers(leaked).passed is False
    assert where in check_no_card_numbers(leaked).detail
    assert check_no_card_numbers(clean).passed is True


def test_the_no_card_numbers_check_reads_the_events_too():
    from orchestrator.events import DialogReply

    event = DialogReply(session_id="s", turn=1, user_text="4111. 1111. 1111. 1111.", text="ok", intent="x",
                        slots={}, state="start", ms=1.0, backend="rules")
    result = _result(events=[event])

    check = check_no_card_numbers(result)
    assert check.passed is False and "events" in check.detail
    assert json.loads(json.dumps(event.model_dump(mode="json")))["user_text"] == "4111. 1111. 1111. 1111."
