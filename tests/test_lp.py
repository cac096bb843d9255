"""The stress-test LPs on hand-solved networks (every expected number derived beside it)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from supplychain.errors import ModelError, ModelWarning
from supplychain.io import load_model
from supplychain.network.whatif import apply
from supplychain.model.schema import Disruption, Model
from supplychain.risk.lp import _solve_reduced, compile_lp, supply, impact_lp, performance_impact, time_to_survive_lp

DATA = Path(__file__).parent / "data"
CA = Disruption(countries=("CA",))


def camera(*, sensor_stock: float = 20, held_at_ca: float = 30, sensor_caps=(6, 6), lens_alternate=False) -> Model:
    """Camera = 1 sensor + 2 lenses, 10 cameras/period, each worth 1000.

    Sensors come from CA and FR, lenses from CA and JP; one spare US supplier makes
    nothing. ``held_at_ca`` sensors sit at the Canadian source (blocked with it).
    """
    lens_line: dict = {"qty": 2}
    parts = {
        "camera": {"unit_cost": 900, "bom": {"sensor": 1, "lens": lens_line}, "sources": [{"supplier": "plant"}]},
        "sensor": {"unit_cost": 500, "stock": sensor_stock, "sources": [
            {"supplier": "sens_ca", "capacity": sensor_caps[0], "stock": held_at_ca},
            {"supplier": "sens_fr", "capacity": sensor_caps[1]},
        ]},
        "lens": {"unit_cost": 100, "stock": 120, "sources": [
            {"supplier": "lens_ca", "capacity": 12}, {"supplier": "lens_jp", "capacity": 12},
        ]},
    }
    if lens_alternate:
        lens_line["alternates"] = [{"part": "lens2", "qualification_time": 8}]
        parts["lens2"] = {"unit_cost": 120, "sources": [
            {"supplier": "lens_kr", "capacity": 8, "qualified": False, "qualification_time": 8}]}
    return Model.model_validate({
        "home": "TR",
        "suppliers": {
            "plant": {"country": "TR"}, "sens_ca": {"country": "CA"}, "sens_fr": {"country": "FR"},
            "lens_ca": {"country": "CA"}, "lens_jp": {"country": "JP"}, "lens_kr": {"country": "KR"},
            "spare": {"country": "US"},
        },
        "parts": parts,
        "demand": {"camera": {"rate": 10, "unit_value": 1000}},
    })


def test_camera_embargo_stock_held_at_closed_source_is_blocked():
    # CA closed: sensors from FR only, 6/period; own stock 20 (the 30 at CA are blocked).
    # sensor: 20 + 6t >= 10t -> t <= 5;  lens: 120 + 12t >= 20t -> t <= 15.  TTS = 5.
    assert time_to_survive_lp(camera(), CA) == pytest.approx(5.0)


def test_camera_embargo_own_stock_ships():
    # same 50 sensors, all on our side: 50 + 6t >= 10t -> t <= 12.5; lens still 15.
    assert time_to_survive_lp(camera(sensor_stock=50, held_at_ca=0), CA) == pytest.approx(12.5)


def test_camera_embargo_lost_units_over_recovery_time():
    # T = 20, plan 200 cameras. Blocked: sensors 20 + 6*20 = 140; lenses (120 + 12*20)/2 = 180
    # -> 140 made, 60 lost, 60 x 1000 = 60,000.
    blocked = impact_lp(camera(), CA, recovery_time=20)
    assert blocked.lost == {"camera": pytest.approx(60.0)}
    assert blocked.value == pytest.approx(60_000.0)
    # own stock ships: sensors 50 + 120 = 170 -> 30 lost, 30,000.
    shipping = camera(sensor_stock=50, held_at_ca=0)
    assert performance_impact(shipping, CA, recovery_time=20) == pytest.approx(30_000.0)


def test_disruption_touching_nothing_is_unbounded_and_costs_nothing():
    # 'spare' makes no part: capacities 12 >= 10 sensors and 24 >= 20 lenses per period.
    spare = Disruption(suppliers=("spare",))
    assert time_to_survive_lp(camera(), spare) == math.inf
    assert performance_impact(camera(), spare, recovery_time=50) == 0.0
    assert time_to_survive_lp(camera()) == math.inf  # the undisrupted baseline


def test_capacity_short_baseline_has_finite_time_to_survive():
    # sensor sources 4 + 4 = 8/period < 10; stock 20 own + 30 at the open CA source = 50.
    # 50 + 8t >= 10t -> t <= 25 with nothing disrupted.
    assert time_to_survive_lp(camera(sensor_caps=(4, 4))) == pytest.approx(25.0)


def test_part_capacity_caps_its_sources():
    # sensor capacity 9 < sources' 12: 50 + 9t >= 10t -> t <= 50.
    with pytest.warns(ModelWarning, match="capacity 9/period is below the steady-state requirement 10/period"):
        m = apply(camera(), {"parts": {"sensor": {"capacity": 9.0}}})
    assert time_to_survive_lp(m) == pytest.approx(50.0)


def test_an_alternate_supplies_only_from_its_qualification_time():
    # lens disrupted as a part: lens makes nothing, its stock still ships; the line
    # needs 2 lenses x 10 cameras = 20 a period. lens2 (8/period from a source that
    # qualifies at 8, lead time 0) may fill the line from period 8 on.
    lens = Disruption(parts=("lens",))
    # 120 lenses: 120 >= 20t fails at t = 6, before lens2 can help
    assert time_to_survive_lp(camera(), lens) == pytest.approx(6.0)
    assert time_to_survive_lp(camera(lens_alternate=True), lens) == pytest.approx(6.0)
    # the textbook variant counts lens2 from the start: 120 + 8t >= 20t -> t <= 10
    assert time_to_survive_lp(camera(lens_alternate=True), lens, qualification=False) == pytest.approx(10.0)
    # 200 lenses: up to t = 8, 200 >= 20t holds (160); from 8 on lens2 adds 8(t - 8):
    # 200 + 8(t - 8) >= 20t -> 136 >= 12t -> t <= 11.333...; instantly 200 + 8t >= 20t -> 16.667
    more = apply(camera(lens_alternate=True), {"parts": {"lens": {"stock": 200}}})
    assert time_to_survive_lp(more, lens) == pytest.approx(136 / 12)
    assert time_to_survive_lp(more, lens, qualification=False) == pytest.approx(200 / 12)
    # over T = 10 the impact LP gets lens2's 8 x (10 - 8) = 16: lenses 200 + 16 = 216
    # of 200 needed, no loss; over T = 14: 200 + 48 = 248 of 280 -> 32 lenses = 16
    # cameras short, 16 x 1000 (textbook: 200 + 112 = 312 >= 280, nothing lost)
    assert performance_impact(more, lens, recovery_time=10) == pytest.approx(0.0)
    assert performance_impact(more, lens, recovery_time=14) == pytest.approx(16_000)
    assert performance_impact(more, lens, recovery_time=14, qualification=False) == pytest.approx(0.0)


def test_a_source_that_never_qualifies_supplies_nothing():
    # lens2's source without a qualification time never takes orders: the LP with
    # qualification is the one without lens2 (200 / 20 = 10); textbook counts it (16.667)
    m = camera(lens_alternate=True)
    m = apply(m, {"parts": {"lens": {"stock": 200},
                            "lens2": {"sources": [{"supplier": "lens_kr", "capacity": 8, "qualified": False}]}}})
    lens = Disruption(parts=("lens",))
    assert time_to_survive_lp(m, lens) == pytest.approx(10.0)
    assert time_to_survive_lp(m, lens, qualification=False) == pytest.approx(200 / 12)


def test_partial_severity_keeps_the_rest_of_a_source():
    # CA at severity 0.5: sensor 6 + 3 = 9/period, stock 20 + 15 = 35 -> 35 + 9t >= 10t -> 35;
    # lens 12 + 6 = 18/period: 120 + 18t >= 20t -> 60.  TTS = 35.
    half = Disruption(countries=("CA",), severity=0.5)
    assert time_to_survive_lp(camera(), half) == pytest.approx(35.0)


def test_group_names_expand_to_countries():
    # a user group holding CA closes the same sources as CA itself
    m = apply(camera(), {"groups": {"NORTH": ["CA", "IS"]}})
    assert time_to_survive_lp(m, Disruption(countries=("NORTH",))) == pytest.approx(5.0)


def test_least_value_loss_starves_the_cheaper_end_item():
    # a (worth 1) and b (worth 3) each need one x; x's only source is closed, 100 in stock.
    # over T = 10 the plan is 100 + 100; 100 x go to b, a loses 100 units: value 100.
    m = Model.model_validate({
        "home": "TR", "suppliers": {"plant": {"country": "TR"}, "xs": {"country": "DE"}},
        "parts": {
            "a": {"bom": {"x": 1}, "sources": [{"supplier": "plant"}]},
            "b": {"bom": {"x": 1}, "sources": [{"supplier": "plant"}]},
            "x": {"stock": 100, "sources": [{"supplier": "xs"}]},
        },
        "demand": {"a": {"rate": 10, "unit_value": 1}, "b": {"rate": 10, "unit_value": 3}},
    })
    res = impact_lp(m, Disruption(suppliers=("xs",)), recovery_time=10)
    assert res.lost == {"a": pytest.approx(100.0), "b": pytest.approx(0.0)}
    assert res.value == pytest.approx(100.0)
    # time to survive: 100 x for 20/period -> 5
    assert time_to_survive_lp(m, Disruption(suppliers=("xs",))) == pytest.approx(5.0)


def test_pipeline_counts_goods_already_shipped():
    # one-part line: 35 gears in stock, 10/period, lead time 2 -> 20 in transit.
    # with the pipeline: (35 + 20) / 10 = 5.5 (the simulation's time to survive is 5);
    # the textbook LP without it: 35 / 10 = 3.5.
    m = load_model(DATA / "one-part-line.yaml")
    assert time_to_survive_lp(m, CA) == pytest.approx(5.5)
    assert time_to_survive_lp(m, CA, pipeline=False) == pytest.approx(3.5)


def test_compiled_network_gives_the_same_answers():
    net = compile_lp(camera())
    assert time_to_survive_lp(net, CA) == time_to_survive_lp(camera(), CA)
    assert net.n_y == 2  # one y per BOM option: sensor->camera, lens->camera


def test_unknown_ids_in_a_disruption_are_named():
    with pytest.raises(ModelError, match="unknown supplier 'nobody'"):
        time_to_survive_lp(camera(), Disruption(suppliers=("nobody",)))
    # the checks and words a scenario file gets, did-you-mean included
    with pytest.raises(ModelError, match="unknown part 'sensr'; did you mean 'sensor'"):
        time_to_survive_lp(camera(), Disruption(parts=("sensr",)))


@pytest.mark.parametrize("seed", range(4))
def test_reduced_lp_has_the_full_optimum_on_generated_networks(seed):
    # The LPs are solved over the parts short of capacity and their users only, the rest
    # entering as one row per supplying part (see supplychain.risk.lp). Compare with the
    # textbook LP over every part: same time to survive, same least value lost, for every
    # country, a half-severity disruption, and a network whose capacities were cut so
    # that the undisrupted baseline is finite too.
    synthetic = pytest.importorskip("supplychain.synthetic")
    data = synthetic.generate_network(150, seed=seed, n_countries=6)
    cut = dict(data, parts={pid: (dict(p, capacity=p["capacity"] * 0.5) if "capacity" in p and k % 3 == 0 else p)
                            for k, (pid, p) in enumerate(data["parts"].items())})
    smaller, finite, costly = 0, 0, 0
    for model in (Model.model_validate(data), Model.model_validate(cut)):
        net = compile_lp(model)
        countries = sorted({s.country for s in model.suppliers.values()} - {model.home})
        disruptions = [None] + [Disruption(countries=(c,)) for c in countries] + [
            Disruption(countries=(countries[0],), severity=0.5)]
        for d in disruptions:
            full = time_to_survive_lp(net, d, reduce=False)
            reduced = time_to_survive_lp(net, d)
            assert reduced == (math.inf if full == math.inf else pytest.approx(full, rel=1e-9, abs=1e-9)), d
            finite += full < math.inf
            for T in (4, 20):
                want = impact_lp(net, d, recovery_time=T, reduce=False)
                got = impact_lp(net, d, recovery_time=T)
                assert got.value == pytest.approx(want.value, rel=1e-9, abs=1e-6), (d, T)
                costly += want.value > 0
            _, parts, _ = _solve_reduced(net, supply(net, d), horizon=None, reduce=True)
            smaller += parts.sum() < net.n
    # the comparison is not empty: some LPs are finite or costly, and most were reduced
    assert finite > 0 and costly > 0 and smaller > len(disruptions)
