"""Why a scenario does what it does: every flow each event stops, the flows it leaves
alone and why, and the BOM path from each stopped flow to the end items it starves.

A flow is the shipment of a part from one of its sources to the makers of the part's
parents (an end item's makers deliver home). :func:`explain` reads the same terms the
simulation multiplies (:func:`supplychain.sim.events.embargo_terms`), so what it says
is stopped is exactly what the run stops, and runs the scenario once to tell, per end
item, the periods a stopped flow's path held output back (the bottleneck was the part
or an assembly on its way up).

For an embargo, the flows it does not stop are those of suppliers located in or owned
in a country it names, and those of parts with some content from the imposers when
``content`` is in its reach, each with the first reason that spares it: the imposer is
also in ``against`` (a country never embargoes itself), the reach rule is not in
``reach``, the content is below the threshold, the part is outside ``items``, or its
receiving makers are not in ``against``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from supplychain.model.schema import Disruption, Embargo, Model, Reach, Scenario
from supplychain.network import Network, compile_network
from supplychain.network.whatif import apply
from supplychain.sim import simulate
from supplychain.sim.events import (CONTENT_TOLERANCE, EmbargoTerms, disruption_severity, embargo_terms,
                                    scenario_as_of)
from supplychain.sim.results import SimulationResult, period_runs

__all__ = ["Flow", "EventExplanation", "Explanation", "explain"]


@dataclass(frozen=True)
class Flow:
    """One supplier's shipments of one part, as an event treats them."""

    supplier: str
    country: str  # where the supplier's facility is
    owner: str  # the country that owns it (its own when no owner is given)
    part: str
    to: tuple[str, ...]  # the receiving makers, "supplier (CC)", or "home (CC)" for an end item
    stopped: float  # fraction of the flow stopped while the event runs; 0 = not stopped
    by: tuple[str, ...] = ()  # the rules that stop it: located, owned, content; supplier, country, part
    content_share: float | None = None  # the imposer-origin share of the part's value, where content is in reach
    reason: str | None = None  # why it is not stopped
    fix: str | None = None  # what would stop it, when that is a change to the event
    paths: tuple[tuple[str, ...], ...] = ()  # per end item reached: the part, the assemblies above it, the end item
    # per end item: (item, runs of periods the end item's bottleneck lay on the path, those bottleneck parts)
    binds: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[str, ...]], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"supplier": self.supplier, "country": self.country, "owner": self.owner, "part": self.part,
                "to": list(self.to), "stopped": self.stopped, "by": list(self.by),
                "content_share": self.content_share, "reason": self.reason, "fix": self.fix,
                "paths": [list(p) for p in self.paths],
                "binds": {item: {"periods": [list(r) for r in runs], "at": list(at)} for item, runs, at in self.binds}}


@dataclass(frozen=True)
class EventExplanation:
    """One event: what it is, what it stops and what it leaves alone."""

    name: str
    kind: str  # "embargo" or "disruption"
    start: int
    stop: int | None  # first period no longer running; None = open-ended
    terms: tuple[tuple[str, str], ...]  # (term, value) as the event reads: imposed by, against, items, reach
    stopped: tuple[Flow, ...]  # those that held output back first, the earliest first; then the rest
    spared: tuple[Flow, ...]  # flows from the imposers it does not stop, in the file's order
    summary: str  # one sentence: what it stops, or why it stops nothing and what would

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "start": self.start, "stop": self.stop,
                "terms": dict(self.terms), "summary": self.summary,
                "stopped": [f.to_dict() for f in self.stopped], "not_stopped": [f.to_dict() for f in self.spared]}


@dataclass(frozen=True)
class Explanation:
    """Every event of a scenario explained against one model."""

    scenario: str | None
    horizon: int
    period: str
    start_date: date | None
    events: tuple[EventExplanation, ...]
    result: SimulationResult = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "horizon": self.horizon, "period": self.period,
                "start_date": None if self.start_date is None else self.start_date.isoformat(),
                "events": [e.to_dict() for e in self.events]}

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """``(header, rows)``: one row per event and flow, stopped or not."""
        header = ["event", "supplier", "country", "owner", "part", "to", "stopped", "by", "reason", "fix",
                  "paths", "binds"]
        rows = []
        for e in self.events:
            for f in (*e.stopped, *e.spared):
                rows.append([e.name, f.supplier, f.country, f.owner, f.part, "; ".join(f.to), f.stopped,
                             ", ".join(f.by), f.reason, f.fix, "; ".join(" > ".join(p) for p in f.paths),
                             "; ".join(f"{item}: " + ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in runs)
                                       + f" at {', '.join(at)}" for item, runs, at in f.binds)])
        return header, rows

    def to_frame(self):
        """:meth:`table` as a pandas DataFrame (pandas needed)."""
        import pandas as pd

        header, rows = self.table()
        return pd.DataFrame(rows, columns=header)


