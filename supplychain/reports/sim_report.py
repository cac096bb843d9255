"""What ``simulate`` prints: a header, a summary table, timelines, bottlenecks.

Pure formatting of a :class:`~supplychain.sim.SimulationResult`: nothing here looks at
the model or runs anything. Time figures are in the model's periods and count from the
first event's start, as in the result; with a ``start_date`` (the calendar date of
period 0) a period also gets its date (:func:`supplychain.model.periods.period_date`).
The CSV files are the result's own tables (``result.table()``, ``result.stock_table()``).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from supplychain.model.periods import period_date
from supplychain.reports.format import fmt_number as _num, plain, wrap
from supplychain.sim.compare import Comparison
from supplychain.sim.results import PLAN_TOLERANCE, EndItemResult, SimulationResult, period_runs

__all__ = [
    "period_date",
    "fmt_period",
    "bottleneck_spans",
    "fmt_spans",
    "timeline_rows",
    "why_line",
    "render_simulation",
    "render_comparison",
    "simulation_dict",
]

_BLOCKS = " ▁▂▃▄▅▆▇█"


# -- periods and dates -------------------------------------------------------------------


def fmt_period(t: int, *, period: str, start_date: date | None = None) -> str:
    """``week 34``, or ``week 34 (2021-05-03)`` when period 0 has a date.

    >>> fmt_period(34, period="week"), fmt_period(4, period="week", start_date=date(2020, 9, 7))
    ('week 34', 'week 4 (2020-10-05)')
    """
    text = f"{period} {t}"
    if start_date is not None:
        text += f" ({period_date(start_date, t, period=period).isoformat()})"
    return text


def _plural(n: int | float, period: str) -> str:
    return f"{_num(n)} {period}" + ("" if n == 1 else "s")


# -- derived views of one end item ------------------------------------------------------


def bottleneck_spans(bottleneck: Sequence[str | None]) -> dict[str, list[tuple[int, int]]]:
    """Per part, the runs of consecutive periods it bound output, first and last included.

    Parts come in the order they first bind.

    >>> bottleneck_spans([None, "gear", "gear", "cam", "gear", None])
    {'gear': [(1, 2), (4, 4)], 'cam': [(3, 3)]}
    """
    periods: dict[str, list[int]] = {}
    for t, part in enumerate(bottleneck):
        if part is not None:
            periods.setdefault(part, []).append(t)
    return {part: period_runs(ts) for part, ts in periods.items()}


def fmt_spans(runs: Sequence[tuple[int, int]]) -> str:
    """Runs of periods as ``10-19, 25``.

    >>> fmt_spans([(10, 19), (25, 25)])
    '10-19, 25'
    """
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _level(ratio: float) -> str:
    """One block for a share of plan: full only at plan, so any shortfall shows."""
    if ratio >= 1 - PLAN_TOLERANCE:
        return _BLOCKS[8]
    if ratio <= PLAN_TOLERANCE:
        return _BLOCKS[0]
    return _BLOCKS[min(7, max(1, math.ceil(ratio * 8)))]


def timeline_rows(planned: Sequence[float], produced: Sequence[float], *, width: int) -> tuple[str, str, int]:
    """Planned and produced as two rows of blocks, at most ``width`` characters each.

    One character per period, or per bucket of ``k`` periods when the horizon is longer
    than ``width`` (``k`` the smallest that fits). The planned row is scaled to the
    largest planned bucket; the produced row shows each bucket's output as a share of
    its plan (a full block only at plan). Returns ``(planned_row, produced_row, k)``.

    >>> timeline_rows([10] * 6, [10, 10, 5, 0, 0, 10], width=80)
    ('██████', '██▄  █', 1)
    >>> timeline_rows([10] * 6, [10, 10, 5, 0, 0, 10], width=3)
    ('███', '█▂▄', 2)
    """
    n = len(planned)
    k = max(1, math.ceil(n / max(1, width)))
    plan_b = [float(sum(planned[i:i + k])) for i in range(0, n, k)]
    made_b = [float(sum(produced[i:i + k])) for i in range(0, n, k)]
    top = max(plan_b, default=0.0)
    plan_row = "".join(_level(p / top) if top > 0 else " " for p in plan_b)
    made_row = "".join(_level(m / p) if p > 0 else " " for p, m in zip(plan_b, made_b))
    return plan_row, made_row, k


def why_line(r: EndItemResult, *, period: str, start_date: date | None = None, event: str | None = None,
             events_listed: int = 0, cut_by: str | None = None) -> str:
    """One sentence on when and why output falls short, and when it comes back.

    ``event`` names the first event (``'the event'`` when None), from whose start the
    times count; ``cut_by`` names another event when that one cut the binding part.

    >>> import numpy as np
    >>> r = EndItemResult("widget", np.full(20, 10.0), np.array([10.0] * 10 + [5.0] + [0.0] * 9),
    ...                   1000.0, 5, (None,) * 10 + ("gear",) * 10)
    >>> why_line(r, period="week", event="Canada stops exports")
    "output falls below plan in week 10, 5 weeks after 'Canada stops exports' starts: short of 'gear', 5 of 10 made; the line stops in week 11; not back at plan by week 19, the horizon's end."
    """
    what = f"'{event}'" if event else "the event"
    short = r.short_periods
    if r.event_start is None:
        # no event stopped a flow: a baseline run, or events that reached nothing
        lead = ("no event: " if not events_listed else
                "no listed event stops a flow in this model (`supplychain explain` shows why): ")
        if len(short) == 0:
            return lead + "output stays at plan over the whole horizon."
        return (lead + f"yet output falls below plan in {fmt_period(int(short[0]), period=period, start_date=start_date)}: "
                "capacity does not meet the plan.")
    if len(short) == 0:
        return f"output stays at plan over the whole horizon: {what} never binds."
    first = int(short[0])
    when = fmt_period(first, period=period, start_date=start_date)
    cause = f"short of '{r.bottleneck[first]}'" if r.bottleneck[first] else "short"
    if cut_by and cut_by != event:
        cause += f" (cut by '{cut_by}')"
    made, plan = float(r.produced[first]), float(r.planned[first])
    tts = r.time_to_survive
    after = (f"{_plural(tts, period)} after {what} starts" if tts >= 0
             else f"{_plural(-tts, period)} before {what} starts")
    if made <= PLAN_TOLERANCE:
        text = f"the line stops in {when}, {after}: {cause}"
    else:
        text = f"output falls below plan in {when}, {after}: {cause}, {_num(made)} of {_num(plan)} made"
        zero = [t for t in range(first + 1, len(r.produced))
                if r.produced[t] <= PLAN_TOLERANCE < r.planned[t]]
        if zero:
            text += f"; the line stops in {fmt_period(zero[0], period=period, start_date=start_date)}"
    back = r.time_to_recover
    if back is None:
        last = len(r.planned) - 1
        text += f"; not back at plan by {fmt_period(last, period=period, start_date=start_date)}, the horizon's end."
    else:
        t_back = r.event_start + back
        text += (f"; back at plan from {fmt_period(t_back, period=period, start_date=start_date)} "
                 f"({_plural(back, period)} after the start).")
    return text


# -- the whole report -------------------------------------------------------------------


def _time_cell(value: int | None, *, event_start: int | None, period: str, start_date: date | None,
               never: str) -> str:
    """A time figure for the table; with a start date, the date it falls on below it."""
    if value is None or event_start is None:
        return never
    if start_date is None:
        return str(value)
    return f"{value}\n{period_date(start_date, event_start + value, period=period).isoformat()}"


def _cut_by(r: EndItemResult, events) -> str | None:
    """The first event (by start) that can starve the part binding when output first
    falls short."""
    short = r.short_periods
    if not len(short) or r.bottleneck[int(short[0])] is None:
        return None
    b = r.bottleneck[int(short[0])]
    return next((e.name for e in events if b in e.reaches), None)


def render_simulation(
    result: SimulationResult,
    *,
    title: str | None = None,
    model_name: str | None = None,
    width: int = 80,
) -> RenderableType:
    """The terminal report: header with the scenario's events, one summary row per end
    item, then per end item a planned/produced timeline (event start marked), its
    bottlenecks and a "why" line. An event that stops no flow says so, and points to
    ``supplychain explain``.

    ``width`` is the terminal's: long horizons are bucketed to fit it.
    """
    p = result.period
    h = result.horizon
    start_date = result.start_date
    # by start; file order among equal starts
    events = sorted(result.events, key=lambda e: e.start)

    def lines(text: str, *, indent: int = 0, style: str | None = None) -> Text:
        return Text("\n".join(wrap(text, width, indent=indent)), style=style or "")

    head = [lines(title or result.scenario or "simulation", style="bold")]
    span = f"horizon {_plural(h, p)}"
    if start_date is not None:
        span += f", {start_date.isoformat()} to {period_date(start_date, h - 1, period=p).isoformat()}"
    head.append(lines(f"model: {model_name or '-'}; {span}; period: {p}"))
    first_event = None
    for e in events:
        stop = "open-ended" if e.stop is None else f"lifted from {fmt_period(e.stop, period=p, start_date=start_date)}"
        head.append(lines(f"from {fmt_period(e.start, period=p, start_date=start_date)}, {stop}: {e.name}", indent=2))
        if e.flows_stopped == 0:
            head.append(lines("it stops no flow in this model; `supplychain explain` shows why", indent=4,
                              style="yellow"))
        if first_event is None and e.start == result.event_start and e.flows_stopped:
            first_event = e.name
    if result.event_start is None:
        head.append(lines("no event: the baseline run" if not events else
                          "no listed event stops a flow: output is the baseline's"))
    else:
        head.append(lines(f"first event starts in {fmt_period(result.event_start, period=p, start_date=start_date)}; "
                          f"times below count from it, in {p}s"))

    # one space between columns, so eight columns fit 80 characters; long ids fold
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 0, 0, 1))
    longest = max((len(item) for item in result.end_items), default=8)
    # ids never split: a long one is cut with an ellipsis (whole in --json and below)
    table.add_column("end item", min_width=min(longest, 12), no_wrap=True, overflow="ellipsis", max_width=20)
    for name in ("planned", "produced", "units\nlost", "value\nlost", f"time to\nsurvive\n({p}s)",
                 f"time to\nrecover\n({p}s)"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("main\nbottleneck", no_wrap=True, overflow="ellipsis", max_width=24)
    for item, r in result.end_items.items():
        short = len(r.short_periods) > 0
        table.add_row(
            plain(item), _num(float(r.planned.sum())), _num(float(r.produced.sum())), _num(r.units_lost),
            _num(r.value_lost),
            _time_cell(r.time_to_survive, event_start=r.event_start, period=p, start_date=start_date, never="never"),
            _time_cell(r.time_to_recover, event_start=r.event_start, period=p, start_date=start_date,
                       never="not yet" if short and r.event_start is not None else "-"),
            plain(r.main_bottleneck or "-"),
        )

    legend = lines(f"times count {p}s from the first event's start"
                   + ("; the date is the period it happens" if start_date is not None else "")
                   + "; 'not yet' = not back at plan by the horizon's end", style="dim")
    body: list[RenderableType] = [*head, table, legend]
    label = 10
    for item, r in result.end_items.items():
        plan_row, made_row, k = timeline_rows(r.planned, r.produced, width=max(10, width - label - 1))
        scale = f"one character = {_plural(k, p)}" if k > 1 else f"one character per {p}"
        rows = wrap(f"{item}: planned vs produced ({scale}; a full block is at plan)", width)
        rows += [f"{'planned':<{label}} {plan_row}", f"{'produced':<{label}} {made_row}"]
        if result.event_start is not None and result.event_start < h:
            col = result.event_start // k
            marker = f"^ {fmt_period(result.event_start, period=p, start_date=start_date)}: {first_event or 'first event'}"
            if label + 1 + col + len(marker) > width:  # no room right of the caret: the text goes under it
                rows.append(f"{'':<{label}} {' ' * col}^")
                rows.extend(wrap(marker[2:], width, indent=2))
            else:
                rows.append(f"{'':<{label}} {' ' * col}{marker}")
        spans = bottleneck_spans(r.bottleneck)
        if spans:
            rows.append(f"bottlenecks ({p}s they bound):")
            for part, runs in spans.items():
                rows.extend(wrap(f"{part}: {fmt_spans(runs)}", width, indent=2))
        rows.extend(wrap("why: " + why_line(r, period=p, start_date=start_date, event=first_event,
                                            events_listed=len(events), cut_by=_cut_by(r, events)), width))
        body.append(Text("\n" + "\n".join(rows)))
    return Group(*body)


def simulation_dict(result: SimulationResult, *, stock: bool = False) -> dict[str, Any]:
    """``result.to_dict()``; with ``stock``, also ``stock``: part -> on-hand units at each
    period's end (the result must have been run with ``record_stock=True``)."""
    data = result.to_dict()
    if stock:
        if result.stock is None:
            raise ValueError("this result has no stock trajectories; simulate with record_stock=True")
        data["stock"] = {part: [float(x) for x in s] for part, s in result.stock.items()}
    return data


