"""Where supply is concentrated: HHI by country, single sources, single points of failure.

Per part, the Herfindahl-Hirschman index of its normal supply by facility country, with
shares in percent (``sum (100 * share_c) ** 2``: 0 < HHI <= 10,000; one country = 10,000;
30/30/20/20 = 2,600). Shares are those of the qualified sources (equal split when the
model gives none), summed per country.

A **single point of failure** (SPOF) is a supplier or part whose loss alone stops an
end item for good: after the loss some required BOM line of the end item's tree has no
part left that is still obtainable. A part is obtainable when it has an open qualified
source and every line of its own BOM has an obtainable option (its child, or an
alternate usable at once). This is the articulation-point idea applied to the AND/OR
structure of a BOM: a line is an OR over its options, a part an AND over its lines and an
OR over its sources. A backup that still has to be qualified (a source with a
``qualification_time``, an alternate with one) does not remove a SPOF: the line stops
until it qualifies. A part is reported as a SPOF when one failure can take it -- it has
a single qualified source -- and its loss stops an end item; suppliers whose loss stops
an end item are reported with the parts that lose their only qualified source.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from supplychain.model.checks import topological_parts
from supplychain.model.schema import Model
from supplychain.network import Network, compile_network

__all__ = ["hhi", "PartConcentration", "SinglePointOfFailure", "ConcentrationResult", "concentration"]


def hhi(shares: dict[str, float] | list[float]) -> float:
    """Herfindahl-Hirschman index of fractional shares, in percent squared (0-10,000).

    >>> hhi([0.3, 0.3, 0.2, 0.2])
    2600.0
    >>> hhi([0.4, 0.3, 0.2, 0.1])
    3000.0
    """
    values = shares.values() if isinstance(shares, dict) else shares
    return round(sum((100.0 * s) ** 2 for s in values), 9)


@dataclass(frozen=True)
class PartConcentration:
    """One part's supply by country.

    ``countries`` maps each facility country to its share of normal supply (0-1);
    ``hhi`` is None for a part without a qualified source (no normal supply to measure).
    """

    part: str
    hhi: float | None
    countries: dict[str, float]
    qualified_sources: int
    sources: int

    @property
    def single_source(self) -> bool:
        return self.qualified_sources == 1

    @property
    def single_country(self) -> bool:
        return len(self.countries) == 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part, "hhi": self.hhi, "countries": dict(self.countries),
            "qualified_sources": self.qualified_sources, "sources": self.sources,
            "single_source": self.single_source, "single_country": self.single_country,
        }


@dataclass(frozen=True)
class SinglePointOfFailure:
    """A supplier or part whose loss alone stops ``end_items``.

    ``parts``: for a supplier, the parts that lose their only qualified source with it;
    for a part, the part itself. ``country``: the supplier's facility country, or the
    country of the part's single source.
    """

    kind: Literal["supplier", "part"]
    id: str
    country: str | None
    end_items: tuple[str, ...]
    parts: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "country": self.country,
                "end_items": list(self.end_items), "parts": list(self.parts)}


@dataclass(frozen=True)
class ConcentrationResult:
    """Supply concentration of every part and the network's single points of failure.

    ``parts`` runs from the most concentrated (highest HHI) down, ties in model order;
    ``spofs`` from the one stopping most end items down, suppliers before parts, then id.
    """

    parts: tuple[PartConcentration, ...]
    spofs: tuple[SinglePointOfFailure, ...]

    @property
    def single_source_parts(self) -> tuple[str, ...]:
        return tuple(p.part for p in self.parts if p.single_source)

    @property
    def single_country_parts(self) -> tuple[str, ...]:
        return tuple(p.part for p in self.parts if p.single_country)

    def part(self, pid: str) -> PartConcentration:
        """The entry of part ``pid`` (``KeyError`` if the model has no such part)."""
        for p in self.parts:
            if p.part == pid:
                return p
        raise KeyError(pid)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parts": [p.to_dict() for p in self.parts],
            "single_source_parts": list(self.single_source_parts),
            "single_country_parts": list(self.single_country_parts),
            "spofs": [s.to_dict() for s in self.spofs],
        }

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """``(header, rows)``: one row per part -- HHI, countries (``CA:60%;FR:40%``),
        flags, and the end items its single-source loss stops (the ``--csv`` file and
        :meth:`to_frame` are this table)."""
        stops = {s.id: s.end_items for s in self.spofs if s.kind == "part"}
        header = ["part", "hhi", "countries", "qualified_sources", "single_source", "single_country", "spof_for"]
        rows = [
            [p.part, p.hhi, ";".join(f"{c}:{100 * s:g}%" for c, s in p.countries.items()),
             p.qualified_sources, p.single_source, p.single_country, ";".join(stops.get(p.part, ()))]
            for p in self.parts
        ]
        return header, rows

    def to_frame(self):
        """:meth:`table` as a pandas DataFrame (pandas needed)."""
        import pandas as pd

        header, rows = self.table()
        return pd.DataFrame(rows, columns=header)


def _part_concentration(model: Model, net: Network, pid: str) -> PartConcentration:
    part = model.parts[pid]
    by_country: dict[str, float] = {}
    for src, s in zip(part.sources, net.sources_of(pid)):
        if src.is_qualified:
            c = model.suppliers[src.supplier].country
            by_country[c] = by_country.get(c, 0.0) + float(net.src_share[s])
    qualified = sum(1 for s in part.sources if s.is_qualified)
    # countries with a zero share (a qualified backup kept idle) are no part of supply
    by_country = {c: s for c, s in sorted(by_country.items(), key=lambda cs: (-cs[1], cs[0])) if s > 0}
    return PartConcentration(
        part=pid,
        hhi=hhi(by_country) if by_country else None,
        countries=by_country,
        qualified_sources=qualified,
        sources=len(part.sources),
    )


class _Obtainability:
    """Which parts stay obtainable when suppliers or parts are lost (see module docs)."""

    def __init__(self, model: Model):
        self.model = model
        self.parents: dict[str, list[str]] = defaultdict(list)
        # per part, its lines as tuples of options usable at once
        self.lines: dict[str, list[tuple[str, ...]]] = {}
        for pid, part in model.parts.items():
            opts_per_line = []
            for child, line in part.bom.items():
                opts = (child, *(a.part for a in line.alternates if a.qualification_time == 0))
                opts_per_line.append(opts)
                for o in dict.fromkeys((child, *(a.part for a in line.alternates))):
                    self.parents[o].append(pid)
            self.lines[pid] = opts_per_line
        self.qualified = {
            pid: tuple(s.supplier for s in part.sources if s.is_qualified) for pid, part in model.parts.items()
        }
        self.base = self._baseline()

    def _baseline(self) -> set[str]:
        ok: set[str] = set()
        for pid in reversed(topological_parts(self.model)):
            if self.qualified[pid] and all(any(o in ok for o in opts) for opts in self.lines[pid]):
                ok.add(pid)
        return ok

    def lost_with(self, seeds: set[str]) -> set[str]:
        """Parts that stop being obtainable when ``seeds`` are lost (seeds included)."""
        dead = {p for p in seeds if p in self.base}
        stack = list(dead)
        while stack:
            p = stack.pop()
            for q in self.parents.get(p, ()):
                if q in dead or q not in self.base:
                    continue
                if any(all(o in dead or o not in self.base for o in opts) for opts in self.lines[q]):
                    dead.add(q)
                    stack.append(q)
        return dead


def concentration(model: Model) -> ConcentrationResult:
    """HHI by country per part, single-source and single-country parts, and the SPOFs.

    >>> m = Model.model_validate({"home": "TR", "suppliers": {"plant": {"country": "TR"},
    ...     "a": {"country": "CA"}, "b": {"country": "FR"}},
    ...     "parts": {"w": {"bom": {"g": 1, "h": 1}, "sources": [{"supplier": "plant"}]},
    ...               "g": {"sources": [{"supplier": "a", "share": 0.6}, {"supplier": "b", "share": 0.4}]},
    ...               "h": {"sources": [{"supplier": "a"}]}},
    ...     "demand": {"w": {"rate": 1}}})
    >>> r = concentration(m)
    >>> r.part("g").hhi  # 60^2 + 40^2
    5200.0
    >>> [(s.kind, s.id, s.end_items) for s in r.spofs]
    [('supplier', 'a', ('w',)), ('supplier', 'plant', ('w',)), ('part', 'h', ('w',)), ('part', 'w', ('w',))]
    """
    net = compile_network(model)
    ranked = sorted(
        (_part_concentration(model, net, pid) for pid in model.parts),
        key=lambda p: -(p.hhi if p.hhi is not None else -1.0),
    )
    ob = _Obtainability(model)
    live_items = [e for e in model.demand if e in ob.base]

    def stopped(dead: set[str]) -> tuple[str, ...]:
        return tuple(e for e in live_items if e in dead)

    spofs: list[SinglePointOfFailure] = []
    by_supplier: dict[str, list[str]] = defaultdict(list)
    for pid, sups in ob.qualified.items():
        if len(sups) == 1:
            by_supplier[sups[0]].append(pid)
    for sid in model.suppliers:
        seeds = by_supplier.get(sid, [])
        items = stopped(ob.lost_with(set(seeds))) if seeds else ()
        if items:
            spofs.append(SinglePointOfFailure("supplier", sid, model.suppliers[sid].country, items, tuple(seeds)))
    for pid, sups in ob.qualified.items():
        if len(sups) != 1:
            continue
        items = stopped(ob.lost_with({pid}))
        if items:
            spofs.append(SinglePointOfFailure("part", pid, model.suppliers[sups[0]].country, items, (pid,)))
    spofs.sort(key=lambda s: (-len(s.end_items), s.kind != "supplier", s.id))
    return ConcentrationResult(parts=tuple(ranked), spofs=tuple(spofs))
