"""Who is asking, and which sessions they may list and replay from the browser.

A chat's principal is the logged-in user when the app has a login, else the
browser (its cookie, see ``orchestrator.ui.browser``). Both come from what
the server holds for the socket (Chainlit's session), never from an action's
payload. A session's owner is recorded server-side after its first turn.
A principal may replay its own sessions; only a logged-in user with the
``qa`` role may list and replay everyone's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loguru import logger

from orchestrator.errors import VoicebotError
from orchestrator.sessions.base import SessionState, SessionStore
from orchestrator.sessions.ids import validate_session_id
from orchestrator.ui.auth import Login
from orchestrator.ui.browser import browser_owner

__all__ = [
    "QA_ROLE",
    "AccessDeniedError",
    "Principal",
    "ReplayChoice",
    "authorize_replay",
    "claim_session",
    "current_principal",
    "principal_for",
    "replay_choices",
    "replay_prompt",
]

QA_ROLE = "qa"
# How many of the newest sessions "Replay a session" looks through for ones this principal may see.
SCAN_LIMIT = 500


class AccessDeniedError(VoicebotError):
    """The chat asked for a session it may not see."""

    category = "forbidden"


@dataclass(frozen=True)
class Principal:
    """Who a chat acts for: ``owner`` is what sessions record ("user:NAME" or "browser:HASH")."""

    owner: str | None
    user: str | None = None
    role: str | None = None

    @property
    def is_qa(self) -> bool:
        """A logged-in user with the qa role (a browser without login never is)."""
        return self.user is not None and self.role == QA_ROLE

    def owns(self, state: SessionState | None) -> bool:
        """True if the session was recorded as this principal's."""
        return self.owner is not None and state is not None and state.owner == self.owner

    def may_replay(self, state: SessionState | None) -> bool:
        """Own sessions always; anyone's for qa."""
        return self.is_qa or self.owns(state)


def principal_for(user: Any, environ: Any, login: Login) -> Principal:
    """The principal of a Chainlit socket session's user and environ."""
    if login.enabled:
        name = getattr(user, "identifier", None)
        if not isinstance(name, str) or not name:
            return Principal(owner=None)  # Chainlit refuses such sockets; stay closed anyway
        return Principal(owner=f"user:{name}", user=name, role=login.role_of(name))
    return Principal(owner=browser_owner(environ if isinstance(environ, dict) else {}))


def current_principal(login: Login) -> Principal:
    """The principal of the chat whose handler is running (``chainlit.context``)."""
    from chainlit.context import context

    session = context.session
    return principal_for(getattr(session, "user", None), getattr(session, "environ", None), login)


@dataclass(frozen=True)
class ReplayChoice:
    """One session "Replay a session" offers."""

    session_id: str
    turns: int
    owner: str | None
    mine: bool

    @property
    def label(self) -> str:
        """The button text: the id and turns, and whose it is when it is not the principal's."""
        text = f"⏪ {self.session_id} · {self.turns} turn{'s' if self.turns != 1 else ''}"
        if self.mine:
            return text
        if self.owner is not None and self.owner.startswith("user:"):
            return f"{text} · {self.owner.removeprefix('user:')}"
        return f"{text} · {'another browser' if self.owner else 'no owner'}"


def replay_choices(
    store: SessionStore, principal: Principal, exclude: str | None = None, limit: int = 8
) -> list[ReplayChoice]:
    """The newest sessions with turns that ``principal`` may replay (blocking: run it in a thread)."""
    if principal.owner is None and not principal.is_qa:
        return []
    choices: list[ReplayChoice] = []
    for sid in store.list_ids()[:SCAN_LIMIT]:
        if sid == exclude:
            continue
        state = store.load(sid)
        if state is None or state.turns == 0 or not principal.may_replay(state):
            continue
        choices.append(ReplayChoice(sid, state.turns, state.owner, principal.owns(state)))
        if len(choices) >= limit:
            break
    return choices


def replay_prompt(principal: Principal, choices: list[ReplayChoice]) -> str:
    """The text above the list of sessions to replay."""
    if principal.owner is None and not principal.is_qa:
        return "This browser sent no session cookie, so it has no sessions to list: allow cookies and reload."
    if choices:
        return "Pick any caller's session to replay." if principal.is_qa else "Pick one of your sessions to replay."
    return "No other saved sessions yet." if principal.is_qa else "No other saved sessions of yours yet."


def authorize_replay(store: SessionStore, principal: Principal, requested: object, own_session: str) -> str:
    """The session id to replay if ``principal`` may; ``AccessDeniedError`` (or an invalid-id error) if not.

    ``requested`` came back from the page, so it is checked like any input: an
    unknown session and someone else's get the same answer.
    """
    sid = validate_session_id(requested)
    if sid == own_session or principal.may_replay(store.load(sid)):
        return sid
    if principal.user is None:
        how = "only this browser's sessions can be replayed here (the app has no login)"
    else:
        how = f"replaying another caller's session needs the {QA_ROLE} role, and {principal.user} does not have it"
    raise AccessDeniedError(f"session {sid!r} is not one of yours: {how}")


async def claim_session(pipeline: Any, session_id: str, principal: Principal) -> str | None:
    """Record ``principal`` as the owner of the chat's stored session unless it has one; the owner in effect."""
    if principal.owner is None:
        return None
    try:
        owner: str | None = await pipeline.set_owner(session_id, principal.owner)
    except Exception as exc:  # the reply still renders; the session just stays unlisted
        logger.warning("could not record the owner of session {}: {}", session_id, exc)
        return None
    return owner
