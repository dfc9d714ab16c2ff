"""Perturbation names: ``noise:snr=10``, ``phone``, ``speed:1.15``, chained with ``+``.

A name is ``kind[:params]``; params are ``key=value`` pairs separated by
commas, or one bare value for the kind's main parameter (``speed:1.15``,
``loss:5%``). Every kind, parameter and range is checked here, so a typo is a
usage error before any audio is touched. ``parse_list`` reads the CLI's
comma-separated list, where ``key=value`` pieces belong to the item before
them: ``clean,noise:snr=10,color=pink,phone``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.errors import InputError

__all__ = ["KINDS", "Perturbation", "PerturbationError", "Step", "parse_list", "parse_perturbation"]


class PerturbationError(InputError):
    """A perturbation name that cannot be used (CLI exit 2)."""

    category = "usage"


@dataclass(frozen=True, slots=True)
class _Param:
    default: float | str | None
    low: float | None = None  # numeric range, inclusive
    high: float | None = None
    choices: tuple[str, ...] = ()
    percent: bool = False  # written as "5%" (stored as 5.0)


@dataclass(frozen=True, slots=True)
class _Kind:
    params: dict[str, _Param]
    main: str | None = None  # the parameter a bare value sets
    about: str = ""


COLORS = ("white", "pink", "brown", "blue", "violet")
KINDS: dict[str, _Kind] = {
    "clean": _Kind({}, about="the reference: the audio as spoken"),
    "noise": _Kind(
        {"snr": _Param(10.0, -10.0, 60.0), "color": _Param("white", choices=COLORS)},
        main="snr", about="white or coloured noise at an SNR in dB",
    ),
    "babble": _Kind(
        {"snr": _Param(10.0, -10.0, 60.0), "voices": _Param(4.0, 2.0, 8.0)},
        main="snr", about="other synthetic voices talking at once, at an SNR in dB",
    ),
    "phone": _Kind({}, about="telephone channel: 8 kHz, 300-3400 Hz band-pass, 8-bit mu-law"),
    "speed": _Kind({"rate": _Param(None, 0.5, 2.0)}, main="rate", about="time-stretch, pitch kept"),
    "reverb": _Kind({"rt60": _Param(0.6, 0.1, 3.0)}, main="rt60", about="a generated room impulse response, RT60 in s"),
    "clip": _Kind({"pct": _Param(20.0, 1.0, 90.0, percent=True)}, main="pct",
                  about="hard clipping of the loudest samples (percentile)"),
    "gain": _Kind({"db": _Param(-25.0, -45.0, 20.0)}, main="db", about="level change in dB (low gain: negative)"),
    "loss": _Kind({"rate": _Param(None, 0.0, 90.0, percent=True), "frame_ms": _Param(20.0, 5.0, 100.0)},
                  main="rate", about="packet loss: dropped frames (20 ms) at a rate in %"),
}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_KEY_START_RE = re.compile(r"^[a-z_][a-z0-9_]*=")


@dataclass(frozen=True, slots=True)
class Step:
    """One perturbation with every parameter resolved."""

    kind: str
    params: tuple[tuple[str, float | str], ...]

    def get(self, key: str) -> float | str:
        """A parameter's value."""
        return dict(self.params)[key]

    def number(self, key: str) -> float:
        """A numeric parameter's value."""
        value = self.get(key)
        assert isinstance(value, float)
        return value

    @property
    def name(self) -> str:
        """The canonical name: defaults left out, the main parameter written first."""
        kind = KINDS[self.kind]
        parts: list[str] = []
        for key, value in self.params:
            spec = kind.params[key]
            if key != kind.main and value == spec.default:
                continue
            text = _fmt(value) + ("%" if spec.percent else "")
            if key == kind.main and self.kind in ("speed", "loss", "clip", "gain"):
                parts.insert(0, text)  # speed:1.15, loss:5%, clip:20%, gain:-25
            else:
                parts.append(f"{key}={text}")
        return self.kind + (":" + ",".join(parts) if parts else "")


