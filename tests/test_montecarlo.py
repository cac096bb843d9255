"""Monte Carlo on hand-derived cases, reproducible on every executor.

The one-part line (DESIGN.md's hand case, tests/data/one-part-line.yaml): 10 widgets a
week, one gear each, gear stock 35, one Canadian source with lead time 2. Canada
stopping exports from week 5 to the end of a 20-week horizon loses 95 widgets
(test_cli_simulate's derivation): 5 in week 10 and 10 in each of weeks 11-19.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supplychain as sc
from supplychain.errors import ModelError
from supplychain.risk.montecarlo import chunk_size, draw_chunk, monte_carlo, run_chunk, trial_scenario
from conftest import BASE

LINE = "tests/data/one-part-line.yaml"


def line_model(**gear) -> sc.Model:
    return sc.apply(sc.load_model(LINE), {"parts": {"gear": gear}}) if gear else sc.load_model(LINE)


def canada(uncertain: dict, **fields) -> sc.Scenario:
    return sc.Scenario(horizon=20, embargoes=[{"name": "Canada stops exports", "imposed_by": ["CA"], "start": 5,
                                               **fields, "uncertain": uncertain}])


def within(x: float, expected: float, se: float) -> bool:
    return abs(x - expected) <= 3 * se


def test_an_embargo_with_probability_point_three_stops_the_line_three_times_in_ten():
    r = monte_carlo(line_model(), canada({"probability": 0.3}), trials=2_000, seed=7)
    w = r.end_items["widget"]
    # P(stop) = 0.3: the line stops in every trial the embargo happens
    assert within(w.p_short, 0.3, w.p_short_se)
    # expected units lost 0.3 x 95 = 28.5; value 28.5 x 1,000
    assert within(w.units_lost.mean, 28.5, w.units_lost.se)
    assert within(w.value_lost.mean, 28_500.0, w.value_lost.se)
    # a trial loses 0 or 95: P50 0, the 95 % VaR 95 units' value, CVaR the same
    assert w.units_lost.p50 == 0.0 and w.value_lost.var == 95_000.0 == w.value_lost.cvar
    (d,) = r.drivers
    assert d.mean_with == 95_000.0 and d.mean_without == 0.0 and d.contribution == 95_000.0


def test_a_uniform_duration_gives_its_expected_loss():
    # no gear stock, lead time 0: the line makes nothing while the embargo runs and is
    # back at plan the week it lifts, so a stop of D weeks loses 10 D widgets.
    # D uniform on {2, ..., 6}: E[D] = 4 -> E[units lost] = 40
    model = line_model(stock=0, sources=[{"supplier": "xcorp", "lead_time": 0}])
    for d in range(2, 7):  # the premise, one duration at a time
        one = sc.simulate(model, canada(None, duration=d))
        assert one.units_lost == 10 * d
    r = monte_carlo(model, canada({"duration": {"dist": "randint", "low": 2, "high": 7}}), trials=3_000, seed=3)
    w = r.end_items["widget"]
    assert w.p_short == 1.0
    assert within(w.units_lost.mean, 40.0, w.units_lost.se)
    assert w.units_lost.p50 in (30.0, 40.0, 50.0) and w.units_lost.p99 == 60.0


def two_sources() -> sc.Model:
    data = json.loads(json.dumps(BASE))
    data["suppliers"]["dcorp"] = {"country": "DE"}
    data["parts"]["widget"]["bom"] = {"gear": 1, "bolt": 1}
    data["parts"]["bolt"] = {"stock": 12, "sources": [{"supplier": "dcorp", "lead_time": 1}]}
    return sc.Model.model_validate(data)


def test_a_follower_with_probability_one_is_one_combined_embargo():
    model = two_sources()
    leader = sc.Scenario(horizon=20, embargoes=[{
        "imposed_by": ["CA"], "start": 3,
        "uncertain": {"followers": [{"imposed_by": ["DE"], "probability": 1.0}]}}])
    combined = sc.simulate(model, sc.Scenario(horizon=20, embargoes=[{"imposed_by": ["CA", "DE"], "start": 3}]))
    r = monte_carlo(model, leader, trials=64, seed=1)
    w = r.end_items["widget"]
    # no randomness left: every trial is the combined embargo
    assert w.units_lost.mean == combined.units_lost and w.units_lost.se == 0.0
    assert [d.p_happens for d in r.drivers] == [1.0, 1.0]


def test_a_lagged_follower_joins_later_and_ends_with_its_embargo():
    s = sc.Scenario(horizon=20, embargoes=[{
        "imposed_by": ["CA"], "start": 3, "duration": 6,
        "uncertain": {"followers": [{"imposed_by": ["DE"], "probability": 1.0, "lag": 2}]}}])
    draws = draw_chunk(s, 20, seed=1, chunk=0, n=1)
    t = trial_scenario(s, draws, 0)
    # the follower starts 2 after the leader and stops with it, at 3 + 6
    assert [(e.imposed_by, e.start, e.stop) for e in t.embargoes] == [(("CA",), 3, 9), (("DE",), 5, 9)]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1), chunk=st.integers(0, 50), t=st.integers(0, 7))
def test_a_trial_equals_the_simulation_of_the_scenario_drawn_for_it(seed, chunk, t):
    model = two_sources()
    s = sc.Scenario(horizon=20, embargoes=[
        {"imposed_by": ["CA"], "start": 4, "uncertain": {
            "probability": 0.6, "start": {"dist": "uniform", "loc": 0, "scale": 12},
            "duration": {"dist": "lognorm", "s": 0.6, "scale": 5},
            "severity": {"dist": "uniform", "loc": 0.3, "scale": 0.7},
            "followers": [{"imposed_by": ["DE"], "probability": 0.5, "lag": {"dist": "randint", "low": 0, "high": 5}}]}},
    ])
    out = run_chunk(model, s, 20, seed, chunk, 8)
    alone = sc.simulate(model, trial_scenario(s, out.draws, t))
    assert out.units_lost[t, 0] == alone.end_items["widget"].units_lost


def test_the_same_seed_gives_the_same_bytes_on_every_executor_and_another_seed_differs():
    pytest.importorskip("distributed")
    model = two_sources()
    s = sc.Scenario(horizon=20, embargoes=[{"imposed_by": ["CA"], "start": 4, "uncertain": {
        "probability": 0.5, "duration": {"dist": "randint", "low": 1, "high": 12}}}])
    # 3 parts: chunks of 1,024; 2,500 trials are 3 chunks, the last one short
    assert chunk_size(len(model.parts)) == 1024
    kw = dict(trials=2_500, seed=11)
    here = json.dumps(monte_carlo(model, s, **kw).to_dict())
    pool = json.dumps(monte_carlo(model, s, workers=2, **kw).to_dict())
    # a real Dask LocalCluster: two worker processes
    dask = json.dumps(monte_carlo(model, s, workers=2, scheduler="local", **kw).to_dict())
    assert here == pool == dask
    assert json.dumps(monte_carlo(model, s, trials=2_500, seed=12).to_dict()) != here


def test_a_target_standard_error_stops_at_the_same_chunk_whatever_the_workers():
    model = line_model()
    s = canada({"probability": 0.5})
    # a loss of 0 or 95,000 with p = 0.5: se = 47,500 / sqrt(n); <= 1,000 from n =
    # 2,257, within the third chunk of 1,024 (2 parts): it stops there, at 3,072
    one = monte_carlo(model, s, trials=20_000, seed=5, target_se=1_000.0)
    two = monte_carlo(model, s, trials=20_000, seed=5, target_se=1_000.0, workers=2)
    assert one.chunk == 1024 and one.stopped_early and one.trials == 3 * 1024
    assert one.value_lost.se <= 1_000.0
    assert json.dumps(one.to_dict()) == json.dumps(two.to_dict())


@pytest.mark.parametrize("spec, message", [
    ({"dist": "lognrom", "s": 1}, "unknown distribution 'lognrom'; did you mean 'lognorm'?"),
    ({"dist": "norm", "loc": 3, "scale": -1}, "outside the domain of norm"),
    ({"dist": "bernoulli", "p": 1.5}, "outside the domain of bernoulli"),
    ({"dist": "randint", "low": 2, "high": 7, "scale": 3}, "randint takes the parameters low, high, loc"),
])
def test_a_bad_distribution_is_a_file_error_with_its_place_and_fix(tmp_path, spec, message):
    (tmp_path / "m.yaml").write_text(open(LINE, encoding="utf-8").read(), "utf-8")
    (tmp_path / "s.yaml").write_text(
        "model: m.yaml\nhorizon: 20\nembargoes:\n  - imposed_by: [CA]\n    uncertain:\n"
        f"      start: {json.dumps(spec)}\n", "utf-8")
    with pytest.raises(ModelError, match=message) as info:
        sc.load_scenario(tmp_path / "s.yaml")
    assert info.value.problems[0].path[:4] == ("embargoes", 0, "uncertain", "start")
    assert info.value.problems[0].file.endswith("s.yaml:6")


def test_probabilities_outside_zero_to_one_and_followers_on_a_disruption_are_refused():
    with pytest.raises(Exception, match="less than or equal to 1"):
        sc.Scenario(embargoes=[{"imposed_by": ["CA"], "uncertain": {"probability": 1.2}}])
    with pytest.raises(Exception, match="followers join an embargo"):
        sc.Scenario(disruptions=[{"suppliers": ["xcorp"], "uncertain": {"followers": [{"imposed_by": ["DE"]}]}}])
    with pytest.raises(ModelError, match="did you mean 'DE'"):
        monte_carlo(line_model(), sc.Scenario(horizon=20, embargoes=[{"imposed_by": ["CA"], "uncertain": {
            "followers": [{"imposed_by": ["de"]}]}}]), trials=1)


def test_the_cli_prints_the_risk_and_writes_every_trial(tmp_path):
    from typer.testing import CliRunner

    from supplychain.cli import app

    (tmp_path / "m.yaml").write_text(open(LINE, encoding="utf-8").read(), "utf-8")
    (tmp_path / "s.yaml").write_text(
        "model: m.yaml\nhorizon: 20\nembargoes:\n  - name: Canada stops exports\n    imposed_by: [CA]\n"
        "    start: 5\n    uncertain: {probability: 0.3}\n", "utf-8")
    out = tmp_path / "trials.csv"
    result = CliRunner().invoke(app, ["monte-carlo", str(tmp_path / "s.yaml"), "--trials", "256", "--seed", "2",
                                      "--trials-out", str(out)])
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "256 trials, seed 2" in result.stdout and "Canada stops exports: happens in" in result.stdout
    rows = out.read_text("utf-8").splitlines()
    assert len(rows) == 1 + 256 and rows[0].startswith("trial,Canada stops exports: happens")
    data = json.loads(CliRunner().invoke(app, ["monte-carlo", str(tmp_path / "s.yaml"), "--trials", "256",
                                               "--seed", "2", "--json"]).stdout)
    # the file's numbers: a trial loses 95 widgets or none
    w = data["end_items"]["widget"]
    assert math.isclose(w["units_lost"]["mean"], 95 * w["p_short"])
    pq = pytest.importorskip("pyarrow.parquet")
    parquet = tmp_path / "trials.parquet"
    CliRunner().invoke(app, ["monte-carlo", str(tmp_path / "s.yaml"), "--trials", "64", "--trials-out",
                             str(parquet), "--quiet"])
    assert pq.read_table(parquet).num_rows == 64


def test_an_uncertain_stock_gives_its_expected_loss():
    # the hand case with gear stock S: the line makes S + 20 (20 in transit) of the 150
    # widgets planned from week 5, so it loses 130 - S for S up to 130; S uniform on
    # [0, 100] -> E[units lost] = 130 - 50 = 80 (the hand case, S = 35, loses 95)
    model = line_model()
    s = sc.Scenario.model_validate({"horizon": 20, "embargoes": [{"imposed_by": ["CA"], "start": 5}],
                                    "uncertain_model": {"stock": [
                                        {"part": "gear", "stock": {"dist": "uniform", "loc": 0, "scale": 100}}]}})
    r = monte_carlo(model, s, trials=400, seed=4)
    w = r.end_items["widget"]
    assert within(w.units_lost.mean, 80.0, w.units_lost.se)
    # more stock, less loss: the trials above the median stock lose about 50 less
    (stock,) = [d for d in r.drivers if d.kind == "quantity"]
    assert stock.label == "stock of gear above its median" and within(stock.contribution, -50_000.0, stock.se)
    # a trial is the simulation of the model with its drawn stock
    out = run_chunk(model, s, 20, 4, 0, 4)
    drawn = float(out.draws.quantities[2, 0])
    assert out.units_lost[2, 0] == pytest.approx(130 - drawn)
    alone = sc.simulate(sc.apply(model, {"parts": {"gear": {"stock": drawn}}}), s.model_copy(
        update={"uncertain_model": None}))
    assert out.units_lost[2, 0] == alone.end_items["widget"].units_lost


def test_uncertain_quantities_name_what_exists():
    model = line_model()
    with pytest.raises(ModelError, match="uncertain stock names unknown part 'gaer'; did you mean 'gear'"):
        monte_carlo(model, sc.Scenario.model_validate({"horizon": 20, "uncertain_model": {"stock": [
            {"part": "gaer", "stock": {"dist": "uniform", "scale": 5}}]}}), trials=1)
    with pytest.raises(ModelError, match="part 'gear' has no source from supplier 'plant'"):
        monte_carlo(model, sc.Scenario.model_validate({"horizon": 20, "uncertain_model": {"sources": [
            {"part": "gear", "supplier": "plant", "lead_time": {"dist": "randint", "low": 1, "high": 3}}]}}),
            trials=1)


def test_an_uncertain_link_stops_the_line_only_in_the_trials_it_exists():
    # gear half from xcorp (CA, lead time 2), half from dcorp (DE, lead time 6), no
    # stock; the CA link is mapped with confidence 0.4. With it, Canada's stop from week
    # 5 leaves a hole until the extra DE orders land: CA's last gears arrive in week 6,
    # DE's extra ones from week 11, so weeks 7-10 make 5 of 10 (20 units); base stock
    # across the two lead times echoes the hole in weeks 14-17 (LEAD_TIME_CASE in
    # test_sim_properties): L = 40. Without the link the gear comes from DE alone and
    # the stop touches nothing.
    data = json.loads(json.dumps(BASE))
    data["suppliers"]["dcorp"] = {"country": "DE"}
    data["parts"]["gear"]["stock"] = 0
    data["parts"]["gear"]["sources"] = [{"supplier": "xcorp", "lead_time": 2, "share": 0.5},
                                        {"supplier": "dcorp", "lead_time": 6, "share": 0.5}]
    model = sc.Model.model_validate(data)
    embargo = {"imposed_by": ["CA"], "start": 5}
    with_link = sc.simulate(model, sc.Scenario(horizon=20, embargoes=[embargo])).units_lost
    without = sc.simulate(sc.apply(model, {"parts": {"gear": {"sources": [
        {"supplier": "dcorp", "lead_time": 6}]}}}), sc.Scenario(horizon=20, embargoes=[embargo]))
    assert without.units_lost == 0.0 and with_link == 40.0
    s = sc.Scenario.model_validate({"horizon": 20, "embargoes": [embargo], "uncertain_model": {"links": [
        {"part": "gear", "supplier": "xcorp", "confidence": 0.4}]}})
    r = monte_carlo(model, s, trials=600, seed=9)
    w = r.end_items["widget"]
    # E[units lost] = 0.4 x L, P(short) = 0.4
    assert within(w.p_short, 0.4, w.p_short_se)
    assert within(w.units_lost.mean, 0.4 * with_link, w.units_lost.se)
    (link,) = [d for d in r.drivers if d.kind == "link"]
    assert link.label == "link gear from xcorp exists" and link.mean_without == 0.0
    assert link.mean_with == with_link * 1000.0


def test_a_part_left_without_sources_by_its_links_is_an_error():
    s = sc.Scenario.model_validate({"horizon": 20, "uncertain_model": {"links": [
        {"part": "gear", "supplier": "xcorp", "confidence": 0.0}]}})
    with pytest.raises(ModelError, match="part 'gear' has no source left in a trial without its uncertain links"):
        monte_carlo(line_model(), s, trials=4)


def test_trial_records_stream_to_the_file_and_a_failed_run_leaves_none(tmp_path):
    model = line_model()
    out = tmp_path / "trials.csv"
    r = monte_carlo(model, canada({"probability": 0.3}), trials=2_500, seed=1, trials_out=out)
    rows = out.read_text("utf-8").splitlines()
    # header + one row per trial, over three chunks of 1,024 (the last one short)
    assert len(rows) == 1 + 2_500 == 1 + r.trials
    assert rows[-1].startswith("2499,")
    # the losses in the file are the result's: the mean of the units-lost column
    lost = [float(line.split(",")[-3]) for line in rows[1:]]
    assert sum(lost) / len(lost) == pytest.approx(r.end_items["widget"].units_lost.mean)
    bad = tmp_path / "bad.csv"
    with pytest.raises(ModelError):  # an unknown part: the run fails before any trial
        monte_carlo(model, sc.Scenario.model_validate({"horizon": 20, "uncertain_model": {"stock": [
            {"part": "gaer", "stock": {"dist": "uniform", "scale": 5}}]}}), trials=4, trials_out=bad)
    assert not bad.exists() and not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(sc.SupplyChainError, match="use a .csv or .parquet file"):
        monte_carlo(model, canada({"probability": 0.3}), trials=4, trials_out=tmp_path / "t.xlsx")
