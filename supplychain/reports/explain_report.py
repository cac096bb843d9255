"""What ``explain`` prints: per event, its terms, the flows it stops with their paths
to the end items, and the flows it leaves alone with the reason and the fix.

Pure formatting of a :class:`~supplychain.sim.explain.Explanation`, wrapped to the
terminal's width: words wrap, ids are never split. Text from the model is shown as
plain text (control characters escaped), never as markup.
"""

from __future__ import annotations

from typing import Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from supplychain.reports.format import fmt_pct, wrap
from supplychain.reports.sim_report import fmt_period, fmt_spans
from supplychain.sim.explain import EventExplanation, Explanation, Flow

__all__ = ["render_explanation"]

#: flows listed per event and kind in the terminal; --json and --csv carry them all
SHOWN = 20


def _flow_line(f: Flow) -> str:
    to = ", ".join(f.to) or "-"
    return f"{f.supplier} ({f.country}{', owned ' + f.owner if f.owner != f.country else ''}) -> {f.part} -> {to}"


def _event_lines(e: EventExplanation, x: Explanation, width: int) -> list[str]:
    p, d = x.period, x.start_date
    stop = "open-ended" if e.stop is None else f"lifted from {fmt_period(e.stop, period=p, start_date=d)}"
    lines = wrap(f"{e.kind} from {fmt_period(e.start, period=p, start_date=d)}, {stop}: {e.name}", width)
    lines += wrap("; ".join(f"{k} {v}" for k, v in e.terms), width, indent=2)
    lines += wrap(e.summary, width, indent=2)
    if e.stopped:
        lines.append(f"  stopped ({len(e.stopped)}):")
        for f in e.stopped[:SHOWN]:
            how = "all of it" if f.stopped >= 1 - 1e-12 else f"{fmt_pct(f.stopped)} of it"
            by = f", by {', '.join(f.by)}" if f.by else ""
            share = (f"; {fmt_pct(f.content_share)} imposer content"
                     if f.content_share is not None and "content" in f.by else "")
            lines += wrap(f"{_flow_line(f)}: {how}{by}{share}", width, indent=4)
            for path in f.paths:
                hit = next(((runs, at) for item, runs, at in f.binds if item == path[-1]), None)
                if hit is None:
                    binds = f"never binds {path[-1]} (stock, other sources or alternates cover it)"
                elif hit[1] == (f.part,):
                    binds = f"binds {path[-1]} in {p}s {fmt_spans(hit[0])}"
                else:  # an assembly above it held output back: this flow may be one cause
                    binds = f"{path[-1]} is short of {', '.join(hit[1])} on this path in {p}s {fmt_spans(hit[0])}"
                lines += wrap(f"path {' > '.join(path)}: {binds}", width, indent=6)
            if not f.paths:
                lines += wrap("reaches no end item", width, indent=6)
        lines += _more(len(e.stopped), width)
    if e.spared:
        lines.append(f"  not stopped ({len(e.spared)}):")
        for f in e.spared[:SHOWN]:
            share = f" (content {fmt_pct(f.content_share)})" if f.content_share is not None else ""
            lines += wrap(f"{_flow_line(f)}: {f.reason}{share}" + (f"; to stop it: {f.fix}" if f.fix else ""),
                          width, indent=4)
        lines += _more(len(e.spared), width)
    return lines


def _more(n: int, width: int) -> list[str]:
    if n <= SHOWN:
        return []
    return wrap(f"... and {n - SHOWN} more (all of them in --json and --csv)", width, indent=4)


def render_explanation(x: Explanation, *, title: str | None = None, model_name: str | None = None,
                       width: int = 80) -> RenderableType:
    """The terminal report, every line at most ``width`` characters."""
    lines: list[str] = wrap(title or x.scenario or "explain", width)
    lines += wrap(f"model: {model_name or '-'}; horizon {x.horizon} {x.period}s; times in {x.period}s", width)
    if not x.events:
        lines.append("the scenario has no event")
    for e in x.events:
        lines.append("")
        lines += _event_lines(e, x, width)
    body: Sequence[RenderableType] = [Text(line) for line in lines]
    return Group(*body)
