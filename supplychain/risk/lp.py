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

**Time to survive** (:func:`time_to_survive_lp`) is the largest ``t`` at which every
``l_j = 0``, one ``t`` for the whole network. Every constraint is linear in ``t`` too, so
it is one LP with ``t`` as a variable. It is unbounded (``math.inf``) exactly when the
network can run at plan forever without any stock -- the same constraints at ``t = 1``
with ``s = 0`` are feasible. **Performance impact** (:func:`performance_impact`) over a
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
* every alternate and not-yet-qualified source is usable from the start, where the
  simulation waits for its qualification time.

Each difference only widens what the LP can do, so its time to survive is at least the
simulated one and its impact at most the simulated loss. One thing goes the other way:
the simulation starts with a full pipeline (goods shipped before the event still
arrive), which a pure stock-only LP would not see. With ``pipeline=True`` (the default)
``s_i`` therefore also counts the steady-state in-transit and in-work units --
``requirement_i * (sum over sources of share * lead_time + build_time)`` -- whatever
their source, keeping the bound; with ``pipeline=False`` the LP is the textbook one.
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

from supplychain.errors import InfeasibleError, ModelError, Problem
from supplychain.model.checks import expand_countries, source_shares, steady_state_requirement
from supplychain.model.schema import Disruption, Model

__all__ = [
    "LPNetwork",
    "LPImpact",
    "compile_lp",
    "open_fractions",
    "time_to_survive_lp",
    "performance_impact",
    "impact_lp",
]

#: relative tolerance when the LP solution is read back (HiGHS' default feasibility level)
_TOL = 1e-7


@dataclass(frozen=True, eq=False)
class LPNetwork:
    """A model compiled to the index maps and sparse blocks the LPs share.

    Build it once with :func:`compile_lp` and pass it to the LP functions in place of
    the model when many disruptions are solved on one network (the stress test does).
    """

    model: Model
    parts: tuple[str, ...]
    end_items: tuple[str, ...]
    end_index: np.ndarray  # part index of each end item
    demand: np.ndarray  # planned units/period per part (0 for parts without demand)
    unit_value: np.ndarray  # per end item
    part_capacity: np.ndarray  # per part, inf when unlimited
    own_stock: np.ndarray  # per part: part.stock
    pipeline: np.ndarray  # per part: steady-state in-transit and in-work units
    src_part: np.ndarray  # per source: its part's index
    src_supplier: tuple[str, ...]  # per source
    src_capacity: np.ndarray  # per source, inf when unlimited
    src_stock: np.ndarray  # per source
    n_y: int
    line_block: sp.csr_matrix  # lines x (u, y): qty*u_parent - sum y
    ship_block: sp.csr_matrix  # parts x (u, y): sum y_child - u
    requirement: np.ndarray  # per part: steady-state units per period (primary BOM lines)
    line_parent: np.ndarray  # per BOM line: the parent's part index
    line_qty: np.ndarray  # per BOM line
    y_child: np.ndarray  # per y: the part that fills the line (child or alternate)
    y_line: np.ndarray  # per y: its BOM line
    y_primary: np.ndarray  # per y: True for the line's own child, False for an alternate
    parents: sp.csr_matrix  # parts x parts: [i, j] = 1 when i may fill a line of j
    children: sp.csr_matrix  # its transpose: [j, i] = 1 when i may fill a line of j
    src_supplier_index: np.ndarray  # per source: index into ``suppliers``
    suppliers: tuple[str, ...]
    supplier_country: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.parts)