def _fmt(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Perturbation:
    """A chain of steps applied left to right; ``clean`` is the empty chain."""

    steps: tuple[Step, ...]

    @property
    def name(self) -> str:
        """``phone+noise:snr=10``; ``clean`` for no step."""
        return "+".join(s.name for s in self.steps) or "clean"

    @property
    def is_clean(self) -> bool:
        """No step changes the audio."""
        return not self.steps


def _value(kind: str, key: str, raw: str, where: str) -> float | str:
    spec = KINDS[kind].params[key]
    if spec.choices:
        if raw not in spec.choices:
            raise PerturbationError(f"{where}: {key} must be one of {', '.join(spec.choices)} (got {raw!r})")
        return raw
    text = raw[:-1] if spec.percent and raw.endswith("%") else raw
    try:
        number = float(text)
    except ValueError:
        raise PerturbationError(f"{where}: {key} must be a number (got {raw!r})") from None
    assert spec.low is not None and spec.high is not None
    if not spec.low <= number <= spec.high or number != number:
        unit = "%" if spec.percent else ""
        raise PerturbationError(f"{where}: {key} must be between {spec.low:g}{unit} and {spec.high:g}{unit}")
    return number


def _step(text: str, where: str) -> Step:
    kind_name, _, rest = text.partition(":")
    kind_name = kind_name.strip().lower()
    if not _NAME_RE.match(kind_name) or kind_name not in KINDS:
        raise PerturbationError(f"{where}: unknown perturbation {kind_name!r}; use one of {', '.join(KINDS)}")
    kind = KINDS[kind_name]
    given: dict[str, float | str] = {}
    if rest.strip():
        for piece in rest.split(","):
            piece = piece.strip()
            key, eq, raw = piece.partition("=")
            if not eq:
                if kind.main is None or kind.main in given:
                    raise PerturbationError(f"{where}: {kind_name} takes no bare value {piece!r}")
                key, raw = kind.main, piece
            key = key.strip().lower()
            if key not in kind.params:
                known = ", ".join(kind.params) or "no parameters"
                raise PerturbationError(f"{where}: {kind_name} has no parameter {key!r} ({known})")
            if key in given:
                raise PerturbationError(f"{where}: {key} given twice")
            given[key] = _value(kind_name, key, raw.strip(), where)
    elif text.endswith(":"):
        raise PerturbationError(f"{where}: nothing after ':'")
    params: list[tuple[str, float | str]] = []
    for key, spec in kind.params.items():
        if key in given:
            params.append((key, given[key]))
        elif spec.default is None:
            raise PerturbationError(f"{where}: {kind_name} needs a value, e.g. {kind_name}:{_example(kind_name)}")
        else:
            params.append((key, float(spec.default) if not isinstance(spec.default, str) else spec.default))
    return Step(kind_name, tuple(params))


def _example(kind: str) -> str:
    return {"speed": "1.15", "loss": "5%"}.get(kind, "1")


def parse_perturbation(text: str) -> Perturbation:
    """``"phone+noise:snr=10"`` -> a chain; raises ``PerturbationError`` for anything unusable."""
    where = f"bad perturbation {text!r}"
    if not text or not text.strip():
        raise PerturbationError("bad perturbation '': empty name")
    parts = text.strip().split("+")
    if any(not part.strip() for part in parts):
        raise PerturbationError(f"{where}: empty step in the chain")
    steps = [_step(part.strip(), where) for part in parts]
    if len(steps) > 1 and any(s.kind == "clean" for s in steps):
        raise PerturbationError(f"{where}: 'clean' cannot be chained")
    return Perturbation(tuple(s for s in steps if s.kind != "clean"))


def parse_list(values: list[str]) -> list[Perturbation]:
    """The CLI's ``--perturb`` values (each a comma-separated list), unique, ``clean`` first."""
    items: list[str] = []
    for value in values:
        for piece in value.split(","):
            piece = piece.strip()
            if not piece:
                raise PerturbationError(f"bad --perturb {value!r}: empty item")
            if _KEY_START_RE.match(piece) and items and ":" in items[-1].rsplit("+", 1)[-1]:
                items[-1] += "," + piece  # noise:snr=10,color=pink
            else:
                items.append(piece)
    chains = [parse_perturbation(item) for item in items]
    unique = {c.name: c for c in [Perturbation(()), *chains]}
    return list(unique.values())
