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
   short for several parents is rationed in proportion to their claims (at plan, their
   steady-state requirement), or, where end items have a ``priority``, to the parents
   serving the higher priority first (a part inherits the highest priority of the end
   items it serves; no priority ranks lowest). When children limit a part's build,
   its quickest sources build first. Output lands after the delay; zero-delay output
   is usable by the parents in the same period.
4. **Requirements** follow capability: a BOM line's requirement goes to its child
   while the child can be supplied, and to its usable alternates, in order, for what
   the child cannot cover. It is recomputed only when something changes (an event
   starts or stops, a source or alternate becomes usable).

Not-yet-qualified sources and alternates become usable ``qualification_time`` periods
after the trigger: the start of the first event that stops a flow of that part, or of
a part in its BOM (for an alternate: of the line's child).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supplychain.errors import ModelError, Problem
from supplychain.model.checks import check_scenario
from supplychain.model.schema import DEFAULT_HORIZON, Model, Scenario
from supplychain.network import Level, Network, compile_network
from supplychain.network.whatif import apply, overrides_key
from supplychain.sim.events import ScenarioEvents, resolve_events
from supplychain.sim.results import PLAN_TOLERANCE, EndItemResult, SimulationResult

__all__ = ["run_batch"]

_BIG = 1e18  # stands in for "unlimited" where differences are taken
_TOL = 1e-9
_CELLS = 1 << 20


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


def run_batch(
    model: Model,
    scenarios: list[Scenario | None],
    *,
    horizon: int | None = None,
    record_stock: bool = False,
) -> list[SimulationResult]:
    """Simulate K scenarios at once; see the module docstring for the rules.

    Each scenario runs on the model as its ``overrides`` change it
    (:func:`supplychain.apply`); scenarios with the same overrides share one batched
    pass. Every scenario is checked against its model first (unknown countries, ids,
    tags), all problems reported in one :class:`~supplychain.errors.ModelError`.
    """
    if not scenarios:
        return []
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
                problems += [Problem(p.message, p.path, where) for p in check_scenario(vocab, scenarios[k])]
    if problems:
        raise ModelError(problems)
    results: list[SimulationResult | None] = [None] * len(scenarios)
    for derived, members in groups.values():
        for k, r in zip(members, _run(derived, [scenarios[k] for k in members], horizon, record_stock)):
            results[k] = r
    return results


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
    produced = np.concatenate([b[0] for b in blocks], axis=2)
    bneck = np.concatenate([b[1] for b in blocks], axis=2)
    stock = np.concatenate([b[2] for b in blocks], axis=2) if record_stock else None
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
        ))
    return results


