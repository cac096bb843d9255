"""``explain``: every flow an event stops or spares, and why; the scenario checks that
catch an event that cannot happen; and a run whose events reach nothing never called a
baseline.

The third-country case, by hand: home TR; a US fab makes chips, a board house in CN
puts them on boards, the TR plant builds one drone a week from one board. A US
embargo against TR (the default ``against``) judges each flow by its receiving maker:
the chip flow goes to the CN board house, not in ``against``, so nothing stops; with
``against: [TR, CN]`` the chip flow stops and its path is chip > board > drone.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

import supplychain as sc
from supplychain.cli import app
from supplychain.errors import ModelError, ModelWarning
from supplychain.sim.explain import explain

ROOT = Path(__file__).resolve().parents[1]
TB2 = ROOT / "scenarios" / "tb2" / "canada-2020.yaml"

THIRD_COUNTRY = """\
name: drone with chips via China
home: TR
suppliers:
  fab: {country: US}
  boards: {country: CN}
  plant: {country: TR}
  tr_fab: {country: TR}
parts:
  drone: {bom: {board: 1}, sources: [{supplier: plant}]}
  board: {bom: {chip: 1, bolt: 2}, stock: 2, sources: [{supplier: boards, lead_time: 1}]}
  chip: {tags: [chip], stock: 3, sources: [{supplier: fab, lead_time: 2}]}
  bolt: {sources: [{supplier: tr_fab}]}
demand:
  drone: {rate: 1}
