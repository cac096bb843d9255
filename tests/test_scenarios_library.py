"""The scenario library: every file loads, and every number in it names its source.

The convention (scenarios/README.md): a line of a model or scenario file that holds a
number ends with a comment naming a source key from the model's ``references`` (``# T21``)
or the word ``assumed``. Keys in such a comment must all be known, so a typo (``# T211``)
fails too. Numbers inside quoted strings or comments are text, not values.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import yaml

import supplychain as sc
from supplychain.errors import ModelWarning
from supplychain.io import read_data

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(LIBRARY.rglob("*.yaml"))

_NUMBER = re.compile(r"^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
# a source key: a capital and digits, standing alone (T21, A10, C13, F1, S1); "TB2" and
# "MX-15D" are names, not keys
_KEY = re.compile(r"(?<![\w-])([A-Z]\d{1,3})(?![\w-])")


def _ids(paths):
    return [str(p.relative_to(LIBRARY)) for p in paths]


def is_scenario(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("model"), str)


def numeric_value_lines(text: str) -> list[int]:
    """1-based lines holding a plain numeric scalar that is a value (not a key)."""
    lines = set()
    previous = None
    for token in yaml.scan(text):
        if (
            isinstance(token, yaml.ScalarToken)
            and token.plain
            and _NUMBER.match(token.value)
            and not isinstance(previous, yaml.KeyToken)
        ):
            lines.add(token.start_mark.line + 1)
        previous = token
    return sorted(lines)


def comment_of(line: str) -> str | None:
    """The comment ending a YAML line: a ``#`` outside quotes, after a space or at the start."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i + 1:].strip()
    return None


def uncited_lines(text: str, known: set[str]) -> list[str]:
    """``"line N: why"`` for each numeric line without a known key or ``assumed``."""
    source = text.splitlines()
    bad = []
    for n in numeric_value_lines(text):
        note = comment_of(source[n - 1])
        if not note:
            bad.append(f"line {n}: no comment naming a source key or 'assumed'")
            continue
        keys = _KEY.findall(note)
        unknown = [k for k in keys if k not in known]
        if unknown:
            bad.append(f"line {n}: unknown source key(s) {unknown}")
        elif not keys and not re.search(r"\bassumed\b", note, re.IGNORECASE):
            bad.append(f"line {n}: comment names no source key and does not say 'assumed'")
    return bad


def known_keys(path: Path) -> set[str]:
    """Keys of a model's references, or (for a scenario) its own and its model's."""
    data, _ = read_data(path)
    keys = set((data.get("references") or {}))
    if is_scenario(data):
        model, _ = read_data(path.parent / data["model"])
        keys |= set(model.get("references") or {})
    return keys


# --- the checker itself, on hand-written text ------------------------------------------


def test_checker_flags_an_uncited_number_and_accepts_cited_ones():
    text = (
        "a: 5            # T21\n"
        "b: 7\n"                                   # line 2: no comment
        "c: {x: 1, y: 2} # assumed: both\n"
        "d: 3            # a note without a key\n"  # line 4: no key, no 'assumed'
        "e: 4            # T99\n"                   # line 5: key not in references
    )
    assert uncited_lines(text, {"T21"}) == [
        "line 2: no comment naming a source key or 'assumed'",
        "line 4: comment names no source key and does not say 'assumed'",
        "line 5: unknown source key(s) ['T99']",
    ]


def test_checker_ignores_numbers_in_strings_comments_keys_and_dates():
    text = (
        "name: Canada cancels 29 permits\n"       # plain text holding a number
        "title: '5 Oct 2020'\n"                   # a quoted number
        "note: \"7 cameras # not a comment\"\n"
        "# 35 in a whole-line comment\n"
        "start_date: 2020-09-07\n"                # a date is not a number
        "'2020': {x: text}\n"                     # a quoted key
        "012: widget\n"                           # a numeric key, not a value
    )
    assert numeric_value_lines(text) == []
    assert uncited_lines(text, set()) == []


def test_checker_reads_block_and_flow_numbers():
    text = "a:\n  qty: 1\n  list: [2, x]\n  flow: {lead_time: 8}\n  neg: -0.5\n"
    assert numeric_value_lines(text) == [2, 3, 4, 5]


def test_comment_needs_a_space_before_the_hash():
    assert comment_of("name: part#2") is None
    assert comment_of("qty: 2  # T13") == "T13"
    assert comment_of("name: 'a # b'  # assumed") == "assumed"


# --- the library -------------------------------------------------------------------------


def test_library_has_the_flagship():
    assert (LIBRARY / "tb2" / "tb2.yaml") in FILES
    assert (LIBRARY / "tb2" / "canada-2020.yaml") in FILES


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_every_number_names_a_source_or_says_assumed(path):
    bad = uncited_lines(path.read_text(encoding="utf-8"), known_keys(path))
    assert not bad, f"{path.relative_to(LIBRARY)}:\n  " + "\n  ".join(bad)


ACTIONS = [p for p in FILES if p.name.startswith("mitigation")]  # candidate actions for `mitigate`
MODELS = [p for p in FILES if not is_scenario(read_data(p)[0]) and p not in ACTIONS]
SCENARIOS = [p for p in FILES if is_scenario(read_data(p)[0])]


