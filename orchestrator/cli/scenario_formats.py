"""``voicebot scenarios import|export``: the peers' test formats (Botium, Rasa, Pipecat) in and out.

Whatever does not map is printed (on stderr; in ``--json`` under
``unmapped``), never dropped silently. Written files are validated first,
written atomically, and an existing one is only replaced with ``--force``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape

from orchestrator.cli.common import EXIT_USAGE, err_console, fail, print_json
from orchestrator.scenarios.formats import IMPORTERS, Conversion, export_botium
from orchestrator.scenarios.formats.common import Unmapped, file_names, scenario_yaml, write_files
from orchestrator.scenarios.loader import ScenarioError, load_scenarios

__all__ = ["scenarios_app"]

scenarios_app = typer.Typer(
    help="Convert test conversations between this workbench's scenarios and Botium, Rasa or Pipecat files.",
    no_args_is_help=True,
)

JSON_HELP = "Print the result as one JSON object."
OUT_HELP = "Write the files into this folder (default: print them on stdout)."


def _report(unmapped: list[Unmapped], quiet: bool) -> None:
    if quiet:
        return
    for item in unmapped:
        colour = "yellow" if item.kind == "approximated" else "red"
        err_console.print(f"[{colour}]{item.kind}:[/] {escape(item.where)}: {escape(item.what)} ({escape(item.why)})",
                          highlight=False, soft_wrap=True)
    dropped = sum(u.kind == "dropped" for u in unmapped)
    if unmapped:
        err_console.print(f"{dropped} part(s) not mapped, {len(unmapped) - dropped} mapped approximately")


def _emit(files: dict[str, str], out: Path | None, force: bool, unmapped: list[Unmapped], as_json: bool) -> None:
    try:
        paths = write_files(files, out, force=force) if out is not None else []
    except ScenarioError as exc:
        fail(exc.message, EXIT_USAGE, as_json=as_json, category=exc.category)
    except OSError as exc:
        fail(f"cannot write into {out}: {exc.strerror or exc}", EXIT_USAGE, as_json=as_json, category="io")
    if as_json:
        print_json({
            "files": [{"name": name, **({"path": str(out / name)} if out is not None else {"text": text})}
                      for name, text in files.items()],
            "unmapped": [u.as_dict() for u in unmapped],
        })
    elif out is None:
        sys.stdout.write("\n".join(f"# {name}\n{text}" for name, text in files.items()))
    else:
        for path in paths:
            err_console.print(f"wrote {escape(str(path))}", highlight=False)
    _report(unmapped, as_json)


@scenarios_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A Botium .convo.txt, a Rasa e2e_test_cases.yml or a Pipecat eval.")],
    source: Annotated[Literal["botium", "rasa", "pipecat"], typer.Option("--from", help="The file's format.")],
    out: Annotated[Path | None, typer.Option("--out", help=OUT_HELP)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing scenario files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Convert a peer's test file into scenarios (one YAML file per conversation)."""
    try:
        converted: Conversion = IMPORTERS[source](file)
    except ScenarioError as exc:
        fail(exc.message, EXIT_USAGE, as_json=as_json, category=exc.category)
    if not converted.scenarios:
        _report(converted.unmapped, as_json)
        fail(f"{file}: nothing in it could be converted into a scenario", EXIT_USAGE, as_json=as_json,
             category="scenario")
    names = file_names(converted.scenarios, ".yaml")
    files = {name: scenario_yaml(s) for name, s in zip(names, converted.scenarios, strict=True)}
    _emit(files, out, force, converted.unmapped, as_json)


@scenarios_app.command("export")
def export_command(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders.")],
    target: Annotated[Literal["botium"], typer.Option("--to", help="The format to write.")],
    out: Annotated[Path | None, typer.Option("--out", help=OUT_HELP)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing convo files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Write scenarios as Botium .convo.txt files (one per scenario)."""
    try:
        loaded, problems = load_scenarios(paths)
    except ScenarioError as exc:
        fail(exc.message, EXIT_USAGE, as_json=as_json, category=exc.category)
    if problems:
        fail("\n".join(problems), EXIT_USAGE, as_json=as_json, category="scenario")
    if not loaded:
        fail("no scenarios to export: no *.yaml or *.yml file under the given paths", EXIT_USAGE, as_json=as_json,
             category="scenario")
    unmapped: list[Unmapped] = []
    texts: list[str] = []
    for scenario in loaded:
        text, notes = export_botium(scenario)
        texts.append(text)
        unmapped += notes.unmapped
    names = file_names([{"name": s.name} for s in loaded], ".convo.txt")
    _emit(dict(zip(names, texts, strict=True)), out, force, unmapped, as_json)
