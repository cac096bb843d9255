"""The batched, time-stepped engine (DESIGN.md §4).

State is held in arrays of shape ``(n, K)``: one column per scenario, so K scenarios
run in one pass. Each period:

1. **Arrivals**: what each source shipped ``delay`` periods ago lands in the part's
   stock (``delay`` = lead time + the part's build time).
2. **Ordering**: each part orders its requirement plus the gap between its target
   position (starting stock + the pipeline at the requirement) and its position (on
   hand + on order), never below zero. An end item never delivers above plan in a
   period, but its line may build above plan to refill its own stock and pipeline.
   The requirement is split by share among usable sources; the gap, and what a stopped
   source cannot ship, goes to the quickest usable sources first (equal delays share
   it by weight), each up to its capacity: a shortfall is expedited rather than queued
   behind a slow pipeline. A source's own
   stock ships first and is blocked with the source. A partly stopped source (severity
   < 1) ships at most ``1 - severity`` of its reference volume (its capacity, or the
   flow it normally carries).
3. **Building**, level by level from the leaves up: an assembly's sources build
   ``min(capacity, order, min over lines of available / qty)``, where a line's
   availability sums its usable members (the child, then its alternates). A child
   short for several parents is rationed in proportion to their claims, or, where end
   items have a ``priority``, to the parents serving the higher priority first (a part
   inherits the highest priority of the end items it serves; no priority ranks
   lowest). A parent claims what it can build: its builds wanted, capped by what each
   of its lines could get had it the members' whole stock, so a parent that cannot
   build claims nothing. Claims at the parents' requirement are served first (every
   tier's, the highest first); the rest (a refill above the requirement, what an
   alternate stands in for) only from stock no coming period's requirement counts on,
   and a refill left unserved is a backorder its child orders for. When children limit a part's build, its quickest
   sources build first. Output lands after the delay; zero-delay output is usable by
   the parents in the same period.
4. **Requirements** follow capability: a BOM line's requirement goes to its child
   while the child can be supplied, and to its usable alternates, in order, for what
   the child cannot cover. It is recomputed only when something changes (an event
   starts or stops, a source or alternate becomes usable).

Not-yet-qualified sources and alternates become usable ``qualification_time`` periods
after the trigger: the start of the first event that stops a flow of that part, or of
a part in its BOM (for an alternate: of the line's child).

The **bottleneck** of an end item's shortfall is found by following causes down: a part
short of its requirement for want of material names the binding line whose members could
make the fewest units of it (the first such line on a tie), one that could not place its
order names itself.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from supplychain.errors import ModelError, ModelWarning, Problem, SupplyChainError
from supplychain.model.checks import check_scenario
from supplychain.model.schema import DEFAULT_HORIZON, Model, Scenario
from supplychain.network import NEVER, Level, Network, compile_network
from supplychain.network.whatif import apply, overrides_key
from supplychain.sim.events import ScenarioEvents, event_warnings, reached_parts, resolve_events
from supplychain.sim.results import PLAN_TOLERANCE, BatchResult, EndItemResult, EventWindow, SimulationResult

__all__ = ["run_batch"]

_BIG = 1e18  # stands in for "unlimited" where differences are taken
_TOL = 1e-9
_CELLS = 1 << 20


# --- what stays fixed through a run, and what changes period by period -----------------


@dataclass(frozen=True, eq=False)
class _Plan:
    """A block of K scenario columns on one network: everything fixed for the run.

    ``changes`` maps a period to the columns whose events or usable sources change
    there (only those are re-routed); ``blocked_starts`` a period to the columns, and
    their per-source stop fractions, whose goods in transit are lost then.
    """

    net: Network
    K: int
    T: int
    W: int  # pipeline slots: the longest delay + 1
    events: tuple[ScenarioEvents, ...]
    src_usable_from: np.ndarray  # (S, K) first period each source may take orders
    mem_usable_from: np.ndarray  # (M, K) first period each line member may be used
    changes: dict[int, list[int]]
    blocked_starts: dict[int, list[tuple[int, np.ndarray]]]
    # constants the phases share
    is_leaf_src: np.ndarray  # (S,) the source's part has no BOM: it ships, it does not build
    is_end: np.ndarray  # (P,) the part has demand
    rate: np.ndarray  # (P, 1) planned rate
    end_pos: np.ndarray  # (P,) position among the end items, -1 for other parts
    line_qty_mem: np.ndarray  # (M, 1) quantity of each member's line
    mem_parent: np.ndarray  # (M,) the parent of each member's line
    alt_mem: np.ndarray  # members that are alternates
    alt_primary_part: np.ndarray  # ... and the part of their line's own child
    mem_in_tier: tuple[np.ndarray, ...]  # per priority tier: (M, 1) mask
    demand_in_tier: tuple[np.ndarray, ...]  # per priority tier: (P, 1) mask
    ends_in: dict[int, np.ndarray]  # per level (by its first part): the end items on it
    parent_mem_ptr: np.ndarray  # (P + 1,) members of part p's lines: [ptr[p], ptr[p + 1])
    assemblies: np.ndarray  # the parts with a BOM ...
    assembly_line_starts: np.ndarray  # ... and where their lines start (reduceat offsets)
    delayed: np.ndarray  # the sources with a delay ...
    delayed_delay: np.ndarray  # ... and their delays
    scattered: np.ndarray  # the delayed sources of the levels shipped by one scatter ...
    scattered_delay: np.ndarray  # ... their delays
    sliced_levels: tuple  # the levels shipped slice by slice
    zero_to_part: object  # (P, S) sums over each part's sources with no delay; None when there are none
    instant_to_part: object  # (P, S) the same over assemblies' sources; None when there are none
    part_ahead: np.ndarray  # (P,) the part's longest delay: how far its spare stock looks ahead

    @property
    def tiered(self) -> bool:
        return self.net.n_tiers > 1


def _cells(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D (rows, K) mask, through its flat view (row-major order)."""
    flat = np.flatnonzero(mask)
    K = mask.shape[1]
    return (flat, np.zeros(len(flat), dtype=np.int64)) if K == 1 else np.divmod(flat, K)


