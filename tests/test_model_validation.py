"""Every validation rule: the pydantic shape rules and the cross-entry checks, all at once.

Each test breaks one thing in a valid model (``base``, DESIGN.md's one-part line as
data) and matches the message that names the thing, the rule and the fix.
"""

from __future__ import annotations

import re
import warnings
from datetime import date

import pytest

from supplychain import ModelError, ModelWarning, expand_countries, load_model, load_scenario
from supplychain.io import model_from_data
from supplychain.model.checks import SHARE_TOLERANCE


def load(data: dict):
    return model_from_data(data, file="m.yaml")


def problems_of(data: dict) -> list[str]:
    """The messages of the ModelError ``data`` raises (fails the test if it loads)."""
    with pytest.raises(ModelError) as info:
        load(data)
    return [p.message for p in info.value.problems]


def test_base_model_is_valid(base):
    model = load(base)
    assert list(model.parts) == ["widget", "gear"]


# -- ids that must exist ------------------------------------------------------------------


def test_unknown_supplier_suggests_the_close_one(base):
    base["parts"]["gear"]["sources"][0]["supplier"] = "xcrop"
    with pytest.raises(ModelError, match=re.escape("part 'gear' lists unknown supplier 'xcrop'; did you mean 'xcorp'?")):
        load(base)


def test_unknown_supplier_far_from_any_has_no_hint(base):
    base["parts"]["gear"]["sources"][0]["supplier"] = "qqqqqq"
    (msg,) = problems_of(base)
    assert msg == "part 'gear' lists unknown supplier 'qqqqqq'"


def test_unknown_bom_child(base):
    base["parts"]["widget"]["bom"] = {"geer": 1}
    with pytest.raises(ModelError, match=re.escape("part 'widget' uses unknown part 'geer'; did you mean 'gear'?")):
        load(base)


def test_unknown_alternate_part(base):
    base["parts"]["widget"]["bom"] = {"gear": {"qty": 1, "alternates": [{"part": "gear2"}]}}
    with pytest.raises(ModelError, match=re.escape("part 'widget' lists unknown alternate part 'gear2'")):
        load(base)


def test_alternate_that_is_its_own_parent(base):
    base["parts"]["widget"]["bom"] = {"gear": {"qty": 1, "alternates": [{"part": "widget"}]}}
    with pytest.raises(ModelError, match="alternate 'widget' is its own parent") as info:
        load(base)
    assert info.value.problems[0].path == ("parts", "widget", "bom", "gear", "alternates", 0, "part")


def test_alternate_that_is_the_line_itself(base):
    base["parts"]["widget"]["bom"] = {"gear": {"qty": 1, "alternates": [{"part": "gear"}]}}
    with pytest.raises(ModelError, match="alternate 'gear' is the line's own part"):
        load(base)


def test_demand_on_unknown_part(base):
    base["demand"] = {"widgte": {"rate": 10}}
    with pytest.raises(ModelError, match=re.escape("demand for unknown part 'widgte'; did you mean 'widget'?")):
        load(base)


def test_no_demand(base):
    base["demand"] = {}
    with pytest.raises(ModelError, match="no demand: name at least one end item"):
        load(base)


# -- the BOM is a DAG -----------------------------------------------------------------------


def test_bom_cycle_is_printed_in_order(base):
    src = [{"supplier": "plant"}]
    base["parts"] = {
        "a": {"bom": {"b": 1}, "sources": src},
        "b": {"bom": {"c": 1}, "sources": src},
        "c": {"bom": {"a": 2}, "sources": src},
    }
    base["demand"] = {"a": {"rate": 1}}
    with pytest.raises(ModelError, match=re.escape("BOM cycle: a -> b -> c -> a")) as info:
        load(base)
    # one knot, one problem, pointing at the first part of the file in the cycle
    assert [p.path for p in info.value.problems] == [("parts", "a", "bom")]


