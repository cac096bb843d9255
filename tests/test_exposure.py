"""Exposure through the tiers on a small hand model (every share derived beside it)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies as S
from supplychain import simulate
from supplychain.errors import ModelError
from supplychain.graph.exposure import exposure_by_country
from supplychain.model.schema import Model, Scenario
from supplychain.network import compile_network, origin_share
from supplychain.network.whatif import apply


def radar(**changes) -> Model:
    """radar (1000) = 2 boards (100) + 1 antenna (200), made at home; 5 radars/period at 2000.

    board = 1 chip (40), assembled in CA (supplier ca2, no owner: owned in CA);
    chip from ca1 (CA facility, US owner) and fr1 (FR), half each; antenna from fr1.
    """
    data = {
        "home": "TR",
        "suppliers": {"plant": {"country": "TR"}, "ca1": {"country": "CA", "owner": "US"},
                      "ca2": {"country": "CA"}, "fr1": {"country": "FR"}},
        "parts": {
            "radar": {"unit_cost": 1000, "bom": {"board": 2, "antenna": 1}, "sources": [{"supplier": "plant"}]},
            "board": {"unit_cost": 100, "bom": {"chip": 1}, "sources": [{"supplier": "ca2"}]},
            "chip": {"unit_cost": 40, "stock": 30, "sources": [{"supplier": "ca1", "share": 0.5},
                                                               {"supplier": "fr1", "share": 0.5}]},
            "antenna": {"unit_cost": 200, "stock": 10, "sources": [{"supplier": "fr1"}]},
        },
        "demand": {"radar": {"rate": 5, "unit_value": 2000}},
    }
    data.update(changes)
    return Model.model_validate(data)


def shares(entry) -> dict[str, float]:
    return {p.part: p.share for p in entry.parts}


def test_located_share_rolls_up_value_through_every_tier():
    ca = exposure_by_country(radar()).get("CA", "located")
    # chip: half its supply from ca1 -> 0.5
    # board: (1 x 40 x 0.5 + value added (100 - 40) x maker in CA 1.0) / 100 = 0.8
    # radar: (2 x 100 x 0.8 + antenna 200 x 0 + value added 600 x 0 (TR)) / 1000 = 0.16
    assert shares(ca) == pytest.approx({"radar": 0.16, "board": 0.8, "chip": 0.5})
    assert ca.end_items == pytest.approx({"radar": 0.16})
    # 5 radars/period x 2000 x 0.16
    assert ca.value_per_period == pytest.approx(1600.0)


def test_owner_reading_is_reported_apart_from_the_facility():
    result = exposure_by_country(radar())
    us = result.get("US", "owned")
    # ca1 is US-owned: chip 0.5; board 40 x 0.5 / 100 = 0.2; radar 2 x 100 x 0.2 / 1000 = 0.04
    assert shares(us) == pytest.approx({"radar": 0.04, "board": 0.2, "chip": 0.5})
    assert result.get("US", "located") is None  # no facility in the US
    ca_owned = result.get("CA", "owned")
    # only ca2 (no owner) is Canadian-owned: board 60 x 1.0 / 100 = 0.6; radar 0.12; chip free of CA
    assert shares(ca_owned) == pytest.approx({"radar": 0.12, "board": 0.6})


def test_countries_ranked_by_value_exposed_home_left_out():
    result = exposure_by_country(radar())
    # FR: chip 0.5, board 40 x 0.5 / 100 = 0.2, antenna 1.0,
    #     radar (2 x 100 x 0.2 + 200 x 1.0) / 1000 = 0.24 -> 5 x 2000 x 0.24 = 2400 (both readings)
    # CA located 1600, CA owned 5 x 2000 x 0.12 = 1200, US owned 400.
    order = [(c.country, c.basis, c.value_per_period) for c in result.countries]
    assert order == [("FR", "located", pytest.approx(2400)), ("FR", "owned", pytest.approx(2400)),
                     ("CA", "located", pytest.approx(1600)), ("CA", "owned", pytest.approx(1200)),
                     ("US", "owned", pytest.approx(400))]
    assert all(c.country != "TR" for c in result.countries)


def test_supply_periods_of_the_directly_exposed_parts():
    ca = exposure_by_country(radar(), country="CA").get("CA", "located")
    cover = {p.part: p.supply_periods for p in ca.direct_parts}
    # chip: 30 in stock / (5 radars x 2 boards x 1 chip = 10 per period) = 3;
    # board: nothing in stock / 10 per period = 0
    assert cover == pytest.approx({"board": 0.0, "chip": 3.0})
    assert ca.min_supply_periods == 0.0
    # radar depends on CA only through its children: not direct
    assert not next(p for p in ca.parts if p.part == "radar").direct


def test_a_group_counts_as_one_block():
    model = radar(groups={"WEST": ["CA", "FR"]})
    west = exposure_by_country(model, country="WEST").get("WEST", "located")
    # chip 0.5 + 0.5 = 1; board (40 x 1 + 60 x 1) / 100 = 1; antenna 1;
    # radar (2 x 100 x 1 + 200 x 1) / 1000 = 0.4 -> 5 x 2000 x 0.4 = 4000
    assert west.end_items == pytest.approx({"radar": 0.4})
    assert west.value_per_period == pytest.approx(4000.0)


def test_a_country_nothing_depends_on_gives_no_entry():
    assert exposure_by_country(radar(), country="JP").countries == ()


def test_unknown_country_is_named():
    with pytest.raises(ModelError, match="'XX' is neither a country code nor a group"):
        exposure_by_country(radar(), country="XX")


def test_costless_assembly_takes_its_childrens_shares_by_quantity():
    model = apply(radar(), {"parts": {pid: {"unit_cost": 0.0} for pid in ("radar", "board", "chip", "antenna")}})
    ca = exposure_by_country(model, country="CA").get("CA", "located")
    # no value anywhere, so quantities weigh: chip 0.5 (half from ca1, a leaf needs no value);
    # board = its one chip line: 1 x 0.5 / 1 = 0.5 (assembled in CA, but no value to say how much);
    # radar = (2 boards x 0.5 + 1 antenna x 0) / 3 = 1/3
    assert shares(ca) == pytest.approx({"radar": 1 / 3, "board": 0.5, "chip": 0.5})
    # board is still sourced in CA: directly exposed, whatever its value
    assert [p.part for p in ca.direct_parts] == ["board", "chip"]


def test_to_dict_and_frame_carry_the_same_rows():
    result = exposure_by_country(radar())
    d = result.to_dict()
    assert d["period"] == "week"
    assert d["countries"][0]["country"] == "FR"
    frame = result.to_frame()
    assert len(frame) == sum(len(c.parts) for c in result.countries)
    radar_row = frame[(frame.country == "CA") & (frame.basis == "located") & (frame.part == "radar")]
    assert radar_row.share.item() == pytest.approx(0.16)
    assert radar_row.supply_periods.item() == 0.0  # radar: 0 in stock / 5 per period


# -- the command line -------------------------------------------------------------------

import json  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from supplychain.cli import app  # noqa: E402


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result


def radar_file(tmp_path):
    path = tmp_path / "radar.json"
    path.write_text(json.dumps(radar().model_dump(mode="json", exclude_defaults=True)), encoding="utf-8")
    return path


def test_cli_exposure_ranked_table(tmp_path):
    result = run("exposure", radar_file(tmp_path))
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.split()[:1] in (["1"], ["3"])]
    # columns: #, country, as, value/week, parts, direct, min supply, end items: value share
    # FR 2,400 first (4 parts: radar, board, chip, antenna; chip and antenna direct; antenna
    # 10 / 5 = 2 periods, chip 30 / 10 = 3); then CA located 1,600 third (values derived above)
    assert rows[0] == ["1", "FR", "located", "2,400", "4", "2", "2", "radar", "24.0%"]
    assert rows[1] == ["3", "CA", "located", "1,600", "3", "2", "0", "radar", "16.0%"]


def test_cli_exposure_one_country_json_and_csv(tmp_path):
    out = tmp_path / "ca.csv"
    result = run("exposure", radar_file(tmp_path), "--country", "CA", "--json", "--csv", out)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(c["country"], c["basis"]) for c in data["countries"]] == [("CA", "located"), ("CA", "owned")]
    assert data["countries"][0]["end_items"] == {"radar": pytest.approx(0.16)}
    radar_row = next(p for p in data["countries"][0]["parts"] if p["part"] == "radar")
    assert radar_row["supply_periods"] == 0.0
    lines = out.read_text(encoding="utf-8").splitlines()
    # CA located: radar, board, chip; CA owned: radar, board
    assert len(lines) == 1 + 5
    assert lines[1].startswith("CA,located,radar,true,0.16,false")


def test_cli_exposure_unknown_country(tmp_path):
    result = run("exposure", radar_file(tmp_path), "--country", "XX")
    assert result.exit_code == 1
    assert "'XX' is neither a country code nor a group" in result.stderr
    assert result.stdout == ""


# --- one roll-up: exposure reads the origin share the content reach uses ----------------


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(S.model_data(), st.sampled_from(S.COUNTRIES), st.booleans())
def test_exposure_shares_are_the_content_reachs_on_every_network(data, country, costless):
    if costless:  # no value anywhere: the quantity rule of cost-free assemblies decides
        data = {**data, "parts": {pid: {**p, "unit_cost": 0.0} for pid, p in data["parts"].items()}}
    model = S.build_model(data)
    net = compile_network(model)
    located = np.array([c == country for c in net.supplier_country])
    content = net.by_part(origin_share(net, located))
    entry = exposure_by_country(model, country=country).get(country, "located")
    listed = {p.part: p.share for p in entry.parts} if entry is not None else {}
    for pid, share in content.items():
        # a part exposure leaves out depends on nothing there: no content either
        assert listed.get(pid, 0.0) == pytest.approx(min(max(share, 0.0), 1.0), abs=1e-12), pid


def test_a_costless_assembly_is_caught_by_content_as_exposure_reads_it():
    # kit (made at home, no costs anywhere) = 1 Canadian camera + 3 German bolts: by
    # quantity the kit is 1/4 Canadian. A Canadian content rule over 20 % stops the
    # kit's flow to the home line; one over 30 % does not.
    model = Model.model_validate({
        "home": "TR",
        "suppliers": {"plant": {"country": "TR"}, "x": {"country": "CA"}, "y": {"country": "DE"},
                      "kitter": {"country": "FR"}},
        "parts": {"drone": {"bom": {"kit": 1}, "sources": [{"supplier": "plant"}]},
                  "kit": {"bom": {"cam": 1, "bolt": 3}, "sources": [{"supplier": "kitter"}]},
                  "cam": {"sources": [{"supplier": "x"}]}, "bolt": {"sources": [{"supplier": "y"}]}},
        "demand": {"drone": {"rate": 1}},
    })
    assert exposure_by_country(model, country="CA").get("CA").end_items == {"drone": pytest.approx(0.25)}
    for threshold, lost in ((0.2, 10.0), (0.3, 0.0)):
        s = Scenario(horizon=10, embargoes=[{"imposed_by": ["CA"], "reach": ["content"],
                                             "content_threshold": threshold, "items": {"parts": ["kit"]}}])
        # caught: the French kit maker ships nothing from t=0 on, no stock anywhere
        assert simulate(model, s).units_lost == pytest.approx(lost)


@pytest.mark.parametrize("seed", range(3))
def test_exposure_shares_are_the_content_reachs_on_generated_networks(seed):
    from supplychain.synthetic import generate_network

    model = Model.model_validate(generate_network(400, seed=seed, n_countries=6))
    net = compile_network(model)
    for country in sorted(set(net.supplier_country) - {model.home}):
        content = origin_share(net, np.array([c == country for c in net.supplier_country]))
        entry = exposure_by_country(model, country=country).get(country, "located")
        listed = {p.part: p.share for p in entry.parts}
        got = np.array([listed.get(pid, 0.0) for pid in net.part_ids])
        np.testing.assert_allclose(got, np.clip(content, 0.0, 1.0), rtol=0, atol=1e-12, err_msg=country)
