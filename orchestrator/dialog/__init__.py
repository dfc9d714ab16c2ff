"""The banking dialog manager (the ``rules`` backend)."""

from orchestrator.dialog.rules import RulesDialog

__all__ = ["RulesDialog"]