def test_cycle_through_an_alternate_is_a_cycle(base):
    base["parts"]["gear"]["bom"] = {"frame": {"qty": 1, "alternates": [{"part": "widget"}]}}
    base["parts"]["frame"] = {"sources": [{"supplier": "plant"}]}
    with pytest.raises(ModelError, match=re.escape("BOM cycle: widget -> gear -> widget")):
        load(base)


def test_part_that_uses_itself(base):
    base["parts"]["gear"]["bom"] = {"gear": 2}
    with pytest.raises(ModelError, match="part 'gear' uses itself") as info:
        load(base)
    assert len(info.value.problems) == 1  # reported once, as self-use, not also as a 2-cycle


@pytest.mark.parametrize("qty", [0, -2, {"qty": 0}, {"qty": -0.5}])
def test_non_positive_quantity(base, qty):
    base["parts"]["widget"]["bom"] = {"gear": qty}
    with pytest.raises(ModelError, match="greater than 0") as info:
        load(base)
    assert info.value.problems[0].path == ("parts", "widget", "bom", "gear", "qty")


# -- sources and shares ---------------------------------------------------------------------


def two_sources(base, *shares):
    base["suppliers"]["ycorp"] = {"country": "DE"}
    base["suppliers"]["zcorp"] = {"country": "US"}
    sups = ["xcorp", "ycorp", "zcorp"]
    base["parts"]["gear"]["sources"] = [
        {"supplier": s} | ({"share": sh} if sh is not None else {}) for s, sh in zip(sups, shares)
    ]
    return base


def test_shares_must_sum_to_one(base):
    two_sources(base, 0.5, 0.3)
    with pytest.raises(ModelError, match=re.escape("shares of the qualified sources of part 'gear' sum to 0.8, not 1")):
        load(base)


def test_shares_within_tolerance_pass(base):
    # 0.3333333 + 0.3333333 + 0.3333334 = 1.0000000 up to float rounding (< 1e-6)
    model = load(two_sources(base, 0.3333333, 0.3333333, 0.3333334))
    assert [s.share for s in model.parts["gear"].sources] == [0.3333333, 0.3333333, 0.3333334]


def test_shares_outside_tolerance_fail(base):
    # 3 x 0.3333 = 0.9999: off by 1e-4, a hundred times the 1e-6 tolerance
    assert SHARE_TOLERANCE == 1e-6
    with pytest.raises(ModelError, match="sum to 0.9999, not 1"):
        load(two_sources(base, 0.3333, 0.3333, 0.3333))


def test_partial_shares(base):
    two_sources(base, 0.5, None, 0.5)
    with pytest.raises(ModelError, match=re.escape("give a share for every qualified source or for none (2 of 3 have one)")):
        load(base)


def test_shares_of_unqualified_sources_do_not_count(base):
    # the pending zcorp source's share is not part of the sum: 0.6 + 0.4 = 1
    two_sources(base, 0.6, 0.4, 0.5)
    base["parts"]["gear"]["sources"][2]["qualification_time"] = 6
    model = load(base)
    assert not model.parts["gear"].sources[2].is_qualified


def test_share_above_one_is_a_shape_error(base):
    base["parts"]["gear"]["sources"][0]["share"] = 1.5
    with pytest.raises(ModelError, match=re.escape("less than or equal to 1 (got 1.5)")):
        load(base)


def test_duplicate_supplier_in_a_part(base):
    base["parts"]["gear"]["sources"] = [{"supplier": "xcorp"}, {"supplier": "xcorp"}]
    with pytest.raises(ModelError, match="part 'gear' lists supplier 'xcorp' twice; merge the two sources") as info:
        load(base)
    assert info.value.problems[0].path == ("parts", "gear", "sources", 1, "supplier")


def test_qualified_true_with_qualification_time(base):
    base["parts"]["gear"]["sources"][0] |= {"qualified": True, "qualification_time": 4}
    with pytest.raises(ModelError, match="qualified: true contradicts a qualification_time"):
        load(base)


def test_part_without_sources(base):
    base["parts"]["gear"]["sources"] = []
    with pytest.raises(ModelError, match=re.escape("part 'gear' has no sources; add one (in-house making is a supplier in home)")):
        load(base)


