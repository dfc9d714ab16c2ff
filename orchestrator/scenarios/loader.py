"""Read scenario YAML files, and say exactly where a malformed one is wrong.

YAML syntax errors carry their own line. For a schema error, the error's
location (``turns -> 2 -> expect -> figures``) is walked through the YAML
node tree (``yaml.compose``) to the line that holds it. The same tree is
checked first for repeated keys (YAML keeps the last one silently, which
would drop an expectation) and for alias bombs.
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

__all__ = [
    "SHIPPED_DIR",
    "LoadedScenario",
    "ScenarioError",
    "find_scenarios",
    "load_scenario",
    "load_scenarios",
    "resolve_audio",
]

# The scenarios that ship with the checkout (next to the orchestrator package).
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "scenarios"
MAX_BYTES = 1_000_000
# Folders of this name hold caller personas (orchestrator.personas), not scenarios.
PERSONAS_DIRNAME = "personas"
# Nodes after alias expansion: far above any real scenario, far below an alias bomb.
MAX_NODES = 100_000
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
    """1-based line of the node at ``loc``, or of the deepest part of it that the document has.

    A key the document lacks (a missing required field) stops the walk at its
    parent mapping. Steps pydantic adds that are not in the document (union
    branches, ``[key]``) are skipped.
    """
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)), None)
            if match is None:
                return line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
        else:
            continue
        line = node.start_mark.line + 1
    return line


def _tree_problem(root: yaml.Node) -> tuple[int, str] | None:
    """(line, problem) for the earliest repeated mapping key, or an over-large tree once aliases expand."""
    stack: list[yaml.Node] = [root]
    repeated: list[tuple[int, str]] = []
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            return node.start_mark.line + 1, f"more than {MAX_NODES} nodes once aliases are expanded"
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen and key.value != "<<":
                        repeated.append((key.start_mark.line + 1, f"key {key.value!r} appears twice in one mapping"))
                    seen.add(key.value)
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return min(repeated) if repeated else None


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
        root = yaml.compose(text, Loader=_Loader)
        tree_problem = _tree_problem(root) if root is not None else None
        if tree_problem is not None:
            raise ScenarioError(f"{path}:{tree_problem[0]}: {tree_problem[1]}")
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        detail = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}{where}: invalid YAML: {detail}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}:1: a scenario is a mapping with name, turns, ... (got {type(data).__name__})")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        # Report the error that comes first in the file (pydantic orders them by field).
        located = [(_node_line(root, tuple(e["loc"])) or 1, i, e) for i, e in enumerate(exc.errors())]
        line, _, first = min(located, key=lambda item: item[:2])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ScenarioError(f"{path}:{line}: {_describe(dict(first))}{more}") from None
    loaded = LoadedScenario(scenario=scenario, path=path)
    for index, turn in enumerate(scenario.turns):
        if turn.audio is not None and (problem := _audio_problem(loaded, turn.audio)) is not None:
            audio_line = _node_line(root, ("turns", index, "audio")) or 1
            raise ScenarioError(f"{path}:{audio_line}: turns.{index}.audio: {problem}")
    return loaded


def load_scenarios(paths: list[Path]) -> tuple[list[LoadedScenario], list[str]]:
    """Every scenario under ``paths``, and one ``file:line: problem`` message per unusable file."""
    loaded: list[LoadedScenario] = []
    problems: list[str] = []
    for path in find_scenarios(paths):
        try:
            loaded.append(load_scenario(path))
        except ScenarioError as exc:
            problems.append(exc.message)
    return loaded, problems


def find_scenarios(paths: list[Path]) -> list[Path]:
    """Scenario files under ``paths`` (files as given, directories searched), sorted, no duplicates.

    A directory search skips ``personas/`` folders, which hold caller personas.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in path.rglob("*")
                if p.suffix in SUFFIXES and p.is_file()
                and PERSONAS_DIRNAME not in p.relative_to(path).parts[:-1]
            )
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or directory")
    unique = sorted({p.resolve(): p for p in found}.values(), key=lambda p: str(p))
    return unique


def _audio_problem(loaded: LoadedScenario, name: str) -> str | None:
    """Why a turn's audio file cannot be used, or None."""
    base = loaded.path.resolve().parent
    candidate = (base / name).resolve()
    if Path(name).is_absolute() or not candidate.is_relative_to(base):
        return f"audio path {name!r} leaves the scenario's folder"
    if not candidate.is_file():
        return f"audio file {name!r} not found next to the scenario"
    return None


def resolve_audio(loaded: LoadedScenario, name: str) -> Path:
    """The audio file a turn names, relative to its scenario; it may not leave that folder."""
    problem = _audio_problem(loaded, name)
    if problem is not None:
        raise ScenarioError(f"{loaded.path}: {problem}")
    return (loaded.path.resolve().parent / name).resolve()
