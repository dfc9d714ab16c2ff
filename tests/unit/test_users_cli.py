"""``voicebot users add|list|remove``: exit codes, JSON output, and the password never echoed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.ui.users import UserStore, users_file


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["users", *args], input=stdin)


def test_users_help_names_every_command(home: Path):
    result = run("--help")

    assert result.exit_code == 0
    for command in ("add", "list", "remove"):
        assert command in result.output


def test_a_user_added_from_stdin_can_log_in_and_is_listed_without_its_hash(home: Path):
    added = run("add", "Alice", "--role", "qa", "--json", stdin="alice-password\n")

    assert added.exit_code == 0, added.output
    body = json.loads(added.output)
    assert body["user"]["name"] == "alice" and body["user"]["role"] == "qa" and body["login"] is True
    assert "alice-password" not in added.output
    assert UserStore(users_file(home)).authenticate("alice", "alice-password") is not None

    listed = run("list", "--json")
    assert listed.exit_code == 0
    data = json.loads(listed.output)
    assert data["login"] is True
    assert [(u["name"], u["role"]) for u in data["users"]] == [("alice", "qa")]
    assert "password" not in listed.output and "scrypt" not in listed.output


def test_the_text_output_says_whether_the_app_has_a_login(home: Path):
    assert "no login" in run("list").output
    run("add", "bob", "--role", "tester", stdin="bob-password\n")
    text = run("list").output
    assert "bob" in text and "tester" in text and "login on" in text


def test_bad_input_exits_2_with_one_json_error_and_writes_nothing(home: Path):
    cases = [
        (("add", "alice", "--role", "admin", "--json"), "alice-password\n", "unknown role"),
        (("add", "../alice", "--role", "qa", "--json"), "alice-password\n", "invalid user name"),
        (("add", "alice", "--role", "qa", "--json"), "short\n", "too short"),
        (("add", "alice", "--role", "qa", "--json"), "", "no password on stdin"),
        (("remove", "ghost", "--json"), None, "no user called"),
    ]
    for args, stdin, message in cases:
        result = run(*args, stdin=stdin)
        assert result.exit_code == 2, (args, result.output)
        error = json.loads(result.output)["error"]
        assert message in error["message"] and error["exit_code"] == 2
        assert "Traceback" not in result.output
    assert not users_file(home).exists() or UserStore(users_file(home)).users() == []


def test_adding_twice_needs_replace(home: Path):
    assert run("add", "alice", "--role", "tester", stdin="first-password\n").exit_code == 0
    again = run("add", "alice", "--role", "qa", stdin="second-password\n")
    assert again.exit_code == 2 and "--replace" in again.output

    replaced = run("add", "alice", "--role", "qa", "--replace", stdin="second-password\n")

    assert replaced.exit_code == 0
    assert UserStore(users_file(home)).get("alice").role == "qa"  # type: ignore[union-attr]


def test_removing_the_last_user_turns_the_login_off(home: Path):
    run("add", "alice", "--role", "qa", stdin="alice-password\n")
    run("add", "bob", "--role", "demo", stdin="bob-password\n")

    first = run("remove", "alice", "--json")
    last = run("remove", "bob")

    assert first.exit_code == 0 and last.exit_code == 0
    assert json.loads(first.output)["removed"]["name"] == "alice"
    assert json.loads(first.output)["login"] is True  # bob is still there
    assert "no users left" in last.output
    assert json.loads(run("list", "--json").output)["login"] is False


def test_a_damaged_users_file_exits_2_naming_the_file(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    users_file(home).write_text("{broken", encoding="utf-8")

    result = run("list", "--json")

    assert result.exit_code == 2
    assert "users.json" in json.loads(result.output)["error"]["message"]
