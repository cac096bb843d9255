"""Hand-solved simulations (DESIGN.md §3-4): every expected number is derived beside it.

Most cases start from DESIGN.md's one-part line: a widget made at home (TR) at
10/period from one gear per unit; the gear comes from X Corp in Canada with a lead time
of 2 and 35 gears in stock. The steady state, which every derivation starts from:

* gear requirement r = 10/period; pipeline = r x lead = 20 (10 landing at t=0 and t=1);
* base-stock target position = stock + pipeline = 35 + 20 = 55;
* each period: 10 land, stock 45, order 10 + 55 - (45 + 10 on order) = 10, the widget
  uses 10, so the gear stock at the end of every period is 35 (``record_stock`` shows
  stock at the end of a period, after building).

An embargo from t=5 stops orders from t=5 on; what was shipped at t=3 and t=4 lands at
t=5 and t=6 (``delivered``) or is lost (``blocked``).
"""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pytest

import supplychain as sc
from supplychain.sim import simulate

HOME_LINE = {
    "name": "one-part line",
    "home": "TR",
    "period": "week",
    "suppliers": {
        "xcorp": {"name": "X Corp", "country": "CA"},
        "ycorp": {"name": "Y Corp", "country": "DE"},
        "plant": {"name": "Our plant", "country": "TR"},
    },
    "parts": {
        "widget": {"unit_cost": 1000, "bom": {"gear": 1}, "sources": [{"supplier": "plant"}]},
        "gear": {"unit_cost": 50, "stock": 35, "sources": [{"supplier": "xcorp", "lead_time": 2}]},
    },
    "demand": {"widget": {"rate": 10, "unit_value": 1000}},
}


def build(data: dict) -> sc.Model:
    """A validated model; the case must be a valid file (no cross-entry problems)."""
    model = sc.Model.model_validate(data)
    assert sc.check_model(model) == []
    return model


def line(**gear) -> sc.Model:
    """The one-part line with gear fields replaced."""
    data = copy.deepcopy(HOME_LINE)
    data["parts"]["gear"].update(gear)
    return build(data)


def run(model, *embargoes, horizon=20, disruptions=(), as_of=None):
    scenario = sc.Scenario(horizon=horizon, embargoes=list(embargoes), disruptions=list(disruptions), as_of=as_of)
    return simulate(model, scenario, record_stock=True)


def ca(**kw) -> dict:
    """Canada stops exports to us from t=5 (fields overridable)."""
    return {"name": "Canada stops exports", "imposed_by": ["CA"], "start": 5, **kw}


def series(*runs) -> list[float]:
    """Expand (value, count) pairs into a list: series((10, 3), (0, 2)) = [10, 10, 10, 0, 0]."""
    return [float(v) for v, n in runs for _ in range(n)]


def assert_series(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=0, atol=1e-9)


BASELINE = series((10, 20))


# --- DESIGN.md §4's case -------------------------------------------------------------


def test_canada_embargo_stops_line_after_stock_with_goods_in_transit_delivered():
    r = run(line(), ca())
    w = r.end_items["widget"]
    # shipments of t=3, t=4 land at t=5, t=6: the stock stays 35 through t=6; then
    # 10 a period is drawn: 25, 15, 5 at the ends of t=7..9; t=10 has 5 -> output 5
    assert_series(r.stock["gear"], series((35, 7), (25, 1), (15, 1), (5, 1), (0, 10)))
    assert_series(w.produced, series((10, 10), (5, 1), (0, 9)))
    assert w.time_to_survive == 5  # first period below plan 10 - start 5
    assert w.units_lost == pytest.approx(95)  # 5 at t=10 + 10 x 9 periods (t=11..19)
    assert w.value_lost == pytest.approx(95_000)  # 95 units x 1000
    assert w.time_to_recover is None  # never back at plan within 20 periods
    assert w.main_bottleneck == "gear"
    assert w.bottleneck[:10] == (None,) * 10 and set(w.bottleneck[10:]) == {"gear"}
    assert r.event_start == 5


def test_canada_embargo_with_goods_in_transit_blocked_stops_line_two_periods_earlier():
    r = run(line(), ca(in_transit="blocked"))
    w = r.end_items["widget"]
    # the 20 shipped at t=3, t=4 are lost: 35 -> 25, 15, 5 at the ends of t=5..7,
    # output 5 at t=8, 0 after
    assert_series(r.stock["gear"], series((35, 5), (25, 1), (15, 1), (5, 1), (0, 12)))
    assert_series(w.produced, series((10, 8), (5, 1), (0, 11)))
    assert w.time_to_survive == 3  # 8 - 5
    assert w.units_lost == pytest.approx(115)  # 5 + 10 x 11 (t=9..19)
    assert w.value_lost == pytest.approx(115_000)
    assert w.time_to_recover is None
    assert w.main_bottleneck == "gear"


# --- embargoes that end, or only partly stop a flow ----------------------------------


