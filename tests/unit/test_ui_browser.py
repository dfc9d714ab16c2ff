"""orchestrator.ui.browser: the HttpOnly browser cookie and the owner it stands for."""

from __future__ import annotations

import hashlib
from http.cookies import SimpleCookie

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

from orchestrator.ui.browser import BROWSER_COOKIE, BrowserCookieMiddleware, browser_owner

VALID = "A" * 43


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"cookies": dict(request.cookies)})


async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"cookies": dict(websocket.cookies)})
    await websocket.close()


@pytest.fixture
def client() -> TestClient:
    app = Starlette(routes=[Route("/", echo), WebSocketRoute("/ws", ws_echo)])
    app.add_middleware(BrowserCookieMiddleware)
    return TestClient(app)


def _set_cookie(response) -> SimpleCookie:
    headers = response.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    jar: SimpleCookie = SimpleCookie()
    jar.load(headers[0])
    return jar


def test_a_new_browser_gets_an_httponly_random_cookie_that_its_first_request_already_carries(client):
    response = client.get("/")

    morsel = _set_cookie(response)[BROWSER_COOKIE]
    assert morsel["httponly"] is True and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert not morsel["secure"]  # plain http on loopback
    assert len(morsel.value) == 43
    assert response.json()["cookies"][BROWSER_COOKIE] == morsel.value


def test_two_browsers_get_different_cookies_and_a_known_one_is_kept(client):
    first = _set_cookie(client.get("/", cookies={}))[BROWSER_COOKIE].value
    client.cookies.clear()
    second = _set_cookie(client.get("/"))[BROWSER_COOKIE].value
    assert first != second

    again = client.get("/")  # the client now sends `second`

    assert again.headers.get_list("set-cookie") == []
    assert again.json()["cookies"][BROWSER_COOKIE] == second


@pytest.mark.parametrize("forged", ["short", "A" * 44, "A" * 42 + "!", ""])
def test_a_malformed_cookie_is_replaced_and_other_cookies_are_kept(forged):
    app = Starlette(routes=[Route("/", echo)])
    app.add_middleware(BrowserCookieMiddleware)
    client = TestClient(app)

    response = client.get("/", headers={"cookie": f"access_token=tok; {BROWSER_COOKIE}={forged}"})

    fresh = _set_cookie(response)[BROWSER_COOKIE].value
    assert fresh != forged and len(fresh) == 43
    seen = response.json()["cookies"]
    assert seen["access_token"] == "tok" and seen[BROWSER_COOKIE] == fresh


def test_over_https_the_cookie_is_secure():
    app = Starlette(routes=[Route("/", echo)])
    app.add_middleware(BrowserCookieMiddleware)

    response = TestClient(app, base_url="https://testserver").get("/")

    assert _set_cookie(response)[BROWSER_COOKIE]["secure"] is True


def test_a_web_socket_passes_through_untouched(client):
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_json() == {"cookies": {}}
    with client.websocket_connect("/ws", headers={"cookie": f"{BROWSER_COOKIE}={VALID}"}) as ws:
        assert ws.receive_json() == {"cookies": {BROWSER_COOKIE: VALID}}


def test_the_owner_is_a_hash_of_the_cookie_never_the_cookie_itself():
    owner = browser_owner({"HTTP_COOKIE": f"other=1; {BROWSER_COOKIE}={VALID}"})

    assert owner == "browser:" + hashlib.sha256(VALID.encode()).hexdigest()[:32]
    assert VALID not in (owner or "")
    assert browser_owner({"HTTP_COOKIE": f"{BROWSER_COOKIE}={'B' * 43}"}) != owner


@pytest.mark.parametrize("environ", [{}, {"HTTP_COOKIE": ""}, {"HTTP_COOKIE": f"{BROWSER_COOKIE}=short"},
                                     {"HTTP_COOKIE": "unrelated=1"}])
def test_no_well_formed_cookie_means_no_owner(environ):
    assert browser_owner(environ) is None