def compile_lp(model: Model) -> LPNetwork:
    """Compile ``model`` for the LPs: one variable block per part, BOM option and end item.

    >>> m = Model.model_validate({"home": "TR", "suppliers": {"s": {"country": "TR"}},
    ...     "parts": {"a": {"bom": {"b": 2}, "sources": [{"supplier": "s"}]},
    ...               "b": {"sources": [{"supplier": "s"}]}},
    ...     "demand": {"a": {"rate": 10}}})
    >>> net = compile_lp(m)
    >>> net.n, net.n_y, net.line_block.shape
    (2, 1, (1, 3))
    """
    parts = tuple(model.parts)
    index = {p: i for i, p in enumerate(parts)}
    n = len(parts)

    # one y per (line, option); a line row per BOM line
    y_child: list[int] = []
    y_line: list[int] = []
    y_primary: list[bool] = []
    line_parent: list[int] = []
    line_qty: list[float] = []
    for pid, part in model.parts.items():
        for child, line in part.bom.items():
            k = len(line_parent)
            line_parent.append(index[pid])
            line_qty.append(line.qty)
            for opt in dict.fromkeys((child, *(a.part for a in line.alternates))):
                y_child.append(index[opt])
                y_line.append(k)
                y_primary.append(opt == child)
    m_y, n_lines = len(y_child), len(line_parent)
    y_idx = np.arange(m_y)

    line_block = sp.hstack([
        sp.csr_matrix((line_qty, (np.arange(n_lines), line_parent)), shape=(n_lines, n)),
        sp.csr_matrix((-np.ones(m_y), (y_line, y_idx)), shape=(n_lines, m_y)),
    ]).tocsr()
    ship_block = sp.hstack([
        -sp.identity(n, format="csr"),
        sp.csr_matrix((np.ones(m_y), (y_child, y_idx)), shape=(n, m_y)),
    ]).tocsr()

    demand = np.zeros(n)
    for item, d in model.demand.items():
        demand[index[item]] = d.rate
    end_items = tuple(model.demand)
    end_index = np.array([index[e] for e in end_items], dtype=int)
    unit_value = np.array([
        d.unit_value if d.unit_value is not None else model.parts[e].unit_cost for e, d in model.demand.items()
    ], dtype=float)

    req = steady_state_requirement(model)
    requirement = np.array([req[p] for p in parts], dtype=float)
    line_parent_a = np.array(line_parent, dtype=np.int64)
    y_child_a = np.array(y_child, dtype=np.int64)
    y_line_a = np.array(y_line, dtype=np.int64)
    parents = sp.csr_matrix((np.ones(m_y), (y_child_a, line_parent_a[y_line_a])), shape=(n, n))
    parents.sum_duplicates()
    suppliers = tuple(model.suppliers)
    supplier_pos = {sid: k for k, sid in enumerate(suppliers)}
    src_part, src_supplier, src_cap, src_stock = [], [], [], []
    pipeline = np.zeros(n)
    for pid, part in model.parts.items():
        i = index[pid]
        for src, share in zip(part.sources, source_shares(part)):
            src_part.append(i)
            src_supplier.append(src.supplier)
            src_cap.append(math.inf if src.capacity is None else src.capacity)
            src_stock.append(src.stock)
            pipeline[i] += share * req[pid] * src.lead_time
        if part.bom:
            pipeline[i] += req[pid] * part.build_time

    return LPNetwork(
        model=model,
        parts=parts,
        end_items=end_items,
        end_index=end_index,
        demand=demand,
        unit_value=unit_value,
        part_capacity=np.array([math.inf if p.capacity is None else p.capacity for p in model.parts.values()]),
        own_stock=np.array([p.stock for p in model.parts.values()], dtype=float),
        pipeline=pipeline,
        src_part=np.array(src_part, dtype=int),
        src_supplier=tuple(src_supplier),
        src_capacity=np.array(src_cap, dtype=float),
        src_stock=np.array(src_stock, dtype=float),
        n_y=m_y,
        line_block=line_block,
        ship_block=ship_block,
        requirement=requirement,
        line_parent=line_parent_a,
        line_qty=np.array(line_qty, dtype=float),
        y_child=y_child_a,
        y_line=y_line_a,
        y_primary=np.array(y_primary, dtype=bool),
        parents=parents,
        children=parents.T.tocsr(),
        src_supplier_index=np.array([supplier_pos[sid] for sid in src_supplier], dtype=np.int64),
        suppliers=suppliers,
        supplier_country=tuple(model.suppliers[sid].country for sid in suppliers),
    )


def _network(model_or_net: Model | LPNetwork) -> LPNetwork:
    return model_or_net if isinstance(model_or_net, LPNetwork) else compile_lp(model_or_net)


