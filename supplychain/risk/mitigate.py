"""Mitigation: the cheapest plan of stock, capacity, second sources and faster
qualification that keeps every scenario within its target.

**Candidate actions** come from the model's ``mitigation:`` section or a mitigation
file (:class:`~supplychain.model.schema.Mitigation`): extra stock of a part (by default
every part, at its ``unit_cost`` plus holding), more capacity on a source, a new source
from a candidate list, and qualifying a not-yet-qualified source or an alternate sooner
(per period saved) or before any event (a fixed cost).

**The optimiser** (:func:`mitigate`) extends the §5 impact LP with action variables and
solves one mixed-integer program with ``scipy.optimize.milp`` (HiGHS) over every
scenario at once. A scenario enters as a few *windows*: for a span ``W`` from its first
event's start, the LP sees what each source can deliver over ``[0, W)`` -- its capacity
times the periods it is open and may take orders, a lead time before the window ends,
its qualification counted from the trigger as the simulation counts it -- the stock and
the goods in the pipeline (less what a blocking embargo stops in transit), and may lose
at most the target in that span. The windows are where supply resumes: each stopped
source's reopening plus its delay (and the delays of the assemblies above it), each
alternate's or awaited source's opening, and the horizon. Every window is a relaxation
of the simulated span it covers, so a plan the LP rejects the simulation would reject
too; but the LP is optimistic (perfect foresight, a shortfall in one period made up by a
later one inside the window), so **every plan is verified by simulating each scenario
with the plan applied**. Where a scenario still falls short, the part the simulation
names as binding must supply, in the LP, what its end items still lose (per unit of
each) on top of what the program planned, and the program is solved again,
until the simulation meets the target or the rounds run out (the result then names the
scenario and the part still short). A verified plan is then trimmed: each amount is cut
by bisection, and each yes/no action dropped, while the simulation still meets the
target. A greedy baseline -- buy stock of the part the simulation names as the
bottleneck until the loss is gone -- runs too, and the cheaper verified plan is
returned (``method`` says which).

With a ``budget`` instead of a target, the program minimises the mean over scenarios of
the largest LP value lost over their windows, at a cost within the budget, and the
simulation reports the loss that remains.

**Marginal value**: for each candidate action, what one more step (a unit of stock, a
unit per period of capacity, a period sooner, the new source) buys in avoided loss,
by simulating the plan with and without it (finite differences on the simulation).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from supplychain.errors import InfeasibleError, ModelError
from supplychain.model.checks import check_mitigation
from supplychain.model.schema import DEFAULT_HORIZON, Mitigation, Model, Scenario, thaw
from supplychain.network import NEVER
from supplychain.network.whatif import apply, overrides_key
from supplychain.risk.lp import (
    LPNetwork,
    Supply,
    _layout,
    _reduced_lp,
    _with_users,
    compile_lp,
)

__all__ = [
    "Action",
    "Marginal",
    "MitigationResult",
    "Option",
    "ScenarioOutcome",
    "Target",
    "candidate_options",
    "greedy_plan",
    "mitigate",
    "plan_overrides",
    "mitigate_sample",
    "sample_coverage",
]

_MAX_WINDOWS = 8
_DENSE = 40
_TOL = 1e-6
_TRIM_STEP = 1e-2  # the trim's bisection stops within this share of an amount
_TRIM_SHARE = 5e-3  # ... and is spent on amounts of at least this share of the plan's cost


# --- targets -----------------------------------------------------------------------------

_TARGET = re.compile(r"^\s*(units_lost|value_lost)\s*<=\s*([0-9][0-9_.eE+-]*)\s*$"
                     r"|^\s*(time_to_survive)\s*>=\s*([0-9]+)\s*$")


@dataclass(frozen=True)
class Target:
    """What every scenario must meet: ``units_lost <= X``, ``value_lost <= X`` or
    ``time_to_survive >= T`` (periods from the first event's start)."""

    kind: str
    bound: float

    @classmethod
    def parse(cls, text: str | Target) -> Target:
        """``"units_lost<=0"``, ``"value_lost<=1e6"``, ``"time_to_survive>=26"``.

        >>> Target.parse("units_lost <= 0")
        Target(kind='units_lost', bound=0.0)
        """
        if isinstance(text, Target):
            return text
        m = _TARGET.match(str(text))
        if m is None:
            raise InfeasibleError(f"target {text!r}: write units_lost<=X, value_lost<=X or time_to_survive>=T "
                                  "(for example units_lost<=0)")
        try:
            if m.group(1):
                return cls(m.group(1), float(m.group(2)))
            return cls("time_to_survive", float(int(m.group(4))))
        except ValueError:
            raise InfeasibleError(f"target {text!r}: {m.group(2)!r} is not a number") from None

    def __str__(self) -> str:
        op = ">=" if self.kind == "time_to_survive" else "<="
        return f"{self.kind}{op}{self.bound:g}"

    def met(self, result) -> bool:
        if self.kind == "units_lost":
            return result.units_lost <= self.bound + _TOL
        if self.kind == "value_lost":
            return result.value_lost <= self.bound * (1 + 1e-9) + _TOL
        return not any(self._early_loss(r) > _TOL for r in result.end_items.values())

    def _early_loss(self, r) -> float:
        if r.event_start is None:
            return 0.0
        return float(r.lost[r.event_start:r.event_start + int(self.bound)].sum())

    def shortfall(self, result) -> dict[str, float]:
        """Per end item, the units the simulation must stop losing to meet the target."""
        if self.kind == "time_to_survive":
            return {e: self._early_loss(r) for e, r in result.end_items.items()}
        total = result.units_lost if self.kind == "units_lost" else result.value_lost
        if total <= self.bound:
            return {e: 0.0 for e in result.end_items}
        keep = self.bound / total if total > 0 else 0.0
        return {e: r.units_lost * (1 - keep) for e, r in result.end_items.items()}


# --- candidate options -------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    """One candidate action: ``kind`` is stock, capacity, new_source, qualify (periods
    sooner) or prequalify; ``unit_cost`` is per unit, per unit per period, fixed or per
    period saved; ``max`` the largest amount."""

    kind: str
    part: str
    supplier: str | None = None
    alternate: str | None = None
    unit_cost: float = 0.0
    max: float = math.inf
    spec: Any = field(default=None, repr=False, compare=False)

    @property
    def integer(self) -> bool:
        return self.kind in ("new_source", "prequalify", "qualify")

    @property
    def key(self) -> str:
        tail = self.supplier or self.alternate
        return f"{self.kind}:{self.part}" + (f":{tail}" if tail else "")

    @property
    def unit(self) -> str:
        return {"stock": "units", "capacity": "units/period", "qualify": "periods sooner"}.get(self.kind, "")


def candidate_options(model: Model, mitigation: Mitigation | None = None, *,
                      horizon: int = DEFAULT_HORIZON) -> list[Option]:
    """The candidate actions of ``mitigation`` (default the model's own, else stock of
    every part at its unit cost), checked against ``model``."""
    mit = mitigation if mitigation is not None else (model.mitigation or Mitigation())
    problems = check_mitigation(model, mit, ("mitigation",))
    if problems:
        raise ModelError(problems)
    held = 1.0 + mit.holding_rate * (mit.holding_periods if mit.holding_periods is not None else horizon)
    out: list[Option] = []
    for pid, part in model.parts.items():
        opt = mit.stock.get(pid)
        if opt is None and not mit.all_stock:
            continue
        cost = opt.unit_cost if opt is not None and opt.unit_cost is not None else part.unit_cost * held
        cap = opt.max if opt is not None and opt.max is not None else math.inf
        out.append(Option("stock", pid, unit_cost=cost, max=cap))
    for c in mit.capacity:
        out.append(Option("capacity", c.part, supplier=c.supplier, unit_cost=c.cost_per_unit,
                          max=c.max if c.max is not None else math.inf, spec=c))
    for n in mit.new_sources:
        out.append(Option("new_source", n.part, supplier=n.supplier, unit_cost=n.fixed_cost, max=1, spec=n))
    for q in mit.qualify:
        qt = _qual_time(model, q)
        if q.prequalify_cost is not None:
            out.append(Option("prequalify", q.part, supplier=q.supplier, alternate=q.alternate,
                              unit_cost=q.prequalify_cost, max=1, spec=q))
        else:
            out.append(Option("qualify", q.part, supplier=q.supplier, alternate=q.alternate,
                              unit_cost=q.cost_per_period, max=float(qt - q.min_time), spec=q))
    return out


def _qual_time(model: Model, q) -> int:
    part = model.parts[q.part]
    if q.supplier is not None:
        return next(s for s in part.sources if s.supplier == q.supplier).qualification_time
    return next(a for line in part.bom.values() for a in line.alternates if a.part == q.alternate).qualification_time


# --- the plan as model overrides --------------------------------------------------------

def plan_overrides(model: Model, plan: dict[Option, float], mitigation: Mitigation | None = None) -> dict[str, Any]:
    """``plan`` (option -> amount) as overrides of ``model`` (see :func:`supplychain.apply`)."""
    mit = mitigation if mitigation is not None else (model.mitigation or Mitigation())
    parts: dict[str, dict] = {}
    suppliers: dict[str, dict] = {}
    sources: dict[str, list[dict]] = {}
    lines: dict[tuple[str, str], dict] = {}

    def srcs(pid):
        if pid not in sources:
            sources[pid] = [s.model_dump(exclude_defaults=True) for s in model.parts[pid].sources]
        return sources[pid]

    for opt, amount in sorted(plan.items(), key=lambda kv: kv[0].key):
        if amount <= 0:
            continue
        part = model.parts[opt.part]
        if opt.kind == "stock":
            parts.setdefault(opt.part, {})["stock"] = _round(part.stock + amount)
        elif opt.kind == "capacity":
            for s in srcs(opt.part):
                if s["supplier"] == opt.supplier:
                    s["capacity"] = _round(s["capacity"] + amount)
        elif opt.kind == "new_source":
            n = opt.spec
            new = {"supplier": n.supplier, "lead_time": n.lead_time, "qualified": False,
                   "qualification_time": n.qualification_time}
            if n.capacity is not None:
                new["capacity"] = n.capacity
            srcs(opt.part).append(new)
            if n.supplier in mit.suppliers:
                suppliers[n.supplier] = mit.suppliers[n.supplier].model_dump(exclude_none=True)
        elif opt.supplier is not None:  # qualify or prequalify a source
            for s in srcs(opt.part):
                if s["supplier"] == opt.supplier:
                    s["qualification_time"] = 0 if opt.kind == "prequalify" else int(s["qualification_time"] - amount)
        else:  # an alternate on a line
            for child, line in part.bom.items():
                if any(a.part == opt.alternate for a in line.alternates):
                    d = lines.setdefault((opt.part, child), thaw(line.model_dump()))
                    for a in d["alternates"]:
                        if a["part"] == opt.alternate:
                            a["qualification_time"] = 0 if opt.kind == "prequalify" else int(a["qualification_time"] - amount)
    for pid, lst in sources.items():
        parts.setdefault(pid, {})["sources"] = lst
    for (pid, child), line in lines.items():
        parts.setdefault(pid, {}).setdefault("bom", {})[child] = line
    out: dict[str, Any] = {}
    if suppliers:
        out["suppliers"] = suppliers
    if parts:
        out["parts"] = parts
    return out


def _round(x: float) -> float:
    r = round(float(x), 6)
    return int(r) if r == int(r) else r


# --- results -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """One action of a plan: what, how much, at what cost."""

    kind: str
    part: str
    supplier: str | None
    alternate: str | None
    amount: float
    unit: str
    cost: float

    def describe(self) -> str:
        if self.kind == "stock":
            return f"{self.amount:,.6g} more {self.part} in stock"
        if self.kind == "capacity":
            return f"+{self.amount:,.6g}/period capacity at {self.supplier} for {self.part}"
        if self.kind == "new_source":
            return f"new source {self.supplier} for {self.part}"
        what = f"source {self.supplier} of {self.part}" if self.supplier else f"alternate {self.alternate} in {self.part}"
        if self.kind == "prequalify":
            return f"pre-qualify {what}"
        return f"qualify {what} {self.amount:,.0f} periods sooner"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "part": self.part, "supplier": self.supplier, "alternate": self.alternate,
                "amount": self.amount, "unit": self.unit, "cost": self.cost}


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario before and after the plan (simulated)."""

    name: str
    units_lost_before: float
    value_lost_before: float
    units_lost_after: float
    value_lost_after: float
    time_to_survive_before: int | None
    time_to_survive_after: int | None
    met: bool
    short_part: str | None  # the bottleneck still binding when the target is not met

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Marginal:
    """What one more step of an action buys, from simulating the plan with it."""

    kind: str
    part: str
    supplier: str | None
    alternate: str | None
    step: str
    step_cost: float
    units_avoided: float  # mean over the scenarios
    value_avoided: float

    @property
    def value_per_cost(self) -> float:
        return self.value_avoided / self.step_cost if self.step_cost > 0 else (math.inf if self.value_avoided > 0 else 0.0)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["value_per_cost"] = self.value_per_cost if math.isfinite(self.value_per_cost) else "unbounded"
        return d


