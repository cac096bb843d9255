"""Parsing a model file: YAML (libyaml's events, PyYAML's Python parser) against JSON,
side by side in one process on the same generated network.

    python benchmarks/parse.py                 # 100k parts
    python benchmarks/parse.py --parts 20k --repeat 5

Prints the median seconds of reading each file to plain data (``read_data``) and of
loading it as a validated model (``load_model``), and the ratios to JSON. The files
are written once under benchmarks/.cache (ignored by git); the record goes to
benchmarks/results/parse.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def median_s(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description="supplychain model parsing: YAML against JSON")
    ap.add_argument("--parts", default="100k")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "parse.json")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import yaml

    import supplychain.io.safe_yaml as safe_yaml
    from supplychain.io.load import load_model, read_data
    from supplychain.io.write import json_bytes, yaml_bytes
    from run import cache_dir, parse_count
    from supplychain.synthetic import generate_network

    n = parse_count(args.parts)
    folder = cache_dir(n, 1)
    folder.mkdir(parents=True, exist_ok=True)
    js, ym = folder / "parse-model.json", folder / "parse-model.yaml"
    if not ym.exists():
        data = generate_network(n, seed=1)
        js.write_bytes(json_bytes(data))
        ym.write_bytes(yaml_bytes(data))
    record: dict = {"parts": n, "json_bytes": js.stat().st_size, "yaml_bytes": ym.stat().st_size}
    record["read json"] = median_s(lambda: read_data(js), args.repeat)
    record["read yaml (libyaml events)"] = median_s(lambda: read_data(ym), args.repeat)
    c_loader = safe_yaml._EventLoader
    safe_yaml._EventLoader = yaml.SafeLoader
    try:
        record["read yaml (Python parser)"] = median_s(lambda: read_data(ym), 1)
    finally:
        safe_yaml._EventLoader = c_loader
    record["load_model json"] = median_s(lambda: load_model(js), args.repeat)
    record["load_model yaml"] = median_s(lambda: load_model(ym), args.repeat)
    base = record["read json"]
    print(f"{n:,} parts: JSON {record['json_bytes'] / 1e6:.1f} MB, YAML {record['yaml_bytes'] / 1e6:.1f} MB")
    for key in ("read json", "read yaml (libyaml events)", "read yaml (Python parser)"):
        print(f"  {key:<28} {record[key]:7.2f} s  {record[key] / base:5.2f}x JSON")
    ratio = record["load_model yaml"] / record["load_model json"]
    print(f"  {'load_model json':<28} {record['load_model json']:7.2f} s")
    print(f"  {'load_model yaml':<28} {record['load_model yaml']:7.2f} s  {ratio:5.2f}x JSON")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
