"""Result objects of a simulation: frozen, with derived figures as properties.

Time figures are in periods, counted from the first embargo or disruption start
(``event_start``); they are ``None`` when the event never happens within the horizon.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

import numpy as np

from supplychain.model.periods import period_date

__all__ = ["EndItemResult", "SimulationResult", "BatchResult", "EventWindow", "PLAN_TOLERANCE", "period_runs"]

#: output within this many units of plan counts as "at plan" (fluid arithmetic)
PLAN_TOLERANCE = 1e-6


def period_runs(periods: Iterable[int]) -> list[tuple[int, int]]:
    """Increasing periods as runs of consecutive ones, first and last included.

    >>> period_runs([1, 2, 3, 7, 9, 10])
    [(1, 3), (7, 7), (9, 10)]
    """
    runs: list[tuple[int, int]] = []
    for t in periods:
        if runs and runs[-1][1] == t - 1:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


@dataclass(frozen=True)
class EventWindow:
    """One event of the scenario as it ran: its window and how many flows it stopped
    (a source's flow stopped in part counts; 0 = it reached nothing in this model)."""

    name: str
    kind: str  # "embargo" or "disruption"
    start: int
    stop: int | None  # first period no longer running; None = open-ended
    flows_stopped: int
    # the parts with a flow it stops in their BOM (themselves included): what it can starve
    reaches: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def to_dict(self, *, start_date: date | None = None, period: str = "week") -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "kind": self.kind, "start": self.start, "stop": self.stop,
                             "flows_stopped": self.flows_stopped}
        if start_date is not None:
            d["start_date"] = period_date(start_date, self.start, period=period).isoformat()
            d["stop_date"] = None if self.stop is None else period_date(start_date, self.stop, period=period).isoformat()
        return d


