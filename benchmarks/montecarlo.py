"""Monte Carlo throughput: trials a second on the TB2 model and on a generated network,
in process and on a Dask LocalCluster of 1 and 2 workers (the scaling ratio).

    python benchmarks/montecarlo.py                          # TB2 100,000 trials; 10k parts, 640 trials
    python benchmarks/montecarlo.py --tb2-trials 20000 --net-trials 256 --net-parts 1k

Targets (issue figures, this 2-core machine): 100,000 TB2 trials in at most 60 s;
10,000 trials of a 104-period scenario on a 10k-part network in at most 10 minutes
(the run here times fewer trials and scales linearly: chunks are independent). The
record goes to benchmarks/results/montecarlo.json (ignored by git).
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


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description="supplychain Monte Carlo throughput")
    ap.add_argument("--tb2-trials", type=int, default=100_000)
    ap.add_argument("--net-trials", type=int, default=640)
    ap.add_argument("--net-parts", default="10k")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "montecarlo.json")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import supplychain as sc
    from run import cache_dir, parse_count, work_generate  # the cached generated networks of run.py

    record: dict = {}
    model, scenario = sc.load_scenario(ROOT / "scenarios" / "tb2" / "canada-2020-uncertain.yaml")
    sc.monte_carlo(model, scenario, trials=64)  # warm: compile once
    s, r = timed(lambda: sc.monte_carlo(model, scenario, trials=args.tb2_trials, seed=1))
    record["tb2"] = {"trials": args.tb2_trials, "s": s, "trials_per_s": args.tb2_trials / s}
    print(f"TB2 {args.tb2_trials:,} trials: {s:.1f} s ({args.tb2_trials / s:,.0f} trials/s); "
          f"target <= 60 s for 100,000: {'met' if s * 100_000 / args.tb2_trials <= 60 else 'MISSED'}", flush=True)

    n = parse_count(args.net_parts)
    folder = cache_dir(n, 1)
    if not (folder / "scenarios.json").exists():
        work_generate(n, 1, 1, 64)
    net_model = sc.load_model(folder / "model.json")
    data = json.loads((folder / "scenario.json").read_text())
    data["embargoes"][0]["uncertain"] = {"probability": 0.5, "start": {"dist": "randint", "low": 0, "high": 52},
                                         "duration": {"dist": "lognorm", "s": 0.6, "scale": 26}}
    data.pop("model", None)
    net_scenario = sc.Scenario.model_validate(data)
    rows = {}
    for label, kw in (("in process", {}), ("dask 1 worker", {"scheduler": "local", "workers": 1}),
                      ("dask 2 workers", {"scheduler": "local", "workers": 2})):
        s, r = timed(lambda: sc.monte_carlo(net_model, net_scenario, trials=args.net_trials, seed=1, **kw))
        rows[label] = {"s": s, "trials_per_s": args.net_trials / s,
                       "minutes_for_10k": 10_000 / (args.net_trials / s) / 60}
        print(f"{n:,} parts, {label}: {args.net_trials} trials in {s:.1f} s ({args.net_trials / s:.2f} trials/s; "
              f"10,000 trials in about {rows[label]['minutes_for_10k']:.1f} min)", flush=True)
    ratio = rows["dask 2 workers"]["trials_per_s"] / rows["dask 1 worker"]["trials_per_s"]
    best = min(v["minutes_for_10k"] for v in rows.values())
    print(f"scaling, 2 workers / 1 worker: {ratio:.2f}x; 10,000 trials at best in {best:.1f} min, "
          f"target <= 10 min: {'met' if best <= 10 else 'MISSED'}")
    record["network"] = {"parts": n, "trials": args.net_trials, "runs": rows, "scaling_2_over_1": ratio}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
