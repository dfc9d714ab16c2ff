"""``voicebot adapter-control``: train, evaluate, switch and serve LoRA intent adapters."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orchestrator.adapters.activation import activate, deactivate, global_adapter, session_choice
from orchestrator.adapters.data import DEV_CSV, EvalRow, read_eval_rows
from orchestrator.adapters.metrics import Evaluation
from orchestrator.adapters.names import BASE
from orchestrator.adapters.store import StoredAdapter, find_adapter, list_adapters, set_served_model
from orchestrator.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    err_console,
    fail,
    load_settings,
    print_json,
    voicebot_errors,
)
from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError
from orchestrator.runtime import default_store
from orchestrator.sessions.base import SessionState
from orchestrator.sessions.ids import validate_session_id

__all__ = ["DataOption", "JsonOption", "MappedOption", "adapters_app", "eval_rows", "fmt", "progress"]

adapters_app = typer.Typer(
    help="Train, evaluate, switch and serve LoRA adapters of the intent classifier.\n\n"
    "Exit codes: 0 ok, 1 a check failed (--min-accuracy, a scenario regression), 2 usage or input error.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
SessionOption = Annotated[
    str | None, typer.Option("--session", help="Only this session (from its next turn), not the global choice.")
]
DataOption = Annotated[
    Path | None, typer.Option("--data", help="CSV with text,label columns (default: the shipped held-out file).")
]
MappedOption = Annotated[
    bool,
    typer.Option("--mapped", help="Labels are BANKING77 / NLU++ labels, mapped as 'voicebot eval-intents' does."),
]


@contextmanager
def progress(label: str) -> Iterator[Callable[[str, int, int], None]]:
    """A stderr progress bar per phase; yields ``update(phase, done, total)``."""
    bar = Progress(
        TextColumn(f"[bold]{escape(label)}[/] {{task.description}}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True, disable=not err_console.is_terminal,
    )
    tasks: dict[str, Any] = {}

    def update(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done, total=total)

    with bar:
        yield update


def _summary(adapter: StoredAdapter, active: str | None) -> dict[str, Any]:
    info = adapter.info
    return {
        "name": info.name,
        "source": adapter.source,
        "active": info.name == active,
        "labels": len(info.labels),
        "accuracy": info.metrics.get("accuracy"),
        "macro_f1": info.metrics.get("macro_f1"),
        "created_at": info.created_at.isoformat(),
        "served_model": info.served_model,
    }


@adapters_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Every adapter (trained under VOICEBOT_HOME and shipped), and which one is active."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        found, broken = list_adapters(settings)
        active = global_adapter(settings)
    rows = [_summary(a, active) for a in found]
    if as_json:
        print_json({"active": active, "adapters": rows, "broken": broken})
        return
    table = Table(title=f"{len(rows)} adapters (active: {active or 'none, the base model'})")
    for column in ("", "name", "source", "accuracy", "macro-F1", "created", "served model"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            "*" if row["active"] else "", escape(row["name"]), row["source"], fmt(row["accuracy"]),
            fmt(row["macro_f1"]), row["created_at"][:19], escape(row["served_model"] or "-"),
        )
    Console().print(table)
    for line in broken:
        err_console.print(f"[yellow]skipped:[/] {escape(line)}")


def fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "-"


@adapters_app.command("show")
def show_command(name: Annotated[str, typer.Argument(help="Adapter name.")], as_json: JsonOption = False) -> None:
    """One adapter's metadata: base model, data hash, metrics, labels, training, creation time."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        adapter = find_adapter(settings, name)
        active = global_adapter(settings)
    payload = {**adapter.as_dict(), "active": adapter.name == active}
    if as_json:
        print_json(payload)
        return
    out = Console(highlight=False)
    info = adapter.info
    out.print(f"[bold]{escape(info.name)}[/] ({adapter.source}{', active' if payload['active'] else ''})")
    out.print(f"path          {escape(str(adapter.path))}")
    out.print(f"base model    {escape(info.base_model.get('id', '?'))} ({escape(info.base_model.get('package', '?'))} "
              f"{escape(info.base_model.get('version', '?'))})")
    out.print(f"data          {escape(info.data.file)}: {info.data.rows} rows, sha256 {info.data.sha256}")
    out.print(f"labels        {escape(', '.join(info.labels))}")
    metrics = info.metrics
    out.print(f"metrics       accuracy {fmt(metrics.get('accuracy'))}, macro-F1 {fmt(metrics.get('macro_f1'))} "
              f"on {metrics.get('n', '?')} {metrics.get('split', '')} rows")
    training = info.training
    out.print(f"training      {training.get('epochs', '?')} epochs, {training.get('seconds', '?')} s, "
              f"LoRA r={training.get('rank', '?')}, seed {training.get('seed', '?')}")
    out.print(f"created       {info.created_at.isoformat()}")
    out.print(f"served model  {escape(info.served_model or '-')}")
    if info.description:
        out.print(f"description   {escape(info.description)}")


