"""A real redis-server on a free loopback port, for the tests that need one.

The ``redis_url`` fixture (one server for the whole test run) reaches the
tests through ``tests/unit/conftest.py`` and ``tests/integration/conftest.py``;
tests that share it flush the database they use first.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server(workdir: Path, *, port: int | None = None, persist: bool = False) -> Iterator[str]:
    """Start redis-server and yield its URL; CI must have it, elsewhere it is skipped.

    No persistence unless ``persist`` (an fsync'd append-only file in ``workdir``), so a server
    started again on the same ``port`` and ``workdir`` comes back with its data, like a restart.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: scripts/setup.sh --test installs it")
        pytest.skip("redis-server is not installed (scripts/setup.sh --test installs it)")
    port = port or _free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    durability = ["--appendonly", "yes", "--appendfsync", "always"] if persist else ["--appendonly", "no"]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", *durability, "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a redis-server that lives for the whole test run."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url
