"""Caller personas: a voice and a speaking style, one YAML file each.

Shipped personas live in ``scenarios/personas/``; a run can also name its own
files. The format (all keys but ``name`` and ``voice`` optional)::

    name: scots-fillers
    description: a Scottish espeak voice, quick, with ums and self-corrections
    voice: {engine: espeak, name: en-gb-scotland, rate: 190, pitch: 40}
    style: {fillers: 0.5, corrections: true, numbers: grand}

Unknown keys are errors, so a typo never silently plays the default voice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orchestrator.errors import InputError
from orchestrator.scenarios.loader import SHIPPED_DIR

__all__ = [
    "PERSONAS_DIR",
    "Persona",
    "PersonaError",
    "Style",
    "Voice",
    "load_persona",
    "resolve_personas",
    "shipped_personas",
]

PERSONAS_DIR = SHIPPED_DIR / "personas"
_MAX_BYTES = 100_000
NumberStyle = Literal["words", "grand", "k", "digits"]


class PersonaError(InputError):
    """A persona file or name that cannot be used (CLI exit 2)."""

    category = "persona"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Voice(_Strict):
    """Which synthetic voice speaks: Piper joe, an espeak-ng variant, or a Kokoro voice (accented English)."""

    engine: Literal["piper", "espeak", "kokoro"]
    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_+-]{1,40}$")  # espeak variant or Kokoro voice
    rate: int | None = Field(default=None, ge=80, le=450)  # espeak: words per minute
    pitch: int | None = Field(default=None, ge=0, le=99)  # espeak: 0-99
    speed: float | None = Field(default=None, ge=0.5, le=2.0)  # Kokoro: 1.0 is its normal pace

    @model_validator(mode="after")
    def _fits_engine(self) -> Voice:
        if self.engine != "espeak" and (self.rate is not None or self.pitch is not None):
            raise ValueError("rate and pitch are espeak settings")
        if self.engine != "kokoro" and self.speed is not None:
            raise ValueError("speed is a kokoro setting (espeak takes rate)")
        if self.engine == "piper" and self.name not in (None, "joe"):
            raise ValueError("the only Piper voice shipped is joe")
        return self

    @property
    def label(self) -> str:
        """``espeak:en-gb-scotland@190wpm``: what a report shows."""
        extras = [f"{self.rate}wpm" if self.rate else "", f"p{self.pitch}" if self.pitch is not None else "",
                  f"x{self.speed:g}" if self.speed else ""]
        tail = "@" + ",".join(e for e in extras if e) if any(extras) else ""
        return f"{self.engine}:{self.name or 'default'}{tail}"


class Style(_Strict):
    """How the caller talks: hesitations, corrections mid-sentence, the way they say amounts."""

    fillers: float = Field(default=0.0, ge=0.0, le=1.0)  # chance of "um"/"uh" at each clause
    corrections: bool = False  # "twenty thousand dollars, no, sorry, twenty five thousand dollars"
    numbers: NumberStyle = "words"  # 30,000 as "thirty thousand", "thirty grand", "thirty K", "three oh thousand"


class Persona(_Strict):
    """A caller: a voice and a style; ``seed`` varies the fillers and corrections reproducibly."""

    name: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    voice: Voice
    style: Style = Field(default_factory=Style)
    seed: int = Field(default=0, ge=0, le=2**31)


def load_persona(path: Path) -> Persona:
    """One persona file; raises ``PersonaError`` naming the file and the field."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PersonaError(f"{path}: no such persona file") from None
    except IsADirectoryError:
        raise PersonaError(f"{path}: is a directory, not a persona file") from None
    if len(raw) > _MAX_BYTES:
        raise PersonaError(f"{path}: larger than {_MAX_BYTES} bytes")
    try:
        data: Any = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PersonaError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise PersonaError(f"{path}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise PersonaError(f"{path}: a persona is a mapping with name, voice and style")
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "persona"
        raise PersonaError(f"{path}: {where}: {first['msg']}") from None


def shipped_personas(folder: Path = PERSONAS_DIR) -> dict[str, Persona]:
    """The personas in ``folder`` by name (``scenarios/personas`` by default)."""
    found: dict[str, Persona] = {}
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        persona = load_persona(path)
        if persona.name in found:
            raise PersonaError(f"{path}: persona name {persona.name!r} is used twice")
        found[persona.name] = persona
    return found


def resolve_personas(items: list[str], folder: Path = PERSONAS_DIR) -> list[Persona]:
    """``--personas`` values: comma-separated names of shipped personas or paths to persona files."""
    wanted = [piece.strip() for item in items for piece in item.split(",")]
    if not wanted or any(not w for w in wanted):
        raise PersonaError("bad --personas: give persona names or files, separated by commas")
    shipped: dict[str, Persona] | None = None
    chosen: dict[str, Persona] = {}
    for item in wanted:
        if item.endswith((".yaml", ".yml")):
            persona = load_persona(Path(item))
        else:
            shipped = shipped if shipped is not None else shipped_personas(folder)
            if item not in shipped:
                known = ", ".join(shipped) or "none shipped"
                raise PersonaError(f"unknown persona {item!r}; known: {known}")
            persona = shipped[item]
        chosen.setdefault(persona.name, persona)
    return list(chosen.values())