# -- countries and groups -------------------------------------------------------------------


def test_unknown_home_country(base):
    base["home"] = "XX"
    with pytest.raises(ModelError, match="home 'XX' is not a country code; use an ISO 3166-1 alpha-2 code"):
        load(base)


def test_uk_suggests_gb(base):
    base["suppliers"]["xcorp"]["country"] = "UK"
    with pytest.raises(ModelError, match=re.escape("country 'UK' is not a country code; did you mean 'GB'?")) as info:
        load(base)
    assert info.value.problems[0].path == ("suppliers", "xcorp", "country")


@pytest.mark.parametrize("written, meant", [("ca", "CA"), ("Canada", "CA"), ("CAN", "CA")])
def test_country_typos_suggest_the_code(base, written, meant):
    base["suppliers"]["xcorp"]["country"] = written
    with pytest.raises(ModelError, match=re.escape(f"did you mean {meant!r}?")):
        load(base)


def test_unknown_owner_country(base):
    base["suppliers"]["xcorp"]["owner"] = "USA"
    with pytest.raises(ModelError, match=re.escape("owner 'USA' is not a country code; did you mean 'US'?")):
        load(base)


def test_group_member_unknown(base):
    base["groups"] = {"FIVE": ["US", "XX"]}
    with pytest.raises(ModelError, match="group 'FIVE' lists 'XX', neither a country code nor a group") as info:
        load(base)
    assert info.value.problems[0].path == ("groups", "FIVE", 1)


def test_group_cycle(base):
    base["groups"] = {"WEST": ["EAST"], "EAST": ["WEST"]}
    with pytest.raises(ModelError, match="group cycle: WEST -> EAST -> WEST"):
        load(base)


def test_group_named_like_a_country(base):
    base["groups"] = {"CA": ["US"]}
    with pytest.raises(ModelError, match="group name 'CA' is a country code; choose another name"):
        load(base)


# -- pydantic shape rules -------------------------------------------------------------------


def test_unknown_field(base):
    base["parts"]["gear"]["soruces"] = []
    with pytest.raises(ModelError, match="unknown field 'soruces'; did you mean 'sources'?"):
        load(base)


@pytest.mark.parametrize("where, field, meant", [
    (("suppliers", "xcorp"), "ownr", "owner"),
    (("parts", "gear", "sources", 0), "leadtime", "lead_time"),
    (("demand", "widget"), "priorty", "priority"),
    ((), "zzz_unrelated", None),
])
def test_an_unknown_field_names_the_field_it_most_likely_meant(base, where, field, meant):
    node = base
    for key in where:
        node = node[key]
    node[field] = 1
    with pytest.raises(ModelError) as info:
        load(base)
    (p,) = [p for p in info.value.problems if p.path[-1] == field]
    # the suggestion comes from the fields allowed right there, not from anywhere
    assert p.message == (f"unknown field {field!r}; did you mean {meant!r}?" if meant else
                         f"unknown field {field!r}; check its spelling (see `supplychain schema`)")


def test_missing_field(base):
    del base["home"]
    with pytest.raises(ModelError, match="missing required field 'home'"):
        load(base)


def test_bad_period(base):
    base["period"] = "fortnight"
    with pytest.raises(ModelError, match=re.escape("Input should be 'day', 'week' or 'month' (got 'fortnight')")):
        load(base)


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_non_finite_numbers_are_rejected(base, value):
    base["parts"]["gear"]["unit_cost"] = value
    with pytest.raises(ModelError, match="finite number"):
        load(base)


def test_negative_stock(base):
    base["parts"]["gear"]["stock"] = -1
    with pytest.raises(ModelError, match=re.escape("greater than or equal to 0 (got -1)")):
        load(base)


def test_not_a_mapping():
    with pytest.raises(ModelError, match="a model file must be a mapping"):
        model_from_data(["home", "TR"], file="m.yaml")


# -- every problem at once ------------------------------------------------------------------