def _closed(model: Model, disruption: Disruption) -> tuple[set[str], set[str], float]:
    """The suppliers and parts ``disruption`` closes, and the share it leaves them."""
    problems = [
        Problem(f"disruption names unknown supplier {s!r}; use an id from the model's suppliers", ("suppliers", i))
        for i, s in enumerate(disruption.suppliers) if s not in model.suppliers
    ] + [
        Problem(f"disruption names unknown part {p!r}; use an id from the model's parts", ("parts", i))
        for i, p in enumerate(disruption.parts) if p not in model.parts
    ]
    if problems:
        raise ModelError(problems)
    countries = expand_countries(model, disruption.countries)
    closed_suppliers = set(disruption.suppliers) | {
        sid for sid, s in model.suppliers.items() if s.country in countries
    }
    return closed_suppliers, set(disruption.parts), 1.0 - disruption.severity


def open_fractions(model: Model, disruption: Disruption | None) -> dict[tuple[str, str], float]:
    """The share of each source (``(part, supplier)``) left open by ``disruption``.

    1.0 = untouched, 0.0 = closed; ``1 - severity`` for a partial disruption. Sources
    are closed by supplier, by the facility country of their supplier (groups
    expanded), or by part. Raises :class:`~supplychain.errors.ModelError` for an id the
    model does not know.

    >>> m = Model.model_validate({"home": "TR",
    ...     "suppliers": {"a": {"country": "CA"}, "b": {"country": "FR"}},
    ...     "parts": {"g": {"sources": [{"supplier": "a"}, {"supplier": "b"}]}},
    ...     "demand": {"g": {"rate": 1}}})
    >>> open_fractions(m, Disruption(countries=("CA",)))
    {('g', 'a'): 0.0, ('g', 'b'): 1.0}
    """
    out = {(pid, s.supplier): 1.0 for pid, p in model.parts.items() for s in p.sources}
    if disruption is None:
        return out
    closed_suppliers, closed_parts, left = _closed(model, disruption)
    for pid, sid in out:
        if pid in closed_parts or sid in closed_suppliers:
            out[(pid, sid)] = left
    return out


def _source_fractions(net: LPNetwork, disruption: Disruption | None) -> np.ndarray:
    """:func:`open_fractions` per source of ``net``, as an array (same rule, no dict)."""
    frac = np.ones(len(net.src_part))
    if disruption is None:
        return frac
    closed_suppliers, closed_parts, left = _closed(net.model, disruption)
    sup_closed = np.array([sid in closed_suppliers for sid in net.suppliers], dtype=bool)
    part_closed = np.zeros(net.n, dtype=bool)
    part_closed[[i for i, p in enumerate(net.parts) if p in closed_parts]] = True
    hit = sup_closed[net.src_supplier_index] | part_closed[net.src_part]
    frac[hit] = left
    return frac


