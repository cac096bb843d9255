"""Properties of the simulation on random networks (DESIGN.md §4), with hypothesis.

Each property runs 200 derandomized examples of 2-12 parts over at most 30 periods
(see ``strategies.py``). Output comparisons allow 1e-6 units for fluid arithmetic.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import supplychain as sc
import strategies as S
from supplychain.model.checks import source_shares
from supplychain.sim import simulate

pytestmark = pytest.mark.slow  # about a minute: 200 examples of each property

TOL = 1e-6
# too_slow is a statement about the machine, not the engine: a loaded CI box trips it
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
# a property known to fail: find the failure, skip the (slow) shrinking; the minimal
# example is a hand case in test_sim_hand_cases.py
KNOWN_FAILURE = settings(PROPERTY, phases=[Phase.explicit, Phase.reuse, Phase.generate])

# the smallest network hypothesis found against the alternates routing (each line's
# child covers its need, so no alternate should take any): kept as an explicit example;
# see test_sim_hand_cases.test_alternates_on_two_lines_keep_the_baseline_flat
ROUTING_CASE = S.build_model({
    "home": "TR",
    "suppliers": {"plant": {"country": "TR"}},
    "parts": {
        "widget": {"bom": {"chip": 1, "gear": {"qty": 1, "alternates": [{"part": "spare"}]},
                           "bolt": {"qty": 1, "alternates": [{"part": "spare"}]}},
                   "sources": [{"supplier": "plant"}]},
        "spare": {"bom": {"chip": 1}, "sources": [{"supplier": "plant"}]},
        "chip": {"capacity": 20, "sources": [{"supplier": "plant"}]},
        "gear": {"sources": [{"supplier": "plant"}]},
        "bolt": {"capacity": 10, "sources": [{"supplier": "plant"}]},
    },
    "demand": {"widget": {"rate": 10}, "spare": {"rate": 10}},
})
NOTHING = {"name": "nothing", "imposed_by": ["US"], "start": 0}


def scenario(*embargoes, horizon, disruptions=()) -> sc.Scenario:
    return sc.Scenario(horizon=horizon, embargoes=list(embargoes), disruptions=list(disruptions))


def totals(result) -> dict[str, float]:
    return {k: float(r.produced.sum()) for k, r in result.end_items.items()}


def assert_at_plan(result):
    for item, r in result.end_items.items():
        np.testing.assert_allclose(r.produced, r.planned, rtol=0, atol=TOL, err_msg=item)
        assert r.time_to_survive is None and r.time_to_recover is None


def assert_never_more(stronger, weaker):
    """Per end item: total output under the stronger event <= under the weaker one."""
    a, b = totals(stronger), totals(weaker)
    for item in a:
        assert a[item] <= b[item] + TOL, (item, a[item], b[item])


# --- no event, or an event that touches nothing: the plan ----------------------------


@PROPERTY
@given(S.models(), S.horizons)
@example(ROUTING_CASE, 3)
def test_no_event_produces_the_plan(model, horizon):
    assert_at_plan(simulate(model, None, horizon=horizon))


@PROPERTY
@given(S.models(), S.horizons, S.embargoes(), st.booleans())
@example(ROUTING_CASE, 3, NOTHING, False)
def test_embargo_touching_nothing_loses_nothing(model, horizon, embargo, elsewhere):
    if elsewhere:  # stopping exports to someone else
        embargo = {**embargo, "against": ["RU"]}
    else:  # imposed by a country where no supplier is, nor any owner
        embargo = {**embargo, "imposed_by": [S.NOWHERE]}
    r = simulate(model, scenario(embargo, horizon=horizon))
    assert_at_plan(r)
    assert r.event_start is None and r.units_lost == 0


# --- a stronger embargo never gives more output --------------------------------------
#
# Two counterexamples to DESIGN's monotonicity (kept below as strict xfails, each with
# the smallest network found) bound where these properties hold for the policy of
# DESIGN §4 as written:
# * LIFT_CASE: an end item split between a home source (lead 0) and a slow German one
#   (lead 3), half-stopped with goods in transit blocked. While the embargo runs, the
#   home source takes the German half and output stays at plan; when it lifts, the
#   order splits 50/50 again and the German pipeline, thinned to 2.5 a period, lands
#   for 3 more periods: 7.5 at t=13..15. Base stock on the position counts goods on
#   order as if they were here, so an earlier end gives less output.
# * RATIONING_CASE: a part shared by an assembly and that assembly's own parent; a
#   stronger embargo starves the assembly, which then takes less of the shared part
#   by proportional rationing, leaving more for the parent: +0.019 units.
# The properties run on single-source networks (no lift dip) and trees (nothing shared).

LIFT_CASE = S.build_model({
    "home": "TR",
    "suppliers": {"plant": {"country": "TR"}, "decorp": {"country": "DE"}},
    "parts": {"widget": {"sources": [{"supplier": "plant"}, {"supplier": "decorp", "lead_time": 3}]}},
    "demand": {"widget": {"rate": 10}},
})
LIFT_EMBARGO = {"imposed_by": ["DE"], "start": 4, "end": 13, "severity": 0.5, "in_transit": "blocked"}

RATIONING_CASE = S.build_model({
    "home": "TR",
    "suppliers": S.SUPPLIERS,
    "parts": {
        "p0": {"bom": {"p1": 1, "p2": 1, "p6": 1}, "sources": [{"supplier": "uscorp"}]},
        "p1": {"bom": {"p2": 1, "p4": 1, "p5": 1}, "sources": [{"supplier": "plant"}]},
        "p2": {"bom": {"p6": 1}, "sources": [{"supplier": "decorp", "capacity": 22.5},
                                              {"supplier": "deus", "lead_time": 2}]},
        "p4": {"stock": 5, "bom": {"p5": 1}, "build_time": 1,
               "sources": [{"supplier": "plant"}, {"supplier": "frca"}]},
        "p5": {"sources": [{"supplier": "uscorp"}]},
        "p6": {"sources": [{"supplier": "deus"}]},
    },
    "demand": {"p0": {"rate": 1}},
})
RATIONING_EMBARGO = {"imposed_by": ["DE"], "start": 1, "severity": 0.25, "in_transit": "blocked"}

LIFT_DIP = pytest.mark.xfail(strict=True, reason=(
    "engine/DESIGN: after a lift, base stock on the position splits orders by share again "
    "and waits for the thinned slow pipeline (LIFT_CASE)"))
RATIONING = pytest.mark.xfail(strict=True, reason=(
    "engine/DESIGN: proportional rationing of a part shared by an assembly and its parent "
    "is not monotone (RATIONING_CASE)"))


def check_later_end(model, horizon, embargo, extra):
    """``extra`` periods more (None: open-ended) never give more output."""
    end = embargo["end"]
    later = None if end is None or extra is None else end + extra
    strong = simulate(model, scenario({**embargo, "end": later}, horizon=horizon))
    weak = simulate(model, scenario(embargo, horizon=horizon))
    assert_never_more(strong, weak)


extra_periods = st.one_of(st.none(), st.integers(0, 10))


@PROPERTY
# Networks without alternates: where one alternate serves several capacity-limited
# lines, capability routing is not monotone (a counterexample is open, see README)
@given(S.models(single_source=True, alternates=False), S.horizons, S.embargoes(), extra_periods)
def test_later_end_never_gives_more_output(model, horizon, embargo, extra):
    check_later_end(model, horizon, embargo, extra)


@LIFT_DIP
@KNOWN_FAILURE
@given(S.models(), S.horizons, S.embargoes(), extra_periods)
@example(LIFT_CASE, 20, LIFT_EMBARGO, None)
def test_later_end_never_gives_more_output_with_several_sources(model, horizon, embargo, extra):
    check_later_end(model, horizon, embargo, extra)


def check_more_imposers(model, horizon, embargo, extra):
    more = {**embargo, "imposed_by": sorted({*embargo["imposed_by"], extra})}
    assert_never_more(simulate(model, scenario(more, horizon=horizon)),
                      simulate(model, scenario(embargo, horizon=horizon)))


@PROPERTY
@given(S.models(tree=True), S.horizons, S.embargoes(), st.sampled_from(S.IMPOSERS))
def test_more_imposers_never_give_more_output(model, horizon, embargo, extra):
    check_more_imposers(model, horizon, embargo, extra)


@RATIONING
@KNOWN_FAILURE
@given(S.models(), S.horizons, S.embargoes(), st.sampled_from(S.IMPOSERS))
@example(RATIONING_CASE, 18, RATIONING_EMBARGO, "FR")
def test_more_imposers_never_give_more_output_on_shared_parts(model, horizon, embargo, extra):
    check_more_imposers(model, horizon, embargo, extra)


@PROPERTY
# Networks without alternates: where one alternate serves several capacity-limited
# lines, capability routing is not monotone (a counterexample is open, see README)
@given(S.models(alternates=False), S.horizons, S.embargoes(), S.item_filters())
def test_more_items_never_give_more_output(model, horizon, embargo, extra):
    items = embargo["items"]
    if items == "all" or extra == "all":
        wider = "all"
    else:
        wider = {k: sorted({*items.get(k, ()), *extra.get(k, ())}) for k in ("tags", "control")}
    assert_never_more(simulate(model, scenario({**embargo, "items": wider}, horizon=horizon)),
                      simulate(model, scenario(embargo, horizon=horizon)))


@PROPERTY
@given(S.models(), S.horizons, S.embargoes(), st.sampled_from([0.25, 0.5, 0.75, 1.0]))
def test_higher_severity_never_gives_more_output(model, horizon, embargo, severity):
    low, high = sorted([embargo["severity"], severity])
    assert_never_more(simulate(model, scenario({**embargo, "severity": high}, horizon=horizon)),
                      simulate(model, scenario({**embargo, "severity": low}, horizon=horizon)))


# --- more stock or another qualified source never gives less -------------------------


@PROPERTY
@given(S.model_data(), S.horizons, S.embargoes(), st.data())
def test_more_stock_never_gives_less_output(data_, horizon, embargo, data):
    pid = data.draw(st.sampled_from(sorted(data_["parts"])))
    more = copy.deepcopy(data_)
    more["parts"][pid]["stock"] += data.draw(st.sampled_from([1.0, 5.0, 20.0]))
    sc_ = scenario(embargo, horizon=horizon)
    assert_never_more(simulate(S.build_model(data_), sc_), simulate(S.build_model(more), sc_))


@PROPERTY
# Networks without alternates: where one alternate serves several capacity-limited
# lines, capability routing is not monotone (a counterexample is open, see README)
@pytest.mark.xfail(strict=True, reason=(
    "engine/DESIGN: an extra qualified source with a longer lead time takes its share of the "
    "orders while base stock counts its slow pipeline as arriving (like LIFT_CASE); open"))
@given(S.model_data(alternates=False), S.horizons, S.embargoes(), st.data())
def test_another_qualified_source_never_gives_less_output(data_, horizon, embargo, data):
    pid = data.draw(st.sampled_from(sorted(data_["parts"])))
    part = data_["parts"][pid]
    free = sorted(set(S.SUPPLIERS) - {s["supplier"] for s in part["sources"]})
    more = copy.deepcopy(data_)
    sources = more["parts"][pid]["sources"]
    qualified = [s for s in sources if "qualification_time" not in s]
    # the new source normally carries nothing (share 0), so the normal flows and the
    # pipelines are those of the model without it; it takes what others cannot ship
    for s in qualified:
        s.setdefault("share", 1.0 / len(qualified))
    sources.append({
        "supplier": data.draw(st.sampled_from(free)),
        "share": 0.0,
        "lead_time": data.draw(st.integers(0, 3)),
        **({"capacity": data.draw(st.sampled_from([1.0, 10.0]))} if data.draw(st.booleans()) else {}),
    })
    sc_ = scenario(embargo, horizon=horizon)
    assert_never_more(simulate(S.build_model(data_), sc_), simulate(S.build_model(more), sc_))


# --- bounds: plan, capacity, stock ---------------------------------------------------


def pipeline_of(model, item: str, horizon: int) -> float:
    """Units of ``item`` in its pipeline at t=0 that land within the horizon: each
    qualified source's share x rate over min(lead + build time, horizon) periods."""
    part, rate = model.parts[item], model.demand[item].rate
    shares = source_shares(part)
    qualified = [s for s in part.sources if s.is_qualified]
    return sum(sh * rate * min(s.lead_time + part.build_time, horizon) for s, sh in zip(qualified, shares))


