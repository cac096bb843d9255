"""Embargo and disruption resolution (DESIGN.md §3): which flows stop, by how much, when.

``resolve_events`` turns a scenario into a stop fraction per source and window; these
tests read those vectors directly, so each rule is checked apart from the engine.
"""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pytest

import supplychain as sc
from supplychain.network import NEVER, compile_network, origin_share
from supplychain.sim.events import resolve_events

# A product made at home from a module made in Germany. The module holds a US chip (25),
# a Turkish housing (50) and 25 of German value added (unit cost 100). A bracket has two
# sources: 30 % US, 70 % German.
CONTENT = {
    "home": "TR",
    "suppliers": {
        "plant": {"country": "TR"},
        "dewerk": {"country": "DE"},
        "uschip": {"country": "US"},
        "trcast": {"country": "TR"},
        "caowned": {"country": "DE", "owner": "CA"},
    },
    "parts": {
        "product": {"unit_cost": 1000, "bom": {"module": 1, "bracket": 2}, "sources": [{"supplier": "plant"}]},
        "module": {"unit_cost": 100, "bom": {"chip": 1, "housing": 1}, "sources": [{"supplier": "dewerk"}],
                   "tags": ["electronics"], "control": ["EAR:6A003"]},
        "chip": {"unit_cost": 25, "sources": [{"supplier": "uschip"}], "control": ["ITAR"]},
        "housing": {"unit_cost": 50, "sources": [{"supplier": "trcast"}]},
        "bracket": {"unit_cost": 10, "sources": [{"supplier": "uschip", "share": 0.3},
                                                 {"supplier": "caowned", "share": 0.7}]},
    },
    "demand": {"product": {"rate": 10}},
}


def build(data: dict) -> sc.Model:
    model = sc.Model.model_validate(data)
    assert sc.check_model(model) == []
    return model


def content_model(**changes) -> sc.Model:
    data = copy.deepcopy(CONTENT)
    for pid, fields in changes.items():
        data["parts"][pid].update(fields)
    return build(data)


def located_in(cm, *countries) -> np.ndarray:
    return np.array([c in countries for c in cm.supplier_country])


def by_part(cm, values) -> dict[str, float]:
    return {pid: float(values[i]) for i, pid in enumerate(cm.part_ids)}


def stops(model, *embargoes, disruptions=(), as_of=None) -> dict[tuple[str, str], float]:
    """(part, supplier) -> fraction stopped by the first event, for every source."""
    cm = compile_network(model)
    ev = resolve_events(cm, sc.Scenario(embargoes=list(embargoes), disruptions=list(disruptions), as_of=as_of))
    sev = ev.events[0].severity
    return {(cm.part_ids[cm.src_part[s]], cm.supplier_ids[cm.src_supplier[s]]): float(sev[s]) for s in range(cm.n_sources)}


# --- origin share --------------------------------------------------------------------


def test_origin_share_rolls_value_up_the_bom():
    model = content_model()
    cm = compile_network(model)
    us = by_part(cm, origin_share(cm, located_in(cm, "US")))
    assert us["chip"] == pytest.approx(1.0)  # its one source is American
    assert us["housing"] == 0.0
    assert us["bracket"] == pytest.approx(0.3)  # share-weighted: 0.3 US + 0.7 DE
    assert us["module"] == pytest.approx(0.25)  # (1 x 25 x 1.0 + 1 x 50 x 0 + 25 x 0) / 100
    # (1 x 100 x 0.25 + 2 x 10 x 0.3 + (1000 - 120) x 0) / 1000 = (25 + 6) / 1000
    assert us["product"] == pytest.approx(0.031)


