"""``supplychain simulate`` through typer's CliRunner, and its formatters on hand-built results.

The hand case is DESIGN.md's: one widget a week needs one gear; 10 widgets a week; gear
stock 35, single source in Canada, lead time 2; Canada stops exports from week 5 (goods
in transit delivered), horizon 20.
- Gears shipped in weeks 3 and 4 land in weeks 5 and 6, so stock stays 35 to the end of
  week 6; weeks 7, 8, 9 use 10 each (stock 25, 15, 5); week 10 makes the last 5.
- Produced: 10 x 10 (weeks 0..9) + 5 (week 10) = 105 of 20 x 10 = 200 planned.
- Units lost: 5 in week 10 + 10 x 9 weeks (11..19) = 95; value lost 95 x 1,000 = 95,000.
- Time to survive: first short week 10 - start 5 = 5; never back at plan: time to
  recover null.
"""

from __future__ import annotations

import doctest
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import supplychain.io.csv_out
import supplychain.reports.sim_report
from supplychain.cli import app
from supplychain.io.csv_out import csv_bytes
from supplychain.model.periods import period_date
from supplychain.reports.sim_report import (
    bottleneck_spans,
    render_simulation,
    simulation_dict,
    timeline_rows,
    why_line,
)
from supplychain.sim import EndItemResult, SimulationResult
from supplychain.sim.results import EventWindow

DATA = Path(__file__).parent / "data"
SCENARIO = str(DATA / "canada-stops-gears.yaml")
MODEL = str(DATA / "one-part-line.yaml")


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    # bad input is never a crash: no traceback on either stream
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code != 0 and result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result


# -- the command on the hand case ---------------------------------------------------------


def test_simulate_table_shows_time_to_survive_and_units_lost():
    result = run("simulate", SCENARIO)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "canada-stops-gears" in text
    assert "horizon 20 weeks" in text
    assert "from week 5, open-ended: Canada stops exports" in text
    row = next(line for line in text.splitlines() if line.startswith("widget "))
    # planned 200, produced 105, lost 95, value 95,000, time to survive 5, not recovered,
    # bottleneck gear (see the module docstring)
    assert row.split() == ["widget", "200", "105", "95", "95,000", "5", "not", "yet", "gear"]
    assert "  gear: 10-19" in text                          # gear binds weeks 10..19
    # the why line wraps at 80 columns: read it as one
    assert ("why: output falls below plan in week 10, 5 weeks after 'Canada stops exports' starts: "
            "short of 'gear', 5 of 10 made; the line stops in week 11") in " ".join(text.split())


def test_simulate_timeline_marks_the_event_start():
    lines = run("simulate", SCENARIO).stdout.splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("produced"))
    # 20 weeks fit 80 columns: one character per week. Weeks 0..9 at plan, week 10 at
    # half (5/10 -> 4 of 8 eighths: ▄), weeks 11..19 nothing.
    assert lines[k] == "produced   " + "█" * 10 + "▄" + " " * 9
    assert lines[k - 1] == "planned    " + "█" * 20
    # the marker sits under week 5
    assert lines[k + 1].index("^") == len("produced   ") + 5


