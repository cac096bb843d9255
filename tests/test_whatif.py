"""What-ifs are new models: derived from Python exactly as from a file, and the original
never changes (the model is immutable; its compiled network is its own)."""

from __future__ import annotations

import copy
import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import supplychain as sc
import strategies as S
from supplychain.io.write import write_data
from supplychain.model.schema import thaw

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios"


def result_bytes(result: sc.SimulationResult) -> bytes:
    """Everything a run says, as bytes: the JSON and every series' exact floats."""
    arrays = b"".join(r.produced.tobytes() for r in result.end_items.values())
    return json.dumps(result.to_dict(), sort_keys=True).encode() + arrays


# --- the model cannot be changed, and says how to derive one ---------------------------


def test_a_model_cannot_be_changed_in_place(base):
    model = sc.Model.model_validate(base)
    with pytest.raises(TypeError):
        model.parts["gear"] = model.parts["widget"]
    with pytest.raises(TypeError):
        model.parts["widget"].bom["bolt"] = model.parts["widget"].bom["gear"]
    with pytest.raises(ValidationError):
        model.home = "GR"
    with pytest.raises(TypeError, match=r"sc.apply\(model"):
        model.model_copy(update={"parts": {}})


def test_a_scenario_copy_is_validated_like_a_file():
    s = sc.Scenario(horizon=20)
    assert s.model_copy(update={"horizon": 208}).horizon == 208
    with pytest.raises(ValidationError, match="greater than 0"):
        s.model_copy(update={"horizon": -1})
    with pytest.raises(TypeError):
        sc.Scenario(overrides={"parts": {"gear": {"stock": 1}}}).overrides["parts"]["gear"] = {}


def test_apply_changes_what_it_names_and_keeps_the_rest(base):
    model = sc.Model.model_validate(base)
    more = sc.apply(model, {"parts": {"gear": {"stock": 70}}})
    assert more is not model
    assert more.parts["gear"].stock == 70 and model.parts["gear"].stock == 35
    assert more.parts["gear"].sources == model.parts["gear"].sources
    assert sc.apply(more, {"parts": {"gear": {"stock": 70}}}) is more  # already holds them


def test_a_derived_model_is_checked_like_a_file(base):
    model = sc.Model.model_validate(base)
    with pytest.raises(sc.ModelError) as exc:
        sc.apply(model, parts={"gear": {"stock": -5, "sources": [{"supplier": "xcrop"}]}})
    messages = {str(p) for p in exc.value.problems}
    assert "parts.gear.stock: Input should be greater than or equal to 0 (got -5)" in messages
    assert any("unknown supplier 'xcrop'; did you mean 'xcorp'?" in m for m in messages)


def test_simulating_a_what_if_first_leaves_the_original_answer_alone(base):
    # DESIGN's one-part line: 35 gears, 10 a period, Canada stops them at t=5; what was
    # shipped lands through t=6, the 35 in stock cover t=7..9 and half of t=10: survive
    # 10 - 5 = 5, lose 5 + 9 x 10 = 95 over 20 periods. With 70 gears the stock covers
    # t=7..13: the line stops at t=14, survive 9, lose 6 x 10 = 60.
    model = sc.Model.model_validate(base)
    scenario = sc.Scenario(horizon=20, embargoes=[{"imposed_by": ["CA"], "start": 5}])
    more = sc.apply(model, {"parts": {"gear": {"stock": 70}}})
    first = sc.simulate(more, scenario).end_items["widget"]
    original = sc.simulate(model, scenario).end_items["widget"]
    assert (original.time_to_survive, original.units_lost) == (5, pytest.approx(95))
    assert (first.time_to_survive, first.units_lost) == (9, pytest.approx(60))
    assert sc.compile_network(model) is not sc.compile_network(more)


# --- a scenario's overrides, wherever it is simulated ---------------------------------