@dataclass(frozen=True)
class MitigationResult:
    """The plan, its cost, and every scenario before and after it.

    ``method`` is ``milp`` (the program's plan, verified, strengthened and trimmed) or
    ``greedy`` (the baseline's, when it was cheaper); ``rounds`` the programs solved.
    """

    target: str | None
    budget: float | None
    actions: tuple[Action, ...]
    scenarios: tuple[ScenarioOutcome, ...]
    method: str
    rounds: int
    overrides: dict[str, Any]
    marginal: tuple[Marginal, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def total_cost(self) -> float:
        return float(sum(a.cost for a in self.actions))

    @property
    def met(self) -> bool:
        return all(s.met for s in self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "budget": self.budget, "method": self.method, "rounds": self.rounds,
                "total_cost": self.total_cost, "met": self.met,
                "actions": [a.to_dict() for a in self.actions],
                "scenarios": [s.to_dict() for s in self.scenarios],
                "marginal": [m.to_dict() for m in self.marginal],
                "overrides": thaw(self.overrides), "notes": list(self.notes)}

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """The plan as rows: one per action (cost) and one per scenario (loss before/after)."""
        header = ["row", "kind", "part", "supplier_or_alternate", "amount", "unit", "cost",
                  "units_lost_before", "units_lost_after", "value_lost_before", "value_lost_after", "met"]
        rows = [["action", a.kind, a.part, a.supplier or a.alternate or "", a.amount, a.unit, a.cost,
                 "", "", "", "", ""] for a in self.actions]
        rows += [["scenario", "", s.name, "", "", "", "", s.units_lost_before, s.units_lost_after,
                  s.value_lost_before, s.value_lost_after, s.met] for s in self.scenarios]
        return header, rows

    def to_frame(self):
        """The actions as a pandas DataFrame (``kind, part, supplier, alternate, amount,
        unit, cost``); the scenarios are in ``scenarios_frame()``."""
        pd = _pandas()
        return pd.DataFrame([a.to_dict() for a in self.actions],
                            columns=["kind", "part", "supplier", "alternate", "amount", "unit", "cost"])

    def scenarios_frame(self):
        pd = _pandas()
        return pd.DataFrame([s.to_dict() for s in self.scenarios])


def _pandas():
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_frame() needs pandas: pip install 'supplychain[frames]'") from None
    return pd


# --- the scenario windows ----------------------------------------------------------------

def _down_delay(lp: LPNetwork) -> np.ndarray:
    """Per part: the longest chain of build delays from it up to an end item."""
    net = lp.net
    quick = np.full(net.n_parts, np.inf)
    np.minimum.at(quick, net.src_part, net.src_delay.astype(float))
    quick[~np.isfinite(quick)] = 0.0
    down = np.zeros(net.n_parts)
    parent = net.line_parent[net.mem_line]
    for _ in range(max(net.n_levels, 1)):
        new = down.copy()
        np.maximum.at(new, net.mem_part, down[parent] + quick[parent])
        if np.array_equal(new, down):
            break
        down = new
    return down


class _Window(Supply):
    """A scenario's supply over one window: amounts precomputed (see the module text)."""

    def __init__(self, sup: Supply, cap_W: np.ndarray, stock_W: np.ndarray, src_total: np.ndarray,
                 W: float) -> None:
        for name, value in {**sup.__dict__, "_cap_W": cap_W, "_stock_W": stock_W, "src_total": src_total,
                            "W": W}.items():
            object.__setattr__(self, name, value)

    def capacity_at(self, lp, t):
        return self._cap_W

    def stock_at(self, lp, t):
        return self._stock_W


@dataclass
class _Scn:
    """One scenario as the program sees it."""

    scenario: Scenario
    group: str
    lp: LPNetwork
    s0: int | None
    H: int
    src_count: Any = None  # W -> (S,) periods each source may deliver in the window
    windows: list = field(default_factory=list)
    base: Any = None


def _prepare(lp: LPNetwork, sc: Scenario, group: str, candidates: np.ndarray, down: np.ndarray,
             target: Target, options: list[Option] = ()) -> _Scn:
    from supplychain.sim.events import resolve_events

    net = lp.net
    ev = resolve_events(net, sc)
    H = sc.horizon
    s0 = ev.first_start
    out = _Scn(sc, group, lp, s0, H)
    if s0 is None:
        return out
    S = net.n_sources
    open_ = np.ones((S, H))
    for e in ev.events:
        if e.stop > e.start and e.severity.any():
            hi = min(e.stop, H)
            open_[:, e.start:hi] = np.minimum(open_[:, e.start:hi], 1.0 - e.severity[:, None])
    cum = np.concatenate([np.zeros((S, 1)), np.cumsum(open_, axis=1)], axis=1)
    from_abs = np.where(ev.src_usable_from >= NEVER, np.inf, np.maximum(ev.src_usable_from, s0)).astype(float)
    mem_from = np.where(ev.mem_usable_from >= NEVER, np.inf,
                        np.maximum(ev.mem_usable_from - s0, 0)).astype(float)
    mem_from = np.where(net.mem_is_primary, 0.0, mem_from)
    # goods in transit lost to a blocking event at the first start
    lost_transit = np.zeros(S)
    for e in ev.events:
        if e.blocked and e.start == s0:
            lost_transit = np.maximum(lost_transit, e.severity * net.src_base_flow * net.src_lead_time)
    base = net.stock0 + net.pipeline0 - np.bincount(net.src_part, weights=lost_transit, minlength=net.n_parts)
    base = np.maximum(base, 0.0)
    ever = np.zeros(net.n_parts)
    np.add.at(ever, net.src_part, np.where(np.isfinite(from_abs) & ~candidates, net.src_capacity, 0.0))
    sup = Supply(src_cap=net.src_capacity, src_from=from_abs - s0, src_stock=net.src_stock0, mem_from=mem_from,
                 base=base, part_cap=net.capacity, capmax=np.minimum(net.capacity, ever))

    def count(W: float, from_rel: np.ndarray | None = None) -> np.ndarray:
        """Periods (weighted by the open share) each source may deliver within [0, W)."""
        f = from_abs if from_rel is None else from_rel + s0
        lo = np.clip(np.where(np.isfinite(f), f, H), 0, H).astype(np.int64)
        hi = np.clip(s0 + W - net.src_delay, 0, H).astype(np.int64)
        hi = np.maximum(hi, lo)
        return cum[np.arange(S), hi] - cum[np.arange(S), lo]

    out.src_count = count
    out.base = sup

    # the windows: where supply resumes (see the module text)
    span = H - s0
    closed = open_[:, s0:].min(axis=1, initial=1.0) < 1.0 if span > 0 else np.zeros(S, dtype=bool)
    cands = {float(span)}
    if target.kind == "time_to_survive":
        cands = {float(min(target.bound, span))}
    else:
        for s in np.flatnonzero(closed):
            shut = np.flatnonzero(open_[s, s0:] < 1.0)
            back = shut[-1] + 1
            for extra in (0.0, down[net.src_part[s]]):
                cands.add(float(back + net.src_delay[s] + extra))
        for s in np.flatnonzero(np.isfinite(from_abs) & (from_abs > s0)):
            for extra in (0.0, down[net.src_part[s]]):
                cands.add(float(from_abs[s] - s0 + net.src_delay[s] + extra))
        parent = net.line_parent[net.mem_line]
        for m in np.flatnonzero(np.isfinite(mem_from) & (mem_from > 0)):
            for extra in (0.0, down[parent[m]]):
                cands.add(float(mem_from[m] + extra))
    ws = sorted(w for w in cands if 1 <= w <= span)
    if len(ws) > _MAX_WINDOWS:
        ws = [ws[i] for i in sorted({int(round(x)) for x in np.linspace(0, len(ws) - 1, _MAX_WINDOWS)})]
    # a qualification that may be cut moves its opening: the window just before it
    # opens moves with it, so every period up to the opening is a window (a grid of
    # _DENSE beyond that many)
    if target.kind != "time_to_survive":
        dense: set[float] = set()
        for o in options:
            if o.kind != "qualify":
                continue
            if o.supplier is not None:
                src = _source(net, o.part, o.supplier)
                f = from_abs[src] - s0 + net.src_delay[src]
            else:
                f = min((mem_from[m] for m in _members(net, o.part, o.alternate)), default=np.inf)
            if np.isfinite(f):
                top = min(f, span)
                grid = np.arange(1, top + 1) if top <= _DENSE else np.unique(np.round(np.linspace(1, top, _DENSE)))
                dense.update(float(w) for w in grid)
        ws = sorted(set(ws) | dense)
    # Before a source's first stop in the run, base-stock ordering keeps every part's
    # position at its target: the source ships its steady flow, not what perfect
    # foresight would stockpile ahead of the stop (a backup without steady flow, at
    # most its capacity). After the stop it may ship up to its capacity.
    rows = np.arange(S)
    shut_any = open_[:, s0:] < 1.0
    first_shut = np.where(shut_any.any(axis=1), s0 + shut_any.argmax(axis=1), H)
    lo_all = np.clip(np.where(np.isfinite(from_abs), from_abs, H), 0, H).astype(np.int64)
    ahead = np.where(net.src_base_flow > 0, np.minimum(net.src_capacity, net.src_base_flow), net.src_capacity)
    for W in ws:
        c = count(W)
        hi = np.clip(s0 + W - net.src_delay, 0, H).astype(np.int64)
        cut = np.clip(np.minimum(hi, first_shut), lo_all, None)
        pre = np.where(hi > lo_all, cum[rows, cut] - cum[rows, lo_all], 0.0)
        post = np.maximum(c - pre, 0.0)
        amt = (np.where(pre > 0, ahead * np.where(pre > 0, pre, 1.0), 0.0)
               + np.where(post > 0, net.src_capacity * np.where(post > 0, post, 1.0), 0.0))
        amt[candidates] = 0.0
        total = np.zeros(net.n_parts)
        np.add.at(total, net.src_part, amt)
        cap_W = np.minimum(np.where(net.capacity > 0, net.capacity * W, 0.0), total)
        src_stock = np.where((c > 0) & ~candidates, net.src_stock0, 0.0)
        stock_W = base + np.bincount(net.src_part, weights=src_stock, minlength=net.n_parts)
        out.windows.append(_Window(sup, cap_W, stock_W, total, W))
    return out


# --- the program -------------------------------------------------------------------------

class _Program:
    """Columns: the options' amounts, then per block (scenario x window) u, y, l and any
    helper columns, then per scenario its worst value lost (budget mode)."""

    def __init__(self, n_opt: int) -> None:
        self.n = n_opt
        self.rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (row, col, val) blocks
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.col_lb: list[np.ndarray] = []
        self.col_ub: list[np.ndarray] = []
        self.col_int: list[np.ndarray] = []
        self.obj: list[np.ndarray] = []
        self.n_rows = 0

    def cols(self, lb, ub, integer=None, obj=None) -> int:
        start = self.n
        k = len(lb)
        self.col_lb.append(np.asarray(lb, float))
        self.col_ub.append(np.asarray(ub, float))
        self.col_int.append(np.zeros(k) if integer is None else np.asarray(integer, float))
        self.obj.append(np.zeros(k) if obj is None else np.asarray(obj, float))
        self.n += k
        return start

    def row(self, cols, vals, lo=-np.inf, hi=np.inf) -> int:
        r = self.n_rows
        self.rows.append((np.full(len(cols), r), np.asarray(cols, np.int64), np.asarray(vals, float)))
        self.lo.append(lo)
        self.hi.append(hi)
        self.n_rows += 1
        return r

    def block(self, A: sp.csr_matrix, b: np.ndarray, col0: int) -> int:
        coo = A.tocoo()
        r0 = self.n_rows
        self.rows.append((coo.row + r0, coo.col + col0, coo.data))
        self.lo += [-np.inf] * A.shape[0]
        self.hi += list(b)
        self.n_rows += A.shape[0]
        return r0


def _solve(scns: list[_Scn], options: list[Option], target: Target | None, budget: float | None,
           uplift: dict[int, dict[str, float]]):
    """Build and solve the program; ``(status, amounts, lp losses per scenario, message)``."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_opt = len(options)
    costs = np.array([o.unit_cost for o in options])
    prog = _Program(0)
    prog.cols(np.zeros(n_opt), np.array([o.max for o in options]),
              integer=[1.0 if o.integer else 0.0 for o in options],
              obj=costs if budget is None else costs * 1e-9)
    by_part: dict[str, list[int]] = {}
    for k, o in enumerate(options):
        by_part.setdefault(o.part, []).append(k)
    worst_cols: dict[int, int] = {}
    blocks_of: list[list[tuple[int, np.ndarray, Any]]] = []
    for si, sc in enumerate(scns):
        blocks_of.append([])
        if sc.s0 is None or not sc.windows:
            continue
        lp, net = sc.lp, sc.lp.net
        if budget is not None:
            worst_cols[si] = prog.cols([0.0], [np.inf], obj=[1.0 / len(scns)])
        up = uplift.get(si, {})
        for win in sc.windows:
            W = win.W
            short = win.capacity_at(lp, W) < net.requirement * W - 1e-9
            forced = np.zeros(net.n_parts, dtype=bool)
            for e, amount in up.items():
                if amount > 0:
                    forced[net.index[e]] = True
            R = _with_users(lp, short | forced)
            # an alternate's part joins with its own parts: outside R it could give only
            # its stock (a boundary row counts steady draws of the primary lines)
            alt = np.zeros(net.n_parts, dtype=bool)
            alt[net.mem_part[~net.mem_is_primary & R[net.line_parent[net.mem_line]]]] = True
            if alt.any():
                R = _with_users(lp, R | _with_users(lp, alt, down=True))
            if not R.any():
                continue
            c, A, b, bounds, boundary, end_cols = _reduced_lp(lp, R, win, horizon=W)
            lay = _layout(lp, R)
            b = b.copy()
            ub = bounds[:, 1].copy()
            # a binding part asked for more: the simulated shortfall (see the module text)
            for part, amount in up.items():
                i = net.index[part]
                if R[i] and amount > 0:
                    b[lay.nl + lay.pos[i]] -= amount
                    if i in net.end_idx:
                        k = np.flatnonzero(end_cols == int(np.flatnonzero(net.end_idx == i)[0]))
                        if len(k):
                            ub[len(c) - len(end_cols) + k[0]] += amount
            col0 = prog.cols(bounds[:, 0], ub)
            r0 = prog.block(A, b, col0)
            _add_options(prog, sc, win, lay, R, options, by_part, col0, r0, prog.col_ub[-1], boundary)
            l0 = len(c) - len(end_cols)
            l_cols = col0 + l0 + np.arange(len(end_cols))
            values = net.unit_value[end_cols]
            if target is not None:
                if target.kind == "units_lost":
                    prog.row(l_cols, np.ones(len(l_cols)), hi=target.bound)
                elif target.kind == "value_lost":
                    prog.row(l_cols, values, hi=target.bound)
                else:
                    prog.row(l_cols, np.ones(len(l_cols)), hi=0.0)
            if budget is not None:
                prog.row(np.append(l_cols, worst_cols[si]), np.append(values, -1.0), hi=0.0)
            blocks_of[si].append((col0, l_cols, values))
    if budget is not None:
        prog.row(np.arange(n_opt), costs, hi=budget)
    if not prog.rows:
        return 0, np.zeros(n_opt), [0.0] * len(scns), ""
    rows = np.concatenate([r for r, _, _ in prog.rows])
    cols = np.concatenate([c for _, c, _ in prog.rows])
    vals = np.concatenate([v for _, _, v in prog.rows])
    A = sp.csr_matrix((vals, (rows, cols)), shape=(prog.n_rows, prog.n))
    lb, ub = np.concatenate(prog.col_lb), np.concatenate(prog.col_ub)
    res = milp(np.concatenate(prog.obj), constraints=LinearConstraint(A, np.array(prog.lo), np.array(prog.hi)),
               integrality=np.concatenate(prog.col_int), bounds=Bounds(lb, ub),
               options={"disp": False, "mip_rel_gap": 1e-9})
    if res.x is None:
        return res.status, None, None, res.message
    x = res.x
    losses = [max((float(vals_ @ x[lc]) for _, lc, vals_ in blocks), default=0.0) for blocks in blocks_of]
    amounts = x[:n_opt].copy()
    for k, o in enumerate(options):
        amounts[k] = round(amounts[k]) if o.integer else math.ceil(amounts[k] * 1e6 - 1e-3) / 1e6
    return res.status, np.maximum(amounts, 0.0), losses, res.message


def _add_options(prog: _Program, sc: _Scn, win: _Window, lay, R: np.ndarray, options: list[Option],
                 by_part: dict[str, list[int]], col0: int, r0: int, ub: np.ndarray, boundary: np.ndarray) -> None:
    """The options' terms in one block (columns from ``col0``, rows from ``r0``; ``ub``
    the block's column bounds): stock in the part's row, supply added to a part's
    capacity or an alternate's line (with helper columns where the supply starts only
    once a qualification is cut far enough)."""
    net, W = sc.lp.net, win.W
    usage = net.requirement * W + 1.0
    cap_terms: dict[int, list[tuple[int, float]]] = {}  # part index -> (column, coefficient)
    mem_terms: dict[int, list[tuple[int, float]]] = {}  # member index -> ...
    b_pos = {int(p): k for k, p in enumerate(boundary)}
    count = sc.src_count(W)
    for pid, ks in by_part.items():
        i = net.index[pid]
        for k in ks:
            o = options[k]
            if o.kind == "stock":
                row = lay.nl + lay.pos[i] if R[i] else (lay.nl + lay.nr + b_pos[i] if i in b_pos else None)
                if row is not None:
                    prog.rows.append((np.array([r0 + row]), np.array([k]), np.array([-1.0])))
                continue
            if not R[i]:
                continue
            if o.kind == "capacity":
                s = _source(net, pid, o.supplier)
                cap_terms.setdefault(i, []).append((k, float(count[s])))
            elif o.kind == "new_source":
                s = _source(net, pid, o.supplier)
                cnt = float(count[s])
                amount = 0.0 if cnt <= 0 else (usage[i] if np.isinf(net.src_capacity[s]) else net.src_capacity[s] * cnt)
                if amount > 0:
                    cap_terms.setdefault(i, []).append((k, min(amount, usage[i])))
            elif o.supplier is not None:  # qualify / prequalify a source
                s = _source(net, pid, o.supplier)
                f = float(win.src_from[s])
                if np.isfinite(f):
                    _qualify_terms(prog, cap_terms.setdefault(i, []), k, o, f, float(net.src_delay[s]),
                                   float(net.src_capacity[s]), W, usage[i])
            else:  # an alternate
                for m in _members(net, pid, o.alternate):
                    parent = net.line_parent[net.mem_line[m]]
                    f = float(win.mem_from[m])
                    if not R[parent] or not np.isfinite(f):
                        continue
                    qty = float(net.line_qty[net.mem_line[m]])
                    _qualify_terms(prog, mem_terms.setdefault(m, []), k, o, f, 0.0,
                                   qty * float(win.capmax[parent]), W, qty * usage[parent])
    # u_p - terms <= what its sources supply in the window; the part's own capacity
    # stays the column's bound
    for i, terms in cap_terms.items():
        total = float(win.src_total[i])
        if not terms or not np.isfinite(total):
            continue
        ub[lay.pos[i]] = net.capacity[i] * W if np.isfinite(net.capacity[i]) else np.inf
        prog.row([col0 + lay.pos[i], *[k for k, _ in terms]], [1.0, *[-v for _, v in terms]], hi=total)
    for m, terms in mem_terms.items():
        y = lay.ypos.get(int(m))
        if y is None or not terms or not np.isfinite(ub[lay.nr + y]):
            continue
        cap = float(ub[lay.nr + y])
        ub[lay.nr + y] = np.inf
        prog.row([col0 + lay.nr + y, *[k for k, _ in terms]], [1.0, *[-v for _, v in terms]], hi=cap)


def _qualify_terms(prog: _Program, terms: list, k: int, o: Option, f: float, delay: float, c: float,
                   W: float, M: float) -> None:
    """Supply from a source or alternate whose opening ``f`` (periods from the first
    event) the option moves earlier; ``c`` its capacity per period (inf = unlimited),
    ``M`` a bound on what it could usefully supply in the window."""
    room = W - delay - f  # periods it already supplies in the window
    Mv = min(M, c * (W - delay)) if np.isfinite(c) else M
    if Mv <= 0:
        return
    if o.kind == "prequalify":
        if W - delay >= 1:
            gain = (min(M, c * (W - delay)) - max(0.0, c * room) if np.isfinite(c) else (M if room < 1 else 0.0))
            if gain > 0:
                terms.append((k, gain))
        return
    if room >= 1:
        if np.isfinite(c):
            terms.append((k, c))  # each period sooner adds a period of supply
        return
    d0 = f + delay - W + 1  # periods to cut before it supplies at all
    if d0 > o.max:
        return
    # helper v (supply) and b (it supplies): v <= Mv b, v <= c (room + d) + Mv (1 - b), d >= d0 b
    v = prog.cols([0.0], [Mv])
    b = prog.cols([0.0], [1.0], integer=[1.0])
    prog.row([v, b], [1.0, -Mv], hi=0.0)
    if np.isfinite(c):
        prog.row([v, k, b], [1.0, -c, Mv], hi=c * room + Mv)
    prog.row([k, b], [-1.0, d0], hi=0.0)
    terms.append((v, 1.0))


def _source(net, pid: str, supplier: str) -> int:
    sid = net.supplier_ids.index(supplier)
    for s in net.sources_of(pid):
        if net.src_supplier[s] == sid:
            return int(s)
    raise KeyError((pid, supplier))


def _members(net, pid: str, alternate: str) -> list[int]:
    i, a = net.index[pid], net.index[alternate]
    parent = net.line_parent[net.mem_line]
    return [int(m) for m in np.flatnonzero((parent == i) & (net.mem_part == a) & ~net.mem_is_primary)]


# --- the driver --------------------------------------------------------------------------

class _Runner:
    """The scenarios, grouped by the model their overrides make, and the simulation of
    a plan over all of them."""

    def __init__(self, model: Model, scenarios: list[Scenario], mitigation: Mitigation | None,
                 options: list[Option]) -> None:
        self.model, self.scenarios, self.mitigation, self.options = model, scenarios, mitigation, options
        self._subsets: dict[tuple[int, ...], _Runner] = {}
        self.groups: dict[str, Model] = {}
        for sc in scenarios:
            key = overrides_key(sc.overrides)
            if key not in self.groups:
                self.groups[key] = apply(model, sc.overrides) if sc.overrides else model

    def simulate(self, plan: dict[Option, float], *, record_stock: bool = False) -> list:
        from supplychain.sim import simulate_batch

        out: list = [None] * len(self.scenarios)
        for key, base in self.groups.items():
            idx = [k for k, sc in enumerate(self.scenarios) if overrides_key(sc.overrides) == key]
            ov = plan_overrides(base, {o: a for o, a in plan.items() if a > 0}, self.mitigation)
            m = apply(base, ov) if ov else base
            for k, r in zip(idx, simulate_batch(m, [self.scenarios[k] for k in idx], record_stock=record_stock)):
                out[k] = r
        return out

    def subset(self, idx: list[int]) -> _Runner:
        """The runner of the scenarios ``idx`` alone (kept for the next ask)."""
        key = tuple(idx)
        if key == tuple(range(len(self.scenarios))):
            return self
        if key not in self._subsets:
            self._subsets[key] = _Runner(self.model, [self.scenarios[k] for k in idx], self.mitigation, self.options)
        return self._subsets[key]


def _met(target: Target | None, results) -> bool:
    return target is None or all(target.met(r) for r in results)


def _cost(plan: dict[Option, float]) -> float:
    return float(sum(o.unit_cost * a for o, a in plan.items() if a > 0))


def _drawn(path: np.ndarray, start: float) -> bool:
    """Whether a stock path (recorded at each period's end) ever falls below ``start``,
    the stock the run begins with."""
    return bool(len(path)) and float(path.min()) < start - 1e-9 * (1.0 + abs(start))


def _cut_spare(run: _Runner, target: Target, plan: dict[Option, float], keep: Option | None) -> dict[Option, float]:
    """Cut every bought buffer by the stock it never used: the least its part holds in
    any scenario and period. A part's target position moves with its stock, so a
    lower buffer lowers its whole path by the same amount and no draw on it changes;
    the cuts are made together and kept if the simulation still meets ``target``
    (halved while it does not)."""
    for _ in range(2):
        spare: dict[Option, float] = {}
        results = run.simulate(plan, record_stock=True)
        for o, a in plan.items():
            if o.kind != "stock" or a <= 0 or o is keep:
                continue
            low = min((float(r.stock[o.part].min()) for r in results if r.stock is not None), default=0.0)
            if low > 1e-9:
                spare[o] = min(a, low)
        if not spare or sum(o.unit_cost * x for o, x in spare.items()) < 1e-3 * _cost(plan):
            break
        for _ in range(4):
            trial = {o: a - spare.get(o, 0.0) for o, a in plan.items()}
            if _met(target, run.simulate(trial)):
                plan = {o: a for o, a in trial.items() if a > 1e-9}
                break
            spare = {o: x / 2 for o, x in spare.items()}
        else:
            break
    return plan


def _trim(run: _Runner, target: Target, plan: dict[Option, float], *, polish: bool = True,
          keep: Option | None = None) -> dict[Option, float]:
    """Cut each amount (dearest first) by bisection, and drop each yes/no action,
    while the simulation still meets the target; then try cutting each qualification
    a period more where that lets a dearer buffer go (``keep`` is left as it is)."""
    plan = _cut_spare(run, target, dict(plan), keep)
    # a buffer matters only where its part's stock is drawn down: its trials simulate
    # those scenarios alone (a part that never falls below where it starts is served
    # by what flows in)
    paths = run.simulate(plan, record_stock=True)
    where: dict[Option, list[int]] = {}
    for o in plan:
        if o.kind == "stock":
            where[o] = [k for k, r in enumerate(paths) if r.stock is not None and _drawn(
                r.stock[o.part], run.groups[overrides_key(run.scenarios[k].overrides)].parts[o.part].stock + plan[o])]
    total = _cost(plan)
    for o in sorted((o for o, a in plan.items() if a > 0 and o is not keep), key=lambda o: -o.unit_cost * plan[o]):
        sub = run.subset(where[o]) if o in where else run
        if not sub.scenarios:
            plan[o] = 0.0
            continue
        if o.kind in ("new_source", "prequalify"):
            trial = {**plan, o: 0.0}
            if _met(target, sub.simulate(trial)):
                plan = trial
            continue
        lo, hi = 0.0, plan[o]
        if _met(target, sub.simulate({**plan, o: 0.0})):
            plan[o] = 0.0
            continue
        if o.unit_cost * hi < _TRIM_SHARE * total:
            continue  # too small a share of the cost to be worth a bisection
        step = 1.0 if o.kind == "qualify" else max(hi * _TRIM_STEP, 1e-3)
        while hi - lo > step:
            mid = (lo + hi) / 2
            if o.kind == "qualify":
                mid = float(math.floor(mid))
                if mid <= lo:
                    break
            if _met(target, sub.simulate({**plan, o: mid})):
                hi = mid
            else:
                lo = mid
        plan[o] = _round(hi) if o.kind != "qualify" else float(hi)
    plan = {o: a for o, a in plan.items() if a > 0}
    if polish:
        # a period more of a qualification cut may let a dearer buffer go: try it
        for o in [o for o in plan if o.kind == "qualify"]:
            while plan.get(o, 0.0) + 1 <= o.max:
                trial = _trim(run, target, {**plan, o: plan[o] + 1}, polish=False, keep=o)
                if _cost(trial) < _cost(plan) - 1e-9 and _met(target, run.simulate(trial)):
                    plan = trial
                else:
                    break
    return plan


def greedy_plan(model: Model, scenarios: Iterable[Scenario], *, target: str | Target = "units_lost<=0",
                mitigation: Mitigation | None = None, max_steps: int = 200) -> dict[Option, float] | None:
    """The baseline: buy stock of the part the simulation names as the bottleneck, as
    many units as its end item lost per unit of that end item, until every scenario
    meets ``target``; None when a bottleneck cannot be bought."""
    scenarios = list(scenarios)
    tgt = Target.parse(target)
    options = candidate_options(model, mitigation, horizon=max((s.horizon for s in scenarios), default=DEFAULT_HORIZON))
    run = _Runner(model, scenarios, mitigation, options)
    return _greedy(run, tgt, max_steps)


def _usage(model: Model, item: str, part: str) -> float:
    """Units of ``part`` in one unit of ``item`` along the primary BOM lines."""
    memo: dict[str, float] = {}

    def go(p: str) -> float:
        if p == part:
            return 1.0
        if p not in memo:
            memo[p] = sum(line.qty * go(child) for child, line in model.parts[p].bom.items())
        return memo[p]

    return go(item)


def _needs(run: _Runner, target: Target, results, *, per_period: bool = True) -> dict[int, dict[str, float]]:
    """Per scenario short of ``target``: the units each binding part must still supply.

    An end item's shortfall is spread over the periods it loses output and charged to
    the part the simulation names as binding in each period (``per_period``), or all to
    its main bottleneck (the baseline); a part's need is the units lost times its usage
    per end item. A period without a named part charges the end item itself."""
    out: dict[int, dict[str, float]] = {}
    for k, r in enumerate(results):
        if target.met(r):
            continue
        base = run.groups[overrides_key(run.scenarios[k].overrides)]
        need = out.setdefault(k, {})
        for e, x in target.shortfall(r).items():
            if x <= _TOL:
                continue
            er = r.end_items[e]
            if per_period:
                lost = np.maximum(er.lost, 0.0)
                if target.kind == "time_to_survive" and er.event_start is not None:
                    keep = np.zeros_like(lost)
                    hi = er.event_start + int(target.bound)
                    keep[er.event_start:hi] = lost[er.event_start:hi]
                    lost = keep
                total = float(lost.sum())
                share: dict[str, float] = {}
                for t in np.flatnonzero(lost > _TOL * 1e-3):
                    part = er.bottleneck[t] or e
                    share[part] = share.get(part, 0.0) + float(lost[t]) / total
            else:
                share = {er.main_bottleneck or e: 1.0}
            for part, f in share.items():
                need[part] = need.get(part, 0.0) + x * f * max(_usage(base, e, part), 1e-9)
    return out


def _greedy(run: _Runner, target: Target, max_steps: int, start: dict[Option, float] | None = None,
            *, per_period: bool = False) -> dict[Option, float] | None:
    """Buy stock of the binding parts (the largest need over the short scenarios) until
    every scenario meets ``target``; from ``start`` when given. None when no binding
    part has stock left to buy or the steps run out.

    The baseline (``per_period=False``) buys each need as it is. The repair buys four
    times as much again for a scenario whose shortfall a step did not halve (stock
    shared by several users reaches the short one only in part); the trim cuts back
    what is too much."""
    stock = {o.part: o for o in run.options if o.kind == "stock"}
    plan: dict[Option, float] = dict(start or {})
    scale: dict[int, float] = {}
    last: dict[int, float] = {}
    for _ in range(max_steps):
        results = run.simulate(plan)
        needs = _needs(run, target, results, per_period=per_period)
        if not needs:
            return plan
        want: dict[Option, float] = {}
        for k, need in needs.items():
            short = sum(need.values())
            if per_period and k in last and short > 0.5 * last[k]:
                scale[k] = min(scale.get(k, 1.0) * 4.0, 1e6)
            last[k] = short
            for part, x in need.items():
                o = stock.get(part)
                if o is None or plan.get(o, 0.0) >= o.max:
                    continue
                want[o] = max(want.get(o, 0.0), x * scale.get(k, 1.0), 1e-3)
        if not want:
            return None
        for o, x in want.items():
            plan[o] = min(o.max, plan.get(o, 0.0) + x)
    return None


def mitigate(
    model: Model,
    scenarios: Iterable[Scenario],
    *,
    target: str | Target | None = "units_lost<=0",
    budget: float | None = None,
    mitigation: Mitigation | None = None,
    max_rounds: int = 8,
    trim: bool = True,
    greedy: bool | None = None,
    marginal: bool = True,
) -> MitigationResult:
    """The cheapest plan of candidate actions that keeps every scenario within
    ``target``; with ``budget`` (and ``target=None``), the plan of least expected loss
    within the budget. See the module docstring for the program and its verification.

    ``mitigation`` gives the candidate actions (default the model's ``mitigation:``,
    else stock of every part at its unit cost; read a file with
    :func:`supplychain.load_mitigation`). ``max_rounds`` bounds the programs solved
    while the simulation disagrees; ``trim`` cuts a strengthened plan back by
    simulation; ``greedy`` also runs the greedy baseline and keeps the cheaper verified
    plan (default: on networks of at most 2,000 parts, where its many simulations are
    cheap); ``marginal`` simulates one more step of each candidate action. Amounts are
    continuous (the simulation is fluid): round stock up to whole units for an order.

    Raises :class:`~supplychain.errors.InfeasibleError` when no plan of the candidate
    actions can meet the target in the LP, naming the scenario and the part that binds.
    """
    scenarios = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
    if not scenarios:
        raise InfeasibleError("mitigate: give at least one scenario")
    tgt = None if target is None else Target.parse(target)
    if tgt is None and budget is None:
        raise InfeasibleError("mitigate: give a target, a budget, or both")
    if budget is not None and not (budget >= 0 and math.isfinite(budget)):
        raise InfeasibleError(f"budget {budget!r} must be a finite amount >= 0")
    H = max(s.horizon for s in scenarios)
    options = candidate_options(model, mitigation, horizon=H)
    run = _Runner(model, scenarios, mitigation, options)
    before = run.simulate({})

    # the candidate model of each group: the new sources present (their columns switch them on)
    scns: list[_Scn] = []
    cand_lp: dict[str, tuple[LPNetwork, np.ndarray, np.ndarray]] = {}
    for sc in scenarios:
        key = overrides_key(sc.overrides)
        if key not in cand_lp:
            base = run.groups[key]
            news = {o: 1.0 for o in options if o.kind == "new_source"}
            cm = apply(base, plan_overrides(base, news, mitigation)) if news else base
            lp = compile_lp(cm)
            cand = np.zeros(lp.net.n_sources, dtype=bool)
            for o in news:
                cand[_source(lp.net, o.part, o.supplier)] = True
            cand_lp[key] = (lp, cand, _down_delay(lp))
        lp, cand, down = cand_lp[key]
        scns.append(_prepare(lp, sc, key, cand, down, tgt or Target("units_lost", 0.0), options))

    uplift: dict[int, dict[str, float]] = {}
    notes: list[str] = []
    plan: dict[Option, float] | None = None
    results = before
    rounds = 0
    short_before = math.inf
    tried_repair = repaired = False

    def repair(p: dict[Option, float]) -> bool:
        """Buy the binding parts' stock on top of ``p`` until the simulation agrees."""
        nonlocal plan, results, repaired
        fixed = _greedy(run, tgt, 4 * max_rounds, start=p, per_period=True)
        if fixed is not None:
            plan, results, repaired = fixed, run.simulate(fixed), True
        return fixed is not None
    for rounds in range(1, max_rounds + 1):
        _, amounts, _, message = _solve(scns, options, tgt, budget, uplift)
        if amounts is None:
            if rounds == 1:
                raise InfeasibleError(_why_infeasible(scns, options, tgt, budget, before))
            notes.append(f"round {rounds}: the program found no plan once the simulated shortfall was added "
                         f"({message}); the last plan is kept")
            break
        plan = {o: float(a) for o, a in zip(options, amounts) if a > 0}
        results = run.simulate(plan)
        if budget is not None or _met(tgt, results):
            break
        # the cut: each part the simulation names as binding must supply what its end
        # items still lose in the periods it binds, on top of what the program planned
        needs = _needs(run, tgt, results)
        for k, need in needs.items():
            up = uplift.setdefault(k, {})
            for part, x in need.items():
                up[part] = up.get(part, 0.0) + x
        # a cut that no longer halves the shortfall: repair by simulation (buying the
        # binding parts' stock); where that fails, the program goes on with its cuts
        short = sum(sum(n.values()) for n in needs.values())
        if short > 0.5 * short_before and not tried_repair:
            tried_repair = True
            if repair(plan):
                break
        short_before = short
    if plan is not None and budget is None and not _met(tgt, results) and not tried_repair:
        repair(plan)
    method = "milp, repaired by simulation" if repaired else "milp"
    # the trim simulates only the scenarios a plan must change (the rest met the target
    # with no plan, and more stock or supply does not make them short); the plan it
    # leaves is verified on all of them
    short = [k for k, r in enumerate(before) if tgt is not None and not tgt.met(r)]
    trim_run = run.subset(short) if short and len(short) < len(scenarios) else run

    def trimmed(p: dict[Option, float]) -> tuple[dict[Option, float], list]:
        t = _trim(trim_run, tgt, p)
        res = run.simulate(t)
        if trim_run is not run and not _met(tgt, res):
            t = _trim(run, tgt, p)
            res = run.simulate(t)
        if not _met(tgt, res):  # a cut that only a scenario left out of a trial needed
            return p, run.simulate(p)
        return t, res

    if plan is not None and budget is None and trim and _met(tgt, results) and (rounds > 1 or repaired):
        plan, results = trimmed(plan)
    if greedy is None:
        greedy = model.parts.__len__() <= 2000
    if budget is None and greedy:
        g = _greedy(run, tgt, 200)
        if g is not None and (plan is None or not _met(tgt, results) or _cost(g) < _cost(plan) - 1e-9):
            g, g_results = trimmed(g) if trim else (g, run.simulate(g))
            if (_met(tgt, g_results) and
                    (plan is None or not _met(tgt, results) or _cost(g) < _cost(plan) - 1e-9)):
                plan, results, method = g, g_results, "greedy"
    plan = plan or {}
    outcomes = tuple(_outcome(sc, b, a, tgt) for sc, b, a in zip(scenarios, before, results))
    if not all(o.met for o in outcomes):
        for o in outcomes:
            if not o.met:
                notes.append(f"scenario {o.name!r} still loses {o.units_lost_after:,.6g} units; "
                             f"{o.short_part!r} binds")
    actions = tuple(Action(o.kind, o.part, o.supplier, o.alternate, _round(a), o.unit, round(float(o.unit_cost * a), 6))
                    for o, a in sorted(plan.items(), key=lambda kv: (-kv[0].unit_cost * kv[1], kv[0].key)))
    margins = _marginal(run, plan, results, before) if marginal else ()
    overrides = plan_overrides(model, plan, mitigation)
    return MitigationResult(target=None if tgt is None else str(tgt), budget=budget, actions=actions,
                            scenarios=outcomes, method=method, rounds=rounds, overrides=overrides,
                            marginal=margins, notes=tuple(notes))


def _plan_of(result: MitigationResult, options: list[Option]) -> dict[Option, float]:
    """A result's actions as the plan of the candidate options they came from."""
    by_key = {(o.kind, o.part, o.supplier, o.alternate): o for o in options}
    return {by_key[(a.kind, a.part, a.supplier, a.alternate)]: a.amount for a in result.actions}


def mitigate_sample(sample, *, target: str | Target | None = "units_lost<=0", budget: float | None = None,
                    mitigation: Mitigation | None = None, rounds: int = 3, **kw: Any) -> MitigationResult:
    """:func:`mitigate` over a Monte Carlo sample
    (:func:`~supplychain.risk.montecarlo.sample_scenarios`): plan against its spread
    of trials, simulate every eligible trial with the plan, add those still short
    (the worst first) and plan again, at most ``rounds`` times."""
    scenarios = list(sample.scenarios)
    result = mitigate(sample.model, scenarios, target=target, budget=budget, mitigation=mitigation, **kw)
    if target is None or not sample.eligible:
        return result
    tgt = Target.parse(target)
    options = candidate_options(sample.model, mitigation, horizon=sample.horizon)
    run = _Runner(sample.model, list(sample.eligible), mitigation, options)
    for _ in range(rounds - 1):
        if not result.met:
            break
        short = [sc for sc, r in zip(sample.eligible, run.simulate(_plan_of(result, options))) if not tgt.met(r)]
        names = {s.name for s in scenarios}
        add = [sc for sc in short if sc.name not in names][:max(4, len(scenarios) // 2)]
        if not add:
            break
        scenarios += add
        result = mitigate(sample.model, scenarios, target=target, budget=budget, mitigation=mitigation, **kw)
    return result


def sample_coverage(sample, result: MitigationResult, *, mitigation: Mitigation | None = None) -> int:
    """How many of ``sample``'s trials (:func:`~supplychain.risk.montecarlo.sample_scenarios`)
    meet the result's target once its plan is applied to each trial's own model (a
    trial's drawn stock plus the bought buffer, as in the plan)."""
    tgt = Target.parse(result.target)
    trials = sample.trial_scenarios()
    options = candidate_options(sample.model, mitigation, horizon=sample.horizon)
    run = _Runner(sample.model, list(trials), mitigation, options)
    return sum(1 for r in run.simulate(_plan_of(result, options)) if tgt.met(r))


def _outcome(sc: Scenario, before, after, target: Target | None) -> ScenarioOutcome:
    met = True if target is None else target.met(after)
    short = None
    if not met:
        worst = max(after.end_items.values(), key=lambda r: r.units_lost)
        short = worst.main_bottleneck
    return ScenarioOutcome(sc.name or "scenario", before.units_lost, before.value_lost, after.units_lost,
                           after.value_lost, before.time_to_survive, after.time_to_survive, met, short)


def _why_infeasible(scns: list[_Scn], options, target, budget, before) -> str:
    """Which scenario cannot meet the target even with every action at its maximum, and
    the part that binds there (the simulation's bottleneck of its worst end item)."""
    for k, sc in enumerate(scns):
        _, amounts, _, _ = _solve([sc], options, target, budget, {})
        if amounts is None:
            r = before[k]
            worst = max(r.end_items.values(), key=lambda e: e.units_lost)
            part = worst.main_bottleneck or worst.item
            buyable = any(o.part == part and o.kind == "stock" and math.isinf(o.max) for o in options)
            if budget is not None:
                return (f"target {target} cannot be met within the budget {budget:,.6g} in scenario "
                        f"{sc.scenario.name or k + 1!r}: {part!r} binds ({worst.item} loses "
                        f"{worst.units_lost:,.6g} units without a plan); raise the budget or relax the target")
            fix = ("raise the target" if buyable else
                   f"offer more stock of {part!r} (mitigation stock: {part}: {{max: ...}}), another source, "
                   "or a faster qualification")
            return (f"target {target} cannot be met in scenario {sc.scenario.name or k + 1!r}: even with every "
                    f"candidate action at its maximum, {part!r} binds ({worst.item} loses "
                    f"{worst.units_lost:,.6g} units without a plan); {fix}")
    return f"target {target} cannot be met by the candidate actions in all scenarios at once"


def _marginal(run: _Runner, plan: dict[Option, float], results, before, limit: int = 12) -> tuple[Marginal, ...]:
    """Finite differences on the simulation: one more step of each candidate action
    (the plan's, the binding parts' stock, every non-stock option), from the plan when
    it leaves a loss, else from the model as it stands."""
    start = plan if any(r.units_lost > _TOL for r in results) else {}
    base = results if start else before
    binding = {r.end_items[e].main_bottleneck for r in base for e in r.end_items if r.end_items[e].units_lost > 0}
    picks = [o for o in run.options if o in plan or (o.kind == "stock" and o.part in binding) or o.kind != "stock"]
    out = []
    for o in picks[:limit]:
        now = start.get(o, 0.0)
        step = 1.0
        if now + step > o.max + 1e-9:
            continue
        trial = run.simulate({**start, o: now + step})
        units = float(np.mean([b.units_lost - t.units_lost for b, t in zip(base, trial)]))
        value = float(np.mean([b.value_lost - t.value_lost for b, t in zip(base, trial)]))
        label = {"stock": "1 unit", "capacity": "1 unit/period", "qualify": "1 period sooner"}.get(o.kind, "add it")
        out.append(Marginal(o.kind, o.part, o.supplier, o.alternate, label, o.unit_cost * step,
                            _round(max(units, 0.0)), _round(max(value, 0.0))))
    out.sort(key=lambda m: (-m.value_per_cost if math.isfinite(m.value_per_cost) else -math.inf, m.part))
    return tuple(out)
