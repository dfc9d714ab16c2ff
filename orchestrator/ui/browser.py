"""Which browser a chat comes from: an HttpOnly random cookie only the server sets.

``BrowserCookieMiddleware`` wraps Chainlit's FastAPI app: a request without
a well-formed ``voicebot_browser`` cookie gets a fresh random one (in the
response, and in the request itself, so the socket that request opens sees it).
The page's scripts cannot read the cookie (HttpOnly), and it is 256 random bits,
so a page cannot claim another browser's. Sessions record only a hash of it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from starlette.requests import cookie_parser

__all__ = ["BROWSER_COOKIE", "BrowserCookieMiddleware", "browser_owner", "install"]

BROWSER_COOKIE = "voicebot_browser"
_VALUE_RE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_MAX_AGE_S = 400 * 24 * 3600  # the longest lifetime browsers keep

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _valid(value: str | None) -> str | None:
    return value if value is not None and _VALUE_RE.fullmatch(value) else None


def _cookie_value(cookie_header: str | None) -> str | None:
    return _valid(cookie_parser(cookie_header).get(BROWSER_COOKIE)) if cookie_header else None


def browser_owner(environ: Mapping[str, Any]) -> str | None:
    """``browser:<hash>`` for the cookie in a socket's WSGI-style environ, or None without one."""
    value = _cookie_value(environ.get("HTTP_COOKIE"))
    if value is None:
        return None
    return "browser:" + hashlib.sha256(value.encode("ascii")).hexdigest()[:32]


def _set_cookie_header(value: str, secure: bool) -> bytes:
    cookie: SimpleCookie = SimpleCookie()
    cookie[BROWSER_COOKIE] = value
    morsel = cookie[BROWSER_COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    morsel["max-age"] = str(_MAX_AGE_S)
    if secure:
        morsel["secure"] = True
    return morsel.OutputString().encode("latin-1")


class BrowserCookieMiddleware:
    """Pure ASGI middleware: give every HTTP client a browser cookie if it has none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A web socket cannot be handed a cookie; the page load before it already was.
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        cookie_headers = [v.decode("latin-1") for k, v in headers if k == b"cookie"]
        joined = "; ".join(cookie_headers)
        if _cookie_value(joined) is not None:
            await self.app(scope, receive, send)
            return
        value = secrets.token_urlsafe(32)
        merged = f"{joined}; {BROWSER_COOKIE}={value}" if joined else f"{BROWSER_COOKIE}={value}"
        headers = [(k, v) for k, v in headers if k != b"cookie"] + [(b"cookie", merged.encode("latin-1"))]
        set_cookie = _set_cookie_header(value, secure=scope.get("scheme") == "https")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", set_cookie)]
            await send(message)

        await self.app({**scope, "headers": headers}, receive, send_with_cookie)


def install(app: Any) -> None:
    """Add the middleware to Chainlit's FastAPI app (before it starts serving)."""
    app.add_middleware(BrowserCookieMiddleware)
