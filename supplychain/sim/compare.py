"""Several scenarios side by side: per end item, each one's loss and times, and the
difference from the first (the reference: the plan, the scenario as it happened)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from supplychain.sim.results import SimulationResult

__all__ = ["ComparisonRow", "Comparison", "compare", "distinct"]


@dataclass(frozen=True)
class ComparisonRow:
    """One end item under one scenario; deltas are against the first scenario (0 for
    the first itself, None where the first has no such end item)."""

    scenario: str
    end_item: str
    units_lost: float
    value_lost: float
    time_to_survive: int | None
    time_to_recover: int | None
    recovered: bool  # output back at plan by the horizon's end (or never fell)
    bottleneck: str | None
    delta_units_lost: float | None
    delta_value_lost: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Comparison:
    """The end-item figures of several scenarios, the first being the reference."""

    scenarios: tuple[str, ...]
    period: str
    rows: tuple[ComparisonRow, ...]  # end item by end item, scenarios in the order given

    def to_dict(self) -> dict[str, Any]:
        return {"scenarios": list(self.scenarios), "period": self.period, "rows": [r.to_dict() for r in self.rows]}

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """``(header, rows)``: one row per end item and scenario."""
        header = list(ComparisonRow.__dataclass_fields__)
        return header, [[getattr(r, h) for h in header] for r in self.rows]

    def to_frame(self):
        """:meth:`table` as a pandas DataFrame indexed by ``(end_item, scenario)``."""
        import pandas as pd

        header, rows = self.table()
        return pd.DataFrame(rows, columns=header).set_index(["end_item", "scenario"])


def distinct(labels: Sequence[str]) -> list[str]:
    """``labels`` with a repeated one numbered: ``a, a`` becomes ``a #1, a #2``.

    >>> distinct(["plan", "more stock", "plan"])
    ['plan #1', 'more stock', 'plan #2']
    """
    labels = list(labels)
    return [f"{x} #{labels[:k + 1].count(x)}" if labels.count(x) > 1 else x for k, x in enumerate(labels)]


def compare(results: Sequence[SimulationResult], names: Sequence[str] | None = None) -> Comparison:
    """Line up ``results`` end item by end item, with the deltas against the first.

    ``names`` label the scenarios (default: each result's scenario name, else
    ``scenario k``); a label given twice is numbered (``name #2``).

    >>> import numpy as np
    >>> from supplychain.sim.results import EndItemResult
    >>> def run(name, made):
    ...     r = EndItemResult("uav", np.full(4, 2.0), np.array(made), 10.0, 0, (None,) * 4)
    ...     return SimulationResult(name, 4, "week", 0, {"uav": r})
    >>> c = compare([run("as planned", [2.0, 2.0, 1.0, 0.0]), run("more stock", [2.0, 2.0, 2.0, 1.0])])
    >>> [(r.scenario, r.units_lost, r.delta_units_lost, r.delta_value_lost) for r in c.rows]
    [('as planned', 3.0, 0.0, 0.0), ('more stock', 1.0, -2.0, -20.0)]
    """
    if not results:
        raise ValueError("compare needs at least one result")
    labels = list(names) if names is not None else [r.scenario or f"scenario {k + 1}" for k, r in enumerate(results)]
    if len(labels) != len(results):
        raise ValueError(f"{len(labels)} names for {len(results)} results")
    labels = distinct(labels)
    items = list(dict.fromkeys(item for r in results for item in r.end_items))
    first = results[0].end_items
    rows = []
    for item in items:
        for label, res in zip(labels, results):
            e = res.end_items.get(item)
            if e is None:
                continue
            base = first.get(item)
            rows.append(ComparisonRow(
                scenario=label, end_item=item, units_lost=e.units_lost, value_lost=e.value_lost,
                time_to_survive=e.time_to_survive, time_to_recover=e.time_to_recover,
                recovered=len(e.short_periods) == 0 or e.time_to_recover is not None,
                bottleneck=e.main_bottleneck,
                delta_units_lost=None if base is None else e.units_lost - base.units_lost,
                delta_value_lost=None if base is None else e.value_lost - base.value_lost,
            ))
    return Comparison(tuple(labels), results[0].period, tuple(rows))