def _simulate(cm: Network, resolved: list[ScenarioEvents], T: int, record_stock: bool):
    P, S, K = cm.n_parts, cm.n_sources, len(resolved)
    levels = cm.levels
    E = len(cm.end_items)
    W = cm.max_delay + 1
    src_part = cm.src_part
    is_leaf_src = ~cm.has_bom[src_part]
    is_end = cm.demand_rate > 0
    rate = cm.demand_rate[:, None]
    cap_src = cm.src_capacity[:, None]
    part_by_src = cm.part_by_src
    kk = np.arange(K)
    prim_part = cm.primary_part_of_line
    line_qty_mem = cm.line_qty[cm.mem_line][:, None]
    mem_parent = cm.line_parent[cm.mem_line]
    alt_mem = np.flatnonzero(~cm.mem_is_primary)
    alt_primary_part = prim_part[cm.mem_line[alt_mem]]
    tiered = cm.n_tiers > 1
    mem_in_tier = [(cm.mem_tier == q)[:, None] for q in range(cm.n_tiers)]
    demand_in_tier = [(cm.demand_tier == q)[:, None] for q in range(cm.n_tiers)]
    end_pos = np.full(P, -1, dtype=np.int64)
    end_pos[cm.end_idx] = np.arange(E)
    by_part = cm.source_order

    # --- the steady state: pipelines full at the normal flow
    base_flow = (cm.src_share * cm.requirement[src_part])[:, None]  # (S, 1)
    pipe = np.zeros((W, S, K))
    for d in np.unique(cm.src_delay):
        if d == 0:
            continue
        idx = np.flatnonzero(cm.src_delay == d)
        for j in range(d):  # arrivals at periods 0 .. d-1
            pipe[j % W, idx, :] = base_flow[idx]
    on_order = part_by_src @ pipe.sum(axis=0)
    on_hand = np.repeat(cm.stock0[:, None], K, axis=1)
    src_stock = np.repeat(cm.src_stock0[:, None], K, axis=1)
    has_src_stock = bool(src_stock.any())
    cause = np.repeat(np.arange(P)[:, None], K, axis=1)

    produced = np.zeros((T, E, K))
    bneck = np.full((T, E, K), -1, dtype=np.int64)
    stock_hist = np.zeros((T, P, K)) if record_stock else None

    src_usable_from = np.stack([r.src_usable_from for r in resolved], axis=1) if S else np.zeros((0, K), dtype=np.int64)
    mem_usable_from = np.stack([r.mem_usable_from for r in resolved], axis=1) if len(cm.mem_line) else np.zeros((0, K), dtype=np.int64)
    # the periods where each column's events or usable sources change: only those
    # columns are recomputed there (in a batch of varied scenarios, most periods change
    # something for some column, rarely for all)
    change: dict[int, list[int]] = {}
    for k, r in enumerate(resolved):
        points = {0}
        for ev in r.events:
            points.update(x for x in (ev.start, ev.stop) if x < T)
        points.update(int(x) for x in np.unique(src_usable_from[:, k]) if x < T)
        points.update(int(x) for x in np.unique(mem_usable_from[:, k]) if x < T)
        for x in points:
            change.setdefault(x, []).append(k)
    starts_blocked = {}
    for k, r in enumerate(resolved):
        for ev in r.events:
            if ev.blocked and ev.start < T and ev.stop > ev.start:
                starts_blocked.setdefault(ev.start, []).append((k, ev.severity))

    base_w = cm.src_share[:, None]
    req = target = quota = usable_src = usable_mem = None
    line_qty = cm.line_qty[:, None]

    def deliver(x: np.ndarray, lv: Level, t: int) -> None:
        """Shipments ``x`` of a level's sources: into the pipeline, or straight into
        stock when their delay is zero."""
        sa, parts = lv.sa, slice(lv.a, lv.b)
        for run in lv.delay_runs:
            pipe[(t + run.delay) % W, sa + run.start:sa + run.stop] += x[run.start:run.stop]
        total = lv.src_to_part @ x
        zero = lv.zero_run
        if zero is not None:
            now = lv.src_to_part[:, zero.start:zero.stop] @ x[zero.start:zero.stop]
            on_hand[parts] += now
            total -= now
        on_order[parts] += total

    for t in range(T):
        # --- events and qualification: recompute only when something changes
        if t in change:
            cols = sorted(change[t])
            sev = np.zeros((S, len(cols)))
            for j, k in enumerate(cols):
                for ev in resolved[k].events:
                    if ev.start <= t < ev.stop:
                        np.maximum(sev[:, j], ev.severity, out=sev[:, j])
            q = np.where(sev > 0, (1.0 - sev) * cm.src_ref_flow[:, None], np.inf)
            u_src = src_usable_from[:, cols] <= t
            u_mem = mem_usable_from[:, cols] <= t
            r_, tg = _route(cm, levels, q, u_src, u_mem, len(cols))
            # order split: shares among usable sources, equal where no usable one has a share
            w = base_w * u_src
            wsum = part_by_src @ w
            n_usable = part_by_src @ u_src.astype(float)
            w = np.where((wsum[src_part] <= 0) & u_src, 1.0 / np.maximum(n_usable[src_part], 1.0), w)
            wsum = part_by_src @ w
            wn = np.where(wsum[src_part] > 0, w / np.where(wsum[src_part] > 0, wsum[src_part], 1.0), 0.0)
            rs = np.where(u_src, np.minimum(q, cap_src), 0.0)
            if len(cols) == K:
                quota, usable_src, usable_mem, req, target, w_norm, room_static = q, u_src, u_mem, r_, tg, wn, rs
            else:
                for whole, part in ((quota, q), (usable_src, u_src), (usable_mem, u_mem), (req, r_),
                                    (target, tg), (w_norm, wn), (room_static, rs)):
                    whole[:, cols] = part
        if t in starts_blocked:
            cols = []
            for k, sev_k in starts_blocked[t]:
                pipe[:, :, k] *= (1.0 - sev_k)[None, :]
                cols.append(k)
            # recount only the columns that lost goods: a batch column gives the same
            # bits as its single run
            cols = sorted(set(cols))
            on_order[:, cols] = part_by_src @ pipe[:, :, cols].sum(axis=0)

        # --- 1. arrivals
        slot = t % W
        arrived = pipe[slot]
        if arrived.any():
            landed = part_by_src @ arrived
            on_hand += landed
            on_order -= landed
        pipe[slot] = 0.0

        # --- 2. ordering: the requirement splits by share; the gap to the target
        # position, and whatever a source cannot ship, goes to the quickest usable
        # sources first (a shortfall is expedited, not queued behind a slow pipeline)
        short_pos = target - (on_hand + on_order)
        order = np.minimum(np.maximum(req + short_pos, 0.0), cm.capacity[:, None])
        # under a capacity limit the expedited gap goes first, the share split after
        base = order - np.clip(short_pos, 0.0, order)
        alloc = base[src_part] * w_norm
        room = room_static if not has_src_stock else np.where(usable_src, np.minimum(quota, src_stock + cap_src), 0.0)
        ship = np.minimum(alloc, room)
        unmet = part_by_src @ (alloc - ship) + (order - base)
        if (unmet > _TOL).any():
            # only parts with a source that has room left can place more
            spare = part_by_src @ ((room - ship) > _TOL).astype(float)
            placeable = (unmet > _TOL) & (spare > 0)
            if placeable.any():
                _expedite(unmet, ship, room, w_norm, by_part, placeable)
        if has_src_stock:
            from_stock = np.minimum(ship, src_stock)
            src_stock -= from_stock
            has_src_stock = bool(src_stock.any())
        else:
            from_stock = np.zeros_like(ship)
        prod = ship - from_stock
        # sources of parts without a BOM ship everything now; assemblies ship their own
        # stock now and build below, limited by their children
        first = np.where(is_leaf_src[:, None], ship, from_stock)
        for lv in levels:
            deliver(first[lv.sa:lv.sb], lv, t)
        desired = part_by_src @ np.where(is_leaf_src[:, None], 0.0, prod)  # (P, K) builds wanted
        # could not place its requirement (a refill beyond it that finds no room is no
        # bottleneck: it names nothing a planner could act on)
        supply_short = unmet > np.maximum(order - req, 0.0) + _TOL

        # --- 3. building, leaves up
        # a line claims its need from its child, and what the child's stock cannot cover
        # from each usable alternate
        claim_mem = line_qty_mem * desired[mem_parent]
        if len(alt_mem):
            short = np.maximum(claim_mem[alt_mem] - on_hand[alt_primary_part], 0.0)
            claim_mem[alt_mem] = short * usable_mem[alt_mem]
        if tiered:
            claims = np.stack([
                (cm.part_by_mem @ (claim_mem * mem_in_tier[q]) if len(cm.mem_line) else np.zeros((P, K)))
                + rate * demand_in_tier[q] for q in range(cm.n_tiers)
            ])
            rho = np.ones((cm.n_tiers, P, K))
        else:
            claims = (cm.part_by_mem @ claim_mem if len(cm.mem_line) else np.zeros((P, K))) + rate
            rho = np.ones((P, K))

        def settle(a: int, b: int) -> None:
            """Rationing ratios of parts [a, b) once their stock is final; serve demand."""
            if tiered:  # the highest tier first, then what is left
                left = on_hand[a:b].copy()
                for q in range(cm.n_tiers):
                    c = claims[q, a:b]
                    give = np.minimum(c, np.maximum(left, 0.0))
                    rho[q, a:b] = np.where(c > _TOL, give / np.where(c > _TOL, c, 1.0), 1.0)
                    left -= give
            else:
                c = claims[a:b]
                rho[a:b] = np.where(c > _TOL, np.minimum(1.0, on_hand[a:b] / np.where(c > _TOL, c, 1.0)), 1.0)
            ends = np.flatnonzero(is_end[a:b]) + a
            if len(ends):
                r_end = rho[cm.demand_tier[ends], ends] if tiered else rho[ends]
                out = np.minimum(rate[ends], r_end * rate[ends])
                out = np.minimum(out, on_hand[ends])
                on_hand[ends] -= out
                produced[t, end_pos[ends]] = out

        settle(levels[0].a, levels[0].b)
        for lvi in range(1, len(levels)):
            lv = levels[lvi]
            if lv.lb == lv.la:
                settle(lv.a, lv.b)
                continue
            m = slice(lv.ma, lv.mb)
            r_mem = rho[cm.mem_tier[m], cm.mem_part[m]] if tiered else rho[cm.mem_part[m]]
            ent = r_mem * claim_mem[m] * usable_mem[m]
            line_av = lv.line_by_mem @ ent
            ratio = line_av / line_qty[lv.la:lv.lb]
            lim = np.minimum.reduceat(ratio, lv.parent_starts, axis=0)
            dsl = desired[lv.a:lv.b]
            build = np.minimum(dsl, lim)
            # consume children: each line takes its need from its members in order
            need = line_qty[lv.la:lv.lb] * build[cm.line_parent[lv.la:lv.lb] - lv.a]
            need_m = need[cm.mem_line[m] - lv.la]
            take = _in_line_order(np.minimum(need_m, ent), need_m, lv, ent)
            on_hand[lv.touched] -= lv.part_by_mem @ take
            # build output: at plan each source builds what it wanted; short of children,
            # the quickest sources build first (equal delays in proportion to what they
            # wanted), so scarce material is not sent down a slow route
            srcs = slice(lv.sa, lv.sb)
            frac = np.where(dsl > _TOL, build / np.where(dsl > _TOL, dsl, 1.0), 0.0)
            out = prod[srcs] * frac[src_part[srcs] - lv.a]
            held_back = build < dsl - _TOL
            if held_back.any() and len(lv.rank_groups) > 1:
                want = prod[srcs]
                quick = np.zeros_like(want)
                left = build.copy()
                for g in lv.rank_groups:
                    idx = g.positions
                    tot = g.to_part @ want[idx]
                    f = np.where(tot > _TOL, np.minimum(1.0, left / np.where(tot > _TOL, tot, 1.0)), 0.0)
                    quick[idx] = want[idx] * f[g.owner]
                    left = np.maximum(left - g.to_part @ quick[idx], 0.0)
                out = np.where(held_back[src_part[srcs] - lv.a], quick, out)
            deliver(out, lv, t)
            # why a part fell short of its requirement (building above it to refill
            # the pipeline is not a shortfall): a binding line's child, or its own supply
            mat_short = build < np.minimum(dsl, req[lv.a:lv.b]) - _TOL
            if mat_short.any():
                binding = ratio <= lim[cm.line_parent[lv.la:lv.lb] - lv.a] + _TOL
                score = np.where(binding, -np.arange(lv.la, lv.lb)[:, None], -np.iinfo(np.int64).max)
                first = -np.maximum.reduceat(score, lv.parent_starts, axis=0)
                first = np.clip(first, lv.la, max(lv.lb - 1, lv.la))
                cause[lv.a:lv.b] = np.where(mat_short, prim_part[first], cause[lv.a:lv.b])
            sshort = supply_short[lv.a:lv.b] & ~mat_short
            if sshort.any():
                cause[lv.a:lv.b] = np.where(sshort, np.arange(lv.a, lv.b)[:, None], cause[lv.a:lv.b])
            settle(lv.a, lv.b)

        # --- the bottleneck behind each end item's shortfall
        short = produced[t] < rate[cm.end_idx] - PLAN_TOLERANCE
        if short.any():
            ptr = np.repeat(cm.end_idx[:, None], K, axis=1)
            for _ in range(cm.n_levels):
                ptr = cause[ptr, kk[None, :]]
            bneck[t] = np.where(short, ptr, -1)
        np.maximum(on_hand, 0.0, out=on_hand)  # fluid rounding: never a negative stock
        if stock_hist is not None:
            stock_hist[t] = on_hand
    return produced, bneck, stock_hist


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


def _route(cm: Network, levels: tuple[Level, ...], quota, usable_src, usable_mem, K: int):
    """Requirements per part when each line's need follows capability (see module doc)."""
    P = cm.n_parts
    fcap = np.where(usable_src, np.minimum(quota, cm.src_capacity[:, None]), 0.0)
    capab = np.minimum(cm.capacity[:, None], cm.part_by_src @ np.minimum(fcap, _BIG))
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
