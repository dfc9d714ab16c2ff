"""Admission for turns: a bounded queue in front of the models, first come, first served.

A service process runs at most ``concurrency`` turns at once (the models share
the cores; more at once only makes every caller wait longer for the first
word). The others wait in arrival order, however long that takes: a slow turn
is not a lost one. Only when ``max_waiting`` turns are already waiting is a
new one refused, at once, with 503 ``busy`` and a ``Retry-After``: the one
backpressure signal, never a silent drop.

A turn gives its slot back as soon as its first reply piece is out
(``Admission.release``): what a caller waits for is the first word, and the
rest of the reply is synthesised far faster than it plays, so it need not
hold a queued caller back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from orchestrator.service.problems import ServiceProblemError

__all__ = ["Admission", "TurnGate"]


class Admission:
    """A turn's slot: held from admission until ``release`` (or the end of its block), given back once."""

    def __init__(self, gate: TurnGate) -> None:
        self._gate = gate
        self.released = False

    def release(self) -> None:
        """Give the slot to the next turn in line; later calls do nothing."""
        if not self.released:
            self.released = True
            self._gate.running -= 1
            self._gate._slots.release()


class TurnGate:
    """At most ``concurrency`` turns in, at most ``max_waiting`` queued; past that, ``busy``."""

    def __init__(self, concurrency: int, max_waiting: int) -> None:
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self._slots = asyncio.Semaphore(concurrency)  # waiters are woken in FIFO order
        self.waiting = 0
        self.running = 0

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[Admission]:
        """Wait for a slot (in turn) and hold it for the block, or until its ``release``.

        Raises ``ServiceProblemError`` 503 ``busy`` if the queue is full."""
        if self.waiting >= self.max_waiting and self._slots.locked():
            raise ServiceProblemError(
                503, "busy", f"the service is at capacity: {self.running} turn(s) running, {self.waiting} waiting; "
                "try again shortly", retry_after=max(1, self.waiting // max(1, self.concurrency)),
            )
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        admission = Admission(self)
        try:
            yield admission
        finally:
            admission.release()

    def describe(self) -> dict[str, int]:
        """What /readyz reports of the queue."""
        return {"running": self.running, "waiting": self.waiting, "concurrency": self.concurrency,
                "max_waiting": self.max_waiting}
