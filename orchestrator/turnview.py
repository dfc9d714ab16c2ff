"""One picture of a turn, built from its events: what the CLI, the browser and replay each draw.

``TurnView.add`` is the only place that sorts events by type; the renderers
(``cli/render.py``, ``ui/present.py``, ``replay.py``, ``ui/replay_view.py``)
read the view's fields. A view grows event by event, so a live renderer can
draw a turn while it runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from orchestrator.events import (
    AudioReceived,
    Backchannel,
    CacheLookup,
    ConsentChanged,
    DialogReply,
    Endpoint,
    ErrorEvent,
    Event,
    InputKind,
    Interrupted,
    LLMCall,
    NoiseSegment,
    RecordingStored,
    Speculation,
    SpeechEnded,
    Transcript,
    TTSAudio,
    TTSChunk,
    TurnEnded,
    TurnStarted,
)

__all__ = ["TurnView", "turn_views"]


@dataclass
class TurnView:
    """A turn's events sorted by what they say; ``events`` keeps them in the order they came."""

    session_id: str = ""
    turn: int = 0
    events: list[Event] = field(default_factory=list)
    started: TurnStarted | None = None
    audio: AudioReceived | None = None
    heard: Transcript | None = None
    recording: RecordingStored | None = None  # what was kept of the caller's audio (when policy keeps it)
    llm_calls: list[LLMCall] = field(default_factory=list)
    recovered: list[ErrorEvent] = field(default_factory=list)  # failures the turn still answered through
    reply: DialogReply | None = None
    pieces: list[TTSChunk] = field(default_factory=list)
    speech: TTSAudio | None = None
    cache: CacheLookup | None = None
    consent: ConsentChanged | None = None  # the caller settled whether their voice is kept
    error: ErrorEvent | None = None  # the failure that ended the turn
    listening: list[Event] = field(default_factory=list)  # hands-free turn-taking ("listen" stage)
    ended: TurnEnded | None = None

    @classmethod
    def of(cls, events: Iterable[Event]) -> TurnView:
        """The view of one turn's events."""
        view = cls()
        for event in events:
            view.add(event)
        return view

    def add(self, event: Event) -> None:
        """Take the turn's next event."""
        if not self.events:
            self.session_id, self.turn = event.session_id, event.turn
        self.events.append(event)
        match event:
            case TurnStarted():
                self.started = event
            case AudioReceived():
                self.audio = event
            case Transcript():
                self.heard = event
            case RecordingStored():
                self.recording = event
            case LLMCall():
                self.llm_calls.append(event)
            case ErrorEvent(recovered=True):
                self.recovered.append(event)
            case ErrorEvent():
                self.error = event
            case DialogReply():
                self.reply = event
            case TTSChunk():
                self.pieces.append(event)
            case TTSAudio():
                self.speech = event
            case CacheLookup():
                self.cache = event
            case ConsentChanged():
                self.consent = event
            case TurnEnded():
                self.ended = event
            case SpeechEnded() | Endpoint() | Speculation() | NoiseSegment() | Backchannel() | Interrupted():
                self.listening.append(event)

    @property
    def input_kind(self) -> InputKind | None:
        """What the caller gave: text or audio (None before ``turn_started``)."""
        return self.started.input_kind if self.started is not None else None

    @property
    def recording_file(self) -> str | None:
        """The name of the caller's kept recording of this turn (None: none was kept)."""
        if self.recording is not None:
            return self.recording.file
        return self.audio.recording if self.audio is not None else None

    @property
    def caller(self) -> str | None:
        """What the caller said: the transcript of an audio turn, else the text the dialog got."""
        if self.heard is not None:
            return self.heard.text
        return self.reply.user_text if self.reply is not None else None

    @property
    def errors(self) -> list[ErrorEvent]:
        """Every error of the turn, in order: the recovered ones, then the one that ended it."""
        return [*self.recovered, *([self.error] if self.error is not None else [])]

    @property
    def spoken_text(self) -> str:
        """The reply's pieces that were synthesized, in order (all of it unless the turn was cut)."""
        return " ".join(piece.text for piece in self.pieces)

    @property
    def timings_ms(self) -> dict[str, float]:
        """Per-stage milliseconds, once the turn has ended."""
        return dict(self.ended.timings_ms) if self.ended is not None else {}


def turn_views(events: Iterable[Event]) -> list[TurnView]:
    """Events of any number of turns (and sessions) grouped into views, in the order each turn first appears."""
    views: dict[tuple[str, int], TurnView] = {}
    for event in events:
        key = (event.session_id, event.turn)
        view = views.get(key)
        if view is None:
            view = views[key] = TurnView()
        view.add(event)
    return list(views.values())