@adapters_app.command("train")
def train_command(
    data: Annotated[Path, typer.Option("--data", help="Training CSV with text,label columns (the dialog's intents).")],
    name: Annotated[str, typer.Option("--name", help="Adapter name: lower-case letters, digits, '_' or '-'.")],
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=50, help="Passes over the data.")] = 4,
    holdout: Annotated[
        float, typer.Option("--holdout", min=0.0, max=0.49, help="Share of each label held out to measure it.")
    ] = 0.1,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (split, shuffling, LoRA init).")] = 13,
    served_model: Annotated[
        str | None, typer.Option("--served-model", help="LLM-side twin: a vLLM LoRA name or a Mistral model id.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing adapter of that name.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Fine-tune MiniLM with LoRA and an intent head on DATA; save it atomically as NAME."""
    from orchestrator.adapters.train import TrainConfig, train_adapter

    settings = load_settings(as_json=as_json)
    config = TrainConfig(epochs=epochs, holdout=holdout, seed=seed)
    started = time.perf_counter()
    with voicebot_errors(as_json), progress(f"train {name}") as update:
        adapter = train_adapter(
            settings, name, data, config, served_model=served_model, force=force, progress=update
        )
    payload = {**adapter.as_dict(), "wall_s": round(time.perf_counter() - started, 1)}
    if as_json:
        print_json(payload)
        return
    metrics = adapter.info.metrics
    Console(highlight=False).print(
        f"trained [bold]{escape(adapter.name)}[/] in {adapter.info.training['seconds']} s: accuracy "
        f"{fmt(metrics['accuracy'])}, macro-F1 {fmt(metrics['macro_f1'])} on {metrics['n']} {metrics['split']} rows; "
        f"saved to {escape(str(adapter.path))}"
    )


def eval_rows(data: Path | None, mapped: bool, as_json: bool) -> tuple[Path, list[EvalRow]]:
    path = data or DEV_CSV
    with voicebot_errors(as_json):
        return path, read_eval_rows(path, mapped=mapped)


def _print_evaluation(title: str, evaluation: Evaluation) -> None:
    out = Console(highlight=False)
    intents = list(evaluation.per_intent)
    table = Table(title=f"confusion: {escape(title)} (rows expected, columns predicted)")
    table.add_column("expected", no_wrap=True)
    for intent in intents:
        table.add_column(intent[:5], justify="right")  # short headers keep ten columns on one screen
    for expected in intents:
        row = evaluation.confusion.get(expected, {})
        table.add_row(expected, *[str(row.get(p, 0)) if row.get(p) else "." for p in intents])
    out.print(table)
    scores = Table(title="per intent")
    for column in ("intent", "support", "precision", "recall", "F1"):
        scores.add_column(column, justify="left" if column == "intent" else "right")
    for intent, s in evaluation.per_intent.items():
        scores.add_row(intent, str(s["support"]), fmt(s["precision"]), fmt(s["recall"]), fmt(s["f1"]))
    out.print(scores)
    served = f"; {evaluation.served_accuracy:.3f} on served labels" if evaluation.served_accuracy is not None else ""
    out.print(f"[bold]{escape(title)}[/]: accuracy {evaluation.accuracy:.3f}, macro-F1 {evaluation.macro_f1:.3f} "
              f"on {evaluation.n} rows{served}")


@adapters_app.command("evaluate")
def evaluate_command(
    name: Annotated[str, typer.Argument(help="Adapter name ('base': the classifier without an adapter).")],
    data: DataOption = None,
    mapped: MappedOption = False,
    min_accuracy: Annotated[
        float | None, typer.Option("--min-accuracy", min=0.0, max=1.0, help="Exit 1 below this accuracy.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Accuracy, macro-F1 and a confusion table on labelled data (nothing is trained on it)."""
    from orchestrator.adapters.classifier import load_adapter_classifier
    from orchestrator.adapters.compare import base_classifier
    from orchestrator.adapters.metrics import evaluate_rows

    settings = load_settings(as_json=as_json)
    path, rows = eval_rows(data, mapped, as_json)
    with voicebot_errors(as_json), progress(f"evaluate {name}") as update:
        classifier = base_classifier(settings) if name == BASE else load_adapter_classifier(settings, name)
        evaluation = evaluate_rows(classifier, rows, lambda done, total: update("rows", done, total))
    payload = {"adapter": name, "data": str(path), "mapped": mapped, **evaluation.as_dict()}
    if as_json:
        print_json(payload)
    else:
        _print_evaluation(name, evaluation)
    if min_accuracy is not None and evaluation.accuracy < min_accuracy:
        if not as_json:
            err_console.print(f"[bold red]accuracy {evaluation.accuracy:.3f} is below --min-accuracy {min_accuracy}[/]")
        raise typer.Exit(EXIT_FAILED)


def _set_session(settings: Settings, session_id: str, choice: str | None, *, create: bool) -> SessionState:
    """Store the session's adapter choice; a new session is created only when ``create``."""
    sid = validate_session_id(session_id)
    store = default_store(settings)
    try:
        state = store.load(sid)
        if state is None:
            if not create:
                raise SessionNotFoundError(f"no session {sid!r} in the store")
            state = SessionState(session_id=sid)
        state.adapter = choice
        store.save(state)
        return state
    finally:
        store.close()


@adapters_app.command("activate")
def activate_command(
    name: Annotated[str, typer.Argument(help="Adapter name.")],
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Use adapter NAME for new turns: everywhere, or only in --session (created if new)."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        if session is None:
            adapter = activate(settings, name)
        else:
            adapter = find_adapter(settings, name)
            _set_session(settings, session, session_choice(adapter.name), create=True)
    payload = {"adapter": adapter.name, "scope": "session" if session else "global", "session_id": session}
    if as_json:
        print_json(payload)
    else:
        where = f"session {session}" if session else "every session without its own choice"
        Console(highlight=False).print(f"adapter [bold]{escape(adapter.name)}[/] is active for {escape(where)}")


@adapters_app.command("deactivate")
def deactivate_command(session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Back to the base model: globally, or for --session only (even if an adapter is active globally)."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        if session is None:
            previous = deactivate(settings)
        else:
            _set_session(settings, session, BASE, create=False)
            previous = None
    payload = {"scope": "session" if session else "global", "session_id": session, "previous": previous}
    if as_json:
        print_json(payload)
    elif session:
        Console(highlight=False).print(f"session {escape(session)} uses the base model from its next turn")
    else:
        was = f" ({escape(previous)} was active)" if previous else ""
        Console(highlight=False).print(f"no adapter is active globally{was}")


@adapters_app.command("map")
def map_command(
    name: Annotated[str, typer.Argument(help="Adapter name (a trained one; shipped ones are read-only).")],
    served_model: Annotated[
        str | None, typer.Option("--served-model", help="vLLM --lora-modules name or fine-tuned Mistral model id.")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the mapping.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Point an adapter at the LLM model its sessions should request."""
    if clear == (served_model is not None):
        fail("give exactly one of --served-model or --clear", EXIT_USAGE, as_json=as_json, category="usage")
    if served_model is not None and not served_model.strip():
        fail("--served-model must not be empty", EXIT_USAGE, as_json=as_json, category="usage")
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        adapter = set_served_model(settings, name, None if clear else served_model)
    if as_json:
        print_json({"adapter": adapter.name, "served_model": adapter.info.served_model})
    else:
        target = adapter.info.served_model or "no served model"
        Console(highlight=False).print(f"{escape(adapter.name)} -> {escape(target)}")
