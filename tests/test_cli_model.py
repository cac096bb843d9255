"""``supplychain validate | show | schema`` through typer's CliRunner: exit codes, lines, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supplychain.cli import app

DATA = Path(__file__).parent / "data"
ONE = str(DATA / "one-part-line.yaml")
SCENARIO = str(DATA / "canada-stops-gears.yaml")
SMALL = str(DATA / "small-network.yaml")


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    # bad input is never a crash: no traceback on either stream
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code != 0 and result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def broken(write):
    """Two invalid model files: one with three rule problems, one with a shape problem."""
    a = write("a.yaml", """\
        home: UK
        suppliers:
          plant: {country: TR}
        parts:
          widget: {bom: {gear: 1}, sources: [{supplier: plnat}]}
          gear: {bom: {widget: 1}, sources: [{supplier: plant}]}
        demand: {widget: {rate: 1}}
        """)
    b = write("b.yaml", "home: TR\nsuppliers: {}\nparts: {}\ndemand: {}\nperiod: fortnight\n")
    return str(a), str(b)


def test_help_lists_the_model_commands():
    result = run("--help")
    assert result.exit_code == 0
    for name in ("validate", "show", "schema"):
        assert name in result.stdout


# -- validate -------------------------------------------------------------------------------


def test_validate_valid_files():
    result = run("validate", ONE, SCENARIO, str(DATA / "one-part-line.toml"))
    assert result.exit_code == 0
    # one verdict per file, wrapped to 80 columns (continuation lines indented)
    verdicts = " ".join(line.strip() for line in result.stderr.splitlines()).replace(" ok: ", "\nok: ")
    assert verdicts.splitlines() == [
        f"ok: {ONE} (model: 2 parts, 2 suppliers, 1 end item)",
        f"ok: {SCENARIO} (scenario: 1 embargo, 0 disruptions, horizon 20; model: 2 parts, 2 suppliers, 1 end item)",
        f"ok: {DATA / 'one-part-line.toml'} (model: 2 parts, 2 suppliers, 1 end item)",
    ]
    assert max(len(line) for line in result.stderr.splitlines()) <= 80
    assert result.stdout == ""  # messages go to stderr


def test_validate_reports_every_problem_of_every_file(broken):
    a, b = broken
    result = run("validate", a, ONE, b)
    assert result.exit_code == 1
    # problems wrap at 80 columns: read them with the line breaks folded
    err = " ".join(result.stderr.split())
    assert f"{a}: 3 problems" in err
    assert f"{a}:1: home: home 'UK' is not a country code; did you mean 'GB'?" in err
    assert f"{a}:5: parts.widget.sources[0].supplier: part 'widget' lists unknown supplier 'plnat'; did you mean 'plant'?" in err
    assert "BOM cycle: widget -> gear -> widget" in err
    assert f"ok: {ONE}" in err  # the valid file in between is still checked
    assert f"{b}: 1 problem " in err
    assert "Input should be 'day', 'week' or 'month' (got 'fortnight')" in err


def test_validate_json(broken):
    a, b = broken
    result = run("validate", "--json", ONE, a)
    assert result.exit_code == 1
    entries = json.loads(result.stdout)
    assert [(e["file"], e["valid"]) for e in entries] == [(ONE, True), (a, False)]
    assert entries[0]["kind"] == "model"
    assert entries[0]["counts"] == {"parts": 2, "suppliers": 2, "end_items": 1}
    assert entries[0]["problems"] == []
    assert len(entries[1]["problems"]) == 3
    assert entries[1]["problems"][0] == {
        "file": f"{a}:1", "path": "home", "message": "home 'UK' is not a country code; did you mean 'GB'?",
    }


def test_validate_json_exit_zero_when_all_valid():
    result = run("validate", "--json", SCENARIO)
    assert result.exit_code == 0
    (entry,) = json.loads(result.stdout)
    assert entry["kind"] == "scenario" and entry["counts"]["horizon"] == 20


def test_validate_shows_capacity_warnings(write, base):
    base["parts"]["gear"]["capacity"] = 6  # below the 10/period the widget plan needs
    path = write("m.json", json.dumps(base))
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert "warning: " in result.stderr and "capacity 6/period is below" in result.stderr
    result = run("validate", "--json", str(path))
    (entry,) = json.loads(result.stdout)
    assert entry["valid"] and "capacity 6/period" in entry["warnings"][0]


def test_validate_missing_file_and_hostile_yaml(write):
    bomb = write("bomb.yaml", "a: &a [lol, lol]\nb: [*a, *a]\n")
    result = run("validate", "absent.yaml", str(bomb))
    assert result.exit_code == 1
    assert "absent.yaml: file not found" in result.stderr
    assert "aliases (*a) are not allowed" in result.stderr


def test_validate_without_files_is_a_usage_error():
    assert run("validate").exit_code == 2


# -- show -----------------------------------------------------------------------------------


def test_show_prints_counts_countries_tiers_and_trees():
    result = run("show", SMALL)
    assert result.exit_code == 0
    text = result.stdout
    assert "small network" in text
    assert "plan 4/week" in text and "plan 2/week" in text
    assert "frame2 x1; alternate for frame, usable 8 weeks after the trigger; from ycorp\n      (DE)" in text
    assert "    sensor x2 (4 per turret); from fjord (NO) lead 3 weeks, plant (TR) qualifies" in text
    # owners and lead times: xcorp is a Canadian plant with a US owner
    assert "engine x1; from xcorp (CA, owned US) lead 4 weeks, ycorp (DE) lead 6 weeks" in text
    assert "Norway" in text and "Türkiye (home)" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_show_depth_cuts_the_tree():
    full = run("show", SMALL).stdout
    cut = run("show", "--depth", "1", SMALL).stdout
    assert "piston" in full and "piston" not in cut
    assert "engine" in cut


def test_show_json():
    result = run("show", "--json", SMALL)
    assert result.exit_code == 0
    s = json.loads(result.stdout)
    # 5 suppliers in 5 countries; CA, DE, NO, TR, US have one each (ties sorted by code)
    assert s["counts"] == {"parts": 8, "suppliers": 5, "countries": 5, "end_items": 2}
    assert [(c["country"], c["suppliers"]) for c in s["countries"]] == [
        ("CA", 1), ("DE", 1), ("NO", 1), ("TR", 1), ("US", 1)]
    assert s["tiers"] == [{"tier": 0, "parts": 2}, {"tier": 1, "parts": 4}, {"tier": 2, "parts": 2}]
    turret = s["end_items"][1]
    assert (turret["id"], turret["rate"]) == ("turret", 2.0)
    assert [(r["depth"], r["part"], r["qty_per_end_item"]) for r in turret["bom"]] == [
        (0, "turret", 1.0), (1, "camera", 2.0), (2, "sensor", 4.0)]
    sensor = turret["bom"][2]
    assert sensor["countries"] == ["NO", "TR"]
    assert sensor["sources"][1] == {"supplier": "plant", "country": "TR", "owner": "TR", "lead_time": 0,
                                    "capacity": None, "qualified": False, "qualification_time": 12}
    frame2 = s["end_items"][0]["bom"][-1]
    assert (frame2["part"], frame2["alternate_of"], frame2["qualification_time"]) == ("frame2", "frame", 8)


def path_rich_dag(levels: int = 14, width: int = 3) -> dict:
    """``levels`` layers of ``width`` assemblies, each using every part of the next
    layer: width ** levels paths from the end item to a leaf."""
    parts = {"top": {"bom": {f"p0_{j}": 1 for j in range(width)}, "sources": [{"supplier": "plant"}]}}
    for i in range(levels):
        for j in range(width):
            bom = {f"p{i + 1}_{k}": 1 for k in range(width)} if i + 1 < levels else {}
            parts[f"p{i}_{j}"] = {"bom": bom, "sources": [{"supplier": "plant" if bom else "vendor"}]}
    return {"home": "TR", "suppliers": {"plant": {"country": "TR"}, "vendor": {"country": "DE"}},
            "parts": parts, "demand": {"top": {"rate": 1}}}


def test_show_on_a_path_rich_dag_stays_small_and_says_what_it_left_out(tmp_path):
    # 3 ** 14 (4.8 million) paths from the end item to a leaf. Each of the 39
    # assemblies (layers 0-12) lists its 3 children the first time it appears, later it
    # is one "listed above" row; the 9 leaf rows come under the layer-12 assemblies.
    path = tmp_path / "dag.json"
    path.write_text(json.dumps(path_rich_dag()), encoding="utf-8")
    data = json.loads(run("show", "--json", str(path)).stdout)["end_items"][0]
    assert not data["cut"]
    # rows: top + its 3 children + 3 children for each of the 39 assemblies = 121
    assert len(data["bom"]) == 1 + 3 + 39 * 3
    # rows naming an assembly: top's 3 + the children rows of layers 0-11 (12 x 9) =
    # 111, of which the first of each of the 39 lists it: 72 repeats
    assert sum(r["repeat"] for r in data["bom"]) == 111 - 39
    # the terminal stops at depth 6 (layer 5): the 15 assemblies of layers 0-4 list
    # their children: 1 + 3 + 15 x 3 = 49 rows, and says what it left out
    text = run("show", str(path)).stdout
    lines = text.splitlines()
    assert len(lines) < 49 + 20 and max(len(line) for line in lines) <= 80
    assert "[a sub-assembly used in several places lists its BOM the first time only]" in text
    assert "rows deeper than 6 levels not shown: --depth N for more, --json for all]" in text


def test_show_json_depth_zero_is_the_end_items_alone():
    s = json.loads(run("show", "--json", "--depth", "0", SMALL).stdout)
    assert [[r["part"] for r in e["bom"]] for e in s["end_items"]] == [["drone"], ["turret"]]


def test_show_is_deterministic():
    assert run("show", "--json", SMALL).stdout_bytes == run("show", "--json", SMALL).stdout_bytes


def test_show_scenario_shows_its_model():
    s = json.loads(run("show", "--json", SCENARIO).stdout)
    assert s["scenario"] == SCENARIO  # unnamed scenario: its file
    assert s["counts"]["parts"] == 2


def test_show_invalid_model_exits_1(broken):
    a, _ = broken
    result = run("show", a)
    assert result.exit_code == 1
    assert f"{a}: 3 problems" in result.stderr
    assert result.stdout == ""


def test_show_negative_depth_is_a_usage_error():
    assert run("show", "--depth", "-1", SMALL).exit_code == 2


# -- schema ---------------------------------------------------------------------------------


def test_schema_every_kind_by_default():
    result = run("schema")
    assert result.exit_code == 0
    s = json.loads(result.stdout)
    assert set(s) == {"model", "scenario", "mitigation"}
    assert {"stock", "qualify", "capacity", "new_sources"} <= set(s["mitigation"]["properties"])
    assert "mitigation" in s["model"]["properties"]
    assert {"home", "suppliers", "parts", "demand"} <= set(s["model"]["properties"])
    assert "embargoes" in s["scenario"]["properties"]
    assert s["model"]["required"] == ["home", "suppliers", "parts", "demand"]


def test_schema_of_one_kind():
    s = json.loads(run("schema", "scenario").stdout)
    assert "horizon" in s["properties"] and "home" not in s["properties"]


def test_schema_to_file(tmp_path):
    target = tmp_path / "model.schema.json"
    result = run("schema", "model", "--output", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "suppliers" in json.loads(target.read_text("utf-8"))["properties"]


def test_schema_unknown_kind_is_a_usage_error():
    assert run("schema", "widget").exit_code == 2
