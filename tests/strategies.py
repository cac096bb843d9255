"""Hypothesis strategies: small random production networks and the events that hit them.

A drawn model is a valid file (``check_model`` finds nothing): a BOM DAG of 2-12 parts
whose first one or two parts are end items, each later part used by one or two earlier
ones (so edges point from a lower to a higher index and no cycle can form), optional
alternates with qualification times, one or two sources per part from a fixed pool of
suppliers in TR (home), CA, DE, US and FR (two of them foreign-owned), and optional
not-yet-qualified sources. Capacities are None or at least the steady-state requirement
(the flat baseline needs it; DESIGN.md §5), unless ``tight_end_capacity`` asks for end
items that cannot meet their plan.
"""

from __future__ import annotations

from hypothesis import strategies as st

import supplychain as sc

HOME = "TR"
SUPPLIERS = {
    "plant": {"country": "TR"},
    "trsub": {"country": "TR"},
    "cacorp": {"country": "CA"},
    "decorp": {"country": "DE"},
    "deus": {"country": "DE", "owner": "US"},
    "uscorp": {"country": "US"},
    "frca": {"country": "FR", "owner": "CA"},
}
#: countries with a supplier, and names an embargo may use (groups included)
COUNTRIES = ("CA", "DE", "US", "FR")
IMPOSERS = ("CA", "DE", "US", "FR", "NATO", "EU")
#: a country no supplier is in or owned from
NOWHERE = "JP"
TAGS = ("camera", "engine", "chip")
CONTROLS = ((), ("ITAR",), ("EAR:6A003",), ("EAR:5A002",))
SHARE_SPLITS = ((0.5, 0.5), (0.25, 0.75), (0.75, 0.25))


def requirements(parts: dict, demand: dict) -> tuple[dict[str, float], dict[str, float]]:
    """Steady-state requirement per part (primary lines), and the most each part could
    be asked for (its requirement plus the lines it may take over as an alternate).

    Parts are named p0, p1, ... with every child after its parents, so one pass in
    index order settles each part before its children.
    """
    req = {pid: float(demand.get(pid, {}).get("rate", 0.0)) for pid in parts}
    for pid in sorted(parts, key=lambda p: int(p[1:])):
        for child, line in parts[pid]["bom"].items():
            req[child] += line["qty"] * req[pid]
    potential = dict(req)
    for pid, part in parts.items():
        for line in part["bom"].values():
            for alt in line.get("alternates", ()):
                potential[alt["part"]] += line["qty"] * req[pid]
    return req, potential


@st.composite
def model_data(
    draw,
    *,
    min_parts: int = 2,
    max_parts: int = 12,
    max_end_items: int = 2,
    alternates: bool = True,
    unqualified: bool = True,
    tight_end_capacity: bool = False,
    tree: bool = False,
    single_source_end_items: bool = False,
    single_source: bool = False,
    priorities: bool = False,
) -> dict:
    """A random valid model as plain data (see the module docstring).

    ``tree``: every part has one parent and no alternates (nothing is shared, so no
    rationing). ``single_source_end_items``: end items have one qualified source;
    ``single_source``: every part has. ``priorities``: end items may carry a priority.
    """
    alternates = alternates and not tree
    n = draw(st.integers(min_parts, max_parts))
    n_end = draw(st.integers(1, max(1, min(max_end_items, n - 1))))
    ids = [f"p{i}" for i in range(n)]
    parts: dict[str, dict] = {}
    for i, pid in enumerate(ids):
        parts[pid] = {
            "unit_cost": float(draw(st.integers(1, 100))),
            "tags": list(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))),
            "control": list(draw(st.sampled_from(CONTROLS))),
            "stock": float(draw(st.sampled_from([0, 0, 0, 5, 10, 40]))),
            "bom": {},
        }
    for i in range(n_end, n):
        parents = draw(st.lists(st.integers(0, i - 1), min_size=1, max_size=1 if tree else 2, unique=True))
        for j in parents:
            parts[ids[j]]["bom"][ids[i]] = {"qty": draw(st.sampled_from([0.5, 1.0, 1.0, 2.0, 3.0]))}
    if alternates:
        for j in range(n):
            for child, line in parts[ids[j]]["bom"].items():
                pool = [k for k in range(j + 1, n) if ids[k] != child and ids[k] not in parts[ids[j]]["bom"]]
                if pool and draw(st.integers(0, 3)) == 0:
                    k = draw(st.sampled_from(pool))
                    line["alternates"] = [{"part": ids[k], "qualification_time": draw(st.sampled_from([0, 2, 5]))}]
    for pid in ids:
        part = parts[pid]
        if part["bom"]:
            part["build_time"] = draw(st.integers(0, 2))
        one = single_source or (single_source_end_items and pid in ids[:n_end])
        n_src = 1 if one else draw(st.integers(1, 2))
        sups = draw(st.lists(st.sampled_from(sorted(SUPPLIERS)), min_size=n_src + 1, max_size=n_src + 1, unique=True))
        sources = [{"supplier": s, "lead_time": draw(st.integers(0, 3))} for s in sups[:n_src]]
        if n_src == 2 and draw(st.booleans()):
            for src, share in zip(sources, draw(st.sampled_from(SHARE_SPLITS))):
                src["share"] = share
        if unqualified and not one and draw(st.integers(0, 4)) == 0:
            sources.append({"supplier": sups[n_src], "lead_time": draw(st.integers(0, 3)),
                            "qualification_time": draw(st.sampled_from([0, 3, 6]))})
        part["sources"] = sources
    demand = {ids[e]: {"rate": float(draw(st.sampled_from([1, 2, 5, 10]))),
                       "unit_value": float(draw(st.integers(1, 1000)))} for e in range(n_end)}
    if priorities:
        for d in demand.values():
            if (pr := draw(st.sampled_from([None, 1, 2]))) is not None:
                d["priority"] = pr

    # capacities: unlimited, or a multiple >= 1 of what the part or source may carry
    req, potential = requirements(parts, demand)
    for pid, part in parts.items():
        if draw(st.integers(0, 2)) == 0:
            part["capacity"] = potential[pid] * draw(st.sampled_from([1.0, 1.5, 3.0]))
        qualified = [s for s in part["sources"] if "qualification_time" not in s]
        for src in part["sources"]:
            if draw(st.integers(0, 2)) == 0:
                share = src.get("share", 1.0 / len(qualified)) if src in qualified else 1.0
                src["capacity"] = max(share, 0.0) * potential[pid] * draw(st.sampled_from([1.0, 1.5, 3.0]))
    if tight_end_capacity:
        for e in range(n_end):
            if draw(st.booleans()):
                parts[ids[e]]["capacity"] = demand[ids[e]]["rate"] * draw(st.sampled_from([0.0, 0.3, 0.7]))
    for part in parts.values():
        if not part["bom"]:
            del part["bom"]
    return {"name": "random network", "home": HOME, "suppliers": SUPPLIERS, "parts": parts, "demand": demand}


