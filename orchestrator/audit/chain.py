"""The audit chain's on-disk format: lines, their MACs, the two-slot head, and reading a log's tail.

A line is one JSON object: ``v``, ``session``, ``seq``, ``prev`` (the MAC of
the line before, ``GENESIS`` for the first), ``kid`` (the key id), ``event``
and ``mac``. The head file is two 512-byte slots, each a padded JSON head
(``session``, ``seq``, ``last``: the MAC of line ``seq``, ``kid``, ``mac``);
head ``seq`` lives in slot ``seq % 2``. The writer updates one slot in place
(no rename per line: a rename costs a journal flush on ext4), so a crash
mid-update can tear at most that slot and the other still holds the head
one line back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.audit.key import AuditKey
from orchestrator.sessions.ids import SESSION_ID_PATTERN, session_file

__all__ = [
    "FORMAT",
    "GAP_TYPE",
    "GENESIS",
    "SLOT_BYTES",
    "Slot",
    "audit_paths",
    "blank_slot",
    "chain_ids",
    "head_slot",
    "line_mac",
    "read_slots",
    "tail",
]

FORMAT = 2
GENESIS = "0" * 64
# The event of a line the writer adds when it finds the chain damaged: evidence no later append can hide.
GAP_TYPE = "audit_gap"
SLOT_BYTES = 512
_LINE = b"voicebot-audit-line\x00"
_HEAD = b"voicebot-audit-head\x00"
_LOG_SUFFIX, _HEAD_SUFFIX = ".audit.jsonl", ".audit.head"
_TAIL_CHUNK = 64 * 1024


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def line_mac(key: AuditKey, session: str, seq: int, prev: str, event: Any) -> str:
    """The MAC of one line: binds the session, its place in the chain, the line before and the event."""
    return key.mac(_LINE, _canonical({"session": session, "seq": seq, "prev": prev, "event": event}))


def _head_mac(key: AuditKey, session: str, seq: int, last: str) -> str:
    return key.mac(_HEAD, _canonical({"session": session, "seq": seq, "last": last}))


def head_slot(key: AuditKey, session: str, seq: int, last: str) -> bytes:
    """The bytes of the slot that records line ``seq`` (MAC ``last``) as the chain's end."""
    text = json.dumps({"v": FORMAT, "session": session, "seq": seq, "last": last, "kid": key.key_id,
                       "mac": _head_mac(key, session, seq, last)}, sort_keys=True)
    return text.encode("utf-8").ljust(SLOT_BYTES - 1) + b"\n"


def blank_slot() -> bytes:
    """A slot nothing was written to yet."""
    return b" " * (SLOT_BYTES - 1) + b"\n"


@dataclass(frozen=True, slots=True)
class Slot:
    """One head slot as read: authentic (``seq`` and ``last`` set), blank, or not authentic (``problem``)."""

    index: int
    seq: int | None = None
    last: str | None = None
    blank: bool = False
    problem: str = ""

    @property
    def valid(self) -> bool:
        """True when the slot is an authentic head of this session."""
        return self.seq is not None


def _slot(index: int, raw: bytes, key: AuditKey, session: str) -> Slot:
    if raw == blank_slot():
        return Slot(index, blank=True)
    try:
        data = json.loads(raw)
    except ValueError:
        return Slot(index, problem="the head file is unreadable or not a keyed head")
    if not isinstance(data, dict):
        return Slot(index, problem="the head file is unreadable or not a keyed head")
    seq, last, mac, owner, kid = (data.get(k) for k in ("seq", "last", "mac", "session", "kid"))
    if not (type(seq) is int and seq >= 0 and isinstance(last, str) and isinstance(mac, str)
            and isinstance(owner, str) and isinstance(kid, str)):
        return Slot(index, problem="the head file is unreadable or not a keyed head")
    if owner != session:
        return Slot(index, problem=f"the head belongs to session {owner[:64]!r}")
    if kid != key.key_id:
        return Slot(index, problem=f"the head was signed with another key (key id {kid[:16]}; this key is "
                                   f"{key.key_id})")
    if _head_mac(key, session, seq, last) != mac:
        return Slot(index, problem="the head does not match its MAC (edited, or forged without the key)")
    if seq % 2 != index:
        return Slot(index, problem="a head slot was moved")
    return Slot(index, seq=seq, last=last)


def read_slots(path: Path, key: AuditKey, session: str) -> tuple[Slot, Slot] | None:
    """Both slots of a head file, or None when there is no head file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(data) != 2 * SLOT_BYTES:
        bad = Slot(0, problem="the head file is unreadable or not a keyed head")
        return bad, Slot(1, problem=bad.problem)
    return _slot(0, data[:SLOT_BYTES], key, session), _slot(1, data[SLOT_BYTES:], key, session)


def audit_paths(audit_dir: Path, session_id: str) -> tuple[Path, Path]:
    """The session's chain and head files (the id is validated)."""
    return session_file(audit_dir, session_id, _LOG_SUFFIX), session_file(audit_dir, session_id, _HEAD_SUFFIX)


def chain_ids(audit_dir: Path) -> list[str]:
    """Every session with a chain or a head file, sorted."""
    if not audit_dir.is_dir():
        return []
    found = set()
    for path in audit_dir.iterdir():
        for suffix in (_LOG_SUFFIX, _HEAD_SUFFIX):
            stem = path.name.removesuffix(suffix)
            if stem != path.name and SESSION_ID_PATTERN.fullmatch(stem):
                found.add(stem)
    return sorted(found)


def tail(fd: int, end: int) -> tuple[bytes | None, int]:
    """The last complete line of the file (without its newline) and the length of a torn fragment after it."""
    buf, pos = b"", end
    while pos > 0:
        step = min(_TAIL_CHUNK, pos)
        pos -= step
        buf = os.pread(fd, step, pos) + buf
        cut = buf.rfind(b"\n")
        if cut < 0:
            continue
        start = buf.rfind(b"\n", 0, cut)
        if start >= 0 or pos == 0:
            return buf[start + 1 : cut], len(buf) - cut - 1
    return None, len(buf)  # no newline at all: only a torn first line
