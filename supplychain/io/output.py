"""Every file the tool writes goes through here: complete or not at all, and never onto
something that is not ours to replace.

- A file is written to a fresh temporary name in the target's folder, created
  exclusively (``tempfile.mkstemp``: ``O_EXCL``, never through a planted symlink),
  flushed to disk, then renamed over the target in one step: a reader sees the old
  file or the new one, never half of one, and two runs writing the same output each
  write their own temporary file.
- The target must be a new path or a regular file (a symlink to one is written
  through, to the file it names). A device, a FIFO, a folder or a socket is refused
  before anything is written: ``--csv /dev/null`` does not replace ``/dev/null``.
- Several outputs of one run are written as a unit (:class:`Outputs`): every
  temporary file first, then the renames; any failure before the renames leaves
  every existing output byte for byte as it was.
- SIGTERM and SIGINT end a run through Python's exception path (see
  :func:`exit_on_signals`), so temporary files are removed on the way out.

Errors are :class:`~supplychain.errors.SupplyChainError` naming the file and a fix.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from supplychain.errors import SupplyChainError

__all__ = ["Outputs", "check_target", "exit_on_signals", "keep_mode", "new_temp", "open_temp", "write_file"]


def check_target(path: str | Path) -> Path:
    """The path a write to ``path`` lands on: ``path`` itself when new, the regular file
    it is or links to otherwise. Refuses devices, FIFOs, sockets and folders, and a
    missing folder, before anything is written."""
    path = Path(path)
    try:
        st = os.stat(path)  # follows a symlink: what would really be replaced
    except FileNotFoundError:
        if path.is_symlink():
            raise SupplyChainError(f"{path}: is a symlink to a missing file; remove it or name "
                                   "another output") from None
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise SupplyChainError(f"{path}: its folder {folder} does not exist; create it or name "
                                   "another output") from None
        return path
    except OSError as exc:
        raise SupplyChainError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        what = ("a folder" if stat.S_ISDIR(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a regular file")
        raise SupplyChainError(f"{path}: is {what}; refusing to write onto it (name a new file or "
                               "an existing regular file)")
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def new_temp(target: Path) -> tuple[int, Path]:
    """``(descriptor, path)`` of a fresh temporary file beside ``target`` (a checked
    target), created exclusively: never through a planted symlink, never another
    run's."""
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                               prefix=f".{target.name}.", suffix=".tmp")
    return fd, Path(tmp)


@contextmanager
def open_temp(path: str | Path, mode: str = "wb", **kw) -> Iterator[tuple[object, Path]]:
    """``(file, temporary path)`` for a write that is renamed onto ``path`` by the
    caller; the temporary file is removed when the block fails."""
    fd, tmp_path = new_temp(check_target(path))
    try:
        with os.fdopen(fd, mode, **kw) as fh:
            yield fh, tmp_path
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _write_temp(target: Path, payload: bytes) -> Path:
    with open_temp(target) as (fh, tmp):
        fh.write(payload)
    return tmp


def _read_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


_UMASK = _read_umask()  # read once: setting it is process-wide


def keep_mode(target: Path, tmp: Path) -> None:
    """A replaced file keeps its permissions; a new one gets the usual ones (umask)."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK
    os.chmod(tmp, mode)


def _fail(path: Path, exc: OSError) -> SupplyChainError:
    return SupplyChainError(f"{path}: cannot write the file ({exc.strerror or exc}); check that its "
                            "folder exists and is writable")


def write_file(path: str | Path, payload: bytes) -> Path:
    """Write ``payload`` to ``path`` completely or not at all; returns ``path``."""
    with Outputs() as out:
        out.add(path, payload)
    return Path(path)


class Outputs:
    """Several files written as a unit::

        with Outputs() as out:
            out.add("result.csv", table)
            out.add("result.stock.csv", stock)

    Each ``add`` checks its target and writes a temporary file at once; the renames
    happen together when the block ends without an error. On an error (or a signal)
    every temporary file is removed and no target is touched."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path, Path]] = []  # (as given, real target, temporary)

    def __enter__(self) -> Self:
        return self

    def add(self, path: str | Path, payload: bytes) -> None:
        path = Path(path)
        target = check_target(path)
        real = os.path.realpath(target)
        if any(p == path or os.path.realpath(t) == real for p, t, _ in self._pending):
            raise SupplyChainError(f"{path}: named twice as an output of one run; give each output its own file")
        try:
            tmp = _write_temp(target, payload)
            keep_mode(target, tmp)
        except OSError as exc:
            raise _fail(path, exc) from None
        self._pending.append((path, target, tmp))

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if kind is None:
                for path, target, tmp in self._pending:
                    try:
                        os.replace(tmp, target)
                    except OSError as e:
                        raise _fail(path, e) from None
        finally:
            for _, _, tmp in self._pending:
                tmp.unlink(missing_ok=True)
            self._pending.clear()


class Terminated(SystemExit):
    """Raised by the SIGTERM handler: ends the run through the exception path (finally
    blocks and context managers clean up) with exit status 143."""


@contextmanager
def exit_on_signals() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` (exit 143) in the main
    thread, as SIGINT raises ``KeyboardInterrupt`` (exit 130), so every open output
    removes its temporary file on the way out."""
    def on_term(signum, frame):
        raise Terminated(128 + signum)

    handler: Callable | int | None = None
    try:
        handler = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread: leave signals as they are
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, handler if handler is not None else signal.SIG_DFL)
