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
with ``s = 0`` are feasible -- which is checked first, so an unbounded LP is never
handed to the solver. **Performance impact** (:func:`performance_impact`) over a
recovery time ``T`` is ``min sum_j unit_value_j * l_j`` at ``t = T``.

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
    )


def _network(model_or_net: Model | LPNetwork) -> LPNetwork:
    return model_or_net if isinstance(model_or_net, LPNetwork) else compile_lp(model_or_net)


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
    closed_parts = set(disruption.parts)
    left = 1.0 - disruption.severity
    for pid, sid in out:
        if pid in closed_parts or sid in closed_suppliers:
            out[(pid, sid)] = left
    return out


def _supply(net: LPNetwork, disruption: Disruption | None, *, pipeline: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per part: capacity per period (inf = unlimited) and stock available, disrupted."""
    fractions = open_fractions(net.model, disruption)
    frac = np.array([fractions[(net.parts[i], s)] for i, s in zip(net.src_part, net.src_supplier)], dtype=float)
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


def _solve(c, A, b, bounds, what: str):
    res = linprog(c, A_ub=A, b_ub=b, bounds=bounds, method="highs")
    if res.status != 0:
        raise InfeasibleError(f"{what}: the solver stopped with status {res.status} ({res.message}); "
                              "check the model's capacities and quantities for extreme values")
    return res


def time_to_survive_lp(
    model: Model | LPNetwork, disruption: Disruption | None = None, *, pipeline: bool = True
) -> float:
    """The longest time (periods) every end item meets its plan: ``math.inf`` if forever.

    ``disruption=None`` gives the undisrupted baseline, finite when capacities cannot
    meet the plan and only stock covers the gap. The disruption is taken as permanent
    (its start, end and duration do not enter): the question is how long the network
    survives it. See the module docstring for the LP and why it bounds the simulated
    time to survive from above.

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
    n, m = net.n, net.n_y
    finite = np.flatnonzero(np.isfinite(capacity) & (capacity > 0))
    # columns: u (n), y (m), t (1)
    t_col_ship = sp.csr_matrix(net.demand.reshape(-1, 1))
    cap_rows = sp.hstack([
        sp.csr_matrix((np.ones(len(finite)), (np.arange(len(finite)), finite)), shape=(len(finite), n + m)),
        sp.csr_matrix(-capacity[finite].reshape(-1, 1)),
    ])
    A = sp.vstack([
        sp.hstack([net.line_block, sp.csr_matrix((net.line_block.shape[0], 1))]),
        sp.hstack([net.ship_block, t_col_ship]),
        cap_rows,
    ]).tocsr()
    b = np.concatenate([np.zeros(net.line_block.shape[0]), stock, np.zeros(len(finite))])
    bounds = np.zeros((n + m + 1, 2))
    bounds[:n, 1] = np.where(capacity > 0, np.inf, 0.0)
    bounds[n:, 1] = np.inf
    c = np.zeros(n + m + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A, b_ub=b, bounds=bounds, method="highs")
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
    pipeline: bool = True,
) -> LPImpact:
    """Solve ``min sum unit_value * l`` at ``t = recovery_time``; see :func:`performance_impact`.

    Lost units are bounded by the plan (``l_j <= d_j * T``) so that an end item of zero
    value has a defined loss.
    """
    if not (recovery_time >= 0 and math.isfinite(recovery_time)):
        raise InfeasibleError(f"recovery_time {recovery_time!r} must be a finite number of periods >= 0")
    net = _network(model)
    capacity, stock = _supply(net, disruption, pipeline=pipeline)
    n, m, e = net.n, net.n_y, len(net.end_items)
    T = float(recovery_time)
    lost_cols = sp.csr_matrix((-np.ones(e), (net.end_index, np.arange(e))), shape=(n, e))
    A = sp.vstack([
        sp.hstack([net.line_block, sp.csr_matrix((net.line_block.shape[0], e))]),
        sp.hstack([net.ship_block, lost_cols]),
    ]).tocsr()
    b = np.concatenate([np.zeros(net.line_block.shape[0]), stock - net.demand * T])
    bounds = np.zeros((n + m + e, 2))
    bounds[:n, 1] = capacity * T if T > 0 else 0.0
    bounds[n:n + m, 1] = np.inf
    bounds[n + m:, 1] = net.demand[net.end_index] * T
    c = np.concatenate([np.zeros(n + m), net.unit_value])
    res = _solve(c, A, b, bounds, "performance-impact LP")
    lost = res.x[n + m:]
    return LPImpact(
        recovery_time=T,
        value=_clean(float(net.unit_value @ lost)),
        lost={item: _clean(float(x)) for item, x in zip(net.end_items, lost)},
    )


def performance_impact(
    model: Model | LPNetwork, disruption: Disruption | None = None, *, recovery_time: float,
    pipeline: bool = True,
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
    return impact_lp(model, disruption, recovery_time=recovery_time, pipeline=pipeline).value
