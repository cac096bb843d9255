"""Exposure to a country through every tier: which parts and end items depend on it, the
share of their value that comes from it, and how long stock on hand would last.

Two readings of "from country C", reported separately (``basis``):

* ``located``: the source's facility is in C;
* ``owned``: the source's owner is C -- a supplier without an ``owner`` is owned where
  it is located, so this reading answers "whose companies make our parts".

For each reading and each part:

* **depends**: some qualified source of the part is in C, or a child on one of its
  primary BOM lines depends on C (an assembly inherits its children's dependence);
* **share**: the C-origin share of the part's value, rolled up as in the embargo's
  ``content`` reach (DESIGN §3): ``(sum over primary BOM lines of qty x child unit_cost x
  child share + own value added x maker share) / unit_cost``, where the value added is
  ``unit_cost`` minus the children's cost (never below 0; the denominator is then the
  children's cost) and the maker share is the share-weighted fraction of the part's
  qualified sources in C. A part without a BOM has just that maker share. When neither
  the part nor its children carry any cost the share is the largest of its maker's and
  its children's shares (a conservative reading where value says nothing);
* **supply periods**: the part's own ``stock`` (on our side) divided by its
  steady-state requirement per period: how long it lasts once C stops.

Alternates and not-yet-qualified sources are no part of normal supply and do not enter.
The home country is left out unless asked for by name: an embargo never comes from home.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from supplychain.errors import ModelError, Problem
from supplychain.model.checks import expand_countries, source_shares, steady_state_requirement, topological_parts
from supplychain.model.countries import builtin_groups, is_country, suggest_country
from supplychain.model.schema import Model

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

    def to_frame(self):
        """One row per country, basis and dependent part (pandas needed)."""
        import pandas as pd

        rows = [
            (c.country, c.basis, p.part, p.end_item, p.share, p.direct, p.stock, p.requirement,
             p.supply_periods)
            for c in self.countries for p in c.parts
        ]
        return pd.DataFrame(rows, columns=["country", "basis", "part", "end_item", "share", "direct",
                                           "stock", "requirement", "supply_periods"])


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
    if country is not None:
        _check_country(model, country)
        names = [country]
        members = [expand_countries(model, [country])]
    else:
        found = set()
        for s in model.suppliers.values():
            found.add(s.country)
            found.add(s.owner or s.country)
        names = sorted(found - {model.home})
        members = [frozenset((c,)) for c in names]
    k = len(names)
    order = list(reversed(topological_parts(model)))  # children first
    req = steady_state_requirement(model)
    index = {p: i for i, p in enumerate(model.parts)}
    n = len(model.parts)

    # share[b, i, c] and depends[b, i, c]: basis b, part i, country column c
    share = np.zeros((2, n, k))
    depends = np.zeros((2, n, k), dtype=bool)
    direct = np.zeros((2, n, k), dtype=bool)
    for pid in order:
        part, i = model.parts[pid], index[pid]
        maker = np.zeros((2, k))
        for src, s in zip(part.sources, source_shares(part)):
            if not src.is_qualified:
                continue
            sup = model.suppliers[src.supplier]
            for b, where in enumerate((sup.country, sup.owner or sup.country)):
                cols = [c for c, m in enumerate(members) if where in m]
                maker[b, cols] += s
                direct[b, i, cols] = True
        if not part.bom:
            share[:, i] = maker
            depends[:, i] = direct[:, i]
            continue
        kids = [(index[child], line.qty * model.parts[child].unit_cost) for child, line in part.bom.items()]
        children_cost = sum(w for _, w in kids)
        added = max(part.unit_cost - children_cost, 0.0)
        total = children_cost + added
        if total > 0:
            rolled = sum((w * share[:, j] for j, w in kids), np.zeros((2, k)))
            share[:, i] = (rolled + added * maker) / total
        else:
            share[:, i] = np.maximum(maker, np.max([share[:, j] for j, _ in kids], axis=0))
        depends[:, i] = direct[:, i] | np.any([depends[:, j] for j, _ in kids], axis=0)
    np.clip(share, 0.0, 1.0, out=share)

    out: list[CountryExposure] = []
    for c, name in enumerate(names):
        for b, basis in enumerate(BASES):
            rows = tuple(
                PartExposure(
                    country=name, basis=basis, part=pid, end_item=pid in model.demand,
                    share=round(float(share[b, index[pid], c]), 12),
                    direct=bool(direct[b, index[pid], c]), stock=model.parts[pid].stock, requirement=req[pid],
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