@pytest.mark.parametrize("path", ACTIONS, ids=_ids(ACTIONS))
def test_candidate_actions_load_against_their_folders_model(path):
    from supplychain.io import load_mitigation

    model = sc.load_model(path.parent / f"{path.parent.name}.yaml")
    mit = load_mitigation(path, model)
    assert mit.qualify or mit.stock or mit.capacity or mit.new_sources


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_every_reference_is_a_citation_with_an_address(path):
    refs = read_data(path)[0].get("references") or {}
    assert refs, f"{path.name} has no references"
    for key, text in refs.items():
        assert _KEY.fullmatch(key), f"{key!r} is not a source key like T21"
        assert "http" in text, f"reference {key} has no address: {text!r}"


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_every_reference_is_cited_in_its_folder(path):
    refs = set(read_data(path)[0].get("references") or {})
    cited = set()
    for f in path.parent.glob("*.yaml"):
        for line in f.read_text(encoding="utf-8").splitlines():
            note = comment_of(line)
            if note:
                cited |= set(_KEY.findall(note))
    assert refs - cited == set(), "references nobody cites; drop them or cite them"


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_model_loads_without_capacity_warning(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        model = sc.load_model(path)
    assert model.demand
    assert model.references


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_scenario_loads_without_capacity_warning(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        model, scenario = sc.load_scenario(path)
    assert scenario.embargoes or scenario.disruptions
    assert scenario.start_date is not None, "library scenarios date period 0"


# --- running the library (needs the simulation engine) -------------------------------------


def _engine():
    pytest.importorskip("supplychain.sim.engine")
    from supplychain.sim import simulate

    return simulate


def _run(name: str):
    simulate = _engine()
    model, scenario = sc.load_scenario(LIBRARY / name)
    return simulate(model, scenario)


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_model_baseline_loses_nothing(path):
    # DESIGN §4: no embargo -> produced == planned where capacities meet the plan
    simulate = _engine()
    result = simulate(sc.load_model(path), None, horizon=104)
    for item, r in result.end_items.items():
        assert r.units_lost == pytest.approx(0.0, abs=1e-6), item


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_scenario_runs_within_plan_and_is_deterministic(path):
    simulate = _engine()
    model, scenario = sc.load_scenario(path)
    first = simulate(model, scenario)
    assert first.horizon == scenario.horizon
    for item, r in first.end_items.items():
        assert (r.produced <= r.planned + 1e-6).all(), item
        assert (r.produced >= -1e-9).all(), item
    assert simulate(model, scenario).to_dict() == first.to_dict()


def test_tb2_canada_2020_line_stops_when_turrets_run_out():
    r = _run("tb2/canada-2020.yaml").end_items["tb2"]
    # rate 1/week. Turrets: stock 20; WESCAM's 8-week pipeline (1/week) keeps landing
    # through week 11 (shipped before the week-4 stop), so 20 + 12 = 32 turrets feed
    # builds in weeks 0..31. Engines: 30 + 12 (6-week pipeline, stop at week 6) = 42.
    # The week-32 build is short; with the 2-week build time, output first falls in
    # week 34: time to survive = 34 - 4 = 30.
    assert r.time_to_survive == 30
    # Output at plan in weeks 0..33 = 34 TB2s (2 from the build pipeline + 32 builds). CATS may take orders from week 4 + 65 =
    # 69, lands at 73 (4-week lead), and pairs with the 42 - 32 = 10 engines left:
    # 10 more TB2s. BM-100 (week 6 + 195 = 201) is past the 156-week horizon.
    assert r.produced.sum() == pytest.approx(34 + 10)
    assert r.time_to_recover is None


def test_tb2_more_turrets_buy_nothing_once_engines_bind():
    base = _run("tb2/canada-2020.yaml").end_items["tb2"]
    more = _run("tb2/canada-2020-more-turrets.yaml").end_items["tb2"]
    # 40 + 12 = 52 turrets outlast the 42 engines: the week-42 build is short, output
    # falls in week 44 (time to survive 44 - 4 = 40). Output is 2 (the build pipeline
    # at week 0) + 42 (one per engine) = 44, as in the base case (34 + 10): the extra
    # turrets only move the stop from the turret to the engine.
    assert more.time_to_survive == 40
    assert more.produced.sum() == pytest.approx(base.produced.sum())


def test_tb2_without_cats_loses_the_late_aircraft():
    base = _run("tb2/canada-2020.yaml").end_items["tb2"]
    no_cats = _run("tb2/canada-2020-no-cats.yaml").end_items["tb2"]
    # only the 34 aircraft built before the turrets ran out (see above)
    assert no_cats.produced.sum() == pytest.approx(34)
    assert no_cats.time_to_survive == base.time_to_survive == 30


def test_tb2_engine_leak_never_produces_less():
    # DESIGN §4: a lower severity never gives less output
    base = _run("tb2/canada-2020.yaml").end_items["tb2"]
    leak = _run("tb2/canada-2020-engine-leak.yaml").end_items["tb2"]
    assert (leak.produced.cumsum() >= base.produced.cumsum() - 1e-9).all()
    assert leak.produced.sum() > base.produced.sum()