def test_python_scenario_overrides_are_applied_like_the_files(base):
    model = sc.Model.model_validate(base)
    plain = sc.Scenario(horizon=20, embargoes=[{"imposed_by": ["CA"], "start": 5}])
    more = plain.model_copy(update={"overrides": {"parts": {"gear": {"stock": 70}}}})
    assert result_bytes(sc.simulate(model, more)) == result_bytes(
        sc.simulate(sc.apply(model, more.overrides), plain))
    assert sc.simulate(model, more).end_items["widget"].units_lost == pytest.approx(60)
    # the stress test takes the scenario's overrides (and horizon) too
    stress = sc.stress_test(model, scenario=more, by="supplier", simulate=False)
    assert stress.horizon == 20
    assert stress.row("xcorp").lp_time_to_survive == pytest.approx(
        sc.time_to_survive_lp(sc.apply(model, more.overrides), sc.Disruption(suppliers=("xcorp",))))


def test_sixty_four_override_what_ifs_in_one_batch_equal_sixty_four_runs():
    # the flagship case with 0 to 63 more Rotax engines in stock, and the CATS turret
    # qualifying 24 or 60 weeks after the trigger: 64 models, one call
    model, scenario = sc.load_scenario(LIBRARY / "tb2" / "canada-2020.yaml")
    engine = model.parts["engine_rotax"]
    alternates = [a.model_dump() for a in model.parts["tb2"].bom["turret_wescam"].alternates]
    what_ifs = []
    for k in range(64):
        alts = [dict(a, qualification_time=24 if k % 2 else 60) for a in alternates]
        overrides = {**thaw(scenario.overrides), "parts": {
            "engine_rotax": {"stock": engine.stock + k},
            "tb2": {"bom": {"turret_wescam": {"alternates": alts}}},
        }}
        what_ifs.append(scenario.model_copy(update={"name": f"what-if {k}", "overrides": overrides}))
    batch = sc.simulate_batch(model, what_ifs)
    singles = [sc.simulate(model, s) for s in what_ifs]
    assert [result_bytes(b) for b in batch] == [result_bytes(s) for s in singles]
    # the figures really vary: more engines in stock never lose more
    lost = [r.units_lost for r in batch]
    assert lost[0] > lost[-1] and all(a >= b - 1e-9 for a, b in zip(lost[::2], lost[2::2]))
    assert len({r.end_items["tb2"].time_to_survive for r in batch}) > 1


# --- a Python-built scenario gets a file's checks --------------------------------------


def test_python_built_events_are_checked_with_a_files_words(base):
    model = sc.Model.model_validate(base)
    with pytest.raises(sc.ModelError, match="imposed_by 'Canada' is neither a country code nor a group; did you mean 'CA'"):
        sc.simulate(model, sc.Scenario(embargoes=[sc.Embargo(imposed_by=("Canada",))]))
    with pytest.raises(sc.ModelError, match="unknown part 'geer'; did you mean 'gear'"):
        sc.simulate(model, sc.Scenario(disruptions=[sc.Disruption(parts=("geer",))]))
    with pytest.raises(sc.ModelError, match=r"scenarios\[1\]: disruptions\[0\].suppliers\[0\]: .*unknown supplier 'ycorp'"):
        sc.simulate_batch(model, [None, sc.Scenario(disruptions=[sc.Disruption(suppliers=("ycorp",))])])


# --- the property: Python and file what-ifs agree, the original stays as it was ------


