"""The semantic cache: is this question one we have answered before, in a way that still holds?

A *hit* needs all of:

1. the session's dialog memory is neutral (``policy.is_neutral``);
2. the question holds no personal data and is not a consent answer (``keys``);
3. an entry made by the same dialog backend (its *scope*) under the same
   *version* of everything that made the answer (``versions.maker``: FAQ,
   phrases and templates, dialog and model, adapter, package), not expired,
4. whose question has the **same slot signature** (amounts, rates, terms,
   every number, currency, product, negation) and, when the entry is an
   FAQ's own answer, asks no other FAQ, and
5. whose cosine similarity to the question reaches the threshold
   (``VOICEBOT_CACHE_THRESHOLD``), or ``VOICEBOT_CACHE_TOPIC_THRESHOLD``
   when both ask that FAQ (``keys.judge``).

Signatures are compared exactly, so "a loan of 10,000" can never hit "a loan
of 100,000" however close their embeddings are. Answers are stored only
when the intent's policy allows it (``policy.INTENT_POLICIES``), from a
neutral turn, with no personal data in the question or the answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orchestrator.cache.encoders import SentenceEncoder
from orchestrator.cache.entry import CacheEntry, decode_vector, encode_vector, new_entry_id
from orchestrator.cache.index import APPROX_MIN_ENTRIES, IndexKind, VectorIndex
from orchestrator.cache.keys import Signature, faq_topic, judge, personal_data, slot_signature, verbatim_topic
from orchestrator.cache.policy import is_neutral, policy_for
from orchestrator.cache.stores import CacheStore
from orchestrator.compliance import consent_in, redact

__all__ = ["MAX_QUESTION_CHARS", "Probe", "SemanticCache"]

# Longer utterances are stories, not FAQs; they are not worth an embedding.
MAX_QUESTION_CHARS = 300
_CANDIDATES = 16


@dataclass(frozen=True, slots=True)
class Probe:
    """The outcome of one lookup.

    ``reason`` is ``hit``, ``miss`` (nothing similar enough), ``slots_differ``
    (similar, but other figures), ``stale`` (it would have hit, but the
    answer was made by another version of the FAQ, dialog, adapter or
    package), or why no lookup ran: ``state``, ``personal:<kind>``,
    ``consent``, ``empty``, ``long``.
    """

    question: str
    reason: str
    scope: str = ""
    version: str = ""
    signature: Signature = ()
    topic: str | None = None
    vector: np.ndarray | None = field(default=None, repr=False)
    entry: CacheEntry | None = None
    similarity: float | None = None
    ms: float = 0.0

    @property
    def hit(self) -> bool:
        """True when ``entry`` answers the question."""
        return self.entry is not None

    @property
    def looked_up(self) -> bool:
        """True when the question was embedded and searched (it may be stored on a miss)."""
        return self.vector is not None


def refusal(question: str) -> str | None:
    """Why a question may not be cached or served, or None when it may."""
    if not question:
        return "empty"
    if len(question) > MAX_QUESTION_CHARS:
        return "long"
    if consent_in(question) is not None:
        return "consent"  # the pipeline records consent on the way to the dialog
    kind = personal_data(question)
    return f"personal:{kind}" if kind else None


class SemanticCache:
    """Embeddings + faiss over a shared store; thread-safe."""

    def __init__(
        self,
        encoder: SentenceEncoder,
        store: CacheStore,
        *,
        threshold: float,
        ttl_s: float,
        scope: str,
        version: str = "",
        topic_threshold: float | None = None,
        approx_min: int = APPROX_MIN_ENTRIES,
    ) -> None:
        self.encoder = encoder
        self.version = version
        self.store = store
        self.threshold = threshold
        # None: no lower bar for questions on the same FAQ.
        self.topic_threshold = threshold if topic_threshold is None else topic_threshold
        self.ttl_s = ttl_s
        self.scope = scope
        self._approx_min = approx_min
        self._lock = threading.RLock()
        self._entries: list[CacheEntry] = []
        self._index = VectorIndex(encoder.dim, approx_min=approx_min)
        self._version: str | None = None

    # -- sync with the store ----------------------------------------------------------------------

    def refresh(self, *, force: bool = False) -> None:
        """Re-read the store when another process (or worker) changed it."""
        version = self.store.version()
        with self._lock:
            if not force and version == self._version:
                return
            entries = [e for e in self.store.load() if not e.expired()]
            vectors = np.stack([decode_vector(e.vector, self.encoder.dim) for e in entries]) if entries else \
                np.zeros((0, self.encoder.dim), dtype=np.float32)
            self._index = VectorIndex(self.encoder.dim, approx_min=self._approx_min)
            self._index.rebuild(vectors)
            self._entries = entries
            self._version = version

    def replace_all(self, entries: list[CacheEntry], vectors: np.ndarray) -> None:
        """Serve exactly ``entries`` (rows of ``vectors``) in this process, without the store (for the bench)."""
        if len(entries) != len(vectors):
            raise ValueError("one vector per entry")
        index = VectorIndex(self.encoder.dim, approx_min=self._approx_min)
        index.rebuild(vectors)
        with self._lock:
            self._index, self._entries, self._version = index, list(entries), self.store.version()

    @property
    def index_kind(self) -> IndexKind:
        """``flat`` or ``ivf``."""
        return self._index.kind

    def entries(self, *, include_expired: bool = False) -> list[CacheEntry]:
        """Every entry this process sees (after a refresh)."""
        self.refresh()
        with self._lock:
            return [e for e in self._entries if include_expired or not e.expired()]

    # -- lookups -----------------------------------------------------------------------------------

    def embed(self, text: str) -> np.ndarray:
        """One unit vector for ``text``."""
        return self.encoder.encode([text])[0]

    def probe(
        self, text: str, memory: Mapping[str, Any] | None = None, *, scope: str | None = None,
        version: str | None = None,
    ) -> Probe:
        """Look ``text`` up for a session whose dialog memory is ``memory`` (None: a fresh session).

        ``scope`` and ``version`` (default: the cache's) name the dialog that would answer and the
        version of what it answers from; only entries made by both count.
        """
        start = time.perf_counter()
        scope = self.scope if scope is None else scope
        version = self.version if version is None else version
        question = redact(" ".join(text.split()))
        if memory is not None and not is_neutral(memory):
            return Probe(question, "state", scope, version)
        if (why := refusal(question)) is not None:
            return Probe(question, why, scope, version)
        self.refresh()
        signature = slot_signature(question)
        topic = faq_topic(question)
        vector = self.embed(question)
        entry, similarity, reason = self._nearest(vector, signature, topic, scope, version)
        ms = (time.perf_counter() - start) * 1000.0
        return Probe(question, reason, scope, version, signature, topic, vector, entry, similarity, ms)

    def _nearest(
        self, vector: np.ndarray, signature: Signature, topic: str | None, scope: str, version: str
    ) -> tuple[CacheEntry | None, float | None, str]:
        now = time.time()
        best: float | None = None
        reason = "miss"
        floor = min(self.threshold, self.topic_threshold)
        with self._lock:
            for position, _approx in self._index.search(vector, _CANDIDATES):
                entry = self._entries[position]
                if entry.scope != scope or entry.expired(now):
                    continue
                similarity = float(np.dot(self._index.vector(position), vector))  # exact, whatever the index
                best = similarity if best is None else max(best, similarity)
                if similarity < floor:
                    continue
                verdict = judge(
                    similarity, threshold=self.threshold, topic_threshold=self.topic_threshold,
                    signatures=(tuple(entry.signature), signature), topics=(entry.topic, topic),
                )
                if verdict == "hit" and entry.version != version:
                    reason = "stale"  # yesterday's FAQ, dialog, adapter or package made it: never served
                    continue
                if verdict == "hit":
                    return entry, round(similarity, 4), "hit"
                if verdict != "miss" and similarity >= self.threshold and reason != "stale":
                    reason = verdict  # similar enough, but other figures or another FAQ
        return None, None if best is None else round(best, 4), reason

    def search(self, text: str, k: int = 5) -> list[tuple[CacheEntry, float]]:
        """The ``k`` entries nearest to ``text`` (any scope, signature or threshold), best first."""
        self.refresh()
        vector = self.embed(redact(text))
        with self._lock:
            found = self._index.search(vector, max(k, 1))
            return [(self._entries[p], round(float(np.dot(self._index.vector(p), vector)), 4)) for p, _ in found][:k]

    # -- storing -----------------------------------------------------------------------------------

    def remember(
        self,
        probe: Probe,
        *,
        intent: str,
        reply: str,
        state: str,
        slots: Mapping[str, Any] | None = None,
        figures: Mapping[str, str] | None = None,
        memory_delta: Mapping[str, Any] | None = None,
        cost_ms: float = 0.0,
        made_by: Mapping[str, str] | None = None,
        source: str | None = None,
    ) -> tuple[CacheEntry | None, str]:
        """Store the answer to a probed question if policy allows; (entry, "stored") or (None, why not)."""
        policy = policy_for(intent)
        if not policy.cacheable:
            return None, f"policy:{intent}"
        if probe.vector is None:
            return None, probe.reason
        if probe.hit:
            return None, "already cached"
        if memory_delta is None:
            return None, "memory"
        if not reply.strip() or redact(reply) != reply or personal_data(reply) == "redacted":
            return None, "personal:reply"
        now = time.time()
        entry = CacheEntry(
            id=new_entry_id(),
            scope=probe.scope or self.scope,
            version=probe.version,
            made_by=dict(made_by or {}),
            source=source,
            question=probe.question,
            signature=list(probe.signature),
            topic=verbatim_topic(probe.topic, reply),
            vector=encode_vector(probe.vector),
            reply=reply,
            intent=intent,
            slots=dict(slots or {}),
            state=state,
            figures=dict(figures or {}),
            memory_delta=dict(memory_delta),
            cost_ms=round(max(cost_ms, 0.0), 1),
            created_at=now,
            expires_at=now + policy.ttl_s(self.ttl_s),
        )
        self.add([entry])
        return entry, "stored"

    def add(self, entries: Iterable[CacheEntry]) -> int:
        """Store entries (already checked) here and in the shared store."""
        new = list(entries)
        if not new:
            return 0
        self.refresh()
        self.store.add(new)
        with self._lock:
            self._index.add(np.stack([decode_vector(e.vector, self.encoder.dim) for e in new]))
            self._entries.extend(new)
            # Our own write moved the version; another worker's write in between is read on its next change.
            self._version = self.store.version()
        return len(new)

    def clear(self) -> int:
        """Delete every entry everywhere."""
        count = self.store.clear()
        self.refresh(force=True)
        return count
