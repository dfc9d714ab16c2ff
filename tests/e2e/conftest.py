"""Browser-test plumbing: one app server and browser for every test module (``browser.py``), and fixtures
that see whether the test itself failed (for screenshots)."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.e2e.browser import app_server, browser, mic_wav, playwright, tab

__all__ = ["app_server", "browser", "mic_wav", "playwright", "pytest_runtest_makereport", "tab"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
