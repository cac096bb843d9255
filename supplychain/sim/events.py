"""Turn a scenario's embargoes and disruptions into per-source stop fractions.

An event becomes a window ``[start, stop)`` and a vector over sources: the fraction of
each source's flow that it stops (DESIGN.md §3). Overlapping events on one flow take
the largest fraction. Everything here is computed once per scenario, before the
period loop.

Embargo rules, in short. A flow is the shipment of part ``p`` from source ``s`` to
whoever makes ``p``'s parents (an end item's makers deliver home). An embargo stops it
when all hold:

* the receiving makers are in ``against`` (default: home). Where a part's parents are
  made in several countries, the stopped fraction is the share of receiving makers in
  ``against`` (each parent line counts once, its makers by share);
* ``p`` matches ``items``: ``all``, or any listed tag, part id, or control class (a
  regime name such as ``EAR`` matches its classes ``EAR:6A003``);
* ``s`` falls under the embargo by one of its ``reach`` rules: ``located`` (facility in
  an imposing country), ``owned`` (owner in an imposing country; a supplier without an
  ``owner`` is owned where it is located) or ``content`` (the
  imposer-origin share of ``p``'s value passes ``content_threshold`` under
  ``content_rule``, compared with a 1e-9 tolerance; a part without any imposer-origin
  content is never caught by content, even at threshold 0).

Imposers that are also in ``against`` are dropped: a country never embargoes itself.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import date

import numpy as np

from supplychain.model.schema import ContentRule, Disruption, Embargo, InTransit, Reach, Scenario
from supplychain.network import NEVER, Network
from supplychain.network.rules import maker_fraction, origin_share

__all__ = ["Event", "ScenarioEvents", "EmbargoTerms", "resolve_events", "embargo_terms", "embargo_severity",
           "reached_parts",
           "disruption_severity", "event_warnings", "scenario_as_of", "CONTENT_TOLERANCE"]

CONTENT_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class Event:
    """One embargo or disruption: the fraction of each source's flow stopped in a window."""

    name: str
    start: int
    stop: int  # exclusive; NEVER when open-ended
    severity: np.ndarray  # (S,) fraction of each source's flow stopped
    blocked: bool  # goods in transit at the start are lost
    kind: str = "embargo"  # or "disruption"


@dataclass(frozen=True, eq=False)
class ScenarioEvents:
    """A scenario resolved against a compiled model."""

    events: tuple[Event, ...]
    src_usable_from: np.ndarray  # (S,) first period each source may take orders
    mem_usable_from: np.ndarray  # (M,) first period each line member may be used
    first_start: int | None  # the reference for time to survive / recover


def _supplier_mask(cm: Network, countries: frozenset[str], *, owner: bool) -> np.ndarray:
    codes = cm.supplier_owner if owner else cm.supplier_country
    return np.array([c is not None and c in countries for c in codes], dtype=bool)


def _item_match(cm: Network, e: Embargo) -> np.ndarray:
    if e.items == "all":
        return np.ones(cm.n_parts, dtype=bool)
    tags, ctrl, ids = set(e.items.tags), set(e.items.control), set(e.items.parts)
    out = np.zeros(cm.n_parts, dtype=bool)
    for i, (pid, part_tags, part_control) in enumerate(zip(cm.part_ids, cm.part_tags, cm.part_control)):
        if pid in ids or tags.intersection(part_tags) or any(
            c in ctrl or c.split(":", 1)[0] in ctrl for c in part_control
        ):
            out[i] = True
    return out


def _receiving_fraction(cm: Network, against: frozenset[str]) -> np.ndarray:
    """Per part: the share of the makers it ships to that are in ``against``."""
    maker_in = _supplier_mask(cm, against, owner=False)[cm.src_supplier]
    parent_makers_in = maker_fraction(cm, maker_in)
    # each line a part is a member of counts once; demand (home receives) counts once
    num = cm.part_by_mem @ parent_makers_in[cm.line_parent[cm.mem_line]] if len(cm.mem_line) else np.zeros(cm.n_parts)
    den = np.asarray(cm.part_by_mem.sum(axis=1)).ravel() if len(cm.mem_line) else np.zeros(cm.n_parts)
    is_end = cm.demand_rate > 0
    home_in = 1.0 if cm.home in against else 0.0
    num = num + np.where(is_end, home_in, 0.0)
    den = den + is_end
    return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def _window(ev: Embargo | Disruption) -> tuple[int, int]:
    stop = ev.stop
    return ev.start, (NEVER if stop is None else stop)