"""


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result


@pytest.fixture
def third(tmp_path):
    (tmp_path / "drone.yaml").write_text(THIRD_COUNTRY, "utf-8")

    def scenario(embargo: str, name: str = "s.yaml", horizon: int = 12) -> Path:
        path = tmp_path / name
        path.write_text(f"model: drone.yaml\nhorizon: {horizon}\nembargoes:\n  - {embargo}\n", "utf-8")
        return path

    return scenario


# -- the flagship case -------------------------------------------------------------------


def test_tb2_lists_the_wescam_and_rotax_flows_with_their_paths():
    model, scenario = sc.load_scenario(TB2)
    x = explain(model, scenario)
    cams, engines = x.events
    (cam,) = cams.stopped
    assert (cam.supplier, cam.country, cam.part, cam.by, cam.stopped) == ("wescam", "CA", "turret_wescam", ("located",), 1.0)
    assert cam.paths == (("turret_wescam", "tb2"),)
    (eng,) = engines.stopped
    # owned: the plant is Austrian, its parent Canadian
    assert (eng.supplier, eng.country, eng.owner, eng.by) == ("rotax", "AT", "CA", ("owned",))
    assert eng.paths == (("engine_rotax", "tb2"),)
    # the turret binds from the first short week: the run's time to survive 30 after
    # the start in week 4, so week 34; and only in weeks whose bottleneck is the turret
    r = x.result.end_items["tb2"]
    first_short = r.event_start + r.time_to_survive
    assert cam.binds[0][1][0][0] == first_short == 34
    assert cam.binds[0][2] == ("turret_wescam",)  # the turret itself was the bottleneck
    turret_weeks = [t for t, b in enumerate(r.bottleneck) if b == "turret_wescam"]
    assert sum(b - a + 1 for a, b in cam.binds[0][1]) == len(turret_weeks)
    # each embargo spares the other's flow, for both of its reasons
    assert engines.spared[0].reason == ("located in CA, but reach has no 'located'; "
                                        "the part is outside items (tags engine)")


def test_cli_explain_on_tb2_fits_80_columns():
    result = run("explain", TB2)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = result.stdout
    assert "wescam (CA, owned US) -> turret_wescam -> baykar (TR): all of it, by located" in text
    assert "path engine_rotax > tb2: binds tb2 in weeks 85-155" in text
    data = json.loads(run("explain", TB2, "--json").stdout)
    assert [f["supplier"] for e in data["events"] for f in e["stopped"]] == ["wescam", "rotax"]


# -- an imposer whose plants ship to a third country --------------------------------------


def test_an_embargo_on_a_third_countrys_inputs_says_what_it_spares_and_the_fix(third):
    model, scenario = sc.load_scenario(third("{imposed_by: [US], start: 1}"))
    (e,) = explain(model, scenario).events
    assert e.stopped == ()
    (f,) = e.spared
    assert (f.supplier, f.part, f.to) == ("fab", "chip", ("boards (CN)",))
    assert f.reason.startswith("it ships to makers in CN, not in against")
    assert f.fix == "add CN to against"
    assert e.summary.endswith("add CN to against to stop it")


def test_simulate_never_calls_a_run_with_events_no_event(third):
    result = run("simulate", third("{name: US chip stop, imposed_by: [US], start: 1}"))
    assert result.exit_code == 0, result.stderr
    assert "no event: the baseline run" not in result.stdout
    assert "it stops no flow in this model; `supplychain explain` shows why" in result.stdout
    assert "no listed event stops a flow" in result.stdout
    data = json.loads(run("simulate", third("{name: US chip stop, imposed_by: [US], start: 1}"), "--json").stdout)
    assert data["events"] == [{"name": "US chip stop", "kind": "embargo", "start": 1, "stop": None,
                               "flows_stopped": 0}]


def test_widening_against_stops_the_chip_flow_along_its_path(third):
    model, scenario = sc.load_scenario(third("{imposed_by: [US], against: [TR, CN], start: 1}"))
    x = explain(model, scenario)
    (f,) = x.events[0].stopped
    # the fab has no owner: it is owned where it is, so both default rules reach it
    assert (f.part, f.by, f.paths) == ("chip", ("located", "owned"), (("chip", "board", "drone"),))
    # the path binds exactly in the run's short periods: every one of them is short of a
    # part on the path, the only flow stopped
    r = x.result.end_items["drone"]
    short = [int(t) for t in r.short_periods]
    assert short and all(r.bottleneck[t] in {"chip", "board", "drone"} for t in short)
    assert [t for a, b in f.binds[0][1] for t in range(a, b + 1)] == short


@pytest.mark.parametrize("edit, embargo, reason, fix", [
    # TR is home and in against: it never embargoes itself (the bolt comes from TR)
    ({}, "{imposed_by: [TR, US], against: [TR, CN], start: 1}", "TR is also in against", "take TR out of against"),
    # a US plant owned in NL: owned-only reach misses it
    ({"fab: {country: US}": "fab: {country: US, owner: NL}"},
     "{imposed_by: [US], against: [TR, CN], reach: [owned], start: 1}", "reach has no 'located'", "add located to reach"),
    # the tag must exist in the model: the bolt has it, the chip not
    ({"bolt: {sources": "bolt: {tags: [optics], sources"},
     "{imposed_by: [US], against: [TR, CN], items: {tags: [optics]}, start: 1}",
     "the part is outside items (tags optics)", "add one of its tags, control classes or its id to items"),
])
def test_every_reason_a_flow_is_spared_comes_with_its_fix(third, tmp_path, edit, embargo, reason, fix):
    text = (tmp_path / "drone.yaml").read_text("utf-8")
    for old, new in edit.items():
        text = text.replace(old, new)
    (tmp_path / "drone.yaml").write_text(text, "utf-8")
    model, scenario = sc.load_scenario(third(embargo))
    (e,) = explain(model, scenario).events
    spared = [f for f in e.spared if reason in f.reason]
    assert spared, [f.reason for f in e.spared]
    assert spared[0].fix == fix


def test_content_below_the_threshold_is_spared_with_its_share(third):
    # no costs: the board is 1 chip in 3 parts (1 chip + 2 bolts), so US content 1/3
    model, scenario = sc.load_scenario(third(
        "{imposed_by: [US], against: [TR, CN], reach: [content], content_threshold: 0.5, start: 1}"))
    (e,) = explain(model, scenario).events
    board = next(f for f in e.spared if f.part == "board")
    assert board.content_share == pytest.approx(1 / 3)
    assert "content_threshold" in board.reason and board.fix == "lower content_threshold"
    # the chip itself is all US content: caught
    assert [(f.part, f.by) for f in e.stopped] == [("chip", ("content",))]


def test_a_disruption_names_the_rule_that_reaches_each_flow(third):
    model, _ = sc.load_scenario(third("{imposed_by: [US], start: 1}"))
    s = sc.Scenario(horizon=12, disruptions=[{"suppliers": ["boards"], "countries": ["US"], "start": 2}])
    (d,) = explain(model, s).events
    assert [(f.supplier, f.by) for f in d.stopped] == [("boards", ("supplier",)), ("fab", ("country",))]
    nothing = explain(model, sc.Scenario(horizon=12, disruptions=[{"countries": ["FR"]}])).events[0]
    assert nothing.stopped == () and nothing.summary.startswith("stops no flow")


# -- scenario checks ----------------------------------------------------------------------


def test_an_event_at_or_after_the_horizon_is_rejected(third):
    with pytest.raises(ModelError, match=r"starts in period 12, at or after the horizon \(12 periods: 0 to 11\)") as info:
        sc.load_scenario(third("{imposed_by: [US], start: 12}"))
    assert info.value.problems[0].path == ("embargoes", 0, "start")
    model, _ = sc.load_scenario(third("{imposed_by: [US], start: 1}"))
    # from Python, and against a shorter --horizon than the scenario's
    with pytest.raises(ModelError, match="starts in period 8, at or after the horizon"):
        sc.simulate(model, sc.Scenario(horizon=12, embargoes=[{"imposed_by": ["US"], "start": 8}]), horizon=8)


def test_schema_and_rule_errors_of_one_file_are_reported_together(third):
    # embargo 0: a bad severity (schema); embargo 1: an unknown tag and an unknown group (rules)
    path = third("{imposed_by: [US], severity: 2}\n  - {imposed_by: [NATOO], items: {tags: [chipp]}}")
    with pytest.raises(ModelError) as info:
        sc.load_scenario(path)
    where = {p.path[:2] + (p.path[2],) for p in info.value.problems}
    assert ("embargoes", 0, "severity") in where
    assert ("embargoes", 1, "imposed_by") in where and ("embargoes", 1, "items") in where
    assert any("did you mean 'chip'" in p.message for p in info.value.problems)


def test_a_zero_length_event_and_an_embargo_on_oneself_warn(third):
    model, _ = sc.load_scenario(third("{imposed_by: [US], start: 1}"))
    s = sc.Scenario(horizon=12, embargoes=[{"name": "nothing", "imposed_by": ["US"], "start": 2, "duration": 0},
                                           {"name": "self", "imposed_by": ["TR"]}])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        sc.simulate(model, s)
    texts = [str(w.message) for w in caught if issubclass(w.category, ModelWarning)]
    assert "embargo 'nothing' lasts no period (duration 0): it changes nothing; give a duration of 1 or more" in texts
    assert any(t.startswith("embargo 'self': every imposer (TR) is also in against") for t in texts)


def test_the_json_of_a_dated_run_carries_its_calendar():
    model, scenario = sc.load_scenario(TB2)
    data = sc.simulate(model, scenario).to_dict()
    # start_date 2020-09-07, weekly: week 4 starts 2020-10-05
    assert data["start_date"] == "2020-09-07"
    assert data["dates"][4] == "2020-10-05" and len(data["dates"]) == 156
    assert data["events"][0]["start_date"] == "2020-10-05" and data["events"][0]["flows_stopped"] == 1


# -- compare ------------------------------------------------------------------------------


def test_compare_lines_up_the_scenarios_against_the_first():
    files = [ROOT / "scenarios" / "tb2" / f for f in ("canada-2020.yaml", "canada-2020-no-cats.yaml")]
    runs = [sc.simulate(*sc.load_scenario(f)) for f in files]
    c = sc.compare(runs, names=["as it happened", "no CATS"])
    first, second = c.rows
    # the deltas are the second run's loss less the first's
    assert second.delta_units_lost == runs[1].end_items["tb2"].units_lost - runs[0].end_items["tb2"].units_lost
    assert first.delta_units_lost == 0.0 and second.delta_units_lost > 0
    # the same name twice is numbered, as a what-if copied from its scenario keeps it
    assert sc.compare(runs, names=["a", "a"]).scenarios == ("a #1", "a #2")
    frame = c.to_frame()
    assert list(frame.index.names) == ["end_item", "scenario"]
    assert frame.loc[("tb2", "no CATS"), "delta_value_lost"] == second.delta_value_lost

    result = run("compare", *files)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0] == "1. Canada 2020 - cameras and engines (canada-2020.yaml)"
    row2 = next(line for line in lines if line.split()[:1] == ["2"])
    assert row2.split()[1:3] == [f"{runs[1].end_items['tb2'].units_lost:g}", f"+{second.delta_units_lost:g}"]
    data = json.loads(run("compare", *files, "--json").stdout)
    assert [r["scenario"] for r in data["rows"]] == [
        "Canada 2020 - cameras and engines (canada-2020.yaml)",
        "Canada 2020 - without the domestic camera (canada-2020-no-cats.yaml)"]


def test_an_event_of_no_length_is_explained_as_such(third):
    model, _ = sc.load_scenario(third("{imposed_by: [US], start: 1}"))
    s = sc.Scenario(horizon=12, embargoes=[{"imposed_by": ["US"], "against": ["TR", "CN"], "start": 2,
                                            "duration": 0}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        (e,) = explain(model, s).events
        events = sc.simulate(model, s).events
    assert e.stopped == () and e.summary.startswith("stops no flow: the event lasts no period (duration 0)")
    assert [f.part for f in e.spared] == ["chip"] and e.spared[0].fix == "give a duration of 1 or more"
    assert events[0].flows_stopped == 0  # so simulate flags it too


def test_the_why_line_names_the_event_that_cut_the_binding_part():
    # with more turrets in stock the camera stop binds later than the engine stop: the
    # line stops short of the engine, which the BRP event cut, not the first event
    result = run("simulate", ROOT / "scenarios" / "tb2" / "canada-2020-more-turrets.yaml")
    text = " ".join(result.stdout.split())
    assert ("short of 'engine_rotax' (cut by 'BRP stops Rotax engine deliveries from Austria')" in text)
    plain = " ".join(run("simulate", TB2).stdout.split())
    assert "short of 'turret_wescam'; not back" in plain  # the first event's own part: no note
    model, scenario = sc.load_scenario(TB2)
    cams, engines = sc.simulate(model, scenario).events
    assert {"turret_wescam", "tb2"} <= cams.reaches and "engine_rotax" not in cams.reaches
    assert {"engine_rotax", "tb2"} <= engines.reaches
