"""Sessions through the pipeline: continued conversations, persistence, isolation, one turn at a time."""

from __future__ import annotations

import asyncio

from orchestrator.llm.fake import FakeDialog


async def test_the_same_session_id_continues_the_conversation(fake_pipeline):
    first = await fake_pipeline.run_turn("s-cont", text="I want a loan of 25,000 dollars")
    second = await fake_pipeline.run_turn("s-cont", text="over 5 years")
    third = await fake_pipeline.run_turn("s-cont", text="at 6.5 percent")
    fourth = await fake_pipeline.run_turn("s-cont", text="yes")

    assert [first.turn, second.turn, third.turn, fourth.turn] == [1, 2, 3, 4]
    assert second.slots == {"principal": "25000", "term_months": 60}
    assert third.state == "confirming"
    assert fourth.figures["payment"] == "489.15"


async def test_slots_persist_across_a_new_pipeline_on_the_same_sqlite_file(pipelines):
    first = pipelines()
    await first.run_turn("s-persist", text="I want a loan of 25,000 dollars over 5 years")
    first.store.close()

    second = pipelines()  # a new process would do exactly this
    result = await second.run_turn("s-persist", text="6.5 percent")

    assert result.turn == 2
    assert result.state == "confirming"
    assert result.slots == {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}
    state = second.store.load("s-persist")
    assert state is not None and state.turns == 2
    assert [h.user for h in state.history] == ["I want a loan of 25,000 dollars over 5 years", "6.5 percent"]
    assert [h.input_kind for h in state.history] == ["text", "text"]


async def test_different_sessions_do_not_share_dialog_memory(fake_pipeline):
    await fake_pipeline.run_turn("s-a", text="I want a loan of 25,000 dollars")

    other = await fake_pipeline.run_turn("s-b", text="over 5 years")

    assert other.turn == 1
    assert other.slots == {"term_months": 60}


async def test_concurrent_turns_on_one_session_are_serialised(pipelines):
    dialog = FakeDialog(["one", "two"])
    pipeline = pipelines(dialog=dialog)

    a, b = await asyncio.gather(
        pipeline.run_turn("s-race", text="first"), pipeline.run_turn("s-race", text="second")
    )

    assert sorted([a.turn, b.turn]) == [1, 2]
    state = pipeline.store.load("s-race")
    assert state is not None and state.turns == 2 and len(state.history) == 2
    assert state.dialog["fake_turns"] == 2  # the second turn saw the first turn's memory


async def test_concurrent_turns_of_one_session_run_one_after_the_other_and_lose_nothing(fake_pipeline):
    import asyncio

    results = await asyncio.gather(
        fake_pipeline.run_turn("busy", text="I want to borrow 25,000 dollars"),
        fake_pipeline.run_turn("busy", text="over 5 years"),
        fake_pipeline.run_turn("busy", text="at 6.5 percent"),
    )
    assert sorted(r.turn for r in results) == [1, 2, 3]
    state = fake_pipeline.store.load("busy")
    assert state.turns == 3 and len(state.history) == 3
    assert state.dialog["loan"] == {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}


async def test_a_held_turn_makes_its_reply_but_saves_only_once_released(fake_pipeline):
    fake_pipeline.hold_close("s-held")
    turn = asyncio.create_task(fake_pipeline.run_turn("s-held", text="What are your opening hours?"))
    for _ in range(200):  # the reply is made; the save waits
        await asyncio.sleep(0.005)
    assert not turn.done() and fake_pipeline.store.load("s-held") is None

    fake_pipeline.release_close("s-held")
    result = await asyncio.wait_for(turn, 5)
    state = fake_pipeline.store.load("s-held")
    assert result.turn == 1 and state is not None and state.turns == 1


async def test_a_hold_nobody_lets_go_of_ends_after_its_limit(fake_pipeline, monkeypatch):
    monkeypatch.setattr("orchestrator.pipeline.HOLD_LIMIT_S", 0.05)
    fake_pipeline.hold_close("s-stuck")
    result = await asyncio.wait_for(fake_pipeline.run_turn("s-stuck", text="hello"), 5)
    assert result.turn == 1
    # The hold belonged to that turn: the next one is not held.
    assert (await asyncio.wait_for(fake_pipeline.run_turn("s-stuck", text="hello"), 1)).turn == 2
