"""Browser-test plumbing: one app server and browser for every test module (``browser.py``), one Playwright
driver, and fixtures that see whether the test itself failed (for screenshots)."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
from playwright.sync_api import Playwright

from tests.e2e.browser import app_server, browser, mic_wav, tab

__all__ = ["app_server", "browser", "mic_wav", "playwright", "pytest_runtest_makereport", "tab"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, once for all the browser tests.

    Package scope, not session: a running sync driver owns an event loop in this thread,
    which would break every asyncio test that runs after the browser tests.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
