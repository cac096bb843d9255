"""The seeded synthetic network: determinism, a realistic and valid shape, the CLI."""

from __future__ import annotations

import doctest
import importlib
import json
import warnings
from collections import deque

import pytest
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.errors import ModelWarning
from supplychain.io import load_scenario
from supplychain.io.load import model_from_data
from supplychain.io.write import json_bytes, write_data
from supplychain.model.checks import check_scenario, topological_parts
from supplychain.model.countries import is_country
from supplychain.model.schema import Scenario
from supplychain.synthetic import (
    COUNTRY_POOL,
    generate_network,
    generate_scenario,
    generate_scenarios,
    supply_share_by_country,
)


def validated(data):
    """The Model for ``data``; any ModelWarning (capacity below plan) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        return model_from_data(data)


def children_of(part: dict) -> list[str]:
    """Primary BOM children and their alternates."""
    out = []
    for child, line in part.get("bom", {}).items():
        out.append(child)
        if isinstance(line, dict):
            out.extend(a["part"] for a in line.get("alternates", ()))
    return out


def levels_deep(data: dict) -> int:
    """Parts on the longest BOM chain from an end item (an end item alone is 1)."""
    model = validated(data)
    depth = dict.fromkeys(data["parts"], 0)
    for item in data["demand"]:
        depth[item] = 1
    for p in topological_parts(model):  # parents first
        for c in children_of(data["parts"][p]):
            if depth[p]:
                depth[c] = max(depth[c], depth[p] + 1)
    return max(depth.values())


@pytest.fixture(scope="module")
def net2000():
    return generate_network(2000, seed=11)


# --- determinism -----------------------------------------------------------------------


def test_same_seed_gives_identical_bytes():
    a = generate_network(800, seed=5)
    b = generate_network(800, seed=5)
    assert json_bytes(a) == json_bytes(b)
    assert json_bytes(generate_scenario(a, seed=5)) == json_bytes(generate_scenario(b, seed=5))


def test_different_seed_gives_a_different_network():
    assert json_bytes(generate_network(800, seed=5)) != json_bytes(generate_network(800, seed=6))


def test_fixing_a_count_keeps_the_other_draws():
    # every default is drawn whatever is given, so fixing the end items leaves the
    # drawn country count of seed 5 as it was
    free = generate_network(800, seed=5)
    fixed = generate_network(800, seed=5, n_end_items=3)
    countries = lambda d: {s["country"] for s in d["suppliers"].values()}  # noqa: E731
    assert countries(free) == countries(fixed)
    assert len(fixed["demand"]) == 3


# --- shape -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [200, 2000])
def test_network_validates_without_capacity_warning(n):
    data = generate_network(n, seed=n)
    model = validated(data)
    assert len(model.parts) == n
    assert 3 <= len(model.demand) <= 8


@pytest.mark.parametrize("n", [200, 2000])
def test_every_part_is_reachable_from_an_end_item(n):
    data = generate_network(n, seed=3)
    seen = set(data["demand"])
    queue = deque(seen)
    while queue:
        for c in children_of(data["parts"][queue.popleft()]):
            if c not in seen:
                seen.add(c)
                queue.append(c)
    assert seen == set(data["parts"])


@pytest.mark.parametrize("seed", range(4))
def test_bom_is_6_to_12_levels_deep_at_1000_parts(seed):
    assert 6 <= levels_deep(generate_network(1000, seed=seed)) <= 12


def test_explicit_counts_are_kept():
    data = generate_network(3000, seed=1, n_end_items=4, n_countries=25, n_levels=7)
    assert list(data["demand"]) == ["E1", "E2", "E3", "E4"]
    countries = {s["country"] for s in data["suppliers"].values()}
    # home and the first 24 of the pool: every chosen country gets a supplier
    assert countries == {"TR", *COUNTRY_POOL[:24]}
    assert levels_deep(data) == 7


def test_shares_sum_to_one_exactly_enough(net2000):
    multi = [p for p in net2000["parts"].values() if sum(1 for s in p["sources"] if "share" in s) > 1]
    assert len(multi) > 100  # about a third of 2000 bought parts have 2-3 sources
    for p in multi:
        shares = [s["share"] for s in p["sources"] if "share" in s]
        assert abs(sum(shares) - 1.0) < 1e-12
        assert all(0.1 <= s <= 0.9 for s in shares)


def test_network_mixes_single_and_multi_sourcing_alternates_and_qualification(net2000):
    parts = net2000["parts"].values()
    n_single = sum(len(p["sources"]) == 1 for p in parts)
    n_alt = sum(1 for p in parts for line in p.get("bom", {}).values() if isinstance(line, dict))
    n_pending = sum(1 for p in parts for s in p["sources"] if "qualification_time" in s)
    assert n_single > 1000
    assert n_alt > 10
    assert n_pending > 0
    # several parents share a part: the BOM is a DAG, not a tree
    uses = {}
    for p in parts:
        for c in p.get("bom", {}):
            uses[c] = uses.get(c, 0) + 1
    assert sum(n > 1 for n in uses.values()) > 50


def test_suppliers_countries_and_owners(net2000):
    sups = net2000["suppliers"]
    assert sups["plant"]["country"] == net2000["home"] == "TR"
    assert len(sups) >= 30
    assert all(is_country(s["country"]) for s in sups.values())
    countries = {s["country"] for s in sups.values()}
    assert 20 <= len(countries) <= 60
    foreign_owned = [s for s in sups.values() if "owner" in s]
    assert all(s["owner"] != s["country"] for s in foreign_owned)
    assert 0.05 <= len(foreign_owned) / len(sups) <= 0.3


def test_end_items_are_assembled_in_house(net2000):
    for item in net2000["demand"]:
        assert net2000["parts"][item]["sources"] == [{"supplier": "plant"}]


def test_unit_costs_roll_up(net2000):
    parts = net2000["parts"]
    for p in parts.values():
        bom = p.get("bom", {})
        if bom:
            qty = {c: (line["qty"] if isinstance(line, dict) else line) for c, line in bom.items()}
            assert p["unit_cost"] >= 1.05 * sum(q * parts[c]["unit_cost"] for c, q in qty.items()) - 0.01


def test_lead_times_stock_tags_and_controls(net2000):
    parts = net2000["parts"].values()
    leads = [s["lead_time"] for p in parts for s in p["sources"] if "lead_time" in s]
    assert min(leads) >= 1 and max(leads) <= 26
    assert sum("stock" in p for p in parts) > 1000  # 80 % hold 1-8 periods
    assert sum("tags" in p for p in parts) > 1000  # 60 %
    assert 40 < sum("control" in p for p in parts) < 250  # 6 % of 2000 = 120


def test_too_few_parts_or_a_bad_home_is_refused():
    with pytest.raises(ValueError, match="at least 10 parts"):
        generate_network(9, seed=0)
    with pytest.raises(ValueError, match="not an ISO 3166-1"):
        generate_network(100, seed=0, home="UK")
    with pytest.raises(ValueError, match="n_levels=30"):
        generate_network(100, seed=0, n_levels=30)


# --- scenarios -------------------------------------------------------------------------


def test_supply_share_by_country_splits_each_part():
    data = {"home": "TR",
            "suppliers": {"a": {"country": "DE"}, "b": {"country": "US"}, "c": {"country": "TR"}},
            "parts": {"x": {"sources": [{"supplier": "a"}, {"supplier": "b"}]},      # 1/2 DE, 1/2 US
                      "y": {"sources": [{"supplier": "a", "share": 0.8}, {"supplier": "c", "share": 0.2},
                                        {"supplier": "b", "qualification_time": 8}]},  # pending: 0
                      "z": {"sources": [{"supplier": "c"}]}},
            "demand": {}}
    # DE: (0.5 + 0.8) / 3 parts; TR: (0.2 + 1) / 3; US: 0.5 / 3
    got = supply_share_by_country(data)
    assert list(got) == ["DE", "TR", "US"]
    assert got == pytest.approx({"DE": 1.3 / 3, "TR": 1.2 / 3, "US": 0.5 / 3})


def test_reference_scenario_embargoes_the_largest_foreign_supplier_country(net2000):
    scenario = generate_scenario(net2000, seed=11)
    shares = supply_share_by_country(net2000)
    largest = max((c for c in shares if c != "TR"), key=shares.get)
    assert scenario["model"] == "model.json"
    assert scenario["horizon"] == 104
    assert scenario["embargoes"] == [{"name": scenario["embargoes"][0]["name"], "imposed_by": [largest], "start": 8}]
    assert check_scenario(validated(net2000), Scenario.model_validate(scenario)) == []


def test_scenario_variants_differ_and_repeat(net2000):
    runs = generate_scenarios(net2000, 16, seed=11)
    assert runs == generate_scenarios(net2000, 16, seed=11)
    assert len({json.dumps(r["embargoes"]) for r in runs}) == 16
    assert all(e["imposed_by"] != ["TR"] for r in runs for e in r["embargoes"])


# --- files and the CLI -----------------------------------------------------------------


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_cli_writes_loadable_files_with_the_generator_bytes(tmp_path):
    result = run("generate", "--parts", "300", "--seed", "2", "-o", str(tmp_path / "net"))
    assert result.exit_code == 0, result.stderr
    assert "wrote" in result.stderr and result.stdout == ""
    assert (tmp_path / "net" / "model.json").read_bytes() == json_bytes(generate_network(300, seed=2))
    model, scenario = load_scenario(tmp_path / "net" / "scenario.json")
    assert len(model.parts) == 300 and scenario.horizon == 104


def test_cli_refuses_to_overwrite_without_force(tmp_path):
    assert run("generate", "--parts", "1k", "-o", str(tmp_path)).exit_code == 0
    before = (tmp_path / "model.json").read_bytes()
    again = run("generate", "--parts", "200", "-o", str(tmp_path))
    assert again.exit_code == 1
    assert "already exists; pass --force" in " ".join(again.stderr.split())  # wrapped at 80 columns
    assert (tmp_path / "model.json").read_bytes() == before
    assert run("generate", "--parts", "200", "-o", str(tmp_path), "--force").exit_code == 0
    assert len(json.loads((tmp_path / "model.json").read_bytes())["parts"]) == 200


def test_cli_reports_a_bad_count(tmp_path):
    result = run("generate", "--parts", "lots", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "not a count" in result.stderr


def test_write_data_yaml_round_trip_and_refusal(tmp_path):
    data = generate_network(60, seed=4)
    path = write_data(data, tmp_path / "m.yaml")
    from supplychain.io import load_model

    assert load_model(path).model_dump() == validated(data).model_dump()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        write_data(data, path)
    with pytest.raises(ValueError, match="unknown file type '.txt'"):
        write_data(data, tmp_path / "m.txt")


@pytest.mark.parametrize("name", ["supplychain.synthetic", "supplychain.io.write", "supplychain.cli.generate_cmds"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.slow
def test_a_large_network_validates_without_capacity_warning():
    data = generate_network(20_000, seed=9)
    model = validated(data)
    assert len(model.parts) == 20_000
    assert 6 <= levels_deep(data) <= 12
