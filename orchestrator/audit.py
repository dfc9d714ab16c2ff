"""A tamper-evident audit trail: one append-only, hash-chained log per session.

Each line holds a sequence number, the previous line's hash, the (already
redacted) event, and its own hash: ``sha256(prev_hash + canonical JSON of
seq and event)``. A head file keeps the last sequence number and hash, so
cutting lines off the end is caught too. ``verify`` recomputes the chain and
names the first line that was edited, deleted or moved.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.events import Event
from orchestrator.sessions.ids import session_file

__all__ = ["GENESIS", "AuditSink", "VerifyResult", "verify_audit"]

GENESIS = "0" * 64


def _digest(prev: str, seq: int, event: dict[str, Any]) -> str:
    body = json.dumps({"seq": seq, "event": event}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


def _replace(path: Path, text: str) -> None:
    # Temporary file then rename (no fsync: a turn writes a dozen events and must stay fast;
    # a head that lags after a crash is accepted by ``verify_audit``).
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _paths(audit_dir: Path, session_id: str) -> tuple[Path, Path]:
    return session_file(audit_dir, session_id, ".audit.jsonl"), session_file(audit_dir, session_id, ".audit.head")


class AuditSink:
    """A tracer sink that appends each event to its session's chain (safe across processes)."""

    def __init__(self, audit_dir: Path) -> None:
        self.audit_dir = audit_dir
        audit_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        log, head = _paths(self.audit_dir, event.session_id)
        payload = event.model_dump(mode="json")
        with self._lock, log.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # another process may be appending to the same session
            try:
                seq, prev = self._tail(head)
                digest = _digest(prev, seq + 1, payload)
                line = json.dumps({"seq": seq + 1, "prev": prev, "hash": digest, "event": payload},
                                  sort_keys=True, ensure_ascii=False)
                handle.write(line + "\n")
                handle.flush()
                _replace(head, json.dumps({"seq": seq + 1, "hash": digest}))
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _tail(head: Path) -> tuple[int, str]:
        if not head.exists():
            return 0, GENESIS
        data = json.loads(head.read_text(encoding="utf-8"))
        return int(data["seq"]), str(data["hash"])


@dataclass(frozen=True)
class VerifyResult:
    """The chain's verdict: ``ok``, how many lines, and the first problem."""

    ok: bool
    lines: int
    bad_line: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"ok": self.ok, "lines": self.lines, "bad_line": self.bad_line, "reason": self.reason}


def verify_audit(audit_dir: Path, session_id: str) -> VerifyResult:
    """Recompute the chain of one session; raises ``FileNotFoundError`` if it has no audit log."""
    log, head = _paths(audit_dir, session_id)
    if not log.exists():
        raise FileNotFoundError(f"no audit log for session {session_id!r}")
    prev, expected_seq, count = GENESIS, 1, 0
    hashes = {0: GENESIS}
    with log.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            count = number
            try:
                entry = json.loads(raw)
                seq, event, stated_prev, stated = int(entry["seq"]), entry["event"], entry["prev"], entry["hash"]
            except (ValueError, KeyError, TypeError):
                return VerifyResult(False, number, number, "not a valid audit line")
            if seq != expected_seq:
                return VerifyResult(False, number, number, f"sequence {seq} where {expected_seq} was due "
                                                           "(a line was deleted or moved)")
            if stated_prev != prev:
                return VerifyResult(False, number, number, "does not chain to the line before it")
            if _digest(prev, seq, event) != stated:
                return VerifyResult(False, number, number, "its content does not match its hash (edited)")
            prev, expected_seq = stated, expected_seq + 1
            hashes[seq] = stated
    if not head.exists():
        return VerifyResult(False, count, None, "the head file is missing")
    try:
        head_data = json.loads(head.read_text(encoding="utf-8"))
    except ValueError:
        return VerifyResult(False, count, None, "the head file is unreadable")
    head_seq = head_data.get("seq")
    if not isinstance(head_seq, int) or head_seq > count:
        return VerifyResult(False, count, count + 1, f"the chain ends at line {count} but the head records "
                                                     f"line {head_seq} (lines were cut off the end)")
    if head_data.get("hash") != hashes.get(head_seq):
        return VerifyResult(False, count, head_seq or None, "the line the head records does not match it")
    # A head one line behind is a process killed between the append and the head update.
    return VerifyResult(True, count, reason="" if head_seq == count else f"head {count - head_seq} line(s) behind")