# --- the graph around a part ------------------------------------------------------------


class _Around:
    """Who receives each part and how it reaches the end items, on a compiled network."""

    def __init__(self, net: Network):
        self.net = net
        order = np.argsort(net.mem_part, kind="stable")
        self._mem = order
        self._ptr = np.searchsorted(net.mem_part[order], np.arange(net.n_parts + 1))
        self._paths: dict[int, tuple[tuple[str, ...], ...]] = {}

    def parents(self, p: int) -> list[int]:
        net = self.net
        mems = self._mem[self._ptr[p]:self._ptr[p + 1]]
        return list(dict.fromkeys(int(x) for x in net.line_parent[net.mem_line[mems]]))

    def _makers(self, p: int) -> list[tuple[str, str]]:
        """(supplier id, country) of each maker ``p`` ships to; ``home`` for an end item."""
        net, out = self.net, []
        for q in self.parents(p):
            for s in net.src_by_part[net.src_by_part_ptr[q]:net.src_by_part_ptr[q + 1]]:
                sup = int(net.src_supplier[s])
                out.append((net.supplier_ids[sup], net.supplier_country[sup]))
        if net.demand_rate[p] > 0:
            out.append(("home", net.home))
        return out

    def receivers(self, p: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f"{who} ({cc})" for who, cc in self._makers(p)))

    def receiving_countries(self, p: int) -> list[str]:
        return sorted({cc for _, cc in self._makers(p)})

    def paths(self, p: int) -> tuple[tuple[str, ...], ...]:
        """Per end item reached from ``p``: a shortest BOM path up to it (end items in
        the model's order)."""
        if p in self._paths:
            return self._paths[p]
        net = self.net
        back: dict[int, int] = {p: -1}
        queue = deque([p])
        while queue:
            q = queue.popleft()
            for r in self.parents(q):
                if r not in back:
                    back[r] = q
                    queue.append(r)
        out = []
        for e in net.end_idx:
            e = int(e)
            if e in back:
                chain, x = [], e
                while x != -1:
                    chain.append(net.part_ids[x])
                    x = back[x]
                out.append(tuple(reversed(chain)))
        self._paths[p] = tuple(out)
        return self._paths[p]


def _binds(result: SimulationResult, paths: tuple[tuple[str, ...], ...]) -> tuple:
    """Per end item on a path: the runs of short periods whose bottleneck lay on that
    path, and which parts of it those bottlenecks were (the part itself, or an assembly
    above it that was not built)."""
    out = []
    for path in paths:
        item = path[-1]
        r = result.end_items.get(item)
        if r is None:
            continue
        on = set(path)
        short = set(int(t) for t in r.short_periods)
        hits = [t for t, b in enumerate(r.bottleneck) if b in on and t in short]
        if hits:
            at = tuple(dict.fromkeys(r.bottleneck[t] for t in hits))
            out.append((item, tuple(period_runs(hits)), at))
    return tuple(out)


# --- one event --------------------------------------------------------------------------


def _items_text(e: Embargo) -> str:
    if e.items == "all":
        return "all"
    bits = [f"{k} {', '.join(v)}" for k, v in (("tags", e.items.tags), ("control", e.items.control),
                                                 ("parts", e.items.parts)) if v]
    return "; ".join(bits)


def _binding_first(flows: list[Flow]) -> tuple[Flow, ...]:
    """Flows whose path held output back first, the earliest binding period first (the
    longest binding on a tie); then the rest; the file's order among equals."""
    def key(f: Flow):
        runs = [r for _, rs, _ in f.binds for r in rs]
        if not runs:
            return (1, 0, 0)
        return (0, min(a for a, _ in runs), -sum(b - a + 1 for a, b in runs))
    return tuple(sorted(flows, key=key))


