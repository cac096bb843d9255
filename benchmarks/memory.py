"""Peak memory of loading a model: generated networks read from JSON, each load in a
fresh process so that one size's peak does not leak into the next.

    python benchmarks/memory.py                    # 100k and 1m parts
    python benchmarks/memory.py --sizes 10k,100k

Prints, per size, the JSON file's size, the peak resident memory of
``supplychain.load_model`` (the pydantic model, its checks and the compiled network
with its capacity check), that peak per part and per byte of the file, and the seconds
it took. The files are written once under benchmarks/.cache (ignored by git); the
record goes to benchmarks/results/memory.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_LOAD = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from supplychain import load_model
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
model = load_model(sys.argv[1])
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({"parts": len(model.parts), "s": seconds, "peak_kib": peak, "start_kib": before}))
"""


def model_file(n: int) -> Path:
    from run import cache_dir

    from supplychain.io.write import json_bytes
    from supplychain.synthetic import generate_network

    folder = cache_dir(n, 1)
    path = folder / "memory-model.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(json_bytes(generate_network(n, seed=1)))
    return path


def main() -> None:
    from run import parse_count

    ap = argparse.ArgumentParser(description="supplychain: peak memory of loading a model")
    ap.add_argument("--sizes", default="100k,1m")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "memory.json")
    args = ap.parse_args()
    records = []
    print(f"{'parts':>10} {'JSON MB':>8} {'peak MB':>8} {'KB/part':>8} {'x file':>7} {'load s':>7}")
    for n in (parse_count(s) for s in args.sizes.split(",")):
        path = model_file(n)
        done = subprocess.run([sys.executable, "-c", _LOAD, str(path)], capture_output=True, text=True, check=True)
        r = json.loads(done.stdout)
        size = path.stat().st_size
        peak = r["peak_kib"] * 1024
        r.update(json_bytes=size, peak_bytes=peak, bytes_per_part=peak / n, per_json_byte=peak / size)
        records.append(r)
        print(f"{n:>10,} {size / 1e6:>8.0f} {peak / 1e6:>8.0f} {peak / n / 1e3:>8.2f} {peak / size:>7.1f} "
              f"{r['s']:>7.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(records, indent=2) + "\n")


if __name__ == "__main__":
    main()
