"""orchestrator.events and orchestrator.trace: the event vocabulary, redaction, sinks and the bus."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pydantic
import pytest

from orchestrator.compliance import CARD_MASK
from orchestrator.events import (
    AudioReceived,
    Backchannel,
    CacheLookup,
    ConsentChanged,
    DialogReply,
    Endpoint,
    ErrorEvent,
    EventBase,
    Interrupted,
    LLMCall,
    NoiseSegment,
    RecordingStored,
    SilencedSpan,
    Speculation,
    SpeechEnded,
    Transcript,
    TTSAudio,
    TTSChunk,
    TurnEnded,
    TurnStarted,
    parse_event,
)
from orchestrator.trace import EventBus, JsonlSink, Tracer, read_jsonl

CARD = "4111 1111 1111 1111"


def sample_events(session_id: str = "s-1", turn: int = 1) -> list[EventBase]:
    """One event of every type, in pipeline order."""
    common = {"session_id": session_id, "turn": turn}
    return [
        TurnStarted(**common, input_kind="audio", backends={"stt": "fake", "tts": "fake", "llm": "rules"}),
        AudioReceived(**common, duration_s=2.5, sample_rate=44_100, channels=2, speech_s=1.9, ms=12.5),
        Transcript(**common, text="hello", confidence=0.93, ms=101.0, backend="fake"),
        DialogReply(
            **common,
            user_text="hello",
            text="Hi.",
            intent="greeting",
            slots={"principal": "25000", "term_months": 60},
            state="start",
            ms=0.4,
            backend="rules",
        ),
        LLMCall(**common, backend="mistral", model="mistral-small-latest", round=0, attempt=1, ok=True, ms=310.0,
                first_token_ms=120.0, prompt_tokens=410, completion_tokens=35, tool_calls=["loan_quote"]),
        TTSChunk(**common, index=0, text="Hi.", ms=20.0, audio_s=0.3, cached=True),
        TTSAudio(
            **common, first_audio_ms=20.0, total_ms=21.0, audio_s=0.3, chunks=1, sample_rate=22_050, backend="fake"
        ),
        CacheLookup(**common, cache_hit=True, reason="hit", similarity=0.91, threshold=0.78, lookup_ms=14.2,
                    ms_saved=640.0, entry_id="0" * 32, index="flat"),
        ConsentChanged(**common, consent=False, how="withdrawal", deleted_recordings=2),
        RecordingStored(**common, kept=True, outcome="silenced", file="s-1-t0001-caller.wav", ms=612.0,
                        spans=[SilencedSpan(start_ms=1180, end_ms=4020, kind="card")]),
        ErrorEvent(**common, stage="stt", category="timeout", message="too slow", retryable=True),
        TurnEnded(
            **common, ok=True, total_ms=140.0, timings_ms={"stt": 101.0, "total": 140.0}, voice_to_voice_ms=130.0
        ),
        # Hands-free turn-taking (orchestrator/realtime).
        Speculation(**common, used=True, reason="used", stt_ms=310.0, audio_ms=1800.0),
        SpeechEnded(**common, at_ms=2100.0, speech_ms=1700.0, pauses=1),
        Endpoint(**common, delay_ms=416.0, stop_ms=400.0, verdict="complete", speculative=True),
        NoiseSegment(**common, duration_ms=96.0, reason="too_short"),
        Backchannel(**common, text="Uh-huh.", duration_ms=300.0, paused_ms=650.0),
        Interrupted(**common, heard_ms=1210.0, heard_text="Your monthly", reply_ms=6000.0, stop_ms=190.0),
    ]


# -- events -------------------------------------------------------------------------------


def test_the_samples_cover_every_event_type():
    assert {type(e) for e in sample_events()} == set(EventBase.__subclasses__())


@pytest.mark.parametrize("event", sample_events(), ids=lambda e: e.type)
def test_every_event_type_round_trips_through_json(event):
    line = event.model_dump_json()

    back = parse_event(line)

    assert type(back) is type(event)
    assert back == event


@pytest.mark.parametrize("event", sample_events(), ids=lambda e: e.type)
def test_every_event_type_round_trips_through_a_dict_and_bytes(event):
    assert parse_event(json.loads(event.model_dump_json())) == event
    assert parse_event(event.model_dump_json().encode()) == event


def test_the_union_picks_the_class_from_the_type_field():
    data = {
        "session_id": "s", "turn": 3, "type": "transcript", "text": "hi", "confidence": 0.5, "ms": 1.0, "backend": "x"
    }

    event = parse_event(data)

    assert isinstance(event, Transcript)
    assert event.turn == 3


def test_an_unknown_event_type_is_rejected():
    with pytest.raises(pydantic.ValidationError):
        parse_event({"session_id": "s", "turn": 1, "type": "made_up"})


def test_fields_of_another_event_type_are_rejected():
    with pytest.raises(pydantic.ValidationError):
        parse_event(
            {"session_id": "s", "turn": 1, "type": "turn_started", "input_kind": "text", "backends": {}, "text": "x"}
        )


def test_events_are_immutable():
    event = sample_events()[0]

    with pytest.raises(pydantic.ValidationError):
        event.turn = 5  # type: ignore[misc]


@pytest.mark.parametrize("confidence", [-0.1, 1.1])
def test_a_transcript_confidence_outside_zero_to_one_is_rejected(confidence):
    with pytest.raises(pydantic.ValidationError):
        Transcript(session_id="s", turn=1, text="x", confidence=confidence, ms=1.0, backend="x")


def test_a_negative_turn_number_is_rejected():
    with pytest.raises(pydantic.ValidationError):
        TurnStarted(session_id="s", turn=-1, input_kind="text", backends={})


def test_every_event_is_stamped_with_wall_and_monotonic_time():
    before = TurnStarted(session_id="s", turn=1, input_kind="text", backends={})
    after = TurnStarted(session_id="s", turn=1, input_kind="text", backends={})

    assert before.wall_time.tzinfo is not None
    assert after.mono_time >= before.mono_time


# -- tracer --------------------------------------------------------------------------------


def a_reply_with_a_card(session_id: str = "s-1") -> DialogReply:
    return DialogReply(
        session_id=session_id,
        turn=1,
        user_text=f"my card is {CARD}",
        text="ok",
        intent="x",
        slots={"card": CARD},
        state="start",
        ms=1.0,
        backend="rules",
    )


def test_the_tracer_redacts_before_any_sink_sees_the_event():
    seen: list[EventBase] = []
    tracer = Tracer([seen.append])

    returned = tracer.emit(a_reply_with_a_card())

    assert len(seen) == 1
    assert CARD not in seen[0].model_dump_json()
    assert seen[0].user_text == f"my card is {CARD_MASK}"
    assert returned == seen[0]


def test_a_failing_sink_does_not_stop_the_other_sinks():
    before: list[EventBase] = []
    after: list[EventBase] = []

    def broken(_event: EventBase) -> None:
        raise RuntimeError("disk full")

    tracer = Tracer([before.append, broken, after.append])

    tracer.emit(sample_events()[0])

    assert len(before) == 1 and len(after) == 1


def test_sinks_added_later_receive_later_events():
    seen: list[EventBase] = []
    tracer = Tracer()
    tracer.emit(sample_events()[0])

    tracer.add_sink(seen.append)
    tracer.emit(sample_events()[1])

    assert [e.type for e in seen] == ["audio_received"]


# -- JSONL sink --------------------------------------------------------------------------------


@pytest.fixture
def jsonl_sink(tmp_path: Path):
    sink = JsonlSink(tmp_path / "logs")
    yield sink
    sink.close()


def test_the_jsonl_sink_writes_one_line_per_event_to_the_sessions_file(jsonl_sink, tmp_path: Path):
    events = sample_events("s-1")
    for event in events:
        jsonl_sink(event)
    jsonl_sink(sample_events("s-2")[0])

    path = tmp_path / "logs" / "s-1.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(events)
    assert [parse_event(line) for line in lines] == events
    assert len((tmp_path / "logs" / "s-2.jsonl").read_text(encoding="utf-8").splitlines()) == 1
    assert list(read_jsonl(path)) == events


def test_the_jsonl_sink_file_name_comes_from_the_validated_session_id(jsonl_sink, tmp_path: Path):
    assert jsonl_sink.path_for("abc") == (tmp_path / "logs" / "abc.jsonl").resolve()


def test_a_jsonl_log_written_through_the_tracer_holds_no_card_number(jsonl_sink, tmp_path: Path):
    Tracer([jsonl_sink]).emit(a_reply_with_a_card())

    text = (tmp_path / "logs" / "s-1.jsonl").read_text(encoding="utf-8")
    assert CARD not in text and CARD.replace(" ", "") not in text
    assert CARD_MASK in text


def test_a_closed_jsonl_sink_writes_nothing_more(tmp_path: Path):
    sink = JsonlSink(tmp_path / "logs")
    sink(sample_events()[0])
    sink.close()

    sink(sample_events()[1])

    assert len((tmp_path / "logs" / "s-1.jsonl").read_text().splitlines()) == 1


def test_read_jsonl_skips_a_torn_last_line(tmp_path: Path):
    events = sample_events()[:3]
    path = tmp_path / "s-1.jsonl"
    whole = [e.model_dump_json() for e in events]
    torn = sample_events()[3].model_dump_json()[:40]
    path.write_text("\n".join(whole) + "\n" + torn, encoding="utf-8")

    assert list(read_jsonl(path)) == events


def test_read_jsonl_skips_blank_and_foreign_lines(tmp_path: Path):
    events = sample_events()[:2]
    path = tmp_path / "s-1.jsonl"
    path.write_text(
        "\n".join(
            ["", events[0].model_dump_json(), "not json", '{"type": "other"}', "[1, 2]", events[1].model_dump_json()]
        ),
        encoding="utf-8",
    )

    assert list(read_jsonl(path)) == events


def test_read_jsonl_of_a_missing_file_yields_nothing(tmp_path: Path):
    assert list(read_jsonl(tmp_path / "nope.jsonl")) == []


# -- event bus -------------------------------------------------------------------------------------


def test_the_bus_delivers_to_all_subscribers_and_filters_by_session():
    bus = EventBus()
    everything: list[EventBase] = []
    only_s1: list[EventBase] = []
    bus.subscribe(everything.append)
    bus.subscribe(only_s1.append, session_id="s-1")

    bus(sample_events("s-1")[0])
    bus(sample_events("s-2")[0])

    assert [e.session_id for e in everything] == ["s-1", "s-2"]
    assert [e.session_id for e in only_s1] == ["s-1"]


def test_an_unsubscribed_callback_gets_nothing_more():
    bus = EventBus()
    seen: list[EventBase] = []
    unsubscribe = bus.subscribe(seen.append)
    bus(sample_events()[0])

    unsubscribe()
    unsubscribe()  # a second call is harmless
    bus(sample_events()[1])

    assert len(seen) == 1


def test_unsubscribing_one_callback_keeps_the_others():
    bus = EventBus()
    a: list[EventBase] = []
    b: list[EventBase] = []
    stop_a = bus.subscribe(a.append)
    bus.subscribe(b.append)

    stop_a()
    bus(sample_events()[0])

    assert a == [] and len(b) == 1


async def test_the_bus_queue_feeds_an_asyncio_consumer_even_from_another_thread():
    bus = EventBus()
    queue, unsubscribe = bus.queue("s-1")
    events = sample_events("s-1")[:2]

    await asyncio.to_thread(bus, events[0])
    bus(sample_events("s-2")[0])
    bus(events[1])

    got = [await asyncio.wait_for(queue.get(), 5), await asyncio.wait_for(queue.get(), 5)]
    assert got == events
    unsubscribe()
    bus(events[0])
    await asyncio.sleep(0)
    assert queue.empty()


async def test_the_bus_works_as_a_tracer_sink():
    bus = EventBus()
    seen: list[EventBase] = []
    bus.subscribe(seen.append, "s-1")

    Tracer([bus]).emit(a_reply_with_a_card("s-1"))

    assert seen[0].user_text == f"my card is {CARD_MASK}"
