"""orchestrator.ui.access: a chat's principal, the sessions it may list and replay, and owners recorded."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from orchestrator.config import Settings
from orchestrator.errors import InvalidSessionIdError
from orchestrator.pipeline import Pipeline
from orchestrator.sessions.base import SessionState
from orchestrator.sessions.sqlite import SqliteSessionStore
from orchestrator.ui.access import (
    AccessDeniedError,
    Principal,
    authorize_replay,
    claim_session,
    current_principal,
    principal_for,
    replay_choices,
    replay_prompt,
)
from orchestrator.ui.auth import Login
from orchestrator.ui.browser import BROWSER_COOKIE
from orchestrator.ui.users import KdfCost, UserStore, users_file

CHEAP = KdfCost(log_n=10, r=8, p=1)
COOKIE_A, COOKIE_B = "a" * 43, "b" * 43


def owner_of(cookie: str) -> str:
    """The owner a browser cookie stands for, computed here from its definition (sha256, 32 hex digits)."""
    return "browser:" + hashlib.sha256(cookie.encode()).hexdigest()[:32]


BROWSER_A, BROWSER_B = Principal(owner_of(COOKIE_A)), Principal(owner_of(COOKIE_B))
ALICE_QA = Principal("user:alice", user="alice", role="qa")
BOB_TESTER = Principal("user:bob", user="bob", role="tester")


@pytest.fixture
def store(fake_settings: Settings) -> Iterator[SqliteSessionStore]:
    store = SqliteSessionStore(fake_settings.sessions_dir / "sessions.db")
    yield store
    store.close()


def put(store: SqliteSessionStore, sid: str, owner: str | None, turns: int = 2) -> None:
    store.save(SessionState(session_id=sid, turns=turns, owner=owner))


@pytest.fixture
def populated(store: SqliteSessionStore) -> SqliteSessionStore:
    put(store, "a-1", BROWSER_A.owner)
    put(store, "a-empty", BROWSER_A.owner, turns=0)  # a chat that never finished a turn
    put(store, "b-1", BROWSER_B.owner)
    put(store, "alice-1", "user:alice")
    put(store, "bob-1", "user:bob")
    put(store, "cli-1", None)  # run from the CLI, or stored before owners existed
    return store


def ids(choices) -> set[str]:
    return {c.session_id for c in choices}


# -- principals ----------------------------------------------------------------------------------------


def test_without_login_the_principal_is_the_browser_cookie(fake_settings: Settings):
    login = Login.from_settings(fake_settings)

    mine = principal_for(None, {"HTTP_COOKIE": f"{BROWSER_COOKIE}={COOKIE_A}"}, login)

    assert mine == BROWSER_A and not mine.is_qa
    assert principal_for(None, {}, login) == Principal(owner=None)
    # A user object means nothing when the app has no login (it cannot have come from one).
    assert principal_for(type("U", (), {"identifier": "alice"})(), {}, login).user is None


def test_with_login_the_principal_is_the_user_with_the_role_the_file_gives_now(fake_settings: Settings):
    users = UserStore(users_file(fake_settings.home), cost=CHEAP)
    users.add("alice", "qa", "alice-password")
    login = Login.from_settings(fake_settings)
    alice = type("U", (), {"identifier": "alice"})()
    cookie = {"HTTP_COOKIE": f"{BROWSER_COOKIE}={COOKIE_A}"}

    assert principal_for(alice, cookie, login) == ALICE_QA
    users.add("alice", "tester", "alice-password", replace=True)
    assert principal_for(alice, cookie, login).is_qa is False
    assert principal_for(None, cookie, login) == Principal(owner=None)


@asynccontextmanager
async def chainlit_chat(user: object | None, environ: dict[str, str]) -> AsyncIterator[None]:
    """A real Chainlit websocket session in a ChainlitContext, the way Chainlit's own tests build one."""
    from chainlit.context import ChainlitContext, context_var
    from chainlit.session import WebsocketSession

    async def emit(event: str, data: object) -> None:
        return None

    session = WebsocketSession(
        id=str(uuid.uuid4()), socket_id=str(uuid.uuid4()), emit=emit, emit_call=emit,  # type: ignore[arg-type]
        user_env={}, client_type="webapp", environ=environ, user=user,  # type: ignore[arg-type]
    )
    token = context_var.set(ChainlitContext(session))
    try:
        yield
    finally:
        context_var.reset(token)
        await session.delete()