def _only(matrix, columns: np.ndarray):
    """``matrix`` keeping the columns in the boolean mask ``columns`` (None if none)."""
    if not columns.any():
        return None
    out = matrix[:, np.flatnonzero(columns)]
    # the columns keep their places, so the product takes the full vector
    return type(matrix)((out.data, np.flatnonzero(columns)[out.indices], out.indptr), shape=matrix.shape)


def _plan(net: Network, events: list[ScenarioEvents], T: int) -> _Plan:
    K = len(events)
    S, M = net.n_sources, len(net.mem_line)
    src_usable_from = np.stack([r.src_usable_from for r in events], axis=1) if S else np.zeros((0, K), dtype=np.int64)
    mem_usable_from = np.stack([r.mem_usable_from for r in events], axis=1) if M else np.zeros((0, K), dtype=np.int64)
    # the periods where each column's events or usable sources change: only those
    # columns are recomputed there (in a batch of varied scenarios, most periods change
    # something for some column, rarely for all)
    changes: dict[int, list[int]] = {}
    for k, r in enumerate(events):
        points = {0}
        for ev in r.events:
            points.update(x for x in (ev.start, ev.stop) if x < T)
        points.update(int(x) for x in np.unique(src_usable_from[:, k]) if x < T)
        points.update(int(x) for x in np.unique(mem_usable_from[:, k]) if x < T)
        for x in points:
            changes.setdefault(x, []).append(k)
    blocked: dict[int, list[tuple[int, np.ndarray]]] = {}
    for k, r in enumerate(events):
        for ev in r.events:
            if ev.blocked and ev.start < T and ev.stop > ev.start:
                blocked.setdefault(ev.start, []).append((k, ev.severity))
    end_pos = np.full(net.n_parts, -1, dtype=np.int64)
    end_pos[net.end_idx] = np.arange(len(net.end_items))
    alt_mem = np.flatnonzero(~net.mem_is_primary)
    return _Plan(
        net=net, K=K, T=T, W=net.max_delay + 1, events=tuple(events),
        src_usable_from=src_usable_from, mem_usable_from=mem_usable_from,
        changes=changes, blocked_starts=blocked,
        is_leaf_src=~net.has_bom[net.src_part],
        is_end=net.demand_rate > 0,
        rate=net.demand_rate[:, None],
        end_pos=end_pos,
        line_qty_mem=net.line_qty[net.mem_line][:, None],
        mem_parent=net.line_parent[net.mem_line],
        alt_mem=alt_mem,
        alt_primary_part=net.primary_part_of_line[net.mem_line[alt_mem]],
        mem_in_tier=tuple((net.mem_tier == q)[:, None] for q in range(net.n_tiers)),
        demand_in_tier=tuple((net.demand_tier == q)[:, None] for q in range(net.n_tiers)),
        ends_in={lv.a: e for lv in net.levels if len(e := np.flatnonzero(net.demand_rate[lv.a:lv.b] > 0) + lv.a)},
        parent_mem_ptr=np.searchsorted(net.line_parent[net.mem_line], np.arange(net.n_parts + 1)),
        assemblies=np.flatnonzero(net.has_bom),
        assembly_line_starts=np.searchsorted(net.line_parent, np.flatnonzero(net.has_bom)),
        delayed=np.flatnonzero(net.src_delay > 0),
        delayed_delay=net.src_delay[net.src_delay > 0],
        scattered=np.concatenate([lv.sa + lv.delayed for lv in net.levels if lv.scatter] or [np.zeros(0, dtype=np.int64)]),
        scattered_delay=np.concatenate([lv.delayed_delay for lv in net.levels if lv.scatter] or [np.zeros(0, dtype=np.int64)]),
        sliced_levels=tuple(lv for lv in net.levels if not lv.scatter),
        zero_to_part=_only(net.part_by_src, net.src_delay == 0),
        instant_to_part=_only(net.part_by_src, (net.src_delay == 0) & net.has_bom[net.src_part]),
        part_ahead=_longest_delay(net),
    )


def _longest_delay(net: Network) -> np.ndarray:
    """(P,) each part's longest source delay (every part has a source)."""
    out = np.zeros(net.n_parts)
    np.maximum.at(out, net.src_part, net.src_delay)
    return out


@dataclass(eq=False)
class _Routing:
    """Per column, what the events and qualifications allow; recomputed at change points.

    ``quota`` caps what each source may ship (``inf`` = unstopped); ``req`` is each
    part's requirement and ``target`` its target position; ``w_norm`` the order split
    among usable sources; ``room`` what each source can ship from capacity alone.
    """

    quota: np.ndarray  # (S, K)
    usable_src: np.ndarray  # (S, K) bool
    usable_mem: np.ndarray  # (M, K) bool
    supply: np.ndarray  # (P, K) what each part's usable sources can ship
    req: np.ndarray  # (P, K)
    target: np.ndarray  # (P, K)
    w_norm: np.ndarray  # (S, K)
    room: np.ndarray  # (S, K)

    def update(self, cols: list[int], other: "_Routing") -> None:
        """Take ``other``'s figures (computed for ``cols`` only) into those columns."""
        for name in ("quota", "usable_src", "usable_mem", "supply", "req", "target", "w_norm", "room"):
            getattr(self, name)[:, cols] = getattr(other, name)


@dataclass(eq=False)
class _State:
    """What a period changes: the pipeline, stocks, orders and the routing in force."""

    pipe: np.ndarray  # (W, S, K) shipments by arrival slot
    on_hand: np.ndarray  # (P, K) stock on our side
    on_order: np.ndarray  # (P, K) shipped or in work, not yet arrived
    src_stock: np.ndarray  # (S, K) stock held at the sources
    has_src_stock: bool
    cause: np.ndarray  # (P, K) why each part last fell short: a part index
    backorder: np.ndarray | None  # (P, K) refill claims on each part it could not serve last period
    routing: _Routing | None = None


def _steady_state(plan: _Plan) -> _State:
    """Period 0's state: pipelines full at the normal flow, stocks as the model gives them."""
    net, K, W = plan.net, plan.K, plan.W
    base_flow = net.src_base_flow[:, None]  # (S, 1)
    pipe = np.zeros((W, net.n_sources, K))
    for d in np.unique(net.src_delay):
        if d == 0:
            continue
        idx = np.flatnonzero(net.src_delay == d)
        for j in range(d):  # arrivals at periods 0 .. d-1
            pipe[j % W, idx, :] = base_flow[idx]
    src_stock = np.repeat(net.src_stock0[:, None], K, axis=1)
    return _State(
        pipe=pipe,
        on_hand=np.repeat(net.stock0[:, None], K, axis=1),
        on_order=net.part_by_src @ pipe.sum(axis=0),
        src_stock=src_stock,
        has_src_stock=bool(src_stock.any()),
        cause=np.repeat(np.arange(net.n_parts)[:, None], K, axis=1),
        backorder=None,
    )


