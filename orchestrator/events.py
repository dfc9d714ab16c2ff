"""The one event vocabulary: every fact about a turn is one of these.

Logs, UI steps, the CLI's output, replay and metrics are all derived from
this stream. Each event is a pydantic model with a ``type`` literal; the
``Event`` union is discriminated on it, so ``parse_event`` gets back the
right class from a JSON line.

A turn emits, in order::

    turn_started
    audio_received          (audio turns only)
    transcript              (audio turns only)
    recording_stored        (audio turns whose voice policy keeps: kept, personal data silenced, or not kept)
    llm_call ...            (LLM backends: one per request, retries included)
    error                   (recovered=True: an LLM failure the rules answer stood in for)
    consent_changed         (the caller answered the recording question, or withdrew consent)
    dialog_reply
    tts_chunk ...           (one per spoken sentence or clause; a streaming dialog's
                             first chunks come before its dialog_reply)
    tts_audio               (the totals for the turn)
    cache_lookup            (semantic cache on: hit, or why not; a hit's dialog_reply has backend "cache")
    turn_ended
    error                   (instead of the remaining stages, then turn_ended)

A hands-free stream (``orchestrator.realtime``) adds, around its turns::

    speculation             (speech-to-text run during a pause: used at the endpoint, or dropped)
    speech_ended            (the caller's voice stopped and stayed stopped)
    endpoint                (the turn was ended: how long after the speech, and why then)
    segment_noise           (a stretch of sound that became no turn, and why)
    backchannel             (a short "uh-huh" over the reply: playback paused, then carried on)
    interrupted             (the caller barged in: how much of the reply was heard)

A turn cut short (barge-in: its task was cancelled) ends with a ``turn_ended``
whose ``cut`` is true and whose ``reached`` names the stage it was in.

Events are built without ``session_id`` and ``turn``: the turn's trace stamps
them when it emits them (``orchestrator.turn.context``). ``PLACES`` says where
each event belongs, once, for the logs, metrics, traces and renderers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import Field, TypeAdapter

from orchestrator.eventbase import EventBase
from orchestrator.voice_events import ConsentChanged, RecordingOutcome, RecordingStored, SilencedSpan

__all__ = [
    "PLACES", "STAGES", "TIMINGS", "AnyEvent", "AudioReceived", "Backchannel", "CacheLookup", "ConsentChanged",
    "DialogReply",
    "DialogSource", "Endpoint", "ErrorEvent", "Event", "EventBase", "InputKind", "Interrupted", "LLMCall", "LogStage",
    "NoiseSegment", "Place", "RecordingOutcome", "RecordingStored", "SilencedSpan", "Speculation", "SpeechEnded",
    "Stage", "TTSAudio", "TTSChunk", "Transcript", "TurnEnded", "TurnStarted", "closes_stage", "event_ms",
    "event_stage", "parse_event",
]

# Where a turn can fail (or be cut).
Stage = Literal["input", "audio", "stt", "dialog", "tts", "pipeline"]
# Where an event shows in the logs: a stage, or "turn" for turn_started / turn_ended;
# "listen" holds the hands-free stream's turn-taking events (around its turns).
LogStage = Literal["turn", "input", "audio", "stt", "dialog", "tts", "pipeline", "listen"]
STAGES: tuple[LogStage, ...] = get_args(LogStage)
InputKind = Literal["text", "audio"]
# Who wrote a reply: the rules dialog or another backend (""), an LLM, the rules standing in for it, the cache.
DialogSource = Literal["", "llm", "rules", "cache"]


class TurnStarted(EventBase):
    """A turn began; says which input kind and which backends serve it."""

    type: Literal["turn_started"] = "turn_started"
    input_kind: InputKind
    backends: dict[str, str]


class AudioReceived(EventBase):
    """Caller audio decoded: its source format and what is left after trimming."""

    type: Literal["audio_received"] = "audio_received"
    duration_s: float
    sample_rate: int
    channels: int
    speech_s: float
    ms: float
    # Logs from before ``recording_stored``: the file name of the caller's audio kept for replays.
    recording: str | None = None


class Transcript(EventBase):
    """Speech-to-text result."""

    type: Literal["transcript"] = "transcript"
    text: str
    confidence: float = Field(ge=0.0, le=1.0)
    ms: float
    backend: str


class DialogReply(EventBase):
    """The dialog step's answer, with its understanding of the caller."""

    type: Literal["dialog_reply"] = "dialog_reply"
    user_text: str
    text: str
    intent: str
    slots: dict[str, Any]
    state: str
    ms: float
    backend: str
    # Figures quoted in ``text`` (payment, apr, total, ...) as strings of Decimals.
    figures: dict[str, str] = Field(default_factory=dict)
    # "llm" or "rules" when an LLM backend served the turn (rules = its fallback answered), "cache" on a hit.
    source: DialogSource = ""
    # Figures an LLM said that no tool result or word of the caller backed; the rules answer replaced them.
    flagged_figures: list[str] = Field(default_factory=list)
    # The LoRA adapter that served this turn (None: the base model).
    adapter: str | None = None
    # Domain functions the reply's figures come from: [{name, args, ok}] (rules and LLM dialogs alike).
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)


