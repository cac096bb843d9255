"""The error tree: one small hierarchy named for the user's problem.

``SupplyChainError`` is the base the CLI catches. A ``ModelError`` carries every
problem found in an input file at once, each with the file, the path inside it and
the fix, so a planner fixes a file in one pass rather than one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = [
    "Problem",
    "SupplyChainError",
    "ModelError",
    "InfeasibleError",
    "OutOfMemory",
    "ModelWarning",
    "format_path",
    "clip",
]


def clip(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis: a value echoed from a file
    never floods a message.

    >>> clip("x" * 100, 10)
    'xxxxxxxxx…'
    """
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_path(path: Sequence[str | int]) -> str:
    """Render a location inside a file: ``parts.turret.sources[0].supplier``."""
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            text = clip(str(item))
            # ids with dots or spaces are quoted so the path stays unambiguous
            if not text or any(ch in text for ch in ".[] '\""):
                text = repr(text)
            out += f".{text}" if out else text
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where it is and what to do about it."""

    message: str
    path: tuple[str | int, ...] = ()
    file: str | None = None

    def __str__(self) -> str:
        where = ": ".join(x for x in (self.file and clip(self.file, 160), format_path(self.path)) if x)
        return f"{where}: {self.message}" if where else self.message


class SupplyChainError(Exception):
    """Base of every error the tool raises on purpose (bad input, impossible request)."""


class ModelError(SupplyChainError, ValueError):
    """A model or scenario file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem] | str, *, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.file = file
        head = f"{file}: " if file else ""
        n = len(self.problems)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class InfeasibleError(SupplyChainError):
    """A request that cannot be met: an LP without a solution, an impossible target."""


class OutOfMemory(SupplyChainError, MemoryError):
    """The machine's memory ran out: the message says what was being done, how big it
    was and what to do, instead of an allocator's backtrace."""


class ModelWarning(UserWarning):
    """Something legal but likely unintended, e.g. capacity below the planned rate."""
