"""Every command's terminal output fits an 80-column terminal (the default of a pipe),
and no id is ever split over two lines: a long id is wrapped whole or, in a table
column, cut with an ellipsis (whole in --json).

The model has ids and names far longer than a column: a 63-character part id, a
supplier id of 40 and long descriptive names.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from supplychain.cli import app

PART = "electro_optical_infrared_targeting_turret_with_laser_designator"
SUPPLIER = "canadian_electro_optics_manufacturer_ltd"
MODEL = f"""\
name: A drone whose ids are longer than any column of any table in the tool's reports
home: TR
suppliers:
  plant: {{country: TR, name: Final assembly plant of the unmanned aerial vehicle programme}}
  {SUPPLIER}: {{country: CA, owner: US, recovery_time: 20}}
  de_engine_works: {{country: DE}}
parts:
  drone:
    name: Unmanned aerial vehicle, medium altitude long endurance, final assembly
    unit_cost: 1000
    bom: {{{PART}: 1, engine: 1}}
    sources: [{{supplier: plant}}]
  {PART}:
    name: The camera turret with its laser designator and stabilised gimbal assembly
    tags: [camera]
    unit_cost: 300
    stock: 12
    sources: [{{supplier: {SUPPLIER}, lead_time: 4}}]
  engine:
    unit_cost: 100
    stock: 20
    sources: [{{supplier: de_engine_works, lead_time: 2}}]
demand:
  drone: {{rate: 2, unit_value: 1000}}
"""
SCENARIO = """\
name: Canada stops the camera turret, and the owner's country follows a little later in the year
model: model.yaml
start_date: 2024-01-01
horizon: 40
embargoes:
  - {name: Canada suspends every export permit for electro-optical turrets to the home country, imposed_by: [CA], items: {tags: [camera]}, start: 3}
  - {name: The United States stops what it owns, imposed_by: [US], reach: [owned], start: 5, duration: 10}
"""

COMMANDS = [
    ("validate", "{model}", "{scenario}"),
    ("show", "{model}"),
    ("show", "{scenario}"),
    ("simulate", "{scenario}"),
    ("explain", "{scenario}"),
    ("compare", "{scenario}", "{model}"),
    ("exposure", "{model}", "--parts"),
    ("concentration", "{model}"),
    ("stress-test", "{model}", "--by", "part"),
    ("stress-test", "{model}", "--by", "supplier"),
    ("stress-test", "{model}", "--by", "country"),
    ("groups",),
    ("groups", "--as-of", "2010-01-01"),
]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "model.yaml").write_text(MODEL, "utf-8")
    (tmp_path / "scenario.yaml").write_text(SCENARIO, "utf-8")
    return {"model": str(tmp_path / "model.yaml"), "scenario": str(tmp_path / "scenario.yaml")}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(a for a in c if not a.startswith("{")))
def test_every_command_fits_80_columns_and_splits_no_id(files, command):
    args = [a.format(**files) for a in command]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    assert lines, "no output"
    # only a single token longer than the line itself (a URL, an id of 80+ characters)
    # may run past it: it is never split
    too_long = [line for line in lines if len(line) > 80 and len(line.split()) > 1]
    assert not too_long, too_long
    for ident in (PART, SUPPLIER):
        for line in lines:
            # a line that starts an id holds it whole, or cut with an ellipsis
            if ident[:16] in line:
                assert ident in line or "…" in line, (ident, line)
        # and no line begins with the tail of a split id
        tail = ident[-16:]
        assert not any(line.lstrip().startswith(tail) for line in lines if ident not in line)