def test_unknown_supplier_cycle_and_bad_country_in_one_error(base):
    """The issue's "done when": three unrelated problems, one ModelError listing all."""
    base["suppliers"]["xcorp"]["country"] = "UK"
    base["parts"]["gear"]["sources"][0]["supplier"] = "wescm"
    base["suppliers"]["wescam"] = {"country": "CA"}
    base["parts"]["gear"]["bom"] = {"widget": 1}
    with pytest.raises(ModelError) as info:
        load(base)
    msgs = [p.message for p in info.value.problems]
    assert len(msgs) == 3
    assert any("unknown supplier 'wescm'; did you mean 'wescam'?" in m for m in msgs)
    assert "BOM cycle: widget -> gear -> widget" in msgs
    assert any("'UK' is not a country code; did you mean 'GB'?" in m for m in msgs)
    assert str(info.value).startswith("m.yaml: 3 problems found\n")


def test_shape_and_rule_problems_reported_together(base):
    # a malformed qty is set aside and the rest is still checked
    base["parts"]["widget"]["bom"] = {"gear": "two"}
    base["demand"]["gizmo"] = {"rate": 1}
    msgs = problems_of(base)
    assert len(msgs) == 2
    assert "Input should be a valid number" in msgs[0]
    assert msgs[1] == "demand for unknown part 'gizmo'"


def test_problems_carry_file_and_line_for_yaml(write):
    path = write("m.yaml", """\
        home: TR
        suppliers:
          plant: {country: TR}
        parts:
          widget:
            sources:
              - supplier: plnat
        demand:
          widget: {rate: 1}
        """)
    with pytest.raises(ModelError) as info:
        load_model(path)
    (p,) = info.value.problems
    # "supplier: plnat" is on line 7 of the file
    assert p.file == f"{path}:7"
    assert p.path == ("parts", "widget", "sources", 0, "supplier")
    assert f"{path}:7: parts.widget.sources[0].supplier: part 'widget' lists unknown supplier 'plnat'" in str(info.value)


def test_capacity_below_plan_warns(base):
    # widget plan 10/period, gear needs 1 per widget = 10/period; capacity 6 < 10
    base["parts"]["gear"]["capacity"] = 6
    with pytest.warns(ModelWarning, match=re.escape("capacity 6/period is below the steady-state requirement 10/period")):
        load(base)


def test_capacity_meeting_plan_does_not_warn(base):
    base["parts"]["gear"]["capacity"] = 10
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        load(base)


# -- scenarios ------------------------------------------------------------------------------


@pytest.fixture
def scenario_file(write, data_dir):
    """``scenario_file(text)``: a scenario on the small network (tags, ITAR, five countries)."""
    model = (data_dir / "small-network.yaml").read_text("utf-8")
    write("small-network.yaml", model)

    def _make(embargoes_yaml: str) -> str:
        return write("s.yaml", "model: small-network.yaml\nhorizon: 30\n" + embargoes_yaml)

    return _make


def test_valid_scenario_loads(scenario_file):
    path = scenario_file("embargoes:\n  - {imposed_by: [NATO], items: {tags: [camera], control: [ITAR]}, start: 5, duration: 4}\n")
    model, scenario = load_scenario(path)
    assert scenario.embargoes[0].stop == 9  # start 5 + duration 4
    assert "camera" in model.parts


def test_scenario_unknown_imposer(scenario_file):
    path = scenario_file("embargoes:\n  - {imposed_by: [CAN], start: 5}\n")
    with pytest.raises(ModelError, match=re.escape("imposed_by 'CAN' is neither a country code nor a group; did you mean 'CA'?")) as info:
        load_scenario(path)
    assert info.value.problems[0].file == f"{path}:4"


def test_scenario_unknown_group(scenario_file):
    path = scenario_file("embargoes:\n  - {imposed_by: [NATOO], start: 5}\n")
    with pytest.raises(ModelError, match=re.escape("'NATOO' is neither a country code nor a group; did you mean 'NATO'?")):
        load_scenario(path)