def _scatter(pipe: np.ndarray, slots: np.ndarray, srcs: np.ndarray, x: np.ndarray) -> None:
    """``pipe[slots, srcs] += x`` for distinct (slot, source) cells, on the rows of the
    (W * S, K) view: one index per row rather than two."""
    rows = pipe.reshape(-1, pipe.shape[2])
    at = slots * pipe.shape[1] + srcs
    rows[at] += x


def _deliver(plan: _Plan, st: _State, lv: Level, x: np.ndarray, t: int) -> None:
    """Shipments ``x`` of a level's sources: into the pipeline, or straight into stock
    when their delay is zero."""
    parts, sa, W = slice(lv.a, lv.b), lv.sa, plan.W
    if lv.scatter:  # many short runs: one scatter (no two sources share a cell)
        _scatter(st.pipe, (t + lv.delayed_delay) % W, sa + lv.delayed, x[lv.delayed])
    else:
        for run in lv.delay_runs:  # a level's sources of one delay are one slice
            st.pipe[(t + run.delay) % W, sa + run.start:sa + run.stop] += x[run.start:run.stop]
    total = lv.src_to_part @ x
    zero = lv.zero_run
    if zero is not None:
        now = lv.zero_to_part @ x[zero.start:zero.stop]
        st.on_hand[parts] += now
        total -= now
    st.on_order[parts] += total


def _deliver_all(plan: _Plan, st: _State, x: np.ndarray, t: int) -> None:
    """:func:`_deliver` for every source at once (each part's figures the same)."""
    W = plan.W
    if len(plan.scattered):
        _scatter(st.pipe, (t + plan.scattered_delay) % W, plan.scattered, x[plan.scattered])
    for lv in plan.sliced_levels:
        sa = lv.sa
        for run in lv.delay_runs:
            st.pipe[(t + run.delay) % W, sa + run.start:sa + run.stop] += x[sa + run.start:sa + run.stop]
    total = plan.net.part_by_src @ x
    if plan.zero_to_part is not None:
        now = plan.zero_to_part @ x
        st.on_hand += now
        total -= now
    st.on_order += total


# --- the phases of a period -------------------------------------------------------------


def _events(plan: _Plan, st: _State, t: int) -> None:
    """Events start or end, sources and alternates qualify: re-route the columns that
    change; a blocked start loses the goods in transit of its columns."""
    net = plan.net
    if t in plan.changes:
        cols = sorted(plan.changes[t])
        routing = _routing(plan, cols, t, st.routing)
        if len(cols) == plan.K:
            st.routing = routing
        else:
            st.routing.update(cols, routing)
    if t in plan.blocked_starts:
        cols = []
        for k, sev_k in plan.blocked_starts[t]:
            st.pipe[:, :, k] *= (1.0 - sev_k)[None, :]
            cols.append(k)
        # recount only the columns that lost goods: a batch column gives the same bits
        # as its single run
        cols = sorted(set(cols))
        st.on_order[:, cols] = net.part_by_src @ st.pipe[:, :, cols].sum(axis=0)


def _routing(plan: _Plan, cols: list[int], t: int, previous: "_Routing | None") -> _Routing:
    """The routing of columns ``cols`` from period ``t`` on (``previous``: the one in
    force until now)."""
    net = plan.net
    sev = np.zeros((net.n_sources, len(cols)))
    for j, k in enumerate(cols):
        for ev in plan.events[k].events:
            if ev.start <= t < ev.stop:
                np.maximum(sev[:, j], ev.severity, out=sev[:, j])
    quota = np.where(sev > 0, (1.0 - sev) * net.src_ref_flow[:, None], np.inf)
    usable_src = plan.src_usable_from[:, cols] <= t
    usable_mem = plan.mem_usable_from[:, cols] <= t
    room = np.where(usable_src, np.minimum(quota, net.src_capacity[:, None]), 0.0)
    supply = _supply_capability(net, room)
    before = (lambda name: getattr(previous, name)[:, cols]) if previous is not None else None
    if before is not None and np.array_equal(before("supply"), supply) and np.array_equal(before("usable_mem"), usable_mem):
        # what can be supplied is as before (a source that qualified adds nothing to an
        # unlimited part, say): the requirements are too
        req, target = before("req"), before("target")
    else:
        req, target = _route(net, supply, usable_mem, len(cols))
    if before is not None and np.array_equal(before("usable_src"), usable_src):
        w_norm = before("w_norm")  # the same sources usable: the same split
    else:
        w_norm = _order_split(net, usable_src)
    return _Routing(quota, usable_src, usable_mem, supply, req, target, w_norm, room)


def _order_split(net: Network, usable_src: np.ndarray) -> np.ndarray:
    """(S, K): each source's part of its part's order, by share among the usable
    sources, equally where no usable one has a share."""
    src_part, part_by_src = net.src_part, net.part_by_src
    w = net.src_share[:, None] * usable_src
    wsum = part_by_src @ w
    n_usable = part_by_src @ usable_src.astype(float)
    equal = (wsum[src_part] <= 0) & usable_src
    if equal.any():
        w = np.where(equal, 1.0 / np.maximum(n_usable[src_part], 1.0), w)
        wsum = part_by_src @ w
    total = wsum[src_part]
    return np.where(total > 0, w / np.where(total > 0, total, 1.0), 0.0)


def _arrivals(plan: _Plan, st: _State, t: int) -> None:
    """What was shipped ``delay`` periods ago lands in stock."""
    slot = t % plan.W
    arrived = st.pipe[slot]
    if arrived.any():
        landed = plan.net.part_by_src @ arrived
        st.on_hand += landed
        st.on_order -= landed
    st.pipe[slot] = 0.0