class LLMCall(EventBase):
    """One request to the LLM server: which model, which try, how it ended, how long, how many tokens."""

    type: Literal["llm_call"] = "llm_call"
    backend: str
    model: str
    round: int = Field(ge=0)
    attempt: int = Field(ge=1)
    ok: bool
    ms: float
    status: int | None = None
    category: str | None = None
    first_token_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tool_calls: list[str] = Field(default_factory=list)


class TTSChunk(EventBase):
    """One synthesized piece of the reply (a sentence or a leading clause)."""

    type: Literal["tts_chunk"] = "tts_chunk"
    index: int = Field(ge=0)
    text: str
    ms: float
    audio_s: float
    # True when the audio came from the fixed-phrase cache instead of the voice.
    cached: bool = False


class TTSAudio(EventBase):
    """Totals for the turn's speech output."""

    type: Literal["tts_audio"] = "tts_audio"
    first_audio_ms: float
    total_ms: float
    audio_s: float
    chunks: int
    sample_rate: int
    backend: str


class ErrorEvent(EventBase):
    """A stage failed; the turn ends without the stages after it."""

    type: Literal["error"] = "error"
    stage: Stage
    category: str
    message: str
    retryable: bool
    # True when the turn still answered (an LLM failure the rules dialog stood in for).
    recovered: bool = False


class CacheLookup(EventBase):
    """The semantic cache's verdict on the turn: a hit (the dialog was skipped) or why not.

    ``reason``: hit, miss, slots_differ (as similar, other figures), topic_differs (another FAQ), stale
    (made by another version of the FAQ, dialog, adapter or package), or why no lookup ran: state (dialog
    not neutral), personal:<kind>, consent, empty, long, error.
    """

    type: Literal["cache_lookup"] = "cache_lookup"
    cache_hit: bool
    reason: str
    similarity: float | None = None  # best cosine among this dialog's entries (None: no lookup ran)
    threshold: float
    lookup_ms: float  # embedding + search
    ms_saved: float = 0.0  # on a hit: what the answer cost when it was made, minus this turn's cost
    entry_id: str | None = None
    stored: bool = False  # on a miss: this turn's answer became an entry
    index: Literal["flat", "ivf"] | None = None


# The keys ``TurnEnded.timings_ms`` may hold: each stage's milliseconds, the first reply audio's, the turn's.
TIMINGS = ("audio", "stt", "dialog", "tts", "tts_first_audio", "total")


class TurnEnded(EventBase):
    """A turn finished, successfully or not, with its per-stage timings."""

    type: Literal["turn_ended"] = "turn_ended"
    ok: bool
    total_ms: float
    timings_ms: dict[str, float]
    # End of the caller's audio (or text) to the first reply audio being ready.
    voice_to_voice_ms: float | None = None
    # True when the turn was cancelled (barge-in) before it finished; ``reached`` is the stage it was in.
    cut: bool = False
    reached: Stage | None = None
    # True when the caller went on and the turn's words joined the next one: the dialog kept its state.
    called_off: bool = False


class SpeechEnded(EventBase):
    """Hands-free: the caller's voice stopped (the end of speech the endpoint delay counts from)."""

    type: Literal["speech_ended"] = "speech_ended"
    at_ms: float  # stream time of the end of speech (ms of audio since the microphone opened)
    speech_ms: float  # from the utterance's first voice to its end, pauses included
    pauses: int = Field(default=0, ge=0)  # pauses inside the utterance that did not end it


class Endpoint(EventBase):
    """Hands-free: the caller's turn was ended, ``delay_ms`` of audio after the end of speech.

    ``verdict``: complete (the stop delay ran out on a finished-sounding utterance), incomplete:<cue>
    (mid-thought, e.g. a trailing "and": the longer wait ran out), mic_off or max_length.
    """

    type: Literal["endpoint"] = "endpoint"
    delay_ms: float
    stop_ms: float  # the wait in force: VOICEBOT_ENDPOINT_STOP_MS, or VOICEBOT_ENDPOINT_HOLD_MS when mid-thought
    verdict: str
    speculative: bool  # the transcript was ready from the speculation during the pause