def test_lifted_embargo_reorders_the_whole_gap_and_recovers():
    r = run(line(), ca(end=12))
    w = r.end_items["widget"]
    # as above to t=10 (output 5, stock 0), t=11 nothing. At t=12 orders resume with
    # position 0: order 10 + 55 - 0 = 65, landing at t=14. t=13: position 65 -> order 0.
    # t=14: 65 land, widget uses 10 -> 55; t=15 order 10 (position 55) -> 45 at the end;
    # t=16: nothing lands (t=14 ordered 0) -> 35; from t=17 the 10s of t=15.. land: 35.
    assert_series(r.stock["gear"], series((35, 7), (25, 1), (15, 1), (5, 1), (0, 4), (55, 1), (45, 1), (35, 4)))
    assert_series(w.produced, series((10, 10), (5, 1), (0, 3), (10, 6)))
    assert w.time_to_survive == 5
    assert w.time_to_recover == 9  # at plan from t=14 on: 14 - 5
    assert w.units_lost == pytest.approx(35)  # 5 + 10 x 3 (t=11..13)


def test_lifting_a_partial_embargo_never_lowers_output():
    model = build({
        "home": "TR",
        "suppliers": {"plant": {"country": "TR"}, "decorp": {"country": "DE"}},
        "parts": {"widget": {"sources": [{"supplier": "plant"}, {"supplier": "decorp", "lead_time": 3}]}},
        "demand": {"widget": {"rate": 10}},
    })
    half = {"imposed_by": ["DE"], "start": 4, "severity": 0.5, "in_transit": "blocked"}
    running = run(model, half)
    lifted = run(model, {**half, "end": 13})
    # Normal: 5 from home (lead 0) + 5 from Germany (lead 3); target 0 + 10 x 1.5 = 15.
    # t=4: the German 5s in transit (landing t=4..6) are halved to 2.5: the position
    # falls 7.5 short. Order 10 + 7.5: the 10 splits 5/5, Germany may ship (1 - 0.5) x 5
    # = 2.5; its other 2.5 and the 7.5 gap go to the quickest source, home (lead 0):
    # home ships 15, which lands now. Stock 0 + 2.5 + 15 - 10 = 7.5; then every period
    # 7.5 (home) + 2.5 (Germany) land and 10 are used: 7.5 held while the embargo runs.
    assert_series(running.end_items["widget"].produced, BASELINE)
    assert_series(running.stock["widget"], series((0, 4), (7.5, 16)))
    # Lifted at 13: Germany's 2.5s of t=10..12 still land at t=13..15. t=13: on hand
    # 7.5 + 2.5, on order 2.5 + 2.5 -> position 15, order 10 split 5/5 (home's lands
    # now): 15 - 10 = 5 left. t=14: 5 + 2.5 + 5 - 10 = 2.5 (position 7.5 + 2.5 + 5 = 15);
    # t=15: 2.5 + 2.5 + 5 - 10 = 0; from t=16 5 + 5 land. Output stays at 10.
    assert_series(lifted.end_items["widget"].produced, BASELINE)
    assert_series(lifted.stock["widget"], series((0, 4), (7.5, 9), (5, 1), (2.5, 1), (0, 5)))
    assert lifted.end_items["widget"].units_lost == running.end_items["widget"].units_lost == 0


def test_a_line_at_capacity_expedites_the_gap_before_the_share_split():
    model = build({
        "home": "TR",
        "suppliers": {"xcorp": {"country": "CA"}, "ycorp": {"country": "DE"}},
        "parts": {"widget": {"capacity": 10, "sources": [
            {"supplier": "xcorp", "lead_time": 2},
            {"supplier": "ycorp", "lead_time": 0, "qualification_time": 0}]}},
        "demand": {"widget": {"rate": 10}},
    })
    r = run(model, ca(end=6, severity=0.5, in_transit="blocked"))
    # Normal: 10 a period from X Corp (lead 2): target 0 + 10 x 2 = 20, two 10s on the
    # way. t=5: the two 10s in transit are halved; Y Corp is usable (trigger 5 +
    # qualification 0). 5 lands, position 5 + 5 = 10, 10 short of target: order
    # min(10 + 10, capacity 10) = 10, all of it gap, which goes first and to the quickest
    # source: Y Corp ships 10 that land now. 15 - 10 = 5 left.
    # t=6 (lifted): 5 lands -> 10, nothing on order, 10 short: again 10 from Y Corp -> 20,
    # output 10, 10 left. From t=7 nothing from X Corp lands (it got no orders), position
    # 10, 10 short: Y Corp ships 10 a period and 10 stay in stock.
    # Split by share first, t=6 would order the 10 from X Corp (landing at t=8) and
    # deliver only the 5 that land: an earlier lift would cost output.
    assert_series(r.end_items["widget"].produced, BASELINE)
    assert_series(r.stock["widget"], series((0, 5), (5, 1), (10, 14)))


def test_half_severity_lets_half_the_normal_flow_through():
    r = run(line(), ca(severity=0.5))
    w = r.end_items["widget"]
    # no capacity set: X Corp may ship (1 - 0.5) x its normal flow 10 = 5 a period from
    # t=5, landing from t=7. Stock: 35 through t=6, then -5 a period: 30 at t=7 ... 5 at
    # t=12; t=13: 5 + 5 = 10 -> output 10, stock 0; from t=14 output 5.
    assert_series(r.stock["gear"], series((35, 7), (30, 1), (25, 1), (20, 1), (15, 1), (10, 1), (5, 1), (0, 7)))
    assert_series(w.produced, series((10, 14), (5, 6)))
    assert w.time_to_survive == 9  # 14 - 5
    assert w.units_lost == pytest.approx(30)  # 5 x 6 (t=14..19)
    assert w.time_to_recover is None