@dataclass(eq=False)
class _Orders:
    """This period's orders: what each source ships now and what each part wants built."""

    order: np.ndarray  # (P, K) units ordered
    prod: np.ndarray  # (S, K) what each source makes (beyond its own stock)
    desired: np.ndarray  # (P, K) builds wanted of each assembly
    instant: np.ndarray | None  # (P, K) at most what lands this period from builds with no delay
    supply_short: np.ndarray  # (P, K) bool: could not place its requirement


def _ordering(plan: _Plan, st: _State, t: int) -> _Orders:
    """Each part orders its requirement plus the gap to its target position; the
    requirement splits by share, the gap and what a source cannot ship go to the
    quickest usable sources first. Parts without a BOM ship at once."""
    net, r = plan.net, st.routing
    src_part, part_by_src = net.src_part, net.part_by_src
    cap_src = net.src_capacity[:, None]
    # refills its parents asked for and did not get count against the position: the
    # part orders for them rather than lend out stock its own plan counts on
    short_pos = r.target - (st.on_hand + st.on_order)
    if st.backorder is not None:
        short_pos += st.backorder
    order = np.minimum(np.maximum(r.req + short_pos, 0.0), net.capacity[:, None])
    # under a capacity limit the expedited gap goes first, the share split after
    base = order - np.clip(short_pos, 0.0, order)
    alloc = base[src_part] * r.w_norm
    room = r.room if not st.has_src_stock else np.where(r.usable_src, np.minimum(r.quota, st.src_stock + cap_src), 0.0)
    ship = np.minimum(alloc, room)
    unmet = part_by_src @ (alloc - ship) + (order - base)
    if (unmet > _TOL).any():
        # only parts with a source that has room left can place more
        spare = part_by_src @ ((room - ship) > _TOL).astype(float)
        placeable = (unmet > _TOL) & (spare > 0)
        if placeable.any():
            _expedite(unmet, ship, room, r.w_norm, net.source_order, placeable)
    if st.has_src_stock:
        from_stock = np.minimum(ship, st.src_stock)
        st.src_stock -= from_stock
        st.has_src_stock = bool(st.src_stock.any())
    else:
        from_stock = np.zeros_like(ship)
    prod = ship - from_stock
    # sources of parts without a BOM ship everything now; assemblies ship their own
    # stock now and build below, limited by their children
    first = np.where(plan.is_leaf_src[:, None], ship, from_stock)
    _deliver_all(plan, st, first, t)
    desired = part_by_src @ np.where(plan.is_leaf_src[:, None], 0.0, prod)
    instant = plan.instant_to_part @ prod if plan.instant_to_part is not None else None
    return _Orders(
        order=order,
        prod=prod,
        desired=desired,
        instant=instant,
        # a refill beyond the requirement that finds no room is no bottleneck: it names
        # nothing a planner could act on
        supply_short=unmet > np.maximum(order - r.req, 0.0) + _TOL,
    )


@dataclass(eq=False)
class _Claims:
    """What each line member claims of its part, and the share of claims each part serves.

    A claim has two layers per priority tier: what the parent needs at its requirement
    (and an end item's own plan), and the rest -- a refill above the requirement, and
    what an alternate stands in for. Every tier's requirement is served first, highest
    priority first; then the rest, by tier. The rest is served only
    from stock the requirement of the coming periods does not count on (see
    :func:`_spare`), so a sibling's refill never starves a line that can build; a refill
    left unserved becomes a backorder the part orders for. ``by_part``
    sums the claims per layer and part, ``rho`` the fraction of each layer a part
    serves once its stock is final. Layer ``2q`` is tier ``q``'s requirement, ``2q +
    1`` its rest; ``refill`` is the part of each tier's rest that primaries claim.
    """

    base: np.ndarray  # (M, K) the claim at the parent's requirement
    rest_mem: np.ndarray  # the claims beyond it, few: member, column, units, by member then column
    rest_col: np.ndarray
    rest: np.ndarray
    refill: np.ndarray | None  # (tiers, P, K) the primaries' claims beyond the requirement, per part
    by_part: np.ndarray  # (layers, P, K)
    rho: np.ndarray  # (layers, P, K)
    line_reach: np.ndarray  # (L, K) units of its parent a line's members could make, had it their whole stock
    has_rest: bool = True  # some claim goes beyond the requirement (else the rest layers are empty)


def _buildable(plan: _Plan, st: _State, orders: _Orders) -> tuple[np.ndarray, np.ndarray]:
    """Per part: the builds it wants, capped by what each of its lines could get this
    period had it its members' whole stock (and their output with no delay); and per
    line, those units of the parent. A parent that cannot build -- another of its
    inputs is cut -- claims nothing of the children it shares with a sibling that can.
    """
    net, r = plan.net, st.routing
    ub = orders.desired.copy()
    held = st.on_hand + orders.instant if orders.instant is not None else st.on_hand
    reach = held[net.mem_part]
    if len(plan.alt_mem):  # a line's own child is always usable; an alternate once qualified
        reach[plan.alt_mem] *= r.usable_mem[plan.alt_mem]
    per_unit = (net.line_by_mem @ reach) / net.line_qty[:, None]
    lim = np.minimum.reduceat(per_unit, plan.assembly_line_starts, axis=0)
    ub[plan.assemblies] = np.minimum(ub[plan.assemblies], lim)
    return ub, per_unit