class Speculation(EventBase):
    """Hands-free: speech-to-text run during the caller's pause, then used at the endpoint or dropped."""

    type: Literal["speculation"] = "speculation"
    used: bool
    reason: Literal["used", "speech_resumed", "superseded"]
    stt_ms: float | None = None  # None: dropped before it finished
    audio_ms: float  # length of the audio it transcribed


class NoiseSegment(EventBase):
    """Hands-free: a stretch of sound that became no turn, and why (``reason``): too_short
    (under the shortest utterance), no_words (speech-to-text heard nothing) or low_confidence."""

    type: Literal["segment_noise"] = "segment_noise"
    duration_ms: float
    reason: str
    text: str = ""


class Backchannel(EventBase):
    """A short "uh-huh" or "okay" over the reply: playback paused for it, then carried on."""

    type: Literal["backchannel"] = "backchannel"
    text: str
    duration_ms: float
    paused_ms: float  # playback stop sent to playback resumed
    confidence: float | None = None  # the recogniser's, on what it made of the burst
    no_speech: float | None = None  # its estimate that the burst held no speech


class Interrupted(EventBase):
    """The caller barged in: the reply's playback was stopped and the rest of it dropped."""

    type: Literal["interrupted"] = "interrupted"
    heard_ms: float  # how much of the reply's audio had played
    heard_text: str  # the words of the reply the caller had heard
    reply_ms: float  # the reply audio made before the cut
    stop_ms: float  # barge-in speech onset to the playback stop being sent


Event = Annotated[
    TurnStarted
    | AudioReceived
    | Transcript
    | DialogReply
    | LLMCall
    | TTSChunk
    | TTSAudio
    | CacheLookup
    | ConsentChanged
    | RecordingStored
    | ErrorEvent
    | TurnEnded
    | SpeechEnded
    | Endpoint
    | Speculation
    | NoiseSegment
    | Backchannel
    | Interrupted,
    Field(discriminator="type"),
]

# Any one event type, kept as its own type through a generic call (``Tracer.emit`` returns what it is given).
AnyEvent = TypeVar(
    "AnyEvent",
    TurnStarted, AudioReceived, Transcript, DialogReply, LLMCall,
    TTSChunk, TTSAudio, CacheLookup, ConsentChanged, RecordingStored, ErrorEvent, TurnEnded,
    SpeechEnded, Endpoint, Speculation, NoiseSegment, Backchannel, Interrupted,
)

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


@dataclass(frozen=True, slots=True)
class Place:
    """Where an event belongs: its stage, the field holding the milliseconds it reports, and whether
    those are the whole stage's time (one span, one timing) rather than a part of it."""

    stage: LogStage
    ms_field: str | None = None
    closes: bool = False


# The one event -> stage map. An error belongs to the stage that failed (its own ``stage``).
PLACES: dict[type[EventBase], Place] = {
    TurnStarted: Place("turn"),
    AudioReceived: Place("audio", "ms", closes=True),
    Transcript: Place("stt", "ms", closes=True),
    LLMCall: Place("dialog", "ms"),
    DialogReply: Place("dialog", "ms", closes=True),
    CacheLookup: Place("dialog", "lookup_ms"),
    ConsentChanged: Place("dialog"),
    RecordingStored: Place("audio", "ms"),
    TTSChunk: Place("tts"),
    TTSAudio: Place("tts", "total_ms", closes=True),
    ErrorEvent: Place("pipeline"),
    TurnEnded: Place("turn", "total_ms"),
    SpeechEnded: Place("listen"),
    Endpoint: Place("listen", "delay_ms"),
    Speculation: Place("listen"),
    NoiseSegment: Place("listen"),
    Backchannel: Place("listen", "paused_ms"),
    Interrupted: Place("listen", "stop_ms"),
}


def event_stage(event: EventBase) -> LogStage:
    """The stage an event belongs to (one of ``STAGES``)."""
    return event.stage if isinstance(event, ErrorEvent) else PLACES[type(event)].stage


def event_ms(event: EventBase) -> float | None:
    """The milliseconds an event reports for its stage, if any."""
    field = PLACES[type(event)].ms_field
    return None if field is None else float(getattr(event, field))


def closes_stage(event: EventBase) -> bool:
    """True when the event's milliseconds are its whole stage's."""
    return PLACES[type(event)].closes


def parse_event(data: str | bytes | dict[str, Any]) -> Event:
    """Rebuild a typed event from a JSON line or a dict."""
    if isinstance(data, dict):
        return _ADAPTER.validate_python(data)
    return _ADAPTER.validate_json(data)