def test_overlapping_embargoes_on_one_flow_take_the_largest_severity():
    both = run(line(), ca(severity=0.5), ca(severity=0.8, name="worse"))
    alone = run(line(), ca(severity=0.8))
    w = both.end_items["widget"]
    # max(0.5, 0.8) = 0.8 applies, not 0.5 nor 0.9 = 1 - 0.5 x 0.2 nor the sum: 2 a
    # period get through from t=5, landing from t=7. Stock 35 through t=6, then -8:
    # 27, 19, 11, 3 (t=7..10); t=11: 3 + 2 = 5 -> output 5; then 2 a period.
    assert_series(both.stock["gear"], series((35, 7), (27, 1), (19, 1), (11, 1), (3, 1), (0, 9)))
    assert_series(w.produced, series((10, 11), (5, 1), (2, 8)))
    assert w.time_to_survive == 6  # 11 - 5
    assert w.units_lost == pytest.approx(69)  # 5 + 8 x 8 (t=12..19)
    assert_series(alone.end_items["widget"].produced, w.produced)


def test_overlapping_windows_stop_while_either_runs():
    # 0.5 over [5, 8), total over [8, 10), nothing after: orders t=5..7 ship 5, t=8, 9 ship 0
    r = run(line(), ca(severity=0.5, end=8), ca(severity=1.0, start=8, end=10, name="escalation"))
    w = r.end_items["widget"]
    # t=5: land 10 -> 45, position 55: order 10, ships 5 (lands t=7); -> 35.
    # t=6: land 10 -> 45, position 45 + 5: order 15, ships 5; -> 35.
    # t=7: land 5 -> 40, position 45: order 20, ships 5; -> 30.
    # t=8, 9: land 5 each, ship 0; -> 25, 20. t=10: nothing lands; position 20: order
    # 10 + 55 - 20 = 45 (lands t=12); -> 10. t=11: position 10 + 45: order 10; -> 0.
    # t=12: 45 land, position 45 + 10: order 10; -> 35, and 35 from then on.
    assert_series(w.produced, BASELINE)  # the stock bridged it: no loss
    assert_series(r.stock["gear"], series((35, 7), (30, 1), (25, 1), (20, 1), (10, 1), (0, 1), (35, 8)))
    assert w.time_to_survive is None and w.time_to_recover is None
    assert r.event_start == 5


# --- second sources and alternates ---------------------------------------------------


def test_alternate_gear_after_qualification_restores_output():
    data = copy.deepcopy(HOME_LINE)
    data["parts"]["widget"]["bom"] = {"gear": {"qty": 1, "alternates": [{"part": "gear2", "qualification_time": 8}]}}
    data["parts"]["gear2"] = {"unit_cost": 60, "sources": [{"supplier": "ycorp", "lead_time": 3}]}
    r = run(build(data), ca(), horizon=24)
    w = r.end_items["widget"]
    # gear as in DESIGN's case: output 10 to t=9, 5 at t=10, 0 from t=11. gear2 may be
    # used from start + Q = 5 + 8 = 13: it orders 10 + (0 + 10 x 3) - 0 = 40, landing at
    # 13 + L = 16. From t=16 the widget is at plan again: t=16 uses 10 of 40 -> 30,
    # t=17 order 10 (position 30), -> 20; t=18 -> 10; t=19 -> 0; from t=20 the 10s land
    # and are used at once.
    assert_series(w.produced, series((10, 10), (5, 1), (0, 5), (10, 8)))
    assert w.time_to_survive == 5
    assert w.time_to_recover == 11  # Q + L = 8 + 3: at plan from t=16
    assert w.units_lost == pytest.approx(55)  # 5 + 10 x 5 (t=11..15)
    assert w.value_lost == pytest.approx(55_000)
    assert_series(r.stock["gear2"], series((0, 16), (30, 1), (20, 1), (10, 1), (0, 5)))


def test_second_source_after_qualification_fills_the_whole_position_gap():
    data = copy.deepcopy(HOME_LINE)
    data["parts"]["gear"]["sources"].append({"supplier": "ycorp", "lead_time": 3, "qualification_time": 8})
    r = run(build(data), ca(), horizon=24)
    w = r.end_items["widget"]
    # Y Corp takes orders from 5 + 8 = 13; the target position is still 35 + 10 x 2 = 55
    # (the pipeline of the qualified source), the position 0: order 65, landing at
    # 13 + 3 = 16; t=14, 15: position 65, order 0. t=16: 65 land, order 10 + 55 - 65 = 0,
    # -> 55 after use; t=17: position 55: order 10 -> 45; t=18: 45 + 10 on order: order
    # 10 -> 35; t=19: 35 + 20: order 10 -> 25; from t=20 a 10 lands each period and the
    # stock stays 25 (25 + 10 landed + 20 on order = the target 55).
    assert_series(w.produced, series((10, 10), (5, 1), (0, 5), (10, 8)))
    assert w.time_to_recover == 11  # Q + L = 8 + 3
    assert w.units_lost == pytest.approx(55)  # 5 + 10 x 5
    assert_series(r.stock["gear"][10:], series((0, 6), (55, 1), (45, 1), (35, 1), (25, 5)))


