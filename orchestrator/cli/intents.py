"""``voicebot eval-intents``: measure the intent classifier on a labelled CSV."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from orchestrator.cli.common import EXIT_FAILED, EXIT_USAGE, err_console, fail, print_json, voicebot_errors
from orchestrator.nlu.intent_eval import EvalDataError, EvalReport, evaluate, read_labelled_csv
from orchestrator.nlu.intents import CLASSIFIERS, load_intent_classifier

__all__ = ["eval_intents", "eval_payload"]


def eval_payload(classifier: str, path: Path, report: EvalReport, load_s: float) -> dict[str, Any]:
    """The machine-readable shape of one evaluation (what ``--json`` prints)."""
    return {"classifier": classifier, "path": str(path), "load_s": round(load_s, 3), **report.as_dict()}


def eval_intents(
    path: Annotated[
        Path,
        typer.Argument(help="CSV with 'text' and 'label' columns (BANKING77 / NLU++ labels; optional 'all_labels')."),
    ],
    classifier: Annotated[
        str, typer.Option("--classifier", "-c", help=f"Which classifier: {' or '.join(CLASSIFIERS)}.")
    ] = "minilm",
    min_accuracy: Annotated[
        float | None,
        typer.Option("--min-accuracy", min=0.0, max=1.0, help="Exit 1 when the accuracy over all rows is below this."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Classify every row and report accuracy against the label mapping (nothing is trained on the file)."""
    try:
        rows = read_labelled_csv(path)
    except EvalDataError as exc:
        fail(str(exc), EXIT_USAGE, as_json=as_json, category="input")
    with voicebot_errors(as_json):
        start = time.perf_counter()
        model = load_intent_classifier(classifier)
        load_s = time.perf_counter() - start
        report = evaluate(model, rows)
    payload = eval_payload(classifier, path, report, load_s)
    if as_json:
        print_json(payload)
    else:
        _print_human(payload)
    if min_accuracy is not None and report.accuracy < min_accuracy:
        if not as_json:
            err_console.print(f"[bold red]accuracy {report.accuracy:.3f} is below --min-accuracy {min_accuracy:.3f}[/]")
        raise typer.Exit(EXIT_FAILED)


def _print_human(payload: dict[str, Any]) -> None:
    out = Console()
    labels = Table(title=f"accuracy per dataset label ({payload['classifier']})")
    for column in ("dataset label", "expected intent", "n", "accuracy"):
        labels.add_column(column, justify="right" if column in ("n", "accuracy") else "left")
    for label, row in payload["per_label"].items():
        labels.add_row(label, str(row["expected"]), str(row["n"]), f"{row['accuracy']:.3f}")
    out.print(labels)
    intents = Table(title="precision and recall per intent")
    for column in ("intent", "expected", "predicted", "precision", "recall"):
        intents.add_column(column, justify="left" if column == "intent" else "right")
    for intent, row in payload["per_intent"].items():
        intents.add_row(intent, str(row["expected"]), str(row["predicted"]), f"{row['precision']:.3f}",
                        f"{row['recall']:.3f}")
    out.print(intents)
    latency = payload["latency_ms"]
    out.print(
        f"[bold]accuracy[/] {payload['accuracy']:.3f} on all {payload['n']} rows "
        f"(unserved labels expect out_of_scope); "
        f"{payload['mapped']['accuracy']:.3f} on the {payload['mapped']['n']} mapped rows; "
        f"{payload['unserved']['accuracy']:.3f} on the {payload['unserved']['n']} unserved rows"
    )
    out.print(f"load {payload['load_s']:.2f} s; classify p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms")
