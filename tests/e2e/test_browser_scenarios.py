"""The real app in a real browser: a scenario played turn by turn, a live session saved and replayed."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.harness import (
    ASSISTANT_MESSAGE,
    BROWSER_MARKS,
    TURN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    Tab,
    assistant_message,
    expand_step,
    step_button,
)

pytestmark = BROWSER_MARKS


def test_e_a_scenario_plays_turn_by_turn_with_each_expectation_marked(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()

    # The welcome message offers the starter scenarios as buttons.
    button = page.get_by_role("button", name="▶ loan happy path in one sentence")
    expect(button).to_be_visible(timeout=UI_TIMEOUT_MS)
    button.click()

    summary = assistant_message(page, "Scenario loan happy path in one sentence")
    expect(summary).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(summary).to_contain_text("PASS, 2 turns")
    # Each turn: the caller's line, the pipeline's steps, then its checks, all marked.
    expect(assistant_message(page, "🧪 yes please")).to_be_visible()
    checks = step_button(page, "Checks")
    expect(checks).to_have_count(2)
    region = expand_step(page, "Checks")
    expect(region).to_contain_text("✅ figure payment")
    expect(region).not_to_contain_text("❌")

    # A failing expectation is shown as such: a scenario that does not exist is a friendly error.
    tab.send_text("/scenario no such thing")
    expect(assistant_message(page, "no scenario called")).to_be_visible(timeout=UI_TIMEOUT_MS)


def test_f_a_live_session_is_saved_as_a_scenario_and_replayed(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    tab.send_text("I'd like to borrow $10,000 over 36 months at 5%")
    reply = assistant_message(page, "Just to confirm")
    expect(reply).to_be_visible(timeout=TURN_TIMEOUT_MS)

    reply.get_by_role("button", name="💾 Save as scenario").click()
    saved = assistant_message(page, "Saved as scenario")
    expect(saved).to_be_visible(timeout=UI_TIMEOUT_MS)
    files = list(tab.server.recorded.glob("*.yaml"))
    assert len(files) == 1, files
    from orchestrator.scenarios import load_scenario

    scenario = load_scenario(files[0]).scenario
    assert scenario.turns[0].user == "I'd like to borrow $10,000 over 36 months at 5%"
    assert scenario.turns[0].expect.state == "confirming"

    reply.get_by_role("button", name="⏪ Replay this session").click()
    expect(assistant_message(page, "Replay of session")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.locator(ASSISTANT_MESSAGE).filter(has_text="Just to confirm")).to_have_count(2, timeout=UI_TIMEOUT_MS)
    expect(step_button(page, "Dialog")).to_have_count(2)