def test_origin_share_counts_value_added_where_the_maker_is():
    model = content_model()
    cm = compile_network(model)
    de = by_part(cm, origin_share(cm, located_in(cm, "DE")))
    assert de["module"] == pytest.approx(0.25)  # only the 25 added in Germany: 25 / 100
    assert de["bracket"] == pytest.approx(0.7)
    # (100 x 0.25 + 20 x 0.7 + 880 x 0) / 1000 = 39 / 1000
    assert de["product"] == pytest.approx(0.039)
    tr = by_part(cm, origin_share(cm, located_in(cm, "TR")))
    assert tr["module"] == pytest.approx(0.5)  # the Turkish housing: 50 / 100
    # (100 x 0.5 + 0 + 880 x 1) / 1000: the product is made at home
    assert tr["product"] == pytest.approx(0.93)


def test_origin_share_of_a_leaf_without_shares_splits_equally():
    model = content_model(bracket={"sources": [{"supplier": "uschip"}, {"supplier": "caowned"}]})
    cm = compile_network(model)
    assert by_part(cm, origin_share(cm, located_in(cm, "US")))["bracket"] == pytest.approx(0.5)


def content(rule: str, threshold: float, **kw) -> dict:
    return {"imposed_by": ["US"], "reach": ["content"], "content_rule": rule, "content_threshold": threshold, **kw}


@pytest.mark.parametrize("rule, threshold, caught", [
    ("exceeds", 0.25, False),  # 0.25 is not more than 0.25 (EAR de minimis)
    ("exceeds", 0.2499, True),
    ("at_least", 0.25, True),  # 0.25 >= 0.25
    ("at_least", 0.2501, False),
])
def test_content_rule_at_the_threshold(rule, threshold, caught):
    s = stops(content_model(), content(rule, threshold))
    assert s[("module", "dewerk")] == (1.0 if caught else 0.0)


def test_content_just_above_a_quarter_is_caught_by_exceeds():
    # chip 25.01, housing 49.99: US share 25.01 / 100 = 0.2501 > 0.25
    model = content_model(chip={"unit_cost": 25.01}, housing={"unit_cost": 49.99})
    assert stops(model, content("exceeds", 0.25))[("module", "dewerk")] == 1.0


def test_content_reach_alone_spares_flows_that_do_not_come_to_us():
    s = stops(content_model(), content("exceeds", 0.25))
    # the chip (100 % US) and the housing go to Germany, where the module is made: not
    # to `against` (home), so they are not stopped whatever their content
    assert s[("chip", "uschip")] == 0.0
    # the bracket (30 % US) comes to us: caught from either source, as content is the
    # part's, not the source's
    assert s[("bracket", "uschip")] == 1.0 and s[("bracket", "caowned")] == 1.0


def test_at_least_zero_spares_parts_without_imposer_content():
    # nothing in the model comes from Japan: every origin share is 0. "At least 0 %
    # Japanese content" can only mean "any Japanese content" to a planner (as `exceeds`
    # 0 does); a part with none is not caught, so nothing stops
    s = stops(content_model(), {"imposed_by": ["JP"], "reach": ["content"], "content_rule": "at_least",
                                "content_threshold": 0.0})
    assert set(s.values()) == {0.0}


def test_exceeds_zero_is_any_content_at_all():
    # ITAR's see-through: the bracket (30 % US) and the module (25 % US) come to us
    s = stops(content_model(), content("exceeds", 0.0))
    assert s[("bracket", "uschip")] == 1.0 and s[("module", "dewerk")] == 1.0
    assert s[("housing", "trcast")] == 0.0  # Turkish housing, no US content, goes to Germany anyway


# --- located and owned reach ---------------------------------------------------------


def test_located_and_owned_reach():
    model = content_model()
    located = stops(model, {"imposed_by": ["CA"], "reach": ["located"]})
    owned = stops(model, {"imposed_by": ["CA"], "reach": ["owned"]})
    default = stops(model, {"imposed_by": ["CA"]})
    assert located[("bracket", "caowned")] == 0.0  # the plant is in Germany
    assert owned[("bracket", "caowned")] == 1.0  # its owner is Canadian
    assert default[("bracket", "caowned")] == 1.0  # default reach: located and owned
    assert sum(default.values()) == 1.0  # nothing else is Canadian


