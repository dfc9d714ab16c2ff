"""``voicebot eval-intents``: measure the intent classifier on a labelled CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchestrator.cli.common import EXIT_FAILED, EXIT_USAGE, fail, print_json, voicebot_errors
from orchestrator.nlu.intent_eval import EvalDataError, evaluate, read_labelled_csv
from orchestrator.nlu.intents import CLASSIFIERS, load_intent_classifier

__all__ = ["eval_intents"]


def eval_intents(
    path: Annotated[Path, typer.Argument(help="CSV with 'text' and 'label' columns (BANKING77 / NLU++ labels).")],
    classifier: Annotated[
        str, typer.Option("--classifier", "-c", help=f"Which classifier: {' or '.join(CLASSIFIERS)}.")
    ] = "minilm",
    min_accuracy: Annotated[
        float | None,
        typer.Option("--min-accuracy", min=0.0, max=1.0, help="Exit 1 when mapped-label accuracy is below this."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Classify every row and report accuracy against the label mapping (no training on the file)."""
    try:
        rows = read_labelled_csv(path)
    except EvalDataError as exc:
        fail(str(exc), EXIT_USAGE, as_json=as_json, category="input")
    with voicebot_errors(as_json):
        model = load_intent_classifier(classifier)
        report = evaluate(model, rows)
    if as_json:
        print_json({"classifier": classifier, "path": str(path), **report.as_dict()})
    else:
        _print_table(classifier, report)
    if min_accuracy is not None and report.mapped_accuracy < min_accuracy:
        if not as_json:
            Console(stderr=True).print(
                f"[bold red]mapped accuracy {report.mapped_accuracy:.3f} is below {min_accuracy:.3f}[/]"
            )
        raise typer.Exit(EXIT_FAILED)


def _print_table(classifier: str, report: object) -> None:
    from orchestrator.nlu.intent_eval import EvalReport

    assert isinstance(report, EvalReport)
    table = Table(title=f"intent accuracy ({classifier})")
    table.add_column("dataset label")
    table.add_column("expected intent(s)")
    table.add_column("n", justify="right")
    table.add_column("accuracy", justify="right")
    for label, row in report.per_label.items():
        table.add_row(label, str(row["expected"]), str(row["n"]), f"{float(row['accuracy']):.3f}")
    console = Console()
    console.print(table)
    console.print(
        f"mapped labels: {report.mapped_accuracy:.3f} on {report.mapped_n}; "
        f"unserved labels (out_of_scope or handoff is right): {report.unserved_accuracy:.3f} on {report.unserved_n}; "
        f"all: {report.accuracy:.3f} on {report.n}"
    )
