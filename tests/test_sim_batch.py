"""K scenarios in one batched pass give exactly what K single runs give, and the same
inputs always give the same bytes (DESIGN.md §4, §7)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

import supplychain as sc
import strategies as S
from supplychain.sim import simulate, simulate_batch

LINE = {
    "home": "TR",
    "suppliers": {
        "plant": {"country": "TR"},
        "xcorp": {"country": "CA"},
        "ycorp": {"country": "DE", "owner": "US"},
    },
    "parts": {
        "widget": {"unit_cost": 1000, "build_time": 1,
                   "bom": {"gear": {"qty": 1, "alternates": [{"part": "gear2", "qualification_time": 4}]},
                           "bolt": 2},
                   "sources": [{"supplier": "plant"}]},
        "gear": {"unit_cost": 50, "stock": 35, "tags": ["gearbox"],
                 "sources": [{"supplier": "xcorp", "lead_time": 2, "stock": 10}]},
        "gear2": {"unit_cost": 60, "sources": [{"supplier": "ycorp", "lead_time": 3}]},
        "bolt": {"unit_cost": 2, "stock": 15,
                 "sources": [{"supplier": "xcorp", "share": 0.5, "lead_time": 1},
                             {"supplier": "ycorp", "share": 0.5, "lead_time": 2, "capacity": 12}]},
    },
    "demand": {"widget": {"rate": 10, "unit_value": 1000}},
}

MIXED = [
    None,  # no event, the default horizon
    sc.Scenario(name="canada", horizon=20, embargoes=[{"imposed_by": ["CA"], "start": 5}]),
    sc.Scenario(name="canada blocked", horizon=12,
                embargoes=[{"imposed_by": ["CA"], "start": 3, "in_transit": "blocked"}]),
    sc.Scenario(name="us owner, lifted", horizon=30,
                embargoes=[{"imposed_by": ["US"], "start": 2, "end": 9, "severity": 0.5},
                           {"imposed_by": ["CA"], "start": 6, "duration": 10, "items": {"tags": ["gearbox"]}}]),
    sc.Scenario(name="fire", horizon=25, disruptions=[{"suppliers": ["ycorp"], "start": 1, "duration": 5}],
                embargoes=[{"imposed_by": ["NATO"], "start": 8}]),
]


def model() -> sc.Model:
    m = sc.Model.model_validate(LINE)
    assert sc.check_model(m) == []
    return m


def assert_same(a, b):
    """Two results agree exactly: series, stock, time figures, bottlenecks, dict."""
    assert (a.scenario, a.horizon, a.period, a.event_start) == (b.scenario, b.horizon, b.period, b.event_start)
    assert list(a.end_items) == list(b.end_items)
    for item in a.end_items:
        x, y = a.end_items[item], b.end_items[item]
        assert np.array_equal(x.planned, y.planned) and np.array_equal(x.produced, y.produced), item
        assert x.bottleneck == y.bottleneck
        assert (x.time_to_survive, x.time_to_recover, x.main_bottleneck) == (
            y.time_to_survive, y.time_to_recover, y.main_bottleneck)
        assert x.units_lost == y.units_lost and x.value_lost == y.value_lost
    assert (a.stock is None) == (b.stock is None)
    if a.stock is not None:
        assert list(a.stock) == list(b.stock)
        for pid in a.stock:
            assert np.array_equal(a.stock[pid], b.stock[pid]), pid
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())


def test_batch_of_mixed_scenarios_equals_single_runs():
    m = model()
    batch = simulate_batch(m, MIXED, record_stock=True)
    singles = [simulate(m, s, record_stock=True) for s in MIXED]
    assert [r.horizon for r in batch] == [104, 20, 12, 30, 25]  # None runs the default 104
    for a, b in zip(batch, singles):
        assert_same(a, b)


def test_the_mixed_scenarios_differ_from_one_another():
    # the batch test means something only if the scenarios do different things
    lost = [round(r.units_lost, 6) for r in simulate_batch(model(), MIXED)]
    assert lost[0] == 0  # no event
    assert len(set(lost[1:])) == 4 and all(x > 0 for x in lost[1:]), lost


def test_batch_order_does_not_matter():
    m = model()
    forward = simulate_batch(m, MIXED)
    backward = simulate_batch(m, MIXED[::-1])[::-1]
    for a, b in zip(forward, backward):
        assert_same(a, b)


def test_a_common_horizon_overrides_every_scenario():
    m = model()
    batch = simulate_batch(m, MIXED, horizon=15)
    assert [r.horizon for r in batch] == [15] * 5
    for a, s in zip(batch, MIXED):
        assert_same(a, simulate(m, s, horizon=15))


def test_an_empty_batch_is_an_empty_list():
    assert simulate_batch(model(), []) == ()


def test_same_inputs_give_the_same_bytes():
    first = [json.dumps(r.to_dict()) for r in simulate_batch(model(), MIXED)]
    again = [json.dumps(r.to_dict()) for r in simulate_batch(model(), MIXED)]  # a new model object
    assert first == again
    assert json.dumps(simulate(model(), MIXED[3]).to_dict()) == first[3]


# Three sources with lead times 2, 3, 1 and a 0.7 Canadian embargo t=2..7: on-order
# figures that are not whole numbers. The second scenario stops nothing (no supplier in
# Japan) but has goods in transit blocked from t=6.
THIRDS = sc.Model.model_validate({
    "home": "TR",
    "suppliers": {"plant": {"country": "TR"}, "xcorp": {"country": "CA"}, "ycorp": {"country": "DE"},
                  "zcorp": {"country": "FR"}},
    "parts": {
        "widget": {"bom": {"gear": 1}, "sources": [{"supplier": "plant"}]},
        "gear": {"stock": 3.5, "sources": [{"supplier": "xcorp", "lead_time": 2}, {"supplier": "ycorp", "lead_time": 3},
                                           {"supplier": "zcorp", "lead_time": 1}]},
    },
    "demand": {"widget": {"rate": 10}},
})
PARTIAL = [{"imposed_by": ["CA"], "start": 2, "end": 8, "severity": 0.7}]
BLOCKED_NOWHERE = [{"imposed_by": ["JP"], "start": 6, "in_transit": "blocked"}]

def test_a_blocked_start_in_one_column_leaves_the_others_bit_identical():
    partial = sc.Scenario(horizon=20, embargoes=PARTIAL)
    nowhere = sc.Scenario(horizon=20, embargoes=BLOCKED_NOWHERE)
    # the second scenario stops nothing, so the first column's figures must be those of
    # a single run, to the bit (the engine gives a gear stock 5e-15 off)
    batch = simulate_batch(THIRDS, [partial, nowhere], record_stock=True)
    assert_same(batch[0], simulate(THIRDS, partial, record_stock=True))


@settings(max_examples=200, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(S.models(), st.lists(st.tuples(S.horizons, st.lists(S.embargoes(), max_size=2)), min_size=1, max_size=4))
@example(THIRDS, [(20, PARTIAL), (20, BLOCKED_NOWHERE)])
def test_batch_equals_single_runs_on_random_networks(m, cases):
    scenarios = [S.scenario(m, *e, horizon=h) for h, e in cases]
    for a, s in zip(simulate_batch(m, scenarios, record_stock=True), scenarios):
        assert_same(a, simulate(m, s, record_stock=True))


@settings(max_examples=100, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(S.models(max_end_items=3, priorities=True),
       st.lists(st.tuples(S.horizons, st.lists(S.embargoes(), max_size=2)), min_size=2, max_size=4))
def test_batch_equals_single_runs_with_priorities(m, cases):
    # end items with priorities ration scarce parts tier by tier: the same bits in a
    # batch as alone
    scenarios = [S.scenario(m, *e, horizon=h) for h, e in cases]
    for a, s in zip(simulate_batch(m, scenarios, record_stock=True), scenarios):
        assert_same(a, simulate(m, s, record_stock=True))


def test_a_batch_is_one_table_for_all_its_scenarios():
    batch = simulate_batch(model(), MIXED)
    frame = batch.to_frame()
    assert list(frame.index.names) == ["k", "end_item", "period"]
    # one row per scenario, end item and period of its own horizon
    assert len(frame) == sum(r.horizon * len(r.end_items) for r in batch)
    for k, r in enumerate(batch):
        assert frame.loc[k, "lost"].sum() == pytest.approx(r.units_lost)
        assert set(frame.loc[k, "scenario"]) == {r.scenario}
    assert batch.to_dict(series=False) == [r.to_dict(series=False) for r in batch]
