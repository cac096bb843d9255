"""The stress test: batched disruptions ranked by loss, with the LP bounds beside them."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies as S

from supplychain.errors import InfeasibleError, ModelWarning
from supplychain.model.schema import Disruption, Model
from supplychain.network.whatif import apply
from supplychain.risk.stress import StressRow, rank, recovery_time_for, recovery_time_source, stress_test
from test_lp import camera


def test_lp_figures_and_index_without_simulating():
    # recovery time 20 for every country (no supplier gives one); LP over T = 20 (test_lp):
    # CA: sensors 20 + 6 x 20 = 140 -> 60 lost, 60,000;  TTS 20 + 6t >= 10t -> 5
    # FR: sensors 50 + 6 x 20 = 170 -> 30 lost, 30,000;  TTS 50 + 6t >= 10t -> 12.5
    # JP: lenses (120 + 12 x 20) / 2 = 180 -> 20 lost, 20,000;  TTS 120 + 12t >= 20t -> 15
    # KR, US: nothing lost, unbounded.  Index = impact / 60,000.
    result = stress_test(camera(), recovery_time=20, simulate=False)
    got = [(r.target, r.lp_time_to_survive, r.lp_impact, r.risk_exposure_index) for r in result.rows]
    assert got == [
        ("CA", pytest.approx(5.0), pytest.approx(60_000.0), pytest.approx(1.0)),
        ("FR", pytest.approx(12.5), pytest.approx(30_000.0), pytest.approx(0.5)),
        ("JP", pytest.approx(15.0), pytest.approx(20_000.0), pytest.approx(1 / 3)),
        ("KR", math.inf, 0.0, 0.0),
        ("US", math.inf, 0.0, 0.0),
    ]
    assert result.rows[0].units_lost is None
    assert result.rows[0].reason == "camera loses 60 units (LP bound)"
    assert all(r.baseline_lp_time_to_survive == math.inf for r in result.rows)
    assert "TR" not in [r.target for r in result.rows]  # home is no target


def test_capacity_short_baseline_is_reported_on_every_row():
    # sensor sources 4 + 4 = 8/period: 50 + 8t >= 10t -> baseline 25 (test_lp)
    result = stress_test(camera(sensor_caps=(4, 4)), by="supplier", recovery_time=10, simulate=False)
    assert result.baseline_lp_time_to_survive == pytest.approx(25.0)
    assert [r.baseline_lp_time_to_survive for r in result.rows] == [pytest.approx(25.0)] * len(result.rows)
    # spare makes nothing: its loss changes nothing, the baseline still binds
    assert result.row("spare").lp_time_to_survive == pytest.approx(25.0)


def test_recovery_time_order_supplier_country_default_horizon():
    m = apply(camera(), {"suppliers": {"sens_ca": {"recovery_time": 8}, "lens_ca": {"recovery_time": 12}}})
    assert recovery_time_for(m, "country", "CA", default=30, horizon=104) == 12  # max over CA's suppliers
    assert recovery_time_for(m, "supplier", "sens_ca", default=30, horizon=104) == 8
    assert recovery_time_for(m, "supplier", "sens_fr", default=30, horizon=104) == 30
    # one rule for parts too: the lens's suppliers are lens_ca (12) and lens_jp (none)
    assert recovery_time_for(m, "part", "lens", default=None, horizon=104) == 12
    assert recovery_time_for(m, "part", "camera", default=None, horizon=104) == 104  # the plant gives none
    assert recovery_time_source(m, "part", "camera", default=30, horizon=104) == (30, "the recovery_time argument")


def test_each_row_says_which_t_it_used_and_where_it_came_from():
    m = apply(camera(), {"suppliers": {"lens_ca": {"recovery_time": 12}}})
    result = stress_test(m, by="country", horizon=40, simulate=False)
    rows = {r.target: (r.recovery_time, r.recovery_time_source) for r in result.rows}
    assert rows["CA"] == (12, "recovery_time of supplier 'lens_ca'")
    assert rows["FR"] == (40, "the horizon")
    assert result.table()[0][5] == "recovery_time_source"
    assert result.to_dict()["rows"][0]["recovery_time_source"] == rows[result.rows[0].target][1]


def test_a_country_row_reaches_the_plants_it_owns_by_default():
    # a French sensor plant owned in Canada: the CA row stops both sensor sources
    m = apply(camera(), {"suppliers": {"sens_fr": {"owner": "CA"}}})
    both = stress_test(m, recovery_time=20, simulate=False)
    located = stress_test(m, recovery_time=20, simulate=False, reach=("located",))
    # located only: test_lp_figures_and_index_without_simulating's CA, 60 cameras lost
    assert located.row("CA").lp_impact == pytest.approx(60_000.0)
    # located and owned: sensors 20 in stock and nothing coming -> 20 cameras in 20
    # periods of 10: 180 lost (the lenses are not short: 120 + 12 x 20 = 360 >= 2 x 20)
    assert both.row("CA").lp_impact == pytest.approx(180_000.0)
    assert both.reach == ("located", "owned") and located.reach == ("located",)
    with pytest.raises(InfeasibleError, match="choose located and/or owned"):
        stress_test(m, reach=("content",), simulate=False)


def test_the_lp_loss_counts_only_the_periods_the_horizon_sees():
    # T = 20 but a 12-period horizon: the LP counts 12 periods. CA stops the CA sensor
    # source and the CA lens source: sensors 20 + 6 x 12 = 92 -> 92 cameras of 120,
    # 28 lost; lenses 120 + 12 x 12 = 264 >= 2 x 120: not short. 28 x 1000 = 28,000
    result = stress_test(camera(), recovery_time=20, horizon=12)
    row = result.row("CA")
    assert row.lp_impact == pytest.approx(28_000.0)
    assert row.lp_impact <= row.value_lost + 1e-6


def test_equal_losses_rank_by_the_documented_order_not_float_noise():
    # the same loss summed in two orders: 64563.78000000007 and ...08 are one loss, so
    # the rows rank by id (AT before BE), not by the last bit
    def row(target, value, lp_tts=3.0):
        return StressRow(by="country", target=target, name=target, recovery_time=4, recovery_time_source="the horizon",
                         units_lost=10.0, value_lost=value, time_to_survive=1, time_to_recover=None,
                         recovered=False, lp_time_to_survive=lp_tts, lp_impact=value, risk_exposure_index=1.0,
                         baseline_lp_time_to_survive=math.inf, items=())

    rows = [row("BE", 64563.78000000008), row("AT", 64563.78000000007), row("CH", 64563.7)]
    assert [r.target for r in rank(rows, simulated=True)] == ["AT", "BE", "CH"]
    assert [r.target for r in rank(rows, simulated=False)] == ["AT", "BE", "CH"]
    # a real difference still ranks: a shorter LP time to survive first on equal losses
    assert [r.target for r in rank([row("AT", 5.0, 4.0), row("BE", 5.0, 2.0)], simulated=True)] == ["BE", "AT"]


def test_settings_are_checked():
    with pytest.raises(InfeasibleError, match=r"starts in period 60, at or after the horizon \(52 periods: 0 to 51\)"):
        stress_test(camera(), horizon=52, start=60, simulate=False)
    with pytest.raises(InfeasibleError, match="choose one of country, supplier, part"):
        stress_test(camera(), by="plant", simulate=False)


def test_result_exports():
    result = stress_test(camera(), recovery_time=20, simulate=False)
    d = result.to_dict()
    assert d["rows"][3]["lp_time_to_survive"] == "unbounded"
    assert d["baseline_lp_time_to_survive"] == "unbounded"
    frame = result.to_frame()
    assert list(frame["target"]) == ["CA", "FR", "JP", "KR", "US"]
    assert frame.loc[0, "rank"] == 1
    assert [r.target for r in result.top(2).rows] == ["CA", "FR"]


# -- simulated figures: need the engine ------------------------------------------------


def _engine():
    pytest.importorskip("supplychain.sim.engine")


def test_camera_stress_test_simulated_and_ranked():
    _engine()
    # All three disruptions last T = 20 from period 0; lead times 0, plan 10 cameras/period.
    # CA: sensors 20 own + 6/period from FR, 10 needed: 4 short a period -> stock gone after
    #     periods 0..4; from 5 to 19 only 6 cameras: 15 x 4 = 60 lost; TTS 5; CA back at 20.
    # FR: CA ships its 30 held sensors first (10/period in periods 0..2, its capacity unused),
    #     then 6/period; own 20 cover the 4 short in periods 3..7; 8..19 lose 4: 12 x 4 = 48.
    # JP: lenses 120 + 12/period, 20 needed: 8 short -> periods 0..14 at plan; 15..19 lose
    #     (20 - 12) / 2 = 4 cameras: 5 x 4 = 20.  KR, US: no loss (ties: LP inf, then id).
    result = stress_test(camera(), recovery_time=20, horizon=40)
    got = [(r.target, r.units_lost, r.value_lost, r.time_to_survive, r.time_to_recover) for r in result.rows]
    assert got == [
        ("CA", pytest.approx(60.0), pytest.approx(60_000.0), 5, 20),
        ("FR", pytest.approx(48.0), pytest.approx(48_000.0), 8, 20),
        ("JP", pytest.approx(20.0), pytest.approx(20_000.0), 15, 20),
        ("KR", 0.0, 0.0, None, None),
        ("US", 0.0, 0.0, None, None),
    ]
    ca = result.rows[0]
    assert ca.bottleneck == "sensor" and ca.recovered is True
    assert ca.reason == "sensor binds; camera loses 60 units"
    assert result.rows[2].bottleneck == "lens"
    # the LP bound sits beside: TTS 5 >= 5, 12.5 >= 8, 15 >= 15
    assert [r.lp_time_to_survive for r in result.rows[:3]] == [pytest.approx(5.0), pytest.approx(12.5),
                                                               pytest.approx(15.0)]


def test_a_disruption_past_the_horizon_has_not_recovered():
    _engine()
    # CA closed for 50 periods in a 30-period horizon: sensors short from period 5 to the end
    row = stress_test(camera(), recovery_time=50, horizon=30).row("CA")
    assert row.time_to_survive == 5 and row.time_to_recover is None and row.recovered is False
    # periods 5..29 lose 4 cameras each: 25 x 4 = 100
    assert row.units_lost == pytest.approx(100.0)


@pytest.mark.parametrize("seed", range(6))
def test_lp_bounds_the_simulation_on_generated_networks(seed):
    # DESIGN §5: the LP time to survive is at least the simulated one, and its least loss
    # over T at most the simulated value lost (disruption from period 0, T within the horizon).
    _engine()
    synthetic = pytest.importorskip("supplychain.synthetic")
    model = Model.model_validate(synthetic.generate_network(60, seed=seed, n_countries=8))
    result = stress_test(model, horizon=64, recovery_time=16)
    assert len(result.rows) == 7  # 8 countries, home excluded
    for r in result.rows:
        if r.time_to_survive is not None:
            assert r.lp_time_to_survive >= r.time_to_survive - 1e-6, r.target
        if r.recovery_time <= result.horizon:  # the LP's span lies inside the simulated one
            assert r.lp_impact <= r.value_lost * (1 + 1e-6) + 1e-6, r.target


def test_qualification_tightens_the_lp_bound_and_keeps_it_on_generated_networks():
    # DESIGN §5: an alternate or not-yet-qualified source supplies only from its
    # qualification time on. The LP with that rule stays above the simulated time to
    # survive, below the textbook LP (every source usable at once), and is strictly
    # tighter on some rows of these networks (their alternates wait 4-26 periods).
    _engine()
    synthetic = pytest.importorskip("supplychain.synthetic")
    from supplychain.risk.lp import compile_lp, time_to_survive_lp

    tighter = 0
    for seed in range(12):
        model = Model.model_validate(synthetic.generate_network(60, seed=seed, n_countries=8))
        result = stress_test(model, horizon=64, recovery_time=16)
        lp = compile_lp(model)
        for r in result.rows:
            textbook = time_to_survive_lp(lp, Disruption(countries=(r.target,), reach=("located", "owned")),
                                          qualification=False)
            assert textbook >= r.lp_time_to_survive - 1e-9, (seed, r.target)
            if r.time_to_survive is not None:
                assert r.lp_time_to_survive >= r.time_to_survive - 1e-6, (seed, r.target)
            tighter += textbook > r.lp_time_to_survive + 1e-9
    assert tighter >= 2


def test_two_processes_give_the_same_result_as_one():
    # targets are cut into batches of 3 (7 targets, 2 processes): a forked process and
    # this one simulate batches side by side; every column is the same in any batch
    _engine()
    synthetic = pytest.importorskip("supplychain.synthetic")
    model = Model.model_validate(synthetic.generate_network(80, seed=3, n_countries=8))
    one = stress_test(model, horizon=40, recovery_time=12, processes=1)
    two = stress_test(model, horizon=40, recovery_time=12, processes=2)
    assert two.to_dict() == one.to_dict()
    assert any(r.units_lost for r in one.rows)  # something was simulated


# -- the command line -------------------------------------------------------------------

import json  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from supplychain.cli import app  # noqa: E402


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result


def camera_file(tmp_path):
    path = tmp_path / "camera.json"
    path.write_text(json.dumps(camera().model_dump(mode="json", exclude_defaults=True)), encoding="utf-8")
    return path


def test_cli_stress_test_table_json_and_csv(tmp_path):
    _engine()
    model = camera_file(tmp_path)
    result = run("stress-test", model, "--recovery-time", 20, "--horizon", 40)
    assert result.exit_code == 0, result.stderr
    assert "Undisrupted LP time to survive: unbounded" in result.stdout
    # rank 1 is CA: 60 cameras (60,000) lost, simulated TTS 5, recovered at 20, LP TTS 5
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.split()[:1] == ["1"]}
    # columns: #, country, T, lost, value, TTS, TTR, LP TTS, LP value, index
    assert rows["1"] == ["1", "CA", "20", "60", "60,000", "5", "20", "5", "60,000", "1.00"]
    assert "1. CA: sensor binds; camera loses 60 units" in result.stdout
    data = json.loads(run("stress-test", model, "--recovery-time", 20, "--horizon", 40, "--json",
                          "--top", 2).stdout)
    assert [r["target"] for r in data["rows"]] == ["CA", "FR"]
    assert data["rows"][0]["units_lost"] == pytest.approx(60.0)
    assert data["baseline_lp_time_to_survive"] == "unbounded"
    out = tmp_path / "stress.csv"
    result = run("stress-test", model, "--by", "supplier", "--recovery-time", 20, "--horizon", 40, "--csv", out)
    assert result.exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("rank,by,target,name,recovery_time,recovery_time_source,units_lost")
    assert len(lines) == 1 + 7  # header + one row per supplier
    assert "wrote 7 rows" in result.stderr


def test_cli_stress_test_bad_input_is_one_red_line(tmp_path):
    result = run("stress-test", tmp_path / "absent.yaml")
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())  # wrapped at 80 columns where the path is long
    assert "absent.yaml: file not found" in said
    result = run("stress-test", camera_file(tmp_path), "--horizon", 10, "--start", 12)
    assert result.exit_code == 1
    assert "starts in period 12, at or after the horizon (10 periods" in " ".join(result.stderr.split())


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(S.models(), st.integers(1, 30), st.integers(0, 40), st.sampled_from(["country", "supplier", "part"]))
def test_the_lp_loss_stays_below_the_simulated_loss_when_t_outruns_the_horizon(model, horizon, extra, by):
    # T = horizon + extra >= horizon: the LP counts the periods the run sees only, so
    # its least loss can never exceed what the run loses
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        result = stress_test(model, by=by, recovery_time=horizon + extra, horizon=horizon, processes=1)
    for r in result.rows:
        assert r.lp_impact <= r.value_lost * (1 + 1e-6) + 1e-6, (r.target, r.lp_impact, r.value_lost)


def test_tb2_canada_gets_a_finite_lp_time_to_survive_and_a_non_zero_index():
    # TB2 at 4.6 a week, Canada disrupted for 26 weeks (WESCAM located, Rotax owned).
    # The Aselsan CATS turret qualifies only at 65 weeks, the BM-100 engine at 195, so
    # neither helps within the LP's horizon. Turrets: 20 in stock + 8 weeks x 4.6 in
    # transit = 56.8; TB2s in build: 2 weeks x 4.6 = 9.2. So 56.8 + 9.2 = 66 drones:
    # LP TTS = 66 / 4.6 = 14.348; over T = 26 the plan is 119.6, so 53.6 lost x US$5M
    # = 268M. (Engines: 30 + 6 x 4.6 = 57.6, + 9.2 = 66.8 > 66: the turret binds.)
    # US (nav/comm radio): 10 + 4 x 4.6 + 4.6 (avionics in build) + 9.2 = 42.2 -> 9.174,
    # 77.4 lost = 387M, the largest; CA's index = 53.6 / 77.4 = 0.6925.
    from supplychain.io import load_model

    model = load_model(Path(__file__).parent.parent / "scenarios" / "tb2" / "tb2.yaml")
    result = stress_test(model, simulate=False)
    ca, us = result.row("CA"), result.row("US")
    assert ca.lp_time_to_survive == pytest.approx(66 / 4.6)
    assert ca.lp_impact == pytest.approx(53.6 * 5e6)
    assert us.lp_impact == pytest.approx(77.4 * 5e6)
    assert ca.risk_exposure_index == pytest.approx(53.6 / 77.4)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_stress_helper_dies_with_its_parent(tmp_path, sig):
    # the forked helper used to block for ever on a pipe write once its parent was
    # killed (it held its own copy of the read end); the pool's worker now exits
    code = (
        "import supplychain.synthetic as syn\n"
        "from supplychain.model.schema import Model\n"
        "from supplychain.risk.stress import stress_test\n"
        "model = Model.model_validate(syn.generate_network(400, seed=3, n_countries=8))\n"
        "while True:\n"
        "    stress_test(model, by=\"supplier\", horizon=60, recovery_time=12, processes=2)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 120
        kids: list[int] = []
        while not kids and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            kids = _children(proc.pid)
        assert kids, "the stress test never started its helper"
        proc.send_signal(sig)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_running(k) for k in kids):
            time.sleep(0.1)
        alive = [k for k in kids if _running(k)]
        assert alive == [], f"helper processes {alive} outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
