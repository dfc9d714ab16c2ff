"""The real app in a real browser: Prometheus metrics and the latency waterfall."""

from __future__ import annotations

import urllib.request

from playwright.sync_api import expect

from tests.e2e.harness import BROWSER_MARKS, TURN_TIMEOUT_MS, UI_TIMEOUT_MS, Tab, assistant_message

pytestmark = BROWSER_MARKS


def test_g_the_app_serves_prometheus_metrics_for_the_turns_it_ran(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    tab.send_text("hello")
    expect(assistant_message(page, "How can I help?")).to_be_visible(timeout=TURN_TIMEOUT_MS)
    with urllib.request.urlopen(tab.server.url + "/metrics", timeout=30) as response:
        body = response.read().decode()
        assert response.headers["Content-Type"].startswith("text/plain")
    ok_turns = 'voicebot_turns_total{input_kind="text",outcome="ok"}'
    turns = [line for line in body.splitlines() if line.startswith(ok_turns)]
    assert turns and float(turns[0].split()[-1]) >= 1
    assert 'voicebot_stage_latency_seconds_bucket{le="0.005",stage="dialog"}' in body

    # The session's latency waterfall, as an image.
    page.get_by_role("button", name="📊 Latency waterfall").last.click()
    chart = assistant_message(page, "Latency waterfall of this session").locator('img[alt="latency_waterfall"]')
    expect(chart).to_have_count(1, timeout=UI_TIMEOUT_MS)
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=chart.element_handle())
