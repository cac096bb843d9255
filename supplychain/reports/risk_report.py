"""What ``exposure``, ``concentration`` and ``stress-test`` print: rich tables and CSV rows.

Pure formatting of the result objects of :mod:`supplychain.graph.exposure`,
:mod:`supplychain.graph.concentration` and :mod:`supplychain.risk.stress`; nothing here
looks at the model or computes a figure. Shares print in percent; times in the model's
periods, ``unbounded`` for an LP time to survive that never ends and ``-`` for an event
that never happens. CSV rows (``*_csv``) are a header and plain values: numbers stay
numbers, ``None`` becomes an empty cell, an infinite time ``unbounded``.
"""

from __future__ import annotations

import math
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from supplychain.graph.concentration import ConcentrationResult
from supplychain.graph.exposure import ExposureResult
from supplychain.risk.stress import StressResult

__all__ = [
    "render_exposure", "exposure_csv",
    "render_concentration", "concentration_csv",
    "render_stress", "stress_csv",
    "fmt_time", "fmt_pct",
]

CsvRows = tuple[list[str], list[list[Any]]]


def fmt_time(t: float | int | None) -> str:
    """A time in periods for a table: ``-`` for None, ``unbounded`` for inf.

    >>> fmt_time(None), fmt_time(math.inf), fmt_time(12.5), fmt_time(5)
    ('-', 'unbounded', '12.5', '5')
    """
    if t is None:
        return "-"
    if isinstance(t, float) and math.isinf(t):
        return "unbounded"
    return f"{t:,.4g}" if isinstance(t, float) else str(t)


def fmt_pct(share: float) -> str:
    """A 0-1 share as a percentage with one decimal: ``0.16`` -> ``16.0%``."""
    return f"{100 * share:.1f}%"


def _num(x: float | None) -> str:
    """A figure for a table: 4 significant digits below 1,000, whole numbers with
    separators up to a million, millions (``M``) beyond.

    >>> _num(498_000_000.0), _num(4_384_986.0), _num(60_000.0), _num(99.6), _num(0.0), _num(None)
    ('498M', '4.385M', '60,000', '99.6', '0', '-')
    """
    if x is None:
        return "-"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.4g}M"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.4g}"


def _csv_time(t: float | int | None) -> Any:
    if t is None:
        return ""
    if isinstance(t, float) and math.isinf(t):
        return "unbounded"
    return t


# -- exposure -------------------------------------------------------------------------


def render_exposure(result: ExposureResult, *, parts: bool = False) -> RenderableType:
    """The ranked country table; with ``parts``, one table of dependent parts per entry."""
    p = result.period
    table = Table(title=f"Exposure by country (value per {p}; supply in {p}s)", title_justify="left",
                  box=box.SIMPLE_HEAD)
    # figures never wrap; the end-item list, last, takes what width is left
    for name, just in (("#", "right"), ("country", "left"), ("as", "left"), ("value/" + p, "right"),
                       ("parts", "right"), ("direct", "right"), ("min supply", "right")):
        table.add_column(name, justify=just, no_wrap=True)
    table.add_column("end items: value share", min_width=14)
    for k, c in enumerate(result.countries, 1):
        items = ", ".join(f"{e} {fmt_pct(s)}" for e, s in c.end_items.items()) or "-"
        table.add_row(str(k), c.country, c.basis, _num(c.value_per_period), str(len(c.parts)),
                      str(len(c.direct_parts)), fmt_time(c.min_supply_periods), items)
    if not result.countries:
        return Text("No part depends on the countries asked about.")
    if not parts:
        return table
    out: list[RenderableType] = [table]
    for c in result.countries:
        t = Table(title=f"{c.country} ({c.basis})", title_justify="left", box=box.SIMPLE_HEAD)
        for name, just in (("part", "left"), ("share", "right"), ("direct", "left"), ("stock", "right"),
                           (f"need/{p}", "right"), ("supply", "right")):
            t.add_column(name, justify=just)
        for row in c.parts:
            t.add_row(row.part + (" (end item)" if row.end_item else ""), fmt_pct(row.share),
                      "yes" if row.direct else "", _num(row.stock), _num(row.requirement),
                      fmt_time(row.supply_periods))
        out.append(t)
    return Group(*out)


def exposure_csv(result: ExposureResult) -> CsvRows:
    """One row per country, basis and dependent part."""
    header = ["country", "basis", "part", "end_item", "share", "direct", "stock", "requirement",
              "supply_periods", "country_value_per_period"]
    rows = [
        [c.country, c.basis, p.part, p.end_item, p.share, p.direct, p.stock, p.requirement,
         _csv_time(p.supply_periods), c.value_per_period]
        for c in result.countries for p in c.parts
    ]
    return header, rows


# -- concentration --------------------------------------------------------------------


