"""Browser-test plumbing shared by the e2e modules: a live ``chainlit run app.py``, Chromium, tabs.

``start_app`` runs the real app on a free loopback port with a throw-away
VOICEBOT_HOME (and any extra environment, e.g. the fake speech backends).
``open_tab`` gives a fresh browser context (so a fresh Chainlit session and
cookie jar) in which every request that would leave the machine is aborted
and recorded. Waits poll with generous limits; nothing asserts speed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, Playwright, expect

from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# Every browser test module: `pytestmark = BROWSER_MARKS`.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian Chromium is not installed at {CHROMIUM}"),
]
STARTUP_TIMEOUT_S = 120
TURN_TIMEOUT_MS = 120_000  # a turn on two shared cores: Whisper + Piper, first calls warm up
UI_TIMEOUT_MS = 60_000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

# Selectors (Chainlit 2.12 frontend).
CHAT_INPUT = "#chat-input"
CHAT_SUBMIT = "#chat-submit"
UPLOAD_INPUT = "#upload-button-input"  # the paperclip's hidden <input type=file>
# The voice button has no id or aria-label: it is the button just before the paperclip.
MIC_BUTTON = "#message-composer div:has(+ span #upload-button) > button"
ASSISTANT_MESSAGE = 'div[data-step-type="assistant_message"]'
USER_MESSAGE = 'div[data-step-type="user_message"]'

# Chromium without a fake microphone; the voice tests add theirs.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def step_button(page: Page, name_prefix: str) -> Locator:
    """The header button of a step; Chainlit makes ``step-<step name>`` its DOM id."""
    return page.locator(f'button[id^="step-{name_prefix}"]')


def expand_step(page: Page, name_prefix: str) -> Locator:
    """Open a (collapsed) step and return its content region."""
    button = step_button(page, name_prefix).last
    expect(button).to_be_visible(timeout=TURN_TIMEOUT_MS)
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    expect(button).to_have_attribute("aria-expanded", "true", timeout=UI_TIMEOUT_MS)
    region = page.locator(f'[id="{button.get_attribute("aria-controls")}"]')
    expect(region).to_be_visible(timeout=UI_TIMEOUT_MS)
    return region


def assistant_message(page: Page, text: str) -> Locator:
    return page.locator(ASSISTANT_MESSAGE).filter(has_text=text)


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Server:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]
    recorded: Path  # where "Save as scenario" writes
    home: Path  # the server's VOICEBOT_HOME

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextmanager
def start_app(tmp: Path, env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """``chainlit run app.py --headless`` on a free loopback port; the real default backends unless ``env`` says."""
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEBOT_", "CHAINLIT_"))}
    environ.update(
        VOICEBOT_HOME=str(tmp / "voicebot-home"),
        VOICEBOT_RECORDED_SCENARIOS_DIR=str(tmp / "recorded"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    environ.update(env or {})  # the repo is the app root: .chainlit/config.toml and public/
    log = tmp / "chainlit.log"
    chainlit = REPO_ROOT / ".venv" / "bin" / "chainlit"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(chainlit), "run", "app.py", "--headless", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, killed as a whole at the end
        )
    server = Server(url=f"http://127.0.0.1:{port}", log=log, proc=proc, recorded=tmp / "recorded",
                    home=tmp / "voicebot-home")
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _answers(server.url + "/"):
            if proc.poll() is not None:
                pytest.fail(f"chainlit exited with {proc.returncode} during start-up:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"chainlit did not answer on {server.url} within {STARTUP_TIMEOUT_S} s:\n{server.log_tail()}"
                )
            time.sleep(0.5)
        yield server
    finally:
        _stop(proc)


# --------------------------------------------------------------------------- browser


def launch_chromium(playwright: Playwright, extra_args: Sequence[str] = ()) -> Browser:
    """Debian's Chromium, headless (never a downloaded one)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


@dataclass
class Tab:
    """One browser context and its page, plus every off-machine request it tried."""

    server: Server
    context: BrowserContext
    page: Page
    offsite: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def open_chat(self) -> Locator:
        """Load the app and wait for the welcome message ``on_chat_start`` sends (the socket is up)."""
        self.page.goto(self.server.url + "/")
        welcome = assistant_message(self.page, "VoiceBot Workbench is ready")
        expect(welcome).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(self.page.locator(CHAT_INPUT)).to_be_editable(timeout=UI_TIMEOUT_MS)
        return welcome

    def send_text(self, text: str) -> None:
        self.page.locator(CHAT_INPUT).fill(text)
        submit = self.page.locator(CHAT_SUBMIT)
        expect(submit).to_be_enabled(timeout=UI_TIMEOUT_MS)
        submit.click()


@contextmanager
def open_tab(server: Server, browser: Browser, request: pytest.FixtureRequest | None = None,
             init_script: Path | None = None) -> Iterator[Tab]:
    """A fresh context on ``server``; if the test (``request``) fails, a screenshot and the server log."""
    context = browser.new_context(permissions=["microphone"], viewport={"width": 1280, "height": 900})
    if init_script is not None:
        context.add_init_script(path=str(init_script))
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    tab = Tab(server=server, context=context, page=page)

    def record(url: str) -> None:
        if not _is_local(url) and url not in tab.offsite:
            tab.offsite.append(url)

    def guard(route, req) -> None:  # type: ignore[no-untyped-def]
        if _is_local(req.url):
            route.continue_()
        else:
            record(req.url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    # Belt and braces: requests a route could miss (web sockets, workers) are recorded too.
    context.on("request", lambda req: record(req.url))
    page.on("websocket", lambda ws: record(ws.url))

    def console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            tab.console_errors.append(msg.text)

    page.on("console", console)
    try:
        yield tab
    finally:
        node = request.node if request is not None else None
        if node is not None and getattr(node, "rep_call", None) is not None and node.rep_call.failed:
            shot = Path(f"/tmp/e2e-{node.name}-{id(tab)}.png")
            try:
                page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot: {shot}")
            except Exception as exc:  # the page may be gone; the report matters more
                print(f"no screenshot: {exc}")
            print(f"chainlit log tail:\n{server.log_tail()}")
            print(f"console errors: {tab.console_errors}")
        context.close()
