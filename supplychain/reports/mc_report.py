"""What ``monte-carlo`` prints: per end item the chance the line falls below plan, the
distribution of the loss and the times, the likely bottlenecks; then the events that
drive the expected loss. Pure formatting of a
:class:`~supplychain.risk.montecarlo.MonteCarloResult`, at most ``width`` characters a
line."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from supplychain.reports.format import fmt_number as _num, fmt_pct, plain, wrap
from supplychain.risk.montecarlo import MonteCarloResult

__all__ = ["render_monte_carlo"]


def _t(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"


def render_monte_carlo(r: MonteCarloResult, *, title: str | None = None, width: int = 80) -> RenderableType:
    p = r.period
    head = wrap(title or r.scenario or "monte carlo", width)
    head += wrap(f"{r.trials:,} trials, seed {r.seed}, {r.chunk:,} trials a chunk; horizon {r.horizon} {p}s"
                 + ("; stopped early: the target standard error was reached" if r.stopped_early else ""), width)
    lvl = f"{100 * r.level:g}"
    body: list[RenderableType] = [Text("\n".join(head))]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 0, 0, 1))
    for name in ("end item", "P(short)", "value lost\nmean (se)", "P50", "P95", f"VaR\n{lvl}%", f"CVaR\n{lvl}%"):
        table.add_column(name, justify="left" if name == "end item" else "right", no_wrap=True,
                         overflow="ellipsis", max_width=20 if name == "end item" else None)
    for item, e in r.end_items.items():
        v = e.value_lost
        table.add_row(plain(item), fmt_pct(e.p_short), f"{_num(v.mean)} ({_num(v.se)})", _num(v.p50), _num(v.p95),
                      _num(v.var), _num(v.cvar))
    body.append(table)
    lines: list[str] = []
    for item, e in r.end_items.items():
        u = e.units_lost
        lines.append("")
        lines += wrap(f"{item}: units lost mean {_num(u.mean)} (se {_num(u.se)}), P50 {_num(u.p50)}, P90 "
                      f"{_num(u.p90)}, P99 {_num(u.p99)}", width)
        s, b = e.time_to_survive, e.time_to_recover
        lines += wrap(f"time to survive ({p}s, trials that fell): P10 {_t(s['p10'])}, P50 {_t(s['p50'])}, "
                      f"P90 {_t(s['p90'])}; never falls in {fmt_pct(s['p_never'])}", width, indent=2)
        lines += wrap(f"time to recover ({p}s, trials that recovered): P10 {_t(b['p10'])}, P50 {_t(b['p50'])}, "
                      f"P90 {_t(b['p90'])}; not back by the horizon in {fmt_pct(b['p_not_recovered'])}",
                      width, indent=2)
        if e.bottleneck:
            top = ", ".join(f"{k} {fmt_pct(v)}" for k, v in list(e.bottleneck.items())[:5])
            lines += wrap(f"main bottleneck: {top}", width, indent=2)
    lines.append("")
    lines += wrap("what drives the expected value lost (mean with the event minus mean without; "
                  "marginal, not additive):", width, hang=0)
    for d in sorted(r.drivers, key=lambda d: -(d.contribution or 0.0)):
        what = ("never happened" if d.mean_with is None else "always happened" if d.mean_without is None else
                f"{'+' if d.contribution >= 0 else '-'}{_num(abs(d.contribution))} (se {_num(d.se)})")
        lines += wrap(f"{d.label}: happens in {fmt_pct(d.p_happens)} of trials; {what}", width, indent=2)
    body.append(Text("\n".join(lines)))
    return Group(*body)
