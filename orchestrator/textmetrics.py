"""Word error rate with light normalisation, so "$25,000" and "25000 dollars" agree.

Hesitations ("um", "uh") are dropped on both sides, as Whisper's own English
normaliser does: a recogniser that leaves out a caller's "um" made no error.
"""

from __future__ import annotations

import re

from orchestrator.nlu.numbers import digitize

__all__ = ["HESITATIONS", "normalize_words", "wer"]

_PUNCT_RE = re.compile(r"[^\w\s%$.]")
HESITATIONS = frozenset({"um", "umm", "uh", "uhm", "er", "erm", "hmm", "mm", "mhm"})


def normalize_words(text: str) -> list[str]:
    """Lower-case words with punctuation dropped and numbers written as digits."""
    text = digitize(text.lower())
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 25,000 -> 25000
    text = re.sub(r"\$(\d[\d.]*)", r"\1 dollars", text)
    text = text.replace("%", " percent")
    text = text.replace("'", "").replace("\u2019", "")
    text = _PUNCT_RE.sub(" ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    return [_canonical(w) for w in text.split() if w not in HESITATIONS]


def _canonical(word: str) -> str:
    """One spelling per token: "dollar" -> "dollars", "6.50" -> "6.5"."""
    if word == "dollar":
        return "dollars"
    if re.fullmatch(r"\d+\.\d+", word):
        return word.rstrip("0").rstrip(".")
    return word


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
