"""Regenerate the golden outputs: ``tests/golden/<case>/<scenario>.json`` for every scenario.

Each file is what ``supplychain simulate scenarios/<case>/<scenario>.yaml --json`` prints.
``tests/test_golden.py`` compares every run with its file, so a change in the engine or
in a scenario shows up as a failing test until the goldens are regenerated on purpose:

    python scripts/regen_golden.py        # rewrite what changed, drop goldens of removed scenarios
    git diff --stat tests/golden          # then review: every change must be explained
    python scripts/regen_golden.py --check  # exit 1 if any golden is out of date, write nothing

Files whose bytes would not change are left untouched.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "scenarios"
GOLDEN = ROOT / "tests" / "golden"


def scenario_files(library: Path = LIBRARY) -> list[Path]:
    """Every scenario file of the library (a file naming a ``model``), sorted by path."""
    from supplychain.io import read_data

    files = []
    for path in sorted(library.rglob("*.yaml")):
        data, _ = read_data(path)
        if isinstance(data, dict) and isinstance(data.get("model"), str):
            files.append(path)
    return files


def golden_path(scenario: Path, *, library: Path = LIBRARY, golden: Path = GOLDEN) -> Path:
    """``scenarios/tb2/canada-2020.yaml`` -> ``tests/golden/tb2/canada-2020.json``."""
    return (golden / scenario.relative_to(library)).with_suffix(".json")


def golden_bytes(scenario: Path) -> bytes:
    """What ``supplychain simulate SCENARIO --json`` prints for ``scenario``, as UTF-8 bytes."""
    from supplychain.cli.common import to_jsonable
    from supplychain.io import load_scenario
    from supplychain.reports.sim_report import simulation_dict
    from supplychain.sim import simulate

    model, sc = load_scenario(scenario)
    data = simulation_dict(simulate(model, sc))
    # the same encoding as supplychain.cli.common.print_json
    text = json.dumps(to_jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return text.encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if any golden is out of date")
    args = parser.parse_args(argv)

    stale = 0
    wanted = set()
    for scenario in scenario_files():
        target = golden_path(scenario)
        wanted.add(target)
        payload = golden_bytes(scenario)
        old = target.read_bytes() if target.exists() else None
        if old == payload:
            continue
        stale += 1
        print(f"{'new' if old is None else 'changed'}: {target.relative_to(ROOT)}", file=sys.stderr)
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(payload)
    for orphan in sorted(set(GOLDEN.rglob("*.json")) - wanted) if GOLDEN.exists() else []:
        stale += 1
        print(f"no scenario: {orphan.relative_to(ROOT)}", file=sys.stderr)
        if not args.check:
            orphan.unlink()
    if args.check:
        print(f"{stale} golden file(s) out of date" if stale else "goldens up to date", file=sys.stderr)
        return 1 if stale else 0
    print(f"{len(wanted)} scenarios; {stale} golden file(s) written or removed; review with: git diff tests/golden",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
