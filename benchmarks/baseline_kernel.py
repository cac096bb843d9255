"""A bare numpy kernel on the same networks: the floor our engine is compared against.

It keeps only the array work every layered-BOM simulation must do and none of
supplychain's rules: no base-stock ordering (each part orders its steady-state
requirement), no re-allocation to open sources, no alternates or qualification, no
owner or content reach, no priorities, no bottleneck report. Per period:

1. arrivals: the pipeline slot of this period lands in stock;
2. bought parts ship their requirement times the open fraction of their supply (the
   share of their qualified sources outside the embargoing country while it runs) into
   the pipeline, to land after their longest source lead time;
3. level by level from the leaves up, each assembly starts
   ``min(requirement, min over BOM lines of stock share / qty)``, where a child's stock
   is split among its parents in proportion to their requirement (levels build in turn,
   each sharing what the levels below left with the levels above); children
   are consumed at once and the output (times the open fraction, when bought) lands
   after build time + lead time.

Only the period loop is timed; building the arrays is setup. Run alone with
``python benchmarks/baseline_kernel.py --parts 100k`` (generates the network in memory).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class KernelArrays:
    """The network as flat arrays; levels index edge and part ranges bottom-up."""

    n_parts: int
    end_idx: np.ndarray  # end item part indices
    rate: np.ndarray  # planned units per period, per end item
    req: np.ndarray  # steady-state requirement per part (units/period)
    stock0: np.ndarray  # starting stock per part
    delay: np.ndarray  # periods from shipment/start to arrival, >= 1
    blocked: np.ndarray  # share of supply from the embargoing country, per part
    bought: np.ndarray  # indices of parts without a BOM
    levels: list[tuple[np.ndarray, ...]]
    # per level: (parents, segment starts, edge -> parent position, edge children, edge qty,
    # edge weight / qty, parent delays)
    start: int
    stop: int
    severity: float
    horizon: int


def kernel_arrays(model: dict, scenario: dict) -> KernelArrays:
    """Flatten model and scenario data (as in the JSON files) into :class:`KernelArrays`."""
    ids = list(model["parts"])
    index = {p: i for i, p in enumerate(ids)}
    n = len(ids)
    country = {sid: s["country"] for sid, s in model["suppliers"].items()}
    embargo = scenario["embargoes"][0]
    imposers = set(embargo["imposed_by"])
    start = int(embargo.get("start", 0))
    if "end" in embargo:
        stop = int(embargo["end"])
    elif "duration" in embargo:
        stop = start + int(embargo["duration"])
    else:
        stop = 1 << 30
    parent, child, qty = [], [], []
    stock0 = np.zeros(n)
    delay = np.ones(n, dtype=np.int64)
    blocked = np.zeros(n)
    for i, pid in enumerate(ids):
        part = model["parts"][pid]
        stock0[i] = part.get("stock", 0)
        for c, line in part.get("bom", {}).items():
            parent.append(i)
            child.append(index[c])
            qty.append(line["qty"] if isinstance(line, dict) else line)
        qual = [s for s in part["sources"] if "qualification_time" not in s and s.get("qualified", True)]
        lead = max((s.get("lead_time", 0) for s in qual), default=0)
        delay[i] = max(1, part.get("build_time", 0) + lead)
        shares = [s.get("share", 1 / len(qual)) for s in qual]
        blocked[i] = sum(sh for s, sh in zip(qual, shares) if country[s["supplier"]] in imposers)
    parent_a, child_a = np.array(parent, dtype=np.int64), np.array(child, dtype=np.int64)
    qty_a = np.array(qty, dtype=float)

    # height: 0 for bought parts, 1 + max over children otherwise (fixed point, <= depth rounds)
    height = np.zeros(n, dtype=np.int64)
    while True:
        h = np.zeros(n, dtype=np.int64)
        np.maximum.at(h, parent_a, height[child_a] + 1)
        if np.array_equal(h, height):
            break
        height = h
    # requirement: demand pushed down the BOM, parents before children (by falling height)
    end_idx = np.array([index[e] for e in model["demand"]], dtype=np.int64)
    rate = np.array([d["rate"] for d in model["demand"].values()], dtype=float)
    req = np.zeros(n)
    req[end_idx] = rate
    for lv in range(int(height.max()), 0, -1):
        e = height[parent_a] == lv
        req += np.bincount(child_a[e], weights=qty_a[e] * req[parent_a[e]], minlength=n)
    # a child's stock goes to its parents in proportion to their need; levels build in
    # turn, so a parent shares what the levels below left with the parents above it
    need = qty_a * req[parent_a]
    weight = np.zeros_like(need)
    left_for = np.zeros(n)
    for lv in range(int(height.max()), 0, -1):
        e = height[parent_a] == lv
        left_for += np.bincount(child_a[e], weights=need[e], minlength=n)
        weight[e] = need[e] / np.maximum(left_for[child_a[e]], 1e-300)

    levels = []
    for lv in range(1, int(height.max()) + 1):
        e = np.flatnonzero(height[parent_a] == lv)
        e = e[np.argsort(parent_a[e], kind="stable")]
        parents, seg, pos = np.unique(parent_a[e], return_index=True, return_inverse=True)
        levels.append((parents, seg, pos, child_a[e], qty_a[e], weight[e] / qty_a[e], delay[parents]))
    bought = np.flatnonzero(height == 0)
    return KernelArrays(n, end_idx, rate, req, stock0, delay, blocked, bought, levels, start, stop,
                        float(embargo.get("severity", 1.0)), int(scenario.get("horizon", 104)))


def run_kernel(k: KernelArrays) -> np.ndarray:
    """Units produced per period and end item, shape (horizon, n_end_items)."""
    D = int(k.delay.max()) + 1
    stock = k.stock0.copy()
    pipe = np.zeros((D, k.n_parts))
    # the pipeline starts full at the steady-state flow: the baseline is flat
    for d in range(D - 1):  # what shipped d+1 ... delay periods before t=0 lands in 0 ... delay-1
        pipe[d, k.delay > d] = k.req[k.delay > d]
    produced = np.zeros((k.horizon, k.end_idx.size))
    b_delay = k.delay[k.bought]
    for t in range(k.horizon):
        slot = t % D
        stock += pipe[slot]
        pipe[slot] = 0.0
        open_frac = 1.0 - k.severity * k.blocked if k.start <= t < k.stop else None
        ship = k.req[k.bought] if open_frac is None else k.req[k.bought] * open_frac[k.bought]
        pipe[(t + b_delay) % D, k.bought] += ship
        for parents, seg, pos, ch, q, w_per_q, p_delay in k.levels:
            can = np.minimum.reduceat(stock[ch] * w_per_q, seg)
            build = np.minimum(k.req[parents], can)
            stock -= np.bincount(ch, weights=q * build[pos], minlength=k.n_parts)
            out = build if open_frac is None else build * open_frac[parents]
            pipe[(t + p_delay) % D, parents] += out
            if parents.size and parents[0] <= k.end_idx.max():
                hit = np.searchsorted(parents, k.end_idx)
                ok = (hit < parents.size) & (parents[np.minimum(hit, parents.size - 1)] == k.end_idx)
                produced[t, ok] = build[hit[ok]]
    return produced


def time_kernel(model: dict, scenario: dict, *, repeat: int = 3) -> dict:
    """Setup time, the median loop time over ``repeat`` runs, and the units lost."""
    t0 = time.perf_counter()
    k = kernel_arrays(model, scenario)
    setup = time.perf_counter() - t0
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        produced = run_kernel(k)
        runs.append(time.perf_counter() - t0)
    lost = float((k.rate[None, :] - produced).clip(min=0).sum())
    return {"setup_s": setup, "loop_s": statistics.median(runs), "runs_s": runs, "units_lost": lost}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="10k", help="network size: 1k, 10k, 100k, 1m")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--model", type=Path, help="a generated model.json (its scenario.json beside it)")
    args = ap.parse_args(argv)
    if args.model:
        model = json.loads(args.model.read_bytes())
        scenario = json.loads((args.model.parent / "scenario.json").read_bytes())
    else:
        from supplychain.cli.generate_cmds import parse_count
        from supplychain.synthetic import generate_network, generate_scenario

        model = generate_network(parse_count(args.parts), seed=args.seed)
        scenario = generate_scenario(model, seed=args.seed)
    r = time_kernel(model, scenario, repeat=args.repeat)
    print(f"{len(model['parts']):,} parts: setup {r['setup_s']:.2f} s, loop {r['loop_s']:.3f} s "
          f"(median of {args.repeat}), units lost {r['units_lost']:,.0f}", file=sys.stderr)


if __name__ == "__main__":
    main()