def test_reallocation_to_the_open_source_is_capped_by_its_capacity():
    data = copy.deepcopy(HOME_LINE)
    data["parts"]["gear"]["stock"] = 20
    data["parts"]["gear"]["sources"] = [
        {"supplier": "xcorp", "share": 0.5, "lead_time": 2},
        {"supplier": "ycorp", "share": 0.5, "lead_time": 2, "capacity": 7},
    ]
    r = run(build(data), ca())
    w = r.end_items["widget"]
    # normally 5 + 5. From t=5 X Corp ships 0; its 5 go to Y Corp up to its capacity 7,
    # landing from t=7: -3 a period from a stock of 20: 17, 14, 11, 8, 5, 2 at the ends
    # of t=7..12; t=13: 2 + 7 = 9 -> output 9; then 7 a period.
    assert_series(r.stock["gear"], series((20, 7), (17, 1), (14, 1), (11, 1), (8, 1), (5, 1), (2, 1), (0, 7)))
    assert_series(w.produced, series((10, 13), (9, 1), (7, 6)))
    assert w.time_to_survive == 8  # 13 - 5
    assert w.units_lost == pytest.approx(19)  # 1 + 3 x 6 (t=14..19)


def test_supplier_held_stock_ships_before_the_open_source_makes_more():
    data = copy.deepcopy(HOME_LINE)
    # Y Corp normally ships nothing (share 0) but holds 10 gears and can make 5 a period
    data["parts"]["gear"]["sources"] = [
        {"supplier": "xcorp", "share": 1.0, "lead_time": 2},
        {"supplier": "ycorp", "share": 0.0, "lead_time": 2, "capacity": 5, "stock": 10},
    ]
    r = run(build(data), ca())
    w = r.end_items["widget"]
    # t=5: X Corp's 10 go to Y Corp, which ships its 10 held (room 10 + 5); t=6 and on
    # it ships its capacity 5. Landings: 10 at t=5, 6 (X Corp's), 10 at t=7, then 5.
    # Stock: 35 through t=7, then -5: 30 at t=8 ... 5 at t=13; t=14: 5 + 5 -> output
    # 10, stock 0; output 5 from t=15.
    assert_series(r.stock["gear"], series((35, 8), (30, 1), (25, 1), (20, 1), (15, 1), (10, 1), (5, 1), (0, 6)))
    assert_series(w.produced, series((10, 15), (5, 5)))
    assert w.time_to_survive == 10  # 15 - 5; without Y Corp's 10 held it would be 9
    assert w.units_lost == pytest.approx(25)  # 5 x 5


def test_supplier_held_stock_is_blocked_with_its_supplier():
    # 100 gears held at X Corp in Canada do not help: they are on the wrong side
    r = run(line(sources=[{"supplier": "xcorp", "lead_time": 2, "stock": 100}]), ca())
    w = r.end_items["widget"]
    # X Corp ships its held gears first (10 a period from t=0), so 50 are left at t=5
    # and none of them can come: the same line as DESIGN's case
    assert_series(w.produced, series((10, 10), (5, 1), (0, 9)))
    assert w.time_to_survive == 5
    assert w.units_lost == pytest.approx(95)


# --- the content rule at its threshold -----------------------------------------------


def content_line() -> sc.Model:
    """A product made at home from a module made in Germany: a US chip (25), a Turkish
    housing (50), and 25 of German value added in the module's unit cost of 100."""
    return build({
        "home": "TR",
        "suppliers": {
            "plant": {"country": "TR"},
            "dewerk": {"country": "DE"},
            "uschip": {"country": "US"},
            "trcast": {"country": "TR"},
        },
        "parts": {
            "product": {"unit_cost": 1000, "bom": {"module": 1}, "sources": [{"supplier": "plant"}]},
            "module": {"unit_cost": 100, "stock": 20, "bom": {"chip": 1, "housing": 1},
                       "sources": [{"supplier": "dewerk"}]},
            "chip": {"unit_cost": 25, "sources": [{"supplier": "uschip"}]},
            "housing": {"unit_cost": 50, "sources": [{"supplier": "trcast"}]},
        },
        "demand": {"product": {"rate": 10, "unit_value": 1000}},
    })


def us_content(rule: str) -> dict:
    return {"imposed_by": ["US"], "start": 5, "reach": ["content"], "content_threshold": 0.25, "content_rule": rule}


def test_content_exactly_at_threshold_is_not_caught_by_exceeds():
    # module's US share = (1 x 25 x 1.0 + 1 x 50 x 0 + 25 x 0) / 100 = 0.25, not > 0.25;
    # the chip itself (100 % US) ships to Germany, not to us: nothing stops
    r = run(content_line(), us_content("exceeds"), horizon=10)
    w = r.end_items["product"]
    assert_series(w.produced, series((10, 10)))
    assert w.units_lost == 0
    assert w.time_to_survive is None
    assert r.event_start is None  # no flow stopped: no event to count from


def test_content_exactly_at_threshold_is_caught_by_at_least():
    r = run(content_line(), us_content("at_least"), horizon=10)
    w = r.end_items["product"]
    # 0.25 >= 0.25: the module (German, lead 0) stops coming to us from t=5; its 20 in
    # stock cover t=5, 6; nothing from t=7
    assert_series(w.produced, series((10, 7), (0, 3)))
    assert w.time_to_survive == 2  # 7 - 5
    assert w.units_lost == pytest.approx(30)  # 10 x 3 (t=7..9)
    assert w.main_bottleneck == "module"


# --- rationing a scarce shared child -------------------------------------------------


