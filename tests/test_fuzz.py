"""Fuzzing the loaders: valid and mutated model and scenario documents, as JSON and
YAML, through ``load_any`` and ``supplychain validate``.

Whatever the document, the outcome is a model (exit 0) or a list of problems (exit 1):
never another exception, never a traceback, every problem one line, in bounded time.
The number of examples is small in CI; set ``SUPPLYCHAIN_FUZZ_EXAMPLES`` for a longer run.
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.errors import ModelError, SupplyChainError
from supplychain.io import load_any
from supplychain.io.load import read_data
from supplychain.io.write import json_bytes, yaml_bytes

DATA = Path(__file__).parent / "data"
EXAMPLES = int(os.environ.get("SUPPLYCHAIN_FUZZ_EXAMPLES", "40"))
MODEL = read_data(DATA / "one-part-line.json")[0]  # typed: its numbers are numbers
SCENARIO = {"model": "m.json", "horizon": 20,
            "embargoes": [{"name": "CA stops", "imposed_by": ["CA"], "start": 5, "duration": 4}],
            "disruptions": [{"suppliers": ["plant"], "start": 3, "duration": 2, "severity": 0.5}]}

leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["CA", "TR", "gear", "widget", "xcorp", "NO", "1e400", "-1", "0x10", "[/x]", "\x1b[2J"]),
)
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


@st.composite
def mutated(draw, base):
    """``base`` with a few of its values replaced, keys dropped or keys added."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return doc


def _write(folder: Path, name: str, doc, fmt: str) -> Path | None:
    try:
        payload = json_bytes(doc) if fmt == "json" else yaml_bytes(doc)
    except ValueError:  # a non-finite float: JSON has none
        return None
    path = folder / f"{name}.{fmt}"
    path.write_bytes(payload)
    return path


def _check(path: Path) -> None:
    # the API: a model or a ModelError, nothing else
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            load_any(path)
        except SupplyChainError:
            pass
    # the CLI: exit 0 or 1, no traceback, every problem one line
    result = CliRunner().invoke(app, ["validate", str(path), "--json"])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.stdout + result.stderr
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    report = json.loads(result.stdout)
    for entry in report if isinstance(report, list) else [report]:
        for p in entry.get("problems", []):
            assert "\n" not in p["message"], p["message"]
            assert len(p["message"]) < 2000


FUZZ = settings(max_examples=EXAMPLES, deadline=10_000, derandomize="SUPPLYCHAIN_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(doc=mutated(MODEL), fmt=st.sampled_from(["json", "yaml"]))
def test_mutated_models_are_a_model_or_a_list_of_problems(tmp_path_factory, doc, fmt):
    folder = tmp_path_factory.mktemp("fuzz")
    path = _write(folder, "m", doc, fmt)
    if path is not None:
        _check(path)


@FUZZ
@given(doc=mutated(SCENARIO), fmt=st.sampled_from(["json", "yaml"]))
def test_mutated_scenarios_are_a_run_or_a_list_of_problems(tmp_path_factory, doc, fmt):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "m.json").write_bytes(json_bytes(MODEL))
    path = _write(folder, "s", doc, fmt)
    if path is not None:
        _check(path)


@FUZZ
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_text_is_a_model_or_a_list_of_problems(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("fuzz")
    for fmt in ("yaml", "json", "toml"):
        path = folder / f"m.{fmt}"
        path.write_text(text, encoding="utf-8")
        _check(path)


def test_the_unmutated_documents_are_valid(tmp_path):
    # the fuzz starts from documents that load: a mutation is what breaks them
    (tmp_path / "m.json").write_bytes(json_bytes(MODEL))
    (tmp_path / "s.json").write_bytes(json_bytes(SCENARIO))
    model, scenario = load_any(tmp_path / "s.json")
    assert scenario is not None and "gear" in model.parts
    with pytest.raises(ModelError):
        load_any(_write(tmp_path, "bad", {**MODEL, "home": 5}, "json"))