def test_severity_scales_each_stopped_flow():
    s = stops(content_model(), {"imposed_by": ["US"], "severity": 0.4})
    assert s[("bracket", "uschip")] == pytest.approx(0.4)
    assert s[("bracket", "caowned")] == 0.0


# --- receiving makers ----------------------------------------------------------------


def test_against_is_the_country_of_the_receiving_maker():
    model = content_model()
    to_us = stops(model, {"imposed_by": ["US"]})
    to_de = stops(model, {"imposed_by": ["US"], "against": ["DE"]})
    assert to_us[("chip", "uschip")] == 0.0  # the chip goes to the German module maker
    assert to_us[("bracket", "uschip")] == 1.0  # the bracket comes to our plant
    assert to_de[("chip", "uschip")] == 1.0
    assert to_de[("bracket", "uschip")] == 0.0


def test_a_child_of_an_assembly_made_in_two_countries_is_stopped_by_the_share_going_to_against():
    # the module is made 60 % in Germany and 40 % at home: the chip's flow to the module
    # makers is stopped for the 40 % that goes to Turkey
    model = content_model(module={"sources": [{"supplier": "dewerk", "share": 0.6}, {"supplier": "plant", "share": 0.4}]})
    assert stops(model, {"imposed_by": ["US"]})[("chip", "uschip")] == pytest.approx(0.4)


def test_a_part_used_by_two_parents_is_stopped_by_the_lines_going_to_against():
    # the housing goes to the German module maker and, on a second line, to our plant
    data = copy.deepcopy(CONTENT)
    data["parts"]["product"]["bom"]["housing"] = 1
    data["parts"]["housing"]["sources"] = [{"supplier": "uschip"}]
    s = stops(build(data), {"imposed_by": ["US"]})
    assert s[("housing", "uschip")] == pytest.approx(0.5)  # one of its two lines comes home


# --- imposers, groups and dates ------------------------------------------------------


def test_imposers_in_against_are_dropped():
    model = content_model()
    s = stops(model, {"imposed_by": ["NATO"]})  # against TR, itself in NATO
    assert s[("housing", "trcast")] == 0.0  # Turkish plants never stop for Turkey
    assert s[("product", "plant")] == 0.0
    assert s[("bracket", "uschip")] == 1.0  # US and Germany are NATO members
    assert s[("bracket", "caowned")] == 1.0
    assert s[("chip", "uschip")] == 0.0  # goes to Germany, not to us


def test_user_groups_and_dated_builtin_groups_expand():
    data = copy.deepcopy(CONTENT)
    data["groups"] = {"ATLANTIC": ["CA", "US"]}
    data["suppliers"]["dewerk"]["country"] = "GB"
    data["parts"]["module"]["bom"] = {}  # the module is a plain British part now
    model = build(data)
    assert stops(model, {"imposed_by": ["ATLANTIC"]})[("bracket", "caowned")] == 1.0  # Canadian owner
    eu = {"imposed_by": ["EU"]}
    assert stops(model, eu, as_of=date(2020, 1, 31))[("module", "dewerk")] == 1.0  # last EU day
    assert stops(model, eu, as_of=date(2020, 2, 1))[("module", "dewerk")] == 0.0


# --- items ---------------------------------------------------------------------------


@pytest.mark.parametrize("items, stopped", [
    ("all", {"bracket"}),
    ({"tags": ["electronics"]}, set()),  # the module is German: the US reaches no module flow
    ({"control": ["ITAR"]}, set()),  # the chip goes to Germany
    ({"parts": ["bracket"]}, {"bracket"}),
    ({"tags": ["nothing"]}, set()),
])
def test_items_filter_us_embargo(items, stopped):
    s = stops(content_model(), {"imposed_by": ["US"], "items": items})
    assert {p for (p, _), v in s.items() if v > 0} == stopped


@pytest.mark.parametrize("control, stopped", [
    (["EAR"], True),  # a regime name covers its classes: EAR matches EAR:6A003
    (["EAR:6A003"], True),
    (["EAR:5A002"], False),
    (["ITAR"], False),
])
def test_items_filter_by_control_class_and_regime(control, stopped):
    s = stops(content_model(), {"imposed_by": ["DE"], "items": {"control": control}})
    assert (s[("module", "dewerk")] == 1.0) is stopped