def _claims(plan: _Plan, st: _State, orders: _Orders) -> _Claims:
    """A line claims what its parent can build from its child, and what the child's
    stock cannot cover from each usable alternate; an end item's plan claims its own
    stock. The claim up to the parent's requirement comes first (see :class:`_Claims`)."""
    net, r = plan.net, st.routing
    P, K, M = net.n_parts, plan.K, len(net.mem_line)
    layers = 2 * net.n_tiers
    by_part = np.zeros((layers, P, K))
    for q in range(net.n_tiers):
        by_part[2 * q] += plan.rate * plan.demand_in_tier[q]
    none = np.zeros(0, dtype=np.int64)
    if not M:
        return _Claims(np.zeros((0, K)), none, none, np.zeros(0), None, by_part,
                       np.ones((layers, P, K)), np.zeros((0, K)), has_rest=False)
    ub, line_reach = _buildable(plan, st, orders)
    capped = np.minimum(ub, r.req)
    base = plan.line_qty_mem * capped[plan.mem_parent]
    if len(plan.alt_mem):
        base[plan.alt_mem] = 0.0  # an alternate only stands in: nothing at the requirement
    for q in range(net.n_tiers):
        by_part[2 * q] += net.part_by_mem @ (base * plan.mem_in_tier[q] if plan.tiered else base)
    # beyond the requirement claim only the members of parents refilling and the
    # alternates in use: few, so they are kept and summed where they are
    par, col = _cells(ub > capped)
    n = plan.parent_mem_ptr[par + 1] - plan.parent_mem_ptr[par]
    mem = np.repeat(plan.parent_mem_ptr[par], n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    col = np.repeat(col, n)
    keep = net.mem_is_primary[mem]
    mem, col = mem[keep], col[keep]
    qty = plan.line_qty_mem[mem, 0]
    val = qty * ub[net.line_parent[net.mem_line[mem]], col] - qty * capped[net.line_parent[net.mem_line[mem]], col]
    if len(plan.alt_mem):
        claim = plan.line_qty_mem[plan.alt_mem] * ub[plan.mem_parent[plan.alt_mem]]
        short = np.maximum(claim - st.on_hand[plan.alt_primary_part], 0.0) * r.usable_mem[plan.alt_mem]
        a_row, a_col = _cells(short > 0)
        mem = np.concatenate([mem, plan.alt_mem[a_row]])
        col = np.concatenate([col, a_col])
        val = np.concatenate([val, short[a_row, a_col]])
    order = np.lexsort((col, mem))
    mem, col, val = mem[order], col[order], val[order]
    keep = val > 0
    mem, col, val = mem[keep], col[keep], val[keep]
    has_rest = len(mem) > 0
    refill = np.zeros((net.n_tiers, P, K)) if has_rest else None
    if has_rest:
        # in member order, as the matrix would sum them
        cell = net.mem_part[mem] * K + col
        tier = net.mem_tier[mem] if plan.tiered else np.zeros(len(mem), dtype=np.int64)
        primary = net.mem_is_primary[mem]
        for q in range(net.n_tiers):
            in_q = tier == q
            by_part[2 * q + 1] = np.bincount(cell[in_q], weights=val[in_q], minlength=P * K).reshape(P, K)
            sel = in_q & primary
            refill[q] = np.bincount(cell[sel], weights=val[sel], minlength=P * K).reshape(P, K)
    return _Claims(base, mem, col, val, refill, by_part, np.ones((layers, P, K)), line_reach, has_rest=has_rest)


def _settle(plan: _Plan, st: _State, claims: _Claims, a: int, b: int, t: int, produced_t: np.ndarray) -> None:
    """Parts [a, b) have their final stock: ration it over their claims, layer by layer
    (see :class:`_Claims`), and let the end items among them deliver."""
    on_hand, rho = st.on_hand, claims.rho
    left = np.maximum(on_hand[a:b], 0.0)
    tiers = len(rho) // 2
    # every tier's requirement first, highest priority first ...
    for q in range(0, 2 * tiers, 2):
        c = claims.by_part[q, a:b]
        give = np.minimum(c, left)
        np.divide(give, c, out=rho[q, a:b], where=c > _TOL)  # 1 where nothing is claimed
        left = left - give
    if not claims.has_rest:  # nothing goes beyond the requirement: those layers are served whole
        return _deliver_end_items(plan, st, claims, a, produced_t)
    # ... then what goes beyond it, by tier, from stock no coming period's requirement
    # (of any tier) counts on
    planned = claims.by_part[0:2 * tiers:2, a:b].sum(axis=0) if tiers > 1 else claims.by_part[0, a:b]
    for q in range(1, 2 * tiers, 2):
        c = claims.by_part[q, a:b]
        claimed = c > _TOL
        if claimed.any():
            layer = rho[q, a:b]
            layer[claimed] = 0.0  # nothing, unless there is spare stock
            need = _cells(claimed & (left > 0.0))
            if len(need[0]):
                give = c[need]
                # what is sure to be spare: the stock beyond every period's requirement
                # over the look-ahead, with nothing due (a margin keeps this exact)
                ahead = plan.part_ahead[need[0] + a]
                unsure = np.flatnonzero(left[need] - ahead * planned[need] < give * (1 + 1e-9) + 1e-9)
                if len(unsure):
                    pick = (need[0][unsure], need[1][unsure])
                    give[unsure] = np.minimum(give[unsure], _spare(plan, st, pick[0] + a, pick[1], left[pick],
                                                                   planned[pick], t))
                layer[need] = give / c[need]
                left[need] -= give
    _deliver_end_items(plan, st, claims, a, produced_t)


def _deliver_end_items(plan: _Plan, st: _State, claims: _Claims, a: int, produced_t: np.ndarray) -> None:
    """The end items of the level starting at part ``a`` deliver what their share of
    their own stock allows, never above plan."""
    on_hand, rho = st.on_hand, claims.rho
    ends = plan.ends_in.get(a)
    if ends is not None:
        rate = plan.rate
        r_end = rho[2 * plan.net.demand_tier[ends], ends]
        out = np.minimum(rate[ends], r_end * rate[ends])
        out = np.minimum(out, on_hand[ends])
        on_hand[ends] -= out
        produced_t[plan.end_pos[ends]] = out


def _spare(plan: _Plan, st: _State, parts: np.ndarray, cols: np.ndarray, left: np.ndarray,
           planned: np.ndarray, t: int) -> np.ndarray:
    """What parts can give beyond their requirement claims without missing them later.

    For each (part, column) pair: the stock ``left`` after this period's requirement
    claims, less the worst shortfall ahead -- over the part's longest delay, the periods
    before anything it orders now can land, the requirement ``planned`` each period
    against the goods already due. A refill or an alternate takes only that, so it
    never takes what the requirement of a coming period counts on.
    """
    net, W = plan.net, plan.W
    if W <= 1:
        return left
    ptr = net.src_by_part_ptr
    n = ptr[parts + 1] - ptr[parts]
    pair = np.repeat(np.arange(len(parts)), n)
    flat = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    srcs = net.src_by_part[np.repeat(ptr[parts], n) + flat]
    # a pair looks ahead over its part's longest delay: from then on what the part orders
    # now (backorders included) lands too
    starts = np.cumsum(n) - n  # every part has a source
    ahead = np.maximum.reduceat(net.src_delay[srcs], starts)
    if not ahead.max(initial=0):
        return left
    j = np.arange(1, int(ahead.max()) + 1)
    # one flat gather: (periods ahead, sources of the pairs)
    S, K = st.pipe.shape[1:]
    at = ((t + j) % W * (S * K))[:, None] + (srcs * K + cols[pair])[None, :]
    due = st.pipe.reshape(-1).take(at)
    if len(srcs) > len(parts):
        due = np.add.reduceat(due, starts, axis=1)
    short = np.cumsum(due - planned[None, :], axis=0)
    short[j[:, None] > ahead[None, :]] = 0.0
    worst = np.minimum(short.min(axis=0), 0.0)
    return np.clip(left + worst, 0.0, left)


def _build_level(plan: _Plan, st: _State, orders: _Orders, claims: _Claims, lv: Level, t: int) -> None:
    """A level's assemblies build from their children's stock, as far as their lines allow."""
    net, r = plan.net, st.routing
    src_part = net.src_part
    line_qty = net.line_qty[:, None]
    m = slice(lv.ma, lv.mb)
    part = net.mem_part[m]
    # what each member may take: its share of the part's stock, layer by layer (a claim on
    # an alternate not yet usable is 0 already)
    layer = 2 * net.mem_tier[m] if plan.tiered else None
    ent = claims.rho[0][part] * claims.base[m] if layer is None else claims.rho[layer, part] * claims.base[m]
    if claims.has_rest:
        lo, hi = np.searchsorted(claims.rest_mem, (lv.ma, lv.mb))
        if hi > lo:
            mem, col = claims.rest_mem[lo:hi], claims.rest_col[lo:hi]
            upper = 2 * net.mem_tier[mem] + 1 if plan.tiered else 1
            ent[mem - lv.ma, col] += claims.rho[upper, net.mem_part[mem], col] * claims.rest[lo:hi]
    line_av = lv.line_by_mem @ ent
    ratio = line_av / line_qty[lv.la:lv.lb]
    lim = np.minimum.reduceat(ratio, lv.parent_starts, axis=0)
    dsl = orders.desired[lv.a:lv.b]
    build = np.minimum(dsl, lim)
    # consume children: each line takes its need from its members in order
    need = line_qty[lv.la:lv.lb] * build[net.line_parent[lv.la:lv.lb] - lv.a]
    need_m = need[net.mem_line[m] - lv.la]
    take = _in_line_order(np.minimum(need_m, ent), need_m, lv, ent)
    st.on_hand[lv.touched] -= lv.part_by_mem @ take
    # build output: at plan each source builds what it wanted; short of children, the
    # quickest sources build first (equal delays in proportion to what they wanted), so
    # scarce material is not sent down a slow route
    srcs = slice(lv.sa, lv.sb)
    frac = np.where(dsl > _TOL, build / np.where(dsl > _TOL, dsl, 1.0), 0.0)
    out = orders.prod[srcs] * frac[src_part[srcs] - lv.a]
    held_back = build < dsl - _TOL
    if len(lv.rank_groups) > 1 and (n_back := np.count_nonzero(held_back)):
        if n_back * 8 < held_back.size:  # few: work on their sources alone
            out = _quickest_first(lv, orders.prod[srcs], build, held_back, out)
        else:
            out = _quickest_first_level(lv, orders.prod[srcs], build, held_back, out)
    _deliver(plan, st, lv, out, t)
    # why a part fell short of its requirement (building above it to refill the pipeline
    # is not a shortfall): a binding line's child, or its own supply
    cause = st.cause
    mat_short = build < np.minimum(dsl, r.req[lv.a:lv.b]) - _TOL
    if mat_short.any():
        # the binding lines; of those, the one whose members could make the fewest units
        # (a parent that cannot build claims nothing, so every line looks alike), the
        # first on a tie
        par = net.line_parent[lv.la:lv.lb] - lv.a
        binding = ratio <= lim[par] + _TOL
        reach = np.where(binding, claims.line_reach[lv.la:lv.lb], np.inf)
        least = np.minimum.reduceat(reach, lv.parent_starts, axis=0)
        pick = binding & (reach <= least[par] + _TOL)
        score = np.where(pick, -np.arange(lv.la, lv.lb)[:, None], -np.iinfo(np.int64).max)
        first = -np.maximum.reduceat(score, lv.parent_starts, axis=0)
        first = np.clip(first, lv.la, max(lv.lb - 1, lv.la))
        cause[lv.a:lv.b] = np.where(mat_short, net.primary_part_of_line[first], cause[lv.a:lv.b])
    sshort = orders.supply_short[lv.a:lv.b] & ~mat_short
    if sshort.any():
        cause[lv.a:lv.b] = np.where(sshort, np.arange(lv.a, lv.b)[:, None], cause[lv.a:lv.b])


def _quickest_first(lv: Level, want: np.ndarray, build: np.ndarray, held_back: np.ndarray,
                    out: np.ndarray) -> np.ndarray:
    """``out`` with the sources of the parts held back (``build`` below what they
    wanted) building quickest first: each delay rank in turn gets what is left, its
    sources in proportion to what they ``want``."""
    parts, cols = _cells(held_back)
    ptr = lv.part_src_ptr
    n = ptr[parts + 1] - ptr[parts]
    pair = np.repeat(np.arange(len(parts)), n)
    at = np.repeat(ptr[parts], n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    src, col, rank = lv.part_src[at], cols[pair], lv.part_src_rank[at]
    w = want[src, col]
    left = build[parts, cols].copy()
    quick = np.zeros(len(src))
    for r in range(int(rank.max(initial=-1)) + 1):
        sel = np.flatnonzero(rank == r)
        tot = np.bincount(pair[sel], weights=w[sel], minlength=len(parts))
        f = np.where(tot > _TOL, np.minimum(1.0, left / np.where(tot > _TOL, tot, 1.0)), 0.0)
        quick[sel] = w[sel] * f[pair[sel]]
        left = np.maximum(left - np.bincount(pair[sel], weights=quick[sel], minlength=len(parts)), 0.0)
    out = out.copy()
    out[src, col] = quick
    return out


def _quickest_first_level(lv: Level, want: np.ndarray, build: np.ndarray, held_back: np.ndarray,
                          out: np.ndarray) -> np.ndarray:
    """:func:`_quickest_first` over the whole level at once (the same figures)."""
    quick = np.zeros_like(want)
    left = build.copy()
    for g in lv.rank_groups:
        idx = g.positions
        tot = g.to_part @ want[idx]
        f = np.where(tot > _TOL, np.minimum(1.0, left / np.where(tot > _TOL, tot, 1.0)), 0.0)
        quick[idx] = want[idx] * f[g.owner]
        left = np.maximum(left - g.to_part @ quick[idx], 0.0)
    return np.where(held_back[lv.src_owner], quick, out)


def _building(plan: _Plan, st: _State, orders: _Orders, t: int, produced_t: np.ndarray) -> None:
    """Leaves up: settle each level's stock over its claims, build the next level."""
    net = plan.net
    claims = _claims(plan, st, orders)
    levels = net.levels
    _settle(plan, st, claims, levels[0].a, levels[0].b, t, produced_t)
    for lv in levels[1:]:
        if lv.has_lines:
            _build_level(plan, st, orders, claims, lv, t)
        _settle(plan, st, claims, lv.a, lv.b, t, produced_t)
    if claims.refill is None:
        st.backorder = None
    else:
        st.backorder = sum(claims.refill[q] * (1.0 - claims.rho[2 * q + 1]) for q in range(plan.net.n_tiers))


def _bottleneck(plan: _Plan, st: _State, produced_t: np.ndarray, bneck_t: np.ndarray) -> None:
    """The part behind each end item's shortfall: follow the causes down the levels."""
    net = plan.net
    short = produced_t < plan.rate[net.end_idx] - PLAN_TOLERANCE
    if short.any():
        kk = np.arange(plan.K)
        ptr = np.repeat(net.end_idx[:, None], plan.K, axis=1)
        for _ in range(net.n_levels):
            ptr = st.cause[ptr, kk[None, :]]
        bneck_t[:] = np.where(short, ptr, -1)


@dataclass(frozen=True, eq=False)
class _Trace:
    """A block's output: (T, E, K) produced units and bottleneck part indices (-1 =
    none), and (T, P, K) stock on hand at each period's end when recorded."""

    produced: np.ndarray
    bottleneck: np.ndarray
    stock: np.ndarray | None


def _simulate(net: Network, events: list[ScenarioEvents], T: int, record_stock: bool) -> _Trace:
    plan = _plan(net, events, T)
    st = _steady_state(plan)
    E = len(net.end_items)
    produced = np.zeros((T, E, plan.K))
    bneck = np.full((T, E, plan.K), -1, dtype=np.int64)
    stock = np.zeros((T, net.n_parts, plan.K)) if record_stock else None
    for t in range(T):
        _events(plan, st, t)
        _arrivals(plan, st, t)
        orders = _ordering(plan, st, t)
        _building(plan, st, orders, t, produced[t])
        _bottleneck(plan, st, produced[t], bneck[t])
        np.maximum(st.on_hand, 0.0, out=st.on_hand)  # fluid rounding: never a negative stock
        if stock is not None:
            stock[t] = st.on_hand
    return _Trace(produced, bneck, stock)


# --- the whole run ----------------------------------------------------------------------


def run_batch(
    model: Model,
    scenarios: list[Scenario | None],
    *,
    horizon: int | None = None,
    record_stock: bool = False,
) -> BatchResult:
    """Simulate K scenarios at once; see the module docstring for the rules.

    Each scenario runs on the model as its ``overrides`` change it
    (:func:`supplychain.apply`); scenarios with the same overrides share one batched
    pass. Every scenario is checked against its model first (unknown countries, ids,
    tags), all problems reported in one :class:`~supplychain.errors.ModelError`.
    """
    if not scenarios:
        return BatchResult()
    groups: dict[str, tuple[Model, list[int]]] = {}
    for k, s in enumerate(scenarios):
        key = overrides_key(s.overrides) if s is not None and s.overrides else ""
        if key not in groups:
            groups[key] = (apply(model, s.overrides) if key else model, [])
        groups[key][1].append(k)
    problems = []
    for derived, members in groups.values():
        vocab = compile_network(derived).vocabulary
        for k in members:
            if scenarios[k] is not None:
                where = f"scenarios[{k}]" if len(scenarios) > 1 else None
                problems += [Problem(p.message, p.path, where)
                             for p in check_scenario(vocab, scenarios[k], horizon=horizon)]
    if problems:
        raise ModelError(problems)
    for derived, members in groups.values():
        for k in members:
            if scenarios[k] is not None:
                for text in event_warnings(compile_network(derived), scenarios[k]):
                    warnings.warn(text, ModelWarning, stacklevel=3)
    results: list[SimulationResult | None] = [None] * len(scenarios)
    for derived, members in groups.values():
        for k, r in zip(members, _run(derived, [scenarios[k] for k in members], horizon, record_stock)):
            results[k] = r
    return BatchResult(results)


def _run(model: Model, scenarios: list[Scenario | None], horizon: int | None,
         record_stock: bool) -> list[SimulationResult]:
    """Simulate scenarios that all run on ``model`` (their overrides already in it)."""
    cm = compile_network(model)
    horizons = [horizon or (s.horizon if s is not None else DEFAULT_HORIZON) for s in scenarios]
    T = max(horizons)
    K = len(scenarios)
    resolved = [resolve_events(cm, s) for s in scenarios]
    # columns run in blocks of about _CELLS state cells: past that, the (parts x K)
    # temporaries fall out of cache and one wide pass is slower than several narrow
    # ones. Each column gives the bits of its single run, so blocking changes nothing.
    step = max(1, min(K, _CELLS // max(cm.n_parts, 1)))
    blocks = [_simulate(cm, resolved[i:i + step], T, record_stock) for i in range(0, K, step)]
    produced = np.concatenate([b.produced for b in blocks], axis=2)
    bneck = np.concatenate([b.bottleneck for b in blocks], axis=2)
    stock = np.concatenate([b.stock for b in blocks], axis=2) if record_stock else None
    if not np.isfinite(produced).all():
        # the bounds on every amount keep sums finite; a model built around them must
        # not come out as null ("never happened")
        raise SupplyChainError("the simulation overflowed (a quantity beyond 1e15 somewhere in the model); "
                               "check the model's rates, quantities and stock")
    results = []
    for k, (s, ev, h) in enumerate(zip(scenarios, resolved, horizons)):
        items = {}
        for j, e in enumerate(cm.end_items):
            rate = cm.demand_rate[cm.end_idx[j]]
            items[e] = EndItemResult(
                item=e,
                planned=np.full(h, rate),
                produced=produced[:h, j, k].copy(),
                unit_value=float(cm.unit_value[j]),
                event_start=ev.first_start,
                bottleneck=tuple(cm.part_ids[b] if b >= 0 else None for b in bneck[:h, j, k]),
            )
        results.append(SimulationResult(
            scenario=s.name if s is not None else None,
            horizon=h,
            period=cm.period,
            event_start=ev.first_start,
            end_items=items,
            stock=({pid: stock[:h, i, k].copy() for i, pid in enumerate(cm.part_ids)} if record_stock else None),
            start_date=s.start_date if s is not None else None,
            events=tuple(EventWindow(e.name, e.kind, e.start, None if e.stop >= NEVER else e.stop,
                                     int(np.count_nonzero(e.severity)) if e.stop > e.start else 0,
                                     frozenset(cm.part_ids[i] for i in np.flatnonzero(reached_parts(cm, e.severity)))
                                     if e.stop > e.start else frozenset())
                         for e in ev.events),
        ))
    return results


# --- helpers ----------------------------------------------------------------------------


def _in_line_order(values: np.ndarray, need: np.ndarray, lv: Level, cap: np.ndarray) -> np.ndarray:
    """Fill each line's ``need`` from its members in order, each up to ``cap``.

    ``values`` gives the answer for a line's first member (min(need, cap)); later
    members take what the members before them in the same line could not cover. The
    running sum never crosses lines, so an unlimited member (a huge ``cap``) in one
    line cannot swamp another line's figures.
    """
    if not lv.multi_steps:
        return values
    out = values.copy()
    before = np.zeros_like(cap)
    for idx, prev in lv.multi_steps:
        before[idx] = before[prev] + cap[prev]
        out[idx] = np.clip(need[idx] - before[idx], 0.0, cap[idx])
    return out


def _expedite(unmet, ship, room, w_norm, by_part, placeable) -> None:
    """Place ``unmet`` (parts x K) where ``placeable`` on the part's sources with room
    left, the quickest (lowest delay) first; sources of equal delay share it by order
    weight (equally where none has a weight), each up to its room. Updates ``ship`` and
    ``unmet`` in place.

    Works on the (part, column) pairs concerned only, as flat arrays: a batch costs what
    its columns need, and each column gets the bits of its single run.
    """
    order, start, count, rank_sorted = by_part.order, by_part.start, by_part.count, by_part.rank
    pp, cc = np.nonzero(placeable)
    n = count[pp]
    total = int(n.sum())
    pair = np.repeat(np.arange(len(pp)), n)
    offset = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    pos = np.repeat(start[pp], n) + offset
    src, col, rank = order[pos], cc[pair], rank_sorted[pos]
    left = unmet[pp, cc].copy()
    sh = ship[src, col]
    rm = room[src, col]
    w = w_norm[src, col]
    npair = len(pp)
    for r in range(int(rank.max(initial=-1)) + 1):
        sel = np.flatnonzero(rank == r)
        if not len(sel):
            continue
        p_sel = pair[sel]
        for _ in range(2):  # a second pass spreads what a full source of the rank left
            lft = np.where(left > _TOL, left, 0.0)  # a leftover under the tolerance stays
            if not lft.any():
                break
            rem = rm[sel] - sh[sel]
            has_room = rem > _TOL
            v = np.where(has_room, w[sel], 0.0)
            vsum = np.bincount(p_sel, weights=v, minlength=npair)
            v = np.where((vsum[p_sel] <= 0) & has_room, 1.0, v)
            vsum = np.bincount(p_sel, weights=v, minlength=npair)
            share = np.where(vsum[p_sel] > 0, lft[p_sel] * v / np.where(vsum[p_sel] > 0, vsum[p_sel], 1.0), 0.0)
            extra = np.clip(np.minimum(share, rem), 0.0, None)
            sh[sel] += extra
            left -= np.bincount(p_sel, weights=extra, minlength=npair)
    ship[src, col] = sh
    unmet[pp, cc] = left


def _supply_capability(cm: Network, room: np.ndarray) -> np.ndarray:
    """(P, K): what each part's sources can ship a period (``room`` each, 0 when not
    usable), capped by its capacity."""
    return np.minimum(cm.capacity[:, None], cm.part_by_src @ np.minimum(room, _BIG))


def _route(cm: Network, supply: np.ndarray, usable_mem, K: int) -> tuple[np.ndarray, np.ndarray]:
    """Requirements per part when each line's need follows capability (see module doc),
    given each part's :func:`_supply_capability`, and each part's target position:
    ``(req, target)``, both (P, K)."""
    levels = cm.levels
    capab = supply.copy()
    line_qty = cm.line_qty[:, None]
    for lv in levels[1:]:
        if lv.lb == lv.la:
            continue
        m = slice(lv.ma, lv.mb)
        mem_cap = np.minimum(capab[cm.mem_part[m]], _BIG) * usable_mem[m]
        line_cap = (lv.line_by_mem @ mem_cap) / line_qty[lv.la:lv.lb]
        lim = np.minimum.reduceat(line_cap, lv.parent_starts, axis=0)
        capab[lv.a:lv.b] = np.minimum(capab[lv.a:lv.b], lim)
    capab = np.minimum(capab, _BIG)
    req = np.repeat(cm.demand_rate[:, None], K, axis=1)
    for lv in reversed(levels[1:]):
        if lv.lb == lv.la:
            continue
        m = slice(lv.ma, lv.mb)
        need = line_qty[lv.la:lv.lb] * req[cm.line_parent[lv.la:lv.lb]]
        need_m = need[cm.mem_line[m] - lv.la]
        mcap = capab[cm.mem_part[m]] * usable_mem[m]
        alloc = _in_line_order(np.minimum(need_m, mcap), need_m, lv, mcap)
        # what no member can cover stays with the line's own child
        left = need - lv.line_by_mem @ alloc
        prim = cm.line_primary[lv.la:lv.lb] - lv.ma
        alloc[prim] += np.maximum(left, 0.0)
        req[lv.touched] += lv.part_by_mem @ alloc
    target = cm.stock0[:, None] + req * cm.pipe_len[:, None]
    return req, target
