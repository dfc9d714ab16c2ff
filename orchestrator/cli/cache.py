"""``voicebot cache-manager stats|list|search|warm|clear|export|import|tune``: the semantic cache."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from orchestrator.cache.admin import entry_row, export_entries, import_entries, read_questions, stats, warm
from orchestrator.cache.audio import ReplyAudioStore
from orchestrator.cache.encoders import load_cache_encoder
from orchestrator.cache.semantic import SemanticCache
from orchestrator.cache.stores import CacheStore, open_cache_store
from orchestrator.cache.tune import load_pairs, thresholds_between, tune
from orchestrator.cache.turns import session_scope, session_version
from orchestrator.cli.common import EXIT_FAILED, EXIT_USAGE, fail, load_settings, print_json, voicebot_errors
from orchestrator.config import Settings
from orchestrator.llm.base import DialogBackend

__all__ = ["cache_app"]

cache_app = typer.Typer(
    help="Inspect, fill, empty, move and tune the semantic cache (VOICEBOT_CACHE_*).\n\n"
    "Exit codes: 0 ok, 1 a check failed (tune found no safe threshold), 2 usage or input error.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
_out = Console()


@contextlib.contextmanager
def _opened(settings: Settings) -> Iterator[CacheStore]:
    """The configured store, closed afterwards."""
    store = open_cache_store(settings)
    try:
        yield store
    finally:
        store.close()


def _semantic(settings: Settings, store: CacheStore, dialog: DialogBackend | None = None) -> SemanticCache:
    """The cache as the pipeline sees it (loads the encoder): its scope and today's version."""
    cache = SemanticCache(
        load_cache_encoder(settings.cache_encoder, settings.models_dir), store, threshold=settings.cache_threshold,
        topic_threshold=settings.cache_topic_threshold, ttl_s=settings.cache_ttl_s, scope=session_scope(settings),
        version=session_version(settings, dialog).id,
    )
    cache.refresh()
    return cache


def _rows_table(rows: list[dict[str, Any]], title: str, extra: str | None = None) -> None:
    table = Table(title=title)
    for column in ("id", "intent", "question", "reply", "ttl_left_s", *([extra] if extra else [])):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"][:8], row["intent"], row["question"], row["reply"][:60], f"{row['ttl_left_s']:.0f}",
                      *([str(row[extra])] if extra else []))
    _out.print(table)


@cache_app.command("stats")
def stats_command(as_json: JsonOption = False) -> None:
    """Entries, hit rate, p50 lookup ms (embedding included) and total ms saved."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json), _opened(settings) as store:
        data = stats(store, settings.logs_dir)
    data["threshold"] = settings.cache_threshold
    data["enabled"] = settings.cache
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        _out.print(f"[bold]{key}[/]: {value}", highlight=False)


@cache_app.command("list")
def list_command(
    intent: Annotated[str | None, typer.Option(help="Only entries of this intent.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every live entry, newest first."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json), _opened(settings) as store:
        entries = sorted((e for e in store.load() if not e.expired()), key=lambda e: e.created_at, reverse=True)
    rows = [entry_row(e) for e in entries if intent is None or e.intent == intent]
    if as_json:
        print_json({"entries": rows})
    else:
        _rows_table(rows, f"{len(rows)} cache entries")


@cache_app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="A question, as a caller would ask it.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many entries to show.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """The entries nearest to QUERY, with their cosine similarity, and what a turn would get."""
    settings = load_settings(as_json=as_json)
    if not query.strip():
        fail("the query is empty", EXIT_USAGE, as_json=as_json, category="usage")
    with voicebot_errors(as_json), _opened(settings) as store:
        cache = _semantic(settings, store)
        found = cache.search(query, k)
        probe = cache.probe(query, {"disclosed": True})
    rows = [{**entry_row(e), "similarity": s} for e, s in found]
    verdict = {"hit": probe.hit, "reason": probe.reason, "similarity": probe.similarity,
               "entry_id": probe.entry.id if probe.entry else None, "signature": list(probe.signature)}
    if as_json:
        print_json({"query": probe.question, "threshold": cache.threshold, "lookup": verdict, "nearest": rows})
        return
    _out.print(f"lookup: {verdict['reason']} (similarity {verdict['similarity']}, threshold {cache.threshold})",
               highlight=False)
    _rows_table(rows, f"nearest to {probe.question!r}", extra="similarity")


@cache_app.command("warm")
def warm_command(
    file: Annotated[Path, typer.Argument(help="Questions, one per line (# comments), or JSON Lines with \"text\".")],
    as_json: JsonOption = False,
) -> None:
    """Ask the dialog each question of FILE (as a new caller) and cache the answers policy allows."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        questions = read_questions(file)
        from orchestrator.llm import DIALOG_BACKENDS

        dialog = DIALOG_BACKENDS.create(settings.llm, settings)
        with _opened(settings) as store:
            results = warm(_semantic(settings, store, dialog), dialog, questions)
    stored = sum(r["stored"] for r in results)
    if as_json:
        print_json({"questions": len(results), "stored": stored, "results": results})
        return
    for row in results:
        mark = "[green]stored[/]" if row["stored"] else f"[yellow]{row.get('why')}[/]"
        _out.print(f"{mark}  {row['question']}", highlight=False)
    _out.print(f"{stored} of {len(results)} stored", highlight=False)


