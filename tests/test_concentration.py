"""Supply concentration (HHI by country) and single points of failure, by hand."""

from __future__ import annotations

import pytest

from supplychain.graph.concentration import concentration, hhi
from supplychain.model.schema import Model


def test_hhi_textbook_values():
    # 30^2 + 30^2 + 20^2 + 20^2 = 900 + 900 + 400 + 400 = 2600
    assert hhi([0.3, 0.3, 0.2, 0.2]) == pytest.approx(2600.0)
    # 40^2 + 30^2 + 20^2 + 10^2 = 1600 + 900 + 400 + 100 = 3000
    assert hhi([0.4, 0.3, 0.2, 0.1]) == pytest.approx(3000.0)


def four_countries(shares) -> Model:
    codes = ["CA", "FR", "JP", "DE"]
    return Model.model_validate({
        "home": "TR",
        "suppliers": {"plant": {"country": "TR"}, **{f"s{i}": {"country": c} for i, c in enumerate(codes)}},
        "parts": {
            "w": {"bom": {"g": 1}, "sources": [{"supplier": "plant"}]},
            "g": {"sources": [{"supplier": f"s{i}", "share": s} for i, s in enumerate(shares)]},
        },
        "demand": {"w": {"rate": 1}},
    })


@pytest.mark.parametrize("shares, expected", [((0.3, 0.3, 0.2, 0.2), 2600.0), ((0.4, 0.3, 0.2, 0.1), 3000.0)])
def test_part_hhi_by_country(shares, expected):
    g = concentration(four_countries(shares)).part("g")
    assert g.hhi == pytest.approx(expected)
    assert not g.single_source and not g.single_country


def test_sources_in_one_country_add_up():
    model = Model.model_validate({
        "home": "TR",
        "suppliers": {"a": {"country": "CA"}, "b": {"country": "CA"}, "c": {"country": "FR"}},
        "parts": {"g": {"sources": [{"supplier": "a", "share": 0.3}, {"supplier": "b", "share": 0.3},
                                    {"supplier": "c", "share": 0.4}]}},
        "demand": {"g": {"rate": 1}},
    })
    g = concentration(model).part("g")
    # CA 30 + 30 = 60, FR 40: 3600 + 1600 = 5200
    assert g.hhi == pytest.approx(5200.0)
    assert g.countries == pytest.approx({"CA": 0.6, "FR": 0.4})


def uav(*, cam2_qualification: int = 0, cam2_supplier: str = "aselsan") -> Model:
    """uav = engine + camera (alternate cam2) + gps, assembled at the home plant.

    engine: one qualified source (rotax, AT) and a not-yet-qualified home backup (bm);
    camera: wescam (CA) alone, but cam2 can fill its line; gps: garmin and trimble, both US.
    """
    return Model.model_validate({
        "home": "TR",
        "suppliers": {"plant": {"country": "TR"}, "rotax": {"country": "AT", "owner": "CA"},
                      "bm": {"country": "TR"}, "wescam": {"country": "CA"}, "aselsan": {"country": "TR"},
                      "garmin": {"country": "US"}, "trimble": {"country": "US"}},
        "parts": {
            "uav": {"bom": {"engine": 1, "gps": 1,
                            "camera": {"qty": 1, "alternates": [{"part": "cam2",
                                                                 "qualification_time": cam2_qualification}]}},
                    "sources": [{"supplier": "plant"}]},
            "engine": {"sources": [{"supplier": "rotax"}, {"supplier": "bm", "qualification_time": 20}]},
            "camera": {"sources": [{"supplier": "wescam"}]},
            "cam2": {"sources": [{"supplier": cam2_supplier}]},
            "gps": {"sources": [{"supplier": "garmin"}, {"supplier": "trimble"}]},
        },
        "demand": {"uav": {"rate": 2}},
    })


def spof_ids(result) -> list[tuple[str, str]]:
    return [(s.kind, s.id) for s in result.spofs]


def test_spofs_single_source_without_usable_alternate():
    result = concentration(uav())
    # rotax alone makes engine (bm still has to qualify) -> rotax and engine stop the uav;
    # the plant is the uav's only source; wescam is covered by cam2 (usable at once);
    # gps has two US sources: single-country but no SPOF.
    assert spof_ids(result) == [("supplier", "plant"), ("supplier", "rotax"), ("part", "engine"), ("part", "uav")]
    assert result.spofs[1].end_items == ("uav",) and result.spofs[1].parts == ("engine",)
    assert result.spofs[1].country == "AT"
    assert "gps" in result.single_country_parts and "gps" not in result.single_source_parts
    assert result.part("gps").hhi == pytest.approx(10_000.0)  # 100^2, one country
    # engine: only the qualified rotax counts as supply
    assert result.part("engine").countries == {"AT": 1.0}


def test_alternate_that_must_qualify_does_not_cover_the_line():
    result = concentration(uav(cam2_qualification=8))
    assert ("supplier", "wescam") in spof_ids(result)
    assert ("part", "camera") in spof_ids(result)


def test_supplier_behind_both_options_of_a_line_is_a_spof():
    # wescam makes camera and cam2: neither part alone stops the uav, the supplier does
    ids = spof_ids(concentration(uav(cam2_supplier="wescam")))
    assert ("supplier", "wescam") in ids
    assert ("part", "camera") not in ids and ("part", "cam2") not in ids
    wescam = next(s for s in concentration(uav(cam2_supplier="wescam")).spofs if s.id == "wescam")
    assert wescam.parts == ("camera", "cam2")


def test_results_ranked_and_exported():
    result = concentration(uav())
    # uav, engine, camera, cam2 and gps are all one-country: 10,000 each, model order kept
    assert [p.part for p in result.parts] == ["uav", "engine", "camera", "cam2", "gps"]
    d = result.to_dict()
    assert d["spofs"][0] == {"kind": "supplier", "id": "plant", "country": "TR", "end_items": ["uav"],
                             "parts": ["uav"]}
    frame = result.to_frame()
    assert frame.set_index("part").loc["engine", "spof_for"] == "uav"


# -- the command line -------------------------------------------------------------------

import json  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from supplychain.cli import app  # noqa: E402


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_cli_concentration(tmp_path):
    path = tmp_path / "uav.json"
    path.write_text(json.dumps(uav().model_dump(mode="json", exclude_defaults=True)), encoding="utf-8")
    result = run("concentration", path)
    assert result.exit_code == 0, result.stderr
    # single source: uav, engine, camera, cam2; single country: those and gps; SPOFs as above
    assert "4 single-source parts, 5 single-country parts, 4 single points of failure" in result.stdout
    assert any("rotax" in line and "AT" in line and "engine" in line for line in result.stdout.splitlines())
    data = json.loads(run("concentration", path, "--json").stdout)
    assert data["single_source_parts"] == ["uav", "engine", "camera", "cam2"]
    assert [s["id"] for s in data["spofs"]] == ["plant", "rotax", "engine", "uav"]
    out = tmp_path / "c.csv"
    assert run("concentration", path, "--csv", out).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "part,hhi,countries,qualified_sources,single_source,single_country,spof_for"
    assert lines[2] == "engine,10000.0,AT:100%,1,true,true,uav"
