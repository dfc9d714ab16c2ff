"""Turn-taking judgements on a speculative transcript: finished or mid-thought, backchannel or not."""

from __future__ import annotations

import pytest

from orchestrator.realtime.judge import is_backchannel, sounds_like_backchannel, takes_the_turn, turn_completion
from orchestrator.stt.base import Transcription


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


# Backchannels as Whisper (base and tiny.en) wrote them for Piper's hums and for recorded listeners,
# spelt every way it spells them: hyphens or not, run together, letter by letter, repeated.
WHISPER_BACKCHANNELS = [
    "Uh-huh.", "Uh huh", "uh-huh?", "Uh-huh!", "Uh, huh.", "Uhhuh.", "Uh-huh, uh-huh.", "Uh-huh. Uh-huh. Uh-huh.",
    "Mm-hmm.", "Mm-hm", "Mm hmm.", "Mhm.", "Mhm", "Mmhmm.", "Hmm?", "Hm.", "MMM.", "MM", "M.", "M M M", "M H M",
    "Oh.", "Ah.", "Ahh.", "Uh.", "Huh.", "Aha.", "Ha ha.", "Oh, okay.", "Ah, I see.", "Okay.", "OK.", "O.K.",
    "Ok, ok.", "Okay, okay, okay.", "Yeah.", "Yeah, yeah, yeah.", "Yep.", "Yup.", "Right.", "Right, right.",
    "All right.", "Alright.", "I see.", "Got it.", "Sure.", "Mkay.", "", "...",
]
# Words that answer, ask or stop, and hums that mean no: the caller is taking the turn.
WHISPER_TURNS = [
    "Yes.", "No.", "Stop.", "Wait.", "Wait, what?", "Hold on.", "Thank you.", "Bye.", "Goodbye.", "What?",
    "Sorry?", "Uh-uh.", "Mm-mm.", "Nuh-uh.", "In a month.", "Ten.", "Okay, so what about the rate?",
    "Yeah, but what about the rate?", "Uh, what is my balance?", "Right, make it ten years.",
]


@pytest.mark.parametrize("text", WHISPER_BACKCHANNELS)
def test_a_listeners_noises_and_acknowledgements_are_backchannels_however_whisper_spells_them(text: str) -> None:
    assert is_backchannel(text)


@pytest.mark.parametrize("text", WHISPER_TURNS)
def test_answers_requests_and_a_hummed_no_are_not_backchannels(text: str) -> None:
    assert not is_backchannel(text)


@pytest.mark.parametrize(("text", "confidence", "no_speech", "expected"), [
    # Whisper base's guesses at Piper's "Uh-huh." and "Mm-hmm." (measured: 0.25-0.58, no-speech 0.11-0.40)
    ("Bye.", 0.42, 0.14, True),
    ("In a month.", 0.38, 0.17, True),
    ("Ten.", 0.43, 0.50, True),  # ... and at its "Hmm."
    ("In a month.", 0.38, 0.03, True),  # not a word a caller cuts in with, however sure of speech
    ("Bye.", 0.81, 0.2, False),  # said, and heard clearly
    ("Stop.", 0.75, 0.0, False),
    ("Uh-huh.", 0.95, 0.0, True),
    # Whisper tiny is unsure of short words it heard right: speech, by its own estimate
    ("Goodbye.", 0.55, 0.01, False),
    ("Hello?", 0.48, 0.01, False),
    ("Wait, what?", 0.52, 0.05, False),
    ("Bye.", 0.15, 0.01, True),  # too unsure even for that
])
def test_a_word_guessed_with_little_confidence_for_a_short_burst_counts_as_a_hum(
    text: str, confidence: float, no_speech: float, expected: bool
) -> None:
    heard = Transcription(text, confidence, no_speech=no_speech)
    assert sounds_like_backchannel(heard, min_confidence=0.6) is expected


@pytest.mark.parametrize("text", ["MHN", "Mhn.", "M.H.N.", "NMM.", "hmn"])
def test_a_hum_written_as_its_letters_is_a_backchannel(text: str) -> None:
    assert is_backchannel(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Stop.", True), ("Wait, what?", True), ("Goodbye.", True), ("Bye-bye.", True), ("Hang on.", True),
    ("Hello?", True), ("In a month.", False), ("Ten.", False), ("Stop the loan and tell me the rate.", False),
    ("", False),
])
def test_the_words_a_caller_cuts_in_with(text: str, expected: bool) -> None:
    assert takes_the_turn(text) is expected
