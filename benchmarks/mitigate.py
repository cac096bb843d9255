"""Mitigation run time: the optimiser over every country of a stress test, on the TB2
model and on a generated network (10k parts by default).

    python benchmarks/mitigate.py                    # TB2 by country; 10k parts by country
    python benchmarks/mitigate.py --net-parts 1k

The issue asks that the optimiser over every country of the generated 10k-part
network's stress test finishes, and that its time is reported (no target). Prints the
time of each stage's run, the plan's cost, rounds and method, and whether every
scenario met the target when simulated; the record goes to
benchmarks/results/mitigate.json (ignored by git).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def run(model, label: str, *, recovery_time: int | None, horizon: int, record: dict, **kw) -> None:
    import supplychain as sc
    from supplychain.risk.stress import stress_scenarios

    scenarios = stress_scenarios(model, by="country", recovery_time=recovery_time, horizon=horizon)
    t0 = time.perf_counter()
    r = sc.mitigate(model, scenarios, **kw)
    s = time.perf_counter() - t0
    record[label] = {"scenarios": len(scenarios), "s": s, "cost": r.total_cost, "rounds": r.rounds,
                     "method": r.method, "met": r.met, "actions": len(r.actions)}
    print(f"{label}: {len(scenarios)} country scenarios, {s:.1f} s; plan of {len(r.actions)} actions, "
          f"cost {r.total_cost:,.0f}, {r.method}, {r.rounds} rounds, "
          f"{'every scenario met' if r.met else 'NOT MET'}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description="supplychain mitigation run time")
    ap.add_argument("--net-parts", default="10k")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "mitigate.json")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import supplychain as sc
    from run import cache_dir, parse_count, work_generate  # the cached generated networks of run.py

    record: dict = {}
    run(sc.load_model(ROOT / "scenarios" / "tb2" / "tb2.yaml"), "tb2", recovery_time=None, horizon=104,
        record=record)
    n = parse_count(args.net_parts)
    folder = cache_dir(n, 1)
    if not (folder / "model.json").exists():
        work_generate(n, 1, 1, 64)
    model = sc.load_model(folder / "model.json")
    run(model, f"generated {args.net_parts}", recovery_time=13, horizon=104, record=record, marginal=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
