"""The rules of the contract that take an argument, each in one place, on a :class:`Network`.

* :func:`maker_fraction` -- the share of a part's normal supply from sources that meet
  a condition (located in a set of countries, say);
* :func:`origin_share` -- the share of a part's value that originates in a set of
  countries, rolled up the BOM (DESIGN.md §3): the content reach of an embargo and the
  exposure analysis both read it from here;
* :func:`capacity_shortfalls` -- where capacity cannot carry the steady-state
  requirement (the flat baseline needs it; loaders warn about it).
"""

from __future__ import annotations

import numpy as np

from supplychain.errors import Problem
from supplychain.network.compile import Network

__all__ = ["maker_fraction", "origin_share", "capacity_shortfalls", "steady_state_requirement",
           "source_shares"]


def _columns(x: np.ndarray) -> tuple[np.ndarray, bool]:
    x = np.asarray(x)
    return (x[:, None], True) if x.ndim == 1 else (x, False)


def maker_fraction(net: Network, flag: np.ndarray) -> np.ndarray:
    """Per part: the weighted fraction of its normal supply from sources where ``flag``
    holds (``flag`` per source; a second axis gives one column per condition).

    A source weighs its share of normal supply: the qualified sources by their shares,
    or, for a part without a qualified source, every source alike (where it would come
    from). A part without sources has 0.
    """
    f, one = _columns(flag)
    f = f.astype(float)
    P = net.n_parts
    if not net.n_sources:
        out = np.zeros((P, f.shape[1]))
    else:
        # sum the shares first and divide once: the same arithmetic wherever this is used
        share = net.src_share[:, None]
        tot = np.bincount(net.src_part, weights=net.src_share, minlength=P)[:, None]
        n = np.maximum(net.n_src_of_part, 1)[:, None]
        out = np.where(tot > 0, (net.part_by_src @ (share * f)) / np.where(tot > 0, tot, 1),
                       (net.part_by_src @ f) / n)
    return out[:, 0] if one else out


def origin_share(net: Network, located: np.ndarray) -> np.ndarray:
    """Per part: the share of its value that originates where ``located`` holds (one
    boolean per supplier; a second axis gives one column per country set).

    A part without a BOM has its :func:`maker_fraction`. An assembly with lines of child
    ``c`` and quantity ``q``: ``(sum q x cost_c x share_c + value added x maker
    fraction) / max(unit_cost, children's cost)``, the value added being its
    ``unit_cost`` less its children's cost (never below 0); primary lines only. An
    assembly whose BOM carries no cost and that has none of its own (a hand-written
    model leaves ``unit_cost`` at 0) has no value to weigh: it takes its children's
    shares weighted by quantity.

    >>> import supplychain as sc
    >>> from supplychain.network import compile_network
    >>> m = sc.Model.model_validate({"home": "TR",
    ...     "suppliers": {"plant": {"country": "TR"}, "x": {"country": "CA"}, "y": {"country": "DE"}},
    ...     "parts": {"kit": {"bom": {"cam": 1, "bolt": 3}, "sources": [{"supplier": "plant"}]},
    ...               "cam": {"sources": [{"supplier": "x"}]}, "bolt": {"sources": [{"supplier": "y"}]}},
    ...     "demand": {"kit": {"rate": 1}}})
    >>> net = compile_network(m)
    >>> ca = np.array([c == "CA" for c in net.supplier_country])
    >>> net.by_part(origin_share(net, ca))  # no costs: the kit is 1 camera in 4 parts
    {'kit': 0.25, 'cam': 1.0, 'bolt': 0.0}
    """
    loc, one = _columns(located)
    maker = maker_fraction(net, loc[net.src_supplier]) if net.n_sources else np.zeros((net.n_parts, loc.shape[1]))
    out = np.where(net.has_bom[:, None], 0.0, maker)
    prim_child = net.primary_part_of_line
    child_cost = net.line_qty * net.unit_cost[prim_child] if len(prim_child) else np.zeros(0)
    for lv in net.levels[1:]:
        if not lv.has_lines:
            continue
        a, b = lv.a, lv.b
        par = net.line_parent[lv.la:lv.lb] - a
        kids = prim_child[lv.la:lv.lb]
        cost = child_cost[lv.la:lv.lb]
        qty = net.line_qty[lv.la:lv.lb]
        origin_children = _sum_by(par, cost[:, None] * out[kids], b - a)
        cost_children = np.bincount(par, weights=cost, minlength=b - a)[:, None]
        by_qty = _sum_by(par, qty[:, None] * out[kids], b - a) / np.bincount(par, weights=qty, minlength=b - a)[:, None]
        own = net.unit_cost[a:b, None]
        value_added = np.maximum(own - cost_children, 0.0)
        denom = np.maximum(own, cost_children)
        val = origin_children + value_added * maker[a:b]
        share = np.where(denom > 0, val / np.where(denom > 0, denom, 1), by_qty)
        out[a:b] = np.where(net.has_bom[a:b, None], share, out[a:b])
    return out[:, 0] if one else out


def _sum_by(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Rows of ``values`` summed by ``group`` (0 .. n-1), column by column."""
    out = np.zeros((n, values.shape[1]))
    np.add.at(out, group, values)
    return out


def steady_state_requirement(net: Network) -> dict[str, float]:
    """Units per period each part needs at the planned rates (primary BOM lines only),
    in the model file's order.

    >>> import supplychain as sc
    >>> from supplychain.network import compile_network
    >>> m = sc.Model.model_validate({"home": "TR", "suppliers": {"s": {"country": "TR"}},
    ...     "parts": {"a": {"bom": {"b": 2}, "sources": [{"supplier": "s"}]},
    ...               "b": {"sources": [{"supplier": "s"}]}},
    ...     "demand": {"a": {"rate": 10}}})
    >>> steady_state_requirement(compile_network(m))
    {'a': 10.0, 'b': 20.0}
    """
    return net.by_part(net.requirement)


def source_shares(net: Network, part: str) -> list[float]:
    """Normal-supply shares of ``part``'s sources in file order: the given shares, an
    equal split among the qualified sources when none is given, 0 for a source not yet
    qualified."""
    return [float(net.src_share[s]) for s in net.sources_of(part)]


def capacity_shortfalls(net: Network) -> list[Problem]:
    """Where capacity is below the steady-state requirement (the flat baseline needs it),
    part by part in the model file's order: the part's own capacity, then each source's
    capacity against its share of the requirement."""
    req = net.requirement
    bad_part = (req > 0) & (net.capacity < req - 1e-9)
    src_need = net.src_share * req[net.src_part]
    bad_src = (req[net.src_part] > 0) & (net.src_capacity < src_need - 1e-9)
    out: list[tuple[int, int, Problem]] = []
    for i in np.flatnonzero(bad_part):
        pid = net.part_ids[i]
        out.append((int(net.file_order[i]), -1, Problem(
            f"capacity {net.capacity[i]:g}/period is below the steady-state requirement {req[i]:g}/period; "
            "the plan cannot be met even without disruption",
            ("parts", pid, "capacity"),
        )))
    for s in np.flatnonzero(bad_src):
        i = net.src_part[s]
        pid, k = net.part_ids[i], int(net.src_pos[s])
        share, r = float(net.src_share[s]), float(req[i])
        out.append((int(net.file_order[i]), k, Problem(
            f"source capacity {net.src_capacity[s]:g}/period is below its share of the requirement "
            f"({share:g} x {r:g} = {share * r:g}/period)",
            ("parts", pid, "sources", k, "capacity"),
        )))
    out.sort(key=lambda x: (x[0], x[1]))
    return [p for _, _, p in out]