def shared_chip(**priority: int) -> dict:
    """a needs 2 chips, b needs 1; 10 a and 20 b a period; chips from Canada, no stock.
    ``priority`` gives end items a priority (``a=2``)."""
    return {
        "home": "TR",
        "suppliers": {"plant": {"country": "TR"}, "xcorp": {"country": "CA"}},
        "parts": {
            "a": {"bom": {"chip": 2}, "sources": [{"supplier": "plant"}]},
            "b": {"bom": {"chip": 1}, "sources": [{"supplier": "plant"}]},
            "chip": {"sources": [{"supplier": "xcorp"}]},
        },
        "demand": {e: {"rate": rate, **({"priority": priority[e]} if e in priority else {})}
                   for e, rate in (("a", 10), ("b", 20))},
    }


def test_scarce_shared_child_is_rationed_by_claims():
    model = build(shared_chip())
    r = run(model, ca(severity=0.5), horizon=8)
    # chip requirement 2 x 10 + 1 x 20 = 40; from t=5 X Corp ships (1 - 0.5) x 40 = 20 a
    # period, lead 0, no stock. Claims a: 2 x 10 = 20, b: 1 x 20 = 20: each gets 20 x
    # 20/40 = 10 chips -> a builds 10 / 2 = 5, b builds 10 / 1 = 10 (half plan each)
    assert_series(r.end_items["a"].produced, series((10, 5), (5, 3)))
    assert_series(r.end_items["b"].produced, series((20, 5), (10, 3)))
    assert r.end_items["a"].units_lost == pytest.approx(15)  # 5 x 3
    assert r.end_items["b"].units_lost == pytest.approx(30)  # 10 x 3
    assert r.end_items["a"].main_bottleneck == "chip" == r.end_items["b"].main_bottleneck


# A needs C; B needs C and D (build time 4). C comes from Germany, D from China; every
# source has a lead time of 1, both end items are planned at 10 a period. China stops D
# from t=2.
SIBLINGS = {
    "home": "TR",
    "suppliers": {"plant": {"country": "TR"}, "de": {"country": "DE"}, "cn": {"country": "CN"}},
    "parts": {
        "A": {"stock": 10, "bom": {"C": 1}, "sources": [{"supplier": "plant", "lead_time": 1}]},
        "B": {"stock": 60, "build_time": 4, "bom": {"C": 1, "D": 1}, "sources": [{"supplier": "plant", "lead_time": 1}]},
        "C": {"stock": 20, "sources": [{"supplier": "de", "lead_time": 1}]},
        "D": {"stock": 20, "sources": [{"supplier": "cn", "lead_time": 1}]},
    },
    "demand": {"A": {"rate": 10}, "B": {"rate": 10}},
}


def test_a_sibling_that_cannot_build_takes_nothing_from_one_that_can():
    r = run(build(SIBLINGS), {"name": "China stops D", "imposed_by": ["CN"], "start": 2}, horizon=30)
    a, b = r.end_items["A"], r.end_items["B"]
    # D: 20 in stock, 10 a period in transit. Arrivals land at t=0, 1 and 2 (shipped
    # t=1, delivered); B uses 10 a period: D ends t=2 at 20, t=3 at 10, t=4 at 0. So B
    # builds 10 a period at t=0..4 and nothing after: those land at t=5..9 (lead 1 +
    # build 4), the starting pipeline at t=0..4, and its 60 in stock cover t=10..15.
    # B delivers 10 through t=15 and 0 from t=16: time to survive 16 - 2 = 14, lost
    # 10 x (30 - 16) = 140; D binds.
    assert_series(b.produced, series((10, 16), (0, 14)))
    assert (b.time_to_survive, b.units_lost, b.main_bottleneck) == (14, pytest.approx(140), "D")
    # From t=5 B cannot build, so it claims none of C (its claim is capped by what its
    # D line lets it build: 0). A has nothing embargoed: it claims its 10 of C a period
    # and C holds 20 or more throughout (it receives what it orders, and orders less
    # once B stops drawing): A makes 10 every period.
    assert_series(a.produced, series((10, 30)))
    assert a.units_lost == 0 and a.time_to_survive is None and a.main_bottleneck is None
    assert r.stock["C"].min() >= 20 - 1e-9


def test_a_higher_priority_refill_never_takes_a_lower_prioritys_requirement():
    # A (priority 1) needs C; B (priority 2) needs C and D. China stops D for t=2..5;
    # C (lead 1, no stock) can ship 20 a period, exactly what both need at plan. B's
    # stock (20) and the D in transit carry it through t=5, then it runs dry for two
    # periods and refills once D is back. C ships only its requirement's worth, so B's
    # refill is a backorder C orders for, never A's share: A makes 10 every period.
    data = copy.deepcopy(SIBLINGS)
    data["suppliers"]["plant2"] = {"country": "TR"}
    data["parts"]["B"] = {"stock": 20, "bom": {"C": 1, "D": 1}, "sources": [{"supplier": "plant2", "lead_time": 1}]}
    data["parts"]["C"] = {"stock": 0, "sources": [{"supplier": "de", "lead_time": 1, "capacity": 20}]}
    data["parts"]["D"] = {"stock": 0, "sources": [{"supplier": "cn", "lead_time": 1}]}
    data["demand"] = {"A": {"rate": 10, "priority": 1}, "B": {"rate": 10, "priority": 2}}
    r = run(build(data), {"name": "China stops D", "imposed_by": ["CN"], "start": 2, "end": 6}, horizon=20)
    assert_series(r.end_items["A"].produced, series((10, 20)))
    assert_series(r.end_items["B"].produced, series((10, 6), (0, 2), (10, 12)))


