"""Read scenario YAML files, and say exactly where a malformed one is wrong.

YAML syntax errors carry their own line. For a schema error, the error's
location (``turns -> 2 -> expect -> figures``) is walked through the YAML
node tree (``yaml.compose``) to the line that holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from orchestrator.errors import InputError
from orchestrator.scenarios.model import Scenario

__all__ = ["LoadedScenario", "ScenarioError", "find_scenarios", "load_scenario", "resolve_audio"]

MAX_BYTES = 1_000_000
SUFFIXES = (".yaml", ".yml")


class _Loader(yaml.SafeLoader):
    """Safe YAML where only true/false are booleans: a caller saying ``yes`` or ``no`` stays text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class ScenarioError(InputError):
    """A scenario file that cannot be used; the message names the file and the line."""

    category = "scenario"


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and the file it came from."""

    scenario: Scenario
    path: Path

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name


def _node_line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the node at ``loc`` (the deepest one that exists)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)), None)
            if match is None:
                # An unknown key: point at the key itself when it is there.
                keyed = next((k for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)), None)
                return keyed.start_mark.line + 1 if keyed is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
        else:
            continue  # pydantic adds steps (union branches) that are not in the document
        line = node.start_mark.line + 1
    return line


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{loc}: {message}" if loc else message


def load_scenario(path: Path) -> LoadedScenario:
    """Parse and validate one file; raises ``ScenarioError`` with ``file:line: what is wrong``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, not a scenario file") from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError(f"{path}: larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    try:
        data = yaml.load(text, Loader=_Loader)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}:1: a scenario is a mapping with name, turns, ... (got {type(data).__name__})")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        line = _node_line(root, tuple(first["loc"]))
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ScenarioError(f"{path}:{line or 1}: {_describe(dict(first))}{more}") from None
    return LoadedScenario(scenario=scenario, path=path)


def find_scenarios(paths: list[Path]) -> list[Path]:
    """Scenario files under ``paths`` (files as given, directories searched), sorted, no duplicates."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or directory")
    unique = sorted({p.resolve(): p for p in found}.values(), key=lambda p: str(p))
    return unique


def resolve_audio(loaded: LoadedScenario, name: str) -> Path:
    """The audio file a turn names, relative to its scenario; it may not leave that folder."""
    base = loaded.path.resolve().parent
    candidate = (base / name).resolve()
    if Path(name).is_absolute() or not candidate.is_relative_to(base):
        raise ScenarioError(f"{loaded.path}: audio path {name!r} leaves the scenario's folder")
    if not candidate.is_file():
        raise ScenarioError(f"{loaded.path}: audio file {name!r} not found next to the scenario")
    return candidate
