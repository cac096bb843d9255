"""The model as a networkx graph, built in one place.

Nodes are keyed ``("part", id)``, ``("supplier", id)`` and ``("country", code)`` so a
part and a supplier may share an id. Every node has ``kind`` and ``id``; edges are
typed by ``kind``:

* ``uses``: parent part -> child part, with ``qty``; alternates carry
  ``alternate_of`` (the line's primary child) and ``qualification_time``;
* ``sourced_from``: part -> supplier, with ``share``, ``lead_time``, ``capacity``,
  ``stock`` and ``qualified``;
* ``located_in``: supplier -> country; ``owned_by``: supplier -> its owner's country,
  where that is another country. A supplier node's ``owner`` is its owner's country:
  the facility's when the model names no owner (as the ``owned`` reach reads it).
"""

from __future__ import annotations

import networkx as nx

from supplychain.model.countries import country_name
from supplychain.model.schema import Model
from supplychain.network import compile_network

__all__ = ["build_graph", "part_node", "supplier_node", "country_node"]


def part_node(pid: str) -> tuple[str, str]:
    return ("part", pid)


def supplier_node(sid: str) -> tuple[str, str]:
    return ("supplier", sid)


def country_node(code: str) -> tuple[str, str]:
    return ("country", code)


def build_graph(model: Model) -> nx.MultiDiGraph:
    """Build the typed graph of a model (see the module docstring for its schema).

    >>> from supplychain.model.schema import Model
    >>> m = Model.model_validate({"home": "TR",
    ...     "suppliers": {"plant": {"country": "TR"}, "x": {"country": "CA", "owner": "US"}},
    ...     "parts": {"w": {"bom": {"g": 2}, "sources": [{"supplier": "plant"}]},
    ...               "g": {"sources": [{"supplier": "x", "lead_time": 2}]}},
    ...     "demand": {"w": {"rate": 10}}})
    >>> g = build_graph(m)
    >>> g.edges[("part", "w"), ("part", "g"), "uses"]["qty"]
    2.0
    >>> sorted(k for _, _, k in g.out_edges(("supplier", "x"), keys=True))
    ['located_in', 'owned_by']
    """
    net = compile_network(model)
    g = nx.MultiDiGraph(name=model.name or "", home=model.home, period=model.period.value)
    countries = {model.home}
    for s in model.suppliers.values():
        countries.add(s.country)
        if s.owner:
            countries.add(s.owner)
    for c in sorted(countries):
        g.add_node(country_node(c), kind="country", id=c, name=country_name(c), home=(c == model.home))
    for (sid, s), owner in zip(model.suppliers.items(), net.supplier_owner):
        g.add_node(supplier_node(sid), kind="supplier", id=sid, name=s.name or sid, country=s.country,
                   owner=owner, recovery_time=s.recovery_time)
        g.add_edge(supplier_node(sid), country_node(s.country), key="located_in", kind="located_in")
        if owner != s.country:
            g.add_edge(supplier_node(sid), country_node(owner), key="owned_by", kind="owned_by")
    for pid, p in model.parts.items():
        g.add_node(part_node(pid), kind="part", id=pid, name=p.name or pid, unit_cost=p.unit_cost,
                   tags=p.tags, control=p.control, stock=p.stock, capacity=p.capacity,
                   build_time=p.build_time, end_item=pid in model.demand)
    for pid, p in model.parts.items():
        for child, line in p.bom.items():
            g.add_edge(part_node(pid), part_node(child), key="uses", kind="uses", qty=line.qty,
                       alternate_of=None, qualification_time=0)
            for alt in line.alternates:
                g.add_edge(part_node(pid), part_node(alt.part), key=f"uses:alternate:{child}", kind="uses",
                           qty=line.qty, alternate_of=child, qualification_time=alt.qualification_time)
        for src, s in zip(p.sources, net.sources_of(pid)):
            share = float(net.src_share[s])
            g.add_edge(part_node(pid), supplier_node(src.supplier), key="sourced_from", kind="sourced_from",
                       share=share, lead_time=src.lead_time, capacity=src.capacity, stock=src.stock,
                       qualified=src.is_qualified, qualification_time=src.qualification_time)
    return g