@pytest.mark.parametrize("cut, survive, lost, binds", [
    # D's supplier stops: P (60 in stock) is built at t=0..4 from D's last 20 + 30 in
    # transit, landing t=5..9 after its lead 1 + build 4; its pipeline lands t=0..4 and
    # its stock covers t=10..15; E (lead 1) builds from P through t=15 and delivers
    # through t=16, 0 from t=17: survive 17 - 2 = 15, lost 7 x 10 = 70; D held it back
    ("input", 15, 70, "D"),
    # P's own maker stops: P's builds of t=0 and t=1 land t=5 and 6, after the pipeline
    # (t=0..4); its 60 cover t=7..12; E delivers through t=13, 0 from t=14: survive 12,
    # lost 10 x 10 = 100; P, the assembly that was not built, held it back
    ("maker", 12, 100, "P"),
])
def test_the_bottleneck_is_the_part_that_held_output_back(cut, survive, lost, binds):
    # E needs P and C; P needs C and D; C is shared and stays in stock (20 or more):
    # it is never the part named
    data = copy.deepcopy(SIBLINGS)
    data["suppliers"]["pm"] = {"country": "CN" if cut == "maker" else "TR"}
    data["suppliers"]["cn"]["country"] = "CN" if cut == "input" else "TR"
    data["parts"] = {
        "E": {"bom": {"P": 1, "C": 1}, "sources": [{"supplier": "plant", "lead_time": 1}]},
        "P": {"stock": 60, "build_time": 4, "bom": {"C": 1, "D": 1}, "sources": [{"supplier": "pm", "lead_time": 1}]},
        "C": {"stock": 20, "sources": [{"supplier": "de", "lead_time": 1}]},
        "D": {"stock": 20, "sources": [{"supplier": "cn", "lead_time": 1}]},
    }
    data["demand"] = {"E": {"rate": 10}}
    r = run(build(data), {"name": "China stops", "imposed_by": ["CN"], "start": 2}, horizon=24)
    e = r.end_items["E"]
    assert_series(e.produced, series((10, survive + 2), (0, 24 - survive - 2)))
    assert (e.time_to_survive, e.units_lost) == (survive, pytest.approx(lost))
    assert set(e.bottleneck) == {None, binds}


@pytest.mark.parametrize("severity, a_made, b_made", [
    # chip needs 2 x 10 (a) + 1 x 20 (b) = 40 a period; from t=5 X Corp ships half, 20:
    # a (priority 2) takes its 20 first and builds its plan, b (priority 1) gets none
    (0.5, 10, 0),
    # a quarter, 10: a builds 10 / 2 = 5, b still none
    (0.75, 5, 0),
])
def test_a_scarce_shared_child_serves_the_higher_priority_first(severity, a_made, b_made):
    model = build(shared_chip(a=2, b=1))
    r = run(model, ca(severity=severity), horizon=8)
    assert_series(r.end_items["a"].produced, series((10, 5), (a_made, 3)))
    assert_series(r.end_items["b"].produced, series((20, 5), (b_made, 3)))
    assert r.end_items["b"].main_bottleneck == "chip"


def test_alternates_on_two_lines_keep_the_baseline_flat():
    model = build({
        "home": "TR",
        "suppliers": {"plant": {"country": "TR"}},
        "parts": {
            "widget": {"bom": {"chip": 1, "gear": {"qty": 1, "alternates": [{"part": "spare"}]},
                               "bolt": {"qty": 1, "alternates": [{"part": "spare"}]}},
                       "sources": [{"supplier": "plant"}]},
            "spare": {"bom": {"chip": 1}, "sources": [{"supplier": "plant"}]},
            "chip": {"capacity": 20, "sources": [{"supplier": "plant"}]},
            "gear": {"sources": [{"supplier": "plant"}]},  # unlimited
            "bolt": {"capacity": 10, "sources": [{"supplier": "plant"}]},
        },
        "demand": {"widget": {"rate": 10}, "spare": {"rate": 10}},
    })
    r = simulate(model, None, horizon=3, record_stock=True)
    # chip: 10 (widget) + 10 (spare) = 20 = its capacity; bolt 10 = its capacity; gear
    # unlimited. Every line's own child covers its need, so the spare (an alternate of
    # the gear and bolt lines) is asked for its demand 10 only: both end items at plan,
    # every stock 0
    assert_series(r.end_items["widget"].produced, [10, 10, 10])
    assert_series(r.end_items["spare"].produced, [10, 10, 10])
    assert_series(r.stock["spare"], [0, 0, 0])
    assert_series(r.stock["bolt"], [0, 0, 0])


# --- who an embargo reaches ----------------------------------------------------------


def owned_line() -> sc.Model:
    data = copy.deepcopy(HOME_LINE)
    data["suppliers"]["xcorp"] = {"country": "DE", "owner": "CA"}  # a German plant, Canadian parent
    return build(data)