def render_concentration(result: ConcentrationResult, *, top: int | None = None) -> RenderableType:
    """Parts by HHI (most concentrated first) and the single points of failure."""
    parts = Table(title="Supply concentration by country (HHI, shares in %)", title_justify="left",
                  box=box.SIMPLE_HEAD)
    for name, just in (("part", "left"), ("HHI", "right"), ("countries", "left"), ("sources", "right"),
                       ("1 source", "left"), ("1 country", "left")):
        parts.add_column(name, justify=just, no_wrap=name != "countries")
    shown = result.parts if top is None else result.parts[:top]
    for p in shown:
        parts.add_row(p.part, "-" if p.hhi is None else f"{p.hhi:,.0f}",
                      ", ".join(f"{c} {fmt_pct(s)}" for c, s in p.countries.items()) or "-",
                      str(p.qualified_sources), "yes" if p.single_source else "",
                      "yes" if p.single_country else "")
    spofs = Table(title="Single points of failure", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("kind", "id", "country", "stops", "via parts"):
        spofs.add_column(name)
    for s in result.spofs:
        spofs.add_row(s.kind, s.id, s.country or "-", ", ".join(s.end_items), ", ".join(s.parts))
    summary = Text(
        f"{len(result.single_source_parts)} single-source parts, {len(result.single_country_parts)} "
        f"single-country parts, {len(result.spofs)} single points of failure"
    )
    body: list[RenderableType] = [summary, parts]
    body.append(spofs if result.spofs else Text("No single point of failure."))
    return Group(*body)


def concentration_csv(result: ConcentrationResult) -> CsvRows:
    """One row per part: HHI, countries (``CA:60%;FR:40%``), flags, end items its loss stops."""
    stops = {s.id: s.end_items for s in result.spofs if s.kind == "part"}
    header = ["part", "hhi", "countries", "qualified_sources", "single_source", "single_country", "spof_for"]
    rows = [
        [p.part, "" if p.hhi is None else p.hhi, ";".join(f"{c}:{100 * s:g}%" for c, s in p.countries.items()),
         p.qualified_sources, p.single_source, p.single_country, ";".join(stops.get(p.part, ()))]
        for p in result.parts
    ]
    return header, rows


# -- stress test ----------------------------------------------------------------------


def _recover(row) -> str:
    if row.recovered is False:
        return "not yet"
    return fmt_time(row.time_to_recover)


def render_stress(result: StressResult) -> RenderableType:
    """The ranked stress-test table, each row's reason under it, the baseline above."""
    p = result.period
    head = Text(
        f"Stress test by {result.by}: each disrupted from {p} {result.start} for its recovery time T; "
        f"horizon {result.horizon} {p}s. Undisrupted LP time to survive: "
        f"{fmt_time(result.baseline_lp_time_to_survive)}"
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    cols = [("#", "right"), (result.by, "left"), ("T", "right")]
    if result.simulated:
        cols += [("lost", "right"), ("value", "right"), ("TTS", "right"), ("TTR", "right")]
    cols += [("LP TTS", "right"), ("LP value", "right"), ("index", "right")]
    for name, just in cols:
        # figures never wrap; a long id folds
        table.add_column(name, justify=just, no_wrap=name != result.by, overflow="fold")
    for k, r in enumerate(result.rows, 1):
        cells = [str(k), r.target, str(r.recovery_time)]
        if result.simulated:
            cells += [_num(r.units_lost), _num(r.value_lost), fmt_time(r.time_to_survive), _recover(r)]
        cells += [fmt_time(r.lp_time_to_survive), _num(r.lp_impact), f"{r.risk_exposure_index:.2f}"]
        table.add_row(*cells)
    why = Text("\n".join(f"{k}. {r.target}: {r.reason}" for k, r in enumerate(result.rows, 1)))
    foot = Text(
        f"T = recovery time; lost, value = simulated units and value lost; TTS/TTR = simulated time to "
        f"survive / recover (from the start); LP TTS and LP value (least value lost over T) bound the "
        f"simulation from above and below; index = LP value / the largest; times in {p}s.",
        style="dim",
    )
    if not result.rows:
        return Group(head, Text(f"No {result.by} to disrupt."))
    return Group(head, table, why, foot)


def stress_csv(result: StressResult) -> CsvRows:
    """One row per target, in rank order."""
    header = ["rank", "by", "target", "name", "recovery_time", "units_lost", "value_lost", "time_to_survive",
              "time_to_recover", "recovered", "lp_time_to_survive", "lp_impact", "risk_exposure_index",
              "baseline_lp_time_to_survive", "bottleneck", "reason"]
    rows = [
        [k, r.by, r.target, r.name, r.recovery_time, _csv_time(r.units_lost), _csv_time(r.value_lost),
         _csv_time(r.time_to_survive), _csv_time(r.time_to_recover), _csv_time(r.recovered),
         _csv_time(r.lp_time_to_survive), r.lp_impact, r.risk_exposure_index,
         _csv_time(r.baseline_lp_time_to_survive), r.bottleneck or "", r.reason]
        for k, r in enumerate(result.rows, 1)
    ]
    return header, rows
