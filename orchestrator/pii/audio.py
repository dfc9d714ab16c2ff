"""Where a transcript's personal data was said: its character spans, through word timings, to samples.

``find_pii`` gives spans of the raw transcript; each span is laid on the
words that hold its characters, and those words' times (plus a margin,
since Whisper's word edges drift) become a sample
range of the recording. When any span cannot be placed (no timings, words
that do not spell the transcript, times outside the audio), ``locate``
returns None: the caller then must not keep the audio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from orchestrator.pii.redactor import find_pii
from orchestrator.stt.base import Word

__all__ = ["LEAD_S", "TAIL_S", "Silence", "locate", "silence"]

# Silence this much before a number's first word and after its last. Whisper's word ends come early
# before a pause: with 0.15 s after, Piper's last "seven" of a card was heard again in one run of three.
LEAD_S = 0.2
TAIL_S = 0.4
_SLACK_S = 0.5  # how far past the audio a word's end may fall and still count as inside it


@dataclass(frozen=True, slots=True)
class Silence:
    """Samples ``[start, end)`` of the recording to silence, and the kind of data said there."""

    start: int
    end: int
    kind: str


def _word_chars(text: str, words: Sequence[Word]) -> list[tuple[int, int]] | None:
    """Each word's character span in ``text``, in order; None unless the words spell every letter and digit."""
    spans: list[tuple[int, int]] = []
    at = 0
    for word in words:
        found = text.find(word.text, at)
        if not word.text or found < 0 or any(ch.isalnum() for ch in text[at:found]):
            return None
        spans.append((found, found + len(word.text)))
        at = found + len(word.text)
    return None if any(ch.isalnum() for ch in text[at:]) else spans


def locate(
    text: str, words: Sequence[Word], audio_s: float, *, offset: int = 0, rate: int = 16_000,
    lead_s: float = LEAD_S, tail_s: float = TAIL_S,
) -> list[Silence] | None:
    """The sample ranges of a recording that hold the personal data of ``text``; [] when it has none.

    ``words`` time the audio the recogniser heard, which starts ``offset`` samples into the recording;
    ``audio_s`` is how long that audio is. None: some span could not be placed.
    """
    spans = find_pii(text)
    if not spans:
        return []
    chars = _word_chars(text, words)
    if chars is None:
        return None
    out: list[Silence] = []
    for start, end, kind in spans:
        held = [word for word, (a, b) in zip(words, chars, strict=True) if a < end and b > start]
        if not held or any(not 0.0 <= w.start <= w.end <= audio_s + _SLACK_S for w in held):
            return None
        first = max(0.0, min(w.start for w in held) - lead_s)
        last = min(audio_s, max(w.end for w in held) + tail_s)
        out.append(Silence(offset + int(first * rate), offset + int(np.ceil(last * rate)), kind))
    return _merge(out)


def _merge(ranges: list[Silence]) -> list[Silence]:
    merged: list[Silence] = []
    for item in sorted(ranges, key=lambda r: r.start):
        if merged and item.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Silence(last.start, max(last.end, item.end), last.kind)
        else:
            merged.append(item)
    return merged


def silence(samples: np.ndarray, ranges: Sequence[Silence]) -> np.ndarray:
    """A copy of ``samples`` with every range set to zero."""
    out = np.array(samples, dtype=np.float32, copy=True)
    for item in ranges:
        out[max(0, item.start) : max(0, item.end)] = 0.0
    return out
