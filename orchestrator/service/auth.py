"""``Authorization: Bearer KEY`` on every API route: 401 without a valid key, 403 for a lower role, 429 past the limit.

The key is checked against the keys file (``orchestrator.service.keys``) and
then forgotten: only the key's name and role travel further, so no log line,
event or problem can hold it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orchestrator.service.keys import Principal, Role, role_allows
from orchestrator.service.problems import ServiceProblemError
from orchestrator.service.state import ServiceState

__all__ = ["authenticate", "bearer_key", "require", "service"]

# auto_error=False: a missing header is our 401 problem, not FastAPI's own 403.
_BEARER = HTTPBearer(auto_error=False, description="An API key from `voicebot keys add NAME --role ROLE`.")


def service(request: Request) -> ServiceState:
    """The process's service state."""
    state: ServiceState = request.app.state.voicebot
    return state


def bearer_key(header: str | None) -> str | None:
    """The key in an ``Authorization: Bearer KEY`` header value, if it is one."""
    if not header:
        return None
    scheme, _, key = header.partition(" ")
    return key.strip() or None if scheme.lower() == "bearer" else None


def authenticate(state: ServiceState, key: str | None, needed: Role) -> Principal:
    """The caller's principal, or a 401/403/429 problem."""
    if not key:
        raise ServiceProblemError(401, "unauthorized", "send an API key as 'Authorization: Bearer KEY'")
    principal = state.keys.verify(key)
    if principal is None:
        raise ServiceProblemError(401, "unauthorized", "the API key is not valid")
    if not role_allows(principal.role, needed):
        raise ServiceProblemError(403, "forbidden", f"this needs the {needed} role; key {principal.name!r} is "
                             f"{principal.role}")
    wait = state.limiter.hit(principal.key_id)
    if wait is not None:
        raise ServiceProblemError(429, "rate_limited", f"too many requests for key {principal.name!r}",
                             retry_after=wait)
    return principal


def require(needed: Role) -> Callable[..., Principal]:
    """A dependency that lets through keys of at least the ``needed`` role."""

    def dependency(
        credentials: HTTPAuthorizationCredentials | None = Depends(_BEARER),  # noqa: B008 - FastAPI's idiom
        state: ServiceState = Depends(service),  # noqa: B008
    ) -> Principal:
        return authenticate(state, credentials.credentials if credentials else None, needed)

    return dependency
