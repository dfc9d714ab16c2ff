"""The browser acts on its own chat only: forged ids are ignored, lists are scoped, login roles hold.

Two ``chainlit run app.py`` servers on the fake speech backends (the models are
not the point here): one without login, one with a ``qa`` and a ``tester``
user. Each browser context is a separate browser with its own cookie jar. A
"forged" action is the page's real click whose request body a route rewrites
on its way to the server, the way a hostile page would send it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, expect

from tests.e2e.harness import (
    BROWSER_MARKS,
    TURN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    Server,
    Tab,
    assistant_message,
    launch_chromium,
    open_tab,
    start_app,
)

pytestmark = BROWSER_MARKS

FAKE_STACK = {
    "VOICEBOT_STT": "fake",
    "VOICEBOT_TTS": "fake",
    "VOICEBOT_INTENT_CLASSIFIER": "keywords",
    "VOICEBOT_CACHE_ENCODER": "hashing",
}
USERS = {"quinn": ("qa", "quinn-password-1"), "tess": ("tester", "tess-password-1")}
SESSION_RE = re.compile(r"Replay of session (s-[0-9a-f]{16})")


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app without login (loopback only)."""
    with start_app(tmp_path_factory.mktemp("e2e-plain"), FAKE_STACK) as server:
        yield server


@pytest.fixture(scope="module")
def login_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app with a login: users made with the same store ``voicebot users add`` writes."""
    from orchestrator.ui.users import UserStore, users_file

    tmp = tmp_path_factory.mktemp("e2e-login")
    store = UserStore(users_file(tmp / "voicebot-home"))
    for name, (role, password) in USERS.items():
        store.add(name, role, password)
    with start_app(tmp, FAKE_STACK) as server:
        yield server


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


@pytest.fixture
def tabs(chromium: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[[Server], Tab]]:
    """Open as many separate browsers (contexts) as a test needs; all closed at the end."""
    with ExitStack() as stack:
        yield lambda server: stack.enter_context(open_tab(server, chromium, request))


# --------------------------------------------------------------------------- helpers


def chat_once(tab: Tab, text: str, reply: str) -> str:
    """Send one message, wait for the reply, and return the chat's session id (from its own replay)."""
    page = tab.page
    tab.send_text(text)
    answer = assistant_message(page, reply).last
    expect(answer).to_be_visible(timeout=TURN_TIMEOUT_MS)
    replays = assistant_message(page, "Replay of session")
    before = replays.count()
    answer.get_by_role("button", name="⏪ Replay this session").click()
    expect(replays).to_have_count(before + 1, timeout=UI_TIMEOUT_MS)
    match = SESSION_RE.search(replays.last.inner_text())
    assert match, replays.last.inner_text()
    return match[1]