@cache_app.command("clear")
def clear_command(as_json: JsonOption = False) -> None:
    """Delete every entry (for every worker sharing the store) and the kept reply audio."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        with _opened(settings) as store:
            removed = store.clear()
        audio = ReplyAudioStore(settings.cache_dir / "audio").clear()
    if as_json:
        print_json({"removed": removed, "audio_removed": audio})
    else:
        _out.print(f"removed {removed} entries and {audio} reply audio files", highlight=False)


@cache_app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="Where to write the entries (JSON Lines).")],
    as_json: JsonOption = False,
) -> None:
    """Write every live entry to FILE (JSON Lines, vectors included; no audio)."""
    settings = load_settings(as_json=as_json)
    if file.is_dir():
        fail(f"{file} is a directory", EXIT_USAGE, as_json=as_json, category="usage")
    with voicebot_errors(as_json), _opened(settings) as store:
        count = export_entries(store, file)
    if as_json:
        print_json({"exported": count, "path": str(file)})
    else:
        _out.print(f"exported {count} entries to {file}", highlight=False)


@cache_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="An export (JSON Lines).")],
    as_json: JsonOption = False,
) -> None:
    """Add the entries of FILE; each is checked again (policy, personal data, expiry, vector size)."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json), _opened(settings) as store:
        result = import_entries(_semantic(settings, store), file)
    if as_json:
        print_json(result)
    else:
        _out.print(f"imported {result['imported']}; skipped {result['skipped'] or 'none'}", highlight=False)


@cache_app.command("tune")
def tune_command(
    pairs: Annotated[
        Path | None, typer.Option(help="Labelled pairs (JSON Lines: a, b, hit, kind); default: the shipped set.")
    ] = None,
    low: Annotated[float, typer.Option(help="Lowest threshold tried.")] = 0.5,
    high: Annotated[float, typer.Option(help="Highest threshold tried.")] = 0.98,
    step: Annotated[float, typer.Option(help="Step between thresholds.")] = 0.02,
    margin: Annotated[float, typer.Option(min=0.0, max=0.5, help="No false hit this far below it either.")] = 0.02,
    as_json: JsonOption = False,
) -> None:
    """Hit rate and false-hit rate over a range of thresholds on labelled pairs; recommends one.

    Exits 1 when no threshold is free of false hits.
    """
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        labelled = load_pairs(pairs)
        grid = thresholds_between(low, high, step)
        report = tune(
            load_cache_encoder(settings.cache_encoder, settings.models_dir), labelled, grid, margin=margin,
            topic_threshold=settings.cache_topic_threshold,
        )
    report["current_threshold"] = settings.cache_threshold
    if as_json:
        print_json(report)
    else:
        table = Table(title=f"{report['pairs']} pairs ({report['should_hit']} should hit)")
        for column in ("threshold", "hit rate", "false-hit rate", "false hits"):
            table.add_column(column)
        for row in report["thresholds"]:
            table.add_row(f"{row['threshold']:.2f}", str(row["hit_rate"]), str(row["false_hit_rate"]),
                          str(row["false_hits"]))
        _out.print(table)
        _out.print(f"recommended: {report['recommended']} (hit rate {report['recommended_hit_rate']}); "
                   f"VOICEBOT_CACHE_THRESHOLD is {settings.cache_threshold}", highlight=False)
    if report["recommended"] is None:
        raise typer.Exit(EXIT_FAILED)