def test_simulate_json_is_the_result_dict():
    result = run("simulate", SCENARIO, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    widget = data["end_items"]["widget"]
    assert widget["planned"] == 200.0
    assert widget["produced"] == 105.0
    assert widget["units_lost"] == 95.0
    assert widget["value_lost"] == 95_000.0
    assert widget["time_to_survive"] == 5
    assert widget["time_to_recover"] is None
    assert widget["bottleneck"] == "gear"
    assert widget["series"]["produced"] == [10.0] * 10 + [5.0] + [0.0] * 9
    assert widget["series"]["bottleneck"] == [None] * 10 + ["gear"] * 10
    assert data["event_start"] == 5 and data["horizon"] == 20 and data["period"] == "week"
    assert "stock" not in data


def test_simulate_horizon_option_shortens_the_run():
    data = json.loads(run("simulate", SCENARIO, "--json", "--horizon", "12").stdout)
    # weeks 0..11: lost 5 (week 10) + 10 (week 11) = 15
    assert data["horizon"] == 12
    assert data["end_items"]["widget"]["units_lost"] == 15.0


def test_simulate_stock_adds_part_trajectories_to_json():
    data = json.loads(run("simulate", SCENARIO, "--json", "--stock").stdout)
    # gear on hand at each week's end: 35 to week 6, then 25, 15, 5, 0 (module docstring)
    assert data["stock"]["gear"] == [35.0] * 7 + [25.0, 15.0, 5.0] + [0.0] * 10


def test_simulate_csv_file_rows(tmp_path):
    path = tmp_path / "series.csv"
    result = run("simulate", SCENARIO, "--csv", str(path))
    assert result.exit_code == 0
    assert f"wrote 20 rows to {path}" in result.stderr
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "end_item,period,planned,produced,lost,bottleneck"
    assert len(lines) == 1 + 20
    assert lines[1] == "widget,0,10.0,10.0,0.0,"
    assert lines[11] == "widget,10,10.0,5.0,5.0,gear"
    assert lines[20] == "widget,19,10.0,0.0,10.0,gear"
    # the table still prints
    assert "widget" in result.stdout


def test_simulate_csv_with_stock_writes_a_stock_file_beside_it(tmp_path):
    path = tmp_path / "series.csv"
    result = run("simulate", SCENARIO, "--csv", str(path), "--stock")
    assert result.exit_code == 0
    stock = (tmp_path / "series.stock.csv").read_text(encoding="utf-8").splitlines()
    assert stock[0] == "part,period,stock"
    # two parts (gear, widget) x 20 weeks
    assert len(stock) == 1 + 40
    assert "gear,7,25.0" in stock and "gear,10,0.0" in stock


def test_simulate_csv_dates_with_a_start_date(tmp_path):
    scenario = tmp_path / "dated.yaml"
    scenario.write_text(f"model: {MODEL}\nhorizon: 20\nstart_date: 2020-09-07\n"
                        "embargoes:\n  - {name: Canada stops exports, imposed_by: [CA], start: 5}\n",
                        encoding="utf-8")
    path = tmp_path / "s.csv"
    result = run("simulate", str(scenario), "--csv", str(path))
    assert result.exit_code == 0, result.stderr
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "end_item,period,date,planned,produced,lost,bottleneck"
    # week 10 starts 70 days after 7 Sep 2020: 16 Nov 2020
    assert lines[11] == "widget,10,2020-11-16,10.0,5.0,5.0,gear"
    # the table dates the time to survive: week 5 + 5 = week 10, 2020-11-16
    assert "2020-11-16" in result.stdout
    assert "week 5 (2020-10-12)" in result.stdout


def test_simulate_output_is_byte_for_byte_deterministic(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    first = run("simulate", SCENARIO, "--json", "--stock", "--csv", str(a))
    second = run("simulate", SCENARIO, "--json", "--stock", "--csv", str(b))
    assert first.stdout == second.stdout
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a.stock.csv").read_bytes() == (tmp_path / "b.stock.csv").read_bytes()
    assert run("simulate", SCENARIO).stdout == run("simulate", SCENARIO).stdout


def test_simulate_a_model_file_runs_the_baseline():
    result = run("simulate", MODEL, "--json")
    assert result.exit_code == 0
    assert "model file: running it with no event" in result.stderr
    data = json.loads(result.stdout)
    # no event: the default 104 weeks at 10 a week, nothing lost
    assert data["horizon"] == 104 and data["event_start"] is None
    assert data["end_items"]["widget"]["produced"] == 1040.0
    assert data["end_items"]["widget"]["units_lost"] == 0.0
    text = run("simulate", MODEL).stdout
    assert "no event: the baseline run" in text


def test_simulate_missing_file_exits_1_without_traceback(tmp_path):
    result = run("simulate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "nope.yaml" in result.stderr
    assert result.stdout == ""


def test_simulate_invalid_scenario_lists_the_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"model: {MODEL}\nembargoes:\n  - {{imposed_by: [ZZ], start: 5}}\n", encoding="utf-8")
    result = run("simulate", str(bad))
    assert result.exit_code == 1
    assert "ZZ" in result.stderr


def test_simulate_unwritable_csv_exits_1(tmp_path):
    result = run("simulate", SCENARIO, "--csv", str(tmp_path / "no-such-folder" / "s.csv"))
    assert result.exit_code == 1
    assert "does not exist; create it" in result.stderr


def test_simulate_rejects_a_zero_horizon():
    assert run("simulate", SCENARIO, "--horizon", "0").exit_code == 2


# -- formatters on hand-built results ------------------------------------------------------


def _line(produced, *, event_start=2, unit_value=100.0, bottleneck=None) -> EndItemResult:
    produced = np.array(produced, dtype=float)
    planned = np.full(len(produced), 4.0)
    if bottleneck is None:
        bottleneck = tuple("cam" if p < 4 else None for p in produced)
    return EndItemResult("drone", planned, produced, unit_value, event_start, tuple(bottleneck))


def _result(*items: EndItemResult, stock=None, start_date=None, events=()) -> SimulationResult:
    first = items[0]
    return SimulationResult("hand", len(first.planned), "week", first.event_start,
                            {r.item: r for r in items}, stock, start_date, events)


def test_why_line_for_a_stop_and_a_recovery():
    # plan 4/week; the event starts in week 2; weeks 4 and 5 make nothing, week 6 is
    # back at plan: time to survive 4 - 2 = 2, time to recover 6 - 2 = 4
    r = _line([4, 4, 4, 4, 0, 0, 4, 4])
    assert why_line(r, period="week", event="the ban") == (
        "the line stops in week 4, 2 weeks after 'the ban' starts: short of 'cam'; "
        "back at plan from week 6 (4 weeks after the start).")


def test_why_line_dates_periods_in_months():
    r = _line([4, 4, 4, 1, 4, 4])
    text = why_line(r, period="month", start_date=date(2020, 11, 1))
    # month 3 starts 1 Feb 2021; 1 of 4 made; recovers in month 4 (1 Mar 2021), 2 months after
    assert text == ("output falls below plan in month 3 (2021-02-01), 1 month after the event starts: "
                    "short of 'cam', 1 of 4 made; back at plan from month 4 (2021-03-01) (2 months after the start).")


def test_why_line_when_nothing_binds():
    assert why_line(_line([4, 4, 4]), period="week") == (
        "output stays at plan over the whole horizon: the event never binds.")
    assert why_line(_line([4, 4, 4], event_start=None), period="week") == (
        "no event: output stays at plan over the whole horizon.")


def test_period_date_clamps_month_ends():
    assert period_date(date(2023, 1, 31), 1, period="month") == date(2023, 2, 28)
    assert period_date(date(2023, 1, 31), 13, period="month") == date(2024, 2, 29)
    assert period_date(date(2023, 1, 31), 3, period="day") == date(2023, 2, 3)
    with pytest.raises(ValueError, match="unknown period 'year'"):
        period_date(date(2023, 1, 1), 1, period="year")


def test_bottleneck_spans_split_on_gaps_and_other_parts():
    assert bottleneck_spans([None, "a", "a", None, "a", "b", "b"]) == {"a": [(1, 2), (4, 4)], "b": [(5, 6)]}
    assert bottleneck_spans([None, None]) == {}


def test_timeline_buckets_a_long_horizon_to_the_width():
    # 100 periods in 30 columns: buckets of ceil(100/30) = 4 -> 25 characters. Periods
    # 40..59 make nothing: buckets 10..14 empty; the rest at plan
    produced = [1.0] * 40 + [0.0] * 20 + [1.0] * 40
    plan_row, made_row, k = timeline_rows([1.0] * 100, produced, width=30)
    assert k == 4
    assert plan_row == "█" * 25
    assert made_row == "█" * 10 + " " * 5 + "█" * 10


def test_timeline_never_shows_a_full_block_below_plan():
    # 99.9 % of plan is still short: 7 eighths at most
    assert timeline_rows([10.0], [9.99], width=5)[1] == "▇"
    # a trickle shows as the smallest block, not a blank
    assert timeline_rows([10.0], [0.01], width=5)[1] == "▁"


def test_render_lists_events_and_dates(tmp_path):
    from rich.console import Console

    r = _line([4, 4, 4, 4, 0, 0, 4, 4])
    console = Console(width=80, record=True, soft_wrap=True, file=open(tmp_path / "out.txt", "w"))
    ban = EventWindow("the ban", "embargo", 2, 5, flows_stopped=1)
    console.print(render_simulation(_result(r, start_date=date(2024, 9, 2), events=(ban,)),
                                    title="Hand case", model_name="one drone", width=80))
    text = console.export_text()
    assert text.startswith("Hand case\nmodel: one drone; horizon 8 weeks, 2024-09-02 to 2024-10-21; period: week")
    # week 2 starts 14 days after 2 Sep 2024; week 5, the first free one, 35 days after: 7 Oct
    assert "from week 2 (2024-09-16), lifted from week 5 (2024-10-07): the ban" in text
    row = next(line for line in text.splitlines() if line.startswith("drone"))
    # planned 8 x 4 = 32, produced 24, lost 8, value 800, survives 2, recovers 4
    assert row.split() == ["drone", "32", "24", "8", "800", "2", "4", "cam"]
    # time to survive 2 -> week 4 (2024-09-30); time to recover 4 -> week 6 (2024-10-14)
    assert "2024-09-30" in text and "2024-10-14" in text
    assert "  cam: 4-5" in text


def test_simulation_dict_adds_stock_only_when_asked():
    r = _line([4, 4, 4, 0])
    plain = _result(r)
    assert simulation_dict(plain) == plain.to_dict()
    with pytest.raises(ValueError, match="record_stock=True"):
        simulation_dict(plain, stock=True)
    stocked = _result(r, stock={"cam": np.array([3.0, 2.0, 1.0, 0.0])})
    assert simulation_dict(stocked, stock=True)["stock"] == {"cam": [3.0, 2.0, 1.0, 0.0]}


def test_the_result_table_has_one_row_per_end_item_and_period():
    r = _line([4, 4, 4, 1])
    header, rows = _result(r, start_date=date(2024, 9, 2)).table()
    assert header == ["end_item", "period", "date", "planned", "produced", "lost", "bottleneck"]
    # week 3 starts 21 days after 2 Sep 2024; 1 of 4 made: 3 lost
    assert rows[3] == ["drone", 3, date(2024, 9, 23), 4.0, 1.0, 3.0, "cam"]
    assert csv_bytes((header, rows)).decode().splitlines()[4] == "drone,3,2024-09-23,4.0,1.0,3.0,cam"
    # to_frame is the same table, tidy: indexed by end item and period, with the
    # scenario and the date as columns
    frame = _result(r, start_date=date(2024, 9, 2)).to_frame()
    assert list(frame.index.names) == ["end_item", "period"]
    assert list(frame.columns) == ["scenario", "date", "planned", "produced", "lost", "bottleneck"]
    assert frame.loc[("drone", 3), "lost"] == 3.0 and frame.loc[("drone", 3), "scenario"] == "hand"
    assert str(frame.loc[("drone", 3), "date"].date()) == "2024-09-23"
    # without a start date the date column is there, empty
    assert _result(r).to_frame()["date"].isna().all()
    header, rows = _result(r, stock={"cam": np.array([3.0, 2.0, 1.0, 0.0])}).stock_table()
    assert header == ["part", "period", "stock"] and rows[-1] == ["cam", 3, 0.0]


@pytest.mark.parametrize("module", [supplychain.reports.sim_report, supplychain.io.csv_out])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