@dataclass(frozen=True, eq=False)
class EndItemResult:
    """One end item's planned and produced units per period, and what they imply."""

    item: str
    planned: np.ndarray
    produced: np.ndarray
    unit_value: float
    event_start: int | None
    bottleneck: tuple[str | None, ...]

    @property
    def lost(self) -> np.ndarray:
        """Units short of plan per period."""
        return np.maximum(self.planned - self.produced, 0.0)

    @property
    def units_lost(self) -> float:
        return float(self.lost.sum())

    @property
    def value_lost(self) -> float:
        return self.units_lost * self.unit_value

    @property
    def short_periods(self) -> np.ndarray:
        return np.flatnonzero(self.planned - self.produced > PLAN_TOLERANCE)

    @property
    def time_to_survive(self) -> int | None:
        """First period below plan minus the event start; None if never below plan."""
        short = self.short_periods
        if len(short) == 0 or self.event_start is None:
            return None
        return int(short[0]) - self.event_start

    @property
    def time_to_recover(self) -> int | None:
        """First period from which output stays at plan to the horizon, minus the event
        start; None if output never falls, or has not recovered by the horizon's end."""
        short = self.short_periods
        if len(short) == 0 or self.event_start is None:
            return None
        back = int(short[-1]) + 1
        if back >= len(self.planned):
            return None
        return back - self.event_start

    @property
    def main_bottleneck(self) -> str | None:
        """The part that bound output in the most periods (the earliest on a tie)."""
        counts = Counter(b for b in self.bottleneck if b is not None)
        if not counts:
            return None
        top = max(counts.values())
        return next(b for b in self.bottleneck if b is not None and counts[b] == top)

    def to_dict(self, *, series: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "planned": float(self.planned.sum()),
            "produced": float(self.produced.sum()),
            "units_lost": self.units_lost,
            "value_lost": self.value_lost,
            "time_to_survive": self.time_to_survive,
            "time_to_recover": self.time_to_recover,
            "bottleneck": self.main_bottleneck,
        }
        if series:
            d["series"] = {
                "planned": [float(x) for x in self.planned],
                "produced": [float(x) for x in self.produced],
                "bottleneck": list(self.bottleneck),
            }
        return d


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """What one scenario does to every end item over the horizon."""

    scenario: str | None
    horizon: int
    period: str
    event_start: int | None
    end_items: dict[str, EndItemResult]
    stock: dict[str, np.ndarray] | None = field(default=None)
    start_date: date | None = None  # the calendar date of period 0, when the scenario gives one
    events: tuple[EventWindow, ...] = ()  # the scenario's events, in file order (embargoes first)

    @property
    def events_without_effect(self) -> tuple[EventWindow, ...]:
        """The events that stopped no flow in this model (``supplychain explain`` says why)."""
        return tuple(e for e in self.events if e.flows_stopped == 0)

    @property
    def units_lost(self) -> float:
        return sum(r.units_lost for r in self.end_items.values())

    @property
    def value_lost(self) -> float:
        return sum(r.value_lost for r in self.end_items.values())

    @property
    def time_to_survive(self) -> int | None:
        """The earliest time to survive over all end items."""
        vals = [r.time_to_survive for r in self.end_items.values() if r.time_to_survive is not None]
        return min(vals) if vals else None

    def to_dict(self, *, series: bool = True) -> dict[str, Any]:
        """Plain data (``--json``): the figures, the events and, when period 0 has a
        date, ``start_date`` and with ``series`` the date of every period."""
        d: dict[str, Any] = {
            "scenario": self.scenario,
            "horizon": self.horizon,
            "period": self.period,
            "start_date": None if self.start_date is None else self.start_date.isoformat(),
            "event_start": self.event_start,
            "events": [e.to_dict(start_date=self.start_date, period=self.period) for e in self.events],
            "units_lost": self.units_lost,
            "value_lost": self.value_lost,
        }
        if series and self.start_date is not None:
            d["dates"] = [row[0].isoformat() for row in self._dates()]
        d["end_items"] = {k: v.to_dict(series=series) for k, v in self.end_items.items()}
        return d

    def _dates(self) -> list[list[date]]:
        """Per period, ``[its date]`` when period 0 has a date, else ``[]``."""
        if self.start_date is None:
            return [[] for _ in range(self.horizon)]
        return [[period_date(self.start_date, t, period=self.period)] for t in range(self.horizon)]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """``(header, rows)``: one row per end item and period -- planned, produced,
        lost units and the bottleneck, with the period's ``date`` when period 0 has one
        (the ``--csv`` file and :meth:`to_frame` are this table)."""
        header = ["end_item", "period"] + (["date"] if self.start_date is not None else []) + \
            ["planned", "produced", "lost", "bottleneck"]
        dates = self._dates()
        rows = []
        for item, r in self.end_items.items():
            lost = r.lost
            for t in range(self.horizon):
                rows.append([item, t, *dates[t], float(r.planned[t]), float(r.produced[t]), float(lost[t]),
                             r.bottleneck[t]])
        return header, rows

    def stock_table(self) -> tuple[list[str], list[list[Any]]]:
        """``(header, rows)``: one row per part and period, the units on hand at the
        period's end (the run must have recorded them: ``record_stock=True``)."""
        if self.stock is None:
            raise ValueError("this result has no stock trajectories; simulate with record_stock=True")
        header = ["part", "period"] + (["date"] if self.start_date is not None else []) + ["stock"]
        dates = self._dates()
        rows = [[part, t, *dates[t], float(s[t])] for part, s in self.stock.items() for t in range(self.horizon)]
        return header, rows

    def to_frame(self):
        """One row per end item and period, as a pandas DataFrame (pandas needed):
        indexed by ``(end_item, period)``, with the ``scenario``, the period's ``date``
        (missing when period 0 has none), ``planned``, ``produced``, ``lost`` and the
        ``bottleneck``."""
        import pandas as pd

        header, rows = self.table()
        frame = pd.DataFrame(rows, columns=header)
        if "date" not in frame:
            frame.insert(2, "date", pd.NaT)
        frame["date"] = pd.to_datetime(frame["date"])
        frame.insert(0, "scenario", self.scenario)
        return frame.set_index(["end_item", "period"])


class BatchResult(tuple):
    """The results of :func:`supplychain.simulate_batch`, one per scenario in order: a
    tuple of :class:`SimulationResult`, with one table for all of them."""

    def to_frame(self):
        """Every result's :meth:`SimulationResult.to_frame`, indexed by ``(k,
        end_item, period)`` where ``k`` is the scenario's position in the batch."""
        import pandas as pd

        if not self:
            return pd.DataFrame()
        return pd.concat([r.to_frame() for r in self], keys=range(len(self)), names=["k"])

    def to_dict(self, *, series: bool = True) -> list[dict[str, Any]]:
        return [r.to_dict(series=series) for r in self]
