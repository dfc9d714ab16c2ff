"""Backends by name: one small registry type shared by STT, TTS and LLM.

Backends register a factory under a name. ``create`` looks the name up and
calls the factory once; an unknown name raises ``UnknownBackendError`` that
lists the known names and the env var to set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from orchestrator.config import Settings
from orchestrator.errors import UnknownBackendError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Named factories for one kind of backend."""

    def __init__(self, kind: str, env_var: str) -> None:
        self.kind = kind
        self.env_var = env_var
        self._factories: dict[str, Callable[[Settings], T]] = {}

    def register(self, name: str) -> Callable[[Callable[[Settings], T]], Callable[[Settings], T]]:
        """Decorator: register ``factory`` under ``name``."""

        def decorate(factory: Callable[[Settings], T]) -> Callable[[Settings], T]:
            self._factories[name] = factory
            return factory

        return decorate

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def create(self, name: str, settings: Settings) -> T:
        """Build the backend called ``name``; fails fast with a fix-it message."""
        try:
            factory = self._factories[name]
        except KeyError:
            raise UnknownBackendError(self.kind, name, self.names(), self.env_var) from None
        return factory(settings)
