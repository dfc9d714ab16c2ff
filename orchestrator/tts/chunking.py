"""Split a reply into pieces for sentence-by-sentence speech.

Each sentence is one piece. The first sentence is further cut at its first
clause boundary when it is long, because the caller hears nothing until
the first piece is synthesized.
"""

from __future__ import annotations

import re

__all__ = ["split_for_speech", "split_sentences"]

# A sentence ends at . ! or ? followed by space and a capital, digit, $ or quote;
# "6.5" and "$489.15" have no space after the dot, so they never split.
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9$\"'(])")
_CLAUSE_RE = re.compile(r"(?<=[,;:])\s+|\s+(?:-|\u2013|\u2014)\s+")  # hyphen, en and em dash
_LONG_FIRST_WORDS = 7
_MIN_CLAUSE_WORDS = 3


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped."""
    return [s.strip() for s in _SENTENCE_RE.split(text.strip()) if s.strip()]


def split_for_speech(text: str) -> list[str]:
    """Sentences of ``text``, with a long first sentence cut at its first clause."""
    sentences = split_sentences(text)
    if not sentences:
        return []
    first = sentences[0]
    if len(first.split()) > _LONG_FIRST_WORDS:
        for match in _CLAUSE_RE.finditer(first):
            head, tail = first[: match.start()].strip(), first[match.end():].strip()
            if len(head.split()) >= _MIN_CLAUSE_WORDS and tail:
                return [head, tail, *sentences[1:]]
    return sentences
