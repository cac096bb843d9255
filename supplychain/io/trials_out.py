"""Per-trial records of a Monte Carlo run, streamed to a CSV or Parquet file chunk by
chunk, so the file's size never sits in memory.

Written through a fresh temporary file beside the target and renamed when the run
ends (the rules of :mod:`supplychain.io.output`): a reader never sees half a file, and
a failed run leaves nothing behind. Column types
are given up front (Parquet needs them before the first batch): ``bool``, ``int``
(may be empty), ``float``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Sequence

from supplychain.errors import SupplyChainError
from supplychain.io.output import check_target, keep_mode, new_temp

__all__ = ["TrialsWriter"]


class TrialsWriter:
    """``with TrialsWriter(path, header, kinds) as w: w.write(rows)``; ``kinds`` per
    column: ``"bool"``, ``"int"`` or ``"float"``. ``.parquet`` needs pyarrow."""

    def __init__(self, path: str | Path, header: Sequence[str], kinds: Sequence[str]) -> None:
        self.path = Path(path)
        self.header, self.kinds = list(header), list(kinds)
        self.parquet = self.path.suffix.lower() == ".parquet"
        if self.parquet:
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise SupplyChainError(f"{self.path}: a .parquet file needs pyarrow: pip install "
                                       "'supplychain[parquet]' (or write .csv)") from None
        elif self.path.suffix.lower() != ".csv":
            raise SupplyChainError(f"cannot write trials to {self.path}: use a .csv or .parquet file")
        self.tmp: Path | None = None
        self.rows = 0

    def __enter__(self) -> "TrialsWriter":
        self.target = check_target(self.path)
        fd, self.tmp = new_temp(self.target)
        try:
            self._open(fd)
        except BaseException:
            try:
                os.close(fd)
            except OSError:
                pass  # the file object owns it and closed it
            self.tmp.unlink(missing_ok=True)
            raise
        return self

    def _open(self, fd: int) -> None:
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            types = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64()}
            self._schema = pa.schema([(h, types[k]) for h, k in zip(self.header, self.kinds)])
            self._sink = os.fdopen(fd, "wb")
            self._out = pq.ParquetWriter(self._sink, self._schema)
        else:
            self._fh = os.fdopen(fd, "w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._fh, lineterminator="\n")
            self._csv.writerow(self.header)

    def write(self, rows: list[list[Any]]) -> None:
        if not rows:
            return
        if self.parquet:
            import pyarrow as pa

            columns = {h: [r[i] for r in rows] for i, h in enumerate(self.header)}
            self._out.write_table(pa.table(columns, schema=self._schema))
        else:
            self._csv.writerows(["" if v is None else v for v in r] for r in rows)
        self.rows += len(rows)

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if self.parquet:
                self._out.close()
                fh = self._sink
            else:
                fh = self._fh
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            if kind is None:
                keep_mode(self.target, self.tmp)
                os.replace(self.tmp, self.target)
        finally:
            self.tmp.unlink(missing_ok=True)