def _embargo(net: Network, around: _Around, e: Embargo, terms: EmbargoTerms, result: SimulationResult,
             name: str) -> EventExplanation:
    reach = set(e.reach)
    sup_country = np.array(net.supplier_country, dtype=object)[net.src_supplier]
    sup_owner = np.array(net.supplier_owner, dtype=object)[net.src_supplier]
    named_loc = np.array([c in terms.named for c in sup_country], dtype=bool)
    named_own = np.array([c in terms.named for c in sup_owner], dtype=bool)
    content = terms.content_share
    has_content = (content > CONTENT_TOLERANCE)[net.src_part] if content is not None else np.zeros(net.n_sources, bool)
    candidates = np.flatnonzero(named_loc | named_own | has_content | (terms.severity > 0))
    # the file's order: part by part, each part's sources as listed
    candidates = candidates[np.lexsort((net.src_pos[candidates], net.file_order[net.src_part[candidates]]))]
    stopped, spared = [], []
    for s in candidates:
        p = int(net.src_part[s])
        sup = int(net.src_supplier[s])
        base = dict(supplier=net.supplier_ids[sup], country=net.supplier_country[sup], owner=net.supplier_owner[sup],
                    part=net.part_ids[p], to=around.receivers(p),
                    content_share=None if content is None else float(content[p]))
        if terms.severity[s] > 0:
            by = tuple(rule for rule, ok in (("located", terms.located[s] and Reach.located in reach),
                                             ("owned", terms.owned[s] and Reach.owned in reach),
                                             ("content", bool(terms.content_caught[p]) and Reach.content in reach))
                       if ok)
            paths = around.paths(p)
            stopped.append(Flow(**base, stopped=float(terms.severity[s]), by=by, paths=paths,
                                binds=_binds(result, paths)))
            continue
        reason, fix = _spared_why(net, around, e, terms, reach, s, p, named_loc[s], named_own[s])
        spared.append(Flow(**base, stopped=0.0, reason=reason, fix=fix, paths=around.paths(p)))
    terms_text = (("imposed by", ", ".join(sorted(terms.named)) or "-"),
                  ("against", ", ".join(sorted(terms.against))),
                  ("items", _items_text(e)), ("reach", ", ".join(r.value for r in e.reach)))
    if Reach.content in reach:
        terms_text += (("content", f"{e.content_rule.value} {e.content_threshold:g}"),)
    return EventExplanation(name, "embargo", e.start, e.stop, terms_text, _binding_first(stopped), tuple(spared),
                            _embargo_summary(terms, stopped, spared))


def _spared_why(net: Network, around: _Around, e: Embargo, terms: EmbargoTerms, reach: set, s: int, p: int,
                named_loc: bool, named_own: bool) -> tuple[str, str | None]:
    """Every reason embargo ``e`` leaves source ``s`` (of part ``p``) alone, and the
    changes to the embargo that would stop it (None when no change to it would)."""
    country = net.supplier_country[int(net.src_supplier[s])]
    owner = net.supplier_owner[int(net.src_supplier[s])]
    why: list[str] = []
    fix: list[str] = []
    if not terms.hit[s]:
        dropped = terms.named & terms.against
        if (named_loc and country in dropped) or (named_own and owner in dropped):
            c = country if named_loc and country in dropped else owner
            why.append(f"{c} is also in against, and a country never embargoes itself")
            fix.append(f"take {c} out of against")
        if terms.located[s] and Reach.located not in reach:
            why.append(f"located in {country}, but reach has no 'located'")
            fix.append("add located to reach")
        if terms.owned[s] and Reach.owned not in reach:
            why.append(f"owned in {owner}, but reach has no 'owned'")
            fix.append("add owned to reach")
        if terms.content_share is not None and terms.content_share[p] > CONTENT_TOLERANCE:
            rule = "above" if e.content_rule.value == "exceeds" else "at least"
            why.append(f"its {'/'.join(sorted(terms.imposers))}-origin content (content_share) is not {rule} "
                       "content_threshold")
            fix.append("lower content_threshold")
    if not terms.items[p]:
        why.append(f"the part is outside items ({_items_text(e)})")
        fix.append("add one of its tags, control classes or its id to items")
    if terms.receiving[p] <= 0:
        outside = [c for c in around.receiving_countries(p) if c not in terms.against]
        where = ", ".join(outside) or "-"
        why.append(f"it ships to makers in {where}, not in against (a flow is judged by the receiving "
                   "maker's country)")
        if outside:
            fix.append(f"add {where} to against")
    if not why:
        why.append("no reach rule of the embargo applies to it")
    return "; ".join(why), ("; ".join(fix) if fix and len(fix) == len(why) else None)


def _embargo_summary(terms: EmbargoTerms, stopped: list[Flow], spared: list[Flow]) -> str:
    named = ", ".join(sorted(terms.named)) or "no country"
    if stopped:
        n = len(stopped)
        return f"stops {n} flow{'s' if n != 1 else ''}" + (f"; leaves {len(spared)} alone" if spared else "")
    if not spared:
        return (f"stops no flow: no supplier in this model is located in or owned in {named}, and no part has "
                "content from there")
    n = len(spared)
    head = f"stops no flow: {n} flow{'s' if n != 1 else ''} from {named}"
    if len({(f.reason, f.fix) for f in spared}) == 1:
        f = spared[0]
        return f"{head}, spared because {f.reason}" + (f"; {f.fix} to stop {'them' if n != 1 else 'it'}"
                                                       if f.fix else "")
    return f"{head}, each spared for the reason listed with it"


