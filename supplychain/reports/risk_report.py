"""What ``exposure``, ``concentration`` and ``stress-test`` print: rich tables.

Pure formatting of the result objects of :mod:`supplychain.graph.exposure`,
:mod:`supplychain.graph.concentration` and :mod:`supplychain.risk.stress`; nothing here
looks at the model or computes a figure. Figures print as
:mod:`supplychain.reports.format` says. The CSV files are each result's own table
(``result.table()``), written by :mod:`supplychain.io.csv_out`.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from supplychain.graph.concentration import ConcentrationResult
from supplychain.graph.exposure import ExposureResult
from supplychain.reports.format import fmt_hhi, fmt_index, fmt_number as _num, fmt_pct, fmt_time, plain, wrap
from supplychain.risk.stress import StressResult

__all__ = ["render_exposure", "render_concentration", "render_stress"]


#: an id column: never split over lines; a long one is cut with an ellipsis (whole in --json)
_ID = {"no_wrap": True, "overflow": "ellipsis", "max_width": 24}


def _table(title: str) -> Table:
    """A table that fits 80 columns: one space between columns, no outer edge."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                 padding=(0, 0, 0, 1))


# -- exposure -------------------------------------------------------------------------


def render_exposure(result: ExposureResult, *, parts: bool = False) -> RenderableType:
    """The ranked country table; with ``parts``, one table of dependent parts per entry."""
    p = result.period
    table = _table(f"Exposure by country (value per {p}; supply in {p}s)")
    # figures never wrap; the end-item list, last, takes what width is left
    for name, just in (("#", "right"), ("country", "left"), ("as", "left"), (f"value/\n{p}", "right"),
                       ("parts", "right"), ("direct", "right"), ("min\nsupply", "right")):
        table.add_column(name, justify=just, no_wrap=True)
    table.add_column("end items:\nvalue share", min_width=12)
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
        t = _table(f"{c.country} ({c.basis})")
        for name, just in (("part", "left"), ("share", "right"), ("direct", "left"), ("stock", "right"),
                           (f"need/{p}", "right"), ("supply", "right")):
            t.add_column(name, justify=just, **(_ID if name == "part" else {"no_wrap": True}))
        for row in c.parts:
            t.add_row(plain(row.part) + (" (end item)" if row.end_item else ""), fmt_pct(row.share),
                      "yes" if row.direct else "", _num(row.stock), _num(row.requirement),
                      fmt_time(row.supply_periods))
        out.append(t)
    return Group(*out)


# -- concentration --------------------------------------------------------------------


def render_concentration(result: ConcentrationResult, *, top: int | None = None) -> RenderableType:
    """Parts by HHI (most concentrated first) and the single points of failure."""
    parts = _table("Supply concentration by country (HHI, shares in %)")
    for name, just in (("part", "left"), ("HHI", "right"), ("countries", "left"), ("sources", "right"),
                       ("1\nsource", "left"), ("1\ncountry", "left")):
        parts.add_column(name, justify=just, **(_ID if name == "part" else {"no_wrap": name != "countries"}))
    shown = result.parts if top is None else result.parts[:top]
    for p in shown:
        parts.add_row(plain(p.part), fmt_hhi(p.hhi),
                      ", ".join(f"{c} {fmt_pct(s)}" for c, s in p.countries.items()) or "-",
                      str(p.qualified_sources), "yes" if p.single_source else "",
                      "yes" if p.single_country else "")
    spofs = _table("Single points of failure")
    for name in ("kind", "id", "country", "stops", "via parts"):
        spofs.add_column(name, **_ID if name == "id" else {})
    for s in result.spofs:
        spofs.add_row(s.kind, plain(s.id), s.country or "-", plain(", ".join(s.end_items)), plain(", ".join(s.parts)))
    summary = Text(
        f"{len(result.single_source_parts)} single-source parts, {len(result.single_country_parts)} "
        f"single-country parts, {len(result.spofs)} single points of failure"
    )
    body: list[RenderableType] = [summary, parts]
    body.append(spofs if result.spofs else Text("No single point of failure."))
    return Group(*body)


# -- stress test ----------------------------------------------------------------------


def _recover(row) -> str:
    if row.recovered is False:
        return "not yet"
    return fmt_time(row.time_to_recover)


def render_stress(result: StressResult, *, width: int = 80) -> RenderableType:
    """The ranked stress-test table, each row's reason and the source of its T under
    it, the settings above; at most ``width`` characters a line (a long id is cut with
    an ellipsis in the table and shown whole in the reasons, --json and --csv)."""
    p = result.period
    reach = (f" A country row stops the suppliers {' or '.join(result.reach)} there (--reach)."
             if result.by == "country" else "")
    head = Text("\n".join(wrap(
        f"Stress test by {result.by}: each disrupted from {p} {result.start} for its recovery time T; "
        f"horizon {result.horizon} {p}s.{reach} Undisrupted LP time to survive: "
        f"{fmt_time(result.baseline_lp_time_to_survive)}", width, hang=0)))
    # one space between columns: ten columns fit 80 characters
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 0, 0, 1))
    cols = [("#", "right"), (result.by, "left"), ("T", "right")]
    if result.simulated:
        cols += [("lost", "right"), ("value", "right"), ("TTS", "right"), ("TTR", "right")]
    cols += [("LP\nTTS", "right"), ("LP\nvalue", "right"), ("index", "right")]
    for name, just in cols:
        # figures never wrap; a long id is cut with an ellipsis (whole in the reasons)
        is_id = name == result.by
        table.add_column(name, justify=just, no_wrap=True, overflow="ellipsis" if is_id else "fold",
                         max_width=18 if is_id else None)
    for k, r in enumerate(result.rows, 1):
        cells = [str(k), plain(r.target), str(r.recovery_time)]
        if result.simulated:
            cells += [_num(r.units_lost), _num(r.value_lost), fmt_time(r.time_to_survive), _recover(r)]
        cells += [fmt_time(r.lp_time_to_survive), _num(r.lp_impact), fmt_index(r.risk_exposure_index)]
        table.add_row(*cells)
    why = Text("\n".join(line for k, r in enumerate(result.rows, 1)
                         for line in wrap(f"{k}. {r.target}: {r.reason}; T from {r.recovery_time_source}", width)))
    foot = Text("\n".join(wrap(
        f"T = recovery time; lost, value = simulated units and value lost; TTS/TTR = simulated time to "
        f"survive / recover (from the start); LP TTS and LP value (least value lost over min(T, the "
        f"periods left in the horizon)) bound the simulation from above and below; index = LP value / "
        f"the largest; times in {p}s. The LP sees perfect foresight and no lead time beyond the goods "
        f"already in the pipeline, and counts each alternate or not-yet-qualified source "
        f"{'from the start (--instant-alternates)' if result.instant_alternates else 'from its qualification time'}: "
        f"an LP value below the simulated one is what perfect timing would save; rank by the simulated loss.", width, hang=0)), style="dim")
    if not result.rows:
        return Group(head, Text(f"No {result.by} to disrupt."))
    return Group(head, table, why, foot)
