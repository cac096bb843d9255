"""Every scenario of the library runs through ``supplychain simulate --json`` and gives
exactly its checked-in golden output; every model file alone runs with no event and
loses nothing.

The goldens (``tests/golden/<case>/<scenario>.json``) change only on purpose: after a
change to the engine or to a scenario, run ``python scripts/regen_golden.py`` and review
``git diff tests/golden`` — every changed number must be explained by the change.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.io import read_data

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "scenarios"
GOLDEN = Path(__file__).resolve().parent / "golden"

_spec = importlib.util.spec_from_file_location("regen_golden", ROOT / "scripts" / "regen_golden.py")
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)

SCENARIOS = regen.scenario_files(LIBRARY)
from test_scenarios_library import ACTIONS  # noqa: E402  (candidate actions are neither)

MODELS = [p for p in sorted(LIBRARY.rglob("*.yaml")) if p not in SCENARIOS and p not in ACTIONS]

HOW = ("if the change is intended, regenerate with `python scripts/regen_golden.py` "
       "and review `git diff tests/golden`: every changed number must be explained")


def _ids(paths):
    return [str(p.relative_to(LIBRARY)) for p in paths]


def _simulate_json(path: Path, *extra: str) -> dict:
    result = CliRunner().invoke(app, ["simulate", str(path), "--json", *extra])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _diff(got, want, where="") -> list[str]:
    """Paths where two JSON values differ (the first few), for a readable failure."""
    if isinstance(got, dict) and isinstance(want, dict):
        out = [f"{where}.{k}: missing in the run" for k in want if k not in got]
        out += [f"{where}.{k}: not in the golden" for k in got if k not in want]
        for k in want:
            if k in got:
                out += _diff(got[k], want[k], f"{where}.{k}")
        return out
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        return [d for i, (g, w) in enumerate(zip(got, want)) for d in _diff(g, w, f"{where}[{i}]")]
    return [] if got == want else [f"{where}: run {got!r}, golden {want!r}"]


def test_the_library_has_scenarios_and_models():
    assert (LIBRARY / "tb2" / "canada-2020.yaml") in SCENARIOS
    assert (LIBRARY / "tb2" / "tb2.yaml") in MODELS


def test_every_scenario_has_a_golden_and_every_golden_a_scenario():
    wanted = {regen.golden_path(p, library=LIBRARY, golden=GOLDEN) for p in SCENARIOS}
    present = set(GOLDEN.rglob("*.json"))
    assert wanted - present == set(), f"scenarios without a golden output; {HOW}"
    assert present - wanted == set(), f"goldens of scenarios that no longer exist; {HOW}"


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_scenario_matches_its_golden_output(path):
    golden = regen.golden_path(path, library=LIBRARY, golden=GOLDEN)
    if not golden.exists():
        pytest.fail(f"{golden.relative_to(ROOT)} is missing; {HOW}")
    want = json.loads(golden.read_text(encoding="utf-8"))
    got = _simulate_json(path)
    if got != want:
        lines = _diff(got, want)
        more = f"\n  … and {len(lines) - 10} more" if len(lines) > 10 else ""
        pytest.fail(f"{path.relative_to(LIBRARY)} no longer gives its golden output:\n  "
                    + "\n  ".join(lines[:10]) + more + f"\n{HOW}")


def test_golden_files_are_the_json_the_command_prints():
    # the script and the command encode the same data the same way, byte for byte
    path = LIBRARY / "tb2" / "canada-2020.yaml"
    printed = CliRunner().invoke(app, ["simulate", str(path), "--json"]).stdout.encode("utf-8")
    assert regen.golden_bytes(path) == printed


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_model_alone_runs_with_no_event_and_loses_nothing(path):
    assert not isinstance(read_data(path)[0].get("model"), str)
    data = _simulate_json(path)
    assert data["event_start"] is None
    for item, r in data["end_items"].items():
        # no event: produced == planned every period (DESIGN §4), up to fluid rounding
        assert r["units_lost"] == pytest.approx(0.0, abs=1e-6), item
        assert r["time_to_survive"] is None and r["time_to_recover"] is None, item
        assert r["produced"] == pytest.approx(r["planned"], rel=1e-12), item
