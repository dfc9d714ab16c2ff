"""Caller personas (a voice and a speaking style), shared by the robustness lab and scripted callers."""

from orchestrator.personas.model import Persona, PersonaError, Style, Voice, load_persona, resolve_personas
from orchestrator.personas.styles import say_in_style

__all__ = ["Persona", "PersonaError", "Style", "Voice", "load_persona", "resolve_personas", "say_in_style"]