def _supply(net: LPNetwork, disruption: Disruption | None, *, pipeline: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per part: capacity per period (inf = unlimited) and stock available, disrupted."""
    frac = _source_fractions(net, disruption)
    # inf * 0 is nan: a closed unlimited source adds nothing
    src_cap = np.where(frac > 0, net.src_capacity * np.where(frac > 0, frac, 1.0), 0.0)
    cap_sum = np.zeros(net.n)
    np.add.at(cap_sum, net.src_part, src_cap)
    any_open = np.zeros(net.n, dtype=bool)
    any_open[net.src_part[frac > 0]] = True
    capacity = np.where(any_open, np.minimum(net.part_capacity, cap_sum), 0.0)
    stock = net.own_stock + (net.pipeline if pipeline else 0.0)
    stock = stock + np.bincount(net.src_part, weights=frac * net.src_stock, minlength=net.n)
    return capacity, stock


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


def _short(net: LPNetwork, capacity: np.ndarray) -> np.ndarray:
    """Parts whose capacity cannot carry their steady-state requirement."""
    return capacity < net.requirement


def _with_users(net: LPNetwork, mask: np.ndarray, *, down: bool = False) -> np.ndarray:
    """``mask`` plus every part that may use one of its parts, through every tier
    (``down=True``: every part that may fill a line of one of its parts instead)."""
    out = mask.copy()
    frontier = np.flatnonzero(mask)
    links = net.children if down else net.parents
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


def _reduced_lp(net: LPNetwork, R: np.ndarray, capacity: np.ndarray, stock: np.ndarray, *,
                horizon: float | None):
    """The LP over the parts in R (see above), in the form ``linprog`` takes.

    ``horizon=None`` builds the time-to-survive LP (columns u, y, t; maximise t), a
    number the impact LP at ``t = horizon`` (columns u, y, l per end item in R). Returns
    ``(c, A, b, bounds, boundary, end_cols)``: ``boundary`` the part index of each
    boundary row (the last rows of ``A``), ``end_cols`` the end items (positions in
    ``net.end_items``) that have an l column, in column order.
    """
    n = net.n
    r_parts = np.flatnonzero(R)
    nr = len(r_parts)
    col_u = np.full(n, -1, dtype=np.int64)
    col_u[r_parts] = np.arange(nr)
    y_parent = net.line_parent[net.y_line]
    ysel = np.flatnonzero(R[y_parent])
    ny = len(ysel)
    lsel = np.flatnonzero(R[net.line_parent])
    nl = len(lsel)
    line_row = np.full(len(net.line_parent), -1, dtype=np.int64)
    line_row[lsel] = np.arange(nl)
    ych = net.y_child[ysel]

    # node rows: R's parts (ship rows), then the boundary parts outside R
    outside = ~R[ych]
    boundary = np.unique(ych[outside])
    nb = len(boundary)
    node_row = np.full(n, -1, dtype=np.int64)
    node_row[r_parts] = nl + np.arange(nr)
    node_row[boundary] = nl + nr + np.arange(nb)
    # steady draws of R's parents on each boundary part (primary lines only)
    prim = outside & net.y_primary[ysel]
    g = np.bincount(ych[prim], weights=net.line_qty[net.y_line[ysel[prim]]] * net.requirement[y_parent[ysel[prim]]],
                    minlength=n)[boundary]

    y_cols = nr + np.arange(ny)
    rows = [np.arange(nl), line_row[net.y_line[ysel]], node_row[ych], nl + np.arange(nr)]
    cols = [col_u[net.line_parent[lsel]], y_cols, y_cols, np.arange(nr)]
    vals = [net.line_qty[lsel], -np.ones(ny), np.ones(ny), -np.ones(nr)]
    n_rows = nl + nr + nb
    demand = net.demand[r_parts]
    cap_r = capacity[r_parts]
    if horizon is None:
        t_col = nr + ny
        finite = np.flatnonzero(np.isfinite(cap_r) & (cap_r > 0))
        nf = len(finite)
        has_d = np.flatnonzero(demand)
        rows += [nl + has_d, nl + nr + np.arange(nb), n_rows + np.arange(nf), n_rows + np.arange(nf)]
        cols += [np.full(len(has_d), t_col), np.full(nb, t_col), finite, np.full(nf, t_col)]
        vals += [demand[has_d], -g, np.ones(nf), -cap_r[finite]]
        # boundary rows go last so their duals are easy to find: move capacity rows up
        n_cols = t_col + 1
        b = np.concatenate([np.zeros(nl), stock[r_parts], stock[boundary], np.zeros(nf)])
        order = np.concatenate([np.arange(nl + nr), n_rows + np.arange(nf), nl + nr + np.arange(nb)])
        end_cols = np.zeros(0, dtype=np.int64)
        bounds = np.zeros((n_cols, 2))
        bounds[:nr, 1] = np.where(cap_r > 0, np.inf, 0.0)
        bounds[nr:, 1] = np.inf
        c = np.zeros(n_cols)
        c[-1] = -1.0
        n_rows += nf
    else:
        T = float(horizon)
        end_cols = np.flatnonzero(R[net.end_index])
        ne = len(end_cols)
        rows += [node_row[net.end_index[end_cols]]]
        cols += [nr + ny + np.arange(ne)]
        vals += [-np.ones(ne)]
        n_cols = nr + ny + ne
        b = np.concatenate([np.zeros(nl), stock[r_parts] - demand * T, stock[boundary] + g * T])
        order = None
        bounds = np.zeros((n_cols, 2))
        bounds[:nr, 1] = cap_r * T if T > 0 else 0.0
        bounds[nr:nr + ny, 1] = np.inf
        bounds[nr + ny:, 1] = net.demand[net.end_index[end_cols]] * T
        c = np.concatenate([np.zeros(nr + ny), net.unit_value[end_cols]])
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_cols))
    if order is not None:
        A, b = A[order], b[order]
    return c, A, b, bounds, boundary, end_cols


def _solve_reduced(net: LPNetwork, capacity: np.ndarray, stock: np.ndarray, *, horizon: float | None,
                   reduce: bool):
    """Solve over a growing R until no boundary row binds; ``(res, R, end_cols)``.

    ``res`` is None when R is empty (nothing short: see above). ``reduce=False`` solves
    over every part at once, the textbook LP.
    """
    R = _with_users(net, _short(net, capacity)) if reduce else np.ones(net.n, dtype=bool)
    while True:
        if not R.any():
            return None, R, np.zeros(0, dtype=np.int64)
        c, A, b, bounds, boundary, end_cols = _reduced_lp(net, R, capacity, stock, horizon=horizon)
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
        grow = np.zeros(net.n, dtype=bool)
        grow[binding] = True
        R = _with_users(net, R | _with_users(net, grow, down=True))


def time_to_survive_lp(
    model: Model | LPNetwork, disruption: Disruption | None = None, *, pipeline: bool = True,
    reduce: bool = True,
) -> float:
    """The longest time (periods) every end item meets its plan: ``math.inf`` if forever.

    ``disruption=None`` gives the undisrupted baseline, finite when capacities cannot
    meet the plan and only stock covers the gap. The disruption is taken as permanent
    (its start, end and duration do not enter): the question is how long the network
    survives it. See the module docstring for the LP and why it bounds the simulated
    time to survive from above. The LP is solved over the parts that can bind (see
    ``_solve_reduced``); ``reduce=False`` solves it over every part, to the same optimum.

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
    capacity, stock = _supply(net, disruption, pipeline=pipeline)
    res, _, _ = _solve_reduced(net, capacity, stock, horizon=None, reduce=reduce)
    if res is None:
        return math.inf
    # t = 0 with nothing made is always feasible (stock >= 0), so a solver that finds
    # no optimum has found t unbounded: the network meets its plan forever
    if res.status in (2, 3) or (res.status == 0 and not np.isfinite(res.x[-1])):
        return math.inf
    if res.status != 0:
        raise InfeasibleError(f"time-to-survive LP: the solver stopped with status {res.status} "
                              f"({res.message}); check the model's capacities and quantities for extreme values")
    return _clean(float(res.x[-1]))


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
    pipeline: bool = True, reduce: bool = True,
) -> LPImpact:
    """Solve ``min sum unit_value * l`` at ``t = recovery_time``; see :func:`performance_impact`.

    Lost units are bounded by the plan (``l_j <= d_j * T``) so that an end item of zero
    value has a defined loss. End items outside the parts that can bind lose nothing.
    """
    if not (recovery_time >= 0 and math.isfinite(recovery_time)):
        raise InfeasibleError(f"recovery_time {recovery_time!r} must be a finite number of periods >= 0")
    net = _network(model)
    capacity, stock = _supply(net, disruption, pipeline=pipeline)
    T = float(recovery_time)
    res, _, end_cols = _solve_reduced(net, capacity, stock, horizon=T, reduce=reduce)
    lost = np.zeros(len(net.end_items))
    if res is not None:
        if res.status != 0:
            raise InfeasibleError(f"performance-impact LP: the solver stopped with status {res.status} "
                                  f"({res.message}); check the model's capacities and quantities for extreme values")
        lost[end_cols] = res.x[len(res.x) - len(end_cols):]
    return LPImpact(
        recovery_time=T,
        value=_clean(float(net.unit_value @ lost)),
        lost={item: _clean(float(x)) for item, x in zip(net.end_items, lost)},
    )


def performance_impact(
    model: Model | LPNetwork, disruption: Disruption | None = None, *, recovery_time: float,
    pipeline: bool = True, reduce: bool = True,
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
    return impact_lp(model, disruption, recovery_time=recovery_time, pipeline=pipeline, reduce=reduce).value
