"""Choose the cosine threshold from labelled question pairs: hit rate against false-hit rate.

A pairs file is JSON Lines: ``{"a": ..., "b": ..., "hit": true|false, "kind": ...}``.
``a`` plays the cached question, ``b`` the new one; ``hit`` says whether
``b`` should be answered with ``a``'s answer. ``tune_pairs.jsonl`` ships
with the package: FAQ and loan paraphrases that should hit, and near
duplicates that must not (other amounts, rates, terms, names, account
details, or another question).

Each pair goes through the same gates as a live turn (personal data,
consent, signature, FAQ topic) before the similarity is compared with each
threshold; a pair both on the same FAQ needs only ``topic_threshold``
(``keys.judge``), whatever the threshold tried. The pairs are judged as the
``rules`` dialog's entries: an FAQ question's cached reply is the FAQ's answer.
The recommendation is the threshold with the best hit rate among the safe
ones (no false hit there, nor within ``margin`` below it), the highest such
threshold on a tie; None if no threshold is safe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.cache.encoders import SentenceEncoder
from orchestrator.cache.keys import faq_topic, judge, slot_signature
from orchestrator.cache.semantic import refusal
from orchestrator.compliance import redact
from orchestrator.errors import InputError
from orchestrator.fsutil import read_text_lines

__all__ = ["SHIPPED_PAIRS", "LabelledPair", "load_pairs", "thresholds_between", "tune"]

SHIPPED_PAIRS = Path(__file__).with_name("tune_pairs.jsonl")


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """Two questions and whether the second should be answered from the first."""

    a: str
    b: str
    hit: bool
    kind: str = ""


def load_pairs(path: Path | None = None) -> list[LabelledPair]:
    """The pairs in ``path`` (default: the shipped file); InputError names the bad line."""
    path = path or SHIPPED_PAIRS
    lines = read_text_lines(path, "the pairs file")
    pairs: list[LabelledPair] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            pair = LabelledPair(str(data["a"]), str(data["b"]), data["hit"], str(data.get("kind", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: not a pair ({exc}); want {{\"a\", \"b\", \"hit\"}}") from None
        if not isinstance(pair.hit, bool):
            raise InputError(f"{path}:{number}: \"hit\" must be true or false")
        pairs.append(pair)
    if not pairs:
        raise InputError(f"{path} holds no pairs")
    return pairs


def thresholds_between(low: float, high: float, step: float) -> list[float]:
    """Thresholds from ``low`` to ``high`` inclusive."""
    if not 0.0 < low <= high <= 1.0 or step <= 0:
        raise InputError("thresholds need 0 < low <= high <= 1 and step > 0")
    count = round((high - low) / step) + 1
    return [round(low + i * step, 4) for i in range(count)]


def _gated(pair: LabelledPair) -> str | None:
    """Why this pair can never hit whatever the threshold (None: the similarity decides)."""
    a, b = redact(pair.a.strip()), redact(pair.b.strip())
    for text in (a, b):
        if (why := refusal(text)) is not None:
            return why
    verdict = judge(
        1.0, threshold=1.0, topic_threshold=1.0,
        signatures=(slot_signature(a), slot_signature(b)), topics=(faq_topic(a), faq_topic(b)),
    )
    return None if verdict == "hit" else verdict


def tune(
    encoder: SentenceEncoder,
    pairs: list[LabelledPair],
    thresholds: list[float],
    *,
    margin: float = 0.02,
    topic_threshold: float | None = None,
) -> dict[str, Any]:
    """Hit rate and false-hit rate at each threshold, and the recommended one.

    A threshold is *safe* when it and every tried threshold down to ``margin`` below it have no
    false hit, so the recommendation never sits right on the edge of a false hit.
    """
    gates = [_gated(p) for p in pairs]
    va = encoder.encode([redact(p.a.strip()) for p in pairs])
    vb = encoder.encode([redact(p.b.strip()) for p in pairs])
    sims = np.einsum("ij,ij->i", va, vb)
    should = [p.hit for p in pairs]
    rows: list[dict[str, Any]] = []
    topics = [(faq_topic(redact(p.a.strip())), faq_topic(redact(p.b.strip()))) for p in pairs]
    for t in thresholds:
        hits = [
            g is None and judge(
                float(s), threshold=t, topic_threshold=t if topic_threshold is None else topic_threshold,
                signatures=((), ()), topics=topic,
            ) == "hit"
            for g, s, topic in zip(gates, sims, topics, strict=True)
        ]
        true_hits = sum(h and w for h, w in zip(hits, should, strict=True))
        false = [p for p, h in zip(pairs, hits, strict=True) if h and not p.hit]
        positives = sum(should)
        negatives = len(pairs) - positives
        rows.append({
            "threshold": t,
            "hit_rate": round(true_hits / positives, 4) if positives else None,
            "false_hit_rate": round(len(false) / negatives, 4) if negatives else None,
            "false_hits": len(false),
            "false_hit_pairs": [{"a": p.a, "b": p.b, "kind": p.kind} for p in false][:5],
        })
    unsafe = [float(r["threshold"]) for r in rows if r["false_hits"]]
    safe = [r for r in rows if not any(float(r["threshold"]) - margin - 1e-9 <= u <= r["threshold"] for u in unsafe)]
    best = max(safe, key=lambda r: (r["hit_rate"] or 0.0, r["threshold"])) if safe else None
    return {
        "pairs": len(pairs),
        "should_hit": sum(should),
        "must_not_hit": len(pairs) - sum(should),
        "gated": {
            "count": sum(g is not None for g in gates),
            "reasons": sorted({g for g in gates if g is not None}),
        },
        "similarity": [
            {"a": p.a, "b": p.b, "hit": p.hit, "kind": p.kind, "similarity": round(float(s), 4), "gate": g}
            for p, s, g in zip(pairs, sims, gates, strict=True)
        ],
        "thresholds": rows,
        "margin": margin,
        "topic_threshold": topic_threshold,
        "recommended": None if best is None else best["threshold"],
        "recommended_hit_rate": None if best is None else best["hit_rate"],
    }
