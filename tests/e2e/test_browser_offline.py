"""The real app in a real browser: nothing on the page loads from outside the machine."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from playwright.sync_api import expect

from tests.e2e.browser import ask_and_confirm
from tests.e2e.harness import BROWSER_MARKS, UI_TIMEOUT_MS, Tab, _is_local, assistant_message

pytestmark = BROWSER_MARKS


def test_d_nothing_on_the_page_loads_from_outside_the_machine(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    reply = ask_and_confirm(tab)
    expect(assistant_message(page, "Payment schedule").locator('img[alt="balance_chart"]')).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )
    page.wait_for_function("a => a.readyState >= 1", arg=reply.locator("audio").element_handle())

    assert tab.offsite == [], f"the page tried to reach outside the machine: {tab.offsite}"
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert fetched, "the page reported no resources at all"
    assert [u for u in fetched if not _is_local(u)] == []
    referenced = page.evaluate(
        """() => Array.from(document.querySelectorAll('[src], [href]'))
                 .filter(e => !(e.tagName === 'A'))  // plain links are not loads
                 .map(e => e.getAttribute('src') || e.getAttribute('href'))"""
    )
    # Relative references stay on the page's origin; absolute and protocol-relative ones must be local.
    external = [u for u in referenced if u and urlsplit(u).netloc and not _is_local(urljoin(tab.server.url, u))]
    assert external == [], f"the page references off-machine resources: {external}"