# --- disruptions ---------------------------------------------------------------------


def test_disruptions_stop_suppliers_countries_or_parts_whoever_they_ship_to():
    model = content_model()
    by_supplier = stops(model, disruptions=[{"suppliers": ["uschip"]}])
    assert by_supplier[("chip", "uschip")] == 1.0  # even though the chip goes to Germany
    assert by_supplier[("bracket", "uschip")] == 1.0
    assert by_supplier[("bracket", "caowned")] == 0.0
    by_country = stops(model, disruptions=[{"countries": ["TR"], "severity": 0.5}])
    assert {k for k, v in by_country.items() if v == 0.5} == {("product", "plant"), ("housing", "trcast")}
    by_part = stops(model, disruptions=[{"parts": ["bracket"]}])
    assert {k for k, v in by_part.items() if v > 0} == {("bracket", "uschip"), ("bracket", "caowned")}


# --- when: the event start and qualification dates -----------------------------------


def events_of(model, scenario):
    cm = compile_network(model)
    return cm, resolve_events(cm, scenario)


def test_first_start_counts_only_events_that_stop_something():
    model = content_model()
    _, ev = events_of(model, sc.Scenario(embargoes=[
        {"imposed_by": ["JP"], "start": 2},  # stops nothing: no supplier in Japan
        {"imposed_by": ["US"], "start": 7, "duration": 0},  # an empty window
        {"imposed_by": ["CA"], "start": 9, "end": 12},
        {"imposed_by": ["US"], "start": 11},
    ]))
    assert ev.first_start == 9
    assert [(e.start, e.stop) for e in ev.events] == [(2, NEVER), (7, 7), (9, 12), (11, NEVER)]
    assert events_of(model, None)[1].first_start is None


def test_duration_gives_the_window():
    _, ev = events_of(content_model(), sc.Scenario(embargoes=[{"imposed_by": ["US"], "start": 4, "duration": 6}]))
    assert (ev.events[0].start, ev.events[0].stop) == (4, 10)  # runs 4 <= t < 4 + 6


def test_qualification_dates_follow_the_first_stop_of_the_part():
    data = copy.deepcopy(CONTENT)
    data["parts"]["bracket"]["sources"] = [
        {"supplier": "uschip"},
        {"supplier": "trcast", "qualification_time": 6},
        {"supplier": "plant", "qualified": False},  # no qualification time: never
    ]
    data["parts"]["product"]["bom"]["module"] = {"qty": 1, "alternates": [{"part": "housing", "qualification_time": 3}]}
    model = build(data)
    cm, ev = events_of(model, sc.Scenario(embargoes=[
        {"imposed_by": ["DE"], "start": 8},  # stops the module (and its line): trigger 8
        {"imposed_by": ["US"], "start": 4},  # stops the bracket: trigger 4
    ]))
    usable = {cm.supplier_ids[cm.src_supplier[s]]: int(ev.src_usable_from[s])
              for s in range(cm.n_sources) if cm.part_ids[cm.src_part[s]] == "bracket"}
    assert usable == {"uschip": 0, "trcast": 4 + 6, "plant": NEVER}
    alt = [m for m in range(len(cm.mem_line)) if not cm.mem_is_primary[m]]
    assert [int(ev.mem_usable_from[m]) for m in alt] == [8 + 3]
    assert ev.first_start == 4


def test_qualification_never_starts_without_a_stop():
    data = copy.deepcopy(CONTENT)
    data["parts"]["bracket"]["sources"] = [{"supplier": "uschip"}, {"supplier": "trcast", "qualification_time": 6}]
    cm, ev = events_of(build(data), sc.Scenario(embargoes=[{"imposed_by": ["JP"], "start": 1}]))
    assert int(ev.src_usable_from.max()) == NEVER
