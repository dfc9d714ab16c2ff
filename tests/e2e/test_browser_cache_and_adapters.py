"""The real app in a real browser: the semantic-cache hit step, and the chat's LoRA adapter."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.harness import (
    BROWSER_MARKS,
    TURN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    Tab,
    assistant_message,
    expand_step,
    step_button,
)

pytestmark = BROWSER_MARKS


def test_h_an_faq_asked_again_in_other_words_is_answered_from_the_semantic_cache(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    tab.send_text("What are your opening hours?")
    expect(assistant_message(page, "Monday to Friday")).to_have_count(1, timeout=TURN_TIMEOUT_MS)
    expect(step_button(page, "Semantic cache - miss")).to_have_count(1, timeout=UI_TIMEOUT_MS)

    tab.send_text("When are you open?")

    expect(assistant_message(page, "Monday to Friday")).to_have_count(2, timeout=TURN_TIMEOUT_MS)
    hit = expand_step(page, "Semantic cache - hit")
    expect(hit).to_contain_text("without the dialog")


def test_i_a_tester_switches_the_chats_lora_adapter_in_the_chat_settings(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    page.locator("#chat-settings-open-modal").click()
    page.locator("#adapter").click()
    page.get_by_role("option", name="banking-v1").click()
    page.get_by_role("button", name="Confirm").click()
    expect(assistant_message(page, "classifies intents with adapter banking-v1")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )

    tab.send_text("what's my balance")

    expect(assistant_message(page, "balance")).to_be_visible(timeout=TURN_TIMEOUT_MS)
    dialog = expand_step(page, "Dialog")
    expect(dialog).to_contain_text("adapter: banking-v1")