@pytest.mark.parametrize("reach, lost", [
    (["located"], 0),  # the plant is in Germany: not reached
    (["owned"], 95),  # the owner is Canadian: DESIGN's case, 95 lost
    (["located", "owned"], 95),  # the default reach
])
def test_owned_reach_stops_a_foreign_plant_of_a_canadian_owner(reach, lost):
    w = run(owned_line(), ca(reach=reach)).end_items["widget"]
    assert w.units_lost == pytest.approx(lost)


def test_a_supplier_without_an_owner_is_owned_where_it_is_located():
    # X Corp is in Canada and names no owner: it is Canadian-owned, so reach "owned"
    # alone stops it as "located" does -- DESIGN's case, 95 lost over 20 periods -- and
    # giving the redundant owner: CA changes nothing
    plain = run(line(), ca(reach=["owned"])).end_items["widget"]
    data = copy.deepcopy(HOME_LINE)
    data["suppliers"]["xcorp"]["owner"] = "CA"
    explicit = run(build(data), ca(reach=["owned"])).end_items["widget"]
    assert (plain.time_to_survive, plain.units_lost) == (5, pytest.approx(95))
    assert (explicit.time_to_survive, explicit.units_lost) == (5, pytest.approx(95))


def test_default_reach_is_located_and_owned():
    w = run(owned_line(), ca()).end_items["widget"]
    assert w.time_to_survive == 5  # as in DESIGN's case
    assert w.units_lost == pytest.approx(95)


def tagged_line() -> sc.Model:
    # the home-made widget carries the other names, so every filter names something the
    # model has (a filter naming nothing in the model is a scenario error)
    data = copy.deepcopy(HOME_LINE)
    data["parts"]["gear"].update(tags=["gearbox"], control=["EAR:6A003"])
    data["parts"]["widget"].update(tags=["camera"], control=["EAR:5A002", "ITAR"])
    return build(data)


@pytest.mark.parametrize("items, lost", [
    ({"tags": ["gearbox"]}, 95),
    ({"tags": ["camera"]}, 0),  # the widget's: home-made, nothing to stop
    ({"control": ["EAR"]}, 95),  # a regime name covers its classes: EAR matches EAR:6A003
    ({"control": ["EAR:6A003"]}, 95),
    ({"control": ["EAR:5A002"]}, 0),
    ({"control": ["ITAR"]}, 0),
    ({"parts": ["gear"]}, 95),
    ({"parts": ["widget"]}, 0),  # the widget is made at home: nothing Canadian to stop
])
def test_items_filter_by_tag_control_and_part(items, lost):
    w = run(tagged_line(), ca(items=items)).end_items["widget"]
    assert w.units_lost == pytest.approx(lost)  # 95 = DESIGN's case over 20 periods


def test_a_python_built_filter_naming_nothing_in_the_model_is_refused_like_a_file():
    with pytest.raises(sc.ModelError, match="unknown tag 'gearbx'; did you mean 'gearbox'"):
        run(tagged_line(), ca(items={"tags": ["gearbx"]}))


def nato_line() -> sc.Model:
    """The widget needs a Turkish gear (lead 2, stock 0) and a German bolt (lead 2, 35)."""
    data = copy.deepcopy(HOME_LINE)
    data["suppliers"]["trgear"] = {"country": "TR"}
    data["parts"]["widget"]["bom"] = {"gear": 1, "bolt": 1}
    data["parts"]["gear"] = {"stock": 0, "sources": [{"supplier": "trgear", "lead_time": 2}]}
    data["parts"]["bolt"] = {"stock": 35, "sources": [{"supplier": "ycorp", "lead_time": 2}]}
    return build(data)


def test_nato_embargo_against_turkey_does_not_stop_turkish_plants():
    r = run(nato_line(), {"imposed_by": ["NATO"], "start": 5})
    w = r.end_items["widget"]
    # TR is in NATO and in `against`: dropped from the imposers. The German bolt stops
    # (DESIGN's case numbers); the Turkish gear keeps coming at 10 a period
    assert_series(w.produced, series((10, 10), (5, 1), (0, 9)))
    assert w.time_to_survive == 5
    assert set(b for b in w.bottleneck if b) == {"bolt"}
    # the gear is used as it lands (stock 0) while the widget is at plan; then it piles
    # up to the base-stock target 10 + 0 + 10 x 2 = 30 and ordering stops: t=10: 10 land,
    # 5 used -> 5 (order 10 + 20 - 20 = 10); t=11: 10 land -> 15 (order 10 + 20 - 25 = 5);
    # t=12: 10 land -> 25 (order 0); t=13: 5 land -> 30
    assert_series(r.stock["gear"], series((0, 10), (5, 1), (15, 1), (25, 1), (30, 7)))


def test_embargo_against_another_country_spares_our_flows():
    r = run(nato_line(), {"imposed_by": ["DE"], "against": ["RU"], "start": 5})
    assert r.end_items["widget"].units_lost == 0  # we (TR) are not in `against`
    assert r.event_start is None


def gb_line() -> sc.Model:
    data = copy.deepcopy(HOME_LINE)
    data["suppliers"]["xcorp"] = {"country": "GB"}
    return build(data)


@pytest.mark.parametrize("as_of, lost", [
    (date(2019, 10, 15), 95),  # GB still in the EU (left 2020-02-01): DESIGN's case
    (date(2021, 1, 1), 0),  # GB out of the EU: not an imposer
])
def test_eu_membership_is_taken_on_the_scenario_date(as_of, lost):
    w = run(gb_line(), {"imposed_by": ["EU"], "start": 5}, as_of=as_of).end_items["widget"]
    assert w.units_lost == pytest.approx(lost)


