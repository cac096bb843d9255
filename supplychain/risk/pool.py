"""The process pool the stress test and Monte Carlo share.

A standard :class:`concurrent.futures.ProcessPoolExecutor`, forked where the platform
can (the workers inherit the model and its compiled arrays, so nothing large is
pickled), whose workers die with their parent: each watches its parent's process id
and exits once the parent is gone, so killing a run (even with SIGKILL) leaves no
orphan behind. A worker that dies is the executor's ``BrokenProcessPool``; the
caller decides what to redo.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["can_fork", "process_pool", "share", "shared"]

#: how often a worker looks for its parent (seconds)
_WATCH = 0.5

_SHARED: dict[str, Any] = {}


def can_fork() -> bool:
    """Whether workers can be forked (they then inherit what :func:`share` holds)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def share(**values: Any) -> None:
    """Hold ``values`` for forked workers to read with :func:`shared` (set before the
    pool starts its workers)."""
    _SHARED.clear()
    _SHARED.update(values)


def shared(name: str) -> Any:
    """A value held by :func:`share` in the parent before the fork."""
    return _SHARED[name]


def process_pool(workers: int, *, fork: bool = True,
                 initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``workers`` processes (forked when ``fork`` and the platform can, else
    spawned) that exit when their parent does."""
    method = "fork" if fork and can_fork() else "spawn"
    ctx = multiprocessing.get_context(method)
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_start,
                                                  initargs=(os.getpid(), initializer, initargs))


def _start(parent: int, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    """In a worker: exit once the parent is gone (its pid changes: the worker was
    re-parented), then run the caller's initializer."""
    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(_WATCH)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)