@PROPERTY
@given(S.models(tight_end_capacity=True), S.horizons, st.lists(S.embargoes(), max_size=2))
def test_output_never_exceeds_plan_capacity_or_a_negative_stock(model, horizon, embargoes):
    r = simulate(model, scenario(*embargoes, horizon=horizon), record_stock=True)
    for item, res in r.end_items.items():
        assert (res.produced <= res.planned + TOL).all()
        assert (res.produced >= -TOL).all()
        part = model.parts[item]
        cap = np.inf if part.capacity is None else part.capacity
        # what can reach the line by the end of period t: its stock, its starting
        # pipeline, and at most `capacity` built a period
        bound = part.stock + pipeline_of(model, item, horizon) + cap * np.arange(1, horizon + 1)
        assert (np.cumsum(res.produced) <= bound + TOL).all(), (np.cumsum(res.produced), bound)
    for pid, stock in r.stock.items():
        assert (stock >= 0).all(), pid


@PROPERTY
@given(S.models(), S.horizons)
def test_everything_stopped_leaves_exactly_the_stock_and_pipeline(model, horizon):
    # every supplier stops at t=0: nothing ships, nothing is built; each end item can
    # only deliver its own stock and what was in its pipeline (goods in transit land).
    # Arrivals never exceed the rate, so output is at plan until that runs out:
    # total = min(horizon x rate, stock + pipeline)
    r = simulate(model, scenario(horizon=horizon, disruptions=[{"suppliers": sorted(S.SUPPLIERS), "start": 0}]))
    for item, res in r.end_items.items():
        rate = model.demand[item].rate
        expected = min(horizon * rate, model.parts[item].stock + pipeline_of(model, item, horizon))
        assert float(res.produced.sum()) == pytest.approx(expected, abs=TOL)
