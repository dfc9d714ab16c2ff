"""orchestrator.fsutil: atomic writes leave the old file or the new one, never half, never a temp file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator import fsutil
from orchestrator.fsutil import atomic_write_bytes, atomic_write_text


def test_atomic_write_bytes_creates_missing_parent_directories(tmp_path: Path):
    target = tmp_path / "a" / "b" / "reply.wav"

    returned = atomic_write_bytes(target, b"RIFF....")

    assert returned == target
    assert target.read_bytes() == b"RIFF...."


def test_atomic_write_replaces_an_existing_file_and_leaves_no_temp_file(tmp_path: Path):
    target = tmp_path / "state.json"
    target.write_text("old")

    atomic_write_text(target, "new \u2713")

    assert target.read_text(encoding="utf-8") == "new \u2713"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_failed_replace_keeps_the_old_file_and_removes_the_temp_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_text("old")

    def refuse(src, dst):
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(fsutil.os, "replace", refuse)

    with pytest.raises(OSError, match="simulated"):
        atomic_write_bytes(target, b"new")

    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_atomic_write_of_empty_bytes_writes_an_empty_file(tmp_path: Path):
    target = tmp_path / "empty.bin"

    atomic_write_bytes(target, b"")

    assert target.exists() and os.path.getsize(target) == 0
