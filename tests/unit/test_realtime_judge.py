"""Turn-taking judgements on a speculative transcript: finished or mid-thought, backchannel or not."""

from __future__ import annotations

import pytest

from orchestrator.realtime import is_backchannel, turn_completion


@pytest.mark.parametrize(
    "text",
    [
        "I'd like to borrow $25,000 over 5 years at 6.5%.",
        "I'd like to borrow $25,000.",
        "What are your opening hours?",
        "Yes, I do.",
        "Can I log in?",
        "36",  # a lone figure answers a question
        "Thank you.",
    ],
)
def test_a_finished_sounding_turn_is_complete(text: str) -> None:
    assert turn_completion(text).complete, turn_completion(text)


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("I'd like to borrow $25,000 and", "incomplete:trailing:and"),
        ("I'd like to borrow $25,000 over.", "incomplete:trailing:over"),  # Whisper's full stop is no evidence
        ("I'd like to borrow, um", "incomplete:filler:um"),
        ("I'd like to borrow.", "incomplete:trailing:borrow"),  # Whisper drops the "um" that followed
        ("I'd like to borrow 25.", "incomplete:number"),  # "twenty five ..." still being said
        ("over five years at six point", "incomplete:number"),
        ("at twenty", "incomplete:number"),
        ("So I was thinking...", "incomplete:trailing_off"),
        ("The loan for my \u2014", "incomplete:trailing_off"),
    ],
)
def test_a_turn_left_mid_thought_is_incomplete_with_its_cue(text: str, verdict: str) -> None:
    assert turn_completion(text).verdict == verdict


@pytest.mark.parametrize("text", ["Uh-huh.", "Mm-hmm", "Okay.", "okay okay", "Right.", "Yeah.", "Ah.", "M M", ""])
def test_a_listeners_noises_and_acknowledgements_are_backchannels(text: str) -> None:
    assert is_backchannel(text)


@pytest.mark.parametrize("text", ["Yes.", "No.", "Stop.", "Thank you.", "Okay, so what about the rate?", "Wait"])
def test_answers_and_requests_are_not_backchannels(text: str) -> None:
    assert not is_backchannel(text)
