"""The stress-test linear programs: time to survive and performance impact.

After Simchi-Levi, Schmidt, Wei et al., "Identifying risks and mitigating disruptions in
the automotive supply chain", *Interfaces* 45(5), 2015. Node = part. Over a horizon of
length ``t`` periods the variables are

* ``u_j`` units of part ``j`` made (or bought) over ``[0, t]``;
* ``y_ij`` units of child ``i`` sent to parent ``j``, one variable per BOM line and per
  part that may fill it (the line's child and each alternate);
* ``l_j`` units of end item ``j`` not delivered.

and the constraints

* each BOM line ``k`` of ``j``: ``sum_i y_ij >= qty_k * u_j`` over the line's child and
  its alternates;
* each part ``i``: ``sum_j y_ij + (d_i * t - l_i) <= s_i + u_i`` -- what it ships to its
  parents and, for an end item, delivers against the plan, is at most its stock plus
  what it makes (for an end item used by no other part this is DESIGN's
  ``u_j + s_j + l_j >= d_j * t``);
* capacity, leaves included: ``u_j <= c_j * t`` with ``c_j`` the part's ``capacity``
  capped by the summed capacity of its open sources (a source without capacity, or a
  part without, is unlimited); a part whose sources are all closed makes nothing;
* ``s_i`` = the part's own ``stock`` + the stock held at its open sources + the
  steady-state pipeline (see below); all variables >= 0.

A disruption closes sources: every source of a named supplier, of a supplier located in
a named country (groups expanded), or of a named part. With ``severity < 1`` a closed
source keeps ``1 - severity`` of its capacity and of the stock held there.

**Time to survive** (:func:`time_to_survive_lp`) is the first ``t`` at which some
``l_j > 0`` must be, one ``t`` for the whole network. Between two openings (a source or
alternate starting to supply) every constraint is linear in ``t``, so there it is one
LP with ``t`` as a variable; the intervals are walked until one ends early. It is
unbounded (``math.inf``) when the network can run at plan forever from the last
opening on. **Performance impact** (:func:`performance_impact`) over a
recovery time ``T`` is ``min sum_j unit_value_j * l_j`` at ``t = T``.

Both LPs are solved only over the parts that can bind: the parts whose (disrupted)
capacity is below their steady-state requirement and every part that uses them, up to
the end items; the rest of the network enters as one row per part it supplies. When
that row does not bind (zero dual) the optimum is the full LP's; when it does, the part
joins the LP and it is solved again (see the comment above ``_solve_reduced`` for the
argument). With no such part the network runs at plan forever and no LP is solved.

How the LP differs from the simulation, and why its time to survive bounds the
simulated one from above:

* perfect foresight: the LP allocates every unit knowing the whole horizon; the
  simulated policy orders by base stock and splits scarce parts proportionally;
* no lead or build times: what a source makes is usable at once, while the simulation
  waits a lead time (and a build time) for every unit;
* stock is reallocated instantly and output is only counted in total over ``[0, t]``:
  a shortfall in one period may be made up later, which the simulation never does;
* an alternate or not-yet-qualified source supplies from its ``qualification_time``
  on (a source a delay later, when its first goods can land): over a horizon t at most
  its capacity x max(0, t - its opening), an alternate at most its line's quantity x
  the parent's capacity x max(0, t - qualification_time). The simulation waits the
  same time from the trigger (the first event that stops a flow of the part), which
  is never before the disruption's start. ``qualification=False`` counts every
  alternate and source from the start, the textbook LP. A source that is not
  qualified and has no qualification time never supplies.

Each difference only widens what the LP can do, so its time to survive is at least the
simulated one and its impact at most the simulated loss. One thing goes the other way:
the simulation starts with a full pipeline (goods shipped before the event still
arrive), which a pure stock-only LP would not see. With ``pipeline=True`` (the default)
``s_i`` therefore also counts the steady-state in-transit and in-work units --
``requirement_i * sum over sources of share * (lead_time + build_time)``, the very
pipeline the simulation starts with (``Network.pipeline0``) -- whatever their source,
keeping the bound; with ``pipeline=False`` the LP is the textbook one.
Times are in the model's periods; ``unit_value`` is the demand's, else the part's
``unit_cost``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from supplychain.errors import InfeasibleError, ModelError
from supplychain.model.checks import check_disruption
from supplychain.model.schema import Disruption, Model
from supplychain.network import NEVER, Network, compile_network
from supplychain.sim.events import disruption_severity

__all__ = [
    "LPNetwork",
    "LPImpact",
    "compile_lp",
    "open_fractions",
    "time_to_survive_lp",
    "performance_impact",
    "impact_lp",
    "Supply",
    "supply",
]

#: relative tolerance when the LP solution is read back (HiGHS' default feasibility level)
_TOL = 1e-7


@dataclass(frozen=True, eq=False)
class LPNetwork:
    """The compiled :class:`~supplychain.network.Network` and the sparse blocks the LPs
    share: one ``u`` per part, one ``y`` per BOM line member (the line's child and each
    alternate), rows per BOM line and per part.

    Build it once with :func:`compile_lp` and pass it to the LP functions in place of
    the model when many disruptions are solved on one network (the stress test does).
    """

    net: Network
    line_block: sp.csr_matrix  # lines x (u, y): qty*u_parent - sum y
    ship_block: sp.csr_matrix  # parts x (u, y): sum y_child - u
    parents: sp.csr_matrix  # parts x parts: [i, j] = 1 when i may fill a line of j
    children: sp.csr_matrix  # its transpose: [j, i] = 1 when i may fill a line of j

    @property
    def n(self) -> int:
        return self.net.n_parts

    @property
    def n_y(self) -> int:
        return len(self.net.mem_line)

    @property
    def parts(self) -> tuple[str, ...]:
        return self.net.part_ids

    @property
    def end_items(self) -> tuple[str, ...]:
        return self.net.end_items

    @property
    def requirement(self) -> np.ndarray:
        return self.net.requirement


def compile_lp(model: Model | Network) -> LPNetwork:
    """Compile ``model`` for the LPs: one variable block per part, BOM option and end item.

    >>> m = Model.model_validate({"home": "TR", "suppliers": {"s": {"country": "TR"}},
    ...     "parts": {"a": {"bom": {"b": 2}, "sources": [{"supplier": "s"}]},
    ...               "b": {"sources": [{"supplier": "s"}]}},
    ...     "demand": {"a": {"rate": 10}}})
    >>> lp = compile_lp(m)
    >>> lp.n, lp.n_y, lp.line_block.shape
    (2, 1, (1, 3))
    """
    net = model if isinstance(model, Network) else compile_network(model)
    n, m_y, n_lines = net.n_parts, len(net.mem_line), len(net.line_parent)
    y_idx = np.arange(m_y)
    line_block = sp.hstack([
        sp.csr_matrix((net.line_qty, (np.arange(n_lines), net.line_parent)), shape=(n_lines, n)),
        sp.csr_matrix((-np.ones(m_y), (net.mem_line, y_idx)), shape=(n_lines, m_y)),
    ]).tocsr()
    ship_block = sp.hstack([
        -sp.identity(n, format="csr"),
        sp.csr_matrix((np.ones(m_y), (net.mem_part, y_idx)), shape=(n, m_y)),
    ]).tocsr()
    parents = sp.csr_matrix((np.ones(m_y), (net.mem_part, net.line_parent[net.mem_line])), shape=(n, n))
    parents.sum_duplicates()
    return LPNetwork(net=net, line_block=line_block, ship_block=ship_block, parents=parents,
                     children=parents.T.tocsr())


def _network(model_or_net: Model | LPNetwork) -> LPNetwork:
    return model_or_net if isinstance(model_or_net, LPNetwork) else compile_lp(model_or_net)


def _check(net: Network, disruption: Disruption | None) -> None:
    if disruption is not None:
        problems = check_disruption(net.vocabulary, disruption)
        if problems:
            raise ModelError(problems)


def open_fractions(model: Model, disruption: Disruption | None) -> dict[tuple[str, str], float]:
    """The share of each source (``(part, supplier)``) left open by ``disruption``.

    1.0 = untouched, 0.0 = closed; ``1 - severity`` for a partial disruption. Sources
    are closed as the simulation closes them
    (:func:`supplychain.sim.events.disruption_severity`): by supplier, by the facility
    country of their supplier (groups expanded), or by part. Raises
    :class:`~supplychain.errors.ModelError` for an id the model does not know.

    >>> m = Model.model_validate({"home": "TR",
    ...     "suppliers": {"a": {"country": "CA"}, "b": {"country": "FR"}},
    ...     "parts": {"g": {"sources": [{"supplier": "a"}, {"supplier": "b"}]}},
    ...     "demand": {"g": {"rate": 1}}})
    >>> open_fractions(m, Disruption(countries=("CA",)))
    {('g', 'a'): 0.0, ('g', 'b'): 1.0}
    """
    net = compile_network(model)
    frac = _source_fractions(net, disruption)
    return {(pid, src.supplier): float(frac[s]) for pid, p in model.parts.items()
            for src, s in zip(p.sources, net.sources_of(pid))}


def _source_fractions(net: Network, disruption: Disruption | None) -> np.ndarray:
    """The open share of each source of ``net`` under ``disruption`` (1 = untouched)."""
    if disruption is None:
        return np.ones(net.n_sources)
    _check(net, disruption)
    return 1.0 - disruption_severity(net, disruption)


@dataclass(frozen=True, eq=False)
class Supply:
    """What a disruption leaves each part, and from when.

    Per source: ``src_cap`` its capacity per period (inf = unlimited, 0 = closed),
    ``src_from`` the periods from the disruption's start until its first new goods can
    land (0 for a qualified source; its ``qualification_time`` plus its delay for one
    not yet qualified; inf for one that never qualifies) and ``src_stock`` the stock
    held there. Per BOM member, ``mem_from``: 0 for a line's own child, the
    qualification time for an alternate. Per part, ``base`` the stock on our side (with
    the pipeline) and ``part_cap`` its own capacity; ``capmax`` caps a parent's builds
    per period (its capacity with every source it may ever use).
    """

    src_cap: np.ndarray
    src_from: np.ndarray
    src_stock: np.ndarray
    mem_from: np.ndarray
    base: np.ndarray
    part_cap: np.ndarray
    capmax: np.ndarray

    def capacity_at(self, lp: LPNetwork, t: float) -> np.ndarray:
        """Per part: what it can make over ``[0, t]`` at most (inf = unlimited)."""
        net = lp.net
        open_for = np.maximum(t - self.src_from, 0.0)
        # inf * 0 is nan: a source not open yet (or closed) adds nothing
        amount = np.where((open_for > 0) & (self.src_cap > 0), self.src_cap * np.where(open_for > 0, open_for, 1.0), 0.0)
        total = np.zeros(net.n_parts)
        np.add.at(total, net.src_part, amount)
        own = np.where(self.part_cap > 0, self.part_cap * t, 0.0) if t > 0 else np.zeros(net.n_parts)
        return np.minimum(own, total)

    def stock_at(self, lp: LPNetwork, t: float) -> np.ndarray:
        """Per part: stock on our side plus the stock held at the sources open by ``t``."""
        usable = self.src_from <= t
        return self.base + np.bincount(lp.net.src_part, weights=np.where(usable, self.src_stock, 0.0),
                                       minlength=lp.n)

    def rate_from_start(self, lp: LPNetwork) -> np.ndarray:
        """Per part: capacity per period from the sources usable at once."""
        net = lp.net
        cap = np.where(self.src_from <= 0, self.src_cap, 0.0)
        total = np.zeros(net.n_parts)
        np.add.at(total, net.src_part, cap)
        any_open = np.zeros(net.n_parts, dtype=bool)
        any_open[net.src_part[(self.src_from <= 0) & (self.src_cap > 0)]] = True
        return np.where(any_open, np.minimum(self.part_cap, total), 0.0)


def supply(lp: LPNetwork, disruption: Disruption | None, *, pipeline: bool = True,
           qualification: bool = True) -> Supply:
    """The :class:`Supply` a (permanent) ``disruption`` leaves.

    ``qualification=False`` is the textbook variant: every alternate and every source,
    qualified or not, usable from the start.
    """
    net = lp.net
    frac = _source_fractions(net, disruption)
    src_cap = np.where(frac > 0, net.src_capacity * np.where(frac > 0, frac, 1.0), 0.0)
    if qualification:
        waits = net.src_qual_time >= NEVER
        src_from = np.where(net.src_qualified, 0.0,
                            np.where(waits, np.inf, net.src_qual_time + net.src_delay).astype(float))
        mem_from = np.where(net.mem_is_primary, 0.0, net.mem_qual_time.astype(float))
    else:
        src_from = np.zeros(net.n_sources)
        mem_from = np.zeros(len(net.mem_line))
    ever = np.zeros(net.n_parts)
    np.add.at(ever, net.src_part, np.where(np.isfinite(src_from), src_cap, 0.0))
    base = net.stock0 + (net.pipeline0 if pipeline else 0.0)
    return Supply(src_cap=src_cap, src_from=src_from, src_stock=frac * net.src_stock0, mem_from=mem_from,
                  base=base, part_cap=net.capacity, capmax=np.minimum(net.capacity, ever))


# --- solving over the parts that matter -------------------------------------------------
#
# Both LPs are solved over a set R of parts, not over the whole network. The argument,
# which makes the reduced optimum the full one (not an approximation):
#
# * The steady solution -- every part makes its steady-state requirement ``req_i`` per
#   period (u_i = req_i * t), ships ``qty * req_j * t`` along every primary BOM line and
#   nothing along alternates, no l -- satisfies every line and ship row with no stock at
#   all, and the capacity row of every part with ``c_i >= req_i``. Call a part with
#   ``c_i < req_i`` short; R holds every short part and, with a part, every part that
#   may use it (its parents through any line option, up to the end items).
# * Restriction: fix every part outside R at the steady solution. Then a part i outside
#   R can still give R's parents its stock plus what steady R-parents would draw,
#   ``sum_{j in R} y_ij <= s_i + g_i * t`` with ``g_i = sum over primary lines into R of
#   qty * req_j`` (a *boundary row*); no other row outside R is touched, because every
#   parent of an R part is in R. Each solution of this restricted LP extends to a
#   solution of the full LP, so its optimum is no better than the full one
#   (t_R <= t*, impact_R >= impact*).
# * Relaxation: drop the boundary rows instead (parts outside R supply whatever R
#   asks). Every full solution restricted to R's variables satisfies R's rows, so this
#   optimum is no worse than the full one.
# * If at the restricted optimum every boundary row has a zero dual, the restricted
#   optimum is also optimal for the relaxation (the same duals, without those rows, are
#   dual feasible with the same objective), so restriction = relaxation = full LP.
#   Otherwise the parts behind the binding boundary rows join R (with their parents)
#   and the LP is solved again; at worst R grows to the whole network, which is the
#   full LP.
#
# With no short part R is empty: the steady solution runs at plan for any t with no
# stock, so the time to survive is unbounded and nothing is lost.

#: a boundary row whose dual is larger than this (in absolute value) counts as binding
_DUAL_TOL = 1e-12


def _short(lp: LPNetwork, sup: Supply) -> np.ndarray:
    """Parts whose capacity from the start cannot carry their steady-state requirement."""
    return sup.rate_from_start(lp) < lp.net.requirement


def _with_users(lp: LPNetwork, mask: np.ndarray, *, down: bool = False) -> np.ndarray:
    """``mask`` plus every part that may use one of its parts, through every tier
    (``down=True``: every part that may fill a line of one of its parts instead)."""
    out = mask.copy()
    frontier = np.flatnonzero(mask)
    links = lp.children if down else lp.parents
    indptr, indices = links.indptr, links.indices
    while len(frontier):
        # the parents of the frontier: their rows' column indices, gathered at once
        starts, ends = indptr[frontier], indptr[frontier + 1]
        lens = ends - starts
        if not lens.sum():
            break
        pos = np.repeat(ends - np.cumsum(lens), lens) + np.arange(lens.sum())
        up = np.unique(indices[pos])
        frontier = up[~out[up]]
        out[frontier] = True
    return out


@dataclass(frozen=True)
class _Layout:
    """Where a part or BOM member sits in :func:`_reduced_lp`'s LP over R: ``pos[i]``
    the u column and ship row (after the ``nl`` line rows) of part i in R, ``ypos``
    member -> y column (after the ``nr`` u columns)."""

    nl: int
    nr: int
    pos: np.ndarray
    ypos: dict


def _layout(lp: LPNetwork, R: np.ndarray) -> _Layout:
    net = lp.net
    r_parts = np.flatnonzero(R)
    pos = np.full(net.n_parts, -1, dtype=np.int64)
    pos[r_parts] = np.arange(len(r_parts))
    ysel = np.flatnonzero(R[net.line_parent[net.mem_line]])
    return _Layout(nl=int(R[net.line_parent].sum()), nr=len(r_parts), pos=pos,
                   ypos={int(m): k for k, m in enumerate(ysel)})


def _reduced_lp(lp: LPNetwork, R: np.ndarray, sup: Supply, *, horizon: float | None,
                interval: tuple[float, float] = (0.0, math.inf)):
    """The LP over the parts in R (see above), in the form ``linprog`` takes.

    ``horizon=None`` builds the time-to-survive LP for ``t`` in ``interval`` (columns u,
    y, t; maximise t), with the sources and alternates open at the interval's start
    supplying from their opening time on (``cap * (t - from)``, linear in t); a number
    the impact LP at ``t = horizon`` (columns u, y, l per end item in R). Returns
    ``(c, A, b, bounds, boundary, end_cols)``: ``boundary`` the part index of each
    boundary row (the last rows of ``A``), ``end_cols`` the end items (positions in
    ``net.end_items``) that have an l column, in column order.
    """
    net = lp.net
    n = net.n_parts
    r_parts = np.flatnonzero(R)
    nr = len(r_parts)
    col_u = np.full(n, -1, dtype=np.int64)
    col_u[r_parts] = np.arange(nr)
    y_parent = net.line_parent[net.mem_line]
    ysel = np.flatnonzero(R[y_parent])
    ny = len(ysel)
    lsel = np.flatnonzero(R[net.line_parent])
    nl = len(lsel)
    line_row = np.full(len(net.line_parent), -1, dtype=np.int64)
    line_row[lsel] = np.arange(nl)
    ych = net.mem_part[ysel]
    tts = horizon is None
    lo = interval[0] if tts else float(horizon)

    # node rows: R's parts (ship rows), then the boundary parts outside R
    outside = ~R[ych]
    boundary = np.unique(ych[outside])
    nb = len(boundary)
    # steady draws of R's parents on each boundary part (primary lines only)
    prim = outside & net.mem_is_primary[ysel]
    g = np.bincount(ych[prim], weights=net.line_qty[net.mem_line[ysel[prim]]] * net.requirement[y_parent[ysel[prim]]],
                    minlength=n)[boundary]
    stock = sup.stock_at(lp, lo)

    y_cols = nr + np.arange(ny)
    node_row = np.full(n, -1, dtype=np.int64)
    node_row[r_parts] = nl + np.arange(nr)
    node_row[boundary] = nl + nr + np.arange(nb)
    rows = [np.arange(nl), line_row[net.mem_line[ysel]], node_row[ych], nl + np.arange(nr)]
    cols = [col_u[net.line_parent[lsel]], y_cols, y_cols, np.arange(nr)]
    vals = [net.line_qty[lsel], -np.ones(ny), np.ones(ny), -np.ones(nr)]
    demand = net.demand_rate[r_parts]
    qty_y = net.line_qty[net.mem_line[ysel]]
    y_from = sup.mem_from[ysel]
    y_capmax = qty_y * sup.capmax[y_parent[ysel]]
    if tts:
        t_col = nr + ny
        n_cols = t_col + 1
        bounds = np.zeros((n_cols, 2))
        bounds[nr:, 1] = np.inf
        bounds[t_col] = interval
        # capacity: the part's own (u <= c t) and its open sources' (u <= A t - B)
        active = sup.src_from <= lo
        cap = np.where(active, sup.src_cap, 0.0)
        unlimited = np.zeros(n, dtype=bool)
        unlimited[net.src_part[active & np.isinf(cap)]] = True
        fin = np.where(np.isinf(cap), 0.0, cap)
        A_src = np.bincount(net.src_part, weights=fin, minlength=n)
        B_src = np.bincount(net.src_part, weights=fin * np.where(active, sup.src_from, 0.0), minlength=n)
        opened = unlimited | (A_src > 0)
        bounds[:nr, 1] = np.where(opened[r_parts], np.inf, 0.0)
        own = np.flatnonzero(np.isfinite(sup.part_cap[r_parts]) & opened[r_parts])
        src_rows = np.flatnonzero(~unlimited[r_parts] & opened[r_parts] & (B_src[r_parts] > 0))
        # a source row with B = 0 is "u <= A t"; it binds only below the part's own cap
        src_rows = np.union1d(src_rows, np.flatnonzero(~unlimited[r_parts] & opened[r_parts]
                                                       & (B_src[r_parts] == 0) & (A_src[r_parts] < sup.part_cap[r_parts])))
        # alternates: none before they qualify, then at most qty x the parent's builds
        y_off = ~(y_from <= lo)
        bounds[nr:nr + ny, 1] = np.where(y_off, 0.0, np.inf)
        alt_rows = np.flatnonzero(~y_off & (y_from > 0) & np.isfinite(y_capmax))
        has_d = np.flatnonzero(demand)
        base = nl + nr + nb
        k_own, k_src, k_alt = len(own), len(src_rows), len(alt_rows)
        rows += [nl + has_d, nl + nr + np.arange(nb),
                 base + np.arange(k_own), base + np.arange(k_own),
                 base + k_own + np.arange(k_src), base + k_own + np.arange(k_src),
                 base + k_own + k_src + np.arange(k_alt), base + k_own + k_src + np.arange(k_alt)]
        cols += [np.full(len(has_d), t_col), np.full(nb, t_col),
                 own, np.full(k_own, t_col),
                 src_rows, np.full(k_src, t_col),
                 nr + alt_rows, np.full(k_alt, t_col)]
        vals += [demand[has_d], -g,
                 np.ones(k_own), -sup.part_cap[r_parts[own]],
                 np.ones(k_src), -A_src[r_parts[src_rows]],
                 np.ones(k_alt), -y_capmax[alt_rows]]
        b = np.concatenate([np.zeros(nl), stock[r_parts], stock[boundary], np.zeros(k_own),
                            -B_src[r_parts[src_rows]], -y_capmax[alt_rows] * y_from[alt_rows]])
        n_rows = base + k_own + k_src + k_alt
        # boundary rows go last so their duals are easy to find
        order = np.concatenate([np.arange(nl + nr), base + np.arange(n_rows - base), nl + nr + np.arange(nb)])
        end_cols = np.zeros(0, dtype=np.int64)
        c = np.zeros(n_cols)
        c[-1] = -1.0
    else:
        T = float(horizon)
        end_cols = np.flatnonzero(R[net.end_idx])
        ne = len(end_cols)
        rows += [node_row[net.end_idx[end_cols]]]
        cols += [nr + ny + np.arange(ne)]
        vals += [-np.ones(ne)]
        n_cols = nr + ny + ne
        n_rows = nl + nr + nb
        b = np.concatenate([np.zeros(nl), stock[r_parts] - demand * T, stock[boundary] + g * T])
        order = None
        bounds = np.zeros((n_cols, 2))
        bounds[:nr, 1] = sup.capacity_at(lp, T)[r_parts] if T > 0 else 0.0
        open_for = np.maximum(T - y_from, 0.0)
        bounds[nr:nr + ny, 1] = np.where(y_from <= 0, np.inf, np.where(
            open_for > 0, y_capmax * np.where(open_for > 0, open_for, 1.0), 0.0))
        bounds[nr + ny:, 1] = net.demand_rate[net.end_idx[end_cols]] * T
        c = np.concatenate([np.zeros(nr + ny), net.unit_value[end_cols]])
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_cols))
    if order is not None:
        A, b = A[order], b[order]
    return c, A, b, bounds, boundary, end_cols


def _solve_reduced(lp: LPNetwork, sup: Supply, *, horizon: float | None, reduce: bool,
                   interval: tuple[float, float] = (0.0, math.inf)):
    """Solve over a growing R until no boundary row binds; ``(res, R, end_cols)``.

    ``res`` is None when R is empty (nothing short: see above). ``reduce=False`` solves
    over every part at once, the textbook LP.
    """
    R = _with_users(lp, _short(lp, sup)) if reduce else np.ones(lp.n, dtype=bool)
    while True:
        if not R.any():
            return None, R, np.zeros(0, dtype=np.int64)
        c, A, b, bounds, boundary, end_cols = _reduced_lp(lp, R, sup, horizon=horizon, interval=interval)
        # HiGHS' presolve can spend seconds on a time-to-survive LP (its t column meets
        # every capacity and boundary row) that dual simplex alone solves in a fraction
        # of that; the optimum is the same, and only t -- rounded by _clean -- is read
        # back. The impact LP presolves quickly and keeps it.
        res = linprog(c, A_ub=A, b_ub=b, bounds=bounds, method="highs",
                      options={"presolve": horizon is not None})
        if res.status != 0 or not len(boundary):
            return res, R, end_cols
        duals = res.ineqlin.marginals[len(b) - len(boundary):]
        binding = boundary[np.abs(duals) > _DUAL_TOL]
        if not len(binding):
            return res, R, end_cols
        # a binding part is asked for more than its steady output, so its own parts will
        # be too: they join with it rather than one solve per tier
        grow = np.zeros(lp.n, dtype=bool)
        grow[binding] = True
        R = _with_users(lp, R | _with_users(lp, grow, down=True))


def _openings(sup: Supply, R: np.ndarray, lp: LPNetwork) -> list[float]:
    """The times (> 0, finite) a source or alternate of a part in R starts to supply."""
    net = lp.net
    src = sup.src_from[R[net.src_part] & (sup.src_cap > 0)]
    mem = sup.mem_from[R[net.line_parent[net.mem_line]]]
    times = np.concatenate([src, mem])
    return sorted({float(x) for x in times[np.isfinite(times) & (times > 0)]})


def time_to_survive_lp(
    model: Model | LPNetwork, disruption: Disruption | None = None, *, pipeline: bool = True,
    reduce: bool = True, qualification: bool = True,
) -> float:
    """The longest time (periods) every end item meets its plan: ``math.inf`` if forever.

    ``disruption=None`` gives the undisrupted baseline, finite when capacities cannot
    meet the plan and only stock covers the gap. The disruption is taken as permanent
    (its start, end and duration do not enter): the question is how long the network
    survives it. See the module docstring for the LP and why it bounds the simulated
    time to survive from above. The LP is solved over the parts that can bind (see
    ``_solve_reduced``); ``reduce=False`` solves it over every part, to the same optimum.
    ``qualification=False`` counts every alternate and not-yet-qualified source as
    usable from the start (the textbook LP, a looser bound).

    >>> m = Model.model_validate({"home": "TR",
    ...     "suppliers": {"x": {"country": "CA"}, "plant": {"country": "TR"}},
    ...     "parts": {"w": {"bom": {"g": 1}, "sources": [{"supplier": "plant"}]},
    ...               "g": {"stock": 35, "sources": [{"supplier": "x"}]}},
    ...     "demand": {"w": {"rate": 10}}})
    >>> time_to_survive_lp(m, Disruption(countries=("CA",)))  # 35 gears / 10 per period
    3.5
    >>> time_to_survive_lp(m)
    inf
    """
    net = _network(model)
    sup = supply(net, disruption, pipeline=pipeline, qualification=qualification)
    # Between two openings (a source or alternate starting to supply) every constraint
    # is linear in t, so the t at which the plan can be met form an interval there; it
    # contains the interval's start whenever the previous interval was feasible to its
    # end (an opening adds supply from 0). The time to survive is the first t that
    # fails: walk the intervals until one ends early.
    edges = [0.0, *_openings(sup, np.ones(net.n, dtype=bool), net)]
    for k, lo in enumerate(edges):
        hi = edges[k + 1] if k + 1 < len(edges) else math.inf
        res, _, _ = _solve_reduced(net, sup, horizon=None, reduce=reduce, interval=(lo, hi))
        if res is None:
            return math.inf
        # t = lo is feasible (see above), so a solver that finds no optimum has found t
        # unbounded: the network meets its plan forever
        if res.status in (2, 3) or (res.status == 0 and not np.isfinite(res.x[-1])):
            if res.status == 2 and lo > 0:
                return _clean(lo)
            return math.inf
        if res.status != 0:
            raise InfeasibleError(f"time-to-survive LP: the solver stopped with status {res.status} "
                                  f"({res.message}); check the model's capacities and quantities for extreme values")
        t = float(res.x[-1])
        if math.isinf(hi) or t < hi - 1e-9 * max(1.0, hi):
            return _clean(t)
    return math.inf


def _clean(x: float) -> float:
    """Round away solver noise so equal inputs print equal figures."""
    r = round(x, 9)
    return 0.0 if r == 0 else r


@dataclass(frozen=True)
class LPImpact:
    """The least-value loss over a recovery time: per end item and in total.

    ``value`` is ``sum unit_value * lost``; ``lost`` maps each end item to its lost
    units over ``recovery_time`` periods (0.0 for items that keep to plan).
    """

    recovery_time: float
    value: float
    lost: dict[str, float]

    @property
    def units_lost(self) -> float:
        return float(sum(self.lost.values()))

    def to_dict(self) -> dict[str, Any]:
        return {"recovery_time": self.recovery_time, "value": self.value,
                "units_lost": self.units_lost, "lost": dict(self.lost)}


def impact_lp(
    model: Model | LPNetwork, disruption: Disruption | None = None, *, recovery_time: float,
    pipeline: bool = True, reduce: bool = True, qualification: bool = True,
) -> LPImpact:
    """Solve ``min sum unit_value * l`` at ``t = recovery_time``; see :func:`performance_impact`.

    Lost units are bounded by the plan (``l_j <= d_j * T``) so that an end item of zero
    value has a defined loss. End items outside the parts that can bind lose nothing.
    """
    if not (recovery_time >= 0 and math.isfinite(recovery_time)):
        raise InfeasibleError(f"recovery_time {recovery_time!r} must be a finite number of periods >= 0")
    net = _network(model)
    sup = supply(net, disruption, pipeline=pipeline, qualification=qualification)
    T = float(recovery_time)
    res, _, end_cols = _solve_reduced(net, sup, horizon=T, reduce=reduce)
    lost = np.zeros(len(net.end_items))
    if res is not None:
        if res.status != 0:
            raise InfeasibleError(f"performance-impact LP: the solver stopped with status {res.status} "
                                  f"({res.message}); check the model's capacities and quantities for extreme values")
        lost[end_cols] = res.x[len(res.x) - len(end_cols):]
    return LPImpact(
        recovery_time=T,
        value=_clean(float(net.net.unit_value @ lost)),
        lost={item: _clean(float(x)) for item, x in zip(net.end_items, lost)},
    )


def performance_impact(
    model: Model | LPNetwork, disruption: Disruption | None = None, *, recovery_time: float,
    pipeline: bool = True, reduce: bool = True, qualification: bool = True,
) -> float:
    """The least value of lost output (unit_value x units) over ``recovery_time`` periods.

    The LP reallocates everything optimally, so this is a lower bound on the simulated
    ``value_lost`` over the same span.

    >>> m = Model.model_validate({"home": "TR",
    ...     "suppliers": {"x": {"country": "CA"}, "plant": {"country": "TR"}},
    ...     "parts": {"w": {"bom": {"g": 1}, "sources": [{"supplier": "plant"}]},
    ...               "g": {"stock": 35, "sources": [{"supplier": "x"}]}},
    ...     "demand": {"w": {"rate": 10, "unit_value": 1000}}})
    >>> performance_impact(m, Disruption(countries=("CA",)), recovery_time=5)  # (50 - 35) x 1000
    15000.0
    """
    return impact_lp(model, disruption, recovery_time=recovery_time, pipeline=pipeline, reduce=reduce,
                     qualification=qualification).value
