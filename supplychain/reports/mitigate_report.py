"""What ``mitigate`` prints: the plan (action, amount, cost), its total, each scenario's
loss before and after (simulated), the marginal value of each candidate action, and
any scenario still short. Pure formatting of a
:class:`~supplychain.risk.mitigate.MitigationResult`, at most ``width`` characters a
line."""

from __future__ import annotations

import math

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from supplychain.reports.format import fmt_number as _num
from supplychain.reports.format import fmt_time, plain, wrap
from supplychain.risk.mitigate import MitigationResult

__all__ = ["render_mitigation"]


def _table(*names: str, left: int = 1) -> Table:
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 0, 0, 1))
    for k, name in enumerate(names):
        t.add_column(name, justify="left" if k < left else "right", overflow="fold" if k < left else "ellipsis",
                     no_wrap=k >= left)
    return t


def render_mitigation(r: MitigationResult, *, width: int = 80) -> RenderableType:
    goal = f"target {r.target}" if r.target else ""
    if r.budget is not None:
        goal += (", " if goal else "") + f"budget {_num(r.budget)}"
    head = wrap(f"Mitigation plan ({goal}) over {len(r.scenarios)} scenario(s): "
                f"total cost {_num(r.total_cost)}; {'every scenario meets it' if r.met else 'NOT MET'} "
                f"when simulated ({r.method}, {r.rounds} program round(s))", width, hang=0)
    body: list[RenderableType] = [Text("\n".join(head))]
    if r.actions:
        t = _table("action", "cost")
        for a in r.actions:
            t.add_row(plain(a.describe()), _num(a.cost))
        body.append(t)
    else:
        body.append(Text("No action needed."))
    t = _table("scenario", "lost before", "after", "value before", "after", "TTS before", "after")
    for s in r.scenarios:
        t.add_row(plain(s.name), _num(s.units_lost_before), _num(s.units_lost_after), _num(s.value_lost_before),
                  _num(s.value_lost_after), fmt_time(s.time_to_survive_before), fmt_time(s.time_to_survive_after))
    body.append(t)
    if r.marginal:
        t = _table("one more step of", "cost", "units", "value", "value/cost")
        for m in r.marginal:
            what = {"stock": f"stock of {m.part}", "capacity": f"capacity {m.supplier} > {m.part}",
                    "new_source": f"new source {m.supplier} > {m.part}",
                    "qualify": f"qualify {m.supplier or m.alternate} for {m.part}",
                    "prequalify": f"pre-qualify {m.supplier or m.alternate} for {m.part}"}[m.kind]
            vpc = "unbounded" if math.isinf(m.value_per_cost) else f"{m.value_per_cost:,.3g}"
            t.add_row(plain(f"{what} ({m.step})"), _num(m.step_cost), _num(m.units_avoided), _num(m.value_avoided), vpc)
        body.append(t)
    notes = [*r.notes]
    notes.append("lost/value = simulated units and value lost per scenario; TTS = time to survive; "
                 "one more step = the mean loss it avoids over the scenarios (simulated)")
    body.append(Text("\n".join(line for n in notes for line in wrap(n, width, hang=0)), style="dim"))
    return Group(*body)
