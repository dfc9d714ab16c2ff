"""The service's turn queue: bounded, first come first served, and ``busy`` only when it is full."""

from __future__ import annotations

import asyncio

import pytest

from orchestrator.service.gate import TurnGate
from orchestrator.service.problems import ServiceProblemError


def test_turns_past_the_running_limit_wait_in_arrival_order_and_all_run():
    async def scenario() -> list[int]:
        gate = TurnGate(concurrency=1, max_waiting=10)
        order: list[int] = []
        release = asyncio.Event()

        async def turn(n: int) -> None:
            async with gate.admit():
                order.append(n)
                if n == 0:
                    await release.wait()

        tasks = [asyncio.create_task(turn(n)) for n in range(5)]
        await asyncio.sleep(0.01)
        assert (gate.running, gate.waiting) == (1, 4)
        release.set()
        await asyncio.gather(*tasks)
        assert (gate.running, gate.waiting) == (0, 0)
        return order

    assert asyncio.run(scenario()) == [0, 1, 2, 3, 4]


def test_a_turn_past_a_full_queue_is_refused_at_once_with_busy_and_retry_after():
    async def scenario() -> ServiceProblemError:
        gate = TurnGate(concurrency=1, max_waiting=1)
        hold = asyncio.Event()

        async def turn() -> None:
            async with gate.admit():
                await hold.wait()

        tasks = [asyncio.create_task(turn()) for _ in range(2)]  # one runs, one waits
        await asyncio.sleep(0.01)
        with pytest.raises(ServiceProblemError) as refused:
            async with gate.admit():
                pass
        hold.set()
        await asyncio.gather(*tasks)
        async with gate.admit():  # the queue drained: turns are taken again
            pass
        return refused.value

    problem = asyncio.run(scenario())
    assert problem.status == 503 and problem.category == "busy" and (problem.retry_after or 0) >= 1



def test_a_released_slot_admits_the_next_turn_while_the_first_block_still_runs():
    async def scenario() -> tuple[list[str], tuple[int, int]]:
        gate = TurnGate(concurrency=1, max_waiting=10)
        order: list[str] = []
        rest = asyncio.Event()

        async def first() -> None:
            async with gate.admit() as admission:
                order.append("first piece")
                admission.release()
                admission.release()  # a second release must not give the slot back twice
                await rest.wait()
                order.append("first done")

        async def second() -> None:
            async with gate.admit():
                order.append("second in")

        one = asyncio.create_task(first())
        await asyncio.sleep(0.01)
        two = asyncio.create_task(second())
        await asyncio.sleep(0.01)
        rest.set()
        await asyncio.gather(one, two)
        # Still one slot: a turn holding it keeps a second one waiting.
        async with gate.admit():
            waiter = asyncio.create_task(second())
            await asyncio.sleep(0.01)
            held = (gate.running, gate.waiting)
        await waiter
        return order, held

    order, held = asyncio.run(scenario())
    assert order == ["first piece", "second in", "first done", "second in"]
    assert held == (1, 1)