@pytest.mark.parametrize("as_of, lost", [
    (date(2023, 1, 1), 0),  # Finland joined NATO on 2023-04-04
    (date(2023, 6, 1), 95),
])
def test_nato_membership_is_taken_on_the_scenario_date(as_of, lost):
    data = copy.deepcopy(HOME_LINE)
    data["home"] = "AU"  # not in NATO, so NATO's imposers are not dropped
    data["suppliers"]["plant"]["country"] = "AU"
    data["suppliers"]["xcorp"] = {"country": "FI"}
    w = run(build(data), {"imposed_by": ["NATO"], "start": 5}, as_of=as_of).end_items["widget"]
    assert w.units_lost == pytest.approx(lost)


# --- timing: build time, horizon, disruptions, nothing at all ------------------------


def test_build_time_delays_the_shortfall_at_the_end_item():
    data = copy.deepcopy(HOME_LINE)
    data["parts"]["widget"]["build_time"] = 3
    r = run(build(data), ca())
    w = r.end_items["widget"]
    # widgets started at t lands at t + 3 (the pipeline starts full: 10 at t=0, 1, 2).
    # Gears run out as in DESIGN's case: 10 started to t=9, 5 at t=10, 0 after -> output
    # 10 to t=12, 5 at t=13, 0 from t=14
    assert_series(w.produced, series((10, 13), (5, 1), (0, 6)))
    assert w.time_to_survive == 8  # 13 - 5
    assert w.units_lost == pytest.approx(65)  # 5 + 10 x 6 (t=14..19)
    assert_series(r.stock["gear"], series((35, 7), (25, 1), (15, 1), (5, 1), (0, 10)))


def test_disruption_of_one_supplier_for_four_periods():
    r = run(line(), disruptions=[{"name": "fire at X Corp", "suppliers": ["xcorp"], "start": 5, "duration": 4}])
    w = r.end_items["widget"]
    # no orders t=5..8; goods in transit land (t=5, 6). Stock 35, 35, 25, 15 at the ends
    # of t=5..8. t=9: position 15, order 10 + 55 - 15 = 50 (lands t=11) -> 5. t=10:
    # position 5 + 50, order 10; 5 on hand -> output 5, stock 0. t=11: 50 land -> 40 after
    # use (order 10 + 55 - 60 = 5); t=12: 10 land -> 40 (order 10); t=13: 5 land -> 35.
    assert_series(w.produced, series((10, 10), (5, 1), (10, 9)))
    assert_series(r.stock["gear"][:14], series((35, 7), (25, 1), (15, 1), (5, 1), (0, 1), (40, 1), (40, 1), (35, 1)))
    assert w.time_to_survive == 5  # 10 - 5
    assert w.time_to_recover == 6  # at plan from t=11: 11 - 5
    assert w.units_lost == pytest.approx(5)


def test_disruption_of_a_supplier_outside_the_bom_changes_nothing():
    r = run(line(), disruptions=[{"suppliers": ["ycorp"], "start": 5}])
    assert_series(r.end_items["widget"].produced, BASELINE)
    assert r.end_items["widget"].time_to_survive is None
    assert r.event_start is None


@pytest.mark.parametrize("horizon, survive, lost", [
    (8, None, 0),  # output falls at t=10, after the horizon: nothing seen
    (10, None, 0),  # periods 0..9 all at plan
    (11, 5, 5),  # t=10 is the last period: output 5
    (12, 5, 15),  # 5 + 10
])
def test_horizon_shorter_than_the_event(horizon, survive, lost):
    r = run(line(), ca(), horizon=horizon)
    w = r.end_items["widget"]
    assert len(w.produced) == horizon == len(w.planned) == len(r.stock["gear"])
    assert w.time_to_survive == survive
    assert w.time_to_recover is None  # never recovered within the horizon
    assert w.units_lost == pytest.approx(lost)


def test_embargo_starting_after_the_horizon_is_an_error_not_a_quiet_baseline():
    # it could never happen in a 20-period run: saying "never binds" would mislead
    with pytest.raises(sc.ModelError, match=r"starts in period 30, at or after the horizon \(20 periods: 0 to 19\)"):
        run(line(), ca(start=30), horizon=20)
    w = run(line(), ca(start=19), horizon=20).end_items["widget"]  # the last period: no loss yet
    assert_series(w.produced, BASELINE)
    assert w.time_to_survive is None and w.units_lost == 0


def test_no_event_keeps_the_flat_baseline_and_no_time_figures():
    r = simulate(line(), None, horizon=20, record_stock=True)
    w = r.end_items["widget"]
    assert_series(w.produced, BASELINE)
    assert_series(w.planned, BASELINE)
    assert_series(r.stock["gear"], series((35, 20)))  # 10 land, 10 used, every period
    assert w.time_to_survive is None and w.time_to_recover is None
    assert w.main_bottleneck is None and w.bottleneck == (None,) * 20
    assert w.units_lost == 0 and w.value_lost == 0
    assert r.event_start is None and r.scenario is None
    d = r.to_dict()["end_items"]["widget"]
    assert (d["time_to_survive"], d["time_to_recover"], d["bottleneck"]) == (None, None, None)
