"""YAML, TOML and JSON mean the same model; scenarios load their model and its overrides."""

from __future__ import annotations

import json
import re

import pytest

from supplychain import Model, ModelError, load_any, load_model, load_scenario
from supplychain.io import model_from_data, read_data


@pytest.mark.parametrize("ext", ["toml", "json"])
def test_same_model_in_every_format(data_dir, ext):
    from_yaml = load_model(data_dir / "one-part-line.yaml")
    other = load_model(data_dir / f"one-part-line.{ext}")
    assert other == from_yaml
    # and the model is what the file says, not merely equal to another reading of it
    assert other.parts["gear"].stock == 35
    assert other.parts["gear"].sources[0].lead_time == 2
    assert other.parts["widget"].bom["gear"].qty == 1.0
    assert other.suppliers["xcorp"].country == "CA"


def test_a_richer_model_means_the_same_in_json(data_dir, write):
    # alternates, shares, owners, pending sources: the model written as JSON reads back
    yaml_model = load_model(data_dir / "small-network.yaml")
    path = write("small-network.json", json.dumps(yaml_model.model_dump(mode="json")))
    assert load_model(path) == yaml_model
    assert load_model(path).parts["drone"].bom["frame"].alternates[0].qualification_time == 8


def test_json_numbers_written_as_text_are_refused(data_dir, write):
    # YAML's scalars are text by design; a JSON file that quotes a number meant
    # something else (an export that stringified everything) and is not read silently
    data, _ = read_data(data_dir / "small-network.yaml")  # every number still text
    path = write("small-network.json", json.dumps(data))
    with pytest.raises(ModelError) as info:
        load_model(path)
    said = {(".".join(map(str, p.path)), p.message) for p in info.value.problems}
    assert ("demand.drone.rate", "a number, not text: write it without quotes (got '4')") in said
    assert all("a number, not text" in m for _, m in said)
    # the same data in YAML is the model, as the schema reads each text as it asks
    assert model_from_data(data) == load_model(data_dir / "small-network.yaml")


@pytest.mark.parametrize("ext, text, message", [
    ("json", '{"home": "TR",\n "home": "CA"}', "line 2: key 'home' appears twice (first on line 1)"),
    ("toml", 'home = "TR"\nhome = "CA"\n', "Cannot overwrite a value"),
])
def test_a_key_written_twice_is_refused(write, ext, text, message):
    # json.loads keeps the last value silently; YAML and TOML refuse it, so JSON does
    with pytest.raises(ModelError, match=re.escape(message)):
        load_model(write(f"m.{ext}", text))


def test_a_key_twice_is_found_in_its_own_object_only(write):
    # the same key in two objects is fine; twice in one, deep down, names its lines
    text = '{"parts": {"a": {"stock": 1}, "b": {"stock": 2,\n"unit_cost": 1, "stock": 3}}}'
    with pytest.raises(ModelError, match="line 2: key 'stock' appears twice \\(first on line 1\\)"):
        load_model(write("m.json", text))


def test_json_with_errors_lists_every_problem(base, write):
    base["home"] = "UK"
    base["parts"]["gear"]["sources"][0]["supplier"] = "xcorq"
    base["parts"]["widget"]["bom"]["gear"] = -1
    path = write("m.json", json.dumps(base))
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert [(p.message, p.file) for p in info.value.problems] == [
        ("Input should be greater than 0 (got -1)", str(path)),
        ("home 'UK' is not a country code; did you mean 'GB'?", str(path)),
        ("part 'gear' lists unknown supplier 'xcorq'; did you mean 'xcorp'?", str(path)),
    ]


def test_json_rule_errors_on_the_fast_path(base, write):
    # shape-valid JSON: only check_model finds the problem
    base["demand"]["gizmo"] = {"rate": 1}
    path = write("m.json", json.dumps(base))
    with pytest.raises(ModelError, match="demand for unknown part 'gizmo'") as info:
        load_model(path)
    assert info.value.problems[0].file == str(path)


def test_json_syntax_error(write):
    path = write("m.json", '{\n  "home": "TR",\n  "parts": {,}\n}\n')
    with pytest.raises(ModelError, match=re.escape("line 3: not valid JSON")):
        load_model(path)