@st.composite
def edits(draw, data: dict) -> dict:
    """One to three field edits of a drawn model, as overrides: a part's stock, build
    time, capacity or one BOM quantity; one source's lead time, capacity or stock (its
    list given whole, as overrides replace lists); a demand's rate; a supplier's
    country."""
    out: dict = {}
    parts = sorted(data["parts"])
    for _ in range(draw(st.integers(1, 3))):
        pid = draw(st.sampled_from(parts))
        part = data["parts"][pid]
        kind = draw(st.sampled_from(["stock", "build_time", "capacity", "qty", "source", "rate", "country"]))
        entry = out.setdefault("parts", {}).setdefault(pid, {})
        if kind == "stock":
            entry["stock"] = draw(st.sampled_from([0.0, 3.0, 25.0, 100.0]))
        elif kind == "build_time" and part.get("bom"):
            entry["build_time"] = draw(st.integers(0, 3))
        elif kind == "capacity":
            entry["capacity"] = draw(st.sampled_from([50.0, 200.0, 1000.0]))
        elif kind == "qty" and part.get("bom"):
            child = draw(st.sampled_from(sorted(part["bom"])))
            entry.setdefault("bom", {})[child] = {"qty": draw(st.sampled_from([0.5, 1.0, 2.0]))}
        elif kind == "source":
            sources = copy.deepcopy(part["sources"])
            i = draw(st.integers(0, len(sources) - 1))
            field = draw(st.sampled_from(["lead_time", "stock", "capacity"]))
            sources[i][field] = draw(st.integers(0, 4)) if field == "lead_time" else float(draw(st.sampled_from([0, 5, 500])))
            entry["sources"] = sources
        elif kind == "rate" and pid in data["demand"]:
            out.setdefault("demand", {})[pid] = {"rate": float(draw(st.sampled_from([1, 3, 10])))}
        elif kind == "country":
            sup = draw(st.sampled_from(sorted(data["suppliers"])))
            out.setdefault("suppliers", {})[sup] = {"country": draw(st.sampled_from(["TR", "CA", "DE", "US", "FR"]))}
        if not entry:
            del out["parts"][pid]
            if not out["parts"]:
                del out["parts"]
    return out or {"parts": {parts[0]: {"stock": 7.0}}}


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(S.model_data(), S.horizons, st.lists(S.embargoes(), max_size=2), st.data())
def test_a_what_if_from_python_equals_the_same_edit_in_a_file(data_, horizon, embargoes, data):
    overrides = data.draw(edits(data_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.ModelWarning)  # an edit may cut capacity below the plan
        model = S.build_model(data_)
        scenario = S.scenario(model, *embargoes, horizon=horizon)
        before = result_bytes(sc.simulate(model, scenario))
        derived = sc.apply(model, overrides)
        from_python = result_bytes(sc.simulate(derived, scenario))
        with tempfile.TemporaryDirectory() as tmp:
            write_data(data_, Path(tmp) / "model.yaml")
            write_data({**scenario.model_dump(mode="json", exclude_defaults=True), "model": "model.yaml",
                        "overrides": overrides}, Path(tmp) / "scenario.yaml")
            file_model, file_scenario = sc.load_scenario(Path(tmp) / "scenario.yaml")
        from_file = result_bytes(sc.simulate(file_model, file_scenario))
        with_overrides = result_bytes(sc.simulate(model, scenario.model_copy(update={"overrides": overrides})))
        after = result_bytes(sc.simulate(model, scenario))
    assert from_python == from_file == with_overrides
    assert after == before
    assert file_model == derived
    np.testing.assert_equal(model.model_dump(), S.build_model(data_).model_dump())


def test_a_what_if_on_a_scenarios_model_keeps_its_values_when_the_scenario_runs():
    # the scenario sets 40 turrets in stock and its model has them; a what-if with none
    # must not be undone by the scenario's overrides when it runs: the line stops as soon
    # as the turrets in the pipeline are used (the 2020 case's 20 in stock ran out at 30)
    model, scenario = sc.load_scenario(LIBRARY / "tb2" / "canada-2020-more-turrets.yaml")
    none = sc.apply(model, {"parts": {"turret_wescam": {"stock": 0}}})
    assert sc.simulate(model, scenario).end_items["tb2"].time_to_survive == 40
    assert sc.simulate(none, scenario).end_items["tb2"].time_to_survive < 30
    assert sc.apply(none, scenario.overrides) is none


def test_the_compiled_network_cannot_be_changed_and_travels(base):
    import pickle

    model = sc.Model.model_validate(base)
    net = sc.compile_network(model)
    with pytest.raises(ValueError, match="read-only"):
        net.capacity[:] = 0
    with pytest.raises(ValueError, match="read-only"):
        net.levels[0].src_to_part.data[:] = 0
    with pytest.raises(TypeError):
        net.index["gear"] = 0
    copy_ = pickle.loads(pickle.dumps(net))  # for a process pool: the weak link to the model stays behind
    assert copy_.part_ids == net.part_ids and not copy_.compiled_from(model)
    np.testing.assert_array_equal(copy_.requirement, net.requirement)


def test_a_model_built_in_python_is_checked_before_it_is_compiled(base):
    data = copy.deepcopy(base)
    data["parts"]["gear"]["sources"] = [{"supplier": "xcrop"}]
    model = sc.Model.model_validate(data)  # pydantic checks the shape only
    with pytest.raises(sc.ModelError, match="unknown supplier 'xcrop'; did you mean 'xcorp'"):
        sc.simulate(model, None, horizon=5)
