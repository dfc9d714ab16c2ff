"""Browser-face logic, kept out of ``app.py`` so it is tested without a browser."""

from orchestrator.ui.present import StepView, steps_for
from orchestrator.ui.session import ChatSession, StepCallback, TurnOutcome

__all__ = ["ChatSession", "StepCallback", "StepView", "TurnOutcome", "steps_for"]