# -- compare ----------------------------------------------------------------------------


def _delta(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) < 1e-9:
        return "0"
    return ("+" if x > 0 else "-") + _num(abs(x))


def render_comparison(c: Comparison, *, width: int = 80) -> RenderableType:
    """Per end item, one row per scenario (numbered; the names listed above, wrapped to
    ``width``): units and value lost, their change against scenario 1, the times and
    the main bottleneck."""
    p = c.period
    lines = [f"{k}. {line}" if i == 0 else line for k, name in enumerate(c.scenarios, 1)
             for i, line in enumerate(wrap(name, width - 4, hang=3))]
    body: list[RenderableType] = [Text("\n".join(lines))]
    for item in dict.fromkeys(r.end_item for r in c.rows):
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 0, 0, 1),
                      title=plain(item), title_justify="left")
        table.add_column("#", justify="right", no_wrap=True)
        for name in ("units\nlost", "vs 1", "value\nlost", "vs 1", f"time to\nsurvive\n({p}s)",
                     f"time to\nrecover\n({p}s)"):
            table.add_column(name, justify="right", no_wrap=True)
        table.add_column("main\nbottleneck", no_wrap=True, overflow="ellipsis", max_width=22)
        for r in c.rows:
            if r.end_item != item:
                continue
            k = c.scenarios.index(r.scenario) + 1
            table.add_row(str(k), _num(r.units_lost), _delta(r.delta_units_lost) if k > 1 else "",
                          _num(r.value_lost), _delta(r.delta_value_lost) if k > 1 else "",
                          "never" if r.time_to_survive is None else str(r.time_to_survive),
                          ("not yet" if not r.recovered else "-" if r.time_to_recover is None
                           else str(r.time_to_recover)),
                          plain(r.bottleneck or "-"))
        body += [Text(""), table]
    body.append(Text("\n".join(wrap(f"vs 1 = the change against scenario 1; times count {p}s from each "
                                    "scenario's first event; 'not yet' = not back at plan by the horizon's end",
                                    width, hang=0)), style="dim"))
    return Group(*body)