def build_model(data: dict) -> sc.Model:
    """A validated model; a drawn model must be valid."""
    model = sc.Model.model_validate(data)
    problems = sc.check_model(model)
    assert problems == [], problems
    return model


def models(**kw) -> st.SearchStrategy[sc.Model]:
    """Random valid models (``model_data`` options pass through)."""
    return model_data(**kw).map(build_model)


@st.composite
def item_filters(draw):
    """``all``, or a filter by tags, control classes or regimes."""
    kind = draw(st.sampled_from(["all", "all", "tags", "control"]))
    if kind == "all":
        return "all"
    if kind == "tags":
        return {"tags": draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True))}
    return {"control": draw(st.lists(st.sampled_from(["ITAR", "EAR", "EAR:6A003", "EAR:5A002"]),
                                     min_size=1, max_size=2, unique=True))}


@st.composite
def embargoes(draw, *, latest_start: int = 8) -> dict:
    """One embargo as plain data, starting early enough to bite within most horizons."""
    start = draw(st.integers(0, latest_start))
    end = draw(st.one_of(st.none(), st.integers(start + 1, start + 20)))
    return {
        "name": "drawn",
        "imposed_by": draw(st.lists(st.sampled_from(IMPOSERS), min_size=1, max_size=2, unique=True)),
        "items": draw(item_filters()),
        "start": start,
        "end": end,
        "severity": draw(st.sampled_from([0.25, 0.5, 1.0])),
        "reach": draw(st.sampled_from([["located", "owned"], ["located", "owned"], ["located"], ["owned"],
                                       ["content"], ["located", "content"]])),
        "content_threshold": draw(st.sampled_from([0.0, 0.1, 0.25, 0.5])),
        "content_rule": draw(st.sampled_from(["exceeds", "at_least"])),
        "in_transit": draw(st.sampled_from(["delivered", "blocked"])),
    }


#: horizons of 1-30 periods, mostly long enough for an early embargo to bite
horizons = st.one_of(st.integers(8, 30), st.integers(1, 30))


def fit(model: sc.Model, embargo: dict) -> dict:
    """``embargo`` with its items filter cut to the tags and control classes ``model``
    has: a filter naming something the model lacks is a scenario error, and a drawn
    filter is meant to match what it can (an emptied filter matches nothing)."""
    items = embargo.get("items", "all")
    if items == "all":
        return embargo
    tags = {t for p in model.parts.values() for t in p.tags}
    ctrl = {c for p in model.parts.values() for c in p.control}
    regimes = {c.split(":", 1)[0] for c in ctrl}
    return {**embargo, "items": {
        "tags": [t for t in items.get("tags", ()) if t in tags],
        "control": [c for c in items.get("control", ()) if c in ctrl or c in regimes],
    }}


def within(events, horizon: int) -> list:
    """The events that start within ``horizon`` periods: one starting later is a
    scenario error (it could not happen in the run), so a drawn one is left out, which
    is what it would do to the run."""
    return [e for e in events if (e["start"] if isinstance(e, dict) else e.start) < horizon]


def scenario(model: sc.Model, *embargoes: dict, horizon: int, disruptions=()) -> sc.Scenario:
    """A scenario of drawn embargoes, fitted to ``model`` (see :func:`fit`) and to the
    horizon (see :func:`within`)."""
    return sc.Scenario(horizon=horizon, embargoes=[fit(model, e) for e in within(embargoes, horizon)],
                       disruptions=within(disruptions, horizon))
