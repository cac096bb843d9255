"""Writing result rows to CSV files, byte for byte reproducibly.

The same rows give the same bytes: UTF-8 without a byte order mark, comma separated,
``\\n`` line ends, minimal quoting; a float is written as Python's shortest round-trip
form (``10.0``, ``0.1``), an infinite one as ``unbounded`` (an LP time to survive that
never ends, stock no plan draws on), ``None`` as an empty cell, a date as ISO
``YYYY-MM-DD``. A
file is written to a temporary name beside it and then renamed, so a reader never sees
half a table.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Sequence

from supplychain.errors import SupplyChainError
from supplychain.io.write import write_atomic

__all__ = ["csv_bytes", "write_csv"]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "unbounded" if value > 0 else ("-unbounded" if value < 0 else "nan")
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_bytes(table: tuple[Sequence[str], Iterable[Sequence[Any]]]) -> bytes:
    """A ``(header, rows)`` table as UTF-8 CSV bytes.

    >>> csv_bytes((["part", "period", "stock", "note"], [["gear", 7, 25.0, None], ["a,b", 8, 0.1, True]]))
    b'part,period,stock,note\\ngear,7,25.0,\\n"a,b",8,0.1,true\\n'
    """
    header, rows = table
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def write_csv(table: tuple[Sequence[str], Iterable[Sequence[Any]]], path: str | Path) -> Path:
    """Write a ``(header, rows)`` table to the CSV file ``path`` (replacing it); return the path.

    Raises :class:`~supplychain.errors.SupplyChainError` naming the file when it cannot
    be written (a missing folder, no permission).
    """
    path = Path(path)
    try:
        return write_atomic(path, csv_bytes(table))
    except OSError as exc:
        raise SupplyChainError(
            f"{path}: cannot write the CSV file ({exc.strerror or exc}); check that its folder exists "
            "and is writable") from None
