"""Throughput benchmarks on seeded synthetic networks: the figures in benchmarks/README.md.

    python benchmarks/run.py                       # 1k, 10k and 100k parts, 3 runs each
    python benchmarks/run.py --sizes 1m --repeat 1 # the million-part network, on request only
    python benchmarks/run.py --sizes 10k --stages load,simulate,batch

Every size runs in fresh subprocesses (one to generate, one for the package, one for
the bare kernel) so that their peak memory (``ru_maxrss``) does not leak into each
other. Each stage reports the median of ``--repeat`` runs. Generated files are cached
in ``benchmarks/.cache/`` (keyed by size, seed and the generator's source), the table
goes to stdout and the full record to ``benchmarks/results/latest.json``.
A stage whose function does not exist yet is reported as ``n/a``; one that fails as
``error`` with its message, and the run goes on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results"
STAGES = ("generate", "load", "compile", "simulate", "batch", "stress", "kernel")
DEFAULT_SIZES = "1k,10k,100k"
BIG = 1_000_000  # sizes from here on skip batch and stress unless --stages names them
MiB = 1024 * 1024


def parse_count(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if scale > 1 else t) * scale)


def size_label(n: int) -> str:
    for div, suffix in ((1_000_000, "m"), (1_000, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{suffix}"
    return str(n)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / MiB


def timed(fn, repeat: int):
    """(median seconds, all runs, last result) of ``repeat`` calls of ``fn``."""
    runs, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), runs, result


def failure(exc: BaseException) -> dict:
    if isinstance(exc, (ImportError, AttributeError, NotImplementedError)):
        return {"status": "n/a", "reason": f"{type(exc).__name__}: {exc}"}
    tb = traceback.extract_tb(exc.__traceback__)[-1]
    return {"status": "error", "reason": f"{type(exc).__name__}: {exc} ({Path(tb.filename).name}:{tb.lineno})"}


def cache_dir(n: int, seed: int) -> Path:
    import supplychain.synthetic as syn

    digest = hashlib.sha256(Path(syn.__file__).read_bytes()).hexdigest()[:10]
    return CACHE / f"{size_label(n)}-seed{seed}-{digest}"


# --- workers: each runs in its own process and prints one JSON object on stdout -------


def work_generate(n: int, seed: int, repeat: int, k: int) -> dict:
    from supplychain.io.write import json_bytes, write_data
    from supplychain.synthetic import generate_network, generate_scenario, generate_scenarios

    med, runs, data = timed(lambda: generate_network(n, seed=seed), repeat)
    out = {"generate": {"status": "ok", "s": med, "runs_s": runs}}
    t0 = time.perf_counter()
    payload = json_bytes(data)
    out["write"] = {"status": "ok", "s": time.perf_counter() - t0, "bytes": len(payload)}
    folder = cache_dir(n, seed)
    if not (folder / "scenarios.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.json").write_bytes(payload)
        write_data(generate_scenario(data, seed=seed), folder / "scenario.json", overwrite=True)
        variants = generate_scenarios(data, k, seed=seed)
        (folder / "scenarios.json").write_bytes(json_bytes(variants))
    out["generate"]["peak_rss_mib"] = peak_rss_mib()
    out["files"] = str(folder)
    return out


def _find(*names: str):
    """The first of ``module:attr`` names that exists, or raise ImportError naming them all."""
    import importlib

    for name in names:
        mod, attr = name.split(":")
        try:
            return getattr(importlib.import_module(mod), attr)
        except (ImportError, AttributeError):
            continue
    raise ImportError("none of " + ", ".join(names) + " exists yet")


def work_package(folder: Path, repeat: int, k: int, stages: set[str]) -> dict:
    import supplychain
    from supplychain.model.checks import check_model
    from supplychain.model.schema import Model, Scenario

    try:
        from supplychain.network import capacity_shortfalls as _shortfalls, compile_network

        def capacity_shortfalls(model):
            return _shortfalls(compile_network(model))
    except ImportError:  # before the network layer
        from supplychain.model.checks import capacity_shortfalls

    warnings.simplefilter("ignore")  # a capacity warning would be the generator's bug, not timed noise
    model_path = folder / "model.json"
    out: dict = {}
    try:
        # the compile itself, uncached (a loaded model's network is compiled while loading)
        compile_model = _find("supplychain.network.compile:compile_arrays", "supplychain.sim.engine:compile_model",
                              "supplychain.sim.compile:compile_model", "supplychain.sim:compile_model")
    except ImportError as exc:
        compile_model, out["compile"] = None, failure(exc)

    # load + validate, and compile, on a fresh model each run (compiling is cached on the model)
    loads, compiles, model = [], [], None
    for _ in range(repeat):
        model = None
        t0 = time.perf_counter()
        model = supplychain.load_model(model_path)
        loads.append(time.perf_counter() - t0)
        if compile_model is not None and "compile" in stages:
            try:
                t0 = time.perf_counter()
                compile_model(model)
                compiles.append(time.perf_counter() - t0)
            except Exception as exc:  # noqa: BLE001 - reported, the run goes on
                out["compile"], compile_model = failure(exc), None
    out["load"] = {"status": "ok", "s": statistics.median(loads), "runs_s": loads,
                   "peak_rss_mib": peak_rss_mib()}
    if compiles:
        out["compile"] = {"status": "ok", "s": statistics.median(compiles), "runs_s": compiles,
                          "peak_rss_mib": peak_rss_mib()}
    # where loading spends its time, piece by piece (one run each)
    raw = model_path.read_bytes()
    t0 = time.perf_counter()
    m2 = Model.model_validate_json(raw)
    t1 = time.perf_counter()
    check_model(m2)
    t2 = time.perf_counter()
    capacity_shortfalls(m2)
    t3 = time.perf_counter()
    out["load_detail"] = {"read_bytes": len(raw), "model_validate_json_s": t1 - t0,
                          "check_model_s": t2 - t1, "capacity_shortfalls_s": t3 - t2}
    del m2, raw

    scenario = Scenario.model_validate_json((folder / "scenario.json").read_bytes())
    variants = [Scenario.model_validate(v) for v in json.loads((folder / "scenarios.json").read_bytes())[:k]]
    single = None
    if "simulate" in stages:
        try:
            from supplychain.sim import simulate

            med, runs, res = timed(lambda: simulate(model, scenario), repeat)
            single = med
            out["simulate"] = {"status": "ok", "s": med, "runs_s": runs, "peak_rss_mib": peak_rss_mib(),
                               "units_lost": sum(float(e.units_lost) for e in res.end_items.values())}
        except Exception as exc:  # noqa: BLE001
            out["simulate"] = failure(exc)
    if "batch" in stages:
        try:
            from supplychain.sim import simulate_batch

            med, runs, res = timed(lambda: simulate_batch(model, variants), repeat)
            out["batch"] = {"status": "ok", "s": med, "runs_s": runs, "k": len(variants),
                            "peak_rss_mib": peak_rss_mib()}
            if single:
                out["batch"]["ratio_to_single"] = med / single
        except Exception as exc:  # noqa: BLE001
            out["batch"] = failure(exc)
    if "stress" in stages:
        try:
            stress_test = _find("supplychain.risk:stress_test", "supplychain.risk.stress:stress_test")
            med, runs, res = timed(lambda: stress_test(model, by="country"), repeat)
            rows = getattr(res, "rows", None)
            out["stress"] = {"status": "ok", "s": med, "runs_s": runs, "peak_rss_mib": peak_rss_mib(),
                             "rows": len(rows) if rows is not None else None}
        except Exception as exc:  # noqa: BLE001
            out["stress"] = failure(exc)
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def work_kernel(folder: Path, repeat: int) -> dict:
    from baseline_kernel import time_kernel

    model = json.loads((folder / "model.json").read_bytes())
    scenario = json.loads((folder / "scenario.json").read_bytes())
    r = time_kernel(model, scenario, repeat=repeat)
    return {"kernel": {"status": "ok", "s": r["loop_s"], "runs_s": r["runs_s"], "setup_s": r["setup_s"],
                       "units_lost": r["units_lost"], "peak_rss_mib": peak_rss_mib()}}


# --- the driver -------------------------------------------------------------------------


def spawn(args: list[str], timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, timeout=timeout, text=True, check=False)
    except subprocess.TimeoutExpired:
        return {"_failed": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        return {"_failed": f"worker exited with code {proc.returncode}"}
    return json.loads(lines[-1])


def measure_size(n: int, opts) -> dict:
    stages = set(opts.stages) if opts.stages else set(STAGES) - ({"batch", "stress"} if n >= BIG else set())
    common = ["--repeat", str(opts.repeat), "--k", str(opts.k), "--seed", str(opts.seed)]
    row: dict = {"parts": n, "stages": sorted(stages)}
    log(f"[{size_label(n)}] generating (median of {opts.repeat}) …")
    gen = spawn(["--worker", "generate", "--size", str(n), *common], opts.timeout)
    if "_failed" in gen:
        row["generate"] = {"status": "error", "reason": gen["_failed"]}
        return row
    row.update(gen)
    folder = gen.pop("files")
    row.pop("files", None)
    pkg_stages = stages & {"load", "compile", "simulate", "batch", "stress"}
    if pkg_stages:
        log(f"[{size_label(n)}] {', '.join(st for st in STAGES if st in pkg_stages)} (batch: K={opts.k}) …")
        pkg = spawn(["--worker", "package", "--folder", folder, "--stages", ",".join(sorted(pkg_stages)), *common],
                    opts.timeout)
        if "_failed" in pkg:
            row["load"] = {"status": "error", "reason": pkg["_failed"]}
        else:
            row.update(pkg)
    if "kernel" in stages:
        log(f"[{size_label(n)}] bare numpy kernel …")
        ker = spawn(["--worker", "kernel", "--folder", folder, *common], opts.timeout)
        row.update(ker if "_failed" not in ker else {"kernel": {"status": "error", "reason": ker["_failed"]}})
    return row


def cell(stage: dict | None, key: str = "s", fmt: str = "{:.3f}") -> str:
    if not stage:
        return "-"
    if stage.get("status") != "ok":
        return stage.get("status", "-")
    value = stage.get(key)
    return fmt.format(value) if value is not None else "-"


COLUMNS = [
    ("parts", 7), ("generate s", 10), ("load s", 8), ("compile s", 9), ("simulate s", 10),
    ("batch s", 9), ("batch/1", 7), ("stress s", 9), ("kernel s", 9), ("sim/kern", 8),
    ("peak MiB", 9), ("all MiB", 8),
]


def table(rows: list[dict], k: int) -> str:
    head = "  ".join(f"{name:>{w}}" for name, w in COLUMNS)
    lines = [head, "-" * len(head)]
    for r in rows:
        sim, ker = r.get("simulate"), r.get("kernel")
        ratio = "-"
        if sim and ker and sim.get("status") == ker.get("status") == "ok" and ker["s"] > 0:
            ratio = f"{sim['s'] / ker['s']:.2f}"
        peak = (sim or {}).get("peak_rss_mib") or (r.get("compile") or {}).get("peak_rss_mib") \
            or (r.get("load") or {}).get("peak_rss_mib")
        cells = [
            size_label(r["parts"]), cell(r.get("generate")), cell(r.get("load")), cell(r.get("compile")),
            cell(sim), cell(r.get("batch")), cell(r.get("batch"), "ratio_to_single", "{:.1f}x"),
            cell(r.get("stress"), fmt="{:.2f}"), cell(ker), ratio,
            f"{peak:.0f}" if peak else "-",
            f"{r['peak_rss_mib']:.0f}" if r.get("peak_rss_mib") else "-",
        ]
        lines.append("  ".join(f"{c:>{w}}" for c, (_, w) in zip(cells, COLUMNS)))
    return "\n".join(lines)


TARGETS = [
    # (parts, stages it needs, label, how to read the measured value, limit)
    (100_000, {"simulate"}, "one 104-period scenario, engine time <= 1.0 s", lambda r: _s(r, "simulate"), 1.0),
    (100_000, {"simulate"}, "one scenario, peak memory <= 1 GiB", lambda r: _rss(r, "simulate"), 1024.0),
    (10_000, {"simulate", "batch"}, "K=64 batched <= 16x one scenario",
     lambda r: _get(r, "batch", "ratio_to_single"), 16.0),
    (100_000, {"load", "compile"}, "load + validate + compile <= 5 s", lambda r: _sum(r, "load", "compile"), 5.0),
    (100_000, {"stress"}, "stress test by country <= 30 s", lambda r: _s(r, "stress"), 30.0),
    (100_000, {"simulate", "kernel"}, "simulate within 2x of the bare kernel", lambda r: _ratio(r), 2.0),
    (1_000_000, {"simulate"}, "one scenario, engine time <= 20 s", lambda r: _s(r, "simulate"), 20.0),
    (1_000_000, {"simulate"}, "one scenario, peak memory <= 8 GiB", lambda r: _rss(r, "simulate"), 8192.0),
]


def _get(r, stage, key):
    st = r.get(stage) or {}
    return st.get(key) if st.get("status") == "ok" else None


def _s(r, stage):
    return _get(r, stage, "s")


def _rss(r, stage):
    return _get(r, stage, "peak_rss_mib")


def _sum(r, *stages):
    vals = [_s(r, st) for st in stages]
    return None if any(v is None for v in vals) else sum(vals)


def _ratio(r):
    sim, ker = _s(r, "simulate"), _s(r, "kernel")
    return sim / ker if sim is not None and ker else None


def check_targets(rows: list[dict]) -> list[dict]:
    by_size = {r["parts"]: r for r in rows}
    out = []
    for parts, needs, label, read, limit in TARGETS:
        if parts not in by_size or not needs <= set(by_size[parts]["stages"]):
            continue
        value = read(by_size[parts])
        verdict = "n/a" if value is None else ("met" if value <= limit else "MISSED")
        out.append({"parts": parts, "target": label, "limit": limit, "value": value, "verdict": verdict})
    return out


def machine() -> dict:
    import numpy
    import pydantic
    import scipy

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                                text=True, check=False).stdout.strip() or None
    except OSError:
        commit = None
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "numpy": numpy.__version__, "scipy": scipy.__version__, "pydantic": pydantic.__version__,
            "commit": commit}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="supplychain throughput benchmarks")
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated part counts (1k,10k,100k; 1m on request)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per stage; the median is reported")
    ap.add_argument("--k", type=int, default=64, help="scenarios in the batched run")
    ap.add_argument("--seed", type=int, default=1, help="generator seed")
    ap.add_argument("--stages", type=lambda s: [x for x in s.split(",") if x], default=None,
                    help=f"subset of {','.join(STAGES)} (default all; batch and stress skipped from 1m)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per worker process")
    ap.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="where the JSON record goes")
    # internal: the per-size worker processes
    ap.add_argument("--worker", choices=("generate", "package", "kernel"), help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.stages and (bad := set(opts.stages) - set(STAGES)):
        ap.error(f"unknown stage(s) {', '.join(sorted(bad))}; choose from {', '.join(STAGES)}")
    if opts.repeat < 1 or opts.k < 1:
        ap.error("--repeat and --k must be at least 1")

    if opts.worker:
        if opts.worker == "generate":
            result = work_generate(opts.size, opts.seed, opts.repeat, opts.k)
        elif opts.worker == "package":
            result = work_package(opts.folder, opts.repeat, opts.k, set(opts.stages or STAGES))
        else:
            result = work_kernel(opts.folder, opts.repeat)
        print(json.dumps(result))
        return

    sizes = [parse_count(s) for s in opts.sizes.split(",") if s.strip()]
    rows = []
    for n in sizes:
        rows.append(measure_size(n, opts))
    print(table(rows, opts.k))
    print(f"(medians of {opts.repeat}; batch = K={opts.k} scenarios in one call; peak = ru_maxrss through "
          "simulate, all = through every stage)")
    targets = check_targets(rows)
    if targets:
        print("\ntargets (medians on this machine):")
        for t in targets:
            value = "-" if t["value"] is None else f"{t['value']:.3g}"
            print(f"  {size_label(t['parts']):>5}  {t['target']:<48} {value:>8}  {t['verdict']}")
    notes = [(size_label(r["parts"]), st, r[st]["reason"]) for r in rows for st in STAGES + ("load",)
             if isinstance(r.get(st), dict) and r[st].get("status") in ("n/a", "error")]
    if notes:
        print("\nnot measured:")
        for size, st, reason in dict.fromkeys(notes):
            print(f"  {size:>5}  {st:<9} {reason}")
    details = [(size_label(r["parts"]), r["load_detail"]) for r in rows if "load_detail" in r]
    if details:
        print("\nload_model, piece by piece (one run; seconds):")
        for size, d in details:
            print(f"  {size:>5}  model_validate_json {d['model_validate_json_s']:.3f}  check_model "
                  f"{d['check_model_s']:.3f}  capacity_shortfalls {d['capacity_shortfalls_s']:.3f}  "
                  f"({d['read_bytes'] / 1e6:.1f} MB of JSON)")
    record = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {"sizes": [size_label(n) for n in sizes], "repeat": opts.repeat, "k": opts.k,
                     "seed": opts.seed},
        "results": rows,
        "targets": targets,
    }
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {opts.out}")


if __name__ == "__main__":
    main()
