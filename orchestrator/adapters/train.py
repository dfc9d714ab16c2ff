"""Train an intent adapter: LoRA on MiniLM plus a linear head, on a ``text,label`` CSV.

Deterministic for a given file, seed and torch build: the held-out split,
the shuffling and the LoRA initialisation all come from ``seed``. Training
runs on at most two threads (the machines have two cores).

The head starts as the base classifier's logistic regression over the same
sentence vectors, so the first step already matches the base model; LoRA
and the head are then tuned together with cross-entropy.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from orchestrator.adapters.classifier import AdapterIntentClassifier
from orchestrator.adapters.data import EvalRow, LabelledText, file_sha256, read_training_csv
from orchestrator.adapters.metrics import evaluate_rows
from orchestrator.adapters.model import IntentModel, base_model_info, new_intent_model, torch_threads
from orchestrator.adapters.store import AdapterInfo, DataInfo, StoredAdapter, check_name_free, save_adapter
from orchestrator.config import Settings

__all__ = ["TrainConfig", "TrainProgress", "split_holdout", "train_adapter", "train_model"]

# (phase, done, total): phase is "embed", "train" or "evaluate".
TrainProgress = Callable[[str, int, int], None]
_HEAD_C = 10.0  # the base classifier's regularisation (orchestrator.nlu.intents)


@dataclass(frozen=True)
class TrainConfig:
    """Training knobs; the defaults trained the shipped adapter."""

    epochs: int = 4
    batch_size: int = 16
    learning_rate: float = 5e-4
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.1
    # Share of each label held out to measure the adapter (0: measure on the training rows).
    holdout: float = 0.1
    seed: int = 13

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= 50:
            raise ValueError(f"epochs must be within 1..50, not {self.epochs}")
        if not 0.0 <= self.holdout < 0.5:
            raise ValueError(f"holdout must be within 0..0.5, not {self.holdout}")
        if self.batch_size < 1 or self.rank < 1 or self.learning_rate <= 0:
            raise ValueError("batch_size, rank and learning_rate must be positive")


def split_holdout(
    rows: Sequence[LabelledText], fraction: float, seed: int
) -> tuple[list[LabelledText], list[LabelledText]]:
    """(train, held out): ``fraction`` of each label, at least one row, chosen by ``seed``; a label
    with fewer than three rows is kept whole for training."""
    if fraction <= 0:
        return list(rows), []
    rng = random.Random(seed)
    by_label: dict[str, list[LabelledText]] = {}
    for row in rows:
        by_label.setdefault(row.label, []).append(row)
    train: list[LabelledText] = []
    held: list[LabelledText] = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        take = max(1, round(len(group) * fraction)) if len(group) >= 3 else 0
        held += group[:take]
        train += group[take:]
    return train, held


def _warm_start(model: IntentModel, rows: Sequence[LabelledText], progress: TrainProgress | None) -> None:
    """Set the head to the logistic regression the base classifier would fit on these rows."""
    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    model.train(False)
    vectors = []
    with torch.inference_mode():
        for start in range(0, len(rows), 64):
            batch = rows[start : start + 64]
            vectors.append(model.embed([r.text for r in batch]).numpy())
            if progress is not None:
                progress("embed", min(start + 64, len(rows)), len(rows))
    regression = LogisticRegression(C=_HEAD_C, max_iter=3000)
    regression.fit(np.concatenate(vectors), [r.label for r in rows])
    order = [list(regression.classes_).index(label) for label in model.labels]
    weight, bias = np.asarray(regression.coef_), np.asarray(regression.intercept_)
    if weight.shape[0] == 1:  # two labels: sklearn keeps one row, the second label's log-odds
        weight, bias = np.vstack([np.zeros_like(weight), weight]), np.concatenate([[0.0], bias])
    with torch.no_grad():
        model.head.weight.copy_(torch.tensor(weight[order], dtype=torch.float32))
        model.head.bias.copy_(torch.tensor(bias[order], dtype=torch.float32))


def train_model(
    rows: Sequence[LabelledText], config: TrainConfig, progress: TrainProgress | None = None
) -> tuple[IntentModel, list[float]]:
    """A trained model on ``rows`` and the mean loss of each epoch."""
    import torch

    torch_threads()
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    labels = sorted({r.label for r in rows})
    model = new_intent_model(labels, rank=config.rank, alpha=config.alpha, dropout=config.dropout, seed=config.seed)
    _warm_start(model, rows, progress)
    index = {label: i for i, label in enumerate(labels)}
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(config.seed)
    steps_per_epoch = -(-len(rows) // config.batch_size)
    total, done, losses = steps_per_epoch * config.epochs, 0, []
    for _ in range(config.epochs):
        model.train(True)
        order = torch.randperm(len(rows), generator=generator).tolist()
        epoch_loss = 0.0
        for start in range(0, len(order), config.batch_size):
            batch = [rows[i] for i in order[start : start + config.batch_size]]
            target = torch.tensor([index[r.label] for r in batch])
            loss = loss_fn(model.logits([r.text for r in batch]), target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            epoch_loss += loss.item() * len(batch)
            done += 1
            if progress is not None:
                progress("train", done, total)
        losses.append(round(epoch_loss / len(rows), 4))
    model.train(False)
    return model, losses


def _versions() -> dict[str, str]:
    out = {}
    for package in ("torch", "peft", "transformers"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "unknown"
    return out


def train_adapter(
    settings: Settings,
    name: str,
    data: Path,
    config: TrainConfig | None = None,
    *,
    served_model: str | None = None,
    description: str = "",
    force: bool = False,
    progress: TrainProgress | None = None,
    root: Path | None = None,
) -> StoredAdapter:
    """Train adapter ``name`` on the CSV ``data`` and save it atomically with its metadata.

    The name and the file are checked before any model loads. Raises
    ``InvalidAdapterNameError``, ``AdapterExistsError``, ``TrainingDataError``
    or ``BackendUnavailableError`` (MiniLM missing).
    """
    config = config or TrainConfig()
    if root is None:
        check_name_free(settings, name, force=force)
    rows = read_training_csv(data)
    digest = file_sha256(data)
    train_rows, held = split_holdout(rows, config.holdout, config.seed)
    started = time.perf_counter()
    model, losses = train_model(train_rows, config, progress)
    seconds = round(time.perf_counter() - started, 1)
    measured = held or train_rows
    classifier = AdapterIntentClassifier(model, name)
    evaluation = evaluate_rows(
        classifier,
        [EvalRow(r.text, (r.label,)) for r in measured],
        (lambda done, total: progress("evaluate", done, total)) if progress is not None else None,
    )
    metrics: dict[str, Any] = {
        "split": "holdout" if held else "train",
        "n": evaluation.n,
        "accuracy": evaluation.accuracy,
        "macro_f1": evaluation.macro_f1,
        "final_loss": losses[-1],
    }
    import torch

    info = AdapterInfo(
        name=name,
        base_model=base_model_info(),
        labels=list(model.labels),
        data=DataInfo(
            file=data.name,
            sha256=digest,
            rows=len(rows),
            per_label=dict(sorted(Counter(r.label for r in rows).items())),
        ),
        metrics=metrics,
        training={
            **asdict(config),
            "train_rows": len(train_rows),
            "held_out_rows": len(held),
            "epoch_losses": losses,
            "seconds": seconds,
            "threads": torch.get_num_threads(),
            "versions": _versions(),
        },
        served_model=served_model or None,
        description=description,
    )

    def write(folder: Path) -> AdapterInfo:
        model.save(folder)
        return info

    return save_adapter(settings, name, write, force=force, root=root)