def forge_actions(page: Page, name: str | None = None, **payload: object) -> list[dict[str, Any]]:
    """Rewrite every action the page sends from now on: its payload (and name); returns what was sent."""
    sent: list[dict[str, Any]] = []

    def rewrite(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["action"]["payload"] = dict(payload)
        if name is not None:
            body["action"]["name"] = name
        sent.append(body["action"])
        route.continue_(post_data=json.dumps(body))

    page.route("**/project/action", rewrite)
    return sent


def log_in(tab: Tab, name: str, password: str) -> None:
    page = tab.page
    page.goto(tab.server.url + "/")
    page.locator("#email").fill(name)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(assistant_message(page, "VoiceBot Workbench is ready")).to_be_visible(timeout=UI_TIMEOUT_MS)


def replay_list(tab: Tab) -> Any:
    """Click "Replay a session" in the welcome message; the new message with the list."""
    page = tab.page
    listings = assistant_message(page, "saved sessions").or_(assistant_message(page, "to replay."))
    before = listings.count()
    page.get_by_role("button", name="⏪ Replay a session").first.click()
    expect(listings).to_have_count(before + 1, timeout=UI_TIMEOUT_MS)
    return listings.last


# --------------------------------------------------------------------------- tests


def test_a_page_that_forges_another_session_id_in_its_actions_acts_on_its_own_session(
    plain_server: Server, tabs: Callable[[Server], Tab]
) -> None:
    victim = tabs(plain_server)
    victim.open_chat()
    victim_sid = chat_once(victim, "hello", "How can I help?")

    attacker = tabs(plain_server)
    attacker.open_chat()
    own_sid = chat_once(attacker, "What are your opening hours?", "Monday to Friday")
    assert own_sid != victim_sid
    page = attacker.page
    sent = forge_actions(page, session=victim_sid)
    reply = assistant_message(page, "Monday to Friday").first

    reply.get_by_role("button", name="💾 Save as scenario").click()
    expect(assistant_message(page, "Saved as scenario")).to_be_visible(timeout=UI_TIMEOUT_MS)
    reply.get_by_role("button", name="📊 Latency waterfall").click()
    waterfall = assistant_message(page, "Latency waterfall of this session")
    expect(waterfall).to_be_visible(timeout=UI_TIMEOUT_MS)
    reply.get_by_role("button", name="⏪ Replay this session").click()
    expect(assistant_message(page, "Replay of session")).to_have_count(2, timeout=UI_TIMEOUT_MS)

    assert [a["payload"] for a in sent] == [{"session": victim_sid}] * 3  # the forged ids did reach the server
    from orchestrator.scenarios import load_scenario

    (saved,) = plain_server.recorded.glob("*.yaml")
    assert [t.user for t in load_scenario(saved).scenario.turns] == ["What are your opening hours?"]
    assert own_sid in waterfall.inner_text() and victim_sid not in waterfall.inner_text()
    replayed = assistant_message(page, "Replay of session").last.inner_text()
    assert own_sid in replayed and victim_sid not in replayed
    expect(page.get_by_text(victim_sid)).to_have_count(0)


def test_a_second_browser_does_not_see_the_first_ones_sessions_and_cannot_pick_one(
    plain_server: Server, tabs: Callable[[Server], Tab]
) -> None:
    first = tabs(plain_server)
    first.open_chat()
    first_sid = chat_once(first, "hello", "How can I help?")
    first.open_chat()  # a new chat in the same browser: the earlier session is this browser's
    listing = replay_list(first)
    expect(listing).to_contain_text("Pick one of your sessions")
    expect(listing.get_by_role("button", name=re.compile(first_sid))).to_have_count(1)

    second = tabs(plain_server)
    second.open_chat()
    second_sid = chat_once(second, "hello", "How can I help?")
    second.open_chat()
    listing = replay_list(second)
    expect(listing.get_by_role("button", name=re.compile(second_sid))).to_have_count(1)
    expect(second.page.get_by_text(first_sid)).to_have_count(0)

    # Picking the first browser's session anyway (a forged pick) is refused in the chat.
    forge_actions(second.page, name="replay_pick", session=first_sid)
    listing.get_by_role("button", name=re.compile(second_sid)).click()
    refusal = assistant_message(second.page, "is not one of yours")
    expect(refusal).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(refusal).to_contain_text("only this browser's sessions")
    expect(assistant_message(second.page, f"Replay of session {first_sid}")).to_have_count(0)

    # And the first browser's list still holds only its own.
    listing = replay_list(first)
    expect(listing.get_by_role("button", name=re.compile(second_sid))).to_have_count(0)


def test_with_login_a_tester_cannot_replay_another_callers_session_and_a_qa_user_can(
    login_server: Server, tabs: Callable[[Server], Tab]
) -> None:
    intruder = tabs(login_server)
    intruder.page.goto(login_server.url + "/")
    expect(intruder.page.locator("#password")).to_be_visible(timeout=UI_TIMEOUT_MS)  # no chat without a login
    intruder.page.locator("#email").fill("tess")
    intruder.page.locator("#password").fill("not-her-password")
    intruder.page.get_by_role("button", name="Sign In").click()
    expect(intruder.page.get_by_text("Unable to sign in")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(assistant_message(intruder.page, "VoiceBot Workbench is ready")).to_have_count(0)

    tester = tabs(login_server)
    log_in(tester, "tess", USERS["tess"][1])
    tester_sid = chat_once(tester, "hello", "How can I help?")

    qa = tabs(login_server)
    log_in(qa, "quinn", USERS["quinn"][1])
    qa_sid = chat_once(qa, "What are your opening hours?", "Monday to Friday")

    # The tester's list does not offer the qa user's session, and a forged pick is refused.
    listing = replay_list(tester)
    expect(listing).to_contain_text("No other saved sessions of yours yet")
    forge_actions(tester.page, name="replay_pick", session=qa_sid)
    tester.page.get_by_role("button", name="⏪ Replay a session").first.click()
    refusal = assistant_message(tester.page, "is not one of yours")
    expect(refusal).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(refusal).to_contain_text("needs the qa role, and tess does not have it")
    expect(tester.page.get_by_text("Monday to Friday")).to_have_count(0)

    # The qa user sees the tester's session, labelled with her name, and replays it.
    listing = replay_list(qa)
    expect(listing).to_contain_text("Pick any caller's session")
    pick = listing.get_by_role("button", name=re.compile(f"{tester_sid}.*tess"))
    expect(pick).to_have_count(1)
    greetings = assistant_message(qa.page, "How can I help?")
    before = greetings.count()
    pick.click()
    expect(assistant_message(qa.page, f"Replay of session {tester_sid}")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(greetings).to_have_count(before + 1, timeout=UI_TIMEOUT_MS)  # the tester's turn, redrawn
    assert qa_sid != tester_sid