async def test_a_handler_finds_its_principal_in_chainlits_socket_session(fake_settings: Settings):
    import chainlit as cl

    login_off = Login.from_settings(fake_settings)
    async with chainlit_chat(None, {"HTTP_COOKIE": f"theme=dark; {BROWSER_COOKIE}={COOKIE_B}"}):
        assert current_principal(login_off) == BROWSER_B

    UserStore(users_file(fake_settings.home), cost=CHEAP).add("bob", "tester", "bob-password")
    login_on = Login.from_settings(fake_settings)
    async with chainlit_chat(cl.User(identifier="bob", metadata={"role": "qa"}), {}):
        # The role comes from the users file, not from what the login token carried.
        assert current_principal(login_on) == BOB_TESTER


# -- listing -------------------------------------------------------------------------------------------


def test_a_browser_lists_only_its_own_sessions_with_turns(populated):
    assert ids(replay_choices(populated, BROWSER_A)) == {"a-1"}
    assert ids(replay_choices(populated, BROWSER_B)) == {"b-1"}
    assert replay_choices(populated, BROWSER_A, exclude="a-1") == []
    assert replay_choices(populated, Principal(owner=None)) == []


def test_a_non_qa_user_lists_only_their_own_and_a_qa_user_lists_everyones(populated):
    assert ids(replay_choices(populated, BOB_TESTER)) == {"bob-1"}
    assert ids(replay_choices(populated, ALICE_QA)) == {"a-1", "b-1", "alice-1", "bob-1", "cli-1"}


def test_labels_say_whose_session_it_is_when_it_is_not_yours(populated):
    labels = {c.session_id: c.label for c in replay_choices(populated, ALICE_QA)}

    assert labels["alice-1"] == "⏪ alice-1 · 2 turns"
    assert labels["bob-1"].endswith("· bob")
    assert labels["a-1"].endswith("· another browser")
    assert labels["cli-1"].endswith("· no owner")
    assert BROWSER_A.owner not in "".join(labels.values())


def test_the_text_above_the_list_says_whose_sessions_they_are(populated):
    assert replay_prompt(BROWSER_A, replay_choices(populated, BROWSER_A)) == "Pick one of your sessions to replay."
    assert replay_prompt(ALICE_QA, replay_choices(populated, ALICE_QA)) == "Pick any caller's session to replay."
    assert replay_prompt(BROWSER_A, []) == "No other saved sessions of yours yet."
    assert replay_prompt(ALICE_QA, []) == "No other saved sessions yet."
    assert "allow cookies" in replay_prompt(Principal(owner=None), [])


def test_the_list_is_newest_first_and_capped(store):
    for n in range(12):
        put(store, f"mine-{n:02d}", BROWSER_A.owner)

    choices = replay_choices(store, BROWSER_A, limit=8)

    assert [c.session_id for c in choices] == [f"mine-{n:02d}" for n in range(11, 3, -1)]


# -- replaying -----------------------------------------------------------------------------------------


def test_a_principal_may_replay_its_own_and_its_current_session(populated):
    assert authorize_replay(populated, BROWSER_A, "a-1", own_session="s-current") == "a-1"
    assert authorize_replay(populated, BROWSER_A, "s-current", own_session="s-current") == "s-current"
    assert authorize_replay(populated, BOB_TESTER, "bob-1", own_session="s-current") == "bob-1"