def _disruption(net: Network, around: _Around, d: Disruption, severity: np.ndarray, result: SimulationResult,
                name: str, as_of: date | None) -> EventExplanation:
    countries = net.countries(d.countries, as_of=as_of) if d.countries else frozenset()
    hit = np.flatnonzero(severity > 0)
    hit = hit[np.lexsort((net.src_pos[hit], net.file_order[net.src_part[hit]]))]
    stopped = []
    for s in hit:
        p, sup = int(net.src_part[s]), int(net.src_supplier[s])
        by = tuple(rule for rule, ok in (
            ("supplier", net.supplier_ids[sup] in d.suppliers),
            ("country", Reach.located in d.reach and net.supplier_country[sup] in countries),
            ("owner", Reach.owned in d.reach and net.supplier_owner[sup] in countries),
            ("part", net.part_ids[p] in d.parts)) if ok)
        paths = around.paths(p)
        stopped.append(Flow(net.supplier_ids[sup], net.supplier_country[sup], net.supplier_owner[sup],
                            net.part_ids[p], around.receivers(p), float(severity[s]), by, paths=paths,
                            binds=_binds(result, paths)))
    terms = tuple((k, ", ".join(v)) for k, v in (("suppliers", d.suppliers), ("countries", d.countries),
                                                  ("parts", d.parts)) if v)
    n = len(stopped)
    summary = (f"stops {n} flow{'s' if n != 1 else ''}" if n else
               "stops no flow: nothing it names supplies this model (a country with no plant here, say)")
    return EventExplanation(name, "disruption", d.start, d.stop, terms, _binding_first(stopped), (), summary)


def _of_no_length(ev: EventExplanation) -> EventExplanation:
    """An event of no period stops nothing: the flows it would stop are spared for that."""
    why = "the event lasts no period (duration 0)"
    spared = tuple(Flow(**{**f.__dict__, "stopped": 0.0, "by": (), "binds": (), "reason": why,
                           "fix": "give a duration of 1 or more"}) for f in ev.stopped)
    return EventExplanation(ev.name, ev.kind, ev.start, ev.stop, ev.terms, (), spared + ev.spared,
                            f"stops no flow: {why}; give a duration of 1 or more")


def explain(model: Model, scenario: Scenario, *, horizon: int | None = None) -> Explanation:
    """Every event of ``scenario`` on ``model``: the flows it stops (by which rule, how
    much, the path to each end item and the periods that path held output back) and,
    for an embargo, the flows from its imposers it does not stop, each with the reason
    and the change that would stop it.

    The scenario runs once (:func:`supplychain.simulate`), on the model as its
    ``overrides`` change it.

    Western chips shipped to a board house in China, against the home country only:

    >>> import supplychain as sc
    >>> m = sc.Model.model_validate({"home": "TR",
    ...     "suppliers": {"fab": {"country": "US"}, "boards": {"country": "CN"}, "plant": {"country": "TR"}},
    ...     "parts": {"drone": {"bom": {"board": 1}, "sources": [{"supplier": "plant"}]},
    ...               "board": {"bom": {"chip": 1}, "sources": [{"supplier": "boards"}]},
    ...               "chip": {"sources": [{"supplier": "fab"}]}},
    ...     "demand": {"drone": {"rate": 1}}})
    >>> x = explain(m, sc.Scenario(embargoes=[{"imposed_by": ["US"]}], horizon=10))
    >>> x.events[0].summary
    "stops no flow: 1 flow from US, spared because it ships to makers in CN, not in against (a flow is judged by the receiving maker's country); add CN to against to stop it"
    >>> explain(m, sc.Scenario(embargoes=[{"imposed_by": ["US"], "against": ["TR", "CN"]}], horizon=10)
    ...         ).events[0].stopped[0].paths
    (('chip', 'board', 'drone'),)
    """
    result = simulate(model, scenario, horizon=horizon)
    derived = apply(model, scenario.overrides) if scenario.overrides else model
    net = compile_network(derived)
    around = _Around(net)
    as_of = scenario_as_of(net, scenario)
    events = []
    for i, e in enumerate(scenario.embargoes):
        events.append(_embargo(net, around, e, embargo_terms(net, e, as_of=as_of), result,
                               e.name or f"embargo {i + 1}"))
    for i, d in enumerate(scenario.disruptions):
        events.append(_disruption(net, around, d, disruption_severity(net, d, as_of=as_of), result,
                                  d.name or f"disruption {i + 1}", as_of))
    events = [_of_no_length(ev) if ev.stop is not None and ev.stop <= ev.start else ev for ev in events]
    return Explanation(scenario.name, result.horizon, result.period, result.start_date, tuple(events), result)