@dataclass(frozen=True, eq=False)
class EmbargoTerms:
    """An embargo's rules on a compiled network, term by term: the severity is their
    product, and ``supplychain explain`` reads each to say why a flow stops or not."""

    against: frozenset[str]  # receiving countries
    named: frozenset[str]  # the imposers as written, groups expanded
    imposers: frozenset[str]  # ... less those in ``against`` (a country never embargoes itself)
    located: np.ndarray  # (S,) the source's supplier is located in an imposer
    owned: np.ndarray  # (S,) ... is owned in an imposer
    content_share: np.ndarray | None  # (P,) imposer-origin share of value, when content is in reach
    content_caught: np.ndarray  # (P,) the share passes the threshold
    hit: np.ndarray  # (S,) caught by one of the embargo's reach rules
    items: np.ndarray  # (P,) the part matches ``items``
    receiving: np.ndarray  # (P,) share of the part's receiving makers in ``against``
    severity: np.ndarray  # (S,) the fraction of each flow stopped


def embargo_countries(cm: Network, e: Embargo, *, as_of: date | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """``(against, imposers as named)``, groups expanded on ``as_of``; ``against``
    defaults to home. The imposers that act are the named ones not in ``against``."""
    against = cm.countries(e.against if e.against is not None else (cm.home,), as_of=as_of)
    return against, cm.countries(e.imposed_by, as_of=as_of)


def embargo_terms(cm: Network, e: Embargo, *, as_of: date | None = None) -> EmbargoTerms:
    """Each term of embargo ``e`` on ``cm`` (groups expanded on ``as_of``, default the
    model's); :func:`embargo_severity` is their product."""
    against, named = embargo_countries(cm, e, as_of=as_of)
    imposers = named - against
    located = _supplier_mask(cm, imposers, owner=False)[cm.src_supplier]
    owned = _supplier_mask(cm, imposers, owner=True)[cm.src_supplier]
    hit = np.zeros(cm.n_sources, dtype=bool)
    share, caught = None, np.zeros(cm.n_parts, dtype=bool)
    if imposers:
        if Reach.located in e.reach:
            hit |= located
        if Reach.owned in e.reach:
            hit |= owned
        if Reach.content in e.reach:
            share = origin_share(cm, _supplier_mask(cm, imposers, owner=False))
            thr = e.content_threshold
            if e.content_rule is ContentRule.exceeds:
                caught = share > thr + CONTENT_TOLERANCE
            else:
                # "at least 0 %" still needs some imposer content: a part with none is
                # outside the rule whatever the threshold
                caught = (share >= thr - CONTENT_TOLERANCE) & (share > CONTENT_TOLERANCE)
            hit |= caught[cm.src_part]
    items, receiving = _item_match(cm, e), _receiving_fraction(cm, against)
    part_factor = items * receiving
    return EmbargoTerms(against, named, imposers, located, owned, share, caught, hit, items, receiving,
                        e.severity * hit * part_factor[cm.src_part])


#: per network, what each embargo's terms reach at full severity: the same embargo
#: drawn in many Monte Carlo trials differs only in its window and severity
_REACHED: "weakref.WeakKeyDictionary[Network, dict]" = weakref.WeakKeyDictionary()


def embargo_severity(cm: Network, e: Embargo, *, as_of: date | None = None) -> np.ndarray:
    """The fraction of each source's flow that embargo ``e`` stops while it runs (S,);
    groups are expanded on ``as_of`` (default: the model's)."""
    key = (e.imposed_by, e.against, e.items, e.reach, e.content_threshold, e.content_rule, as_of)
    known = _REACHED.setdefault(cm, {})
    unit = known.get(key)
    if unit is None:
        terms = embargo_terms(cm, e, as_of=as_of)
        unit = terms.hit * (terms.items * terms.receiving)[cm.src_part]
        unit.setflags(write=False)
        if len(known) < 4096:
            known[key] = unit
    return e.severity * unit


def scenario_as_of(cm: Network, scenario: Scenario) -> date | None:
    """The date group membership is read on: the scenario's ``as_of``, else its start
    date, else the model's."""
    return scenario.as_of or scenario.start_date or cm.as_of


def event_warnings(cm: Network, scenario: Scenario) -> list[str]:
    """What in a valid scenario is most likely a slip: an event of no period, an
    embargo whose every imposer is also in ``against``."""
    out = []
    as_of = scenario_as_of(cm, scenario)
    for kind, listed in (("embargo", scenario.embargoes), ("disruption", scenario.disruptions)):
        for i, ev in enumerate(listed):
            name = repr(ev.name) if ev.name else str(i + 1)
            if ev.stop is not None and ev.stop <= ev.start:
                out.append(f"{kind} {name} lasts no period (duration 0): it changes nothing; "
                           "give a duration of 1 or more")
            if kind == "embargo":
                against, named = embargo_countries(cm, ev, as_of=as_of)
                if named and not (named - against):
                    out.append(f"embargo {name}: every imposer ({', '.join(sorted(named))}) is also in against, "
                               "and a country never embargoes itself, so it stops nothing; "
                               "check imposed_by and against")
    return out


def disruption_severity(cm: Network, d: Disruption, *, as_of: date | None = None) -> np.ndarray:
    """The fraction of each source's flow that disruption ``d`` stops while it runs (S,):
    every source of a named supplier, of a supplier located in (or, with ``owned`` in
    its ``reach``, owned in) a named country (groups expanded on ``as_of``), or of a
    named part, by its ``severity``."""
    hit = np.zeros(cm.n_sources, dtype=bool)
    if d.suppliers:
        sup = np.isin(np.array(cm.supplier_ids, dtype=object), list(d.suppliers))
        hit |= sup[cm.src_supplier]
    if d.countries:
        named = cm.countries(d.countries, as_of=as_of)
        if Reach.located in d.reach:
            hit |= _supplier_mask(cm, named, owner=False)[cm.src_supplier]
        if Reach.owned in d.reach:
            hit |= _supplier_mask(cm, named, owner=True)[cm.src_supplier]
    if d.parts:
        parts = np.zeros(cm.n_parts, dtype=bool)
        parts[[cm.index[p] for p in d.parts]] = True
        hit |= parts[cm.src_part]
    return d.severity * hit


def reached_parts(cm: Network, severity: np.ndarray) -> np.ndarray:
    """(P,) bool: the parts with a flow ``severity`` stops in their BOM, themselves
    included -- what an event can starve."""
    first = np.full(cm.n_parts, NEVER, dtype=np.int64)
    np.minimum.at(first, cm.src_part, np.where(severity > 0, 0, NEVER))
    return _subtree_first_stop(cm, first) < NEVER


def _subtree_first_stop(cm: Network, first_stop: np.ndarray) -> np.ndarray:
    """Per part: the earliest stop of a flow of the part or of anything in its BOM."""
    out = first_stop.copy()
    for lv in range(1, cm.n_levels):
        la, lb = cm.level_line_ptr[lv], cm.level_line_ptr[lv + 1]
        if la == lb:
            continue
        ma = np.searchsorted(cm.mem_line, la)
        mb = np.searchsorted(cm.mem_line, lb)
        np.minimum.at(out, cm.line_parent[cm.mem_line[ma:mb]], out[cm.mem_part[ma:mb]])
    return out


def resolve_events(cm: Network, scenario: Scenario | None) -> ScenarioEvents:
    """Resolve a scenario (None: nothing happens) into events and qualification dates.

    The scenario must have been checked against the model
    (:func:`supplychain.model.check_scenario`); the simulation does that.
    """
    events: list[Event] = []
    if scenario is not None:
        as_of = scenario_as_of(cm, scenario)
        for i, e in enumerate(scenario.embargoes):
            start, stop = _window(e)
            sev = embargo_severity(cm, e, as_of=as_of)
            events.append(Event(e.name or f"embargo {i + 1}", start, stop, sev, e.in_transit == InTransit.blocked))
        for i, d in enumerate(scenario.disruptions):
            start, stop = _window(d)
            events.append(Event(d.name or f"disruption {i + 1}", start, stop,
                                disruption_severity(cm, d, as_of=as_of), False, kind="disruption"))
    # the trigger of a part: the first event that stops a flow of it (or of its BOM)
    first_src = np.full(cm.n_sources, NEVER, dtype=np.int64)
    for ev in events:
        if ev.stop > ev.start:
            first_src = np.where(ev.severity > 0, np.minimum(first_src, ev.start), first_src)
    first_part = np.full(cm.n_parts, NEVER, dtype=np.int64)
    np.minimum.at(first_part, cm.src_part, first_src)
    trigger = _subtree_first_stop(cm, first_part)

    def after(trig: np.ndarray, qt: np.ndarray) -> np.ndarray:
        return np.where((trig >= NEVER) | (qt >= NEVER), NEVER, np.minimum(trig + qt, NEVER))

    src_usable = np.where(cm.src_qualified, 0, after(trigger[cm.src_part], cm.src_qual_time))
    line_trigger = trigger[cm.primary_part_of_line] if len(cm.line_parent) else np.zeros(0, dtype=np.int64)
    mem_usable = np.where(
        cm.mem_is_primary | (cm.mem_qual_time == 0), 0,
        after(line_trigger[cm.mem_line], cm.mem_qual_time) if len(cm.mem_line) else np.zeros(0, dtype=np.int64),
    )
    starts = [ev.start for ev in events if ev.stop > ev.start and ev.severity.any()]
    return ScenarioEvents(tuple(events), src_usable.astype(np.int64), np.asarray(mem_usable, dtype=np.int64),
                          min(starts) if starts else None)
