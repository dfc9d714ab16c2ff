"""Lookup latency of the semantic cache at a given size, the embedding included (``voicebot bench``).

Filler entries are random unit vectors (built in milliseconds, and the
worst case for IVF, which relies on clusters); each timed query has one
real entry (its paraphrase, embedded by the real encoder) among them, so
the lookups do the whole work of a hit: redaction, signature, embedding,
search and the exact re-check.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from orchestrator.cache.encoders import SentenceEncoder
from orchestrator.cache.entry import CacheEntry, new_entry_id
from orchestrator.cache.semantic import SemanticCache
from orchestrator.cache.stores import MemoryCacheStore

__all__ = ["BENCH_QUESTIONS", "lookup_bench"]

# (cached question, the question a later caller asks)
BENCH_QUESTIONS = [
    ("What documents do I need to open an account?", "Which documents are required to open a bank account?"),
    ("What documents do I need to apply for a loan?", "What paperwork is needed for a loan application?"),
    ("What fees do you charge?", "What are your fees?"),
    ("How much does an international transfer cost?", "What is the fee for an international transfer?"),
    ("I forgot my online banking password", "How do I reset my online banking password?"),
    ("How do I change my PIN?", "How can I change my card PIN?"),
    ("Where is the nearest branch?", "Where can I find a branch near me?"),
    ("I want a mortgage", "I'd like to get a mortgage"),
]
_SCOPE = "bench"


def _entry(question: str) -> CacheEntry:
    now = time.time()
    return CacheEntry.model_construct(
        id=new_entry_id(), scope=_SCOPE, question=question, signature=[], vector="", reply="(bench)", intent="faq",
        slots={}, state="start", figures={}, memory_delta={}, cost_ms=0.0, created_at=now, expires_at=now + 3600,
    )


def lookup_bench(encoder: SentenceEncoder, size: int, *, rounds: int = 3, threshold: float = 0.78) -> dict[str, Any]:
    """p50/p95 ms of ``probe`` over ``size`` entries, and how many of the paraphrases hit."""
    rng = np.random.default_rng(0)
    filler = max(0, size - len(BENCH_QUESTIONS))
    vectors = rng.standard_normal((filler, encoder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    real = encoder.encode([cached for cached, _ in BENCH_QUESTIONS])
    entries = [_entry(f"filler {i}") for i in range(filler)] + [_entry(c) for c, _ in BENCH_QUESTIONS]
    cache = SemanticCache(encoder, MemoryCacheStore(), threshold=threshold, ttl_s=3600, scope=_SCOPE)
    start = time.perf_counter()
    cache.replace_all(entries, np.concatenate([vectors, real]))
    build_s = time.perf_counter() - start
    cache.probe(BENCH_QUESTIONS[0][1], {})  # warm-up: first call pays one-off costs
    times, embed, hits = [], [], 0
    for _ in range(rounds):
        for _cached, asked in BENCH_QUESTIONS:
            t = time.perf_counter()
            probe = cache.probe(asked, {})
            times.append((time.perf_counter() - t) * 1000.0)
            hits += probe.hit
            t = time.perf_counter()
            encoder.encode([asked])  # the embedding alone: the rest of p50 is signature + search
            embed.append((time.perf_counter() - t) * 1000.0)
    return {
        "entries": size,
        "index": cache.index_kind,
        "index_build_s": round(build_s, 2),
        "p50": round(statistics.median(times), 2),
        "p95": round(float(np.percentile(times, 95)), 2),
        "embedding_p50": round(statistics.median(embed), 2),
        "lookups": len(times),
        "hit_rate": round(hits / len(times), 3),
    }
