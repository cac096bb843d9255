"""What every command shares: the consoles, error handling, JSON output.

Only the CLI prints or exits. Data goes to stdout, messages and progress to stderr.
A :class:`~supplychain.errors.SupplyChainError` becomes one red line per problem on
stderr and exit code 1; anything else is a bug and shows a traceback without locals
(model data can be sensitive).
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
import warnings
from typing import Any, Callable

import typer
from rich.console import Console

from supplychain.errors import ModelError, ModelWarning, SupplyChainError, clip

__all__ = ["out", "err", "guarded", "print_json", "to_jsonable", "write_rows", "say"]

class _Console(Console):
    """A console for text from untrusted files: no rich markup unless a call asks for
    it (its file text escaped), and control characters shown as ``\\x1b`` escapes so an
    id cannot move the cursor, retitle the window or ring the bell."""

    def print(self, *objects: Any, markup: bool | None = None, **kw: Any) -> None:  # noqa: A003
        super().print(*(terminal_safe(o) if isinstance(o, str) else o for o in objects),
                      markup=bool(markup), **kw)


def terminal_safe(text: str) -> str:
    r"""``text`` with control characters (other than newline and tab) written as escapes.

    >>> terminal_safe("Gear\x1b]0;pwn\x07")
    'Gear\\x1b]0;pwn\\x07'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
out = _Console(highlight=False, soft_wrap=True, emoji=False, markup=False)
err = _Console(stderr=True, highlight=False, soft_wrap=True, emoji=False, markup=False)


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types; non-finite floats become null so the output is valid JSON."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):
        return to_jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "value") and hasattr(obj, "name") and not isinstance(obj, (int, float, str)):
        return obj.value  # Enums
    return obj


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout (same data, same bytes)."""
    sys.stdout.write(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    sys.stdout.flush()


def write_rows(path, table: tuple[list[str], list[list[Any]]], *, also=(), files=()) -> None:
    """Write a result's ``(header, rows)`` table as CSV to ``path`` and say so on stderr;
    ``also`` more ``(path, table)`` pairs and ``files`` more ``(path, bytes)`` pairs,
    all written as a unit (none is replaced unless every one is complete)."""
    from supplychain.io.csv_out import csv_bytes
    from supplychain.io.output import Outputs

    tables = ([(path, table)] if path is not None else []) + list(also)
    with Outputs() as outputs:
        for p, t in tables:
            outputs.add(p, csv_bytes(t))
        for p, payload in files:
            outputs.add(p, payload)
    for p, t in tables:
        err.print(f"wrote {len(t[1])} rows to {p}", markup=False)


def guarded(fn: Callable) -> Callable:
    """Run a command: print warnings and input problems to stderr, exit 1 on bad input."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ModelWarning)
            out_of_memory = False
            try:
                result = fn(*args, **kwargs)
            except ModelError as exc:
                _show_warnings(caught)
                head = f"{clip(exc.file, 160)}: " if exc.file else ""
                n = len(exc.problems)
                err.print(f"[bold red]{_escape(head)}{n} problem{'s' if n != 1 else ''}[/]", markup=True)
                for p in exc.problems:
                    say(str(p), "red", indent=2)
                raise typer.Exit(1) from None
            except SupplyChainError as exc:
                _show_warnings(caught)
                for line in str(exc).splitlines():
                    say(line, "red")
                raise typer.Exit(1) from None
            except OSError as exc:  # a folder that cannot be made, a full disk, a closed pipe
                _show_warnings(caught)
                where = f"{clip(str(exc.filename))}: " if exc.filename else ""
                say(f"{where}{exc.strerror or exc}; nothing more was done", "red")
                raise typer.Exit(1) from None
            except KeyboardInterrupt:
                _show_warnings(caught)
                say("interrupted; nothing was written", "red")
                raise typer.Exit(130) from None
            except MemoryError:
                out_of_memory = True  # reported below, once what the run built is freed
            if out_of_memory:
                _show_warnings(caught)
                say("out of memory: this run needs more memory than the machine allows; nothing was "
                    "written. Free memory, use a larger machine, or ask for less (a shorter horizon, "
                    "fewer trials or targets)", "red")
                raise typer.Exit(1)
            _show_warnings(caught)
            return result

    return wrapper


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def say(text: str, style: str, *, indent: int = 0) -> None:
    """One message on stderr, wrapped at the terminal's width (an id or a path is never
    split; continuation lines indented), as plain text in ``style``."""
    from supplychain.reports.format import wrap

    for line in wrap(text, err.width, indent=indent):
        err.print(f"[{style}]{_escape(line)}[/]", markup=True)


def _show_warnings(caught) -> None:
    seen = set()
    for w in caught:
        if issubclass(w.category, ModelWarning) and str(w.message) not in seen:
            seen.add(str(w.message))
            say(f"warning: {w.message}", "yellow")