def test_json_nesting_depth(write):
    path = write("m.json", '{"home": ' + "[" * 100 + "]" * 100 + "}")
    with pytest.raises(ModelError, match="nesting deeper than 64 levels"):
        load_model(path)


def test_toml_syntax_error(write):
    with pytest.raises(ModelError, match="not valid TOML"):
        load_model(write("m.toml", "home = \n"))


# -- scenarios ------------------------------------------------------------------------------


def test_load_any_tells_models_from_scenarios(data_dir):
    model, scenario = load_any(data_dir / "one-part-line.yaml")
    assert isinstance(model, Model) and scenario is None
    model, scenario = load_any(data_dir / "canada-stops-gears.yaml")
    assert scenario.horizon == 20
    assert scenario.embargoes[0].imposed_by == ("CA",)
    assert model == load_model(data_dir / "one-part-line.yaml")


def test_scenario_in_json_with_a_toml_model(data_dir, write):
    write("one-part-line.toml", (data_dir / "one-part-line.toml").read_text("utf-8"))
    path = write("s.json", json.dumps({"model": "one-part-line.toml", "horizon": 12,
                                       "embargoes": [{"imposed_by": "CA", "start": 5, "duration": 3}]}))
    model, scenario = load_scenario(path)
    assert model.parts["gear"].stock == 35
    assert scenario.embargoes[0].imposed_by == ("CA",)  # a single code is a list of one
    assert scenario.embargoes[0].stop == 8  # 5 + 3


@pytest.fixture
def with_model(data_dir, write):
    write("one-part-line.yaml", (data_dir / "one-part-line.yaml").read_text("utf-8"))
    return lambda text: write("s.yaml", "model: one-part-line.yaml\n" + text)


def test_overrides_deep_merge_one_field(with_model):
    path = with_model("overrides:\n  parts:\n    gear: {stock: 80}\n")
    model, _ = load_scenario(path)
    gear = model.parts["gear"]
    assert gear.stock == 80
    # everything else about the gear, and the rest of the model, is as in the file
    assert (gear.unit_cost, gear.name, gear.sources[0].supplier, gear.sources[0].lead_time) == (50, "Gear", "xcorp", 2)
    assert model.parts["widget"].bom["gear"].qty == 1
    assert load_model(path.parent / "one-part-line.yaml").parts["gear"].stock == 35  # the file is untouched


def test_overrides_may_add_entries(with_model):
    path = with_model("overrides:\n  suppliers:\n    ycorp: {country: DE}\n  parts:\n    gear:\n"
                      "      sources: [{supplier: xcorp}, {supplier: ycorp}]\n")
    model, _ = load_scenario(path)
    # a list replaces the list (no element-wise merge): two sources, equal split
    assert [s.supplier for s in model.parts["gear"].sources] == ["xcorp", "ycorp"]
    assert model.parts["gear"].sources[0].lead_time == 0


def test_bad_override_is_reported(with_model):
    path = with_model("overrides:\n  parts:\n    gear: {stock: -5, sources: [{supplier: xcorq}]}\n")
    with pytest.raises(ModelError) as info:
        load_scenario(path)
    by_path = {p.path: p for p in info.value.problems}
    # both bad values were written in the scenario, so both point at its lines
    stock = by_path[("overrides", "parts", "gear", "stock")]
    assert stock.message == "Input should be greater than or equal to 0 (got '-5') (set by this scenario's overrides)"
    supplier = by_path[("overrides", "parts", "gear", "sources", 0, "supplier")]
    assert supplier.message.startswith("part 'gear' lists unknown supplier 'xcorq'; did you mean 'xcorp'?")
    # line 1 model, 2 overrides, 3 parts, 4 gear: {stock: -5, sources: [...]}
    assert stock.file == f"{path}:4" and supplier.file == f"{path}:4"
    assert info.value.file == str(path)


@pytest.mark.parametrize("ext", ["yaml", "toml", "json"])
def test_a_leading_byte_order_mark_is_ignored(data_dir, write, ext):
    # Windows editors may start a UTF-8 file with the BOM bytes EF BB BF
    raw = (data_dir / f"one-part-line.{ext}").read_bytes()
    path = write(f"bom.{ext}", b"\xef\xbb\xbf" + raw)
    assert load_model(path) == load_model(data_dir / "one-part-line.yaml")