@pytest.mark.parametrize("requested", ["b-1", "alice-1", "cli-1", "no-such-session"])
def test_another_browsers_session_or_an_unknown_one_is_refused_alike(populated, requested):
    with pytest.raises(AccessDeniedError) as refused:
        authorize_replay(populated, BROWSER_A, requested, own_session="s-current")

    assert refused.value.message == (
        f"session {requested!r} is not one of yours: "
        "only this browser's sessions can be replayed here (the app has no login)"
    )


def test_a_non_qa_user_is_told_replaying_others_needs_the_qa_role(populated):
    with pytest.raises(AccessDeniedError, match="needs the qa role, and bob does not have it"):
        authorize_replay(populated, BOB_TESTER, "alice-1", own_session="s-current")


@pytest.mark.parametrize("requested", ["a-1", "b-1", "bob-1", "cli-1"])
def test_a_qa_user_may_replay_anyones_session(populated, requested):
    assert authorize_replay(populated, ALICE_QA, requested, own_session="s-current") == requested


@pytest.mark.parametrize("requested", ["../a-1", "", None, 42, {"session": "a-1"}, "a" * 65])
def test_a_hostile_id_from_the_page_is_an_invalid_id_error(populated, requested):
    with pytest.raises(InvalidSessionIdError):
        authorize_replay(populated, ALICE_QA, requested, own_session="s-current")


# -- owners --------------------------------------------------------------------------------------------


async def test_a_chats_first_turn_makes_its_session_the_principals(fake_pipeline: Pipeline):
    await fake_pipeline.run_turn("s-owned", text="hello")

    assert await claim_session(fake_pipeline, "s-owned", BROWSER_A) == BROWSER_A.owner
    # Nobody takes it over afterwards, and a principal without an owner records nothing.
    assert await claim_session(fake_pipeline, "s-owned", BROWSER_B) == BROWSER_A.owner
    assert await claim_session(fake_pipeline, "s-owned", Principal(owner=None)) is None
    state = fake_pipeline.store.load("s-owned")
    assert state is not None and state.owner == BROWSER_A.owner and state.turns == 1


async def test_claiming_a_session_that_was_never_stored_creates_nothing(fake_pipeline: Pipeline):
    assert await claim_session(fake_pipeline, "s-never", BROWSER_A) is None
    assert fake_pipeline.store.load("s-never") is None


async def test_a_claim_racing_a_turn_keeps_both_the_turn_and_the_owner(fake_pipeline: Pipeline):
    await fake_pipeline.run_turn("s-race", text="hello")

    await asyncio.gather(
        fake_pipeline.run_turn("s-race", text="I'd like to borrow 25,000 dollars"),
        claim_session(fake_pipeline, "s-race", BROWSER_A),
    )

    state = fake_pipeline.store.load("s-race")
    assert state is not None and state.turns == 2 and len(state.history) == 2
    assert state.owner == BROWSER_A.owner


def test_a_session_stored_before_owners_existed_loads_with_no_owner(fake_settings: Settings, store):
    old = '{"session_id": "old-1", "turns": 3, "dialog": {}, "history": [], "voice_consent": null}'
    with sqlite3.connect(store.path) as conn:
        conn.execute("INSERT INTO sessions VALUES (?, ?, ?)", ("old-1", old, "2020-01-01T00:00:00+00:00"))

    state = store.load("old-1")

    assert state is not None and state.owner is None and state.turns == 3
    assert ids(replay_choices(store, BROWSER_A)) == set()
    assert ids(replay_choices(store, ALICE_QA)) == {"old-1"}


async def test_a_store_that_fails_while_claiming_leaves_the_session_unowned_instead_of_raising(
    fake_pipeline: Pipeline,
):
    await fake_pipeline.run_turn("s-broken", text="hello")
    fake_pipeline.store.close()  # every later load or save fails

    assert await claim_session(fake_pipeline, "s-broken", BROWSER_A) is None
