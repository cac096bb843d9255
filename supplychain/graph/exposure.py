"""Exposure to a country through every tier: which parts and end items depend on it, the
share of their value that comes from it, and how long stock on hand would last.

Two readings of "from country C", reported separately (``basis``):

* ``located``: the source's facility is in C;
* ``owned``: the source's owner is C -- a supplier without an ``owner`` is owned where
  it is located, so this reading answers "whose companies make our parts".

For each reading and each part:

* **depends**: some qualified source of the part is in C, or a child on one of its
  primary BOM lines depends on C (an assembly inherits its children's dependence);
* **share**: the C-origin share of the part's value, the very roll-up the embargo's
  ``content`` reach uses (:func:`supplychain.network.origin_share`): ``(sum over primary
  BOM lines of qty x child unit_cost x child share + own value added x maker share) /
  unit_cost``, where the value added is ``unit_cost`` minus the children's cost (never
  below 0; the denominator is then the children's cost) and the maker share is the
  share-weighted fraction of the part's qualified sources in C. A part without a BOM
  has just that maker share. When neither the part nor its children carry any cost,
  the part takes its children's shares weighted by quantity;
* **supply periods**: the part's own ``stock`` (on our side) divided by its
  steady-state requirement per period: how long it lasts once C stops.

Alternates and not-yet-qualified sources are no part of normal supply and do not enter
(a part whose sources are all still to be qualified counts them alike: that is where it
would come from).
The home country is left out unless asked for by name: an embargo never comes from home.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from supplychain.errors import ModelError, Problem
from supplychain.model.countries import builtin_groups, is_country, suggest_country
from supplychain.model.schema import Model
from supplychain.network import Network, compile_network, origin_share

__all__ = ["BASES", "PartExposure", "CountryExposure", "ExposureResult", "exposure_by_country"]

Basis = Literal["located", "owned"]
BASES: tuple[Basis, ...] = ("located", "owned")


@dataclass(frozen=True)
class PartExposure:
    """One part that depends on one country (or group) under one basis.

    ``share`` is the origin share of its value (0-1); ``direct`` says a qualified source
    of the part itself is in the country; ``stock`` and ``requirement`` are units and
    units per period.
    """

    country: str
    basis: Basis
    part: str
    end_item: bool
    share: float
    direct: bool
    stock: float
    requirement: float

    @property
    def supply_periods(self) -> float:
        """Periods the own stock covers at the steady-state requirement (inf if none needed)."""
        if self.requirement <= 0:
            return math.inf
        return self.stock / self.requirement

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part, "end_item": self.end_item, "share": self.share,
            "direct": self.direct, "stock": self.stock, "requirement": self.requirement,
            "supply_periods": self.supply_periods,
        }


@dataclass(frozen=True)
class CountryExposure:
    """What depends on one country under one basis.

    ``end_items`` maps each dependent end item to its exposed value share (0-1);
    ``value_per_period`` is ``sum rate x unit_value x share`` over them (planned output
    value per period that comes from the country); ``parts`` lists every dependent part.
    """

    country: str
    basis: Basis
    end_items: dict[str, float]
    value_per_period: float
    parts: tuple[PartExposure, ...]

    @property
    def direct_parts(self) -> tuple[PartExposure, ...]:
        return tuple(p for p in self.parts if p.direct)

    @property
    def min_supply_periods(self) -> float:
        """The shortest cover among the parts sourced in the country (inf if none needed)."""
        return min((p.supply_periods for p in self.direct_parts), default=math.inf)

    def to_dict(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "basis": self.basis,
            "value_per_period": self.value_per_period,
            "end_items": dict(self.end_items),
            "dependent_parts": len(self.parts),
            "direct_parts": len(self.direct_parts),
            "min_supply_periods": self.min_supply_periods,
            "parts": [p.to_dict() for p in self.parts],
        }


@dataclass(frozen=True)
class ExposureResult:
    """Exposure of a model to each country, ranked.

    ``countries`` runs from the highest ``value_per_period`` down (ties: more dependent
    parts, then country code, ``located`` before ``owned``). Countries on which nothing
    depends are left out.
    """

    period: str
    countries: tuple[CountryExposure, ...]

    def get(self, country: str, basis: Basis = "located") -> CountryExposure | None:
        for c in self.countries:
            if c.country == country and c.basis == basis:
                return c
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "countries": [c.to_dict() for c in self.countries]}

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """``(header, rows)``: one row per country, basis and dependent part, plain
        values (the ``--csv`` file and :meth:`to_frame` are this table)."""
        header = ["country", "basis", "part", "end_item", "share", "direct", "stock", "requirement",
                  "supply_periods", "country_value_per_period"]
        rows = [
            [c.country, c.basis, p.part, p.end_item, p.share, p.direct, p.stock, p.requirement,
             p.supply_periods, c.value_per_period]
            for c in self.countries for p in c.parts
        ]
        return header, rows

    def to_frame(self):
        """:meth:`table` as a pandas DataFrame (pandas needed)."""
        import pandas as pd

        header, rows = self.table()
        return pd.DataFrame(rows, columns=header)


def _check_country(model: Model, name: str) -> None:
    if is_country(name) or name in model.groups or name in builtin_groups():
        return
    hint = suggest_country(name)
    fix = f"; did you mean {hint!r}?" if hint else "; use an ISO 3166-1 alpha-2 code such as 'CA' or a group name"
    raise ModelError([Problem(f"country {name!r} is neither a country code nor a group{fix}")])


def exposure_by_country(model: Model, *, country: str | None = None) -> ExposureResult:
    """Per country (facility and owner, apart), what depends on it through every tier.

    ``country`` limits the result to one country code or group (a group is treated as
    one block: a source counts when it is in any member); without it every country
    except home is listed. See the module docstring for each figure.

    >>> m = Model.model_validate({"home": "TR", "suppliers": {"plant": {"country": "TR"},
    ...     "x": {"country": "CA", "owner": "US"}},
    ...     "parts": {"w": {"unit_cost": 1000, "bom": {"g": 2}, "sources": [{"supplier": "plant"}]},
    ...               "g": {"unit_cost": 100, "stock": 40, "sources": [{"supplier": "x"}]}},
    ...     "demand": {"w": {"rate": 10, "unit_value": 1000}}})
    >>> ca = exposure_by_country(m).get("CA")
    >>> ca.end_items, ca.value_per_period  # 2 x 100 / 1000 of w's value; 10 x 1000 x 0.2
    ({'w': 0.2}, 2000.0)
    >>> ca.min_supply_periods  # 40 gears / 20 per period
    2.0
    >>> exposure_by_country(m).get("US", "owned").end_items
    {'w': 0.2}
    """
    net = compile_network(model)
    if country is not None:
        _check_country(model, country)
        names = [country]
        members = [net.countries([country])]
    else:
        found = set(net.supplier_country) | set(net.supplier_owner)
        names = sorted(found - {model.home})
        members = [frozenset((c,)) for c in names]
    share, depends, direct = _exposure_arrays(net, members)
    index, req = net.index, net.requirement

    out: list[CountryExposure] = []
    for c, name in enumerate(names):
        for b, basis in enumerate(BASES):
            rows = tuple(
                PartExposure(
                    country=name, basis=basis, part=pid, end_item=pid in model.demand,
                    share=round(float(share[b, index[pid], c]), 12),
                    direct=bool(direct[b, index[pid], c]), stock=model.parts[pid].stock,
                    requirement=float(req[index[pid]]),
                )
                for pid in model.parts if depends[b, index[pid], c]
            )
            if not rows:
                continue
            items = {p.part: p.share for p in rows if p.end_item}
            value = sum(
                d.rate * (d.unit_value if d.unit_value is not None else model.parts[e].unit_cost) * items[e]
                for e, d in model.demand.items() if e in items
            )
            out.append(CountryExposure(country=name, basis=basis, end_items=items,
                                       value_per_period=round(value, 9), parts=rows))
    out.sort(key=lambda ce: (-ce.value_per_period, -len(ce.parts), ce.country, BASES.index(ce.basis)))
    return ExposureResult(period=model.period.value, countries=tuple(out))


def _exposure_arrays(net: Network, members: list[frozenset[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``share``, ``depends`` and ``direct`` per basis, part and country column:
    arrays of shape (2, P, k), basis 0 = located, 1 = owned."""
    k, P = len(members), net.n_parts
    share = np.zeros((2, P, k))
    depends = np.zeros((2, P, k), dtype=bool)
    direct = np.zeros((2, P, k), dtype=bool)
    # a qualified source counts; a part with none counts all its sources
    n_qual = np.bincount(net.src_part, weights=net.src_qualified, minlength=P)
    normal = net.src_qualified | (n_qual[net.src_part] == 0)
    prim_child = net.primary_part_of_line
    for b, codes in enumerate((net.supplier_country, net.supplier_owner)):
        in_c = np.array([[code in m for m in members] for code in codes], dtype=bool).reshape(len(codes), k)
        share[b] = origin_share(net, in_c)
        src_in = in_c[net.src_supplier] & normal[:, None]
        direct[b] = (net.part_by_src @ src_in.astype(float)) > 0 if net.n_sources else False
        dep = direct[b].copy()
        for lv in net.levels[1:]:  # children first: an assembly inherits its children's
            if lv.has_lines:
                par = net.line_parent[lv.la:lv.lb]
                np.logical_or.at(dep, par, dep[prim_child[lv.la:lv.lb]])
        depends[b] = dep
    np.clip(share, 0.0, 1.0, out=share)
    return share, depends, direct
