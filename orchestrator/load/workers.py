"""Worker processes for ``voicebot load --workers W``: they answer the parent and die with it.

Each worker is a spawned process that loads its own pipeline once and then
runs the steps the parent sends over its pipe. Three things keep a worker
from outliving the run:

- the parent stops every worker when the run ends, fails, or gets SIGTERM,
  SIGHUP or Ctrl-C (a worker that does not stop in time is terminated, then
  killed);
- a worker ends itself with ``os._exit`` once it has closed its store, so a
  model library's finalizers cannot hold the process at exit;
- a worker watches its parent: a thread waits on the parent's sentinel (it
  becomes readable when the parent dies, however it died), and on Linux the
  kernel also sends SIGKILL on the parent's death (``PR_SET_PDEATHSIG``), which
  works even while the worker is deep in a model call.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from types import FrameType
from typing import Any

from orchestrator.errors import BackendError

__all__ = ["WorkerPool", "interruptible"]

_PR_SET_PDEATHSIG = 1
_STOP_S = 30.0  # a stopped worker closes its store and exits; past this it is terminated
_KILL_S = 5.0  # after SIGTERM, before SIGKILL
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

Init = Callable[..., None]
Step = Callable[..., dict[str, Any]]
Close = Callable[[], None]


def _die_with_parent(parent_pid: int, kernel: bool) -> None:
    """End this process as soon as the parent is gone."""
    if kernel and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request was made
        os._exit(1)
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's end of the spawn pipe closes: the parent is gone
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _serve(conn: Connection, parent_pid: int, kernel: bool, init: Init, step: Step, close: Close,
           init_args: tuple[Any, ...]) -> None:
    """A worker's life: watch the parent, load, run steps until told to stop, then exit at once."""
    # Ctrl-C reaches the whole process group; the parent decides what its workers do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid, kernel)
    code = 0
    try:
        init(*init_args)
        conn.send(("ready", None))
        while True:
            try:
                message, args = conn.recv()
            except EOFError:  # the parent closed the pipe (or died)
                code = 1
                break
            if message == "stop":
                break
            try:
                conn.send(("ok", step(*args)))
            except Exception as exc:  # the parent reports it; this worker can run the next step
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    except BaseException as exc:  # a failed load: the parent prints why, in one line
        code = 1
        with contextlib.suppress(OSError, ValueError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        with contextlib.suppress(Exception):
            close()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class WorkerPool:
    """``size`` spawned workers, each set up by ``init(*init_args)``; ``run`` sends each one a step.

    Use it as a context manager: leaving the block (normally, on an
    exception, or on SIGTERM/SIGHUP turned into ``SystemExit`` by
    ``interruptible``) stops every worker and waits until none is left.
    """

    def __init__(self, size: int, init: Init, step: Step, close: Close, init_args: tuple[Any, ...]) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._procs: list[Any] = []
        self._conns: list[Connection] = []
        # PR_SET_PDEATHSIG fires when the *thread* that started the worker ends: only ask for it from the main thread.
        kernel = threading.current_thread() is threading.main_thread()
        try:
            for _ in range(size):
                ours, theirs = self._context.Pipe()
                proc = self._context.Process(
                    target=_serve, args=(theirs, os.getpid(), kernel, init, step, close, init_args), daemon=True,
                    name="voicebot-load-worker",
                )
                proc.start()
                theirs.close()
                self._procs.append(proc)
                self._conns.append(ours)
            self._gather(range(size), "load its models")
        except BaseException:
            self.close(_KILL_S)
            raise

    @property
    def pids(self) -> list[int]:
        """The workers' process ids."""
        return [p.pid for p in self._procs]

    def run(self, calls: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """Send worker ``i`` the step ``calls[i]`` (all at once) and return their answers in order."""
        for conn, args in zip(self._conns, calls, strict=False):
            conn.send(("step", args))
        return self._gather(range(len(calls)), "run its step")

    def _gather(self, workers: range, doing: str) -> list[dict[str, Any]]:
        """Each worker's answer; a worker that reports an error or dies first fails the whole call."""
        answers: dict[int, Any] = {}
        pending = set(workers)
        while pending:
            by_conn = {self._conns[i]: i for i in pending}
            by_sentinel = {self._procs[i].sentinel: i for i in pending}
            for ready in wait([*by_conn, *by_sentinel]):
                i = by_conn.get(ready, by_sentinel.get(ready))  # type: ignore[call-overload, arg-type]
                if i is None or i not in pending:
                    continue
                conn = self._conns[i]
                if ready is not conn and conn.poll():
                    continue  # it died after answering: read the answer first
                try:
                    kind, value = conn.recv()
                except EOFError:
                    self._procs[i].join(_KILL_S)
                    kind, value = "error", f"it exited (code {self._procs[i].exitcode})"
                if kind == "error":
                    raise BackendError(f"load worker {i + 1} could not {doing}: {value}", stage="load")
                answers[i] = value
                pending.discard(i)
        return [answers[i] for i in workers]

    def close(self, wait_s: float = _STOP_S) -> None:
        """Ask every worker to stop, give them ``wait_s``, then terminate and kill the ones still there; reap all."""
        for conn in self._conns:
            with contextlib.suppress(OSError, ValueError):
                conn.send(("stop", None))
        for proc in self._procs:
            proc.join(wait_s)
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(_KILL_S)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for conn in self._conns:
            conn.close()
        self._procs, self._conns = [], []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        # After a failure or a signal the others may be mid-step: they get a short grace, not a whole step's time.
        self.close(_STOP_S if exc_type is None else _KILL_S)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into ``SystemExit(128 + signal)`` while the block runs, so cleanup runs too.

    Outside the main thread (where Python cannot set handlers) it changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