def test_scenario_unknown_tag(scenario_file):
    path = scenario_file("embargoes:\n  - {imposed_by: [US], items: {tags: [camra]}}\n")
    with pytest.raises(ModelError, match=re.escape("items filter names unknown tag 'camra'; did you mean 'camera'?")) as info:
        load_scenario(path)
    assert info.value.problems[0].path == ("embargoes", 0, "items", "tags", 0)


@pytest.mark.parametrize("end", [3, 5])
def test_scenario_end_not_after_start(scenario_file, end):
    # end is exclusive: end == start would be an event of no period
    path = scenario_file(f"embargoes:\n  - {{imposed_by: [US], start: 5, end: {end}}}\n")
    with pytest.raises(ModelError, match=f"end {end} is not after start 5: .*set end to 6 or later"):
        load_scenario(path)


def test_scenario_end_and_duration_both(scenario_file):
    path = scenario_file("embargoes:\n  - {imposed_by: [US], start: 5, end: 8, duration: 3}\n")
    with pytest.raises(ModelError, match="give either end or duration, not both"):
        load_scenario(path)


def test_scenario_disruption_unknown_ids(scenario_file):
    path = scenario_file("disruptions:\n  - {suppliers: [ycrop], parts: [engin], countries: [DE]}\n")
    with pytest.raises(ModelError) as info:
        load_scenario(path)
    assert [p.message for p in info.value.problems] == [
        "disruption names unknown supplier 'ycrop'; did you mean 'ycorp'?",
        "disruption names unknown part 'engin'; did you mean 'engine'?",
    ]


def test_scenario_missing_model_file(write):
    path = write("s.yaml", "model: nowhere.yaml\n")
    with pytest.raises(ModelError, match="model file .*nowhere.yaml' not found"):
        load_scenario(path)


# -- dated groups ---------------------------------------------------------------------------


def test_eu_includes_gb_in_2019_not_2021(base):
    model = load(base)
    # the UK left the EU on 2020-01-31
    assert "GB" in expand_countries(model, ["EU"], as_of=date(2019, 10, 15))
    assert "GB" not in expand_countries(model, ["EU"], as_of=date(2021, 1, 1))


def test_nato_membership_starts_on_the_accession_date(base):
    model = load(base)
    # Finland joined NATO on 2023-04-04
    assert "FI" not in expand_countries(model, ["NATO"], as_of=date(2023, 4, 3))
    assert "FI" in expand_countries(model, ["NATO"], as_of=date(2023, 4, 4))


def test_user_groups_nest_and_win_over_builtins(base):
    base["groups"] = {"EU": ["FR", "DE"], "CORE": ["EU", "IT"]}
    model = load(base)
    assert expand_countries(model, ["CORE", "CA"]) == {"FR", "DE", "IT", "CA"}


def test_built_in_groups_carry_dated_members_and_sources():
    from supplychain.model.countries import builtin_groups

    g = builtin_groups()
    assert {"NATO", "EU", "G7", "FIVE_EYES", "WASSENAAR"} <= set(g)
    assert all(group.sources for group in g.values())
    # Wassenaar: 33 founders in 1996; Mexico from 25 Jan 2012; India from 8 Dec 2017: 42
    assert len(g["WASSENAAR"].members_on(date(1997, 1, 1))) == 33
    assert "MX" not in g["WASSENAAR"].members_on(date(2012, 1, 24))
    assert "MX" in g["WASSENAAR"].members_on(date(2012, 1, 25))
    assert len(g["WASSENAAR"].members_on(date(2018, 1, 1))) == 42
    # G7: Canada from the 1976 summit
    assert g["G7"].members_on(date(1976, 1, 1)) == {"FR", "DE", "IT", "JP", "GB", "US"}
    assert len(g["G7"].members_on(date(1977, 1, 1))) == 7
    assert g["FIVE_EYES"].members_on(date(2020, 1, 1)) == {"US", "GB", "CA", "AU", "NZ"}


def test_an_unknown_group_points_to_the_list(scenario_file):
    path = scenario_file("embargoes:\n  - {imposed_by: [ZZCOALITION]}\n")
    with pytest.raises(ModelError, match="`supplychain groups` lists the built-in ones"):
        load_scenario(path)
