"""Compile a validated model once into arrays: the :class:`Network`.

Parts are numbered by *level* (0 = parts without a BOM, then 1 + the highest level of
any child), so every level is a contiguous slice and a period can be computed level by
level with array operations, never a Python loop over parts. Sources are grouped by
part, BOM lines by parent, and the members of a line (its child first, then its
alternates in file order) by line.

The rules every analysis shares are computed here, once: a source's share of normal
supply, the steady-state requirement, the pipeline at the steady state, a supplier's
owner country. :mod:`supplychain.network.rules` holds the ones that take an argument
(the origin share of a set of countries, the capacity check).
"""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import scipy.sparse as sp
from frozendict import frozendict

from supplychain.model.checks import Vocabulary, expand_names
from supplychain.model.schema import Model
from supplychain.network.levels import Level, SourceOrder, build_levels, build_source_order, delay_rank

__all__ = ["Network", "compile_arrays", "NEVER"]

#: a period that never comes (an unqualified source without a qualification time)
NEVER = np.iinfo(np.int32).max // 2


def _csr(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, data=None) -> sp.csr_array:
    data = np.ones(len(rows)) if data is None else data
    return sp.csr_array((data, (rows, cols)), shape=(n_rows, n_cols))


@dataclass(frozen=True, eq=False)
class Network:
    """A model as arrays. Index ``i`` of a part array is the part ``part_ids[i]``.

    Build it with :func:`supplychain.network.compile_network` (compiled once per model).
    It holds no reference to the model beyond a weak one, and nothing in it changes.
    Quantities are units of the part, rates units per period, times periods.
    """

    # the model's settings
    name: str | None
    home: str
    period: str
    as_of: date | None
    groups: Any  # user groups: name -> member names (read-only mapping)
    vocabulary: Vocabulary  # the ids, groups, tags and control classes a scenario may name
    # parts (P), ordered by level
    part_ids: tuple[str, ...]
    index: Any  # part id -> index (read-only mapping)
    file_order: np.ndarray  # (P,) network index of each part, in the model file's order
    part_tags: tuple[tuple[str, ...], ...]
    part_control: tuple[tuple[str, ...], ...]
    level: np.ndarray  # (P,) int
    level_ptr: np.ndarray  # (n_levels + 1,) slice bounds of each level
    stock0: np.ndarray  # (P,) units on our side at period 0
    capacity: np.ndarray  # (P,) units per period, inf = unlimited
    unit_cost: np.ndarray
    build_time: np.ndarray  # (P,) int
    requirement: np.ndarray  # (P,) steady-state units per period (primary BOM lines)
    demand_rate: np.ndarray  # (P,) planned rate, 0 for parts without demand
    has_bom: np.ndarray  # (P,) bool
    pipe_len: np.ndarray  # (P,) share-weighted periods in the pipeline at steady state
    pipeline0: np.ndarray  # (P,) units in transit or in work at the steady state
    # end items (E)
    end_items: tuple[str, ...]
    end_idx: np.ndarray
    unit_value: np.ndarray  # (E,)
    # suppliers (U)
    supplier_ids: tuple[str, ...]
    supplier_names: tuple[str | None, ...]
    supplier_country: tuple[str, ...]
    supplier_owner: tuple[str, ...]  # the owner's country; the facility's when no owner is given
    supplier_recovery_time: tuple[int | None, ...]
    # sources (S), grouped by part, by level and delay
    src_part: np.ndarray
    src_supplier: np.ndarray
    src_pos: np.ndarray  # position of the source in its part's list in the file
    src_share: np.ndarray  # normal-supply share; 0 for sources not yet qualified
    src_capacity: np.ndarray  # inf = unlimited
    src_lead_time: np.ndarray
    src_delay: np.ndarray  # lead_time + the part's build_time, periods
    src_stock0: np.ndarray
    src_qualified: np.ndarray  # bool
    src_qual_time: np.ndarray  # periods after the trigger; NEVER when no time is given
    src_ref_flow: np.ndarray  # volume a partial embargo scales: capacity, else normal flow
    src_base_flow: np.ndarray  # units each source ships a period at the steady state
    n_src_of_part: np.ndarray  # (P,) number of sources of each part
    src_by_part: np.ndarray  # (S,) source indices by part, in each part's file order ...
    src_by_part_ptr: np.ndarray  # (P + 1,) ... part i's are src_by_part[ptr[i]:ptr[i + 1]]
    level_src_ptr: np.ndarray  # (n_levels + 1,) sources of each level's parts, by delay within
    # BOM lines (L), grouped by parent
    line_parent: np.ndarray
    line_qty: np.ndarray
    line_primary: np.ndarray  # member index of the line's own child
    level_line_ptr: np.ndarray  # (n_levels + 1,) lines whose parent is on each level
    # members of lines (M): the child, then alternates
    mem_line: np.ndarray
    mem_part: np.ndarray
    mem_is_primary: np.ndarray
    mem_qual_time: np.ndarray  # 0 = usable at once (primaries and plain alternates)
    # priorities: a claim on a scarce child is served by tier (0 = highest), then
    # proportionally within the tier
    mem_tier: np.ndarray  # (M,) tier of the line's parent
    demand_tier: np.ndarray  # (P,) tier of the part's own demand
    n_tiers: int
    # sparse maps
    part_by_src: sp.csr_array  # (P, S): sum over a part's sources
    line_by_mem: sp.csr_array  # (L, M): sum over a line's members
    part_by_mem: sp.csr_array  # (P, M): sum over the lines a part is a member of
    mem_by_line: sp.csr_array  # (M, L): broadcast a line value to its members
    primary_part_of_line: np.ndarray  # (L,) the part of the line's child
    # the level-by-level pass and the quickest-first orderings
    levels: tuple[Level, ...]
    source_order: SourceOrder
    src_rank: np.ndarray  # (S,) rank of each source's delay among its part's (0 = quickest)
    _model: Any = None  # weak reference to the model compiled

    @property
    def n_parts(self) -> int:
        return len(self.part_ids)

    @property
    def n_sources(self) -> int:
        return len(self.src_part)

    @property
    def n_levels(self) -> int:
        return len(self.level_ptr) - 1

    @property
    def max_delay(self) -> int:
        return int(self.src_delay.max(initial=0))

    def compiled_from(self, model: Model) -> bool:
        """True when this network was compiled from ``model`` (that very object)."""
        return self._model is not None and self._model() is model

    def countries(self, names, *, as_of: date | None = None) -> frozenset[str]:
        """Country codes named by ``names`` (groups expanded on ``as_of``, default the
        model's); see :func:`supplychain.model.expand_countries`."""
        return expand_names(names, groups=self.groups, as_of=as_of if as_of is not None else self.as_of)

    def by_part(self, values: np.ndarray) -> dict[str, float]:
        """A per-part array as ``{part id: value}``, in the model file's order."""
        return {self.part_ids[i]: float(values[i]) for i in self.file_order}

    def sources_of(self, part: str) -> np.ndarray:
        """The source indices of ``part``, in the order its file lists them."""
        i = self.index[part]
        return self.src_by_part[self.src_by_part_ptr[i]:self.src_by_part_ptr[i + 1]]

    def __getstate__(self) -> dict:
        # the weak reference to the model stays behind: a copy is compiled from no object
        return {**self.__dict__, "_model": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        _read_only(self)

    def __repr__(self) -> str:
        return (f"<Network {self.name or ''!s}: {self.n_parts} parts, {self.n_sources} sources, "
                f"{len(self.supplier_ids)} suppliers, {len(self.end_items)} end items, {self.n_levels} levels>")


def _read_only(obj: Any) -> None:
    """Make every array of a compiled object (and of the objects it holds) read-only:
    what is compiled once is shared by every analysis and must not change."""
    for value in vars(obj).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        elif sp.issparse(value):
            for part in (value.data, value.indices, value.indptr):
                part.setflags(write=False)
        elif isinstance(value, tuple) and value and hasattr(value[0], "__dataclass_fields__"):
            for item in value:  # a tuple of compiled objects (the levels); not one of ids
                _read_only(item)
        elif hasattr(value, "__dataclass_fields__"):
            _read_only(value)


def _relax_levels(n: int, parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    """Level of each node on an acyclic graph: 0 without children, else 1 + the highest
    child level. One vectorised sweep per BOM depth."""
    level = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):
        new = level.copy()
        np.maximum.at(new, parent, level[child] + 1)
        if np.array_equal(new, level):
            return level
        level = new
    raise ValueError("the BOM has a cycle")


def compile_arrays(model: Model) -> Network:
    """Compile ``model`` (valid: see :func:`supplychain.model.check_model`) to arrays.

    Prefer :func:`supplychain.network.compile_network`, which compiles a model once.
    """
    gc_was = gc.isenabled()
    gc.disable()  # many small objects that all survive: the collector would only re-walk them
    try:
        net = _compile_arrays(model)
        _read_only(net)
        return net
    finally:
        if gc_was:
            gc.enable()


def _compile_arrays(model: Model) -> Network:
    # one pass over the model in file order; everything after it is array work
    file_ids = list(model.parts)
    fidx = {pid: i for i, pid in enumerate(file_ids)}
    supplier_ids = tuple(model.suppliers)
    sup_index = {s: i for i, s in enumerate(supplier_ids)}
    P = len(file_ids)
    stock0 = np.empty(P)
    capacity = np.empty(P)
    unit_cost = np.empty(P)
    build_time = np.empty(P, dtype=np.int64)
    tags, control = [], []
    s_part, s_sup, s_pos, s_share, s_cap, s_lead, s_stock, s_qual, s_qt = ([] for _ in range(9))
    l_parent, l_qty, m_line, m_part, m_prim, m_qt = ([] for _ in range(6))
    for i, part in enumerate(model.parts.values()):
        stock0[i] = part.stock
        capacity[i] = np.inf if part.capacity is None else part.capacity
        unit_cost[i] = part.unit_cost
        build_time[i] = part.build_time
        tags.append(part.tags)
        control.append(part.control)
        for k, src in enumerate(part.sources):
            s_part.append(i)
            s_sup.append(sup_index[src.supplier])
            s_pos.append(k)
            s_share.append(np.nan if src.share is None else src.share)
            s_cap.append(np.inf if src.capacity is None else src.capacity)
            s_lead.append(src.lead_time)
            s_stock.append(src.stock)
            q = src.is_qualified
            s_qual.append(q)
            s_qt.append(0 if q else (src.qualification_time if src.qualification_time is not None else NEVER))
        for child, line in part.bom.items():
            li = len(l_parent)
            l_parent.append(i)
            l_qty.append(line.qty)
            m_line.append(li)
            m_part.append(fidx[child])
            m_prim.append(True)
            m_qt.append(0)
            for alt in line.alternates:
                m_line.append(li)
                m_part.append(fidx[alt.part])
                m_prim.append(False)
                m_qt.append(alt.qualification_time)

    # levels, and the part order: by level, then file order
    f_line_parent = np.array(l_parent, dtype=np.int64)
    f_mem_line = np.array(m_line, dtype=np.int64)
    f_mem_part = np.array(m_part, dtype=np.int64)
    f_level = _relax_levels(P, f_line_parent[f_mem_line], f_mem_part) if len(f_mem_line) else np.zeros(P, dtype=np.int64)
    order_idx = np.lexsort((np.arange(P), f_level))  # new position -> file position
    pos = np.empty(P, dtype=np.int64)
    pos[order_idx] = np.arange(P)  # file position -> new position
    order = [file_ids[i] for i in order_idx]
    index = {pid: i for i, pid in enumerate(order)}
    level = f_level[order_idx]
    n_levels = int(level.max(initial=0)) + 1
    level_ptr = np.searchsorted(level, np.arange(n_levels + 1), side="left")
    stock0, capacity, unit_cost, build_time = (x[order_idx] for x in (stock0, capacity, unit_cost, build_time))
    has_bom = np.bincount(pos[f_line_parent], minlength=P) > 0 if len(f_line_parent) else np.zeros(P, dtype=bool)

    # BOM lines grouped by parent (stable: file order within a parent), members by line
    line_perm = np.argsort(pos[f_line_parent], kind="stable")
    new_line = np.empty(len(line_perm), dtype=np.int64)
    new_line[line_perm] = np.arange(len(line_perm))
    line_parent = pos[f_line_parent][line_perm]
    line_qty = np.array(l_qty, dtype=float)[line_perm]
    mem_perm = np.lexsort((np.arange(len(f_mem_line)), new_line[f_mem_line])) if len(f_mem_line) else np.zeros(0, dtype=np.int64)
    mem_line = new_line[f_mem_line][mem_perm]
    mem_part = pos[f_mem_part][mem_perm]
    mem_is_primary = np.array(m_prim, dtype=bool)[mem_perm]
    mem_qual_time = np.array(m_qt, dtype=np.int64)[mem_perm]
    L, M = len(line_parent), len(mem_line)
    line_primary = np.flatnonzero(mem_is_primary)  # the first member of each line
    level_line_ptr = np.searchsorted(line_parent, level_ptr, side="left")

    # demand, and the steady-state requirement, parents before children
    demand_rate = np.zeros(P)
    end_items = tuple(model.demand)
    end_idx = np.array([index[e] for e in end_items], dtype=np.int64)
    for e in end_items:
        demand_rate[index[e]] += model.demand[e].rate
    unit_value = np.array(
        [model.demand[e].unit_value if model.demand[e].unit_value is not None else model.parts[e].unit_cost
         for e in end_items],
        dtype=float,
    )
    requirement = demand_rate.copy()
    prim_child = mem_part[line_primary] if L else np.zeros(0, dtype=np.int64)
    for lvn in range(n_levels - 1, 0, -1):
        la, lb = level_line_ptr[lvn], level_line_ptr[lvn + 1]
        if la < lb:
            np.add.at(requirement, prim_child[la:lb], line_qty[la:lb] * requirement[line_parent[la:lb]])

    # sources: shares normalised per part, then sorted by level and delay so each
    # level's shipments of one delay are a contiguous slice of the pipeline
    src_part = pos[np.array(s_part, dtype=np.int64)] if s_part else np.zeros(0, dtype=np.int64)
    raw_share = np.array(s_share, dtype=float)
    src_qualified = np.array(s_qual, dtype=bool)
    n_qual = np.bincount(src_part, weights=src_qualified, minlength=P)
    given = np.bincount(src_part, weights=src_qualified & ~np.isnan(raw_share), minlength=P) > 0
    src_share = np.where(
        src_qualified,
        np.where(given[src_part], np.nan_to_num(raw_share, nan=0.0), 1.0 / np.maximum(n_qual[src_part], 1)),
        0.0,
    )
    src_lead = np.array(s_lead, dtype=np.int64) if s_part else np.zeros(0, dtype=np.int64)
    src_delay = src_lead + build_time[src_part] if s_part else np.zeros(0, dtype=np.int64)
    perm = np.lexsort((np.arange(len(src_part)), src_delay, level[src_part], )) if s_part else np.zeros(0, dtype=np.int64)
    src_part, src_share, src_delay, src_qualified, src_lead = (
        x[perm] for x in (src_part, src_share, src_delay, src_qualified, src_lead))
    src_supplier = np.array(s_sup, dtype=np.int64)[perm] if s_part else np.zeros(0, dtype=np.int64)
    src_pos = np.array(s_pos, dtype=np.int64)[perm] if s_part else np.zeros(0, dtype=np.int64)
    src_capacity = np.array(s_cap, dtype=float)[perm] if s_part else np.zeros(0)
    src_stock0 = np.array(s_stock, dtype=float)[perm] if s_part else np.zeros(0)
    src_qual_time = np.array(s_qt, dtype=np.int64)[perm] if s_part else np.zeros(0, dtype=np.int64)
    S = len(src_part)
    level_src_ptr = np.searchsorted(level[src_part], np.arange(n_levels + 1))
    n_src = np.bincount(src_part, minlength=P)

    share_tot = np.bincount(src_part, weights=src_share, minlength=P)

    # the requirement a part could carry: its own, or the line need it would take over as
    # an alternate; it scales partial embargoes on sources without a capacity
    potential = requirement.copy()
    alt = np.flatnonzero(~mem_is_primary)
    if len(alt):
        np.maximum.at(potential, mem_part[alt], line_qty[mem_line[alt]] * requirement[line_parent[mem_line[alt]]])
    flow_share = np.where(src_share > 0, src_share, 1.0 / np.maximum(n_src[src_part], 1))
    src_ref_flow = np.where(np.isfinite(src_capacity), src_capacity, flow_share * potential[src_part])

    # the pipeline at the steady state: each source ships its share of the requirement
    # every period, and what it shipped the last `delay` periods is on its way
    weight = np.bincount(src_part, weights=src_share * src_delay, minlength=P)
    mean_delay = np.bincount(src_part, weights=src_delay, minlength=P) / np.maximum(n_src, 1)
    pipe_len = np.where(share_tot > 0, weight / np.where(share_tot > 0, share_tot, 1), mean_delay)
    base_flow = src_share * requirement[src_part]
    pipeline0 = np.bincount(src_part, weights=base_flow * src_delay, minlength=P)

    # a part's priority is the highest of the end items it serves; no priority = lowest
    prio_of_end = {e: (d.priority if d.priority is not None else -np.inf) for e, d in model.demand.items()}
    prio = np.full(P, -np.inf)
    for e, pr in prio_of_end.items():
        prio[index[e]] = max(prio[index[e]], pr)
    for lvn in range(n_levels - 1, 0, -1):  # parents before children
        la, lb = np.searchsorted(line_parent, level_ptr[lvn]), np.searchsorted(line_parent, level_ptr[lvn + 1])
        if la == lb:
            continue
        ma, mb = np.searchsorted(mem_line, la), np.searchsorted(mem_line, lb)
        np.maximum.at(prio, mem_part[ma:mb], prio[line_parent[mem_line[ma:mb]]])
    levels_of_prio = np.unique(prio[np.isfinite(prio)])[::-1].tolist()
    if len(levels_of_prio) <= 1 and not np.isinf(prio).any() or len(levels_of_prio) == 0:
        def tier_of(v):
            return np.zeros(len(v), dtype=np.int64)
        n_tiers = 1
    else:
        ranks = {v: i for i, v in enumerate(levels_of_prio)}
        n_tiers = len(levels_of_prio) + (1 if np.isinf(prio).any() else 0)

        def tier_of(v):
            return np.array([ranks.get(x, n_tiers - 1) for x in v], dtype=np.int64)
    demand_prio = np.full(P, -np.inf)
    for e, pr in prio_of_end.items():
        demand_prio[index[e]] = pr
    mem_tier = tier_of(prio[line_parent[mem_line]]) if M else np.zeros(0, dtype=np.int64)
    demand_tier = tier_of(demand_prio)

    part_by_src = _csr(src_part, np.arange(S), P, S)
    line_by_mem = _csr(mem_line, np.arange(M), L, M)
    src_rank = delay_rank(src_part, src_delay)
    suppliers = [model.suppliers[s] for s in supplier_ids]
    return Network(
        name=model.name,
        home=model.home,
        period=model.period.value,
        as_of=model.as_of,
        groups=model.groups,
        vocabulary=Vocabulary(
            parts=frozenset(index), suppliers=frozenset(supplier_ids), groups=model.groups,
            tags=frozenset(t for ts in tags for t in ts), controls=frozenset(c for cs in control for c in cs),
        ),
        part_ids=tuple(order),
        index=frozendict(index),
        file_order=pos,
        part_tags=tuple(tags[i] for i in order_idx),
        part_control=tuple(control[i] for i in order_idx),
        level=level,
        level_ptr=level_ptr,
        stock0=stock0,
        capacity=capacity,
        unit_cost=unit_cost,
        build_time=build_time,
        requirement=requirement,
        demand_rate=demand_rate,
        has_bom=has_bom,
        pipe_len=pipe_len,
        pipeline0=pipeline0,
        end_items=end_items,
        end_idx=end_idx,
        unit_value=unit_value,
        supplier_ids=supplier_ids,
        supplier_names=tuple(s.name for s in suppliers),
        supplier_country=tuple(s.country for s in suppliers),
        supplier_owner=tuple(s.owner if s.owner is not None else s.country for s in suppliers),
        supplier_recovery_time=tuple(s.recovery_time for s in suppliers),
        src_part=src_part,
        src_supplier=src_supplier,
        src_pos=src_pos,
        src_share=src_share,
        src_capacity=src_capacity,
        src_lead_time=src_lead,
        src_delay=src_delay,
        src_stock0=src_stock0,
        src_qualified=src_qualified,
        src_qual_time=src_qual_time,
        src_ref_flow=src_ref_flow,
        src_base_flow=base_flow,
        n_src_of_part=n_src,
        src_by_part=np.lexsort((src_pos, src_part)) if S else np.zeros(0, dtype=np.int64),
        src_by_part_ptr=np.concatenate(([0], np.cumsum(n_src))).astype(np.int64),
        level_src_ptr=level_src_ptr,
        line_parent=line_parent,
        line_qty=line_qty,
        line_primary=line_primary,
        level_line_ptr=level_line_ptr,
        mem_line=mem_line,
        mem_part=mem_part,
        mem_is_primary=mem_is_primary,
        mem_qual_time=mem_qual_time,
        mem_tier=mem_tier,
        demand_tier=demand_tier,
        n_tiers=n_tiers,
        part_by_src=part_by_src,
        line_by_mem=line_by_mem,
        part_by_mem=_csr(mem_part, np.arange(M), P, M),
        mem_by_line=_csr(np.arange(M), mem_line, M, L),
        primary_part_of_line=mem_part[line_primary] if L else np.zeros(0, dtype=np.int64),
        levels=build_levels(
            level_ptr=level_ptr, level_line_ptr=level_line_ptr, level_src_ptr=level_src_ptr,
            line_parent=line_parent, mem_line=mem_line, mem_part=mem_part, src_part=src_part,
            src_delay=src_delay, src_rank=src_rank, line_by_mem=line_by_mem, part_by_src=part_by_src,
        ),
        source_order=build_source_order(src_part, src_rank, P),
        src_rank=src_rank,
        _model=weakref.ref(model),
    )
