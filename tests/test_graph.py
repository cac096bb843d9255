"""The typed networkx graph and the BOM walks, on the hand-made small network.

tests/data/small-network.yaml, in short (home TR, plan: drone 4/week, turret 2/week):

    drone  = engine x1 + camera x1 + frame x1 (alternate frame2 after 8 weeks)   <- plant (TR)
    turret = camera x2                                                           <- plant (TR)
    engine = piston x4            <- xcorp (CA, owned by US) 0.6, ycorp (DE) 0.4
    piston                        <- zcorp (US, owned by US), ycorp (DE): no shares, equal split
    camera = sensor x2            <- plant (TR)
    sensor                        <- fjord (NO); plant (TR) after 12 weeks of qualification
    frame <- plant (TR);  frame2 <- ycorp (DE)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from supplychain import load_model
from supplychain.graph import bom_tree, build_graph, end_items_using, supplier_countries, tiers, where_used
from supplychain.io import model_from_data
from supplychain.model import topological_parts
from supplychain.network import compile_network, steady_state_requirement


@pytest.fixture(scope="module")
def model():
    return load_model(Path(__file__).parent / "data" / "small-network.yaml")


def kinds(g, which):
    items = g.nodes(data="kind") if which == "nodes" else ((u, v, d["kind"]) for u, v, d in g.edges(data=True))
    return Counter(x[-1] for x in items)


def test_node_kinds_and_counts(model):
    g = build_graph(model)
    # 8 parts; 5 suppliers; countries TR (home), CA, DE, US, NO (US is also an owner)
    assert kinds(g, "nodes") == {"part": 8, "supplier": 5, "country": 5}
    assert g.nodes["country", "NO"] == {"kind": "country", "id": "NO", "name": "Norway", "home": False}
    assert g.nodes["country", "TR"]["home"] is True
    assert g.nodes["supplier", "xcorp"]["country"] == "CA"
    assert g.nodes["supplier", "xcorp"]["owner"] == "US"
    assert g.nodes["part", "drone"]["end_item"] is True
    assert g.nodes["part", "engine"]["end_item"] is False
    assert g.nodes["part", "camera"]["control"] == ("ITAR",)
    assert g.graph["home"] == "TR" and g.graph["period"] == "week"


def test_edge_kinds_and_counts(model):
    # uses: drone->engine, camera, frame, frame2 (alternate); turret->camera; engine->piston; camera->sensor = 7
    # sourced_from: one per source: 1+1+2+2+1+2+1+1 = 11
    # located_in: one per supplier = 5; owned_by: xcorp only (zcorp's owner is its own country) = 1
    assert kinds(build_graph(model), "edges") == {"uses": 7, "sourced_from": 11, "located_in": 5, "owned_by": 1}


def test_uses_edges_carry_quantity_and_alternates(model):
    g = build_graph(model)
    assert g.edges[("part", "turret"), ("part", "camera"), "uses"]["qty"] == 2.0
    assert g.edges[("part", "engine"), ("part", "piston"), "uses"]["qty"] == 4.0
    primary = g.edges[("part", "drone"), ("part", "frame"), "uses"]
    assert (primary["alternate_of"], primary["qualification_time"]) == (None, 0)
    alt = g.edges[("part", "drone"), ("part", "frame2"), "uses:alternate:frame"]
    assert (alt["kind"], alt["qty"], alt["alternate_of"], alt["qualification_time"]) == ("uses", 1.0, "frame", 8)


def test_sourced_from_edges_carry_shares(model):
    g = build_graph(model)

    def src(part, sup):
        return g.edges[("part", part), ("supplier", sup), "sourced_from"]

    assert (src("engine", "xcorp")["share"], src("engine", "xcorp")["lead_time"]) == (0.6, 4)
    assert src("engine", "ycorp")["share"] == 0.4
    # no shares given: equal split between the two qualified sources, 1/2 each
    assert src("piston", "zcorp")["share"] == src("piston", "ycorp")["share"] == 0.5
    # the pending in-house sensor source has no normal share; fjord carries it all (1/1)
    assert src("sensor", "fjord")["share"] == 1.0
    pending = src("sensor", "plant")
    assert (pending["share"], pending["qualified"], pending["qualification_time"]) == (0.0, False, 12)


def test_located_in_and_owned_by(model):
    g = build_graph(model)
    assert set(g.successors(("supplier", "xcorp"))) == {("country", "CA"), ("country", "US")}
    assert g.edges[("supplier", "xcorp"), ("country", "US"), "owned_by"]["kind"] == "owned_by"
    # zcorp is in the US and owned from the US: one located_in edge, no owned_by
    assert list(g.out_edges(("supplier", "zcorp"), keys=True)) == [(("supplier", "zcorp"), ("country", "US"), "located_in")]
    assert list(g.out_edges(("supplier", "fjord"), keys=True)) == [(("supplier", "fjord"), ("country", "NO"), "located_in")]


def test_each_graph_is_the_callers_own(model):
    # a graph is a new object per call: what one caller changes in it changes no other
    g = build_graph(model)
    g.remove_node(("part", "camera"))
    assert ("part", "camera") in build_graph(model)


def test_where_used(model):
    assert where_used(model, "camera") == {"drone": 1.0, "turret": 2.0}
    assert where_used(model, "frame2") == {"drone": 1.0}  # through the alternate on the frame line
    assert where_used(model, "piston") == {"engine": 4.0}
    assert where_used(model, "drone") == {}


def test_end_items_using(model):
    assert end_items_using(model, "sensor") == ["drone", "turret"]  # via camera, in both
    assert end_items_using(model, "piston") == ["drone"]
    assert end_items_using(model, "frame2") == ["drone"]


def test_supplier_countries(model):
    assert supplier_countries(model, "piston") == ["US", "DE"]
    assert supplier_countries(model, "sensor") == ["NO", "TR"]  # the pending source counts too
    assert supplier_countries(model, "drone") == ["TR"]


def rows(model, item):
    return [(r.depth, r.part, r.qty, r.qty_per_end_item, r.alternate_of, r.qualification_time)
            for r in bom_tree(model, item)]


def test_bom_tree_order_and_quantities(model):
    # depth first in file order, the alternate right after its line's part
    assert rows(model, "drone") == [
        (0, "drone", 1.0, 1.0, None, 0),
        (1, "engine", 1.0, 1.0, None, 0),
        (2, "piston", 4.0, 4.0, None, 0),  # 1 engine x 4 pistons
        (1, "camera", 1.0, 1.0, None, 0),
        (2, "sensor", 2.0, 2.0, None, 0),  # 1 camera x 2 sensors
        (1, "frame", 1.0, 1.0, None, 0),
        (1, "frame2", 1.0, 1.0, "frame", 8),
    ]
    assert rows(model, "turret") == [
        (0, "turret", 1.0, 1.0, None, 0),
        (1, "camera", 2.0, 2.0, None, 0),
        (2, "sensor", 2.0, 4.0, None, 0),  # 2 cameras x 2 sensors = 4 per turret
    ]


def test_bom_tree_row_cap(model):
    assert len(list(bom_tree(model, "drone", max_rows=3))) == 3


def test_tiers(model):
    assert tiers(model) == {
        "drone": 0, "turret": 0,
        "engine": 1, "camera": 1, "frame": 1, "frame2": 1,
        "piston": 2, "sensor": 2,
    }


def test_tier_is_the_deepest_path_and_unused_parts_get_minus_one():
    src = [{"supplier": "s"}]
    m = model_from_data({
        "home": "TR", "suppliers": {"s": {"country": "TR"}},
        "parts": {"a": {"bom": {"b": 1, "c": 1}, "sources": src}, "b": {"bom": {"c": 1}, "sources": src},
                  "c": {"sources": src}, "spare": {"sources": src}},
        "demand": {"a": {"rate": 1}},
    })
    # c is used by a (tier 1) and by b (tier 1): the deeper path a -> b -> c puts it at 2
    assert tiers(m) == {"a": 0, "b": 1, "c": 2, "spare": -1}


def test_topological_order_puts_parents_first(model):
    order = topological_parts(model)
    pos = {p: i for i, p in enumerate(order)}
    for u, v, kind in build_graph(model).edges(data="kind"):
        if kind == "uses":
            assert pos[u[1]] < pos[v[1]]


def test_steady_state_requirement(model):
    # drone 4 + turret 2 per week; camera = 4 x 1 + 2 x 2 = 8; sensor = 8 x 2 = 16;
    # engine 4, piston 4 x 4 = 16, frame 4; frame2 is an alternate: 0 in the steady state
    assert steady_state_requirement(compile_network(model)) == {
        "drone": 4.0, "turret": 2.0, "engine": 4.0, "piston": 16.0,
        "camera": 8.0, "sensor": 16.0, "frame": 4.0, "frame2": 0.0,
    }
