"""What the caller heard of a cut reply is redacted like any other text in the event stream."""

from __future__ import annotations

from orchestrator.compliance import redact_event
from orchestrator.events import Interrupted


def test_what_the_caller_heard_of_a_cut_reply_is_redacted_like_any_other_text() -> None:
    event = Interrupted(session_id="s1", turn=1, heard_ms=900.0, heard_text="your card 4111 1111 1111 1111",
                        reply_ms=3000.0, stop_ms=200.0)
    assert "4111 1111" not in redact_event(event).heard_text


def test_the_log_and_monitor_render_each_hands_free_event_as_a_readable_line() -> None:
    from orchestrator.cli.render import event_line
    from orchestrator.events import Backchannel, Endpoint, NoiseSegment, Speculation, SpeechEnded

    common = {"session_id": "s1", "turn": 2}
    lines = [
        event_line(SpeechEnded(**common, at_ms=2100.0, speech_ms=1700.0, pauses=1)),
        event_line(Endpoint(**common, delay_ms=416.0, stop_ms=400.0, verdict="complete", speculative=True)),
        event_line(Speculation(**common, used=False, reason="speech_resumed", audio_ms=800.0)),
        event_line(NoiseSegment(**common, duration_ms=96.0, reason="too_short")),
        event_line(Backchannel(**common, text="Uh-huh.", duration_ms=300.0, paused_ms=650.0)),
        event_line(Interrupted(**common, heard_ms=1210.0, heard_text="Your monthly", reply_ms=6000.0, stop_ms=190.0)),
    ]
    assert "speech ended at 2100.0 ms" in lines[0]
    assert "endpoint 416.0 ms after speech (complete" in lines[1]
    assert "speculation speech_resumed" in lines[2]
    assert "no turn: too_short" in lines[3]
    assert "paused 650.0 ms" in lines[4]
    assert "1210.0 of 6000.0 ms heard: 'Your monthly'" in lines[5]
