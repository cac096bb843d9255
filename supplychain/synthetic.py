"""Seeded synthetic production networks and embargo scenarios, for tests and benchmarks.

:func:`generate_network` returns plain model data (a dict in the public file format,
valid for :class:`~supplychain.model.Model`) shaped like a defense programme: a few end
items assembled in-house, 6–12 BOM levels with skewed fan-out, common parts shared
between assemblies (a DAG, not a tree), 20–60 supplier countries with skewed shares,
foreign-owned plants, single- and multi-sourced parts, alternates awaiting
qualification, a few periods of stock, lead times of 1–26 periods, costs that roll up,
and capacities that meet the plan (the undisrupted baseline is flat).
:func:`generate_scenario` embargoes one country against it.

Everything is drawn from ``numpy.random.default_rng(seed)``: the same arguments give
the same dict, and (written by :mod:`supplychain.io.write`) the same bytes. The shape is
built with numpy, so 100,000 parts take about a second and 1,000,000 are feasible.

>>> data = generate_network(300, seed=7)
>>> len(data["parts"])
300
>>> generate_network(300, seed=7) == data
True
>>> scenario = generate_scenario(data, seed=7)
>>> scenario["horizon"], scenario["embargoes"][0]["start"]
(104, 8)
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from supplychain.model.countries import country_name, is_country
from supplychain.model.schema import DEFAULT_HORIZON

__all__ = [
    "COUNTRY_POOL",
    "generate_network",
    "generate_scenario",
    "generate_scenarios",
    "supply_share_by_country",
]

#: Supplier countries in a fixed order (roughly by the size of their defense industry);
#: a network with n countries takes its home plus the first n - 1 of these.
COUNTRY_POOL: tuple[str, ...] = (
    "US", "DE", "FR", "GB", "IT", "JP", "KR", "CN", "IL", "CA",
    "SE", "NO", "ES", "NL", "CH", "PL", "CZ", "AT", "BE", "FI",
    "DK", "UA", "IN", "TW", "SG", "AU", "BR", "ZA", "MX", "HU",
    "RO", "PT", "SK", "SI", "HR", "GR", "BG", "LT", "LV", "EE",
    "IE", "LU", "MY", "TH", "VN", "ID", "PH", "PK", "AE", "SA",
    "EG", "MA", "TN", "AR", "CL", "CO", "NZ", "KZ", "AZ", "RS",
    "GE", "JO",
)

_LEAF_TAGS = (
    "fastener", "casting", "forging", "chip", "sensor", "connector", "cable", "seal",
    "bearing", "battery", "optics", "composite", "steel", "aluminium", "rare-earth", "pcb",
)
_ASSEMBLY_TAGS = (
    "electronics", "engine", "camera", "avionics", "hydraulics", "airframe", "turret",
    "radar", "datalink", "propulsion", "guidance", "power",
)
_CONTROLS = ("ITAR", "EAR:6A003", "EAR:9A610", "EAR:3A001", "EAR:5A002", "dual-use", "military")
_CONTROL_WEIGHTS = (0.25, 0.15, 0.1, 0.1, 0.05, 0.25, 0.1)
_MIN_PARTS = 10


def _level_sizes(n_parts: int, n_end: int, n_levels: int) -> np.ndarray:
    """Parts per BOM level (0 = end items), growing geometrically towards the leaves."""
    rest = n_parts - n_end
    deeper = n_levels - 1
    growth = max(1.2, (rest / n_end) ** (1.0 / deeper))
    weights = growth ** np.arange(1, deeper + 1, dtype=float)
    sizes = np.maximum(1, np.floor(rest * weights / weights.sum()).astype(np.int64))
    sizes[-1] += rest - sizes.sum()
    # level 1 holds at least one child per end item; take them from the widest level
    short = max(0, n_end - int(sizes[0]))
    sizes[0] += short
    sizes[int(np.argmax(sizes[1:])) + 1] -= short
    return np.concatenate(([n_end], sizes))


def generate_network(
    n_parts: int,
    *,
    seed: int,
    n_end_items: int | None = None,
    n_countries: int | None = None,
    n_levels: int | None = None,
    home: str = "TR",
    period: str = "week",
) -> dict[str, Any]:
    """Model data for a synthetic network of ``n_parts`` parts (a dict in the file format).

    ``n_end_items`` (default 3–8), ``n_countries`` supplier countries including
    ``home`` (default 20–60) and ``n_levels`` BOM levels including the end items
    (default 6–12, fewer for small networks, which cannot be that deep) are drawn from
    ``seed`` unless given. Every random draw is made whatever the arguments, so fixing
    one of them leaves the rest of the network as it was.

    The network:

    - levels grow geometrically towards the leaves; 30–50 % of each inner level are
      assemblies, each with at least one child, the rest bought parts; children pick
      their parent with lognormal weights (a few assemblies have hundreds of children);
    - 8–15 % more BOM lines reuse a part in another assembly one or more levels up
      (common parts are shared by many: a DAG); 2–5 % of lines name an alternate part
      of the child's level, usable at once or after 4–26 periods of qualification;
    - end items are made in-house (supplier ``plant`` in ``home``), as are 30 % of the
      assemblies; the rest are bought from 1–3 suppliers (65/25/10 %), shares in whole
      per cent summing to exactly 1, lead times 1–26 periods; 2 % of bought parts have a
      not-yet-qualified extra source;
    - about one supplier per 50–100 parts (at least 30, and two per country), spread over the countries with
      Zipf-like weights, 10–20 % owned from another country;
    - a unit cost rolls up: an assembly costs 5–40 % more than its primary BOM lines;
    - stock covers 0–8 periods of the steady-state requirement, half the parts and a
      third of the sources have a capacity, always at least 1.2 x their steady-state
      share, so the undisrupted plan is met;
    - 60 % of parts carry a tag (``chip``, ``engine``, …), 6 % a control class.

    Part ids are ``E1`` … for end items and ``P000001`` … for the rest, level by level;
    supplier ids ``S00001`` …, with ``plant`` the in-house maker.

    Raises ``ValueError`` for fewer than 10 parts, an unknown ``home`` code, or
    counts out of range.
    """
    if n_parts < _MIN_PARTS:
        raise ValueError(f"n_parts={n_parts}: a synthetic network needs at least {_MIN_PARTS} parts")
    if not is_country(home):
        raise ValueError(f"home={home!r} is not an ISO 3166-1 alpha-2 code; use one such as 'TR'")
    pool = [c for c in COUNTRY_POOL if c != home]
    rng = np.random.default_rng(seed)

    # --- the defaults, drawn whatever was given so the rest of the stream is stable
    drawn_end = int(rng.integers(3, 9))
    drawn_countries = int(rng.integers(20, 61))
    drawn_levels = int(rng.integers(6, 13))
    n_end = n_end_items if n_end_items is not None else drawn_end
    if not 1 <= n_end <= n_parts // 4:
        raise ValueError(f"n_end_items={n_end}: give between 1 and n_parts/4 = {n_parts // 4}")
    n_ctry = n_countries if n_countries is not None else drawn_countries
    if not 2 <= n_ctry <= len(pool) + 1:
        raise ValueError(f"n_countries={n_ctry}: give between 2 and {len(pool) + 1}")
    fit = max(2, int(math.floor(math.log2(n_parts / n_end))) + 1)
    n_lev = n_levels if n_levels is not None else min(drawn_levels, fit)
    if not 2 <= n_lev <= fit:
        raise ValueError(f"n_levels={n_lev}: {n_parts} parts under {n_end} end items fit 2 to {fit} levels")

    # --- levels: contiguous index blocks, assemblies first within each level
    sizes = _level_sizes(n_parts, n_end, n_lev)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    asm_frac = rng.uniform(0.3, 0.5, size=n_lev)
    n_asm = np.minimum(np.maximum(1, np.round(asm_frac * sizes)).astype(np.int64), sizes)
    n_asm[0] = n_end
    n_asm[-1] = 0  # the deepest level is bought
    n_asm[:-1] = np.minimum(n_asm[:-1], sizes[1:])  # each assembly gets a child of its own
    level = np.repeat(np.arange(n_lev), sizes)
    is_asm = np.zeros(n_parts, dtype=bool)
    for lv in range(n_lev):
        is_asm[starts[lv] : starts[lv] + n_asm[lv]] = True

    # --- primary BOM lines: every part below level 0 hangs under an assembly one level up
    parents, children = [], []
    for lv in range(1, n_lev):
        n_here, n_up = int(sizes[lv]), int(n_asm[lv - 1])
        order = rng.permutation(n_here)
        weight = rng.lognormal(0.0, 1.0, size=n_up)
        pick = np.empty(n_here, dtype=np.int64)
        pick[order[:n_up]] = np.arange(n_up)
        pick[order[n_up:]] = rng.choice(n_up, size=n_here - n_up, p=weight / weight.sum())
        parents.append(starts[lv - 1] + pick)
        children.append(starts[lv] + np.arange(n_here))
    parent = np.concatenate(parents)
    child = np.concatenate(children)

    # --- shared parts: extra lines from an assembly one or more levels up
    share_frac = rng.uniform(0.08, 0.15)
    deep = np.flatnonzero(level >= 2)
    n_shared = int(round(share_frac * (n_parts - n_end))) if deep.size else 0
    commonness = rng.lognormal(0.0, 1.5, size=deep.size)
    s_child = deep[rng.choice(deep.size, size=n_shared, p=commonness / commonness.sum())] if n_shared else deep[:0]
    s_level = np.maximum(level[s_child] - rng.geometric(0.5, size=n_shared), 0)
    s_parent = starts[s_level] + np.floor(rng.random(n_shared) * n_asm[s_level]).astype(np.int64)
    key = parent * n_parts + child
    s_key = np.unique(s_parent * n_parts + s_child)
    s_key = s_key[~np.isin(s_key, key, assume_unique=True)]
    parent = np.concatenate((parent, s_key // n_parts))
    child = np.concatenate((child, s_key % n_parts))
    edge_order = np.lexsort((child, parent))
    parent, child = parent[edge_order], child[edge_order]
    n_edges = parent.size
    qty = np.minimum(rng.geometric(0.6, size=n_edges), 8).astype(np.int64)
    key = parent * n_parts + child  # sorted

    # --- alternates: a part of the child's level, not already on the parent's BOM
    alt_frac = rng.uniform(0.02, 0.05)
    has_alt = rng.random(n_edges) < alt_frac
    c_lev = level[child]
    has_alt &= sizes[c_lev] >= 2
    offset = 1 + np.floor(rng.random(n_edges) * np.maximum(sizes[c_lev] - 1, 1)).astype(np.int64)
    alt = starts[c_lev] + (child - starts[c_lev] + offset) % sizes[c_lev]
    qual_time = np.where(rng.random(n_edges) < 0.3, 0, rng.integers(4, 27, size=n_edges))
    alt_key = parent * n_parts + alt
    has_alt &= ~np.isin(alt_key, key)
    idx = np.flatnonzero(has_alt)
    _, first = np.unique(alt_key[idx], return_index=True)  # one line per parent names it
    keep = np.zeros(n_edges, dtype=bool)
    keep[idx[first]] = True
    has_alt = keep

    # --- steady-state requirement (primary lines), top down; parents sit in lower levels
    rate = rng.integers(1, 11, size=n_end)
    req = np.zeros(n_parts)
    req[:n_end] = rate
    edge_start = np.searchsorted(parent, starts)
    edge_stop = np.searchsorted(parent, starts + sizes)
    for lv in range(n_lev - 1):
        a, b = edge_start[lv], edge_stop[lv]
        req += np.bincount(child[a:b], weights=qty[a:b] * req[parent[a:b]], minlength=n_parts)

    # --- unit costs, bottom up: bought parts cheaper the deeper they sit
    cost = np.ceil(rng.lognormal(np.log(2000.0) - 0.7 * level, 1.0) * 100.0) / 100.0
    markup = 1.0 + rng.uniform(0.05, 0.4, size=n_parts)
    for lv in range(n_lev - 2, -1, -1):
        a, b = edge_start[lv], edge_stop[lv]
        lo, hi = starts[lv], starts[lv] + n_asm[lv]
        rolled = np.bincount(parent[a:b] - lo, weights=qty[a:b] * cost[child[a:b]], minlength=hi - lo)
        cost[lo:hi] = np.ceil(rolled * markup[lo:hi] * 100.0) / 100.0

    # --- countries and suppliers
    countries = [home, *pool[: n_ctry - 1]]
    c_weight = 1.0 / np.arange(1, n_ctry + 1) ** 1.1 * rng.lognormal(0.0, 0.3, size=n_ctry)
    c_weight[0] = c_weight[1:].max()  # a domestic industry as large as the largest foreign one
    per_supplier = rng.uniform(50, 100)
    n_sup = max(30, 2 * n_ctry, int(round(n_parts / per_supplier)))
    sup_country = np.concatenate((
        np.arange(n_ctry),  # every country has a supplier
        rng.choice(n_ctry, size=n_sup - n_ctry, p=c_weight / c_weight.sum()),
    ))
    sup_country = sup_country[rng.permutation(n_sup)]
    owned_away = rng.random(n_sup) < rng.uniform(0.10, 0.20)
    owner_pick = rng.choice(min(n_ctry, 10), size=n_sup, p=_normalised(c_weight[: min(n_ctry, 10)]))
    owner_pick = np.where(owner_pick == sup_country, (owner_pick + 1) % n_ctry, owner_pick)
    recovery = rng.integers(8, 53, size=n_sup)
    sup_weight = rng.lognormal(0.0, 1.0, size=n_sup)

    # --- sources: end items and 30 % of assemblies in-house, the rest bought
    in_house = is_asm & (rng.random(n_parts) < 0.3)
    in_house[:n_end] = True
    n_src = np.where(in_house, 1, rng.choice(3, size=n_parts, p=(0.65, 0.25, 0.10)) + 1)
    first_sup = rng.choice(n_sup, size=n_parts, p=sup_weight / sup_weight.sum())
    off2 = 1 + np.floor(rng.random(n_parts) * (n_sup - 1)).astype(np.int64)
    off3 = 1 + np.floor(rng.random(n_parts) * (n_sup - 2)).astype(np.int64)
    off3 += off3 >= off2
    sup_of = np.stack((first_sup, (first_sup + off2) % n_sup, (first_sup + off3) % n_sup), axis=1)
    pct1 = np.where(n_src == 2, rng.integers(50, 91, size=n_parts), rng.integers(40, 71, size=n_parts))
    pct2 = np.where(n_src == 2, 100 - pct1, 10 + np.floor(rng.random(n_parts) * (100 - pct1 - 19)).astype(np.int64))
    pct3 = 100 - pct1 - pct2
    pct = np.stack((np.where(n_src == 1, 100, pct1), pct2, pct3), axis=1)
    lead = np.clip(np.round(rng.lognormal(np.log(5.0), 0.7, size=(n_parts, 3))), 1, 26).astype(np.int64)
    src_cap_on = rng.random((n_parts, 3)) < 1 / 3
    src_cap = np.ceil(req[:, None] * pct / 100.0 * rng.uniform(1.2, 3.0, size=(n_parts, 3)))
    src_stock_on = rng.random((n_parts, 3)) < 0.1
    src_stock = np.round(req[:, None] * pct / 100.0 * rng.uniform(1.0, 4.0, size=(n_parts, 3)))
    extra = ~in_house & (n_src < 3) & (rng.random(n_parts) < 0.02)
    extra_qual = rng.integers(8, 53, size=n_parts)
    extra_cap = np.ceil(req * rng.uniform(0.3, 1.0, size=n_parts))
    build_time = np.where(is_asm, rng.integers(1, 5, size=n_parts), 0)

    # --- part-level stock, capacity, tags, control
    cover = rng.choice(9, size=n_parts, p=(0.2, 0.1, 0.15, 0.15, 0.12, 0.1, 0.08, 0.05, 0.05))
    stock = np.round(req * cover)
    cap_on = rng.random(n_parts) < 0.5
    capacity = np.ceil(req * rng.uniform(1.2, 3.0, size=n_parts))
    tag_on = rng.random(n_parts) < 0.6
    tag_pick = np.where(is_asm, rng.integers(0, len(_ASSEMBLY_TAGS), size=n_parts),
                        rng.integers(0, len(_LEAF_TAGS), size=n_parts))
    control_on = rng.random(n_parts) < 0.06
    control_pick = rng.choice(len(_CONTROLS), size=n_parts, p=_CONTROL_WEIGHTS)
    unit_value = np.ceil(cost[:n_end] * rng.uniform(1.05, 1.3, size=n_end))

    # --- assemble the dict: plain Python values, insertion order fixed; the cyclic
    # garbage collector is paused meanwhile (it would rescan the growing dict: 2x slower)
    with _collector_paused():
        width = max(6, len(str(n_parts)))
        pid = [f"E{i + 1}" for i in range(n_end)] + [f"P{i:0{width}d}" for i in range(n_end, n_parts)]
        swidth = max(5, len(str(n_sup)))
        sid = [f"S{j + 1:0{swidth}d}" for j in range(n_sup)]

        suppliers: dict[str, Any] = {"plant": {"name": "Final assembly plant", "country": home}}
        for j, (c, away, o, r) in enumerate(zip(sup_country.tolist(), owned_away.tolist(),
                                                 owner_pick.tolist(), recovery.tolist())):
            entry: dict[str, Any] = {"country": countries[c]}
            if away:
                entry["owner"] = countries[o]
            entry["recovery_time"] = r
            suppliers[sid[j]] = entry

        ptr = np.searchsorted(parent, np.arange(n_parts + 1)).tolist()
        child_l, qty_l = child.tolist(), qty.tolist()
        has_alt_l, alt_l, qual_l = has_alt.tolist(), alt.tolist(), qual_time.tolist()
        cost_l, stock_l, cap_l, cap_on_l = cost.tolist(), stock.tolist(), capacity.tolist(), cap_on.tolist()
        tag_on_l, tag_l, is_asm_l = tag_on.tolist(), tag_pick.tolist(), is_asm.tolist()
        ctrl_on_l, ctrl_l = control_on.tolist(), control_pick.tolist()
        in_house_l, n_src_l, sup_l, pct_l, lead_l = (in_house.tolist(), n_src.tolist(), sup_of.tolist(),
                                                     pct.tolist(), lead.tolist())
        scap_on_l, scap_l = src_cap_on.tolist(), src_cap.tolist()
        sstock_on_l, sstock_l = src_stock_on.tolist(), src_stock.tolist()
        extra_l, extra_qual_l, extra_cap_l = extra.tolist(), extra_qual.tolist(), extra_cap.tolist()
        bt_l = build_time.tolist()

        parts: dict[str, Any] = {}
        for i in range(n_parts):
            part: dict[str, Any] = {}
            if i < n_end:
                part["name"] = f"End item {i + 1}"
            part["unit_cost"] = cost_l[i]
            if tag_on_l[i]:
                part["tags"] = [(_ASSEMBLY_TAGS if is_asm_l[i] else _LEAF_TAGS)[tag_l[i]]]
            if ctrl_on_l[i]:
                part["control"] = [_CONTROLS[ctrl_l[i]]]
            if stock_l[i]:
                part["stock"] = int(stock_l[i])
            if cap_on_l[i]:
                part["capacity"] = int(cap_l[i])
            if bt_l[i]:
                part["build_time"] = bt_l[i]
            a, b = ptr[i], ptr[i + 1]
            if a < b:
                bom: dict[str, Any] = {}
                for e in range(a, b):
                    if has_alt_l[e]:
                        bom[pid[child_l[e]]] = {"qty": qty_l[e], "alternates": [
                            {"part": pid[alt_l[e]], "qualification_time": qual_l[e]}]}
                    else:
                        bom[pid[child_l[e]]] = qty_l[e]
                part["bom"] = bom
            if in_house_l[i]:
                part["sources"] = [{"supplier": "plant"}]
            else:
                k = n_src_l[i]
                sources = []
                for s in range(k):
                    src: dict[str, Any] = {"supplier": sid[sup_l[i][s]]}
                    if k > 1:
                        src["share"] = pct_l[i][s] / 100
                    src["lead_time"] = lead_l[i][s]
                    if scap_on_l[i][s]:
                        src["capacity"] = int(scap_l[i][s])
                    if sstock_on_l[i][s] and sstock_l[i][s]:
                        src["stock"] = int(sstock_l[i][s])
                    sources.append(src)
                if extra_l[i]:
                    sources.append({"supplier": sid[sup_l[i][k]], "lead_time": lead_l[i][k],
                                    "capacity": int(extra_cap_l[i]), "qualification_time": extra_qual_l[i]})
                part["sources"] = sources
            parts[pid[i]] = part

    demand = {pid[i]: {"rate": int(rate[i]), "unit_value": float(unit_value[i])} for i in range(n_end)}
    return {
        "name": f"synthetic network: {n_parts:,} parts, seed {seed}",
        "description": (f"{n_end} end items, {n_lev} BOM levels, {n_edges:,} BOM lines, "
                        f"{n_sup + 1:,} suppliers in {n_ctry} countries; generated by supplychain.synthetic"),
        "home": home,
        "period": period,
        "suppliers": suppliers,
        "parts": parts,
        "demand": demand,
    }


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (the dicts built here hold no cycles)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _normalised(w: np.ndarray) -> np.ndarray:
    return w / w.sum()


def supply_share_by_country(model_data: dict[str, Any]) -> dict[str, float]:
    """Each facility country's share of normal supply, counted per part (sums to 1).

    Every part contributes 1, split over its qualified sources by share (equally when
    none is given) and credited to each source's facility country. Countries are
    listed by falling share, ties in first-seen order.

    >>> data = {"home": "TR", "suppliers": {"a": {"country": "DE"}, "b": {"country": "TR"}},
    ...         "parts": {"x": {"sources": [{"supplier": "a", "share": 0.75}, {"supplier": "b", "share": 0.25}]},
    ...                   "y": {"sources": [{"supplier": "b"}]}}, "demand": {}}
    >>> supply_share_by_country(data)   # TR: 0.25 + 1 of 2 parts; DE: 0.75 of 2
    {'TR': 0.625, 'DE': 0.375}
    """
    country_of = {sid: s["country"] for sid, s in model_data["suppliers"].items()}
    totals: dict[str, float] = {}
    for part in model_data["parts"].values():
        qual = [s for s in part.get("sources", ()) if _qualified(s)]
        given = all(s.get("share") is not None for s in qual)
        for s in qual:
            c = country_of[s["supplier"]]
            totals[c] = totals.get(c, 0.0) + (s["share"] if given else 1.0 / len(qual))
    n = len(model_data["parts"]) or 1
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])  # stable: ties keep first-seen order
    return {c: v / n for c, v in ranked}


def _qualified(source: dict[str, Any]) -> bool:
    if source.get("qualified") is not None:
        return bool(source["qualified"])
    return source.get("qualification_time") is None


def generate_scenario(
    model_data: dict[str, Any],
    *,
    seed: int,
    variant: int = 0,
    country: str | None = None,
    start: int = 8,
    horizon: int = DEFAULT_HORIZON,
    model_file: str = "model.json",
) -> dict[str, Any]:
    """Scenario data: one country's open-ended embargo against ``model_data``'s home.

    Variant 0 (the default) is the reference case: ``country`` (default: the foreign
    country with the largest supply share, see :func:`supply_share_by_country`) stops
    exports from period ``start`` to the end of the ``horizon``. Variant ``k > 0``
    draws its own case from ``default_rng([seed, k])``: a foreign country weighted by
    its supply share, a start in periods 0–52, open-ended or lasting 8–52 periods, and
    a severity of 1.0 (three in four) or 0.5. ``model_file`` is the ``model`` field:
    the model's path relative to the scenario file.
    """
    home = model_data["home"]
    shares = {c: v for c, v in supply_share_by_country(model_data).items() if c != home}
    if not shares:
        raise ValueError("the model has no supplier outside its home country; nothing to embargo")
    embargo: dict[str, Any]
    if variant == 0:
        imposer = country if country is not None else next(iter(shares))
        embargo = {"name": f"{country_name(imposer)} stops exports", "imposed_by": [imposer], "start": start}
    else:
        rng = np.random.default_rng([seed, variant])
        codes = list(shares)
        weight = np.array([shares[c] for c in codes])
        imposer = codes[int(rng.choice(len(codes), p=weight / weight.sum()))]
        begin = int(rng.integers(0, 53))
        embargo = {"name": f"{country_name(imposer)} stops exports", "imposed_by": [imposer], "start": begin}
        if rng.random() < 0.5:
            embargo["duration"] = int(rng.integers(8, 53))
        if rng.random() < 0.25:
            embargo["severity"] = 0.5
    return {
        "name": f"{embargo['name']} from period {embargo['start']}",
        "model": model_file,
        "horizon": horizon,
        "embargoes": [embargo],
    }


def generate_scenarios(model_data: dict[str, Any], k: int, *, seed: int, **options: Any) -> list[dict[str, Any]]:
    """``k`` scenario variants 0 … k-1 of :func:`generate_scenario` (variant 0 first)."""
    return [generate_scenario(model_data, seed=seed, variant=v, **options) for v in range(k)]
