"""The writer: a tracer sink appending each event to its session's chain, safe across threads and processes.

Each append holds an exclusive ``flock`` on the log, so processes sharing a
session never interleave. The writer takes its place in the chain from the
log's own last line, checked against the head; a torn last line (a crash
mid-append) is cut off first. If the chain was damaged behind its back (the
head missing, not authentic, ahead of the log or more than a line behind),
the writer appends an ``audit_gap`` line under the key saying what it
found, so no later append can hide the damage. Lines are not fsynced one by
one (a turn emits a dozen, on the event loop); the log and head are synced
when a turn ends.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from orchestrator.audit.chain import (
    FORMAT,
    GAP_TYPE,
    GENESIS,
    SLOT_BYTES,
    audit_paths,
    blank_slot,
    head_slot,
    line_mac,
    read_slots,
    tail,
)
from orchestrator.audit.key import AuditKey
from orchestrator.events import Event, TurnEnded
from orchestrator.fsutil import atomic_write_bytes

__all__ = ["AuditSink"]

_KNOWN_TAILS = 1024  # sessions whose chain end this process remembers


class AuditSink:
    """Append every (already redacted) event to its session's chain under ``key``."""

    def __init__(self, audit_dir: Path, key: AuditKey) -> None:
        self.audit_dir = audit_dir
        self.key = key
        audit_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # session -> (stamp of both files, seq, mac) after our last append, so an unchanged chain is not
        # re-read; any change to either file by anyone else sends the next append the careful way.
        self._tails: OrderedDict[str, tuple[tuple[int, ...], int, str]] = OrderedDict()

    def __call__(self, event: Event) -> None:
        sid = event.session_id
        log, head = audit_paths(self.audit_dir, sid)
        payload = event.model_dump(mode="json")
        durable = isinstance(event, TurnEnded)
        with self._lock:
            fd = os.open(log, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # another process may be appending to the same session
                seq, prev, found = self._link(fd, sid, head)
                if found:
                    seq += 1
                    prev = self._append(fd, sid, seq, prev, {"type": GAP_TYPE, "found": found})
                    self._write_slot(head, sid, seq, prev, durable=False)
                mac = self._append(fd, sid, seq + 1, prev, payload)
                if durable:
                    os.fdatasync(fd)  # the log before the head: a synced head never records an unsynced line
                head_info = self._write_slot(head, sid, seq + 1, mac, durable=durable)
                self._remember(sid, self._stamp(os.fstat(fd), head_info), seq + 1, mac)
            finally:
                os.close(fd)  # releases the lock

    def _append(self, fd: int, sid: str, seq: int, prev: str, payload: Any) -> str:
        mac = line_mac(self.key, sid, seq, prev, payload)
        line = {"v": FORMAT, "session": sid, "seq": seq, "prev": prev, "kid": self.key.key_id,
                "event": payload, "mac": mac}
        view = memoryview((json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
        while view:
            view = view[os.write(fd, view):]
        return mac

    def _write_slot(self, head: Path, sid: str, seq: int, last: str, *, durable: bool) -> os.stat_result:
        fd = os.open(head, os.O_WRONLY)
        try:
            os.pwrite(fd, head_slot(self.key, sid, seq, last), (seq % 2) * SLOT_BYTES)
            if durable:
                os.fdatasync(fd)
            return os.fstat(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _stamp(log: os.stat_result, head: os.stat_result | None) -> tuple[int, ...]:
        if head is None:
            return log.st_size, log.st_ino
        return log.st_size, log.st_ino, head.st_ino, head.st_size, head.st_mtime_ns

    def _remember(self, sid: str, stamp: tuple[int, ...], seq: int, mac: str) -> None:
        self._tails[sid] = (stamp, seq, mac)
        self._tails.move_to_end(sid)
        while len(self._tails) > _KNOWN_TAILS:
            self._tails.popitem(last=False)

    def _link(self, fd: int, sid: str, head: Path) -> tuple[int, str, str]:
        """The (seq, MAC) the next line chains onto, and what was found wrong with the chain ('' if nothing)."""
        known = self._tails.get(sid)
        if known is not None:
            try:
                if known[0] == self._stamp(os.fstat(fd), os.stat(head)):
                    return known[1], known[2], ""
            except FileNotFoundError:
                pass
        size = os.fstat(fd).st_size
        last, fragment = tail(fd, size)
        if fragment:
            # A crash cut the last append short; the head never covered it, so it is not part of the chain.
            os.ftruncate(fd, size - fragment)
        seq, mac, prev = _fields(last)
        slots = read_slots(head, self.key, sid)
        if slots is None:
            atomic_write_bytes(head, head_slot(self.key, sid, 0, GENESIS) + blank_slot())
            if last is None:
                return 0, GENESIS, ""  # a new chain
            return (seq, mac, f"the head was missing with the chain at line {seq}") if seq is not None and mac \
                else (0, GENESIS, "the head was missing and the last line was not a valid audit line")
        valid = [s for s in slots if s.seq is not None]
        top_seq, top_last = max(((s.seq, s.last) for s in valid), key=lambda t: t[0] or 0, default=(None, None))
        if seq is None or mac is None or prev is None:
            if last is None and top_seq == 0:
                return 0, GENESIS, ""  # a head before the first line
            found = "the last line was not a valid audit line" if last is not None else "the chain was empty"
            if top_seq is None or top_last is None:
                return 0, GENESIS, f"{found} and its head was not authentic"
            return top_seq, top_last, f"{found} but its head recorded line {top_seq}"
        if top_seq is None:
            return seq, mac, f"the head was not authentic with the chain at line {seq}"
        if top_seq == seq and top_last == mac:
            return seq, mac, ""
        if top_seq == seq - 1 and top_last == prev:
            self._write_slot(head, sid, seq, mac, durable=False)  # finish the head update a crash cut short
            return seq, mac, ""
        return seq, mac, f"the chain ended at line {seq} but its head recorded line {top_seq}"

def _fields(line: bytes | None) -> tuple[int | None, str | None, str | None]:
    """(seq, mac, prev) of a chain line, or Nones when it is not one."""
    if line is None:
        return None, None, None
    try:
        entry = json.loads(line)
    except ValueError:
        return None, None, None
    if not isinstance(entry, dict):
        return None, None, None
    seq, mac, prev = entry.get("seq"), entry.get("mac"), entry.get("prev")
    if type(seq) is int and isinstance(mac, str) and isinstance(prev, str):
        return seq, mac, prev
    return None, None, None
