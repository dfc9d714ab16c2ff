"""What ``voicebot cache-manager`` does, without the CLI: stats, listing, warm-up, export and import.

Hit rate, lookup times and time saved come from the ``cache_lookup`` events
in the logs (the one event stream), so they cover every process that
logged under the same ``VOICEBOT_HOME``; the entry counts come from the store.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from orchestrator.cache.entry import CacheEntry, decode_vector
from orchestrator.cache.keys import personal_data
from orchestrator.cache.policy import memory_delta, policy_for
from orchestrator.cache.semantic import SemanticCache, refusal
from orchestrator.cache.stores import CacheStore
from orchestrator.compliance import redact
from orchestrator.errors import InputError
from orchestrator.events import CacheLookup
from orchestrator.fsutil import atomic_write_text, read_text_lines
from orchestrator.llm.base import DialogBackend
from orchestrator.logquery import LogFilter, iter_events

__all__ = ["LOOKUP_REASONS", "entry_row", "export_entries", "import_entries", "read_questions", "stats", "warm"]

# Reasons of the lookups that searched the index (the others never embedded the question).
LOOKUP_REASONS = frozenset({"hit", "miss", "slots_differ", "topic_differs", "stale", "disclosure"})


def entry_row(entry: CacheEntry) -> dict[str, Any]:
    """One entry for ``list``/``search`` (no vector)."""
    return {
        "id": entry.id,
        "scope": entry.scope,
        "version": entry.version,
        "made_by": entry.made_by,
        "intent": entry.intent,
        "question": entry.question,
        "reply": entry.reply,
        "signature": entry.signature,
        "state": entry.state,
        "cost_ms": entry.cost_ms,
        "ttl_left_s": round(entry.ttl_left_s(), 1),
    }


def stats(store: CacheStore, logs_dir: Path, *, index_kind: str | None = None) -> dict[str, Any]:
    """Entries (from the store) and lookups, hit rate, p50 lookup ms, ms saved (from the logs)."""
    entries = [e for e in store.load() if not e.expired()]
    events = [e for e in iter_events(logs_dir, LogFilter()) if isinstance(e, CacheLookup)]
    searched = [e for e in events if e.reason in LOOKUP_REASONS]
    hits = [e for e in events if e.cache_hit]
    lookup_ms = [e.lookup_ms for e in searched]
    return {
        "store": store.description,
        "entries": len(entries),
        "by_intent": dict(sorted(Counter(e.intent for e in entries).items())),
        "by_scope": dict(sorted(Counter(e.scope for e in entries).items())),
        "index": index_kind,
        "turns_seen": len(events),
        "lookups": len(searched),
        "hits": len(hits),
        "hit_rate": round(len(hits) / len(searched), 4) if searched else None,
        "lookup_ms_p50": round(statistics.median(lookup_ms), 2) if lookup_ms else None,
        "ms_saved_total": round(sum(e.ms_saved for e in hits), 1),
        "stored": sum(e.stored for e in events),
        "not_looked_up": dict(sorted(Counter(e.reason for e in events if e.reason not in LOOKUP_REASONS).items())),
    }


def read_questions(path: Path) -> list[str]:
    """Questions to warm with: one per line (``#`` comments), or JSON Lines with a ``text`` field."""
    lines = read_text_lines(path)
    questions: list[str] = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("{"):
            try:
                text = str(json.loads(text)["text"]).strip()
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{path}:{number}: a JSON line needs a \"text\" field") from None
        questions.append(text)
    if not questions:
        raise InputError(f"{path} holds no questions")
    return questions


def warm(cache: SemanticCache, dialog: DialogBackend, questions: Iterable[str]) -> list[dict[str, Any]]:
    """Ask ``dialog`` each question as a fresh session's first question; store what policy allows."""
    results = []
    for question in questions:
        memory: dict[str, Any] = {}
        probe = cache.probe(question, memory)
        row: dict[str, Any] = {"question": probe.question, "stored": False}
        if probe.hit:
            row["why"] = "already cached"
        elif not probe.looked_up:
            row["why"] = probe.reason
        else:
            turn = dialog.reply(probe.question, dict(memory))
            entry, why = cache.remember(
                probe, intent=turn.intent, reply=turn.text, state=turn.state, slots=turn.slots,
                figures=turn.figures, memory_delta=memory_delta(memory, turn.memory),
            )
            row.update(stored=entry is not None, why=why, intent=turn.intent)
        results.append(row)
    return results


def export_entries(store: CacheStore, path: Path) -> int:
    """Write every live entry to ``path`` as JSON Lines (atomically); how many."""
    entries = [e for e in store.load() if not e.expired()]
    atomic_write_text(path, "".join(e.model_dump_json() + "\n" for e in entries))
    return len(entries)


def _import_problem(entry: CacheEntry, dim: int) -> str | None:
    try:
        decode_vector(entry.vector, dim)
    except ValueError as exc:
        return f"bad vector: {exc}"
    if entry.expired():
        return "expired"
    if not policy_for(entry.intent).cacheable:
        return f"policy:{entry.intent}"
    if (why := refusal(entry.question)) is not None:
        return why
    if redact(entry.reply) != entry.reply or personal_data(entry.reply) == "redacted":
        return "personal:reply"
    return None


def import_entries(cache: SemanticCache, path: Path) -> dict[str, Any]:
    """Add the entries of an export, each checked again; InputError for a file that is not one."""
    lines = read_text_lines(path)
    known = {e.id for e in cache.entries(include_expired=True)}
    good: list[CacheEntry] = []
    skipped: Counter[str] = Counter()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = CacheEntry.model_validate_json(line)
        except ValidationError as exc:
            raise InputError(f"{path}:{number}: not a cache entry ({exc.errors()[0]['msg']})") from None
        why = "duplicate" if entry.id in known else _import_problem(entry, cache.encoder.dim)
        if why is not None:
            skipped[why] += 1
            continue
        known.add(entry.id)
        good.append(entry)
    cache.add(good)
    return {"imported": len(good), "skipped": dict(sorted(skipped.items()))}
